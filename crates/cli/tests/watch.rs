//! `logsentinel watch`: a real running process on real files (rotation,
//! copytruncate, delete and re-create, globs, partial lines, `kill -9` and
//! restart), real sockets (syslog over UDP and TCP), and the allow-list.
//!
//! Processed lines are checked through the hidden `--emit-events` flag:
//! every processed event is written to the output as ECS JSON, with
//! `log.file.path` and `log.offset`.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{bin, example, ndjson, run};

/// A running `watch`, its standard output and error collected by threads.
pub(crate) struct Watch {
    child: Child,
    pub(crate) out: Arc<Mutex<Vec<String>>>,
    pub(crate) err: Arc<Mutex<Vec<String>>>,
}

pub(crate) fn collect(r: impl Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            match line {
                Ok(s) => l.lock().unwrap().push(s),
                Err(_) => break,
            }
        }
    });
    lines
}

/// Fast polling settings so that tests run quickly.
pub(crate) const FAST: &[&str] = &[
    "--tz",
    "UTC",
    "--poll-interval",
    "50",
    "--partial-flush",
    "400",
    "--rotate-wait",
    "600",
];

impl Watch {
    pub(crate) fn start(args: &[&str]) -> Watch {
        Watch::start_with_env(args, &[])
    }

    /// `start` with extra environment variables.
    pub(crate) fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Watch {
        let mut cmd = bin();
        cmd.envs(env.iter().copied());
        cmd.arg("watch")
            .args(FAST)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn logsentinel watch");
        let out = collect(child.stdout.take().unwrap());
        let err = collect(child.stderr.take().unwrap());
        Watch { child, out, err }
    }

    pub(crate) fn signal(&self, sig: &str) {
        // The shell's own `kill`: no procps needed.
        let ok = Command::new("sh")
            .args(["-c", &format!("kill {sig} {}", self.child.id())])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }

    /// SIGTERM, then the exit status.
    pub(crate) fn stop(mut self) -> (Option<i32>, Vec<String>, Vec<String>) {
        self.signal("-TERM");
        let status = wait_exit(&mut self.child, Duration::from_secs(20));
        // Let the reader threads take the last lines.
        std::thread::sleep(Duration::from_millis(100));
        let out = self.out.lock().unwrap().clone();
        let err = self.err.lock().unwrap().clone();
        (status, out, err)
    }

    fn kill9(mut self) {
        self.signal("-KILL");
        let _ = wait_exit(&mut self.child, Duration::from_secs(20));
    }

    fn events(&self) -> Vec<Value> {
        events_of(&self.out.lock().unwrap())
    }

    pub(crate) fn stderr_has(&self, needle: &str) -> bool {
        self.err.lock().unwrap().iter().any(|l| l.contains(needle))
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn wait_exit(child: &mut Child, limit: Duration) -> Option<i32> {
    let t = Instant::now();
    loop {
        if let Ok(Some(s)) = child.try_wait() {
            return s.code();
        }
        assert!(t.elapsed() < limit, "watch did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) const LIMIT: Duration = Duration::from_secs(15);

/// Processed events (not alerts) among output lines.
fn events_of(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("bad JSON {l:?}: {e}")))
        .filter(|v| v["event"]["kind"] != "alert")
        .collect()
}

fn originals(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["event"]["original"].as_str().unwrap_or("").to_string())
        .collect()
}

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn line(n: u32, tag: &str) -> String {
    format!(
        "Jan 15 10:{:02}:{:02} web1 app[42]: {tag} message {n}\n",
        (n / 60) % 60,
        n % 60
    )
}

#[test]
fn follows_rotation_truncation_recreation_and_partial_lines() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append(&log, &line(1, "before-start"));
    let log_s = log.display().to_string();
    let w = Watch::start(&[
        "--output",
        "ndjson",
        "--emit-events",
        "--from-beginning",
        &log_s,
    ]);
    let mut want: Vec<String> = vec![line(1, "before-start")];
    let check = |w: &Watch, want: &[String], what: &str| {
        let want: Vec<String> = want.iter().map(|l| l.trim_end().to_string()).collect();
        wait_until(what, LIMIT, || originals(&w.events()).len() >= want.len());
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(originals(&w.events()), want, "{what}");
    };
    check(&w, &want, "the existing line");

    for n in 2..5 {
        append(&log, &line(n, "live"));
        want.push(line(n, "live"));
    }
    check(&w, &want, "live lines");

    // Rotation by rename: a late write to the old file, then the new file.
    append(&log, &line(5, "last-before-rotate"));
    want.push(line(5, "last-before-rotate"));
    fs::rename(&log, dir.path().join("app.log.1")).unwrap();
    append(&dir.path().join("app.log.1"), &line(6, "late-to-old"));
    want.push(line(6, "late-to-old"));
    append(&log, &line(7, "new-file"));
    want.push(line(7, "new-file"));
    let check_set = |w: &Watch, want: &[String], what: &str| {
        let mut want: Vec<String> = want.iter().map(|l| l.trim_end().to_string()).collect();
        wait_until(what, LIMIT, || originals(&w.events()).len() >= want.len());
        std::thread::sleep(Duration::from_millis(150));
        let mut got = originals(&w.events());
        got.sort();
        want.sort();
        assert_eq!(got, want, "{what}");
    };
    check_set(&w, &want, "rotation by rename");
    wait_until("the rotation notice", LIMIT, || w.stderr_has("rotated"));

    // copytruncate: copy, truncate in place, write on.
    fs::copy(&log, dir.path().join("app.log.2")).unwrap();
    fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(0)
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    append(&log, &line(8, "after-truncate"));
    want.push(line(8, "after-truncate"));
    check_set(&w, &want, "copytruncate");

    // Delete and re-create.
    fs::remove_file(&log).unwrap();
    std::thread::sleep(Duration::from_millis(150));
    append(&log, &line(9, "recreated"));
    want.push(line(9, "recreated"));
    check_set(&w, &want, "delete and re-create");

    // A partial line waits for its newline...
    append(&log, "Jan 15 10:59:00 web1 app[42]: partial ");
    std::thread::sleep(Duration::from_millis(200));
    append(&log, "line completed\n");
    want.push("Jan 15 10:59:00 web1 app[42]: partial line completed\n".into());
    check_set(&w, &want, "a completed partial line");
    // ... and is flushed alone after the timeout.
    append(&log, "Jan 15 10:59:30 web1 app[42]: no newline ever");
    want.push("Jan 15 10:59:30 web1 app[42]: no newline ever".into());
    check_set(&w, &want, "a partial line flushed by timeout");

    // SIGUSR1: a status line.
    w.signal("-USR1");
    wait_until("the status line", LIMIT, || {
        w.stderr_has("1 files (0 rotating)")
    });

    let (code, out, err) = w.stop();
    assert_eq!(code, Some(0), "{err:?}");
    let events = events_of(&out);
    assert_eq!(events.len(), want.len());
    for e in &events {
        assert!(
            e["log"]["file"]["path"]
                .as_str()
                .unwrap()
                .contains("app.log")
        );
        assert!(e["log"]["offset"].is_u64() && e["log"]["file"]["line"].is_u64());
        assert!(e["@timestamp"].is_string());
    }
}

#[test]
fn globs_pick_up_new_files_and_refuse_symlinks_out() {
    let root = tempfile::tempdir().unwrap();
    let logs = root.path().join("logs");
    let outside = root.path().join("outside");
    fs::create_dir_all(&logs).unwrap();
    fs::create_dir_all(&outside).unwrap();
    append(&outside.join("secret.log"), &line(1, "secret"));
    append(&logs.join("a.log"), &line(1, "existing"));
    let pattern = format!("{}/*.log", logs.display());
    let allow = logs.display().to_string();
    let w = Watch::start(&[
        "--output",
        "ndjson",
        "--emit-events",
        "--allow-dir",
        &allow,
        &pattern,
    ]);
    // From the end by default: the existing line is not read.
    wait_until("startup", LIMIT, || w.stderr_has("following"));
    append(&logs.join("a.log"), &line(2, "live-a"));
    fs::write(logs.join("b.log"), line(1, "appeared-later")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.log"), logs.join("link.log")).unwrap();
    wait_until("both files", LIMIT, || w.events().len() >= 2);
    wait_until("the refusal", LIMIT, || w.stderr_has("refused"));
    append(&logs.join("b.log"), &line(2, "more-b"));
    wait_until("more of b", LIMIT, || w.events().len() >= 3);
    std::thread::sleep(Duration::from_millis(200));
    let (code, out, err) = w.stop();
    assert_eq!(code, Some(0));
    let mut got = originals(&events_of(&out));
    got.sort();
    let mut want: Vec<String> = [
        line(2, "live-a"),
        line(1, "appeared-later"),
        line(2, "more-b"),
    ]
    .iter()
    .map(|l| l.trim_end().to_string())
    .collect();
    want.sort();
    assert_eq!(got, want);
    assert!(
        err.iter()
            .any(|l| l.contains("link.log") && l.contains("resolves to")),
        "{err:?}"
    );
}

#[test]
fn kill_9_mid_stream_and_restart_process_every_line_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let state = dir.path().join("state");
    let out = dir.path().join("out.ndjson");
    let args: Vec<String> = [
        "--emit-events",
        "--output",
        "ndjson",
        "--from-beginning",
        "--state-dir",
        &state.display().to_string(),
        "--output-file",
        &out.display().to_string(),
        &log.display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();

    // The file and its first line exist before watch starts, and the writer
    // starts once watch follows it: a file rotated away before it ever had
    // a checkpoint cannot be found (README, "Limits").
    append(&log, &line(0, "stream"));
    const TOTAL: u32 = 6000;
    let writer_log = log.clone();
    let mut start_writer = Some(move || {
        std::thread::spawn(move || {
            let mut written = vec![line(0, "stream").trim_end().to_string()];
            for n in 1..TOTAL {
                let l = line(n, "stream");
                append(&writer_log, &l);
                written.push(l.trim_end().to_string());
                if n == TOTAL / 2 {
                    fs::rename(&writer_log, writer_log.with_extension("log.1")).unwrap();
                }
                if n % 25 == 0 {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            written
        })
    });
    let events_in_file = || -> Vec<Value> {
        let text = fs::read_to_string(&out).unwrap_or_default();
        // A torn last line (a kill mid-write) is not complete JSON yet.
        let complete: Vec<String> = text
            .lines()
            .filter(|l| l.ends_with('}'))
            .map(String::from)
            .collect();
        events_of(&complete)
    };
    let mut kills = 0;
    let mut notices: Vec<String> = Vec::new();
    let mut writer = None;
    for pause in [300u64, 450, 200] {
        let w = Watch::start(&argv);
        // Killed while running, not while still loading its rules.
        wait_until("watch to follow the file", LIMIT, || {
            w.stderr_has("following")
        });
        if let Some(start) = start_writer.take() {
            writer = Some(start());
        }
        std::thread::sleep(Duration::from_millis(pause));
        let err = Arc::clone(&w.err);
        w.kill9();
        notices.extend(err.lock().unwrap().iter().cloned());
        notices.push("-- killed".into());
        kills += 1;
    }
    let written = writer.unwrap().join().unwrap();
    let w = Watch::start(&argv);
    let t = Instant::now();
    while events_in_file().len() < written.len() && t.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let (code, _, err) = w.stop();
    notices.extend(err);
    assert_eq!(code, Some(0), "{notices:#?}");
    assert_eq!(kills, 3);

    let events = events_in_file();
    let got = originals(&events);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for g in &got {
        *counts.entry(g.as_str()).or_default() += 1;
    }
    let dups: Vec<_> = counts.iter().filter(|(_, c)| **c > 1).take(5).collect();
    assert!(
        dups.is_empty(),
        "lines processed twice: {dups:?}\n{notices:#?}"
    );
    let missing: Vec<&String> = written
        .iter()
        .filter(|l| !counts.contains_key(l.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} lines lost, first {:?}, last {:?}\n{notices:#?}",
        missing.len(),
        missing.first(),
        missing.last()
    );
    assert_eq!(got.len(), written.len());
    // In order within each file (the rotated one, then the new one).
    let mut sorted = got.clone();
    let key = |s: &String| s.rsplit(' ').next().unwrap().parse::<u32>().unwrap();
    sorted.sort_by_key(key);
    assert_eq!(sorted, written);
}

/// (rule id, source ip, count) of the final alerts.
fn alert_keys(alerts: &[Value]) -> BTreeMap<(String, String), Vec<u64>> {
    let mut m: BTreeMap<(String, String), Vec<u64>> = BTreeMap::new();
    for a in alerts {
        m.entry((
            a["rule"]["id"].as_str().unwrap().to_string(),
            a["source"]["ip"].as_str().unwrap_or("-").to_string(),
        ))
        .or_default()
        .push(a["count"].as_u64().unwrap());
    }
    for v in m.values_mut() {
        v.sort();
    }
    m
}

fn final_alerts(out: &[String]) -> Vec<Value> {
    out.iter()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["event"]["kind"] == "alert" && v["event"]["type"][0] == "end")
        .collect()
}

#[test]
fn line_by_line_gives_the_same_alerts_as_analyze() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let r = run(&[
        "simulate",
        "--out",
        &sim.display().to_string(),
        "--lines",
        "1500",
        "--kinds",
        "auth,apache",
        "--attack-share",
        "0.2",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for name in ["auth.log", "access.log"] {
        let source = sim.join(name);
        let text = fs::read_to_string(&source).unwrap();
        let batch = run(&[
            "analyze",
            "--output",
            "ndjson",
            "--quiet",
            "--tz",
            "UTC",
            &source.display().to_string(),
        ]);
        assert!(matches!(batch.code, Some(0) | Some(1)), "{}", batch.stderr);
        let expected = alert_keys(&ndjson(&batch.stdout));
        assert!(!expected.is_empty(), "{name}: the simulation has attacks");

        // The same lines appended to a followed file in small pieces.
        let live = dir.path().join(format!("live-{name}"));
        fs::write(&live, "").unwrap();
        let live_s = live.display().to_string();
        let w = Watch::start(&["--output", "ndjson", "--quiet", "--from-beginning", &live_s]);
        std::thread::sleep(Duration::from_millis(300));
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        for chunk in lines.chunks(37) {
            append(&live, &chunk.concat());
            std::thread::sleep(Duration::from_millis(2));
        }
        let size = fs::metadata(&live).unwrap().len();
        // Give it time to read everything, then stop (flushing every alert).
        std::thread::sleep(Duration::from_millis(800));
        let (code, out, err) = w.stop();
        assert_eq!(code, Some(0), "{err:?}");
        assert!(size > 0);
        let got = alert_keys(&final_alerts(&out));
        assert_eq!(got, expected, "{name}: watch and analyze disagree");
    }
}

#[test]
fn stdin_stream_ends_with_its_input() {
    let text = fs::read(example("auth.log")).unwrap();
    let mut cmd = bin();
    cmd.args(["watch", "--output", "ndjson", "--tz", "UTC", "--quiet", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(&text).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(String::from)
        .collect();
    let batch = run(&[
        "analyze",
        "--output",
        "ndjson",
        "--quiet",
        "--tz",
        "UTC",
        &example("auth.log"),
    ]);
    assert_eq!(
        alert_keys(&final_alerts(&out)),
        alert_keys(&ndjson(&batch.stdout))
    );
    // Each alert was announced when it opened, too.
    let opened = out
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["event"]["type"][0] == "start")
        .count();
    assert_eq!(opened, final_alerts(&out).len());
}

fn listening_on(w: &Watch, transport: &str) -> String {
    let prefix = format!("listening on {transport}://");
    wait_until("the listener", LIMIT, || w.stderr_has(&prefix));
    let err = w.err.lock().unwrap();
    let l = err.iter().find(|l| l.contains(&prefix)).unwrap();
    l.split(&prefix).nth(1).unwrap().trim().to_string()
}

#[test]
fn syslog_over_udp_and_tcp_with_both_framings() {
    let w = Watch::start(&[
        "--output",
        "ndjson",
        "--emit-events",
        "--listen",
        "udp://127.0.0.1:0",
        "--listen",
        "tcp://127.0.0.1:0",
        "--stats",
        "0.2",
    ]);
    let udp_addr = listening_on(&w, "udp");
    let tcp_addr = listening_on(&w, "tcp");
    // Current stamps: a stamp-less line (the junk below) is placed at the
    // current time, and event time should not jump around.
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
    let stamp = now.strftime("%b %e %H:%M:%S").to_string();
    let failed = |i: u32| {
        format!(
            "<38>{stamp} web2 sshd[{}]: Failed password for root from 198.51.100.77 port {} ssh2",
            3000 + i,
            40000 + i
        )
    };
    // RFC 3164 over UDP.
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..4 {
        udp.send_to(failed(i).as_bytes(), &udp_addr).unwrap();
    }
    // (Event time: each group waits for the one before, so that the
    // stamps arrive in order.)
    wait_until("the UDP frames", LIMIT, || w.events().len() >= 4);
    // RFC 5424 over TCP, newline framing, plus garbage.
    let mut tcp = TcpStream::connect(&tcp_addr).unwrap();
    let m5424 = format!(
        "<38>1 {} web2 sshd 4001 - - Failed password for root from 198.51.100.77 port 41000 ssh2",
        now.strftime("%Y-%m-%dT%H:%M:%SZ")
    );
    tcp.write_all(format!("{m5424}\n").as_bytes()).unwrap();
    tcp.write_all(b"\x00\x01\x02 binary junk \xff\xfe\n")
        .unwrap();
    tcp.write_all(&failed(10).into_bytes()).unwrap();
    tcp.write_all(b"\n").unwrap();
    wait_until("the newline frames", LIMIT, || w.events().len() >= 7);
    // Octet counting on another connection, with an oversize frame.
    let mut tcp2 = TcpStream::connect(&tcp_addr).unwrap();
    for i in 20..24 {
        let m = failed(i);
        tcp2.write_all(format!("{} {m}", m.len()).as_bytes())
            .unwrap();
    }
    tcp2.write_all(b"99999999 ").unwrap();
    tcp2.write_all(&vec![b'x'; 1000]).unwrap();
    drop(tcp2);
    drop(tcp);
    wait_until("every frame", LIMIT, || w.events().len() >= 11);
    wait_until("the malformed frame", LIMIT, || {
        w.stderr_has(" 1 malformed")
    });
    let (code, out, err) = w.stop();
    assert_eq!(code, Some(0), "{err:?}");
    let events = events_of(&out);
    assert_eq!(events.len(), 11, "{out:?}");
    let formats: Vec<&str> = events
        .iter()
        .map(|e| e["log"]["format"].as_str().unwrap())
        .collect();
    assert_eq!(
        formats.iter().filter(|f| **f == "syslog_rfc3164").count(),
        9,
        "{formats:?}"
    );
    assert_eq!(
        formats.iter().filter(|f| **f == "syslog_rfc5424").count(),
        1,
        "{formats:?}"
    );
    for e in &events {
        let addr = e["log"]["source"]["address"].as_str().unwrap();
        assert!(addr.starts_with("127.0.0.1:"), "{e}");
    }
    let failures = events
        .iter()
        .filter(|e| e["event"]["outcome"] == "failure" && e["source"]["ip"] == "198.51.100.77")
        .count();
    assert_eq!(failures, 10);
    // Ten failed logins from one address: a brute-force alert.
    let alerts = final_alerts(&out);
    assert!(
        alerts
            .iter()
            .any(|a| a["source"]["ip"] == "198.51.100.77" && a["rule"]["category"] == "brute_force"),
        "{out:#?}\n{err:#?}"
    );
    // The oversize frame was counted as malformed.
    assert!(err.iter().any(|l| l.contains("1 malformed")), "{err:?}");
}

#[test]
fn paths_outside_the_allow_list_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let allowed = root.path().join("allowed");
    let outside = root.path().join("outside");
    fs::create_dir_all(&allowed).unwrap();
    fs::create_dir_all(&outside).unwrap();
    append(&outside.join("x.log"), "x\n");
    std::os::unix::fs::symlink(outside.join("x.log"), allowed.join("link.log")).unwrap();
    let allow = allowed.display().to_string();
    let refused = |args: &[&str]| {
        let mut all = vec!["watch", "--allow-dir", &allow];
        all.extend_from_slice(args);
        let r = run(&all);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("outside the allowed directories"),
            "{}",
            r.stderr
        );
    };
    // A glob outside.
    refused(&[&format!("{}/*.log", outside.display())]);
    // `..` out of an allowed directory.
    refused(&[&format!("{}/../outside/*.log", allowed.display())]);
    // Strict paths: even a named file, through a symlink or `..`.
    refused(&[
        "--strict-paths",
        &allowed.join("link.log").display().to_string(),
    ]);
    refused(&[
        "--strict-paths",
        &format!("{}/../outside/x.log", allowed.display()),
    ]);
    // Config-listed paths are always checked.
    let cfg = root.path().join("c.toml");
    fs::write(
        &cfg,
        format!("[watch]\npaths = [\"{}/x.log\"]\n", outside.display()),
    )
    .unwrap();
    refused(&["--config", &cfg.display().to_string()]);
    // A listener on a public address needs --allow-remote.
    let r = run(&["watch", "--listen", "udp://0.0.0.0:0"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("--allow-remote"), "{}", r.stderr);
}

#[test]
fn a_file_read_from_its_end_knows_its_format_and_iis_fields() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("u_ex240115.log");
    fs::copy(example("iis.log"), &log).unwrap();
    let log_s = log.display().to_string();
    let w = Watch::start(&["--output", "ndjson", "--emit-events", &log_s]);
    wait_until("startup", LIMIT, || w.stderr_has("following"));
    // A line in the layout of the last `#Fields:` directive, written
    // before watch started.
    append(
        &log,
        "2024-01-15 10:32:00 198.51.100.24 GET /admin/login.php 404\n",
    );
    wait_until("the new line", LIMIT, || !w.events().is_empty());
    let (code, out, _) = w.stop();
    assert_eq!(code, Some(0));
    let events = events_of(&out);
    assert_eq!(events.len(), 1, "only the new line: {out:?}");
    let e = &events[0];
    assert_eq!(e["log"]["format"], "iis_w3c", "{e}");
    assert_eq!(e["url"]["original"], "/admin/login.php");
    assert_eq!(e["http"]["response"]["status_code"], 404);
    assert_eq!(
        e["log"]["file"]["line"], 9,
        "line numbers count the lines skipped"
    );
}
