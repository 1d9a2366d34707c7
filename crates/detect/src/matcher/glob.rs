//! String values: plain values, `contains`, `startswith`, `endswith` and
//! `cased`, with Sigma wildcards.
//!
//! A Sigma plain value is a case-insensitive whole-value match in which `*`
//! is any run of characters and `?` any one character; `\*`, `\?` and `\\`
//! escape them (any other backslash is literal). `contains` etc. simply wrap
//! the value in `*`. Most values then have one of four simple shapes —
//! `lit`, `*lit*`, `lit*`, `*lit` — that the Aho-Corasick prefilter decides
//! alone (from where the literal was found); any other shape is checked by
//! [`Pattern::matches`] once the prefilter says its longest literal occurs.
//! Case folding is ASCII-only, like the prefilter.

/// One element of a wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    Lit(String),
    /// `*`
    Star,
    /// `?`
    One,
}

/// How a value is anchored by its modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Whole,
    Contains,
    StartsWith,
    EndsWith,
}

/// The shape of a pattern, as far as the literal prefilter cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape<'p> {
    Equals(&'p str),
    Contains(&'p str),
    StartsWith(&'p str),
    EndsWith(&'p str),
    /// `*`: any value, present.
    Any,
    /// Anything else: verify with `matches`.
    General,
}

/// A Sigma wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    toks: Vec<Tok>,
}

impl Pattern {
    /// Parses a Sigma plain value (wildcards and escapes).
    pub fn sigma(value: &str) -> Pattern {
        let mut p = Pattern { toks: Vec::new() };
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => p.push(Tok::Star),
                '?' => p.push(Tok::One),
                '\\' => match chars.peek() {
                    Some(&n @ ('*' | '?' | '\\')) => {
                        chars.next();
                        p.push_char(n);
                    }
                    _ => p.push_char('\\'),
                },
                c => p.push_char(c),
            }
        }
        p
    }

    /// A pattern that is exactly `value` (no wildcards), e.g. the output of
    /// an encoding modifier.
    pub fn literal(value: &str) -> Pattern {
        let mut p = Pattern { toks: Vec::new() };
        if !value.is_empty() {
            p.toks.push(Tok::Lit(value.to_string()));
        }
        p
    }

    /// Applies a `contains`/`startswith`/`endswith` modifier.
    pub fn anchored(self, anchor: Anchor) -> Pattern {
        let (front, back) = match anchor {
            Anchor::Whole => (false, false),
            Anchor::Contains => (true, true),
            Anchor::StartsWith => (false, true),
            Anchor::EndsWith => (true, false),
        };
        let mut p = Pattern { toks: Vec::new() };
        if front {
            p.push(Tok::Star);
        }
        for t in self.toks {
            p.push(t);
        }
        if back {
            p.push(Tok::Star);
        }
        p
    }

    fn push_char(&mut self, c: char) {
        if let Some(Tok::Lit(s)) = self.toks.last_mut() {
            s.push(c);
        } else {
            self.toks.push(Tok::Lit(c.to_string()));
        }
    }

    fn push(&mut self, t: Tok) {
        match (&t, self.toks.last_mut()) {
            (Tok::Star, Some(Tok::Star)) => {}
            (Tok::Lit(s), Some(Tok::Lit(prev))) => prev.push_str(s),
            _ => self.toks.push(t),
        }
    }

    pub fn shape(&self) -> Shape<'_> {
        use Tok::{Lit, Star};
        match self.toks.as_slice() {
            [] => Shape::Equals(""),
            [Star] => Shape::Any,
            [Lit(s)] => Shape::Equals(s),
            [Star, Lit(s), Star] => Shape::Contains(s),
            [Lit(s), Star] => Shape::StartsWith(s),
            [Star, Lit(s)] => Shape::EndsWith(s),
            _ => Shape::General,
        }
    }

    /// The longest literal piece: it must occur in any matching value.
    pub fn longest_literal(&self) -> Option<&str> {
        self.toks
            .iter()
            .filter_map(|t| match t {
                Tok::Lit(s) => Some(s.as_str()),
                _ => None,
            })
            .max_by_key(|s| s.len())
    }

    /// Whether the whole of `text` matches (ASCII case-insensitive unless
    /// `cased`). Greedy with one backtrack point per star: linear for
    /// typical patterns, O(len × pattern) at worst.
    pub fn matches(&self, text: &str, cased: bool) -> bool {
        let t = text.as_bytes();
        let eq = |a: u8, b: u8| {
            if cased {
                a == b
            } else {
                a.eq_ignore_ascii_case(&b)
            }
        };
        // Position: (token index, byte offset inside a literal token).
        let (mut ti, mut li, mut v) = (0usize, 0usize, 0usize);
        let mut star: Option<(usize, usize)> = None; // (token after star, text pos)
        loop {
            match self.toks.get(ti) {
                Some(Tok::Star) => {
                    ti += 1;
                    li = 0;
                    star = Some((ti, v));
                    continue;
                }
                Some(Tok::Lit(s)) => {
                    let sb = s.as_bytes();
                    match (sb.get(li), t.get(v)) {
                        (None, _) => {
                            ti += 1;
                            li = 0;
                            continue;
                        }
                        (Some(&a), Some(&b)) if eq(a, b) => {
                            li += 1;
                            v += 1;
                            continue;
                        }
                        _ => {}
                    }
                }
                Some(Tok::One) => {
                    if let Some(&b) = t.get(v) {
                        ti += 1;
                        v += utf8_len(b);
                        continue;
                    }
                }
                None => {
                    if v >= t.len() {
                        return true;
                    }
                }
            }
            // Mismatch: let the last star swallow one more character.
            match star {
                Some((after, sv)) if sv < t.len() => {
                    let nv = sv + t.get(sv).map_or(1, |&b| utf8_len(b));
                    star = Some((after, nv));
                    ti = after;
                    li = 0;
                    v = nv;
                }
                _ => return false,
            }
        }
    }
}

/// Byte length of the UTF-8 character starting with `b` (1 for a stray
/// continuation byte, so scanning always advances).
fn utf8_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Naive ASCII case-insensitive substring test (reference semantics for
/// the prefilter; not used on the hot path).
pub(crate) fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

pub(crate) fn starts_ci(hay: &str, p: &str) -> bool {
    hay.as_bytes()
        .get(..p.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(p.as_bytes()))
}

pub(crate) fn ends_ci(hay: &str, p: &str) -> bool {
    let h = hay.as_bytes();
    h.len() >= p.len()
        && h.get(h.len() - p.len()..)
            .is_some_and(|h| h.eq_ignore_ascii_case(p.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let s = |v: &str, a| Pattern::sigma(v).anchored(a);
        assert_eq!(s("root", Anchor::Whole).shape(), Shape::Equals("root"));
        assert_eq!(s("", Anchor::Whole).shape(), Shape::Equals(""));
        assert_eq!(s("*", Anchor::Whole).shape(), Shape::Any);
        assert_eq!(s("**", Anchor::Contains).shape(), Shape::Any);
        assert_eq!(s("adm", Anchor::Contains).shape(), Shape::Contains("adm"));
        assert_eq!(s("*adm*", Anchor::Whole).shape(), Shape::Contains("adm"));
        assert_eq!(s("adm*", Anchor::Contains).shape(), Shape::Contains("adm"));
        assert_eq!(
            s("/wp-", Anchor::StartsWith).shape(),
            Shape::StartsWith("/wp-")
        );
        assert_eq!(s(".php", Anchor::EndsWith).shape(), Shape::EndsWith(".php"));
        assert_eq!(s("a*b", Anchor::Whole).shape(), Shape::General);
        assert_eq!(s("a?", Anchor::Whole).shape(), Shape::General);
        assert_eq!(s(r"a\*b", Anchor::Whole).shape(), Shape::Equals("a*b"));
        assert_eq!(
            s(r"C:\Windows\*", Anchor::Whole).shape(),
            Shape::Equals(r"C:\Windows*")
        );
        assert_eq!(
            s(r"C:\\Windows\\*", Anchor::Whole).shape(),
            Shape::StartsWith(r"C:\Windows\")
        );
        assert_eq!(Pattern::literal("a*b").shape(), Shape::Equals("a*b"));
    }

    #[test]
    fn wildcard_matching_table() {
        // (pattern, value, case-insensitive result)
        let table = [
            ("root", "ROOT", true),
            ("root", "root2", false),
            ("", "", true),
            ("", "x", false),
            ("*", "", true),
            ("*", "anything", true),
            ("a*c", "abc", true),
            ("a*c", "ac", true),
            ("a*c", "abcd", false),
            ("a*c*e", "aXcYcZe", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "aéc", true), // ? is one character, not one byte
            ("?", "é", true),
            ("??", "é", false),
            ("*.php", "/x/wp-login.PHP", true),
            ("*/etc/passwd*", "GET /../../etc/passwd HTTP", true),
            ("*aab", "aaab", true),
            ("*ab*ab", "abxab", true),
            ("*ab*ab", "abab", true),
            ("*ab*ab", "aba", false),
            (r"50\%", "50%", false), // `\%` keeps the backslash
            (r"a\*", "a*", true),
            (r"a\*", "ab", false),
            (r"a\?", "a?", true),
            ("ünï*", "ÜNÏcode", false), // non-ASCII is compared exactly
            ("ünï*", "ünïcode", true),
        ];
        for (pat, value, want) in table {
            assert_eq!(
                Pattern::sigma(pat).matches(value, false),
                want,
                "{pat:?} vs {value:?}"
            );
        }
        assert!(!Pattern::sigma("Root").matches("root", true));
        assert!(Pattern::sigma("R*t").matches("Root", true));
        assert!(!Pattern::sigma("r*t").matches("Root", true));
    }

    #[test]
    fn matches_agrees_with_simple_shapes() {
        let values = ["", "a", "ab", "ba", "aba", "xAbx", "b"];
        for lit in ["a", "ab", "b"] {
            for v in values {
                let c = Pattern::sigma(lit).anchored(Anchor::Contains);
                assert_eq!(c.matches(v, false), contains_ci(v, lit), "{lit} {v}");
                let s = Pattern::sigma(lit).anchored(Anchor::StartsWith);
                assert_eq!(s.matches(v, false), starts_ci(v, lit), "{lit} {v}");
                let e = Pattern::sigma(lit).anchored(Anchor::EndsWith);
                assert_eq!(e.matches(v, false), ends_ci(v, lit), "{lit} {v}");
                let w = Pattern::sigma(lit);
                assert_eq!(
                    w.matches(v, false),
                    v.eq_ignore_ascii_case(lit),
                    "{lit} {v}"
                );
            }
        }
    }

    #[test]
    fn longest_literal() {
        let p = Pattern::sigma("*/admin/*login?.php");
        assert_eq!(p.longest_literal(), Some("/admin/"));
        assert_eq!(Pattern::sigma("*").longest_literal(), None);
    }

    #[test]
    fn malformed_text_never_panics() {
        let p = Pattern::sigma("*a?b*?");
        for v in ["\u{10FFFF}\u{0}", "a\u{7FF}b\u{FFFF}", "ab", "?"] {
            let _ = p.matches(v, false);
        }
        // Degenerate but bounded: many stars over a long value.
        let p = Pattern::sigma("*a*a*a*a*a*b");
        assert!(!p.matches(&"a".repeat(2000), false));
    }
}
