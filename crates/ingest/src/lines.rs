//! Bounded line framing: bytes from any reader cut into batches of lines.
//!
//! A batch holds about `batch_bytes` of line data, so memory stays flat
//! whatever the input size; a line longer than `max_line` is cut at the cap
//! and flagged, and the rest of it is skipped without ever being buffered.
//! `\r\n` endings are trimmed; a last line without a newline is kept.

use std::io::{self, Read};

/// One line of a batch: a byte range of `LineBatch::data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineMeta {
    pub start: usize,
    pub end: usize,
    /// The line was longer than the cap; `start..end` is its first part.
    pub truncated: bool,
}

/// Consecutive lines of one input.
#[derive(Debug, Default, Clone)]
pub struct LineBatch {
    pub data: Vec<u8>,
    pub lines: Vec<LineMeta>,
    /// 1-based number of the first line in the input.
    pub first_line: u64,
}

impl LineBatch {
    pub fn clear(&mut self) {
        self.data.clear();
        self.lines.clear();
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The bytes of line `i` (without its terminator).
    pub fn line(&self, i: usize) -> &[u8] {
        let m = self.lines[i];
        &self.data[m.start..m.end]
    }

    /// Iterates (line number, bytes, truncated).
    pub fn iter(&self) -> impl Iterator<Item = (u64, &[u8], bool)> {
        self.lines.iter().enumerate().map(|(i, m)| {
            (
                self.first_line + i as u64,
                &self.data[m.start..m.end],
                m.truncated,
            )
        })
    }
}

/// Default cap on one line: 64 KiB.
pub const DEFAULT_MAX_LINE: usize = 64 * 1024;
/// Default amount of line data per batch.
pub const DEFAULT_BATCH_BYTES: usize = 256 * 1024;
const READ_SIZE: usize = 64 * 1024;

/// Reads lines in batches from `R`.
pub struct LineReader<R> {
    inner: R,
    max_line: usize,
    batch_bytes: usize,
    /// Bytes of a line that began in the previous batch.
    carry: Vec<u8>,
    /// Discarding the rest of an over-long line.
    skipping: bool,
    next_line: u64,
    eof: bool,
    bytes_read: u64,
    scratch: Vec<u8>,
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            max_line: DEFAULT_MAX_LINE,
            batch_bytes: DEFAULT_BATCH_BYTES,
            carry: Vec::new(),
            skipping: false,
            next_line: 1,
            eof: false,
            bytes_read: 0,
            scratch: Vec::new(),
        }
    }

    /// Sets the line cap (at least 16 bytes).
    pub fn max_line(mut self, max: usize) -> Self {
        self.max_line = max.max(16);
        self
    }

    /// Sets the target size of a batch.
    pub fn batch_bytes(mut self, bytes: usize) -> Self {
        self.batch_bytes = bytes.max(1024);
        self
    }

    /// Bytes read from the source so far (after decompression).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Fills `batch` with the next lines. Returns `false` (and an empty
    /// batch) at the end of input.
    pub fn next_batch(&mut self, batch: &mut LineBatch) -> io::Result<bool> {
        batch.clear();
        batch.first_line = self.next_line;
        batch.data.append(&mut self.carry);
        let mut scan = 0; // start of the line being looked for
        loop {
            // Cut every complete line in data[scan..].
            while let Some(nl) = memchr::memchr(b'\n', &batch.data[scan..]) {
                let end = scan + nl;
                self.push_line(batch, scan, end);
                scan = end + 1;
            }
            // The unfinished line is too long: emit its head, skip the rest.
            if batch.data.len() - scan > self.max_line {
                let cut = floor_char_boundary(&batch.data[scan..], self.max_line);
                batch.lines.push(LineMeta {
                    start: scan,
                    end: scan + cut,
                    truncated: true,
                });
                self.next_line += 1;
                batch.data.truncate(scan + cut);
                scan = batch.data.len();
                self.skipping = true;
            }
            if self.eof || (batch.data.len() >= self.batch_bytes && scan > 0) {
                break;
            }
            self.fill(&mut batch.data)?;
        }
        if self.eof {
            if scan < batch.data.len() {
                let end = batch.data.len();
                self.push_line(batch, scan, end);
            }
        } else {
            self.carry.extend_from_slice(&batch.data[scan..]);
            batch.data.truncate(scan);
        }
        Ok(!batch.lines.is_empty())
    }

    fn push_line(&mut self, batch: &mut LineBatch, start: usize, mut end: usize) {
        if end > start && batch.data[end - 1] == b'\r' {
            end -= 1;
        }
        let truncated = end - start > self.max_line;
        if truncated {
            end = start + floor_char_boundary(&batch.data[start..end], self.max_line);
        }
        batch.lines.push(LineMeta {
            start,
            end,
            truncated,
        });
        self.next_line += 1;
    }

    /// Appends more input to `data`, discarding the tail of a skipped line.
    fn fill(&mut self, data: &mut Vec<u8>) -> io::Result<()> {
        loop {
            let buf: &mut Vec<u8> = if self.skipping {
                &mut self.scratch
            } else {
                data
            };
            let old = buf.len();
            buf.resize(old + READ_SIZE, 0);
            let n = loop {
                match self.inner.read(&mut buf[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        buf.truncate(old);
                        return Err(e);
                    }
                }
            };
            buf.truncate(old + n);
            self.bytes_read += n as u64;
            if n == 0 {
                self.eof = true;
                self.scratch.clear();
                return Ok(());
            }
            if !self.skipping {
                return Ok(());
            }
            match memchr::memchr(b'\n', &self.scratch) {
                Some(nl) => {
                    data.extend_from_slice(&self.scratch[nl + 1..]);
                    self.scratch.clear();
                    self.skipping = false;
                    return Ok(());
                }
                None => self.scratch.clear(),
            }
        }
    }
}

/// The largest `n <= max` that does not split a UTF-8 sequence of `b`
/// (when `b` is UTF-8 there); invalid bytes are cut anywhere.
fn floor_char_boundary(b: &[u8], max: usize) -> usize {
    if max >= b.len() {
        return b.len();
    }
    let mut n = max;
    // Back up over at most 3 continuation bytes.
    while n > 0 && max - n < 3 && (b[n] & 0xC0) == 0x80 {
        n -= 1;
    }
    if (b[n] & 0xC0) == 0x80 { max } else { n }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_lines(input: &[u8], max: usize, batch: usize) -> Vec<(u64, Vec<u8>, bool)> {
        let mut r = LineReader::new(input).max_line(max).batch_bytes(batch);
        let mut b = LineBatch::default();
        let mut out = Vec::new();
        while r.next_batch(&mut b).unwrap() {
            for (n, l, t) in b.iter() {
                out.push((n, l.to_vec(), t));
            }
        }
        out
    }

    #[test]
    fn splits_and_trims() {
        let got = all_lines(b"a\r\nbb\n\nccc", 64, 1024);
        let want: Vec<(u64, Vec<u8>, bool)> = vec![
            (1, b"a".to_vec(), false),
            (2, b"bb".to_vec(), false),
            (3, b"".to_vec(), false),
            (4, b"ccc".to_vec(), false),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn empty_input() {
        assert!(all_lines(b"", 64, 1024).is_empty());
    }

    #[test]
    fn long_lines_are_cut_and_flagged() {
        let mut input = vec![b'x'; 200_000];
        input.extend_from_slice(b"\nshort\n");
        input.extend(vec![b'y'; 100]);
        let got = all_lines(&input, 64, 1024);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], (1, vec![b'x'; 64], true));
        assert_eq!(got[1], (2, b"short".to_vec(), false));
        assert_eq!(got[2], (3, vec![b'y'; 64], true));
    }

    #[test]
    fn cut_respects_utf8() {
        let mut input = vec![b'a'; 15];
        input.extend_from_slice("é".as_bytes()); // bytes 15..17
        input.extend_from_slice(b"zzzz\n");
        let got = all_lines(&input, 16, 1024);
        assert_eq!(got[0].1.len(), 15);
        assert!(got[0].2);
    }

    #[test]
    fn batches_keep_numbering() {
        let input: Vec<u8> = (0..10_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let got = all_lines(&input, 1024, 1024);
        assert_eq!(got.len(), 10_000);
        for (i, (n, l, _)) in got.iter().enumerate() {
            assert_eq!(*n, i as u64 + 1);
            assert_eq!(l, format!("line {i}").as_bytes());
        }
    }

    /// A reader that returns one byte at a time.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }

    #[test]
    fn tiny_reads() {
        let mut r = LineReader::new(Trickle(b"ab\ncd\n")).batch_bytes(1024);
        let mut b = LineBatch::default();
        let mut lines = Vec::new();
        while r.next_batch(&mut b).unwrap() {
            lines.extend(b.iter().map(|(_, l, _)| l.to_vec()));
        }
        assert_eq!(lines, vec![b"ab".to_vec(), b"cd".to_vec()]);
    }

    proptest::proptest! {
        #[test]
        fn framing_matches_a_naive_split(input in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4000), max in 16usize..64, batch in 1024usize..2048) {
            let got = all_lines(&input, max, batch);
            let mut want = Vec::new();
            if !input.is_empty() {
                let body = input.strip_suffix(b"\n").unwrap_or(&input);
                for part in body.split(|&c| c == b'\n') {
                    let part = part.strip_suffix(b"\r").unwrap_or(part);
                    want.push((part.len() > max, part.len().min(max)));
                }
            }
            proptest::prop_assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                proptest::prop_assert_eq!(g.2, w.0);
                if !w.0 {
                    proptest::prop_assert_eq!(g.1.len(), w.1);
                } else {
                    proptest::prop_assert!(g.1.len() <= max && g.1.len() + 3 >= max);
                }
            }
        }
    }
}
