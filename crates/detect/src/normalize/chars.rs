//! Character folding of decoded bytes into valid UTF-8: overlong and
//! invalid sequences, look-alikes, case, slashes, spaces.
//!
//! - ASCII upper case → lower case; `\` → `/`; NUL dropped; control
//!   characters → space.
//! - Overlong UTF-8 (`C0 AE` = `.`, `C0 AF` = `/`, `C1 9C` = `\`, and the
//!   3- and 4-byte forms) → the character it encodes, folded again.
//! - Full-width forms U+FF01–U+FF5E (`％`, `．`, `＜`) → ASCII; U+2215 `∕`
//!   → `/`, U+2216 `∖` and U+FE68 `﹨` → `/` (Windows best-fit mappings).
//! - Unicode spaces (U+00A0, U+2000–U+200A, U+2028/9, U+202F, U+205F,
//!   U+3000, U+1680, U+0085) → space; zero-width characters (U+200B–U+200D,
//!   U+2060, U+FEFF) dropped.
//! - A lone byte 0xA0 (Latin-1 no-break space) → space; any other invalid
//!   byte → U+FFFD.

/// Appends the folded form of ASCII byte `b`.
#[inline]
fn ascii(b: u8, dst: &mut Vec<u8>) {
    match b {
        0 => {}
        b'\\' => dst.push(b'/'),
        0x01..=0x1f | 0x7f => dst.push(b' '),
        _ => dst.push(b.to_ascii_lowercase()),
    }
}

/// Appends the folded form of character `c`.
fn fold_char(c: char, dst: &mut Vec<u8>) {
    let cp = c as u32;
    match cp {
        0..=0x7f => ascii(cp as u8, dst),
        0xFF01..=0xFF5E => ascii((cp - 0xFEE0) as u8, dst),
        0x2215 | 0x2216 | 0xFE68 => dst.push(b'/'),
        0x85 | 0xA0 | 0x1680 | 0x2000..=0x200A | 0x2028 | 0x2029 | 0x202F | 0x205F | 0x3000 => {
            dst.push(b' ')
        }
        0x200B..=0x200D | 0x2060 | 0xFEFF => {}
        _ => {
            let mut buf = [0u8; 4];
            dst.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
}

fn cont(b: Option<&u8>) -> Option<u32> {
    b.filter(|&&b| b & 0xC0 == 0x80)
        .map(|&b| u32::from(b & 0x3F))
}

/// An overlong encoding at `s[i..]`: (code point, length).
fn overlong(s: &[u8], i: usize) -> Option<(u32, usize)> {
    let lead = *s.get(i)?;
    match lead {
        0xC0 | 0xC1 => {
            let c1 = cont(s.get(i + 1))?;
            Some(((u32::from(lead & 0x1F) << 6) | c1, 2))
        }
        0xE0 => {
            let c1 = cont(s.get(i + 1))?;
            let c2 = cont(s.get(i + 2))?;
            (c1 < 0x20).then_some(((c1 << 6) | c2, 3))
        }
        0xF0 => {
            let c1 = cont(s.get(i + 1))?;
            let c2 = cont(s.get(i + 2))?;
            let c3 = cont(s.get(i + 3))?;
            (c1 < 0x10).then_some(((c1 << 12) | (c2 << 6) | c3, 4))
        }
        _ => None,
    }
}

/// Length of the UTF-8 sequence a lead byte announces.
fn seq_len(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 1,
    }
}

/// Folds `src` (any bytes) into `dst` (cleared first), valid UTF-8.
pub(super) fn fold(src: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    dst.reserve(src.len());
    let mut i = 0;
    while let Some(&b) = src.get(i) {
        // A run of printable ASCII other than `\`: copied at once, then
        // lower-cased in place.
        let rest = src.get(i..).unwrap_or_default();
        let run = rest
            .iter()
            .position(|&c| !(0x20..0x7f).contains(&c) || c == b'\\')
            .unwrap_or(rest.len());
        if let Some(plain) = rest.get(..run)
            && run > 0
        {
            let at = dst.len();
            dst.extend_from_slice(plain);
            if let Some(copied) = dst.get_mut(at..) {
                copied.make_ascii_lowercase();
            }
            i += run;
            continue;
        }
        if b < 0x80 {
            ascii(b, dst);
            i += 1;
            continue;
        }
        let n = seq_len(b);
        if n > 1
            && let Some(c) = src
                .get(i..i + n)
                .and_then(|s| std::str::from_utf8(s).ok())
                .and_then(|s| s.chars().next())
        {
            fold_char(c, dst);
            i += n;
            continue;
        }
        if let Some((cp, len)) = overlong(src, i) {
            fold_char(
                char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER),
                dst,
            );
            i += len;
            continue;
        }
        if b == 0xA0 {
            dst.push(b' ');
        } else {
            dst.extend_from_slice("\u{fffd}".as_bytes());
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &[u8]) -> String {
        let mut out = Vec::new();
        fold(s, &mut out);
        String::from_utf8(out).expect("valid UTF-8")
    }

    #[test]
    fn ascii_folding() {
        assert_eq!(f(b"SeLeCt"), "select");
        assert_eq!(f(b"..\\..\\Windows\\win.ini"), "../../windows/win.ini");
        assert_eq!(f(b"/etc/passwd\x00.png"), "/etc/passwd.png");
        assert_eq!(f(b"1\tOR\n1=1\r\x0b\x0c"), "1 or 1=1   ");
    }

    #[test]
    fn overlong_utf8() {
        assert_eq!(f(b"\xc0\xae\xc0\xae\xc0\xaf"), "../");
        assert_eq!(f(b"\xc1\x9c"), "/");
        assert_eq!(f(b"\xc1\x81"), "a");
        assert_eq!(f(b"\xe0\x80\xae"), ".");
        assert_eq!(f(b"\xf0\x80\x80\xaf"), "/");
        assert_eq!(f(b"\xc0\xbc"), "<");
    }

    #[test]
    fn invalid_bytes() {
        assert_eq!(f(b"1\xa0or\xa01=1"), "1 or 1=1");
        assert_eq!(f(b"\xff\xfe"), "\u{fffd}\u{fffd}");
        assert_eq!(f(b"\xc0"), "\u{fffd}");
        assert_eq!(f(b"\xe0\x80"), "\u{fffd}\u{fffd}");
        assert_eq!(f(b"caf\xc3"), "caf\u{fffd}");
    }

    #[test]
    fn unicode_look_alikes() {
        assert_eq!(f("．．／etc／passwd".as_bytes()), "../etc/passwd");
        assert_eq!(f("＜ＳＣＲＩＰＴ＞".as_bytes()), "<script>");
        assert_eq!(f("..∕..∖x".as_bytes()), "../../x");
        assert_eq!(f("1\u{a0}or\u{3000}2".as_bytes()), "1 or 2");
        assert_eq!(f("sel\u{200b}ect".as_bytes()), "select");
        assert_eq!(f("Café 東京".as_bytes()), "café 東京");
    }

    proptest::proptest! {
        /// ASCII input folds byte by byte, whatever runs the fast path
        /// takes at once.
        #[test]
        fn ascii_folds_byte_by_byte(bytes in proptest::collection::vec(0u8..0x80, 0..120)) {
            let mut want = Vec::new();
            for &b in &bytes {
                ascii(b, &mut want);
            }
            let mut got = Vec::new();
            fold(&bytes, &mut got);
            proptest::prop_assert_eq!(got, want);
        }
    }
}
