//! The notification service: alerts in (`submit`), messages out through the
//! channels, with nothing lost and nothing dropped silently.
//!
//! `submit` applies the policy per channel; what is to be sent is queued in
//! the outbox, durably, before `submit` returns (the caller commits its log
//! offsets after it), and what is folded is saved with the channel's digest.
//! One worker thread per channel (a channel that is down only delays
//! itself) delivers due rows one at a time, retries failures with backoff,
//! queues closed digests, and wakes at least every 500 ms. Every outcome is
//! handed to the `report` callback: delivered, retrying, dead, folded, and
//! on start the rows resumed from a previous run.
//!
//! `shutdown` closes the digests, gives the workers `grace` to deliver what
//! is due, and stops them; rows not delivered stay queued for the next
//! start. A delivery in progress is never cut: it ends within the channel's
//! timeout.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::channel::Channel;
use crate::config::NotifyConfig;
use crate::email::EmailChannel;
use crate::error::NotifyError;
use crate::message::{AlertNote, Digest, Notification, PendingDigest};
use crate::outbox::{AfterFailure, Entry, Outbox, UnreadableDigest};
use crate::policy::{Offer, Policy, PolicySettings};
use crate::webhook::WebhookChannel;

/// Longest a worker sleeps without looking at the queue.
const WAKE_EVERY_MS: i64 = 500;
/// Rows a worker takes from the queue at a time.
const BATCH: usize = 16;
/// Pause after a queue (SQLite) error, so a broken disk does not spin.
const TROUBLE_PAUSE_MS: i64 = 1_000;

/// An outcome, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryReport {
    /// `key` reached `channel`, at attempt `attempts`.
    Delivered {
        channel: String,
        key: String,
        attempts: u32,
    },
    /// Attempt `attempt` failed; tried again in `next_in`.
    Retrying {
        channel: String,
        key: String,
        attempt: u32,
        reason: String,
        next_in: Duration,
    },
    /// Given up after `attempts` (the row stays in the queue, `dead`).
    Dead {
        channel: String,
        key: String,
        attempts: u32,
        reason: String,
    },
    /// The alert `key` went into `channel`'s digest instead of its own
    /// message.
    Folded { channel: String, key: String },
    /// On start: rows left by a previous run, now resumed.
    Resumed { pending: u64 },
    /// The queue itself failed (the disk, SQLite); what was being done is
    /// retried.
    QueueError { reason: String },
}

/// Counters since start; `pending` is the queue's current size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotifyStats {
    /// Rows newly queued (individual alerts and digests).
    pub queued: u64,
    pub delivered: u64,
    /// Failed attempts that will be retried.
    pub retries: u64,
    pub dead: u64,
    /// Alerts folded into digests.
    pub folded: u64,
    /// Digests queued.
    pub digests: u64,
    pub pending: u64,
}

/// The callback that is told every outcome (called from the worker threads
/// and from `submit`, never while a lock is held).
pub type Report = Box<dyn Fn(&DeliveryReport) + Send + Sync>;

#[derive(Default)]
struct Counters {
    queued: AtomicU64,
    delivered: AtomicU64,
    retries: AtomicU64,
    dead: AtomicU64,
    folded: AtomicU64,
    digests: AtomicU64,
}

/// What the workers wait on.
struct Signal {
    /// Bumped by every wake-up.
    generation: u64,
    /// Set by shutdown: workers stop at this time (ms).
    stop_at_ms: Option<i64>,
}

struct Inner {
    channels: Vec<Box<dyn Channel>>,
    outbox: Mutex<Outbox>,
    policy: Mutex<Policy>,
    max_attempts: u32,
    report: Report,
    counters: Counters,
    signal: Mutex<Signal>,
    wake: Condvar,
}

/// The notification service. `Send + Sync`: `submit` may be called from any
/// thread.
pub struct Notifier {
    inner: Arc<Inner>,
    workers: Vec<JoinHandle<()>>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A lock that survives a panicked holder (the data are plain state).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn ms_duration(ms: i64) -> Duration {
    Duration::from_millis(ms.max(0).unsigned_abs())
}

fn start_of(d: &Digest, fallback: i64) -> i64 {
    d.from
        .parse::<jiff::Timestamp>()
        .map_or(fallback, |t| t.as_millisecond())
}

/// Validates `config` and builds its channels: email first, then the
/// webhooks in order (named `webhook-N` when unnamed), each with the
/// default minimum severity unless it sets its own.
pub fn channels(config: &NotifyConfig) -> Result<Vec<Box<dyn Channel>>, NotifyError> {
    config.validate()?;
    let default = config.min_severity()?;
    let dashboard = config.dashboard_url.as_deref();
    let mut channels: Vec<Box<dyn Channel>> = Vec::new();
    if let Some(email) = &config.email {
        let mut email = email.clone();
        email
            .min_severity
            .get_or_insert_with(|| default.as_str().to_string());
        channels.push(Box::new(EmailChannel::new(&email, dashboard)?));
    }
    for (i, w) in config.webhook.iter().enumerate() {
        let mut w = w.clone();
        w.name = Some(config.webhook_name(i));
        w.min_severity
            .get_or_insert_with(|| default.as_str().to_string());
        channels.push(Box::new(WebhookChannel::new(&w, dashboard)?));
    }
    Ok(channels)
}

impl Notifier {
    /// Validates `config`, builds its channels (email, webhooks), opens the
    /// queue in `db_path` and starts the workers.
    pub fn start(
        config: &NotifyConfig,
        db_path: &Path,
        report: Report,
    ) -> Result<Notifier, NotifyError> {
        let channels = channels(config)?;
        Notifier::with_channels(config, channels, db_path, report)
    }

    /// `start` with channels built by the caller; of `config`, only the
    /// policy settings (`dedup_window`, `rate_limit`, `rate_window`,
    /// `max_attempts`) are used.
    pub fn with_channels(
        config: &NotifyConfig,
        channels: Vec<Box<dyn Channel>>,
        db_path: &Path,
        report: Report,
    ) -> Result<Notifier, NotifyError> {
        let settings = PolicySettings::from_config(config)?;
        if config.max_attempts == 0 {
            return Err(NotifyError::Config(
                "notify.max_attempts: must be at least 1".into(),
            ));
        }
        let names: Vec<&str> = channels.iter().map(|c| c.name()).collect();
        for (i, n) in names.iter().enumerate() {
            if n.is_empty() || names.get(..i).is_some_and(|before| before.contains(n)) {
                return Err(NotifyError::Config(format!(
                    "notify: channel name '{n}' is empty or used twice"
                )));
            }
        }
        let policy = Policy::new(
            settings,
            channels
                .iter()
                .map(|c| (c.name().to_string(), c.min_severity()))
                .collect(),
        );
        let outbox = Outbox::open(db_path)?;
        let inner = Arc::new(Inner {
            channels,
            outbox: Mutex::new(outbox),
            policy: Mutex::new(policy),
            max_attempts: config.max_attempts,
            report,
            counters: Counters::default(),
            signal: Mutex::new(Signal {
                generation: 0,
                stop_at_ms: None,
            }),
            wake: Condvar::new(),
        });
        inner.resume()?;
        let mut workers = Vec::new();
        for idx in 0..inner.channels.len() {
            let name = inner.channels.get(idx).map_or("", |c| c.name());
            let worker = Arc::clone(&inner);
            let spawned = std::thread::Builder::new()
                .name(format!("notify-{name}"))
                .spawn(move || worker.run(idx));
            match spawned {
                Ok(h) => workers.push(h),
                Err(e) => {
                    inner.stop(0);
                    for h in workers {
                        let _ = h.join();
                    }
                    return Err(NotifyError::Worker(e.to_string()));
                }
            }
        }
        Ok(Notifier { inner, workers })
    }

    /// Hands an alert over. Per channel: queued durably (sent), folded into
    /// the digest (saved), or skipped (below the channel's minimum
    /// severity). An error means the queue could not be written: the caller
    /// should not consider the alert handed over.
    pub fn submit(&self, note: AlertNote) -> Result<(), NotifyError> {
        self.inner.submit(note, now_ms())
    }

    /// Wakes the workers now.
    pub fn tick(&self) {
        self.inner.wake_all();
    }

    pub fn stats(&self) -> NotifyStats {
        self.inner.stats()
    }

    /// Closes the digests, lets the workers deliver what is due for up to
    /// `grace`, and stops them. Undelivered rows stay queued.
    pub fn shutdown(mut self, grace: Duration) -> NotifyStats {
        let now = now_ms();
        self.inner.flush_digests(now);
        let grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
        self.inner.stop(now.saturating_add(grace_ms));
        for h in std::mem::take(&mut self.workers) {
            let _ = h.join();
        }
        self.inner.stats()
    }
}

impl Drop for Notifier {
    /// Without `shutdown`: stop at once (digests being collected stay saved
    /// and are resumed on the next start).
    fn drop(&mut self) {
        if self.workers.is_empty() {
            return;
        }
        self.inner.stop(now_ms());
        for h in std::mem::take(&mut self.workers) {
            let _ = h.join();
        }
    }
}

impl Inner {
    fn report(&self, r: &DeliveryReport) {
        // A failing callback must not take a worker down with it.
        let _ = catch_unwind(AssertUnwindSafe(|| (self.report)(r)));
    }

    fn channel_name(&self, idx: usize) -> &str {
        self.channels.get(idx).map_or("", |c| c.name())
    }

    fn wake_all(&self) {
        let mut s = lock(&self.signal);
        s.generation = s.generation.wrapping_add(1);
        self.wake.notify_all();
    }

    fn stop_at(&self) -> Option<i64> {
        lock(&self.signal).stop_at_ms
    }

    fn stop(&self, at_ms: i64) {
        let mut s = lock(&self.signal);
        s.stop_at_ms = Some(s.stop_at_ms.map_or(at_ms, |t| t.min(at_ms)));
        s.generation = s.generation.wrapping_add(1);
        self.wake.notify_all();
    }

    fn stats(&self) -> NotifyStats {
        let c = &self.counters;
        NotifyStats {
            queued: c.queued.load(Ordering::Relaxed),
            delivered: c.delivered.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            dead: c.dead.load(Ordering::Relaxed),
            folded: c.folded.load(Ordering::Relaxed),
            digests: c.digests.load(Ordering::Relaxed),
            pending: lock(&self.outbox).pending().unwrap_or(0),
        }
    }

    /// On start: digests saved by the previous run go back into collection,
    /// rows of channels no longer configured are marked dead, and the rows
    /// still pending are announced.
    fn resume(&self) -> Result<(), NotifyError> {
        let now = now_ms();
        let mut reports = Vec::new();
        {
            let mut policy = lock(&self.policy);
            let mut outbox = lock(&self.outbox);
            for saved in outbox.saved_digests()? {
                match saved {
                    Ok(p) => match policy.channel_index(&p.digest.channel) {
                        Some(idx) => {
                            policy.restore(idx, p);
                        }
                        // Queued, then marked dead below with the reason.
                        None => {
                            let channel = p.digest.channel.clone();
                            outbox.push(&channel, &Notification::Digest(p.digest), now)?;
                        }
                    },
                    Err(UnreadableDigest { channel, reason }) => {
                        outbox.drop_saved_digest(&channel)?;
                        reports.push(DeliveryReport::Dead {
                            channel,
                            key: "digest".into(),
                            attempts: 0,
                            reason,
                        });
                    }
                }
            }
            let names: Vec<&str> = self.channels.iter().map(|c| c.name()).collect();
            for e in outbox.orphans(&names, now)? {
                reports.push(DeliveryReport::Dead {
                    reason: format!("channel '{}' is no longer configured", e.channel),
                    channel: e.channel,
                    key: e.key,
                    attempts: e.attempts,
                });
            }
            let pending = outbox.pending()?;
            if pending > 0 {
                reports.push(DeliveryReport::Resumed { pending });
            }
        }
        for r in &reports {
            if matches!(r, DeliveryReport::Dead { .. }) {
                self.counters.dead.fetch_add(1, Ordering::Relaxed);
            }
            self.report(r);
        }
        Ok(())
    }

    fn submit(&self, note: AlertNote, now: i64) -> Result<(), NotifyError> {
        let mut reports = Vec::new();
        let mut first_err = None;
        let mut queued_any = false;
        {
            let mut policy = lock(&self.policy);
            let offers: Vec<(usize, Offer)> = (0..self.channels.len())
                .map(|idx| (idx, policy.offer(idx, &note, now)))
                .filter(|(_, o)| *o != Offer::Skip)
                .collect();
            if offers.is_empty() {
                return Ok(());
            }
            let n = Notification::Alert(note);
            let key = n.key();
            let mut outbox = lock(&self.outbox);
            // Digests the offers closed are queued before the new ones are
            // saved over them.
            let closed = policy.due_digests(now);
            queued_any |= self.push_digests(&mut policy, &mut outbox, closed, now, &mut reports);
            for (idx, offer) in offers {
                let name = self.channel_name(idx);
                let result = match offer {
                    Offer::Send => outbox.push(name, &n, now).map(|added| {
                        if added {
                            self.counters.queued.fetch_add(1, Ordering::Relaxed);
                            queued_any = true;
                        }
                    }),
                    Offer::Fold => match policy.collecting(idx) {
                        Some(p) => outbox.save_digest(p),
                        None => Ok(()),
                    }
                    .map(|()| {
                        self.counters.folded.fetch_add(1, Ordering::Relaxed);
                        reports.push(DeliveryReport::Folded {
                            channel: name.to_string(),
                            key: key.clone(),
                        });
                    }),
                    Offer::Skip => Ok(()),
                };
                if let Err(e) = result {
                    first_err.get_or_insert(e);
                }
            }
        }
        for r in &reports {
            self.report(r);
        }
        if queued_any {
            self.wake_all();
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Queues closed digests; one that cannot be queued goes back into
    /// collection (it is also still saved on disk) and is retried with the
    /// next round. Whether any was newly queued.
    fn push_digests(
        &self,
        policy: &mut Policy,
        outbox: &mut Outbox,
        digests: Vec<Digest>,
        now: i64,
        reports: &mut Vec<DeliveryReport>,
    ) -> bool {
        let mut queued_any = false;
        for d in digests {
            let channel = d.channel.clone();
            let from_ms = start_of(&d, now);
            let n = Notification::Digest(d);
            match outbox.push(&channel, &n, now) {
                Ok(true) => {
                    self.counters.queued.fetch_add(1, Ordering::Relaxed);
                    self.counters.digests.fetch_add(1, Ordering::Relaxed);
                    queued_any = true;
                }
                Ok(false) => {}
                Err(e) => {
                    if let (Some(idx), Notification::Digest(mut digest)) =
                        (policy.channel_index(&channel), n)
                    {
                        digest.to = String::new();
                        policy.restore(
                            idx,
                            PendingDigest {
                                digest,
                                from_ms,
                                due_ms: now.saturating_add(TROUBLE_PAUSE_MS),
                            },
                        );
                    }
                    reports.push(DeliveryReport::QueueError {
                        reason: format!("queuing the digest of {channel}: {e}"),
                    });
                }
            }
        }
        queued_any
    }

    /// Queues the digests closed at `now`; `all` closes every digest.
    fn queue_digests(&self, now: i64, all: bool) {
        let mut reports = Vec::new();
        let queued_any = {
            let mut policy = lock(&self.policy);
            let digests = if all {
                policy.flush_all(now)
            } else {
                policy.due_digests(now)
            };
            if digests.is_empty() {
                return;
            }
            let mut outbox = lock(&self.outbox);
            self.push_digests(&mut policy, &mut outbox, digests, now, &mut reports)
        };
        for r in &reports {
            self.report(r);
        }
        if queued_any {
            self.wake_all();
        }
    }

    fn flush_digests(&self, now: i64) {
        self.queue_digests(now, true);
    }

    /// Delivers one queued row on channel `idx` and records the outcome.
    fn deliver(&self, idx: usize, entry: Entry) -> Result<(), NotifyError> {
        let Some(channel) = self.channels.get(idx) else {
            return Ok(());
        };
        let name = channel.name().to_string();
        let attempt = entry.attempts.saturating_add(1);
        let result = match entry.notification() {
            Ok(n) => channel.deliver(&n),
            Err(reason) => Err(crate::channel::DeliveryError {
                reason,
                permanent: true,
            }),
        };
        let now = now_ms();
        let report = match result {
            Ok(()) => {
                lock(&self.outbox).delivered(entry.id)?;
                self.counters.delivered.fetch_add(1, Ordering::Relaxed);
                DeliveryReport::Delivered {
                    channel: name,
                    key: entry.key,
                    attempts: attempt,
                }
            }
            Err(e) => {
                let after = lock(&self.outbox).failed(
                    entry.id,
                    &e.reason,
                    now,
                    self.max_attempts,
                    e.permanent,
                )?;
                match after {
                    AfterFailure::Retry { next_at_ms } => {
                        self.counters.retries.fetch_add(1, Ordering::Relaxed);
                        DeliveryReport::Retrying {
                            channel: name,
                            key: entry.key,
                            attempt,
                            reason: e.reason,
                            next_in: ms_duration(next_at_ms.saturating_sub(now)),
                        }
                    }
                    AfterFailure::Dead => {
                        self.counters.dead.fetch_add(1, Ordering::Relaxed);
                        let reason = if e.permanent {
                            format!("{} (permanent failure)", e.reason)
                        } else {
                            format!("{} (gave up after {attempt} attempts)", e.reason)
                        };
                        DeliveryReport::Dead {
                            channel: name,
                            key: entry.key,
                            attempts: attempt,
                            reason,
                        }
                    }
                }
            }
        };
        self.report(&report);
        Ok(())
    }

    /// The worker of channel `idx`.
    fn run(&self, idx: usize) {
        let name = self.channel_name(idx).to_string();
        loop {
            let (generation, stop_at) = {
                let s = lock(&self.signal);
                (s.generation, s.stop_at_ms)
            };
            let now = now_ms();
            if stop_at.is_none() {
                self.queue_digests(now, false);
            }
            let mut trouble = false;
            let batch = lock(&self.outbox).due_for(&name, now, BATCH);
            match batch {
                Ok(rows) if !rows.is_empty() => {
                    for row in rows {
                        if self.stop_at().is_some_and(|t| now_ms() >= t) {
                            break;
                        }
                        if let Err(e) = self.deliver(idx, row) {
                            self.report(&DeliveryReport::QueueError {
                                reason: format!("recording a delivery on {name}: {e}"),
                            });
                            trouble = true;
                            break;
                        }
                    }
                    if !trouble {
                        if self.stop_at().is_some_and(|t| now_ms() >= t) {
                            return;
                        }
                        continue;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    self.report(&DeliveryReport::QueueError {
                        reason: format!("reading the queue of {name}: {e}"),
                    });
                    trouble = true;
                }
            }
            let now = now_ms();
            let next_row = lock(&self.outbox).next_due_for(&name).ok().flatten();
            if let Some(stop) = stop_at
                && (now >= stop || next_row.is_none_or(|t| t > stop))
            {
                return;
            }
            let mut until = now.saturating_add(if trouble {
                TROUBLE_PAUSE_MS
            } else {
                WAKE_EVERY_MS
            });
            if !trouble {
                if let Some(t) = next_row {
                    until = until.min(t);
                }
                if let Some(t) = lock(&self.policy).next_digest_due_ms() {
                    until = until.min(t);
                }
            }
            if let Some(t) = stop_at {
                until = until.min(t);
            }
            self.wait(generation, until);
        }
    }

    /// Sleeps until `until_ms` or a wake-up after `generation`.
    fn wait(&self, generation: u64, until_ms: i64) {
        let mut s = lock(&self.signal);
        loop {
            let left = until_ms.saturating_sub(now_ms());
            if s.generation != generation || left <= 0 {
                return;
            }
            s = match self.wake.wait_timeout(s, ms_duration(left)) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::DeliveryError;
    use crate::message::tests::sample_note;
    use logsentinel_detect::alert::Severity;
    use std::collections::HashMap;
    use std::sync::atomic::AtomicU32;

    /// A channel that fails its first `failures` attempts of every
    /// notification, then records it.
    struct Flaky {
        name: String,
        failures: u32,
        permanent: bool,
        attempts: Mutex<HashMap<String, u32>>,
        delivered: Arc<Mutex<Vec<String>>>,
        calls: AtomicU32,
    }

    impl Flaky {
        fn new(name: &str, failures: u32, delivered: Arc<Mutex<Vec<String>>>) -> Box<Flaky> {
            Box::new(Flaky {
                name: name.into(),
                failures,
                permanent: false,
                attempts: Mutex::new(HashMap::new()),
                delivered,
                calls: AtomicU32::new(0),
            })
        }
    }

    impl Channel for Flaky {
        fn name(&self) -> &str {
            &self.name
        }
        fn min_severity(&self) -> Severity {
            Severity::Low
        }
        fn deliver(&self, n: &Notification) -> Result<(), DeliveryError> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            let mut a = lock(&self.attempts);
            let count = a.entry(n.key()).or_insert(0);
            *count += 1;
            if *count <= self.failures {
                return Err(DeliveryError {
                    reason: format!("simulated failure {count}"),
                    permanent: self.permanent,
                });
            }
            lock(&self.delivered).push(n.key());
            Ok(())
        }
    }

    fn note(i: usize) -> AlertNote {
        let mut n = sample_note();
        n.alert_id = format!("alert{i:04}");
        n.dedup_key = format!("k{i}");
        n.incident = None;
        n
    }

    fn collect() -> (Arc<Mutex<Vec<DeliveryReport>>>, Report) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = Arc::clone(&seen);
        (
            seen,
            Box::new(move |r: &DeliveryReport| lock(&s).push(r.clone())),
        )
    }

    fn config(rate_limit: u32) -> NotifyConfig {
        NotifyConfig {
            rate_limit,
            max_attempts: 10,
            ..NotifyConfig::default()
        }
    }

    fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
        let start = std::time::Instant::now();
        while !done() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn flaky_channel_gets_everything_exactly_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("logsentinel.db");
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let (reports, report) = collect();
        let n = Notifier::with_channels(
            &config(100),
            vec![Flaky::new("flaky", 1, Arc::clone(&delivered))],
            &db,
            report,
        )
        .unwrap();
        for i in 0..5 {
            n.submit(note(i)).unwrap();
        }
        // One failure each, retried after 1 s.
        wait_for("five deliveries", || lock(&delivered).len() == 5);
        let stats = n.shutdown(Duration::from_secs(1));
        assert_eq!(
            (
                stats.queued,
                stats.delivered,
                stats.retries,
                stats.dead,
                stats.pending
            ),
            (5, 5, 5, 0, 0)
        );
        let mut got = lock(&delivered).clone();
        got.sort();
        assert_eq!(
            got,
            (0..5).map(|i| format!("alert{i:04}")).collect::<Vec<_>>()
        );
        let reports = lock(&reports);
        let retrying = reports
            .iter()
            .filter(|r| matches!(r, DeliveryReport::Retrying { attempt: 1, next_in, .. } if *next_in == Duration::from_secs(1)))
            .count();
        assert_eq!(retrying, 5, "{reports:?}");
        assert!(
            reports
                .iter()
                .any(|r| matches!(r, DeliveryReport::Delivered { attempts: 2, .. }))
        );
    }

    #[test]
    fn queued_rows_survive_a_restart_and_are_delivered_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("logsentinel.db");
        let delivered = Arc::new(Mutex::new(Vec::new()));
        // First run: the channel fails twice per row, and the run stops
        // before the second retry (1 s, then 2 s later).
        {
            let (reports, report) = collect();
            let n = Notifier::with_channels(
                &config(100),
                vec![Flaky::new("hook", 2, Arc::clone(&delivered))],
                &db,
                report,
            )
            .unwrap();
            for i in 0..3 {
                n.submit(note(i)).unwrap();
            }
            wait_for("three first attempts", || lock(&reports).len() == 3);
            let stats = n.shutdown(Duration::from_millis(300));
            assert_eq!(stats.queued, 3);
            assert_eq!(stats.pending, 3);
            assert!(lock(&delivered).is_empty());
        }
        // Second run, same file: a working channel.
        let (reports, report) = collect();
        let n = Notifier::with_channels(
            &config(100),
            vec![Flaky::new("hook", 0, Arc::clone(&delivered))],
            &db,
            report,
        )
        .unwrap();
        assert_eq!(
            lock(&reports).first(),
            Some(&DeliveryReport::Resumed { pending: 3 })
        );
        // Submitting an alert that is still queued does not queue it twice.
        n.submit(note(0)).unwrap();
        wait_for("three deliveries", || lock(&delivered).len() == 3);
        let stats = n.shutdown(Duration::from_secs(1));
        assert_eq!(stats.pending, 0);
        let mut got = lock(&delivered).clone();
        got.sort();
        assert_eq!(got, ["alert0000", "alert0001", "alert0002"]);
        // Third run: nothing left.
        let (reports, report) = collect();
        let n = Notifier::with_channels(
            &config(100),
            vec![Flaky::new("hook", 0, Arc::clone(&delivered))],
            &db,
            report,
        )
        .unwrap();
        assert_eq!(n.stats().pending, 0);
        drop(n);
        assert!(lock(&reports).is_empty());
    }

    #[test]
    fn a_storm_is_one_message_and_one_digest_and_nothing_is_silent() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("logsentinel.db");
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let (reports, report) = collect();
        let n = Notifier::with_channels(
            &config(5),
            vec![Flaky::new("email", 0, Arc::clone(&delivered))],
            &db,
            report,
        )
        .unwrap();
        for i in 0..300 {
            let mut a = note(i);
            a.incident = Some(crate::message::tests::sample_incident());
            n.submit(a).unwrap();
        }
        wait_for("the first alert", || lock(&delivered).len() == 1);
        // The digest waits for the end of the rate window; shutdown closes it.
        let stats = n.shutdown(Duration::from_secs(2));
        let got = lock(&delivered).clone();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0], "alert0000");
        assert!(got[1].starts_with("digest.email."), "{got:?}");
        assert_eq!(
            (stats.folded, stats.digests, stats.delivered, stats.pending),
            (299, 1, 2, 0)
        );
        let folded = lock(&reports)
            .iter()
            .filter(|r| matches!(r, DeliveryReport::Folded { .. }))
            .count();
        assert_eq!(folded, 299);
    }

    #[test]
    fn folded_alerts_survive_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("logsentinel.db");
        let delivered = Arc::new(Mutex::new(Vec::new()));
        {
            let (_, report) = collect();
            let n = Notifier::with_channels(
                &config(1),
                vec![Flaky::new("email", 0, Arc::clone(&delivered))],
                &db,
                report,
            )
            .unwrap();
            for i in 0..4 {
                n.submit(note(i)).unwrap();
            }
            wait_for("the first alert", || lock(&delivered).len() == 1);
            // Dropped without shutdown: the digest is not queued, only saved.
            drop(n);
        }
        let (_, report) = collect();
        let n = Notifier::with_channels(
            &config(1),
            vec![Flaky::new("email", 0, Arc::clone(&delivered))],
            &db,
            report,
        )
        .unwrap();
        let stats = n.shutdown(Duration::from_secs(2));
        assert_eq!(stats.digests, 1);
        let got = lock(&delivered).clone();
        assert_eq!(got.len(), 2, "{got:?}");
        let q = Outbox::open(&db).unwrap();
        assert_eq!((q.pending().unwrap(), q.dead().unwrap()), (0, 0));
    }

    #[test]
    fn permanent_failures_and_removed_channels_are_reported_dead() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("logsentinel.db");
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let (reports, report) = collect();
        let mut refusing = Flaky::new("refusing", 5, Arc::clone(&delivered));
        refusing.permanent = true;
        let n = Notifier::with_channels(
            &config(100),
            vec![refusing, Flaky::new("ok", 0, Arc::clone(&delivered))],
            &db,
            report,
        )
        .unwrap();
        n.submit(note(1)).unwrap();
        wait_for("both outcomes", || {
            let s = n.stats();
            s.dead == 1 && s.delivered == 1
        });
        {
            let r = lock(&reports);
            let dead = r
                .iter()
                .find_map(|r| match r {
                    DeliveryReport::Dead {
                        channel,
                        reason,
                        attempts,
                        ..
                    } => Some((channel.clone(), reason.clone(), *attempts)),
                    _ => None,
                })
                .unwrap();
            assert_eq!(
                dead,
                (
                    "refusing".into(),
                    "simulated failure 1 (permanent failure)".into(),
                    1
                )
            );
        }
        // A row queued for a channel that is then removed.
        {
            let mut q = Outbox::open(&db).unwrap();
            q.push("old-hook", &Notification::Alert(note(2)), 0)
                .unwrap();
        }
        drop(n);
        let (reports, report) = collect();
        let _n = Notifier::with_channels(
            &config(100),
            vec![Flaky::new("ok", 0, Arc::clone(&delivered))],
            &db,
            report,
        )
        .unwrap();
        assert_eq!(
            lock(&reports).first(),
            Some(&DeliveryReport::Dead {
                channel: "old-hook".into(),
                key: "alert0002".into(),
                attempts: 0,
                reason: "channel 'old-hook' is no longer configured".into(),
            })
        );
    }

    #[test]
    fn a_hanging_channel_does_not_delay_the_others() {
        struct Slow;
        impl Channel for Slow {
            fn name(&self) -> &str {
                "slow"
            }
            fn min_severity(&self) -> Severity {
                Severity::Low
            }
            fn deliver(&self, _: &Notification) -> Result<(), DeliveryError> {
                std::thread::sleep(Duration::from_millis(1_500));
                Err(DeliveryError::retryable("timed out"))
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let (_, report) = collect();
        let n = Notifier::with_channels(
            &config(100),
            vec![
                Box::new(Slow),
                Flaky::new("fast", 0, Arc::clone(&delivered)),
            ],
            &dir.path().join("logsentinel.db"),
            report,
        )
        .unwrap();
        let start = std::time::Instant::now();
        for i in 0..3 {
            n.submit(note(i)).unwrap();
        }
        wait_for("the fast channel", || lock(&delivered).len() == 3);
        assert!(
            start.elapsed() < Duration::from_millis(1_400),
            "{:?}",
            start.elapsed()
        );
        let stats = n.shutdown(Duration::ZERO);
        assert_eq!(stats.pending, 3, "the slow channel's rows stay queued");
    }

    #[test]
    fn the_notifier_is_shared_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Notifier>();
    }

    #[test]
    fn start_builds_channels_from_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("logsentinel.db");
        let cfg = NotifyConfig {
            webhook: vec![crate::config::WebhookConfig {
                url: "http://127.0.0.1:9/hook".into(),
                ..Default::default()
            }],
            ..NotifyConfig::default()
        };
        let (_, report) = collect();
        let n = Notifier::start(&cfg, &db, report).unwrap();
        assert_eq!(n.inner.channel_name(0), "webhook-1");
        drop(n);
        let mut bad = cfg.clone();
        bad.rate_window = "soon".into();
        let (_, report) = collect();
        assert!(matches!(
            Notifier::start(&bad, &db, report),
            Err(NotifyError::Config(m)) if m.contains("notify.rate_window")
        ));
    }
}
