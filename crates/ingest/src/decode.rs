//! Bytes of a line to text: invalid UTF-8 is decoded lossily (U+FFFD) and
//! flagged, NUL bytes are flagged, truncation is carried over.

use std::borrow::Cow;

use logsentinel_core::Flags;

/// Decodes one line. Valid UTF-8 is borrowed, not copied.
pub fn decode_line(bytes: &[u8], truncated: bool) -> (Cow<'_, str>, Flags) {
    let mut flags = Flags::empty();
    if truncated {
        flags.insert(Flags::TRUNCATED);
    }
    if memchr::memchr(0, bytes).is_some() {
        flags.insert(Flags::NUL_BYTES);
    }
    // The SIMD validator: the one pass every line takes before parsing.
    let text = match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            flags.insert(Flags::INVALID_UTF8);
            String::from_utf8_lossy(bytes)
        }
    };
    (text, flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        let (t, f) = decode_line(b"ok", false);
        assert!(matches!(t, Cow::Borrowed("ok")));
        assert!(f.is_empty());
        let (t, f) = decode_line(b"bad \xff\x00", true);
        assert_eq!(t, "bad \u{fffd}\u{0}");
        assert!(f.contains(Flags::INVALID_UTF8));
        assert!(f.contains(Flags::NUL_BYTES));
        assert!(f.contains(Flags::TRUNCATED));
    }
}
