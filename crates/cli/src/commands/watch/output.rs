//! What `watch` prints: an alert when it opens and again, with its final
//! counts, when it closes (its suppression window passed, or shutdown);
//! as human lines (coloured on a terminal) or NDJSON (the alert contract
//! plus `event.type`: `["start"]` / `["end"]`). With `--emit-events`, every
//! processed event too (ECS JSON, `event.kind` absent, `log.offset` set).
//!
//! The output is a standard output or an appended file. For a file, the
//! length at each checkpoint commit is stored with the checkpoints (key
//! `output:<path>`), and on start a longer file (output written after the
//! last commit, before a crash) is cut back to it: the lines processed
//! again after the restart then appear once.

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use logsentinel_detect::alert::Alert;
use serde_json::{Value, json};

use crate::cli::WatchOutput;
use crate::text::for_terminal;

/// Where and how alerts are written.
pub struct Output {
    w: Box<dyn Write>,
    file: Option<(PathBuf, File)>,
    style: WatchOutput,
    color: bool,
    min_score: u8,
    /// Alerts written (open + close lines).
    pub alerts_written: u64,
}

/// Opening or closing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Open,
    Close,
}

impl Output {
    /// Standard output, or `path` appended to. `committed` is the stored
    /// `dev:ino:len` of the file at the last commit (see the module doc).
    pub fn new(
        style: WatchOutput,
        min_score: u8,
        path: Option<&Path>,
        committed: Option<&str>,
    ) -> anyhow::Result<Output> {
        match path {
            None => {
                let color = io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                Ok(Output {
                    w: Box::new(io::BufWriter::with_capacity(64 * 1024, io::stdout())),
                    file: None,
                    style,
                    color,
                    min_score,
                    alerts_written: 0,
                })
            }
            Some(p) => {
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .with_context(|| format!("--output-file: cannot open '{}'", p.display()))?;
                if let Some(c) = committed {
                    cut_back(&file, c).with_context(|| {
                        format!("--output-file: cannot cut back '{}'", p.display())
                    })?;
                }
                let handle = file.try_clone()?;
                Ok(Output {
                    w: Box::new(io::BufWriter::with_capacity(64 * 1024, file)),
                    file: Some((p.to_path_buf(), handle)),
                    style,
                    color: false,
                    min_score,
                    alerts_written: 0,
                })
            }
        }
    }

    /// The `watch_meta` key for an output file.
    pub fn meta_key(path: &Path) -> String {
        let abs = logsentinel_ingest::allow::resolve(path).unwrap_or_else(|_| path.to_path_buf());
        format!("output:{}", abs.display())
    }

    /// The output file's `(key, dev:ino:len)` after a flush, to commit.
    pub fn committed(&self) -> Option<(String, String)> {
        let (path, file) = self.file.as_ref()?;
        let m = file.metadata().ok()?;
        Some((
            Output::meta_key(path),
            format!("{}:{}:{}", m.dev(), m.ino(), m.len()),
        ))
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }

    pub fn event(&mut self, json_line: &[u8]) -> io::Result<()> {
        self.w.write_all(json_line)
    }

    pub fn alert(&mut self, a: &Alert, phase: Phase) -> io::Result<()> {
        if a.risk_score < self.min_score {
            return Ok(());
        }
        self.alerts_written += 1;
        match self.style {
            WatchOutput::Ndjson => {
                let v = alert_json(a, phase);
                serde_json::to_writer(&mut self.w, &v).map_err(io::Error::other)?;
                self.w.write_all(b"\n")
            }
            WatchOutput::Human => {
                let line = human_line(a, phase, self.color);
                self.w.write_all(line.as_bytes())?;
                self.w.write_all(b"\n")
            }
        }
    }
}

/// The alert contract plus `event.type`.
pub fn alert_json(a: &Alert, phase: Phase) -> Value {
    let mut v = a.to_json();
    if let Some(ev) = v.get_mut("event").and_then(Value::as_object_mut) {
        let t = match phase {
            Phase::Open => "start",
            Phase::Close => "end",
        };
        ev.insert("type".into(), json!([t]));
    }
    v
}

/// `OPEN  CRITICAL 86 SSH brute force from 203.0.113.7 against root (5 events)  first=.. [T1110.001] rule=..`
fn human_line(a: &Alert, phase: Phase, color: bool) -> String {
    let sev = a.severity.as_str().to_ascii_uppercase();
    let sev = if color {
        let code = match a.severity.as_str() {
            "critical" => "1;31",
            "high" => "31",
            "medium" => "33",
            _ => "36",
        };
        format!("\x1b[{code}m{sev:<8}\x1b[0m")
    } else {
        format!("{sev:<8}")
    };
    let what = match phase {
        Phase::Open => "OPEN ",
        Phase::Close => "CLOSE",
    };
    let techniques: Vec<&str> = a.techniques.iter().map(|(id, _)| id.as_str()).collect();
    let mut line = format!(
        "{what} {sev} {:>3}  {}  first={} last={}",
        a.risk_score,
        for_terminal(&a.summary(), 200),
        a.first_seen,
        a.last_seen,
    );
    if !techniques.is_empty() {
        line.push_str(&format!(" [{}]", techniques.join(",")));
    }
    line.push_str(&format!(" rule={}", for_terminal(&a.rule_name, 80)));
    if let Some(id) = &a.incident_id {
        line.push_str(&format!(" incident={}", for_terminal(id, 40)));
    }
    if phase == Phase::Open
        && let Some(e) = a.evidence.first()
    {
        let loc = match (&e.file, e.line) {
            (Some(f), Some(l)) => format!("{}:{l}", for_terminal(f, 80)),
            (None, Some(l)) => format!("-:{l}"),
            _ => String::new(),
        };
        line.push_str(&format!("\n      {loc} {}", for_terminal(&e.message, 160)));
    }
    line
}

/// Truncates `file` to the committed length when it is the same file and
/// longer (output written after the last commit).
fn cut_back(file: &File, committed: &str) -> io::Result<()> {
    let mut parts = committed.split(':').map(|p| p.parse::<u64>().ok());
    let (Some(Some(dev)), Some(Some(ino)), Some(Some(len))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Ok(());
    };
    let m = file.metadata()?;
    if m.dev() == dev && m.ino() == ino && m.len() > len {
        file.set_len(len)?;
    }
    Ok(())
}
