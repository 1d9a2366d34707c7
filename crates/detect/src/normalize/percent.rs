//! One round of URL decoding: `%hh`, `%uHHHH`, optionally `+` as a space
//! and the escapes access-log writers add (`\"`, `\\`, `\xhh`).
//!
//! Works on bytes: `%c0%ae` becomes the two bytes C0 AE, which `chars`
//! later reads as the overlong `.` it is. Malformed escapes (`%zz`, `%u12`)
//! are kept as they are.

fn hex(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'a'..=b'f' => Some(u32::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u32::from(b - b'A' + 10)),
        _ => None,
    }
}

/// The value of `n` hex digits at `s[at..]`.
fn hex_at(s: &[u8], at: usize, n: usize) -> Option<u32> {
    let digits = s.get(at..at + n)?;
    digits
        .iter()
        .try_fold(0u32, |acc, &d| Some(acc * 16 + hex(d)?))
}

/// Appends the UTF-8 encoding of `c` (U+FFFD for a lone surrogate).
fn push_char(dst: &mut Vec<u8>, cp: u32) {
    let c = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
    let mut buf = [0u8; 4];
    dst.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Decodes `src` into `dst` (cleared first); true when anything changed.
/// `plus`: `+` is a space (query strings). `log_escapes`: undo the
/// log writer's `\"`, `\\` and `\xhh`.
pub(super) fn decode(src: &[u8], dst: &mut Vec<u8>, plus: bool, log_escapes: bool) -> bool {
    dst.clear();
    let mut changed = false;
    let mut i = 0;
    while let Some(&b) = src.get(i) {
        match b {
            b'%' => {
                if let Some(v) = hex_at(src, i + 1, 2) {
                    dst.push(v as u8);
                    i += 3;
                    changed = true;
                    continue;
                }
                if matches!(src.get(i + 1), Some(b'u' | b'U'))
                    && let Some(hi) = hex_at(src, i + 2, 4)
                {
                    i += 6;
                    changed = true;
                    // A high surrogate followed by `%uDC00`-`%uDFFF`.
                    if (0xD800..0xDC00).contains(&hi)
                        && src.get(i) == Some(&b'%')
                        && matches!(src.get(i + 1), Some(b'u' | b'U'))
                        && let Some(lo) = hex_at(src, i + 2, 4)
                        && (0xDC00..0xE000).contains(&lo)
                    {
                        i += 6;
                        push_char(dst, 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
                    } else {
                        push_char(dst, hi);
                    }
                    continue;
                }
                dst.push(b);
            }
            b'+' if plus => {
                dst.push(b' ');
                changed = true;
            }
            b'\\' if log_escapes => match src.get(i + 1) {
                Some(b'x') => match hex_at(src, i + 2, 2) {
                    Some(v) => {
                        dst.push(v as u8);
                        i += 4;
                        changed = true;
                        continue;
                    }
                    None => dst.push(b),
                },
                Some(&q @ (b'"' | b'\\')) => {
                    dst.push(q);
                    i += 2;
                    changed = true;
                    continue;
                }
                _ => dst.push(b),
            },
            _ => dst.push(b),
        }
        i += 1;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &str, plus: bool, log: bool) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let c = decode(s.as_bytes(), &mut out, plus, log);
        (out, c)
    }

    fn text(s: &str) -> String {
        String::from_utf8_lossy(&run(s, true, true).0).into_owned()
    }

    #[test]
    fn percent_escapes() {
        assert_eq!(text("%27%20OR%201%3d1"), "' OR 1=1");
        assert_eq!(text("%2527"), "%27");
        assert_eq!(run("%c0%ae", false, false).0, vec![0xc0, 0xae]);
        assert_eq!(text("caf%C3%A9"), "café");
        assert_eq!(text("100%"), "100%");
        assert_eq!(text("%zz%4"), "%zz%4");
        assert_eq!(text("%"), "%");
        assert_eq!(run("plain", true, true), (b"plain".to_vec(), false));
    }

    #[test]
    fn unicode_escapes() {
        assert_eq!(text("%u003cscript%u003E"), "<script>");
        assert_eq!(text("%uff0e%uFF0E%u2215"), "．．∕");
        assert_eq!(text("%uD83D%uDE00"), "😀");
        assert_eq!(text("%uD83Dx"), "\u{fffd}x");
        assert_eq!(text("%u12"), "%u12");
    }

    #[test]
    fn plus_only_when_asked() {
        assert_eq!(text("a+b"), "a b");
        assert_eq!(run("a+b", false, true), (b"a+b".to_vec(), false));
        // A decoded %2B is a real plus.
        assert_eq!(text("c%2B%2B+book"), "c++ book");
    }

    #[test]
    fn log_writer_escapes() {
        assert_eq!(text(r#"\"><script>"#), r#""><script>"#);
        assert_eq!(text(r"\x22\x3c"), "\"<");
        assert_eq!(text(r"a\\b"), r"a\b");
        assert_eq!(text(r"..\..\win.ini"), r"..\..\win.ini");
        assert_eq!(text(r"\x4"), r"\x4");
        assert_eq!(text("\\"), "\\");
        let (out, changed) = run(r#"\"x"#, false, false);
        assert_eq!((out, changed), (br#"\"x"#.to_vec(), false));
    }
}
