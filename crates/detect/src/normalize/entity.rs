//! One round of HTML character reference decoding: numeric (`&#60;`,
//! `&#x3c;`, with or without the `;`, zero-padded) and the named
//! references attackers use to hide markup and punctuation (`&lt;`,
//! `&quot;`, `&colon;`, `&lpar;`, `&Tab;`, ...), which need their `;`
//! (so a query parameter named `lt` is left alone: `?a=1&lt=5`).

/// Longest name in [`NAMED`].
pub(super) const MAX_NAME: usize = 8;

/// Named references (matched ASCII case-insensitively) and their text.
const NAMED: &[(&str, &str)] = &[
    ("lt", "<"),
    ("gt", ">"),
    ("amp", "&"),
    ("quot", "\""),
    ("apos", "'"),
    ("nbsp", "\u{a0}"),
    ("tab", "\t"),
    ("newline", "\n"),
    ("colon", ":"),
    ("semi", ";"),
    ("comma", ","),
    ("period", "."),
    ("excl", "!"),
    ("quest", "?"),
    ("num", "#"),
    ("dollar", "$"),
    ("percnt", "%"),
    ("plus", "+"),
    ("equals", "="),
    ("lpar", "("),
    ("rpar", ")"),
    ("lsqb", "["),
    ("rsqb", "]"),
    ("lbrack", "["),
    ("rbrack", "]"),
    ("lcub", "{"),
    ("rcub", "}"),
    ("lbrace", "{"),
    ("rbrace", "}"),
    ("sol", "/"),
    ("bsol", "\\"),
    ("verbar", "|"),
    ("vert", "|"),
    ("grave", "`"),
    ("ast", "*"),
    ("midast", "*"),
    ("hat", "^"),
    ("lowbar", "_"),
    ("commat", "@"),
];

/// A numeric reference at `s[i..]` (which starts with `&#`): (code point,
/// bytes used).
fn numeric(s: &[u8], i: usize) -> Option<(u32, usize)> {
    let mut j = i + 2;
    let radix = match s.get(j) {
        Some(b'x' | b'X') => {
            j += 1;
            16
        }
        _ => 10,
    };
    let start = j;
    let mut v: u32 = 0;
    while let Some(d) = s.get(j).and_then(|&c| (c as char).to_digit(radix)) {
        v = v.saturating_mul(radix).saturating_add(d);
        j += 1;
        if j - start > 12 {
            return None;
        }
    }
    if j == start {
        return None;
    }
    if s.get(j) == Some(&b';') {
        j += 1;
    }
    Some((v, j - i))
}

/// A named reference at `s[i..]` (which starts with `&`): (text, bytes
/// used).
fn named(s: &[u8], i: usize) -> Option<(&'static str, usize)> {
    let rest = s.get(i + 1..)?;
    let len = rest.iter().take(MAX_NAME + 1).position(|&c| c == b';')?;
    let name = rest.get(..len)?;
    NAMED
        .iter()
        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        .map(|&(_, text)| (text, len + 2))
}

/// Decodes `src` into `dst` (cleared first); true when anything changed.
pub(super) fn decode(src: &[u8], dst: &mut Vec<u8>) -> bool {
    dst.clear();
    let mut changed = false;
    let mut i = 0;
    while let Some(&b) = src.get(i) {
        if b == b'&' {
            if src.get(i + 1) == Some(&b'#') {
                if let Some((cp, used)) = numeric(src, i) {
                    let c = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
                    let mut buf = [0u8; 4];
                    dst.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    i += used;
                    changed = true;
                    continue;
                }
            } else if let Some((text, used)) = named(src, i) {
                dst.extend_from_slice(text.as_bytes());
                i += used;
                changed = true;
                continue;
            }
        }
        dst.push(b);
        i += 1;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        let mut out = Vec::new();
        decode(s.as_bytes(), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn numeric_references() {
        assert_eq!(text("&#60;script&#62;"), "<script>");
        assert_eq!(text("&#x3c;&#X3C;&#x3C"), "<<<");
        assert_eq!(text("&#0000060;"), "<");
        assert_eq!(text("&#60script"), "<script");
        assert_eq!(text("&#106;&#97;&#118;&#97;"), "java");
        assert_eq!(text("&#xD800;"), "\u{fffd}");
        assert_eq!(text("&#99999999999999999999;"), "&#99999999999999999999;");
        assert_eq!(text("&#;&#x;"), "&#;&#x;");
    }

    #[test]
    fn named_references() {
        assert_eq!(text("&lt;b&gt;"), "<b>");
        assert_eq!(text("&LT;&Quot;&apos;"), "<\"'");
        assert_eq!(
            text("javascript&colon;alert&lpar;1&rpar;"),
            "javascript:alert(1)"
        );
        assert_eq!(text("a&Tab;b&NewLine;c"), "a\tb\nc");
        assert_eq!(text("&amp;lt;"), "&lt;");
    }

    #[test]
    fn query_parameters_are_not_references() {
        for s in [
            "?price=1&lt=5",
            "?a=1&gt=2&amp=3",
            "?q=rock&roll",
            "&",
            "&notareference;",
            "&lt",
        ] {
            assert_eq!(text(s), s);
        }
    }
}
