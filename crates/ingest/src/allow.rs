//! Which files stream mode may read: only files under allowed directories,
//! decided on the resolved path (symlinks followed, `.` and `..` removed),
//! so that neither a symlink inside an allowed directory nor a `..` in a
//! pattern leads outside.
//!
//! Defaults (DESIGN.md, "Safe by default"): `~/logs`, `/var/log/app`,
//! `/opt/logsentinel`. Directories that do not exist are remembered in the
//! form given (so messages list them) but allow nothing until they exist.

use std::path::{Component, Path, PathBuf};

use crate::error::IngestError;

/// A set of allowed directories.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    /// Resolved allowed directories.
    dirs: Vec<PathBuf>,
    /// The directories as configured, for messages.
    shown: Vec<String>,
}

impl AllowList {
    /// The built-in directories: `~/logs` (when `HOME` is set),
    /// `/var/log/app`, `/opt/logsentinel`.
    pub fn default_dirs() -> Vec<PathBuf> {
        let mut v = Vec::new();
        if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            v.push(PathBuf::from(home).join("logs"));
        }
        v.push(PathBuf::from("/var/log/app"));
        v.push(PathBuf::from("/opt/logsentinel"));
        v
    }

    /// An allow-list of `dirs` (a leading `~/` means the home directory).
    pub fn new(dirs: &[PathBuf]) -> AllowList {
        let mut list = AllowList::default();
        for d in dirs {
            let d = expand_home(d);
            list.shown.push(d.display().to_string());
            if let Ok(c) = d.canonicalize()
                && c.is_dir()
            {
                list.dirs.push(c);
            }
        }
        list
    }

    /// The directories as configured.
    pub fn shown(&self) -> &[String] {
        &self.shown
    }

    /// Resolves `path` and checks that it lies under an allowed directory;
    /// returns the resolved path.
    pub fn check(&self, path: &Path) -> Result<PathBuf, IngestError> {
        let resolved = resolve(path).map_err(|reason| IngestError::NotAllowed {
            path: path.display().to_string(),
            reason,
        })?;
        if self.dirs.iter().any(|d| resolved.starts_with(d)) {
            Ok(resolved)
        } else {
            let via = if resolved.as_path() != path {
                format!("resolves to '{}'; ", resolved.display())
            } else {
                String::new()
            };
            Err(IngestError::NotAllowed {
                path: path.display().to_string(),
                reason: format!(
                    "{via}allowed: {}; add one with --allow-dir or [watch] allow_dirs",
                    if self.shown.is_empty() {
                        "none".to_string()
                    } else {
                        self.shown.join(", ")
                    }
                ),
            })
        }
    }
}

/// `~/x` → `$HOME/x`.
fn expand_home(p: &Path) -> PathBuf {
    if let Ok(rest) = p.strip_prefix("~")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    p.to_path_buf()
}

/// The absolute path with every symlink resolved. A path that does not
/// exist (yet) resolves through its nearest existing ancestor; the missing
/// rest may not contain `..` (it could not be resolved honestly).
pub fn resolve(path: &Path) -> Result<PathBuf, String> {
    if let Ok(c) = path.canonicalize() {
        return Ok(c);
    }
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| format!("cannot resolve: {e}"))?
            .join(path)
    };
    let mut missing: Vec<&std::ffi::OsStr> = Vec::new();
    let mut base = abs.as_path();
    loop {
        if let Ok(c) = base.canonicalize() {
            let mut out = c;
            for part in missing.iter().rev() {
                out.push(part);
            }
            return Ok(out);
        }
        match base.components().next_back() {
            Some(Component::Normal(name)) => missing.push(name),
            Some(Component::CurDir) => {}
            _ => return Err("cannot resolve the path ('..' under a missing directory)".into()),
        }
        base = match base.parent() {
            Some(p) => p,
            None => return Err("cannot resolve the path".into()),
        };
    }
}

/// The directory part of a glob pattern before its first wildcard
/// component (`/var/log/*/x.log` → `/var/log`), and whether wildcards
/// occur in directory components (then matches can be deeper).
pub fn glob_base(pattern: &str) -> (PathBuf, bool) {
    let path = Path::new(pattern);
    let mut base = PathBuf::new();
    let comps: Vec<Component<'_>> = path.components().collect();
    for (i, c) in comps.iter().enumerate() {
        let s = c.as_os_str().to_string_lossy();
        if s.contains(['*', '?', '[']) {
            let deep = i + 1 < comps.len() || s.contains("**");
            if base.as_os_str().is_empty() {
                base.push(".");
            }
            return (base, deep);
        }
        base.push(c.as_os_str());
    }
    // No wildcard: the file's directory.
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    (dir, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_and_dotdot_are_resolved_before_the_check() {
        let root = tempfile::tempdir().unwrap();
        let allowed = root.path().join("allowed");
        let outside = root.path().join("outside");
        std::fs::create_dir_all(&allowed).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(allowed.join("ok.log"), b"x\n").unwrap();
        std::fs::write(outside.join("secret.log"), b"x\n").unwrap();
        std::os::unix::fs::symlink(outside.join("secret.log"), allowed.join("link.log")).unwrap();
        let list = AllowList::new(std::slice::from_ref(&allowed));
        assert!(list.check(&allowed.join("ok.log")).is_ok());
        // A file that does not exist yet, in an allowed directory.
        assert!(list.check(&allowed.join("later.log")).is_ok());
        let err = list
            .check(&allowed.join("link.log"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("outside the allowed") && err.contains("resolves to"),
            "{err}"
        );
        let dotdot = allowed.join("..").join("outside").join("secret.log");
        assert!(list.check(&dotdot).is_err());
        // `..` under a missing directory cannot be resolved: refused.
        assert!(
            list.check(&allowed.join("nope/../../outside/secret.log"))
                .is_err()
        );
        assert!(AllowList::new(&[]).check(&allowed.join("ok.log")).is_err());
    }

    #[test]
    fn glob_bases() {
        assert_eq!(
            glob_base("/var/log/*.log"),
            (PathBuf::from("/var/log"), false)
        );
        assert_eq!(glob_base("/var/*/x.log"), (PathBuf::from("/var"), true));
        assert_eq!(glob_base("*.log"), (PathBuf::from("."), false));
        assert_eq!(glob_base("logs/a.log"), (PathBuf::from("logs"), false));
        assert_eq!(glob_base("/a/**/x"), (PathBuf::from("/a"), true));
    }
}
