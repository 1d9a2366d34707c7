//! File identity for checkpoints: device and inode, plus a checksum of the
//! file's first bytes.
//!
//! The inode alone is not enough: file systems recycle inode numbers, so a
//! log deleted while we were down and re-created can come back with the
//! same inode and different content. The head checksum (over the first
//! `head_len` bytes, at most `HEAD_BYTES`) tells them apart. The device and
//! inode alone follow a file across a rename, which is what recognises a
//! rotated file. Together: a checkpoint applies to a file when the inode
//! matches and the file still begins with the bytes it began with.

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};

/// How many leading bytes the checksum covers (fewer while a file is shorter).
pub const HEAD_BYTES: usize = 256;

/// What identifies a file across renames and restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    pub dev: u64,
    pub ino: u64,
    /// Bytes the checksum covers.
    pub head_len: u32,
    /// FNV-1a 64 of the first `head_len` bytes.
    pub head_hash: u64,
}

impl Fingerprint {
    /// The fingerprint of a file whose first bytes are `head`.
    pub fn new(meta: &Metadata, head: &[u8]) -> Fingerprint {
        Fingerprint {
            dev: meta.dev(),
            ino: meta.ino(),
            head_len: head.len() as u32,
            head_hash: fnv1a(head),
        }
    }

    /// Device and inode.
    pub fn inode(&self) -> (u64, u64) {
        (self.dev, self.ino)
    }

    /// Whether `file` (with metadata `meta`) is the file this fingerprint
    /// was taken of: same inode, at least `head_len` bytes long, and its
    /// first `head_len` bytes have the same checksum.
    pub fn matches(&self, file: &File, meta: &Metadata) -> io::Result<bool> {
        if (meta.dev(), meta.ino()) != self.inode() || meta.len() < u64::from(self.head_len) {
            return Ok(false);
        }
        let head = read_head(file, self.head_len as usize)?;
        Ok(head.len() == self.head_len as usize && fnv1a(&head) == self.head_hash)
    }
}

/// Reads up to `len` bytes from the start of `file` (fewer at its end),
/// without moving any file position.
pub fn read_head(file: &File, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let mut got = 0;
    while got < len {
        match file.read_at(&mut buf[got..], got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    buf.truncate(got);
    Ok(buf)
}

/// 64-bit FNV-1a: small, stable across Rust versions (the value is stored
/// on disk), and good enough to tell two log heads apart.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn fnv_is_stable() {
        // Reference values of FNV-1a 64.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn recognises_the_same_file_and_not_a_rewritten_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, b"first line\n").unwrap();
        let f = File::open(&path).unwrap();
        let meta = f.metadata().unwrap();
        let fp = Fingerprint::new(&meta, &read_head(&f, HEAD_BYTES).unwrap());
        assert_eq!(fp.head_len, 11);
        // Growing keeps the identity.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"second\n")
            .unwrap();
        let meta = f.metadata().unwrap();
        assert!(fp.matches(&f, &meta).unwrap());
        // Renaming keeps it too.
        let moved = dir.path().join("a.log.1");
        std::fs::rename(&path, &moved).unwrap();
        let g = File::open(&moved).unwrap();
        assert!(fp.matches(&g, &g.metadata().unwrap()).unwrap());
        // Same inode, new content (truncate and rewrite): not the same file.
        std::fs::write(&moved, b"other line\nmore\n").unwrap();
        assert!(!fp.matches(&g, &g.metadata().unwrap()).unwrap());
        // Shorter than the head: not the same file.
        std::fs::write(&moved, b"fir").unwrap();
        assert!(!fp.matches(&g, &g.metadata().unwrap()).unwrap());
    }
}
