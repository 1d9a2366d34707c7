//! RFC 6587 framing of syslog over TCP, detected per frame:
//!
//! - **octet counting**: `MSG-LEN SP SYSLOG-MSG`, where `MSG-LEN` is a
//!   decimal number without leading zeros (a frame that starts with a
//!   digit 1-9 followed by digits and a space);
//! - **non-transparent framing**: the message up to a newline (`\r\n` and
//!   a trailing `\r` are trimmed; empty lines are skipped).
//!
//! A syslog message itself starts with `<`, so a leading digit can only be
//! a length. Frames over `max_frame` bytes are malformed: an octet-counted
//! one is skipped by its length, a newline one up to its newline. Neither
//! is ever buffered whole, so memory per connection stays bounded.

/// Why a frame was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Longer than the limit.
    Oversize,
    /// The stream ended inside an octet-counted frame.
    Truncated,
}

/// Receives each frame (or the reason one was dropped).
pub type FrameOut<'o> = dyn FnMut(Result<&[u8], FrameError>) + 'o;

/// Cuts a TCP byte stream into syslog frames.
#[derive(Debug)]
pub struct Framer {
    buf: Vec<u8>,
    max_frame: usize,
    /// Bytes of an oversize octet-counted frame still to drop.
    skip: usize,
    /// Dropping an oversize newline frame up to its newline.
    discard_line: bool,
}

/// The longest length prefix accepted (10 digits: beyond any sane frame).
const MAX_LEN_DIGITS: usize = 10;

impl Framer {
    pub fn new(max_frame: usize) -> Framer {
        Framer {
            buf: Vec::new(),
            max_frame: max_frame.max(16),
            skip: 0,
            discard_line: false,
        }
    }

    /// Bytes held for an unfinished frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Adds bytes from the stream; calls `out` for each complete frame (or
    /// dropped one), in order.
    pub fn push(&mut self, data: &[u8], out: &mut FrameOut<'_>) {
        self.buf.extend_from_slice(data);
        let mut pos = 0;
        loop {
            if self.skip > 0 {
                let n = self.skip.min(self.buf.len() - pos);
                pos += n;
                self.skip -= n;
                if self.skip > 0 {
                    break;
                }
                continue;
            }
            if self.discard_line {
                match memchr::memchr(b'\n', &self.buf[pos..]) {
                    Some(i) => {
                        pos += i + 1;
                        self.discard_line = false;
                        continue;
                    }
                    None => {
                        pos = self.buf.len();
                        break;
                    }
                }
            }
            match self.next_frame(pos) {
                Step::Frame(start, end, next) => {
                    let mut e = end;
                    while e > start && matches!(self.buf[e - 1], b'\n' | b'\r') {
                        e -= 1;
                    }
                    if e > start {
                        out(Ok(&self.buf[start..e]));
                    }
                    pos = next;
                }
                Step::Skip(next) => pos = next,
                Step::Oversize {
                    consumed,
                    skip,
                    line,
                } => {
                    out(Err(FrameError::Oversize));
                    pos = consumed;
                    self.skip = skip;
                    self.discard_line = line;
                }
                Step::NeedMore => break,
            }
        }
        self.buf.drain(..pos);
    }

    /// At the end of the stream: a last newline frame without its newline
    /// is a frame; an unfinished octet-counted one is truncated.
    pub fn finish(&mut self, out: &mut FrameOut<'_>) {
        let buf = std::mem::take(&mut self.buf);
        if self.skip > 0 || self.discard_line {
            // The rest of a frame already reported as oversize.
        } else if starts_with_count(&buf) {
            out(Err(FrameError::Truncated));
        } else {
            let mut e = buf.len();
            while e > 0 && matches!(buf[e - 1], b'\n' | b'\r' | b'\0') {
                e -= 1;
            }
            if e > 0 {
                out(Ok(&buf[..e]));
            }
        }
        self.skip = 0;
        self.discard_line = false;
    }

    fn next_frame(&self, pos: usize) -> Step {
        let rest = &self.buf[pos..];
        let Some(&first) = rest.first() else {
            return Step::NeedMore;
        };
        if matches!(first, b'\n' | b'\r' | b'\0') {
            return Step::Skip(pos + 1);
        }
        if first.is_ascii_digit() && first != b'0' {
            let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
            match rest.get(digits) {
                None if digits <= MAX_LEN_DIGITS => return Step::NeedMore,
                Some(b' ') if digits <= MAX_LEN_DIGITS => {
                    let len: usize = std::str::from_utf8(&rest[..digits])
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(usize::MAX);
                    let body = pos + digits + 1;
                    if len > self.max_frame {
                        let have = self.buf.len() - body;
                        return Step::Oversize {
                            consumed: body + have.min(len),
                            skip: len.saturating_sub(have),
                            line: false,
                        };
                    }
                    if self.buf.len() - body < len {
                        return Step::NeedMore;
                    }
                    return Step::Frame(body, body + len, body + len);
                }
                // Digits not followed by a space: a message without PRI
                // in newline framing.
                _ => {}
            }
        }
        match memchr::memchr(b'\n', rest) {
            Some(i) if i <= self.max_frame + 1 => Step::Frame(pos, pos + i, pos + i + 1),
            Some(i) => Step::Oversize {
                consumed: pos + i + 1,
                skip: 0,
                line: false,
            },
            None if rest.len() > self.max_frame + 1 => Step::Oversize {
                consumed: self.buf.len(),
                skip: 0,
                line: true,
            },
            None => Step::NeedMore,
        }
    }
}

fn starts_with_count(buf: &[u8]) -> bool {
    let digits = buf.iter().take_while(|c| c.is_ascii_digit()).count();
    buf.first().is_some_and(|&c| c != b'0')
        && digits > 0
        && digits <= MAX_LEN_DIGITS
        && matches!(buf.get(digits), None | Some(b' '))
}

enum Step {
    /// A frame `start..end`; the next starts at the third value.
    Frame(usize, usize, usize),
    /// Nothing here (an empty line); go on at the value.
    Skip(usize),
    /// A frame over the limit: drop buffered bytes up to `consumed`, then
    /// `skip` more from the stream (octet counting) or up to the next
    /// newline (`line`).
    Oversize {
        consumed: usize,
        skip: usize,
        line: bool,
    },
    NeedMore,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(chunks: &[&[u8]], max: usize) -> Vec<Result<String, FrameError>> {
        let mut f = Framer::new(max);
        let mut out = Vec::new();
        let mut push = |r: Result<&[u8], FrameError>| {
            out.push(r.map(|b| String::from_utf8_lossy(b).into_owned()))
        };
        for c in chunks {
            f.push(c, &mut push);
        }
        f.finish(&mut push);
        out
    }

    #[test]
    fn both_framings_in_one_stream() {
        let got = frames(
            &[b"<13>Jan  5 10:00:00 h a: one\n12 <13>two\nthree\r\n\n5 <1>xy6 <1>abc"],
            1024,
        );
        let want: Vec<Result<String, FrameError>> = vec![
            Ok("<13>Jan  5 10:00:00 h a: one".into()),
            // The count rules: a newline inside an octet-counted frame is data.
            Ok("<13>two\nthre".into()),
            Ok("e".into()),
            Ok("<1>xy".into()),
            Ok("<1>abc".into()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn split_anywhere_gives_the_same_frames() {
        let stream: &[u8] = b"<13>a b c\n11 <14>de fg h\n<15>last";
        let whole = frames(&[stream], 1024);
        assert_eq!(whole.len(), 3, "{whole:?}");
        for cut in 0..stream.len() {
            let (a, b) = stream.split_at(cut);
            assert_eq!(frames(&[a, b], 1024), whole, "cut at {cut}");
        }
        // Byte by byte.
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(frames(&bytes, 1024), whole);
    }

    #[test]
    fn oversize_frames_are_dropped_and_counted() {
        let mut big = b"100 ".to_vec();
        big.extend(vec![b'x'; 100]);
        big.extend_from_slice(b"<13>after\n");
        let got = frames(&[&big[..50], &big[50..]], 32);
        assert_eq!(got, vec![Err(FrameError::Oversize), Ok("<13>after".into())]);
        let mut line = vec![b'y'; 100];
        line.extend_from_slice(b"\n<13>next\n");
        let got = frames(&[&line[..40], &line[40..]], 32);
        assert_eq!(got, vec![Err(FrameError::Oversize), Ok("<13>next".into())]);
    }

    #[test]
    fn garbage_never_panics_and_truncation_is_reported() {
        assert_eq!(
            frames(&[b"20 <13>short"], 64),
            vec![Err(FrameError::Truncated)]
        );
        assert_eq!(frames(&[b"99999999999999999999 x\n"], 64).len(), 1);
        let junk: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        for max in [16, 64, 1000] {
            let _ = frames(&[&junk], max);
        }
        // Leading zero: not a length.
        assert_eq!(frames(&[b"01 x\n"], 64), vec![Ok("01 x".into())]);
    }

    proptest::proptest! {
        #[test]
        fn chunking_does_not_change_frames(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600), cut in 0usize..600) {
            let cut = cut.min(data.len());
            let whole = frames(&[&data], 64);
            let split = frames(&[&data[..cut], &data[cut..]], 64);
            proptest::prop_assert_eq!(whole, split);
        }
    }
}
