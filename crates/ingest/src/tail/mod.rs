//! Following files like `tail -F`, with checkpoints.
//!
//! A `Tailer` follows a set of paths and glob patterns. Each `poll` reads
//! what the files gained and hands out complete lines, in order per file,
//! through a `TailSink`; the caller processes them, then calls `commit`,
//! which stores every file's offset (just after its last line handed out)
//! in one transaction. The caller decides when a poll happens: on a
//! file-system event (`waker`), every `poll_interval`, or (in tests) when
//! it likes, with the clock passed in.
//!
//! What it survives:
//!
//! - **Rotation by rename**: the path now names another file; the old file
//!   is read to its end first, then kept open (`draining`) for
//!   `rotate_wait` after its last growth, for writers that have not
//!   reopened yet; the new file is read from its start.
//! - **copytruncate** and `> file`: the file is shorter than what was read,
//!   or its first bytes changed; reading starts again at 0.
//! - **Delete and re-create**: like a rename (the open descriptor still
//!   reads the deleted file to its end).
//! - **Late files**: a glob is expanded again at every scan; files that
//!   appear are read from their start.
//! - **Restarts**: a file is recognised by its fingerprint (device, inode,
//!   checksum of its first bytes). A known file resumes at its checkpoint;
//!   a path that was followed before but now holds another file is read
//!   from its start, and the old file (rotated while we were stopped) is
//!   looked up by inode in the same directory and finished first. A file
//!   never seen before starts at its end (`StartAt::End`, the default for
//!   live logs) or at its start.
//!
//! What it cannot know: a file created and rotated away while we were
//! stopped, before it had a checkpoint (nothing names it); lines written
//! between copytruncate's copy and its truncation (only the copy has
//! them); that a new file under a glob is a copy of one already read (it
//! is read as new: match live names, not rotated ones). A checkpoint of an
//! empty file has no head to check and is not used to find the file
//! after a rename.
//!
//! A partial last line waits for its newline; after `partial_flush` without
//! growth it is handed out as it is. A partial line is never checkpointed
//! as read, so after a restart it is read again, complete.
//!
//! # Layout
//!
//! - `fingerprint`: file identity.
//! - `checkpoint`: the SQLite checkpoint tables.
//! - `follower`: one open file: offsets, line cutting, partial lines.
//! - `waker`: file-system notifications (inotify through `notify`).

pub mod checkpoint;
pub mod fingerprint;
mod follower;
pub mod waker;

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::allow::{AllowList, glob_base};
use crate::error::IngestError;
use checkpoint::{Checkpoint, CheckpointStore};
use follower::Follower;

/// Identifies one opened file for the life of a `Tailer`.
pub type FileKey = u64;

/// One line of a `TailBatch`: `data[start..end]`, without its terminator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TailLine {
    pub start: usize,
    pub end: usize,
    /// File offset of the line's first byte.
    pub offset: u64,
    /// File offset just after the line (and its newline).
    pub end_offset: u64,
    /// 1-based line number in the file.
    pub number: u64,
    /// Longer than the cap: this is its head.
    pub truncated: bool,
}

/// Consecutive lines of one file.
pub struct TailBatch<'a> {
    pub file: FileKey,
    pub path: &'a Path,
    /// `path` for messages and `log.file.path`.
    pub name: &'a str,
    pub data: &'a [u8],
    pub lines: &'a [TailLine],
}

impl TailBatch<'_> {
    /// The bytes of a line of this batch.
    pub fn bytes(&self, line: &TailLine) -> &[u8] {
        self.data.get(line.start..line.end).unwrap_or_default()
    }
}

/// Where reading starts in a file seen for the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    Beginning,
    End,
}

/// Why a file was opened where it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenReason {
    /// First time seen, at startup: from its end (`StartAt::End`).
    FromEnd,
    /// First time seen, at startup: from its start.
    FromBeginning,
    /// Known file: at its checkpoint.
    Resumed,
    /// A file that appeared (or replaced another) while following.
    New,
    /// A path followed before now holds another file: from its start.
    Replaced,
    /// A file rotated away while we were stopped: its rest.
    RotatedWhileStopped,
}

/// Things worth telling an operator.
#[derive(Debug)]
pub enum Notice<'a> {
    Opened {
        path: &'a Path,
        offset: u64,
        reason: OpenReason,
    },
    /// The path now names another file (or none); the old one is finished.
    Rotated { path: &'a Path },
    /// Truncated or rewritten in place: reading starts again at 0.
    Truncated { path: &'a Path },
    /// A rotated-away or deleted file was read to its end and closed.
    Finished { path: &'a Path, offset: u64 },
    /// Outside the allowed directories.
    Refused { path: &'a Path, reason: String },
    /// A read or open error (the file is skipped; the run goes on).
    Error { path: &'a Path, error: String },
}

/// Receives what a poll found.
pub trait TailSink {
    fn lines(&mut self, batch: &TailBatch<'_>);
    fn notice(&mut self, _notice: Notice<'_>) {}
}

/// What to follow.
#[derive(Debug, Clone)]
pub struct WatchPath {
    /// A path, or a glob pattern.
    pub spec: String,
    pub glob: bool,
    /// Matches must be under the allowed directories.
    pub checked: bool,
}

impl WatchPath {
    /// `spec` as given: a glob when it has `*`, `?` or `[` and is not an
    /// existing file.
    pub fn new(spec: &str, checked: bool) -> WatchPath {
        WatchPath {
            spec: spec.to_string(),
            glob: spec.contains(['*', '?', '[']) && !Path::new(spec).exists(),
            checked,
        }
    }

    /// The directory to watch for events, and whether recursively.
    pub fn dir(&self) -> (PathBuf, bool) {
        glob_base(&self.spec)
    }

    fn covers(&self, path: &Path) -> bool {
        if self.glob {
            glob::Pattern::new(&self.spec).is_ok_and(|p| p.matches_path(path))
        } else {
            Path::new(&self.spec) == path
        }
    }
}

/// Tuning of a `Tailer`.
#[derive(Debug, Clone)]
pub struct TailConfig {
    pub start_at: StartAt,
    /// Stat and glob scan at least this often (also the fallback when no
    /// file-system events arrive).
    pub poll_interval: Duration,
    /// Hand out a partial last line after this long without growth.
    pub partial_flush: Option<Duration>,
    /// Keep reading a rotated or deleted file this long after its last growth.
    pub rotate_wait: Duration,
    /// Lines longer than this are cut (and flagged).
    pub max_line: usize,
    /// At most about this many bytes per file per poll (fairness).
    pub read_budget: usize,
}

impl Default for TailConfig {
    fn default() -> Self {
        TailConfig {
            start_at: StartAt::End,
            poll_interval: Duration::from_millis(250),
            partial_flush: Some(Duration::from_secs(1)),
            rotate_wait: Duration::from_secs(5),
            max_line: crate::DEFAULT_MAX_LINE,
            read_budget: 4 << 20,
        }
    }
}

/// What a poll did.
#[derive(Debug, Clone, Copy, Default)]
pub struct PollOutcome {
    pub bytes: u64,
    /// Some file has more to read right away (its budget ran out).
    pub more: bool,
}

/// Counts for status lines.
#[derive(Debug, Clone, Default)]
pub struct TailStatus {
    /// Files followed (draining ones included).
    pub files: usize,
    pub draining: usize,
    /// Bytes written to the files and not yet handed out.
    pub lag_bytes: u64,
}

/// Follows files. See the module documentation.
pub struct Tailer {
    config: TailConfig,
    watches: Vec<WatchPath>,
    allow: AllowList,
    store: Option<CheckpointStore>,
    /// Checkpoints by inode, as last committed (or loaded).
    known: HashMap<(u64, u64), Checkpoint>,
    followers: Vec<Follower>,
    /// Checkpoints of closed files, to write at the next commit.
    closed: Vec<Checkpoint>,
    removed: Vec<(u64, u64)>,
    refused: HashSet<PathBuf>,
    errors: HashSet<PathBuf>,
    next_key: FileKey,
    started: bool,
    last_scan: Option<Instant>,
    scan_requested: bool,
    /// `meta` of the last commit.
    last_meta: Vec<(String, String)>,
}

impl Tailer {
    /// A tailer for `watches`; `store` keeps checkpoints across runs
    /// (without one, every run starts by `config.start_at`).
    pub fn new(
        config: TailConfig,
        watches: Vec<WatchPath>,
        allow: AllowList,
        store: Option<CheckpointStore>,
    ) -> Result<Tailer, IngestError> {
        let known = match &store {
            Some(s) => s.load()?.into_iter().map(|c| (c.fp.inode(), c)).collect(),
            None => HashMap::new(),
        };
        Ok(Tailer {
            config,
            watches,
            allow,
            store,
            known,
            followers: Vec::new(),
            closed: Vec::new(),
            removed: Vec::new(),
            refused: HashSet::new(),
            errors: HashSet::new(),
            next_key: 1,
            started: false,
            last_scan: None,
            scan_requested: false,
            last_meta: Vec::new(),
        })
    }

    pub fn watches(&self) -> &[WatchPath] {
        &self.watches
    }

    pub fn config(&self) -> &TailConfig {
        &self.config
    }

    /// Asks for a stat and glob scan at the next poll (a file was created,
    /// renamed or deleted).
    pub fn request_scan(&mut self) {
        self.scan_requested = true;
    }

    /// The store, for components that share the state database.
    pub fn store(&self) -> Option<&CheckpointStore> {
        self.store.as_ref()
    }

    pub fn status(&self) -> TailStatus {
        TailStatus {
            files: self.followers.len(),
            draining: self.followers.iter().filter(|f| f.draining).count(),
            lag_bytes: self.followers.iter().map(Follower::lag_bytes).sum(),
        }
    }

    /// Reads what the followed files gained and hands out their complete
    /// lines; scans for rotated, truncated and new files when due.
    pub fn poll(&mut self, now: Instant, sink: &mut dyn TailSink) -> PollOutcome {
        if !self.started {
            self.started = true;
            self.startup(now, sink);
            self.last_scan = Some(now);
        } else if self.scan_requested
            || self
                .last_scan
                .is_none_or(|t| now.saturating_duration_since(t) >= self.config.poll_interval)
        {
            self.scan(now, sink);
            self.last_scan = Some(now);
        }
        self.scan_requested = false;
        let mut out = PollOutcome::default();
        let mut failed = Vec::new();
        for (i, f) in self.followers.iter_mut().enumerate() {
            let mut lines = |b: &TailBatch<'_>| sink.lines(b);
            match f.read(
                self.config.read_budget,
                self.config.max_line,
                now,
                &mut lines,
            ) {
                Ok(r) => {
                    out.bytes += r.bytes;
                    out.more |= r.more;
                }
                Err(e) => {
                    sink.notice(Notice::Error {
                        path: &f.path,
                        error: e.to_string(),
                    });
                    failed.push(i);
                }
            }
        }
        for i in failed.into_iter().rev() {
            let f = self.followers.remove(i);
            self.closed.push(checkpoint_of(&f));
        }
        if let Some(t) = self.config.partial_flush {
            for f in &mut self.followers {
                if f.partial_is_stale(now, t) {
                    f.flush_partial(&mut |b| sink.lines(b));
                }
            }
        }
        // Finish rotated-away files that stayed idle.
        let wait = self.config.rotate_wait;
        let mut i = 0;
        while i < self.followers.len() {
            let f = &mut self.followers[i];
            if f.draining && now.saturating_duration_since(f.last_growth) >= wait {
                f.flush_partial(&mut |b| sink.lines(b));
                sink.notice(Notice::Finished {
                    path: &f.path,
                    offset: f.done,
                });
                let f = self.followers.remove(i);
                // A deleted file is gone for good: forget it (its inode may
                // come back with another file). A renamed one is kept, so
                // that a glob matching its new name knows it was read.
                if f.file.metadata().is_ok_and(|m| m.nlink() == 0) {
                    self.removed.push((f.dev, f.ino));
                } else {
                    self.closed.push(checkpoint_of(&f));
                }
            } else {
                i += 1;
            }
        }
        out
    }

    /// Reads every file to its current end (complete lines only): for a
    /// clean shutdown.
    pub fn drain(&mut self, now: Instant, sink: &mut dyn TailSink) {
        loop {
            let out = self.poll(now, sink);
            if !out.more {
                break;
            }
        }
    }

    /// Stores every file's offset (and `meta`) in one transaction. Call it
    /// after the lines handed out so far were processed.
    pub fn commit(&mut self, meta: &[(String, String)]) -> Result<(), IngestError> {
        let mut upserts: Vec<Checkpoint> = std::mem::take(&mut self.closed);
        for f in &mut self.followers {
            if f.dirty {
                f.refresh_head();
                upserts.push(checkpoint_of(f));
            }
        }
        let removed = std::mem::take(&mut self.removed);
        if upserts.is_empty() && removed.is_empty() && (meta.is_empty() || meta == self.last_meta) {
            return Ok(());
        }
        if let Some(store) = &mut self.store
            && let Err(e) = store.commit(&upserts, &removed, meta)
        {
            // Keep what was not written for the next try.
            self.closed = upserts;
            self.removed = removed;
            return Err(e);
        }
        self.last_meta = meta.to_vec();
        for f in &mut self.followers {
            f.dirty = false;
        }
        for r in removed {
            self.known.remove(&r);
        }
        for c in upserts {
            self.known.insert(c.fp.inode(), c);
        }
        Ok(())
    }

    /// Paths the watches match now, allowed and regular files only.
    fn current_paths(&mut self, sink: &mut dyn TailSink) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        for w in &self.watches {
            let candidates: Vec<PathBuf> = if w.glob {
                match glob::glob(&w.spec) {
                    Ok(paths) => {
                        let mut v: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
                        v.sort();
                        v
                    }
                    Err(_) => Vec::new(),
                }
            } else {
                vec![PathBuf::from(&w.spec)]
            };
            for p in candidates {
                if !p.is_file() || out.contains(&p) {
                    continue;
                }
                if w.checked
                    && let Err(e) = self.allow.check(&p)
                {
                    if self.refused.insert(p.clone()) {
                        let reason = match e {
                            IngestError::NotAllowed { reason, .. } => reason,
                            other => other.to_string(),
                        };
                        sink.notice(Notice::Refused { path: &p, reason });
                    }
                    continue;
                }
                out.push(p);
            }
        }
        out
    }

    fn open(&mut self, path: &Path, sink: &mut dyn TailSink) -> Option<(File, std::fs::Metadata)> {
        let r = File::open(path).and_then(|f| {
            let m = f.metadata()?;
            Ok((f, m))
        });
        match r {
            Ok((f, m)) if m.is_file() => {
                self.errors.remove(path);
                Some((f, m))
            }
            Ok(_) => None,
            Err(e) => {
                if self.errors.insert(path.to_path_buf()) {
                    sink.notice(Notice::Error {
                        path,
                        error: e.to_string(),
                    });
                }
                None
            }
        }
    }

    fn add(
        &mut self,
        path: PathBuf,
        file: File,
        meta: &std::fs::Metadata,
        (offset, line, reason): (u64, u64, OpenReason),
        now: Instant,
        sink: &mut dyn TailSink,
    ) -> Option<usize> {
        let key = self.next_key;
        self.next_key += 1;
        let shown = path.clone();
        match Follower::new(key, path, file, meta, offset, line, now) {
            Ok(f) => {
                sink.notice(Notice::Opened {
                    path: &f.path,
                    offset,
                    reason,
                });
                self.followers.push(f);
                Some(self.followers.len() - 1)
            }
            Err(e) => {
                sink.notice(Notice::Error {
                    path: &shown,
                    error: e.to_string(),
                });
                None
            }
        }
    }

    /// The checkpoint that applies to an opened file, if any.
    fn known_for(&self, file: &File, meta: &std::fs::Metadata) -> Option<&Checkpoint> {
        let c = self.known.get(&(meta.dev(), meta.ino()))?;
        c.fp.matches(file, meta).ok()?.then_some(c)
    }

    fn startup(&mut self, now: Instant, sink: &mut dyn TailSink) {
        for path in self.current_paths(sink) {
            let Some((file, meta)) = self.open(&path, sink) else {
                continue;
            };
            let name = path.display().to_string();
            let (offset, line, reason) = match self.known_for(&file, &meta) {
                Some(c) if c.offset <= meta.len() => (c.offset, c.line, OpenReason::Resumed),
                Some(_) => (0, 0, OpenReason::Replaced),
                None if self.known.values().any(|c| c.path == name) => (0, 0, OpenReason::Replaced),
                None => match self.config.start_at {
                    StartAt::Beginning => (0, 0, OpenReason::FromBeginning),
                    StartAt::End => match end_of_lines(&file, meta.len()) {
                        Ok((o, l)) => (o, l, OpenReason::FromEnd),
                        Err(_) => (meta.len(), 0, OpenReason::FromEnd),
                    },
                },
            };
            self.add(path, file, &meta, (offset, line, reason), now, sink);
        }
        // Files we followed that are no longer at their path: rotated (or
        // deleted) while we were stopped. Finish the ones still around.
        let followed: HashSet<(u64, u64)> = self.followers.iter().map(|f| (f.dev, f.ino)).collect();
        let orphans: Vec<Checkpoint> = self
            .known
            .values()
            .filter(|c| !followed.contains(&c.fp.inode()))
            .filter(|c| self.watches.iter().any(|w| w.covers(Path::new(&c.path))))
            .cloned()
            .collect();
        for c in orphans {
            match self.find_rotated(&c) {
                Some((path, file, meta)) => {
                    if meta.len() > c.offset
                        && let Some(i) = self.add(
                            path,
                            file,
                            &meta,
                            (c.offset, c.line, OpenReason::RotatedWhileStopped),
                            now,
                            sink,
                        )
                    {
                        self.followers[i].draining = true;
                        self.followers[i].home = c.path.clone();
                    }
                }
                None => self.removed.push(c.fp.inode()),
            }
        }
    }

    /// The file of checkpoint `c` in the directory of its path, found by
    /// inode and head.
    fn find_rotated(&self, c: &Checkpoint) -> Option<(PathBuf, File, std::fs::Metadata)> {
        // A file that was empty has no head to check: any file that got
        // its inode back would match. Not worth the risk of reading a
        // stranger (its rest, if any, is lost; see the model test).
        if c.fp.head_len == 0 {
            return None;
        }
        let path = Path::new(&c.path);
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let checked = self.watches.iter().any(|w| w.checked && w.covers(path));
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            let Ok(lmeta) = entry.metadata() else {
                continue;
            };
            if !lmeta.is_file() || (lmeta.dev(), lmeta.ino()) != c.fp.inode() {
                continue;
            }
            let p = entry.path();
            if checked && self.allow.check(&p).is_err() {
                return None;
            }
            let file = File::open(&p).ok()?;
            let meta = file.metadata().ok()?;
            if c.fp.matches(&file, &meta).ok()? {
                return Some((p, file, meta));
            }
        }
        None
    }

    fn scan(&mut self, now: Instant, sink: &mut dyn TailSink) {
        let paths = self.current_paths(sink);
        for path in &paths {
            let Ok(meta) = std::fs::metadata(path) else {
                continue;
            };
            let inode = (meta.dev(), meta.ino());
            if let Some(i) = self
                .followers
                .iter()
                .position(|f| !f.draining && &f.path == path)
            {
                let f = &mut self.followers[i];
                if (f.dev, f.ino) == inode {
                    match f.check_rewritten() {
                        Ok(false) => {}
                        Ok(true) => {
                            sink.notice(Notice::Truncated { path });
                            let mut lines = |b: &TailBatch<'_>| sink.lines(b);
                            if let Err(e) = f.restart(&mut lines) {
                                sink.notice(Notice::Error {
                                    path,
                                    error: e.to_string(),
                                });
                            }
                        }
                        Err(e) => sink.notice(Notice::Error {
                            path,
                            error: e.to_string(),
                        }),
                    }
                    continue;
                }
                // Rotated: finish the old file first.
                self.start_draining(i, now, sink);
            }
            // A file we already follow under another name (renamed into the
            // pattern, or renamed back): follow it under this one.
            if let Some(f) = self
                .followers
                .iter_mut()
                .find(|f| (f.dev, f.ino) == inode && (f.draining || !paths.contains(&f.path)))
            {
                f.path = path.clone();
                f.name = path.display().to_string();
                f.home = f.name.clone();
                f.draining = false;
                f.dirty = true;
                continue;
            }
            if self.followers.iter().any(|f| (f.dev, f.ino) == inode) {
                continue; // the same file under two matching names
            }
            let Some((file, meta)) = self.open(path, sink) else {
                continue;
            };
            let (offset, line, reason) = match self.known_for(&file, &meta) {
                Some(c) if c.offset <= meta.len() => (c.offset, c.line, OpenReason::Resumed),
                _ => (0, 0, OpenReason::New),
            };
            self.add(path.clone(), file, &meta, (offset, line, reason), now, sink);
        }
        // Followed paths that are gone: deleted or renamed away.
        for i in 0..self.followers.len() {
            let f = &self.followers[i];
            if !f.draining && !paths.contains(&f.path) {
                self.start_draining(i, now, sink);
            }
        }
    }

    fn start_draining(&mut self, i: usize, now: Instant, sink: &mut dyn TailSink) {
        let max_line = self.config.max_line;
        let f = &mut self.followers[i];
        sink.notice(Notice::Rotated { path: &f.path });
        f.draining = true;
        let mut lines = |b: &TailBatch<'_>| sink.lines(b);
        if let Err(e) = f.read(usize::MAX, max_line, now, &mut lines) {
            sink.notice(Notice::Error {
                path: &f.path,
                error: e.to_string(),
            });
        }
        // Late writers get `rotate_wait` from now.
        f.last_growth = now;
    }
}

fn checkpoint_of(f: &Follower) -> Checkpoint {
    Checkpoint {
        fp: f.fingerprint(),
        path: f.home.clone(),
        offset: f.done,
        line: f.line,
    }
}

/// The offset just after the last newline of a file of `len` bytes (a
/// trailing partial line is left to be read), and the number of lines
/// before it.
fn end_of_lines(file: &File, len: u64) -> io::Result<(u64, u64)> {
    const BACK: u64 = 64 * 1024;
    let from = len.saturating_sub(BACK);
    let mut tail = vec![0u8; (len - from) as usize];
    let n = read_full_at(file, &mut tail, from)?;
    tail.truncate(n);
    let end = match memchr::memrchr(b'\n', &tail) {
        Some(i) => from + i as u64 + 1,
        None if from == 0 => 0,
        None => len,
    };
    // Count lines before `end` so that line numbers stay right.
    let mut lines = 0u64;
    let mut pos = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    while pos < end {
        let want = ((end - pos) as usize).min(buf.len());
        let n = read_full_at(file, &mut buf[..want], pos)?;
        if n == 0 {
            break;
        }
        lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        pos += n as u64;
    }
    Ok((end, lines))
}

fn read_full_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], offset + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
