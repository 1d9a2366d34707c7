//! `logsentinel simulate`: deterministic corpora whose every line parses in
//! its format, with a truth file that points at real attack lines.

use crate::common::{bin, ndjson, run};

fn simulate(dir: &std::path::Path, seed: &str, lines: &str) {
    let r = run(&[
        "simulate",
        "--lines",
        lines,
        "--seed",
        seed,
        "--out",
        &dir.display().to_string(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

#[test]
fn same_seed_same_bytes_and_every_line_parses() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    simulate(a.path(), "7", "20000");
    simulate(b.path(), "7", "20000");
    for f in ["access.log", "auth.log", "firewall.log", "truth.jsonl"] {
        let x = std::fs::read(a.path().join(f)).unwrap();
        let y = std::fs::read(b.path().join(f)).unwrap();
        assert!(x == y, "{f} differs between two runs with the same seed");
    }
    for (file, format) in [
        ("access.log", "apache_combined"),
        ("auth.log", "syslog_rfc3164"),
        ("firewall.log", "cisco_asa"),
    ] {
        let path = a.path().join(file).display().to_string();
        let r = run(&["parse", "--stats", "--tz", "UTC", &path]);
        assert!(
            r.stdout.contains(&format!("{format} (detected")),
            "{}",
            r.stdout
        );
        let heuristic = r
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with("heuristic only"))
            .unwrap();
        assert!(heuristic.trim_end().ends_with(" 0"), "{file}: {heuristic}");
    }
}

#[test]
fn truth_points_at_attack_lines() {
    let dir = tempfile::tempdir().unwrap();
    simulate(dir.path(), "3", "30000");
    let truth = std::fs::read_to_string(dir.path().join("truth.jsonl")).unwrap();
    let records = ndjson(&truth);
    assert!(records.len() > 10, "{} scenarios", records.len());
    let mut categories = std::collections::BTreeSet::new();
    for t in &records {
        categories.insert(t["category"].as_str().unwrap().to_string());
        let file = std::fs::read_to_string(dir.path().join(t["file"].as_str().unwrap())).unwrap();
        let lines: Vec<&str> = file.lines().collect();
        let ips: Vec<&str> = t["source_ips"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let users: Vec<&str> = t["users"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        for n in t["lines"].as_array().unwrap() {
            let line = lines[n.as_u64().unwrap() as usize - 1];
            assert!(
                ips.iter().chain(&users).any(|s| line.contains(s)),
                "line {n} of {} does not name the attacker: {line}",
                t["file"]
            );
        }
    }
    for c in [
        "brute_force",
        "password_spraying",
        "account_compromise",
        "sql_injection",
        "xss",
        "path_traversal",
        "command_injection",
        "scanner",
        "port_scan",
    ] {
        assert!(categories.contains(c), "no {c} scenario in {categories:?}");
    }
}

#[test]
fn follow_appends_live_lines_stamped_now() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args([
            "simulate",
            "--follow",
            "--rate",
            "300",
            "--duration",
            "1.5",
            "--kinds",
            "auth",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.path().join("auth.log").display().to_string();
    let text = std::fs::read_to_string(&path).unwrap();
    let n = text.lines().count();
    assert!((200..=600).contains(&n), "{n} lines in 1.5 s at 300/s");
    let r = run(&["parse", "-o", "ndjson", "--tz", "UTC", &path]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let last = ndjson(&r.stdout).pop().unwrap();
    let stamp: jiff::Timestamp = last["@timestamp"].as_str().unwrap().parse().unwrap();
    assert!(
        (now - stamp.as_second()).abs() < 120,
        "last line stamped {:?}, now {now}",
        last["@timestamp"]
    );
    assert!(!dir.path().join("access.log").exists());
}
