//! `logsentinel watch`: follow files (like `tail -F`), standard input and
//! syslog listeners; run every line through the detection engine as it
//! arrives; print alerts as they open and when they close.
//!
//! One thread does the work (reading files, parsing, detection, output,
//! checkpoints), so ordering is simple: lines are processed, their output
//! flushed, then their offsets committed. Helper threads only wake it:
//! file-system notifications, syslog servers (frames in bounded batches),
//! standard input, signals.
//!
//! Delivery: a line's offset is committed after its output was flushed,
//! so a crash (even `kill -9`) never loses a line. Lines processed after
//! the last commit are processed again after a restart: with standard
//! output they may print twice (at least once; each event carries
//! `log.file.path` + `log.offset` to drop duplicates by); with
//! `--output-file` and `--state-dir` the file is cut back to its committed
//! length on start, so every line's output appears exactly once. A clean
//! stop (SIGINT, SIGTERM, end of standard input) finishes the lines
//! already written, prints the final counts of open alerts, commits and
//! exits 0. Detection state (windows, open alerts) is not checkpointed: a
//! restart starts it afresh.
//!
//! Alerts: printed when they open (`event.type: ["start"]`) and when they
//! close, with final counts (`["end"]`): when their suppression window has
//! passed in event time, or at shutdown. On a quiet stream event time runs
//! on with the wall clock after `IDLE` without input, so alerts still close.

mod output;
mod process;

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::mpsc::{RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use logsentinel_core::Format;
use logsentinel_detect::engine::Engine;
use logsentinel_ingest::allow::AllowList;
use logsentinel_ingest::syslog::{
    self, FrameBatch, Shutdown, SyslogConfig, SyslogCounters, Transport,
};
use logsentinel_ingest::tail::checkpoint::CheckpointStore;
use logsentinel_ingest::tail::waker::{Wake, Waker};
use logsentinel_ingest::tail::{
    Notice, OpenReason, StartAt, TailBatch, TailConfig, TailSink, Tailer, WatchPath,
};
use logsentinel_ingest::{LineBatch, LineReader};

use crate::cli::WatchArgs;
use crate::config::Config;
use crate::rules_load::rules_and_config;
use crate::tz;
use logsentinel_detect::loader::RuleSet;
use logsentinel_notify::config::NotifyConfig;
use logsentinel_notify::notifier::{DeliveryReport, Notifier};
use output::Output;
use process::Processor;

/// Without input this long, event time follows the wall clock.
const IDLE: Duration = Duration::from_secs(10);

enum Msg {
    /// A file-system notification (coalesced: see `WAKE_*`).
    Wake,
    Syslog(usize, FrameBatch),
    Stdin(LineBatch),
    StdinEnd,
    Signal(i32),
}

const WAKE_DATA: u8 = 1;
const WAKE_LAYOUT: u8 = 2;

pub fn run(args: &WatchArgs) -> anyhow::Result<u8> {
    let (rules, config) = rules_and_config(&args.rules)?;
    run_with(args, rules, &config)
}

/// `run` with rules and configuration already loaded (the `demo` command
/// builds its own).
pub fn run_with(args: &WatchArgs, rules: Arc<RuleSet>, config: &Config) -> anyhow::Result<u8> {
    let wc = &config.watch;
    let forced = if args.format.eq_ignore_ascii_case("auto") {
        None
    } else {
        Some(Format::from_name(&args.format).with_context(|| {
            format!(
                "--format: unknown format '{}' (see `logsentinel formats`)",
                args.format
            )
        })?)
    };
    let zone = tz::resolve(&args.tz)?;
    let strict = args.strict_paths || wc.strict_paths;

    // The allow-list and what to follow.
    let mut dirs = AllowList::default_dirs();
    dirs.extend(wc.allow_dirs.iter().cloned());
    dirs.extend(args.allow_dirs.iter().cloned());
    let allow = AllowList::new(&dirs);
    let mut stdin = false;
    let mut watches: Vec<WatchPath> = Vec::new();
    for p in &args.paths {
        if p == "-" {
            stdin = true;
            continue;
        }
        let w = WatchPath::new(p, strict);
        let w = WatchPath {
            checked: strict || w.glob,
            ..w
        };
        check_allowed(&allow, &w)?;
        watches.push(w);
    }
    for p in &wc.paths {
        let w = WatchPath::new(p, true);
        check_allowed(&allow, &w)?;
        watches.push(w);
    }
    for w in &watches {
        if !w.glob && !std::path::Path::new(&w.spec).exists() {
            notice(
                args,
                &format!("'{}' does not exist yet: waiting for it", w.spec),
            );
        }
    }
    let mut listens = Vec::new();
    for l in args.listen.iter().chain(&wc.listen) {
        listens.push(
            syslog::parse_listen(l, args.allow_remote)
                .map_err(|e| anyhow::anyhow!("--listen: {e}"))?,
        );
    }
    if watches.is_empty() && !stdin && listens.is_empty() {
        bail!("nothing to watch: give files or globs, `-` for standard input, or --listen");
    }

    // State and output.
    let state_dir = args.state_dir.clone().or_else(|| wc.state_dir.clone());
    let store = match &state_dir {
        Some(d) => Some(CheckpointStore::open(d).map_err(|e| anyhow::anyhow!("--state-dir: {e}"))?),
        None => None,
    };
    let committed_out = match (&store, &args.output_file) {
        (Some(s), Some(p)) => s
            .meta(&Output::meta_key(p))
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        _ => None,
    };
    let out = Output::new(
        args.output,
        args.min_severity.min_score(),
        args.output_file.as_deref(),
        committed_out.as_deref(),
    )?;
    let engine = Engine::new(rules, &config.detection).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut proc = Processor::new(engine, out, forced, zone, args.emit_events);
    // Held while running: the queue's directory lock when it is not the
    // state directory (whose checkpoint store holds it).
    let mut _queue_lock = None;
    if config.notify.is_enabled() {
        let (n, lock) = start_notifier(args, &config.notify, state_dir.as_deref())?;
        proc.notifier = Some(n);
        _queue_lock = lock;
    }

    let tail_config = TailConfig {
        start_at: if args.from_beginning {
            StartAt::Beginning
        } else {
            StartAt::End
        },
        poll_interval: Duration::from_millis(args.poll_interval.max(1)),
        partial_flush: Some(Duration::from_millis(args.partial_flush)),
        rotate_wait: Duration::from_millis(args.rotate_wait),
        max_line: args.max_line_bytes,
        ..TailConfig::default()
    };
    let wake_dirs: Vec<(PathBuf, bool)> = watches
        .iter()
        .map(WatchPath::dir)
        .filter(|(d, _)| d.is_dir())
        .collect();
    let mut tailer = if watches.is_empty() && store.is_none() {
        None
    } else {
        Some(Tailer::new(tail_config, watches, allow, store).map_err(|e| anyhow::anyhow!("{e}"))?)
    };

    // Record the output file's length now, so that a crash before the
    // first commit is cut back too.
    if let Some(t) = tailer.as_mut() {
        let meta: Vec<(String, String)> = proc.out.committed().into_iter().collect();
        t.commit(&meta).map_err(|e| anyhow::anyhow!("{e}"))?;
    }

    // Helper threads.
    let (tx, rx) = sync_channel::<Msg>(256);
    let wake_flags = Arc::new(AtomicU8::new(0));
    let _waker = if wake_dirs.is_empty() {
        None
    } else {
        let (tx, flags) = (tx.clone(), Arc::clone(&wake_flags));
        match Waker::start(&wake_dirs, move |w| {
            let bit = match w {
                Wake::Data => WAKE_DATA,
                Wake::Layout => WAKE_LAYOUT,
            };
            if flags.fetch_or(bit, Ordering::SeqCst) == 0 {
                // Full channel: the main loop is busy and will poll anyway.
                let _ = tx.try_send(Msg::Wake);
            }
        }) {
            Ok(w) => {
                for (d, e) in &w.failed {
                    notice(
                        args,
                        &format!(
                            "cannot watch '{}' for events ({e}); polling it",
                            d.display()
                        ),
                    );
                }
                Some(w)
            }
            Err(e) => {
                notice(args, &format!("no file-system events ({e}); polling"));
                None
            }
        }
    };
    let shutting_down = Arc::new(AtomicBool::new(false));
    spawn_signals(tx.clone(), Arc::clone(&shutting_down))?;
    let syslog_shutdown = Shutdown::new();
    let syslog_counters = Arc::new(SyslogCounters::default());
    let mut servers = Vec::new();
    for (i, l) in listens.iter().enumerate() {
        let tx = tx.clone();
        let sink = move |b: FrameBatch| tx.send(Msg::Syslog(i, b)).is_ok();
        let config = SyslogConfig {
            max_frame: args.max_line_bytes,
            ..SyslogConfig::default()
        };
        let spec = format!("{}://{}", l.transport.as_str(), l.addr);
        let h = match l.transport {
            Transport::Udp => {
                let s = std::net::UdpSocket::bind(l.addr)
                    .with_context(|| format!("--listen {spec}"))?;
                notice(args, &format!("listening on udp://{}", s.local_addr()?));
                syslog::serve_udp(
                    s,
                    config,
                    Arc::clone(&syslog_counters),
                    syslog_shutdown.clone(),
                    sink,
                )?
            }
            Transport::Tcp => {
                let s = std::net::TcpListener::bind(l.addr)
                    .with_context(|| format!("--listen {spec}"))?;
                notice(args, &format!("listening on tcp://{}", s.local_addr()?));
                syslog::serve_tcp(
                    s,
                    config,
                    Arc::clone(&syslog_counters),
                    syslog_shutdown.clone(),
                    sink,
                )?
            }
        };
        servers.push(h);
    }
    let mut stdin_open = stdin;
    if stdin {
        let tx = tx.clone();
        let max_line = args.max_line_bytes;
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                let mut r = LineReader::new(io::stdin())
                    .max_line(max_line)
                    .batch_bytes(64 * 1024);
                loop {
                    let mut b = LineBatch::default();
                    match r.next_batch(&mut b) {
                        Ok(true) => {
                            if tx.send(Msg::Stdin(b)).is_err() {
                                return;
                            }
                        }
                        Ok(false) | Err(_) => break,
                    }
                }
                let _ = tx.send(Msg::StdinEnd);
            })?;
    }
    drop(tx);

    // The loop.
    let stats_every = args.stats.filter(|s| *s > 0.0).map(Duration::from_secs_f64);
    let mut status = Status::new();
    // Read at once on start, without waiting for a tick.
    let mut more = true;
    let mut next_stats = stats_every.map(|d| Instant::now() + d);
    let deadline = args
        .duration
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Instant::now() + Duration::from_secs_f64(s));
    loop {
        let timeout = if more {
            Duration::ZERO
        } else {
            Duration::from_millis(args.poll_interval.max(1))
        };
        let mut stop = false;
        let mut show_status = false;
        let first = match rx.recv_timeout(timeout) {
            Ok(m) => Some(m),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => None,
        };
        // Take what else is queued, a bounded amount.
        let mut msgs: Vec<Msg> = first.into_iter().collect();
        while msgs.len() < 64 {
            match rx.try_recv() {
                Ok(m) => msgs.push(m),
                Err(_) => break,
            }
        }
        for m in msgs {
            match m {
                Msg::Wake => {}
                Msg::Syslog(i, b) => proc.syslog_batch(i, &b),
                Msg::Stdin(b) => proc.stdin_batch(&b),
                Msg::StdinEnd => stdin_open = false,
                Msg::Signal(signal_hook::consts::SIGUSR1) => show_status = true,
                Msg::Signal(_) => stop = true,
            }
        }
        let now = Instant::now();
        if let Some(t) = tailer.as_mut() {
            if wake_flags.swap(0, Ordering::SeqCst) & WAKE_LAYOUT != 0 {
                t.request_scan();
            }
            let mut sink = Sink {
                proc: &mut proc,
                args,
            };
            more = t.poll(now, &mut sink).more;
        }
        proc.idle_tick(now, IDLE);
        commit(&mut proc, tailer.as_mut())?;
        if let Some(e) = proc.failed.take() {
            return Err(e).context("writing output");
        }
        if deadline.is_some_and(|d| now >= d) {
            stop = true;
        }
        if next_stats.is_some_and(|t| now >= t) {
            show_status = true;
            next_stats = stats_every.map(|d| now + d);
        }
        if show_status {
            status.print(&proc, tailer.as_ref(), &syslog_counters);
        }
        // Standard input alone: its end is the end.
        if stdin
            && !stdin_open
            && tailer.as_ref().is_none_or(|t| t.watches().is_empty())
            && listens.is_empty()
        {
            stop = true;
        }
        if stop {
            break;
        }
    }

    // Shutdown: stop the listeners, finish what was received and what the
    // files hold, close every alert, commit.
    shutting_down.store(true, Ordering::SeqCst);
    syslog_shutdown.trigger();
    // Keep taking frames while the servers stop: a connection blocked on
    // a full queue must be able to finish.
    loop {
        let done = servers.iter().all(|h| h.is_finished());
        match rx.recv_timeout(Duration::from_millis(10)) {
            Ok(Msg::Syslog(i, b)) => proc.syslog_batch(i, &b),
            Ok(Msg::Stdin(b)) => proc.stdin_batch(&b),
            Ok(_) => {}
            Err(_) if done => break,
            Err(_) => {}
        }
    }
    for h in servers {
        let _ = h.join();
    }
    if let Some(t) = tailer.as_mut() {
        let mut sink = Sink {
            proc: &mut proc,
            args,
        };
        t.drain(Instant::now(), &mut sink);
    }
    proc.publish();
    let (alerts, _stats) = proc.engine.finish_open();
    for a in alerts {
        proc.close(a);
    }
    if let Some(e) = proc.failed.take() {
        return Err(e).context("writing output");
    }
    let Processor {
        mut out,
        counts,
        notifier,
        ..
    } = proc;
    out.flush().context("writing output")?;
    if let Some(n) = notifier {
        // Queued notifications were stored before their lines were
        // committed; what cannot go out now waits for the next start.
        let st = n.shutdown(NOTIFY_GRACE);
        if !args.quiet || st.pending > 0 || st.dead > 0 {
            eprintln!(
                "watch: notifications: {} delivered, {} folded into digests, {} pending for the next start, {} failed for good",
                st.delivered, st.folded, st.pending, st.dead
            );
        }
    }
    if let Some(t) = tailer.as_mut() {
        let meta: Vec<(String, String)> = out.committed().into_iter().collect();
        t.commit(&meta).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    if !args.quiet {
        eprintln!(
            "watch: stopped: {} lines, {} alerts opened, {} closed",
            counts.lines, counts.alerts_opened, counts.alerts_closed
        );
    }
    Ok(0)
}

/// How long a stopping `watch` keeps trying to deliver queued notifications.
const NOTIFY_GRACE: Duration = Duration::from_secs(5);

/// The notifier of `[notify]`, its queue in the state directory (or the
/// default one, `$XDG_STATE_HOME/logsentinel` or
/// `~/.local/state/logsentinel`, when none is given). Delivery outcomes
/// are printed on standard error (failures even with `--quiet`).
fn start_notifier(
    args: &WatchArgs,
    config: &NotifyConfig,
    state_dir: Option<&std::path::Path>,
) -> anyhow::Result<(Notifier, Option<std::fs::File>)> {
    let dir = match state_dir {
        Some(d) => d.to_path_buf(),
        None => default_state_dir()
            .context("[notify] needs a state directory for its queue: give --state-dir")?,
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create state directory '{}'", dir.display()))?;
    // Two processes on one queue would deliver each other's rows: the
    // default directory gets the same lock as a state directory.
    let lock = match state_dir {
        Some(_) => None,
        None => {
            let path = dir.join("watch.lock");
            let f = std::fs::File::create(&path)
                .with_context(|| format!("cannot create '{}'", path.display()))?;
            if f.try_lock().is_err() {
                anyhow::bail!(
                    "another logsentinel watch uses the notification queue in '{}': give this one its own --state-dir",
                    dir.display()
                );
            }
            Some(f)
        }
    };
    let db = dir.join("logsentinel.db");
    let quiet = args.quiet;
    let report = move |r: &DeliveryReport| {
        let failure = matches!(
            r,
            DeliveryReport::Retrying { .. }
                | DeliveryReport::Dead { .. }
                | DeliveryReport::QueueError { .. }
        );
        // Folded alerts are counted, and listed in their digest.
        let folded = matches!(r, DeliveryReport::Folded { .. });
        if (!quiet && !folded) || failure {
            eprintln!("watch: notify: {}", describe(r));
        }
    };
    let n = Notifier::start(config, &db, Box::new(report))
        .map_err(|e| anyhow::anyhow!("[notify]: {e}"))?;
    Ok((n, lock))
}

fn describe(r: &DeliveryReport) -> String {
    match r {
        DeliveryReport::Delivered {
            channel,
            key,
            attempts,
        } => format!("{channel}: delivered {key} (attempt {attempts})"),
        DeliveryReport::Retrying {
            channel,
            key,
            attempt,
            reason,
            next_in,
        } => format!(
            "{channel}: delivery of {key} failed (attempt {attempt}): {reason}; retry in {}s",
            next_in.as_secs().max(1)
        ),
        DeliveryReport::Dead {
            channel,
            key,
            attempts,
            reason,
        } => format!(
            "{channel}: GAVE UP delivering {key} after {attempts} attempts: {reason} (kept in the queue)"
        ),
        DeliveryReport::Folded { channel, key } => {
            format!("{channel}: {key} folded into the next digest")
        }
        DeliveryReport::QueueError { reason } => {
            format!("notification queue error: {reason}")
        }
        DeliveryReport::Resumed { pending } => {
            format!("resuming {pending} queued notification(s) from the last run")
        }
    }
}

fn default_state_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("logsentinel"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".local/state/logsentinel"))
}

/// Refuses at start a pattern (or a strictly checked path) whose directory
/// lies outside the allowed directories: a clear one-line error.
fn check_allowed(allow: &AllowList, w: &WatchPath) -> anyhow::Result<()> {
    if !w.checked {
        return Ok(());
    }
    let target = if w.glob {
        w.dir().0
    } else {
        PathBuf::from(&w.spec)
    };
    allow
        .check(&target)
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Flushes the output, then commits the offsets of what was processed.
fn commit(proc: &mut Processor, tailer: Option<&mut Tailer>) -> anyhow::Result<()> {
    proc.out.flush().context("writing output")?;
    if let Some(t) = tailer {
        let meta: Vec<(String, String)> = proc.out.committed().into_iter().collect();
        t.commit(&meta).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(())
}

struct Sink<'a> {
    proc: &'a mut Processor,
    args: &'a WatchArgs,
}

impl TailSink for Sink<'_> {
    fn lines(&mut self, batch: &TailBatch<'_>) {
        self.proc.file_batch(batch);
    }

    fn notice(&mut self, n: Notice<'_>) {
        let msg = match n {
            Notice::Opened {
                path,
                offset,
                reason,
            } => {
                let how = match reason {
                    OpenReason::FromEnd => "from its end".to_string(),
                    OpenReason::FromBeginning => "from its start".to_string(),
                    OpenReason::Resumed => format!("resuming at offset {offset}"),
                    OpenReason::New => "new file, from its start".to_string(),
                    OpenReason::Replaced => {
                        "replaced since the last run, from its start".to_string()
                    }
                    OpenReason::RotatedWhileStopped => {
                        format!("rotated while stopped, finishing from offset {offset}")
                    }
                };
                format!("following '{}' ({how})", path.display())
            }
            Notice::Rotated { path } => format!(
                "'{}' was rotated or removed: finishing the old file",
                path.display()
            ),
            Notice::Truncated { path } => {
                format!("'{}' was truncated: reading from its start", path.display())
            }
            Notice::Finished { path, offset } => {
                format!("finished '{}' at offset {offset}", path.display())
            }
            Notice::Refused { path, reason } => {
                format!(
                    "refused '{}': outside the allowed directories ({reason})",
                    path.display()
                )
            }
            Notice::Error { path, error } => format!("'{}': {error}", path.display()),
        };
        notice(self.args, &msg);
    }
}

fn notice(args: &WatchArgs, msg: &str) {
    if !args.quiet {
        let _ = writeln!(
            io::stderr(),
            "watch: {}",
            crate::text::for_terminal(msg, 400)
        );
    }
}

/// SIGINT/SIGTERM stop (a second one exits at once, status 130); SIGUSR1
/// prints a status line.
fn spawn_signals(tx: SyncSender<Msg>, shutting_down: Arc<AtomicBool>) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGUSR1])
        .context("cannot install signal handlers")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut stops = 0;
            for sig in signals.forever() {
                if sig != SIGUSR1 {
                    stops += 1;
                    if stops > 1 || shutting_down.load(Ordering::SeqCst) {
                        std::process::exit(130);
                    }
                }
                match tx.try_send(Msg::Signal(sig)) {
                    Ok(()) | Err(TrySendError::Full(_)) if sig == SIGUSR1 => {}
                    Ok(()) => {}
                    // A full queue must not lose a stop: block for it.
                    Err(TrySendError::Full(m)) => {
                        let _ = tx.send(m);
                    }
                    Err(TrySendError::Disconnected(_)) => return,
                }
            }
        })?;
    Ok(())
}

/// The status line: files followed, lines/s, alerts, lag.
struct Status {
    last: Instant,
    last_lines: u64,
}

impl Status {
    fn new() -> Status {
        Status {
            last: Instant::now(),
            last_lines: 0,
        }
    }

    fn print(&mut self, proc: &Processor, tailer: Option<&Tailer>, syslog: &SyslogCounters) {
        let now = Instant::now();
        let secs = now
            .saturating_duration_since(self.last)
            .as_secs_f64()
            .max(1e-3);
        let rate = (proc.counts.lines - self.last_lines) as f64 / secs;
        self.last = now;
        self.last_lines = proc.counts.lines;
        let (files, draining, lag_bytes) = tailer.map_or((0, 0, 0), |t| {
            let s = t.status();
            (s.files, s.draining, s.lag_bytes)
        });
        let age = proc.last_event.map(|t| {
            let now_ms = crate::input::reference_time(None).as_millis();
            (now_ms - t.as_millis()) as f64 / 1000.0
        });
        let c = &proc.counts;
        let open = c.alerts_opened.saturating_sub(c.alerts_closed);
        let mut line = format!(
            "watch: {files} files ({draining} rotating), {} lines ({rate:.0}/s), {} alerts ({open} open), lag {lag_bytes} bytes",
            c.lines, c.alerts_opened
        );
        if let Some(a) = age {
            line.push_str(&format!(", last event {a:.1}s ago"));
        }
        let frames = syslog.frames.load(Ordering::Relaxed);
        if frames > 0 || syslog.connections.load(Ordering::Relaxed) > 0 {
            line.push_str(&format!(
                "; syslog {frames} frames, {} malformed, {} not syslog, {} connections open, {} refused",
                syslog.malformed.load(Ordering::Relaxed),
                c.not_syslog,
                syslog.open.load(Ordering::Relaxed),
                syslog.refused.load(Ordering::Relaxed),
            ));
        }
        if let Some(n) = &proc.notifier {
            let st = n.stats();
            line.push_str(&format!(
                "; notify {} delivered, {} pending, {} retries, {} folded, {} failed",
                st.delivered, st.pending, st.retries, st.folded, st.dead
            ));
        }
        eprintln!("{line}");
    }
}
