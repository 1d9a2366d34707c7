//! File-system notifications that wake the tailer within milliseconds
//! (inotify on Linux, through the `notify` crate). Directories are watched,
//! not files, so that creations, renames and deletions are seen too.
//!
//! Notifications are only a hint: the tailer also stats and scans every
//! `poll_interval`, because inotify misses some changes (network and FUSE
//! file systems, some rotations, overflowed queues).

use std::path::PathBuf;

use notify::event::{EventKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

/// What a notification asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// A file grew: read.
    Data,
    /// A file was created, renamed or deleted: scan, then read.
    Layout,
}

/// Keeps the watches alive; dropping it stops them.
pub struct Waker {
    _watcher: RecommendedWatcher,
    /// Directories watched.
    pub watched: Vec<PathBuf>,
    /// Directories that could not be watched, and why (polling covers them).
    pub failed: Vec<(PathBuf, String)>,
}

impl Waker {
    /// Watches `dirs` (each with whether to watch recursively) and calls
    /// `wake` from the notification thread.
    pub fn start(
        dirs: &[(PathBuf, bool)],
        wake: impl Fn(Wake) + Send + 'static,
    ) -> Result<Waker, String> {
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let kind = match res {
                Ok(ev) => match ev.kind {
                    EventKind::Modify(ModifyKind::Data(_)) => Wake::Data,
                    EventKind::Modify(ModifyKind::Metadata(_)) | EventKind::Access(_) => {
                        return;
                    }
                    _ => Wake::Layout,
                },
                // An error (queue overflow, for one): scan to be safe.
                Err(_) => Wake::Layout,
            };
            wake(kind);
        })
        .map_err(|e| e.to_string())?;
        let mut watched = Vec::new();
        let mut failed = Vec::new();
        for (dir, recursive) in dirs {
            if watched.contains(dir) {
                continue;
            }
            let mode = if *recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            match watcher.watch(dir, mode) {
                Ok(()) => watched.push(dir.clone()),
                Err(e) => failed.push((dir.clone(), e.to_string())),
            }
        }
        Ok(Waker {
            _watcher: watcher,
            watched,
            failed,
        })
    }
}
