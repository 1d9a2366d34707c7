//! `logsentinel parse` and `logsentinel formats`.

use std::io::Write;

use crate::common::{example, ndjson, run, run_with_stdin};

const FORMATS: [&str; 12] = [
    "syslog_rfc3164",
    "syslog_rfc5424",
    "syslog_rfc3339",
    "apache_common",
    "apache_combined",
    "nginx_error",
    "apache_error",
    "iis_w3c",
    "windows_event_text",
    "cisco_asa",
    "json",
    "heuristic",
];

#[test]
fn formats_lists_every_format_with_an_example() {
    let r = run(&["formats"]);
    assert_eq!(r.code, Some(0));
    for f in FORMATS {
        assert!(r.stdout.contains(f), "missing {f}");
    }
    assert!(r.stdout.matches("e.g. ").count() >= FORMATS.len());
}

fn parse_file(name: &str) -> Vec<serde_json::Value> {
    let r = run(&["parse", "--output", "ndjson", "--tz", "UTC", &example(name)]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    ndjson(&r.stdout)
}

#[test]
fn each_sample_file_is_detected_as_its_format() {
    for (file, format) in [
        ("auth.log", "syslog_rfc3164"),
        ("access.log", "apache_combined"),
        ("rsyslog.log", "syslog_rfc3339"),
        ("rfc5424.log", "syslog_rfc5424"),
        ("iis.log", "iis_w3c"),
        ("windows.txt", "windows_event_text"),
        ("asa.log", "cisco_asa"),
        ("app.jsonl", "json"),
        ("nginx_error.log", "nginx_error"),
        ("apache_error.log", "apache_error"),
    ] {
        let events = parse_file(file);
        assert!(!events.is_empty(), "{file}");
        for ev in &events {
            assert_eq!(ev["log"]["format"], format, "{file}: {ev}");
            assert!(
                ev["@timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
                "{ev}"
            );
            assert!(ev["event"]["original"].is_string());
            assert!(
                ev["log"]["file"]["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with(file))
            );
            assert!(ev["log"]["file"]["line"].is_u64());
        }
    }
}

#[test]
fn auth_log_facts() {
    let events = parse_file("auth.log");
    assert_eq!(events.len(), 22);
    let find = |needle: &str| {
        events
            .iter()
            .find(|e| e["event"]["original"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle}"))
    };
    let failed = find("Failed password for invalid user admin");
    assert_eq!(
        failed["@timestamp"].as_str().map(|t| &t[4..]),
        Some("-01-15T10:30:41Z")
    );
    assert_eq!(failed["event"]["category"], "authentication");
    assert_eq!(failed["event"]["outcome"], "failure");
    assert_eq!(failed["user"]["name"], "admin");
    assert_eq!(failed["source"]["ip"], "203.0.113.7");
    assert_eq!(failed["source"]["port"], 52140);
    assert_eq!(failed["host"]["name"], "web1");
    assert_eq!(failed["process"]["name"], "sshd");
    assert_eq!(failed["process"]["pid"], 2310);
    let accepted = find("Accepted password for root");
    assert_eq!(accepted["event"]["outcome"], "success");
    assert_eq!(accepted["user"]["name"], "root");
    let sudo = find("COMMAND=/usr/bin/apt update");
    assert_eq!(sudo["user"]["name"], "alice");
    assert_eq!(sudo["process"]["command_line"], "/usr/bin/apt update");
    let not_sudoer = find("NOT in sudoers");
    assert_eq!(not_sudoer["event"]["outcome"], "failure");
    assert_eq!(not_sudoer["user"]["name"], "bob");
    let useradd = find("new user: name=backup2");
    assert_eq!(useradd["event"]["category"], "iam");
    let sasl = find("SASL LOGIN authentication failed");
    assert_eq!(sasl["event"]["outcome"], "failure");
    assert_eq!(sasl["source"]["ip"], "192.0.2.55");
}

#[test]
fn web_facts() {
    let events = parse_file("access.log");
    let sqli = &events[2];
    assert_eq!(sqli["http"]["request"]["method"], "GET");
    assert_eq!(
        sqli["url"]["original"],
        "/product.php?id=1%27%20OR%201%3D1--%20-"
    );
    assert_eq!(sqli["http"]["response"]["status_code"], 200);
    assert_eq!(
        sqli["user_agent"]["original"],
        "sqlmap/1.7.2#stable (https://sqlmap.org)"
    );
    assert_eq!(events[5]["user"]["name"], "admin");
    assert_eq!(events[7]["url"]["domain"], "example.com");
    assert_eq!(events[8]["source"]["ip"], "2001:db8::7");
    let iis = parse_file("iis.log");
    let owa = iis
        .iter()
        .find(|e| e["url"]["original"] == "/owa/auth.owa")
        .expect("owa line");
    assert_eq!(owa["http"]["response"]["status_code"], 401);
    assert_eq!(owa["user"]["name"], "bob");
    // The second #Fields directive changes the columns mid-file.
    let last = iis.last().unwrap();
    assert_eq!(last["source"]["ip"], "198.51.100.23");
    assert_eq!(last["http"]["response"]["status_code"], 200);
}

#[test]
fn other_formats_facts() {
    let win = parse_file("windows.txt");
    assert_eq!(win[0]["event"]["code"], "4625");
    assert_eq!(win[0]["event"]["outcome"], "failure");
    assert_eq!(win[0]["user"]["name"], "administrator");
    assert_eq!(win[0]["source"]["ip"], "203.0.113.7");
    let asa = parse_file("asa.log");
    assert_eq!(asa[1]["event"]["code"], "106023");
    assert_eq!(asa[1]["source"]["ip"], "203.0.113.7");
    assert_eq!(asa[1]["destination"]["port"], 22);
    let json = parse_file("app.jsonl");
    assert_eq!(json[0]["user"]["name"], "bob");
    assert_eq!(json[0]["source"]["ip"], "203.0.113.7");
    assert_eq!(json[1]["event"]["dataset"], "app.auth");
    assert_eq!(json[1]["labels"]["env"], "prod");
    assert_eq!(json[1]["user"]["name"], "alice");
}

#[test]
fn mixed_file_falls_back_per_line_and_never_drops_a_line() {
    let events = parse_file("mixed.log");
    assert_eq!(events.len(), 5);
    let formats: Vec<&str> = events
        .iter()
        .map(|e| e["log"]["format"].as_str().unwrap())
        .collect();
    assert_eq!(formats[0], "syslog_rfc3164");
    assert_eq!(formats[1], "heuristic");
    assert_eq!(formats[3], "json");
    assert_eq!(formats[4], "apache_combined");
    let junk = &events[1];
    let tags: Vec<&str> = junk["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        tags.contains(&"invalid_utf8") && tags.contains(&"nul_bytes"),
        "{tags:?}"
    );
    assert!(
        junk["event"]["original"]
            .as_str()
            .unwrap()
            .contains("<script>")
    );
}

#[test]
fn table_output_escapes_terminal_control_characters() {
    let r = run(&["parse", "--tz", "UTC", &example("mixed.log")]);
    assert_eq!(r.code, Some(0));
    assert!(!r.stdout.contains('\u{1b}'), "raw ESC reached the terminal");
    assert!(r.stdout.contains("\\x1b[31m"));
    assert!(r.stdout.contains("== "));
    assert!(
        r.stderr.contains("read only by the heuristic"),
        "{}",
        r.stderr
    );
}

#[test]
fn stdin_and_forced_format() {
    let input = std::fs::read(example("auth.log")).unwrap();
    let r = run_with_stdin(
        &["parse", "-o", "ndjson", "--format", "auto", "-"],
        Some(&input),
    );
    assert_eq!(r.code, Some(0));
    let events = ndjson(&r.stdout);
    assert_eq!(events.len(), 22);
    // No path for stdin; the line number is still given.
    assert!(events[0]["log"]["file"].get("path").is_none());
    assert_eq!(events[0]["log"]["file"]["line"], 1);
    // Forced to a format the lines are not in: each line is read by the heuristic.
    let r = run_with_stdin(
        &["parse", "-o", "ndjson", "--format", "iis_w3c", "-"],
        Some(&input),
    );
    let events = ndjson(&r.stdout);
    assert!(events.iter().all(|e| e["log"]["format"] == "heuristic"));
    let r = run(&["parse", "--format", "bogus", &example("auth.log")]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("bogus"));
}

#[test]
fn missing_file_is_reported_and_others_still_processed() {
    let r = run(&[
        "parse",
        "-o",
        "ndjson",
        "/nonexistent/x.log",
        &example("auth.log"),
    ]);
    assert_eq!(r.code, Some(2));
    let errors: Vec<&str> = r.stderr.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(errors.len(), 1, "{}", r.stderr);
    assert!(errors[0].contains("/nonexistent/x.log"));
    assert_eq!(ndjson(&r.stdout).len(), 22);
}

#[test]
fn gzip_globs_and_long_lines() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("a.log.1"); // gzip without a .gz name
    let enc = flate2_free_gzip(&std::fs::read(example("auth.log")).unwrap());
    std::fs::write(&gz, &enc).unwrap();
    let long = dir.path().join("b.log");
    let mut f = std::fs::File::create(&long).unwrap();
    writeln!(f, "Jan 15 10:30:45 h app: {}", "A".repeat(200_000)).unwrap();
    writeln!(f, "Jan 15 10:30:46 h app: short").unwrap();
    drop(f);
    let pattern = format!("{}/*", dir.path().display());
    let r = run(&[
        "parse",
        "-o",
        "ndjson",
        "--max-line-bytes",
        "1000",
        &pattern,
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let events = ndjson(&r.stdout);
    assert_eq!(events.len(), 24);
    let cut = &events[22];
    assert_eq!(cut["tags"][0], "truncated");
    assert_eq!(cut["event"]["original"].as_str().unwrap().len(), 1000);
    assert_eq!(events[23]["log"]["file"]["line"], 2);
}

/// A gzip file made by the system's `gzip` (keeps the test free of extra crates).
fn flate2_free_gzip(data: &[u8]) -> Vec<u8> {
    let mut child = std::process::Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip");
    child.stdin.take().unwrap().write_all(data).unwrap();
    child.wait_with_output().unwrap().stdout
}

#[test]
fn stats_mode_counts() {
    let r = run(&[
        "parse",
        "--stats",
        &example("mixed.log"),
        &example("auth.log"),
    ]);
    assert_eq!(r.code, Some(0));
    assert!(r.stdout.contains("heuristic only"));
    assert!(r.stdout.contains("total"));
    let lines_row = r
        .stdout
        .lines()
        .rfind(|l| l.trim_start().starts_with("lines"))
        .unwrap();
    assert!(lines_row.trim_end().ends_with("27"), "{lines_row}");
}

#[test]
fn binary_junk_never_panics() {
    let mut junk = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..200_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        junk.push((x >> 16) as u8);
    }
    let r = run_with_stdin(&["parse", "-o", "ndjson", "-"], Some(&junk));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for ev in ndjson(&r.stdout) {
        assert!(ev["log"]["format"].is_string());
    }
}

#[test]
fn closed_stdout_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let line =
        "Jan 15 10:30:45 web1 sshd[1]: Failed password for root from 203.0.113.7 port 1 ssh2\n";
    std::fs::write(&path, line.repeat(200_000)).unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{} parse -o ndjson {} | head -n 1 >/dev/null; echo ${{PIPESTATUS[0]}}",
            env!("CARGO_BIN_EXE_logsentinel"),
            path.display()
        ))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}
