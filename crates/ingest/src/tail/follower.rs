//! One followed file: reading from an offset, cutting lines, holding a
//! partial last line, and knowing how far lines were handed out (the
//! checkpoint offset).
//!
//! Reads use `read_at` with an explicit offset, so the open descriptor
//! keeps working after the file is renamed or deleted (that is how a
//! rotated file is finished). The offset handed out (`done`) always sits
//! on a line boundary: just after a newline, after a partial line that was
//! flushed by timeout, or inside an over-long line whose head was handed
//! out (its rest is skipped).

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::tail::fingerprint::{Fingerprint, HEAD_BYTES, read_head};
use crate::tail::{FileKey, TailBatch, TailLine};

const READ_CHUNK: usize = 256 * 1024;

pub(crate) struct Follower {
    pub key: FileKey,
    /// The path the file is followed as.
    pub path: PathBuf,
    /// The display form of `path`, for `log.file.path`.
    pub name: String,
    /// The watched path this file belongs to, stored with its checkpoint
    /// (a file rotated while we were stopped is read under its new name
    /// but still belongs to the path it was followed as).
    pub home: String,
    pub file: File,
    pub dev: u64,
    pub ino: u64,
    /// The file's first bytes (at most `HEAD_BYTES`), as far as known.
    head: Vec<u8>,
    /// Offset of the next byte to read.
    pos: u64,
    /// Bytes read but not yet handed out: the start of an unfinished line.
    buf: Vec<u8>,
    /// Offset of `buf[0]`.
    buf_offset: u64,
    /// Inside an over-long line: discarding up to the next newline.
    skipping: bool,
    /// Offset just after the last line handed out.
    pub done: u64,
    /// Number of the last line handed out.
    pub line: u64,
    /// `done`/`line`/head changed since the last commit.
    pub dirty: bool,
    /// When the file last grew (or was opened).
    pub last_growth: Instant,
    /// Rotated away or deleted: finish it when idle.
    pub draining: bool,
    /// Size at the last stat, for lag.
    pub size: u64,
    lines: Vec<TailLine>,
}

/// What one call to `read` found.
pub(crate) struct ReadOutcome {
    pub bytes: u64,
    /// Stopped at the budget, not at the end of the file.
    pub more: bool,
}

impl Follower {
    /// Opens a follower on `file` starting at `offset` (a line boundary),
    /// whose last line handed out was number `line`.
    pub fn new(
        key: FileKey,
        path: PathBuf,
        file: File,
        meta: &Metadata,
        offset: u64,
        line: u64,
        now: Instant,
    ) -> io::Result<Follower> {
        let head = read_head(&file, HEAD_BYTES)?;
        Ok(Follower {
            key,
            name: path.display().to_string(),
            home: path.display().to_string(),
            path,
            dev: meta.dev(),
            ino: meta.ino(),
            file,
            head,
            pos: offset,
            buf: Vec::new(),
            buf_offset: offset,
            skipping: false,
            done: offset,
            line,
            dirty: true,
            last_growth: now,
            draining: false,
            size: meta.len(),
            lines: Vec::new(),
        })
    }

    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint {
            dev: self.dev,
            ino: self.ino,
            head_len: self.head.len() as u32,
            head_hash: crate::tail::fingerprint::fnv1a(&self.head),
        }
    }

    /// Re-reads the head while the file is shorter than `HEAD_BYTES`, so
    /// that a checkpoint carries the strongest fingerprint there is.
    pub fn refresh_head(&mut self) {
        if self.head.len() < HEAD_BYTES
            && let Ok(h) = read_head(&self.file, HEAD_BYTES)
            && h.len() > self.head.len()
            && h.starts_with(&self.head)
        {
            self.head = h;
        }
    }

    /// Bytes in the file not yet handed out.
    pub fn lag_bytes(&self) -> u64 {
        self.size.saturating_sub(self.done)
    }

    /// Checks the open file against what was read: `Ok(true)` when it was
    /// truncated or its first bytes were rewritten (copytruncate, or
    /// `> file`), in which case reading must start again at 0. Also
    /// completes the head while the file is short.
    pub fn check_rewritten(&mut self) -> io::Result<bool> {
        let meta = self.file.metadata()?;
        self.size = meta.len();
        if meta.len() < self.pos {
            return Ok(true);
        }
        let now = read_head(&self.file, HEAD_BYTES)?;
        if now.len() < self.head.len() || now[..self.head.len()] != self.head[..] {
            return Ok(true);
        }
        if now.len() > self.head.len() {
            self.head = now;
            self.dirty = true;
        }
        Ok(false)
    }

    /// Starts again at offset 0 after a truncation; hands out a pending
    /// partial line first (it was the end of the old content).
    pub fn restart(&mut self, sink: &mut dyn FnMut(&TailBatch<'_>)) -> io::Result<()> {
        self.flush_partial(sink);
        self.pos = 0;
        self.buf.clear();
        self.buf_offset = 0;
        self.skipping = false;
        self.done = 0;
        self.line = 0;
        self.head = read_head(&self.file, HEAD_BYTES)?;
        self.dirty = true;
        Ok(())
    }

    /// Reads what the file has past `pos` (at most about `budget` bytes)
    /// and hands out its complete lines.
    pub fn read(
        &mut self,
        budget: usize,
        max_line: usize,
        now: Instant,
        sink: &mut dyn FnMut(&TailBatch<'_>),
    ) -> io::Result<ReadOutcome> {
        let mut total = 0u64;
        let mut chunk = Vec::new();
        loop {
            if total as usize >= budget {
                return Ok(ReadOutcome {
                    bytes: total,
                    more: true,
                });
            }
            // Read straight into `buf` unless skipping the rest of a long line.
            let n = if self.skipping {
                chunk.resize(READ_CHUNK, 0);
                let n = read_at_retry(&self.file, &mut chunk, self.pos)?;
                chunk.truncate(n);
                n
            } else {
                let old = self.buf.len();
                self.buf.resize(old + READ_CHUNK, 0);
                let r = read_at_retry(&self.file, &mut self.buf[old..], self.pos);
                let n = *r.as_ref().unwrap_or(&0);
                self.buf.truncate(old + n);
                r?
            };
            if n == 0 {
                if self.pos > self.size {
                    self.size = self.pos;
                }
                return Ok(ReadOutcome {
                    bytes: total,
                    more: false,
                });
            }
            self.pos += n as u64;
            total += n as u64;
            self.last_growth = now;
            if self.head.len() < HEAD_BYTES && self.head.len() as u64 != self.pos {
                // Keep the fingerprint up with a file still shorter than
                // its head, so a checkpoint never has a weaker one than
                // the data it covers.
                self.head = read_head(&self.file, HEAD_BYTES)?;
            }
            if self.pos > self.size {
                self.size = self.pos;
            }
            if self.skipping {
                match memchr::memchr(b'\n', &chunk) {
                    Some(nl) => {
                        self.skipping = false;
                        let rest_start = self.pos - (chunk.len() - nl - 1) as u64;
                        self.buf.clear();
                        self.buf.extend_from_slice(&chunk[nl + 1..]);
                        self.buf_offset = rest_start;
                        self.done = rest_start;
                        self.dirty = true;
                    }
                    None => {
                        self.buf_offset = self.pos;
                        self.done = self.pos;
                        self.dirty = true;
                        continue;
                    }
                }
            }
            self.cut_lines(max_line, sink);
        }
    }

    /// Hands out every complete line of `buf`, keeps the unfinished rest,
    /// and cuts an unfinished line that has grown past `max_line`.
    fn cut_lines(&mut self, max_line: usize, sink: &mut dyn FnMut(&TailBatch<'_>)) {
        self.lines.clear();
        let mut scan = 0usize;
        while let Some(nl) = memchr::memchr(b'\n', &self.buf[scan..]) {
            let end = scan + nl;
            let mut line_end = end;
            if line_end > scan && self.buf[line_end - 1] == b'\r' {
                line_end -= 1;
            }
            let truncated = line_end - scan > max_line;
            if truncated {
                line_end = scan + floor_char_boundary(&self.buf[scan..line_end], max_line);
            }
            self.line += 1;
            self.lines.push(TailLine {
                start: scan,
                end: line_end,
                offset: self.buf_offset + scan as u64,
                end_offset: self.buf_offset + end as u64 + 1,
                number: self.line,
                truncated,
            });
            scan = end + 1;
        }
        let mut cut_long = false;
        if self.buf.len() - scan > max_line {
            // An unfinished line already too long: hand out its head now
            // and skip the rest up to its newline.
            let cut = floor_char_boundary(&self.buf[scan..], max_line);
            self.line += 1;
            self.lines.push(TailLine {
                start: scan,
                end: scan + cut,
                offset: self.buf_offset + scan as u64,
                end_offset: self.buf_offset + self.buf.len() as u64,
                number: self.line,
                truncated: true,
            });
            cut_long = true;
        }
        if !self.lines.is_empty() {
            sink(&TailBatch {
                file: self.key,
                path: &self.path,
                name: &self.name,
                data: &self.buf,
                lines: &self.lines,
            });
            self.dirty = true;
        }
        if cut_long {
            self.buf_offset += self.buf.len() as u64;
            self.buf.clear();
            self.skipping = true;
        } else {
            self.buf.drain(..scan);
            self.buf_offset += scan as u64;
        }
        self.done = self.buf_offset;
        self.lines.clear();
    }

    /// Whether a partial line is waiting for its newline.
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty() && !self.skipping
    }

    /// Hands out a waiting partial line as a line of its own.
    pub fn flush_partial(&mut self, sink: &mut dyn FnMut(&TailBatch<'_>)) {
        if !self.has_partial() {
            return;
        }
        let mut end = self.buf.len();
        if self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        self.line += 1;
        self.lines.clear();
        self.lines.push(TailLine {
            start: 0,
            end,
            offset: self.buf_offset,
            end_offset: self.buf_offset + self.buf.len() as u64,
            number: self.line,
            truncated: false,
        });
        sink(&TailBatch {
            file: self.key,
            path: &self.path,
            name: &self.name,
            data: &self.buf,
            lines: &self.lines,
        });
        self.buf_offset += self.buf.len() as u64;
        self.buf.clear();
        self.lines.clear();
        self.done = self.buf_offset;
        self.dirty = true;
    }

    /// Whether the partial line has waited `timeout` without the file growing.
    pub fn partial_is_stale(&self, now: Instant, timeout: Duration) -> bool {
        self.has_partial() && now.saturating_duration_since(self.last_growth) >= timeout
    }
}

fn read_at_retry(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    loop {
        match file.read_at(buf, offset) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The largest `n <= max` that does not split a UTF-8 sequence of `b`.
fn floor_char_boundary(b: &[u8], max: usize) -> usize {
    if max >= b.len() {
        return b.len();
    }
    let mut n = max;
    while n > 0 && max - n < 3 && (b[n] & 0xC0) == 0x80 {
        n -= 1;
    }
    if (b[n] & 0xC0) == 0x80 { max } else { n }
}
