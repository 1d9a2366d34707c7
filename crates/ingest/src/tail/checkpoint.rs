//! Checkpoints in the embedded state store: one SQLite database
//! (`STATE_DIR/logsentinel.db`, WAL) that every stateful component of the
//! process shares. This module owns two tables:
//!
//! - `checkpoints`: per file (keyed by device and inode), its head
//!   fingerprint, the path it was followed as, the offset just after the
//!   last line handed out and processed, and that line's number;
//! - `watch_meta`: small key/value facts written in the same transaction
//!   (an output file's committed length, for instance).
//!
//! Every commit is one transaction, so a crash leaves either the old or the
//! new set of offsets, never a mix. `synchronous = NORMAL` with WAL keeps a
//! committed transaction across a process crash (`kill -9`); only a power
//! loss can take back the last commits, and then files are re-read from an
//! earlier offset (lines seen again, none lost).
//!
//! A lock file (`watch.lock`) makes sure one process at a time follows
//! files with a state directory.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::IngestError;
use crate::tail::fingerprint::Fingerprint;

/// The database file inside the state directory.
pub const DB_FILE: &str = "logsentinel.db";
const LOCK_FILE: &str = "watch.lock";

/// What is remembered about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub fp: Fingerprint,
    /// The path the file was followed as (a rotated file keeps the path it
    /// had; that is where to look for it after a restart).
    pub path: String,
    /// Offset just after the last processed line.
    pub offset: u64,
    /// Number of that line (1-based; 0 before the first).
    pub line: u64,
}

/// The checkpoint tables of the state database.
pub struct CheckpointStore {
    conn: Connection,
    path: PathBuf,
    _lock: File,
}

impl CheckpointStore {
    /// Opens (creating when needed) `dir/logsentinel.db` and takes the
    /// directory's watch lock.
    pub fn open(dir: &Path) -> Result<CheckpointStore, IngestError> {
        let db_path = dir.join(DB_FILE);
        let err = |reason: String| IngestError::State {
            path: db_path.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| IngestError::State {
            path: dir.display().to_string(),
            reason: format!("cannot create the state directory: {e}"),
        })?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = File::create(&lock_path).map_err(|e| IngestError::State {
            path: lock_path.display().to_string(),
            reason: e.to_string(),
        })?;
        if lock.try_lock().is_err() {
            return Err(IngestError::State {
                path: dir.display().to_string(),
                reason: "another logsentinel process is using this state directory".into(),
            });
        }
        let conn = Connection::open(&db_path).map_err(|e| err(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| err(e.to_string()))?;
        // journal_mode returns a row; read it rather than execute it.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| err(e.to_string()))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(err(format!("cannot switch to WAL mode (got {mode})")));
        }
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS checkpoints (
                 dev INTEGER NOT NULL,
                 ino INTEGER NOT NULL,
                 head_len INTEGER NOT NULL,
                 head_hash INTEGER NOT NULL,
                 path TEXT NOT NULL,
                 offset INTEGER NOT NULL,
                 line INTEGER NOT NULL,
                 updated_ms INTEGER NOT NULL,
                 PRIMARY KEY (dev, ino)
             );
             CREATE TABLE IF NOT EXISTS watch_meta (
                 key TEXT PRIMARY KEY,
                 value TEXT NOT NULL
             );",
        )
        .map_err(|e| err(e.to_string()))?;
        Ok(CheckpointStore {
            conn,
            path: db_path,
            _lock: lock,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: rusqlite::Error) -> IngestError {
        IngestError::State {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        }
    }

    /// Every checkpoint.
    pub fn load(&self) -> Result<Vec<Checkpoint>, IngestError> {
        let mut stmt = self
            .conn
            .prepare("SELECT dev, ino, head_len, head_hash, path, offset, line FROM checkpoints")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Checkpoint {
                    fp: Fingerprint {
                        dev: r.get::<_, i64>(0)? as u64,
                        ino: r.get::<_, i64>(1)? as u64,
                        head_len: r.get::<_, i64>(2)?.clamp(0, u32::MAX as i64) as u32,
                        head_hash: r.get::<_, i64>(3)? as u64,
                    },
                    path: r.get(4)?,
                    offset: r.get::<_, i64>(5)?.max(0) as u64,
                    line: r.get::<_, i64>(6)?.max(0) as u64,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// A value of `watch_meta`.
    pub fn meta(&self, key: &str) -> Result<Option<String>, IngestError> {
        self.conn
            .query_row("SELECT value FROM watch_meta WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Writes `upserts`, deletes the checkpoints of `removed` inodes and
    /// sets `meta`, in one transaction.
    pub fn commit(
        &mut self,
        upserts: &[Checkpoint],
        removed: &[(u64, u64)],
        meta: &[(String, String)],
    ) -> Result<(), IngestError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let tx = self.conn.transaction().map_err(|e| IngestError::State {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        let result = (|| {
            {
                let mut del =
                    tx.prepare_cached("DELETE FROM checkpoints WHERE dev = ?1 AND ino = ?2")?;
                for (dev, ino) in removed {
                    del.execute(params![*dev as i64, *ino as i64])?;
                }
                let mut up = tx.prepare_cached(
                    "INSERT INTO checkpoints (dev, ino, head_len, head_hash, path, offset, line, updated_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (dev, ino) DO UPDATE SET head_len = excluded.head_len,
                         head_hash = excluded.head_hash, path = excluded.path,
                         offset = excluded.offset, line = excluded.line,
                         updated_ms = excluded.updated_ms",
                )?;
                for c in upserts {
                    up.execute(params![
                        c.fp.dev as i64,
                        c.fp.ino as i64,
                        i64::from(c.fp.head_len),
                        c.fp.head_hash as i64,
                        c.path,
                        c.offset as i64,
                        c.line as i64,
                        now
                    ])?;
                }
                let mut m = tx.prepare_cached(
                    "INSERT INTO watch_meta (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )?;
                for (k, v) in meta {
                    m.execute(params![k, v])?;
                }
            }
            tx.commit()
        })();
        result.map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(ino: u64, offset: u64) -> Checkpoint {
        Checkpoint {
            fp: Fingerprint {
                dev: 1,
                ino,
                head_len: 10,
                head_hash: u64::MAX - 3, // above i64::MAX: stored bit-cast
            },
            path: format!("/logs/{ino}.log"),
            offset,
            line: offset / 10,
        }
    }

    #[test]
    fn round_trip_and_lock() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut store = CheckpointStore::open(dir.path()).unwrap();
            // A second process (or handle) cannot take the same directory.
            let second = CheckpointStore::open(dir.path());
            assert!(second.err().unwrap().to_string().contains("another"));
            store
                .commit(&[cp(5, 100), cp(6, 200)], &[], &[("k".into(), "v".into())])
                .unwrap();
            store.commit(&[cp(5, 150)], &[(1, 6)], &[]).unwrap();
        }
        let store = CheckpointStore::open(dir.path()).unwrap();
        assert_eq!(store.load().unwrap(), vec![cp(5, 150)]);
        assert_eq!(store.meta("k").unwrap().as_deref(), Some("v"));
        assert_eq!(store.meta("nope").unwrap(), None);
    }
}
