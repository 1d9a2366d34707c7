//! The tailer on real files, one behaviour at a time, with the clock
//! passed in (the model test in `model_tests` mixes them at random).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use super::*;

#[derive(Default)]
struct Got {
    lines: Vec<(String, u64, bool)>,
    refused: Vec<String>,
    truncated: usize,
}

impl TailSink for Got {
    fn lines(&mut self, b: &TailBatch<'_>) {
        for l in b.lines {
            self.lines.push((
                String::from_utf8_lossy(b.bytes(l)).into_owned(),
                l.number,
                l.truncated,
            ));
        }
    }

    fn notice(&mut self, n: Notice<'_>) {
        match n {
            Notice::Refused { path, .. } => self.refused.push(path.display().to_string()),
            Notice::Truncated { .. } => self.truncated += 1,
            _ => {}
        }
    }
}

impl Got {
    fn texts(&self) -> Vec<&str> {
        self.lines.iter().map(|l| l.0.as_str()).collect()
    }
}

fn append(path: &Path, s: &[u8]) {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(s)
        .unwrap();
}

fn config(start_at: StartAt) -> TailConfig {
    TailConfig {
        start_at,
        poll_interval: Duration::ZERO,
        partial_flush: Some(Duration::from_secs(1)),
        rotate_wait: Duration::from_secs(1),
        max_line: 32,
        read_budget: 1 << 20,
    }
}

fn tailer(spec: &str, checked: bool, start_at: StartAt, allow: AllowList) -> Tailer {
    let w = WatchPath {
        checked,
        ..WatchPath::new(spec, checked)
    };
    Tailer::new(config(start_at), vec![w], allow, None).unwrap()
}

#[test]
fn from_end_skips_what_is_there_and_keeps_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    append(&p, b"one\ntwo\nunfinished");
    let mut t = tailer(
        &p.display().to_string(),
        false,
        StartAt::End,
        AllowList::default(),
    );
    let mut got = Got::default();
    let now = Instant::now();
    t.poll(now, &mut got);
    assert!(got.lines.is_empty());
    append(&p, b" now\nfour\n");
    t.poll(now, &mut got);
    // The unfinished line was not skipped: it is read once complete.
    assert_eq!(
        got.lines,
        vec![
            ("unfinished now".into(), 3, false),
            ("four".into(), 4, false)
        ]
    );
}

#[test]
fn late_files_under_a_glob_and_refusals() {
    let root = tempfile::tempdir().unwrap();
    let logs = root.path().join("logs");
    let outside = root.path().join("outside");
    fs::create_dir_all(&logs).unwrap();
    fs::create_dir_all(&outside).unwrap();
    append(&outside.join("s.log"), b"secret\n");
    let allow = AllowList::new(std::slice::from_ref(&logs));
    let pattern = format!("{}/*.log", logs.display());
    let mut t = tailer(&pattern, true, StartAt::Beginning, allow);
    let mut got = Got::default();
    let now = Instant::now();
    t.poll(now, &mut got);
    append(&logs.join("late.log"), b"late line\n");
    std::os::unix::fs::symlink(outside.join("s.log"), logs.join("link.log")).unwrap();
    t.poll(now, &mut got);
    t.poll(now, &mut got);
    assert_eq!(got.texts(), vec!["late line"]);
    assert_eq!(got.refused.len(), 1, "refused once: {:?}", got.refused);
    assert!(got.refused[0].ends_with("link.log"));
}

#[test]
fn partial_lines_wait_then_flush_after_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    let mut t = tailer(
        &p.display().to_string(),
        false,
        StartAt::Beginning,
        AllowList::default(),
    );
    let mut got = Got::default();
    let t0 = Instant::now();
    append(&p, b"half");
    t.poll(t0, &mut got);
    t.poll(t0 + Duration::from_millis(900), &mut got);
    assert!(got.lines.is_empty());
    t.poll(t0 + Duration::from_millis(1100), &mut got);
    assert_eq!(got.texts(), vec!["half"]);
    // What follows is a line of its own.
    append(&p, b" rest\n");
    t.poll(t0 + Duration::from_millis(1200), &mut got);
    assert_eq!(got.texts(), vec!["half", " rest"]);
}

#[test]
fn long_lines_are_cut_and_their_rest_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    let mut t = tailer(
        &p.display().to_string(),
        false,
        StartAt::Beginning,
        AllowList::default(),
    );
    let mut got = Got::default();
    let now = Instant::now();
    append(&p, &[b'x'; 100]);
    t.poll(now, &mut got);
    append(&p, &[b'y'; 100]);
    append(&p, b"\nshort\r\n");
    t.poll(now, &mut got);
    assert_eq!(got.lines.len(), 2, "{:?}", got.lines);
    assert_eq!(got.lines[0].0, "x".repeat(32));
    assert!(got.lines[0].2);
    assert_eq!(got.lines[1], ("short".into(), 2, false));
}

#[test]
fn a_truncated_file_that_grew_back_is_read_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    let mut t = tailer(
        &p.display().to_string(),
        false,
        StartAt::Beginning,
        AllowList::default(),
    );
    let mut got = Got::default();
    let now = Instant::now();
    append(&p, b"first generation line\n");
    t.poll(now, &mut got);
    // Truncated and written past the old offset before the next look:
    // only the changed first bytes tell.
    fs::write(&p, b"second generation x line\n").unwrap();
    t.poll(now, &mut got);
    assert_eq!(got.truncated, 1);
    assert_eq!(
        got.texts(),
        vec!["first generation line", "second generation x line"]
    );
}

#[test]
fn checkpoints_resume_across_tailers() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    let state = dir.path().join("state");
    let spec = p.display().to_string();
    let open = || {
        let store = CheckpointStore::open(&state).unwrap();
        Tailer::new(
            config(StartAt::End),
            vec![WatchPath::new(&spec, false)],
            AllowList::default(),
            Some(store),
        )
        .unwrap()
    };
    append(&p, b"old\n");
    let now = Instant::now();
    let mut got = Got::default();
    {
        let mut t = open();
        t.poll(now, &mut got);
        append(&p, b"a\nb\n");
        t.poll(now, &mut got);
        t.commit(&[]).unwrap();
    }
    append(&p, b"c\n");
    let mut t = open();
    t.poll(now, &mut got);
    assert_eq!(got.texts(), vec!["a", "b", "c"]);
    assert_eq!(got.lines[2].1, 4, "line numbers carry over");
}
