//! The `sqli` and `xss` modifiers (LogSentinel extensions): the value holds
//! SQL injection / cross-site scripting according to libinjection's
//! tokenizers (the `libinjectionrs` port), not merely a keyword.
//!
//! ```yaml
//! detection:
//!   selection:
//!     url.query.decoded|sqli: true
//! ```
//!
//! `field|sqli: true` holds when the field is present and one of its
//! pieces is an injection; `false` is the negation (absent fields
//! included). libinjection judges one input value at a time, so a value is
//! cut into the pieces an application would hand to its SQL or HTML:
//!
//! - `url.original`, `url.decoded`, `http.request.referrer(.decoded)`: the
//!   path's segments (for `xss`: the whole path) and each query parameter's
//!   value (the part after its first `=`, or the whole parameter);
//! - `url.query.decoded`: each parameter's value; `url.path.decoded`: the
//!   path's segments (`xss`: the whole path);
//! - any other text field: the whole value.
//!
//! Use them on the decoded fields: libinjection does not URL-decode.
//! Speed: a tokenizer run costs microseconds, so a piece is only handed to
//! it when it could be an injection at all: for SQL, it holds a quote,
//! backtick, parenthesis, `;`, `#`, `--` or `/*`, or it holds spaces and an
//! operator (`= < > | &`) or two SQL words (`or`, `and`, `union`,
//! `select`, `order`, `by`, ...); for HTML, it holds `< > " '` or a
//! backtick. That keeps
//! ordinary paths, ids, tokens and most searches off it. Pieces are cut
//! to [`MAX_PIECE`] bytes. The port is defended against its own bugs: a
//! panic inside it counts as "no injection" instead of taking the worker
//! down.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Which tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Sqli,
    Xss,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Sqli => "sqli",
            Kind::Xss => "xss",
        }
    }
}

/// How a field's value is cut into pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Split {
    Url,
    Path,
    Query,
    Whole,
}

impl Split {
    /// The cut for the (mapped) field `name`.
    pub fn for_field(name: &str) -> Split {
        match name {
            "url.original"
            | "url.decoded"
            | "http.request.referrer"
            | "http.request.referrer.decoded" => Split::Url,
            "url.path.decoded" => Split::Path,
            "url.query.decoded" => Split::Query,
            _ => Split::Whole,
        }
    }
}

/// Longest piece handed to a tokenizer (libinjection decides on the first
/// few tokens anyway).
pub(crate) const MAX_PIECE: usize = 2048;

/// Bytes that make a piece worth a tokenizer run on their own: for SQL
/// (bit 0) quotes, backtick, parentheses, `;`, `#`; for HTML (bit 1)
/// angle brackets, quotes, backtick.
static TRIGGER: [u8; 256] = {
    let mut t = [0u8; 256];
    let sql = b"'\"`;()#";
    let mut i = 0;
    while i < sql.len() {
        t[sql[i] as usize] |= 1;
        i += 1;
    }
    let html = b"<>\"'`";
    let mut i = 0;
    while i < html.len() {
        t[html[i] as usize] |= 2;
        i += 1;
    }
    t
};

/// Words of which two turn a piece with spaces into possible SQL
/// (numeric-context injection needs no quote: `-1 UNION SELECT 1,2`,
/// `1 ORDER BY 5`); one is not enough ("select a plan", "union station").
const SQL_WORDS: &[&str] = &[
    "or",
    "and",
    "xor",
    "not",
    "union",
    "select",
    "order",
    "group",
    "having",
    "where",
    "from",
    "limit",
    "like",
    "rlike",
    "regexp",
    "div",
    "mod",
    "is",
    "in",
    "between",
    "into",
    "exec",
    "execute",
    "declare",
    "waitfor",
    "procedure",
    "sleep",
    "benchmark",
    "case",
    "when",
    "by",
    "null",
    "true",
    "false",
    "all",
    "distinct",
];

/// Whether `piece` could be an injection of `kind` at all: the cheap test
/// before the tokenizer.
fn gate(kind: Kind, piece: &[u8]) -> bool {
    match kind {
        Kind::Xss => piece.iter().any(|&b| TRIGGER[b as usize] & 2 != 0),
        Kind::Sqli => {
            if piece.iter().any(|&b| TRIGGER[b as usize] & 1 != 0)
                || memchr::memmem::find(piece, b"--").is_some()
                || memchr::memmem::find(piece, b"/*").is_some()
            {
                return true;
            }
            if !piece.contains(&b' ') {
                return false;
            }
            piece
                .iter()
                .any(|&b| matches!(b, b'=' | b'<' | b'>' | b'|' | b'&'))
                || piece
                    .split(|b| !b.is_ascii_alphanumeric() && *b != b'_')
                    .filter(|w| {
                        SQL_WORDS
                            .iter()
                            .any(|k| k.as_bytes().eq_ignore_ascii_case(w))
                    })
                    .nth(1)
                    .is_some()
        }
    }
}

/// Whether `piece` is a JSON object or array (`{"q":"x"}` in a query
/// string): SQL is then looked for in its string values, not in its
/// punctuation (which the SQL tokenizer reads as quotes and operators).
fn json_like(piece: &[u8]) -> bool {
    let t = piece.trim_ascii();
    matches!(
        (t.first(), t.last()),
        (Some(b'{'), Some(b'}')) | (Some(b'['), Some(b']'))
    ) && t.contains(&b'"')
}

/// The contents of the JSON strings in `piece` (escapes left as they are).
fn json_strings(piece: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut i = 0;
    std::iter::from_fn(move || {
        let open = i + memchr::memchr(b'"', piece.get(i..)?)?;
        let mut j = open + 1;
        loop {
            let close = j + memchr::memchr(b'"', piece.get(j..)?)?;
            // An escaped quote (odd number of backslashes before it).
            let slashes = piece
                .get(..close)
                .unwrap_or_default()
                .iter()
                .rev()
                .take_while(|&&b| b == b'\\')
                .count();
            if slashes % 2 == 1 {
                j = close + 1;
                continue;
            }
            i = close + 1;
            return piece.get(open + 1..close);
        }
    })
}

fn detect(kind: Kind, piece: &[u8]) -> bool {
    let piece = piece.get(..MAX_PIECE).unwrap_or(piece);
    if !gate(kind, piece) {
        return false;
    }
    if kind == Kind::Sqli && json_like(piece) {
        return json_strings(piece).any(|v| gate(kind, v) && tokenize(kind, v));
    }
    tokenize(kind, piece)
}

/// One tokenizer run.
fn tokenize(kind: Kind, piece: &[u8]) -> bool {
    let run = AssertUnwindSafe(|| match kind {
        Kind::Sqli => libinjectionrs::detect_sqli(piece).is_injection(),
        Kind::Xss => libinjectionrs::detect_xss(piece).is_injection(),
    });
    catch_unwind(run).unwrap_or(false)
}

/// Each query parameter's value (or the whole parameter without `=`).
fn query_values(query: &str) -> impl Iterator<Item = &[u8]> {
    query.split('&').map(|p| match p.split_once('=') {
        Some((_, v)) => v.as_bytes(),
        None => p.as_bytes(),
    })
}

fn path_pieces(kind: Kind, path: &str) -> impl Iterator<Item = &[u8]> {
    let whole = (kind == Kind::Xss).then_some(path.as_bytes());
    let segments = (kind == Kind::Sqli).then(|| path.split('/').map(str::as_bytes));
    whole.into_iter().chain(segments.into_iter().flatten())
}

/// Whether `text` (a value of a field cut as `split`) holds an injection
/// of `kind`.
pub(crate) fn holds(kind: Kind, split: Split, text: &str) -> bool {
    let check = |piece: &[u8]| detect(kind, piece);
    match split {
        Split::Whole => check(text.as_bytes()),
        Split::Path => path_pieces(kind, text).any(check),
        Split::Query => query_values(text).any(check),
        Split::Url => {
            let (path, query) = match text.split_once('?') {
                Some((p, q)) => (p, Some(q)),
                None => (text, None),
            };
            path_pieces(kind, path).any(check) || query.is_some_and(|q| query_values(q).any(check))
        }
    }
}

/// Recent verdicts of [`holds`]: the same request targets, queries and
/// user agents come back all the time (and scanners send the same
/// payload to many paths), so a value seen recently is not cut and
/// tokenized again. A small direct-mapped table whose entries keep their
/// buffers; one per matching thread.
#[derive(Debug, Default, Clone)]
pub(crate) struct Verdicts {
    slots: Vec<Option<Verdict>>,
}

#[derive(Debug, Clone)]
struct Verdict {
    kind: Kind,
    split: Split,
    key: String,
    holds: bool,
}

/// Entries in a [`Verdicts`] table.
const VERDICT_SLOTS: usize = 512;
/// Longer values are always judged afresh (they rarely repeat).
const VERDICT_MAX_LEN: usize = 1024;

impl Verdicts {
    /// `holds(kind, split, text)`, from the table when `text` was judged
    /// recently.
    pub fn holds(&mut self, kind: Kind, split: Split, text: &str) -> bool {
        if text.len() > VERDICT_MAX_LEN {
            return holds(kind, split, text);
        }
        if self.slots.len() != VERDICT_SLOTS {
            self.slots = vec![None; VERDICT_SLOTS];
        }
        let salt = kind as usize * 8 + split as usize;
        let i = super::prefilter::memo_hash(text.as_bytes(), Some(salt)) % VERDICT_SLOTS;
        let Some(slot) = self.slots.get_mut(i) else {
            return holds(kind, split, text);
        };
        match slot {
            Some(v) if v.kind == kind && v.split == split && v.key == text => v.holds,
            Some(v) => {
                let verdict = holds(kind, split, text);
                v.kind = kind;
                v.split = split;
                v.key.clear();
                v.key.push_str(text);
                v.holds = verdict;
                verdict
            }
            None => {
                let verdict = holds(kind, split, text);
                *slot = Some(Verdict {
                    kind,
                    split,
                    key: text.to_string(),
                    holds: verdict,
                });
                verdict
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_verdicts_equal_fresh_ones() {
        let texts = [
            "/p?id=1' or '1'='1",
            "/search?q=men's shoes",
            "/p?q=<script>alert(1)</script>",
            "/static/app.js",
            "",
        ];
        let mut memo = Verdicts::default();
        for _ in 0..3 {
            for t in texts {
                for kind in [Kind::Sqli, Kind::Xss] {
                    for split in [Split::Url, Split::Path, Split::Query, Split::Whole] {
                        assert_eq!(
                            memo.holds(kind, split, t),
                            holds(kind, split, t),
                            "{kind:?} {split:?} {t}"
                        );
                    }
                }
            }
        }
        let long = format!("/p?id=1' or '1'='1&x={}", "a".repeat(VERDICT_MAX_LEN));
        assert!(memo.holds(Kind::Sqli, Split::Url, &long));
    }

    #[test]
    fn sql_injection_in_parameters_and_segments() {
        for (split, text) in [
            (Split::Query, "id=1' or '1'='1"),
            (Split::Query, "a=x&id=-1 union select 1,2,3,database()-- -"),
            (Split::Url, "/p?sort=name&id=1 and sleep(5)-- -"),
            (Split::Url, "/api/v1/products/1' or '1'='1"),
            (Split::Path, "/api/1 or 1=1-- -"),
            (Split::Whole, "admin'--"),
            (Split::Query, "q={\"name\":\"x' or '1'='1\"}"),
            (
                Split::Query,
                "q={\"a\":\"\\\"\",\"b\":\"1 union select 1,2-- -\"}",
            ),
        ] {
            assert!(holds(Kind::Sqli, split, text), "{text}");
        }
    }

    #[test]
    fn words_that_look_like_sql_are_not_injection() {
        for text in [
            "q=union station parking",
            "q=select a plan",
            "q=o'brien jacket",
            "q=1 or 2 seater sofa",
            "q=drop shipping&page=2",
            "q=men's shoes&sort=price",
            "query={user(id:1){name}}",
            "token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln&x=YWJj==",
            "filter={\"price\":{\"lt\":100}}",
            "state={\"return\":\"/cart\"}",
            "q=[{\"f\":\"name\",\"v\":\"o'brien\"}]",
            "",
        ] {
            assert!(!holds(Kind::Sqli, Split::Query, text), "{text}");
        }
    }

    #[test]
    fn cross_site_scripting() {
        assert!(holds(
            Kind::Xss,
            Split::Query,
            "q=<script>alert(1)</script>"
        ));
        assert!(holds(
            Kind::Xss,
            Split::Url,
            "/s?x=1&q=\"><img src=x onerror=alert(1)>"
        ));
        assert!(holds(Kind::Xss, Split::Url, "/<svg/onload=alert(1)>"));
        assert!(!holds(Kind::Xss, Split::Query, "q=<b>bold</b> & a < b"));
        assert!(!holds(
            Kind::Xss,
            Split::Url,
            "/cb?redirect_uri=https://shop.example.com/x"
        ));
    }

    #[test]
    fn gate_keeps_plain_pieces_away() {
        for plain in [
            &b"products-12_x.y"[..],
            b"running shoes",
            b"abc==",
            b"4/0aX_-",
            b"select a plan",
            b"union station",
            b"1 AND 2",
            b"10:30",
            b"",
        ] {
            assert!(
                !gate(Kind::Sqli, plain),
                "{}",
                String::from_utf8_lossy(plain)
            );
        }
        for suspect in [
            &b"1 or 1=1"[..],
            b"-1 union select 1,2",
            b"1 order by 5",
            b"1 or true",
            b"x'",
            b"1;",
            b"a--",
            b"a/*b",
            b"sleep(5)",
        ] {
            assert!(
                gate(Kind::Sqli, suspect),
                "{}",
                String::from_utf8_lossy(suspect)
            );
        }
        assert!(!gate(Kind::Xss, b"hello world"));
        assert!(!gate(Kind::Xss, b"https://a.example/x?y=1"));
        assert!(gate(Kind::Xss, b"<"));
        assert!(gate(Kind::Xss, b"\" onmouseover=x"));
    }

    #[test]
    fn long_and_hostile_pieces_are_fine() {
        let long = "' or 1=1 -- ".repeat(1000);
        assert!(holds(Kind::Sqli, Split::Whole, &long));
        let junk: String = (0u8..=255).map(char::from).collect::<String>().repeat(20);
        let _ = holds(Kind::Sqli, Split::Url, &junk);
        let _ = holds(Kind::Xss, Split::Url, &junk);
    }
}
