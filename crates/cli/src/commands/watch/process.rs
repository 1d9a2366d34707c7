//! Lines to events to alerts, for every stream (a followed file, standard
//! input, a syslog listener), through the same detection engine as
//! `analyze`, in event time.
//!
//! Each stream detects its own format (core's `detect_format` on its first
//! lines, again as the sample grows up to `SAMPLE_LINES`, since a live file
//! may start with one line) and keeps its own `FormatState` (IIS
//! directives).

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use logsentinel_core::detect::SAMPLE_LINES;
use logsentinel_core::{Format, FormatState, LineParser, ParseCtx, Timestamp, Zone, detect_format};
use logsentinel_detect::alert::Alert;
use logsentinel_detect::engine::Engine;
use logsentinel_detect::incident::live::Tracker;
use logsentinel_ingest::decode_line;
use logsentinel_ingest::tail::{FileKey, TailBatch};
use logsentinel_notify::message::{AlertNote, IncidentRef};
use logsentinel_notify::notifier::Notifier;
use serde_json::Value;

use super::output::{Output, Phase};
use crate::input::reference_time;

/// A source of lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamId {
    File(FileKey),
    Stdin,
    Syslog(usize),
}

struct Stream {
    parser: LineParser,
    state: FormatState,
    sample: Vec<String>,
    /// When the parser's reference time was set (refreshed hourly, for
    /// year-less stamps across New Year).
    since: Instant,
}

/// Counts for the status line.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub lines: u64,
    pub events: u64,
    pub alerts_opened: u64,
    pub alerts_closed: u64,
    /// Syslog frames whose format was not syslog (still processed).
    pub not_syslog: u64,
}

/// Where a line came from, for the event.
pub struct Origin<'a> {
    pub path: Option<&'a str>,
    pub line: Option<u64>,
    pub offset: Option<u64>,
    pub peer: Option<SocketAddr>,
}

pub struct Processor {
    pub engine: Engine,
    pub out: Output,
    forced: Option<Format>,
    zone: Zone,
    streams: HashMap<StreamId, Stream>,
    emit_events: bool,
    pub counts: Counts,
    /// Latest event time seen.
    pub last_event: Option<Timestamp>,
    /// When the last line arrived (wall clock).
    pub last_activity: Instant,
    /// Event time already advanced to while idle.
    idle_advanced: Option<Timestamp>,
    scratch: Vec<u8>,
    /// First output error (the run stops on it).
    pub failed: Option<io::Error>,
    /// Links alerts into incidents as they open.
    tracker: Tracker,
    /// Incident of each open alert that has one (alert id → incident id),
    /// so that its closing line names it too.
    incident_of: HashMap<String, String>,
    /// Ids of the alerts open now.
    open_alerts: HashSet<String>,
    /// Email / webhook notifications of alerts as they open.
    pub notifier: Option<Notifier>,
}

const REFRESH_REFERENCE: Duration = Duration::from_secs(3600);

/// How much of a file's start is read for detection when reading starts
/// mid-file.
const HEAD_FOR_DETECTION: u64 = 64 * 1024;

/// The first `len` bytes of `path`, up to the last newline (empty on error).
fn read_head(path: &std::path::Path, len: u64) -> Vec<u8> {
    use std::io::Read;
    let mut buf = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(len).read_to_end(&mut buf);
    }
    let keep = memchr_last_newline(&buf);
    buf.truncate(keep);
    buf
}

fn memchr_last_newline(b: &[u8]) -> usize {
    b.iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1)
}

impl Processor {
    pub fn new(
        engine: Engine,
        out: Output,
        forced: Option<Format>,
        zone: Zone,
        emit_events: bool,
    ) -> Processor {
        let incident_window = engine.incident_window();
        Processor {
            engine,
            out,
            forced,
            zone,
            streams: HashMap::new(),
            emit_events,
            counts: Counts::default(),
            last_event: None,
            last_activity: Instant::now(),
            idle_advanced: None,
            scratch: Vec::new(),
            failed: None,
            tracker: Tracker::new(incident_window),
            incident_of: HashMap::new(),
            open_alerts: HashSet::new(),
            notifier: None,
        }
    }

    fn stream(&mut self, id: StreamId, lines: &mut dyn Iterator<Item = &[u8]>) -> &mut Stream {
        let now = Instant::now();
        let forced = self.forced;
        let zone = self.zone.clone();
        let s = self.streams.entry(id).or_insert_with(|| {
            let ctx = ParseCtx::new(zone.clone(), reference_time(None));
            Stream {
                parser: match forced {
                    Some(f) => LineParser::forced(f, ctx),
                    None => LineParser::auto(Format::Heuristic, ctx),
                },
                state: FormatState::default(),
                sample: Vec::new(),
                since: now,
            }
        });
        let refresh = now.saturating_duration_since(s.since) >= REFRESH_REFERENCE;
        if forced.is_none() && s.sample.len() < SAMPLE_LINES {
            let before = s.sample.len();
            for l in lines.take(SAMPLE_LINES - before) {
                s.sample.push(String::from_utf8_lossy(l).into_owned());
            }
            if s.sample.len() > before || refresh {
                let ctx = ParseCtx::new(zone.clone(), reference_time(None));
                let d = detect_format(&s.sample, &ctx);
                s.parser = LineParser::auto(d.format, ctx);
                s.since = now;
            }
        } else if refresh {
            let ctx = ParseCtx::new(zone, reference_time(None));
            s.parser = match forced {
                Some(f) => LineParser::forced(f, ctx),
                None => LineParser::auto(s.parser.primary(), ctx),
            };
            s.since = now;
        }
        s
    }

    /// Processes the lines of a followed file.
    pub fn file_batch(&mut self, b: &TailBatch<'_>) {
        let id = StreamId::File(b.file);
        let resumed = b.lines.first().map_or(0, |l| l.offset);
        if resumed > 0 && !self.streams.contains_key(&id) {
            // Reading starts mid-file (a checkpoint, or from the end): the
            // file's first lines detect its format, and its directives
            // (IIS `#Fields:`) are in force.
            let head = read_head(b.path, resumed.min(HEAD_FOR_DETECTION));
            let head_lines = || {
                head.split(|&c| c == b'\n')
                    .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                    .filter(|l| !l.is_empty())
            };
            self.stream(id, &mut head_lines());
            if let Some(s) = self.streams.get_mut(&id) {
                for l in head_lines().filter(|l| l.first() == Some(&b'#')) {
                    s.state.observe(&String::from_utf8_lossy(l));
                }
            }
        }
        let mut sample = b.lines.iter().map(|l| b.bytes(l));
        self.stream(id, &mut sample);
        for l in b.lines {
            let origin = Origin {
                path: Some(b.name),
                line: Some(l.number),
                offset: Some(l.offset),
                peer: None,
            };
            self.line(id, b.bytes(l), l.truncated, &origin);
        }
        self.after_batch();
    }

    /// Processes lines from standard input.
    pub fn stdin_batch(&mut self, b: &logsentinel_ingest::LineBatch) {
        let mut sample = b.iter().map(|(_, l, _)| l);
        self.stream(StreamId::Stdin, &mut sample);
        for (n, bytes, truncated) in b.iter() {
            let origin = Origin {
                path: None,
                line: Some(n),
                offset: None,
                peer: None,
            };
            self.line(StreamId::Stdin, bytes, truncated, &origin);
        }
        self.after_batch();
    }

    /// Processes syslog frames from listener `idx`.
    pub fn syslog_batch(&mut self, idx: usize, b: &logsentinel_ingest::syslog::FrameBatch) {
        let id = StreamId::Syslog(idx);
        let mut sample = b.iter().map(|(bytes, _)| bytes);
        self.stream(id, &mut sample);
        for (bytes, peer) in b.iter() {
            let origin = Origin {
                path: None,
                line: None,
                offset: None,
                peer: Some(peer),
            };
            self.line(id, bytes, false, &origin);
        }
        self.after_batch();
    }

    fn line(&mut self, id: StreamId, bytes: &[u8], truncated: bool, origin: &Origin<'_>) {
        self.counts.lines += 1;
        let Some(s) = self.streams.get_mut(&id) else {
            return;
        };
        let (text, flags) = decode_line(bytes, truncated);
        if text.trim().is_empty() {
            return;
        }
        s.state.observe(&text);
        let mut ev = s.parser.parse(&text, &s.state);
        ev.flags.insert(flags);
        ev.file_line = origin.line;
        if let Some(p) = origin.path {
            ev.file_path = Some(p.into());
        }
        if let Some(peer) = origin.peer {
            ev.extra
                .push(("log.source.address".into(), Value::String(peer.to_string())));
            if !matches!(ev.format, Format::SyslogRfc3164 | Format::SyslogRfc5424) {
                self.counts.not_syslog += 1;
            }
        }
        if self.emit_events
            && let Some(o) = origin.offset
        {
            ev.extra.push(("log.offset".into(), Value::from(o)));
        }
        self.counts.events += 1;
        if self.last_event.is_none_or(|t| ev.timestamp > t) {
            self.last_event = Some(ev.timestamp);
        }
        self.engine.process(&ev);
        if self.emit_events {
            self.scratch.clear();
            logsentinel_core::ecs_json::write_event(&ev, &mut self.scratch);
            if let Err(e) = self.out.event(&self.scratch) {
                self.failed.get_or_insert(e);
            }
        }
    }

    fn after_batch(&mut self) {
        self.last_activity = Instant::now();
        self.idle_advanced = None;
        self.publish();
    }

    /// Prints alerts that opened and alerts that closed.
    pub fn publish(&mut self) {
        for mut a in self.engine.take_new_alerts() {
            self.counts.alerts_opened += 1;
            self.open_alerts.insert(a.id.clone());
            let incident = self.tracker.observe(&a);
            if let Some(inc) = &incident {
                a.incident_id = Some(inc.id.clone());
                self.incident_of.insert(a.id.clone(), inc.id.clone());
                // Alerts that opened alone and are linked now: their
                // closing lines name the incident. (A closed one has
                // already been printed without it.)
                for id in &inc.newly_linked {
                    if let Some(v) = self.incident_of.get_mut(id) {
                        v.clone_from(&inc.id);
                    } else if self.open_alerts.contains(id) {
                        self.incident_of.insert(id.clone(), inc.id.clone());
                    }
                }
            }
            if let Err(e) = self.out.alert(&a, Phase::Open) {
                self.failed.get_or_insert(e);
            }
            // Queued durably before the lines' offsets are committed: an
            // alert is never lost between detection and delivery.
            if let Some(n) = &self.notifier {
                let inc = incident.map(|i| IncidentRef {
                    chain: i.chain(),
                    id: i.id,
                    risk_score: i.risk_score,
                    severity: i.severity.as_str().to_string(),
                    alerts: i.alerts,
                });
                if let Err(e) = n.submit(AlertNote::from_alert(&a, inc)) {
                    self.failed
                        .get_or_insert(io::Error::other(format!("notification queue: {e}")));
                }
            }
        }
        for a in self.engine.take_closed_alerts() {
            self.close(a);
        }
    }

    /// Prints an alert's final counts (with its incident, if any).
    pub fn close(&mut self, mut a: Alert) {
        self.counts.alerts_closed += 1;
        self.open_alerts.remove(&a.id);
        a.incident_id = self.incident_of.remove(&a.id);
        if let Err(e) = self.out.alert(&a, Phase::Close) {
            self.failed.get_or_insert(e);
        }
    }

    /// When no line came for `idle`, lets event time run on with the wall
    /// clock from the last event seen, so that alerts whose windows have
    /// passed close (and print their final counts) on a quiet stream.
    pub fn idle_tick(&mut self, now: Instant, idle: Duration) {
        let quiet = now.saturating_duration_since(self.last_activity);
        let Some(last) = self.last_event else { return };
        if quiet < idle {
            return;
        }
        let to = Timestamp::from_millis(last.as_millis().saturating_add(quiet.as_millis() as i64));
        if self.idle_advanced.is_none_or(|t| to > t) {
            self.engine.advance_to(to);
            self.idle_advanced = Some(to);
            self.publish();
        }
    }
}
