//! Decoding of attacker-controlled HTTP values before rules look at them.
//!
//! Web attacks hide behind encodings that the application undoes but a
//! keyword list does not: `%2527%2520OR%25201%253D1` is `' OR 1=1` after two
//! URL decodings, `..%c0%af` is `../` to an old IIS, `&#x3c;script` is
//! `<script` to a browser, `1/**/UNION/**/SELECT` is `1 UNION SELECT` to
//! MySQL. This module turns a request target, referrer or user agent into
//! one canonical text on which simple literals and tokenizers work:
//!
//! 1. **Decoding rounds** (`percent`, `entity`), repeated while they change
//!    something, at most [`MAX_ROUNDS`] times (double and triple encoding):
//!    `%hh`, `%uHHHH` (with surrogate pairs), `+` as a space in the query
//!    (first round only: a decoded `%2B` is a real plus), the log writer's
//!    own escapes in the first round (Apache/Nginx `\"`, `\\`, `\xhh`), HTML
//!    character references (`&lt;`, `&#60;`, `&#x3c;`, with or without `;`
//!    for the numeric ones).
//! 2. **Characters** (`chars`): invalid UTF-8 repaired, overlong UTF-8
//!    (`%c0%ae` → `.`, `%c0%af` → `/`, `%c1%9c` → `\`) read as what it
//!    encodes, full-width forms (`％`, `＜`, `．`) and the division/set-minus
//!    slashes as their ASCII look-alikes, ASCII case folded, backslashes as
//!    slashes, NUL and zero-width characters dropped, every control or
//!    Unicode space character as a space.
//! 3. **Canonical form** (`canon`): SQL block comments as a space (MySQL
//!    `/*!50000 ... */` keeps its content), runs of spaces as one, odd dot
//!    segments as `../` (`....//`, `..;/`, `..//`), `/./` as `/`.
//!
//! A request target is decoded as two parts, path and query (split at the
//! first raw `?`, which is never an encoded one), so that the query can be
//! told apart afterwards ([`Normalized::query_at`]).
//!
//! Speed: [`Decoder`] keeps its scratch buffers, and a value that needs no
//! change at all (the common case for paths and referrers) is not copied:
//! the caller uses the raw value ([`Normalized::changed`] is false). A
//! value that only needs case folding is one copy. Nothing here allocates
//! once the buffers have grown.
//!
//! The raw value stays what evidence shows; rules see both (see the field
//! names in `rules/README.md`: `url.decoded`, `url.path.decoded`,
//! `url.query.decoded`, `user_agent.decoded`,
//! `http.request.referrer.decoded`).

mod canon;
mod chars;
mod entity;
mod percent;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod shape_tests {
    use super::*;

    #[test]
    fn byte_scan_agrees_with_the_obvious_one() {
        let mut all: Vec<u8> = (0u8..=255).collect();
        all.extend_from_slice(b"abcdefghABCDEFGH/.-_~%");
        for len in 0..all.len() {
            for start in [0, 1, 7, 100, 200] {
                let s = all
                    .get(start..(start + len).min(all.len()))
                    .unwrap_or_default();
                let special = s
                    .iter()
                    .any(|&b| !(0x20..0x7f).contains(&b) || b == b'%' || b == b'\\');
                let upper = s.iter().any(u8::is_ascii_uppercase);
                assert_eq!(scan_bytes(s), (special, upper), "{s:?}");
            }
        }
        for b in 0u8..=255 {
            let s = [b'a', b'b', b'c', b'd', b'e', b'f', b'g', b];
            let special = !(0x20..0x7f).contains(&b) || b == b'%' || b == b'\\';
            assert_eq!(scan_bytes(&s), (special, b.is_ascii_uppercase()), "{b}");
        }
    }
}

/// At most this many decoding rounds (the raw value plus three levels of
/// re-encoding).
pub const MAX_ROUNDS: usize = 4;

/// What a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A request target or URL: path, then `?` and a query where `+` is a
    /// space.
    Url,
    /// Free text such as a user agent: no query, `+` is a plus.
    Text,
}

/// The result of [`Decoder::normalize`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Normalized {
    /// Whether the output buffer holds the normal form; when false the raw
    /// value already is its own normal form and the buffer is untouched.
    pub changed: bool,
    /// Byte index of the `?` that starts the query in the normal form (in
    /// the buffer when `changed`, else in the raw value); `None` without a
    /// query (or in [`Mode::Text`]).
    pub query_at: Option<usize>,
}

/// Reusable buffers for normalising values; one per thread.
#[derive(Debug, Default, Clone)]
pub struct Decoder {
    a: Vec<u8>,
    b: Vec<u8>,
}

/// What the quick look at a raw value found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Already normal.
    Plain,
    /// Normal but for ASCII upper case.
    Upper,
    /// Needs the whole treatment.
    Encoded,
}

/// Whether `&` at `i` starts something that looks like a character
/// reference (`&#`, or `&name;` with a short name).
fn entity_like(s: &[u8], i: usize) -> bool {
    match s.get(i + 1) {
        Some(b'#') => true,
        Some(c) if c.is_ascii_alphabetic() => {
            s.get(i + 2..)
                .unwrap_or_default()
                .iter()
                .take(entity::MAX_NAME)
                .find(|c| !c.is_ascii_alphanumeric())
                == Some(&b';')
        }
        _ => false,
    }
}

/// Bytes that always need work (controls, DEL, non-ASCII, `%`, `\\`) and
/// upper case letters, eight at a time: (special, upper).
fn scan_bytes(raw: &[u8]) -> (bool, bool) {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // Per 7-bit lane v: high bit set when v >= n (no carries: v < 0x80).
    let ge = |v: u64, n: u8| v.wrapping_add(LO * u64::from(0x80 - n)) & HI;
    let eq = |v: u64, n: u8| !((v ^ (LO * u64::from(n))).wrapping_add(LOW7)) & HI;
    let mut special = 0u64;
    let mut upper = 0u64;
    let mut chunks = raw.chunks_exact(8);
    for c in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        let x = u64::from_le_bytes(word);
        let v = x & LOW7;
        special |= (x & HI) | (!ge(v, 0x20) & HI) | eq(v, 0x7f) | eq(v, b'%') | eq(v, b'\\');
        upper |= ge(v, b'A') & !ge(v, b'Z' + 1) & !x;
    }
    let mut sp = special != 0;
    let mut up = upper != 0;
    for &b in chunks.remainder() {
        sp |= !(0x20..0x7f).contains(&b) || b == b'%' || b == b'\\';
        up |= b.is_ascii_uppercase();
    }
    (sp, up)
}

/// The quick look: the bytes that always need work and upper case, eight
/// at a time; then one pass for the patterns that need work (`..`, `/*`,
/// `/./`, two spaces, `&` starting a character reference, `+` in a query).
fn shape(raw: &[u8], mode: Mode) -> Shape {
    let (special, upper) = scan_bytes(raw);
    if special {
        return Shape::Encoded;
    }
    let mut in_query = false;
    let mut prev = 0u8;
    for (i, &b) in raw.iter().enumerate() {
        let odd = match b {
            b'.' => prev == b'.' || (prev == b'/' && raw.get(i + 1) == Some(&b'/')),
            b'*' => prev == b'/',
            b' ' => prev == b' ',
            b'&' => entity_like(raw, i),
            b'+' => in_query,
            b'?' => {
                in_query = mode == Mode::Url;
                false
            }
            _ => false,
        };
        if odd {
            return Shape::Encoded;
        }
        prev = b;
    }
    if upper { Shape::Upper } else { Shape::Plain }
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Normalises `raw` into `out` (cleared first) when it needs it; see
    /// [`Normalized`].
    pub fn normalize(&mut self, raw: &str, mode: Mode, out: &mut String) -> Normalized {
        let bytes = raw.as_bytes();
        let raw_query = match mode {
            Mode::Url => memchr::memchr(b'?', bytes),
            Mode::Text => None,
        };
        match shape(bytes, mode) {
            Shape::Plain => Normalized {
                changed: false,
                query_at: raw_query,
            },
            Shape::Upper => {
                out.clear();
                out.push_str(raw);
                out.make_ascii_lowercase();
                Normalized {
                    changed: true,
                    query_at: raw_query,
                }
            }
            Shape::Encoded => {
                let mut v = std::mem::take(out).into_bytes();
                v.clear();
                let query_at = match raw_query {
                    Some(q) => {
                        self.part(bytes.get(..q).unwrap_or_default(), false, &mut v);
                        let at = v.len();
                        v.push(b'?');
                        self.part(bytes.get(q + 1..).unwrap_or_default(), true, &mut v);
                        Some(at)
                    }
                    None => {
                        self.part(bytes, false, &mut v);
                        None
                    }
                };
                *out = match String::from_utf8(v) {
                    Ok(s) => s,
                    // Not reachable: every step writes whole UTF-8
                    // sequences. Stay total anyway.
                    Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                };
                Normalized {
                    changed: true,
                    query_at,
                }
            }
        }
    }

    /// The normal form of `raw` as a new string (for tests, explanations
    /// and callers off the hot path).
    pub fn normalize_to_string(&mut self, raw: &str, mode: Mode) -> String {
        let mut out = String::new();
        if self.normalize(raw, mode, &mut out).changed {
            out
        } else {
            raw.to_string()
        }
    }

    /// Decodes one part (path, query, or all of a text), appending its
    /// canonical form to `out`.
    fn part(&mut self, raw: &[u8], query: bool, out: &mut Vec<u8>) {
        let Decoder { a, b } = self;
        a.clear();
        a.extend_from_slice(raw);
        for round in 0..MAX_ROUNDS {
            let first = round == 0;
            // Another round only for what it could still decode.
            if !first
                && memchr::memchr(b'%', a).is_none()
                && !memchr::memchr_iter(b'&', a).any(|i| entity_like(a, i))
            {
                break;
            }
            let p = percent::decode(a, b, query && first, first);
            let e = entity::decode(b, a);
            if !p && !e {
                break;
            }
        }
        chars::fold(a, b);
        canon::canon(b, out);
    }
}

/// The normal form of `raw` (allocates; see [`Decoder`] for the reusable
/// way).
pub fn normalize(raw: &str, mode: Mode) -> String {
    Decoder::new().normalize_to_string(raw, mode)
}
