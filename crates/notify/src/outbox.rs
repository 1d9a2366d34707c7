//! The persistent delivery queue: table `notify_outbox` in the state
//! database (`STATE_DIR/logsentinel.db`, WAL, shared with the checkpoint
//! store), plus `notify_digest`, the digests being collected.
//!
//! A notification is queued (one row per channel) before the caller moves
//! on, so a crash or a channel outage loses nothing: rows are retried with
//! exponential backoff (1 s, 2 s, 4 s, ... capped at 5 min) and survive a
//! restart. `UNIQUE(channel, key)` keeps a notification from being queued
//! twice for a channel. A row that keeps failing (or fails for good) is
//! marked `dead`: kept, counted, reported, never retried.
//!
//! `synchronous = NORMAL` with WAL makes a committed row survive a process
//! crash; a power loss can only take back the newest commits, in commit
//! order, so a queued notification is never lost while the log offsets
//! committed after it are kept.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::NotifyError;
use crate::message::{Digest, Notification, PendingDigest};

/// First retry delay; doubled after every failed attempt.
const BACKOFF_BASE_MS: i64 = 1_000;
/// Longest retry delay.
const BACKOFF_MAX_MS: i64 = 300_000;
/// Longest `last_error` kept.
const MAX_REASON_CHARS: usize = 500;

/// A queued notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: i64,
    pub channel: String,
    pub key: String,
    /// The notification as JSON.
    pub payload: String,
    /// Failed attempts so far.
    pub attempts: u32,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    pub created_ms: i64,
}

impl Entry {
    /// The queued notification; an error when the payload cannot be read
    /// (written by an incompatible version, or damaged).
    pub fn notification(&self) -> Result<Notification, String> {
        serde_json::from_str(&self.payload).map_err(|e| format!("unreadable queued payload: {e}"))
    }
}

/// What happens to an entry after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Tried again at `next_at_ms`.
    Retry { next_at_ms: i64 },
    /// Out of attempts, or the failure is permanent: marked dead.
    Dead,
}

/// A saved digest that could not be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableDigest {
    pub channel: String,
    pub reason: String,
}

/// The queue tables of the state database.
pub struct Outbox {
    conn: Connection,
    path: PathBuf,
}

/// Delay before the next attempt, after `attempts` failed ones (≥ 1):
/// 1 s, 2 s, 4 s, ... at most 5 min.
pub fn backoff(attempts: u32) -> Duration {
    let exp = attempts.saturating_sub(1).min(20);
    let ms = BACKOFF_BASE_MS
        .saturating_mul(1i64 << exp)
        .min(BACKOFF_MAX_MS);
    Duration::from_millis(ms.unsigned_abs())
}

fn clip(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

impl Outbox {
    /// Opens (creating when needed) the database file and the queue tables.
    pub fn open(path: &Path) -> Result<Outbox, NotifyError> {
        let err = |reason: String| NotifyError::Outbox {
            path: path.display().to_string(),
            reason,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| err(format!("cannot create the directory: {e}")))?;
        }
        let conn = Connection::open(path).map_err(|e| err(e.to_string()))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| err(e.to_string()))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| err(e.to_string()))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(err(format!("cannot switch to WAL mode (got {mode})")));
        }
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS notify_outbox (
                 id INTEGER PRIMARY KEY AUTOINCREMENT,
                 channel TEXT NOT NULL,
                 key TEXT NOT NULL,
                 payload TEXT NOT NULL,
                 attempts INTEGER NOT NULL DEFAULT 0,
                 next_attempt_ms INTEGER NOT NULL,
                 last_error TEXT,
                 created_ms INTEGER NOT NULL,
                 state TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'dead')),
                 UNIQUE (channel, key)
             );
             CREATE INDEX IF NOT EXISTS notify_outbox_due
                 ON notify_outbox (state, next_attempt_ms);
             CREATE TABLE IF NOT EXISTS notify_digest (
                 channel TEXT PRIMARY KEY,
                 key TEXT NOT NULL,
                 payload TEXT NOT NULL,
                 from_ms INTEGER NOT NULL,
                 due_ms INTEGER NOT NULL
             );",
        )
        .map_err(|e| err(e.to_string()))?;
        Ok(Outbox {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: impl std::fmt::Display) -> NotifyError {
        NotifyError::Outbox {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        }
    }

    /// Queues `n` for `channel`, due now. `false` when the channel already
    /// has it queued (pending or dead). Queuing a digest also removes the
    /// saved digest it was collected as, in the same transaction.
    pub fn push(
        &mut self,
        channel: &str,
        n: &Notification,
        now_ms: i64,
    ) -> Result<bool, NotifyError> {
        let payload = serde_json::to_string(n).map_err(|e| self.err(e))?;
        let key = n.key();
        let path = self.path.display().to_string();
        let err = |e: rusqlite::Error| NotifyError::Outbox {
            path: path.clone(),
            reason: e.to_string(),
        };
        let tx = self.conn.transaction().map_err(err)?;
        let added = tx
            .execute(
                "INSERT OR IGNORE INTO notify_outbox
                     (channel, key, payload, attempts, next_attempt_ms, created_ms, state)
                 VALUES (?1, ?2, ?3, 0, ?4, ?4, 'pending')",
                params![channel, key, payload, now_ms],
            )
            .map_err(err)?;
        if matches!(n, Notification::Digest(_)) {
            tx.execute(
                "DELETE FROM notify_digest WHERE channel = ?1 AND key = ?2",
                params![channel, key],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(added == 1)
    }

    fn entries(&self, sql: &str, p: impl rusqlite::Params) -> Result<Vec<Entry>, NotifyError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(p, |r| {
                Ok(Entry {
                    id: r.get(0)?,
                    channel: r.get(1)?,
                    key: r.get(2)?,
                    payload: r.get(3)?,
                    attempts: r.get(4)?,
                    next_attempt_ms: r.get(5)?,
                    last_error: r.get(6)?,
                    created_ms: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Pending entries due at `now_ms`, oldest due first, at most `limit`.
    pub fn due(&self, now_ms: i64, limit: usize) -> Result<Vec<Entry>, NotifyError> {
        self.entries(
            "SELECT id, channel, key, payload, attempts, next_attempt_ms, last_error, created_ms
             FROM notify_outbox WHERE state = 'pending' AND next_attempt_ms <= ?1
             ORDER BY next_attempt_ms, id LIMIT ?2",
            params![now_ms, i64::try_from(limit).unwrap_or(i64::MAX)],
        )
    }

    /// `due`, for one channel.
    pub fn due_for(
        &self,
        channel: &str,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<Entry>, NotifyError> {
        self.entries(
            "SELECT id, channel, key, payload, attempts, next_attempt_ms, last_error, created_ms
             FROM notify_outbox WHERE state = 'pending' AND channel = ?1 AND next_attempt_ms <= ?2
             ORDER BY next_attempt_ms, id LIMIT ?3",
            params![channel, now_ms, i64::try_from(limit).unwrap_or(i64::MAX)],
        )
    }

    /// Dead entries, newest first, at most `limit`.
    pub fn dead_entries(&self, limit: usize) -> Result<Vec<Entry>, NotifyError> {
        self.entries(
            "SELECT id, channel, key, payload, attempts, next_attempt_ms, last_error, created_ms
             FROM notify_outbox WHERE state = 'dead' ORDER BY id DESC LIMIT ?1",
            params![i64::try_from(limit).unwrap_or(i64::MAX)],
        )
    }

    /// The entry was delivered: it leaves the queue.
    pub fn delivered(&mut self, id: i64) -> Result<(), NotifyError> {
        self.conn
            .execute("DELETE FROM notify_outbox WHERE id = ?1", params![id])
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// An attempt failed: counts it, and schedules the next one, or marks
    /// the entry dead when it was permanent or the last allowed.
    pub fn failed(
        &mut self,
        id: i64,
        reason: &str,
        now_ms: i64,
        max_attempts: u32,
        permanent: bool,
    ) -> Result<AfterFailure, NotifyError> {
        let attempts: Option<u32> = self
            .conn
            .query_row(
                "SELECT attempts FROM notify_outbox WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some(attempts) = attempts else {
            return Err(self.err(format!("no queued entry {id}")));
        };
        let attempts = attempts.saturating_add(1);
        let reason = clip(reason, MAX_REASON_CHARS);
        let outcome = if permanent || attempts >= max_attempts {
            AfterFailure::Dead
        } else {
            let delay = i64::try_from(backoff(attempts).as_millis()).unwrap_or(BACKOFF_MAX_MS);
            AfterFailure::Retry {
                next_at_ms: now_ms.saturating_add(delay),
            }
        };
        let (state, next) = match outcome {
            AfterFailure::Dead => ("dead", now_ms),
            AfterFailure::Retry { next_at_ms } => ("pending", next_at_ms),
        };
        self.conn
            .execute(
                "UPDATE notify_outbox SET attempts = ?2, last_error = ?3, next_attempt_ms = ?4,
                     state = ?5 WHERE id = ?1",
                params![id, attempts, reason, next, state],
            )
            .map_err(|e| self.err(e))?;
        Ok(outcome)
    }

    /// Marks every pending entry of a channel not in `channels` dead (the
    /// channel was removed from the configuration), returning them.
    pub fn orphans(&mut self, channels: &[&str], now_ms: i64) -> Result<Vec<Entry>, NotifyError> {
        let pending = self.entries(
            "SELECT id, channel, key, payload, attempts, next_attempt_ms, last_error, created_ms
             FROM notify_outbox WHERE state = 'pending' ORDER BY id",
            [],
        )?;
        let orphans: Vec<Entry> = pending
            .into_iter()
            .filter(|e| !channels.contains(&e.channel.as_str()))
            .collect();
        for e in &orphans {
            let reason = format!("channel '{}' is no longer configured", e.channel);
            self.failed(e.id, &reason, now_ms, 1, true)?;
        }
        Ok(orphans)
    }

    fn count(&self, state: &str) -> Result<u64, NotifyError> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM notify_outbox WHERE state = ?1",
                params![state],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(n.unsigned_abs())
    }

    /// Entries waiting for delivery.
    pub fn pending(&self) -> Result<u64, NotifyError> {
        self.count("pending")
    }

    /// Entries given up on.
    pub fn dead(&self) -> Result<u64, NotifyError> {
        self.count("dead")
    }

    /// When the next pending entry is due, if any.
    pub fn next_due_ms(&self) -> Result<Option<i64>, NotifyError> {
        self.conn
            .query_row(
                "SELECT MIN(next_attempt_ms) FROM notify_outbox WHERE state = 'pending'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// `next_due_ms`, for one channel.
    pub fn next_due_for(&self, channel: &str) -> Result<Option<i64>, NotifyError> {
        self.conn
            .query_row(
                "SELECT MIN(next_attempt_ms) FROM notify_outbox
                 WHERE state = 'pending' AND channel = ?1",
                params![channel],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Saves the digest a channel is collecting (replacing the previous
    /// state), so alerts folded into it survive a crash.
    pub fn save_digest(&mut self, saved: &PendingDigest) -> Result<(), NotifyError> {
        let payload = serde_json::to_string(&saved.digest).map_err(|e| self.err(e))?;
        let key = Notification::Digest(saved.digest.clone()).key();
        self.conn
            .execute(
                "INSERT INTO notify_digest (channel, key, payload, from_ms, due_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (channel) DO UPDATE SET key = ?2, payload = ?3, from_ms = ?4, due_ms = ?5",
                params![saved.digest.channel, key, payload, saved.from_ms, saved.due_ms],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The digests being collected when the process stopped; an unreadable
    /// one is returned as an `UnreadableDigest`.
    pub fn saved_digests(
        &self,
    ) -> Result<Vec<Result<PendingDigest, UnreadableDigest>>, NotifyError> {
        let mut stmt = self
            .conn
            .prepare("SELECT channel, payload, from_ms, due_ms FROM notify_digest ORDER BY channel")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (channel, payload, from_ms, due_ms) = row.map_err(|e| self.err(e))?;
            out.push(match serde_json::from_str::<Digest>(&payload) {
                Ok(digest) => Ok(PendingDigest {
                    digest,
                    from_ms,
                    due_ms,
                }),
                Err(e) => Err(UnreadableDigest {
                    channel,
                    reason: format!("unreadable saved digest: {e}"),
                }),
            });
        }
        Ok(out)
    }

    /// Forgets a channel's saved digest.
    pub fn drop_saved_digest(&mut self, channel: &str) -> Result<(), NotifyError> {
        self.conn
            .execute(
                "DELETE FROM notify_digest WHERE channel = ?1",
                params![channel],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::tests::{sample_digest, sample_note};

    fn alert(id: &str) -> Notification {
        let mut n = sample_note();
        n.alert_id = id.into();
        Notification::Alert(n)
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let s: Vec<u64> = (1..=11).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(s, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(backoff(u32::MAX).as_secs(), 300);
        assert_eq!(backoff(0).as_secs(), 1);
    }

    #[test]
    fn push_due_deliver_and_insert_or_ignore() {
        let dir = tempfile::tempdir().unwrap();
        let mut q = Outbox::open(&dir.path().join("state/logsentinel.db")).unwrap();
        assert!(q.push("email", &alert("a1"), 1_000).unwrap());
        assert!(
            !q.push("email", &alert("a1"), 2_000).unwrap(),
            "queued twice"
        );
        assert!(q.push("ops", &alert("a1"), 1_000).unwrap(), "other channel");
        assert!(q.push("email", &alert("a2"), 1_500).unwrap());
        assert_eq!(q.pending().unwrap(), 3);
        assert!(q.due(999, 10).unwrap().is_empty());
        let due = q.due(1_000, 10).unwrap();
        assert_eq!(due.len(), 2);
        assert_eq!(q.due(5_000, 1).unwrap().len(), 1);
        let mine = q.due_for("email", 5_000, 10).unwrap();
        assert_eq!(
            mine.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["a1", "a2"]
        );
        assert_eq!(mine[0].notification().unwrap(), alert("a1"));
        assert_eq!(mine[0].attempts, 0);
        q.delivered(mine[0].id).unwrap();
        assert_eq!(q.pending().unwrap(), 2);
        assert_eq!(q.next_due_ms().unwrap(), Some(1_000));
        assert_eq!(q.next_due_for("email").unwrap(), Some(1_500));
        assert_eq!(q.next_due_for("nope").unwrap(), None);
    }

    #[test]
    fn failures_back_off_then_die() {
        let dir = tempfile::tempdir().unwrap();
        let mut q = Outbox::open(&dir.path().join("logsentinel.db")).unwrap();
        q.push("email", &alert("a1"), 0).unwrap();
        let id = q.due(0, 1).unwrap()[0].id;
        let mut now = 0;
        let mut delays = Vec::new();
        for _ in 0..3 {
            match q.failed(id, "connection refused", now, 4, false).unwrap() {
                AfterFailure::Retry { next_at_ms } => {
                    delays.push(next_at_ms - now);
                    assert!(q.due(next_at_ms - 1, 10).unwrap().is_empty());
                    now = next_at_ms;
                }
                AfterFailure::Dead => panic!("died early"),
            }
        }
        assert_eq!(delays, [1_000, 2_000, 4_000]);
        let e = &q.due(now, 10).unwrap()[0];
        assert_eq!(e.attempts, 3);
        assert_eq!(e.last_error.as_deref(), Some("connection refused"));
        assert_eq!(
            q.failed(id, "still refused", now, 4, false).unwrap(),
            AfterFailure::Dead
        );
        assert_eq!((q.pending().unwrap(), q.dead().unwrap()), (0, 1));
        assert!(q.due(i64::MAX, 10).unwrap().is_empty());
        let dead = q.dead_entries(10).unwrap();
        assert_eq!(dead[0].last_error.as_deref(), Some("still refused"));
        // Dead rows still hold their key: the same alert is not queued again.
        assert!(!q.push("email", &alert("a1"), now).unwrap());

        q.push("email", &alert("a2"), 0).unwrap();
        let id = q.due(now, 1).unwrap()[0].id;
        assert_eq!(
            q.failed(id, "HTTP 404", now, 10, true).unwrap(),
            AfterFailure::Dead
        );
        assert!(q.failed(9_999, "x", now, 10, false).is_err());
    }

    #[test]
    fn resumes_after_reopening_and_shares_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logsentinel.db");
        {
            // Another component's table in the same file is left alone.
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "CREATE TABLE checkpoints (x INTEGER); INSERT INTO checkpoints VALUES (7);",
            )
            .unwrap();
        }
        {
            let mut q = Outbox::open(&path).unwrap();
            q.push("email", &alert("a1"), 10).unwrap();
            q.push("email", &alert("a2"), 10).unwrap();
            let id = q.due(10, 1).unwrap()[0].id;
            q.failed(id, "timeout", 10, 10, false).unwrap();
            let d = sample_digest();
            q.save_digest(&PendingDigest {
                digest: d,
                from_ms: 5,
                due_ms: 60_005,
            })
            .unwrap();
        }
        let mut q = Outbox::open(&path).unwrap();
        assert_eq!(q.pending().unwrap(), 2);
        assert_eq!(q.due(10, 10).unwrap().len(), 1);
        assert_eq!(q.due(1_010, 10).unwrap().len(), 2);
        let saved = q.saved_digests().unwrap();
        assert_eq!(saved.len(), 1);
        let s = saved[0].clone().unwrap();
        assert_eq!((s.from_ms, s.due_ms), (5, 60_005));
        // Queuing the digest removes the saved state, atomically.
        assert!(
            q.push("ops", &Notification::Digest(s.digest), 70_000)
                .unwrap()
        );
        assert!(q.saved_digests().unwrap().is_empty());
        let c = Connection::open(&path).unwrap();
        let x: i64 = c
            .query_row("SELECT x FROM checkpoints", [], |r| r.get(0))
            .unwrap();
        assert_eq!(x, 7);
    }

    #[test]
    fn orphans_and_unreadable_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logsentinel.db");
        let mut q = Outbox::open(&path).unwrap();
        q.push("email", &alert("a1"), 0).unwrap();
        q.push("gone", &alert("a1"), 0).unwrap();
        let orphans = q.orphans(&["email"], 5).unwrap();
        assert_eq!(orphans.len(), 1);
        assert_eq!(orphans[0].channel, "gone");
        assert_eq!((q.pending().unwrap(), q.dead().unwrap()), (1, 1));
        assert_eq!(
            q.dead_entries(1).unwrap()[0].last_error.as_deref(),
            Some("channel 'gone' is no longer configured")
        );
        let c = Connection::open(&path).unwrap();
        c.execute("UPDATE notify_outbox SET payload = '{bad'", [])
            .unwrap();
        let e = &q.due(0, 1).unwrap()[0];
        assert!(
            e.notification()
                .unwrap_err()
                .starts_with("unreadable queued payload")
        );
    }
}
