//! The scanner shared by the NCSA access-log family (`apache_common`,
//! `apache_combined`) and the pieces the web error logs reuse (request
//! lines, quoted fields).
//!
//! A line is `[vhost ]host ident authuser [dd/Mon/yyyy:HH:MM:SS +zzzz]
//! "request" status bytes` followed by whatever the format adds. The scan
//! is by hand over bytes and borrows every value from the line: this is the
//! hottest path of the product. It is lenient where servers and attackers
//! are creative (garbage request lines, `\"` escapes, IPv6 and host-name
//! clients, stamps without an offset, lines cut short) and strict where it
//! tells formats apart (the bracketed stamp, the quoted request, a
//! three-digit status).

use std::borrow::Cow;

use crate::event::{Category, Event, Outcome};
use crate::format::{Format, ParseCtx};
use crate::time::{CivilDateTime, Timestamp, digits, month_from_abbrev, parse_hms, two_digits};

/// How far into a line the bracketed stamp may start.
const MAX_PREFIX: usize = 512;
/// At most this many space-separated tokens before the stamp.
const MAX_PREFIX_TOKENS: usize = 8;

/// Parses the part every access log shares into `ev` (source, user,
/// stamp, request, status, bytes, category and outcome). Returns what
/// follows the bytes field: empty, or starting with a space; a line cut
/// short inside the request or before the bytes gives what was there and
/// `None` as the rest. `ev` is reset once the line has proved to start
/// like an access log, so whatever it held is replaced; on `None` it may
/// hold a partial event. Events are large: parsing in place saves copying
/// one from function to function.
pub fn parse_prefix_into<'a>(
    line: &'a str,
    ctx: &ParseCtx,
    format: Format,
    ev: &mut Event<'a>,
) -> Option<Option<&'a str>> {
    let b = line.as_bytes();
    let first = *b.first()?;
    if !(first.is_ascii_alphanumeric() || first == b':' || first == b'[' || first == b'-') {
        return None;
    }
    let open = find_stamp(b)?;
    let (ts, mut i) = parse_stamp(b, open + 1, ctx)?;

    // Tokens before the stamp (without allocating).
    let mut starts = [0usize; MAX_PREFIX_TOKENS];
    let mut ends = [0usize; MAX_PREFIX_TOKENS];
    let mut n = 0;
    let mut s = 0;
    for (k, &c) in b[..open].iter().enumerate() {
        if c == b' ' {
            if k > s {
                if n == MAX_PREFIX_TOKENS {
                    return None;
                }
                starts[n] = s;
                ends[n] = k;
                n += 1;
            }
            s = k + 1;
        }
    }
    if n < 3 {
        return None;
    }
    let tok = |k: usize| line.get(starts[k]..ends[k]);
    *ev = Event::new(format, line, ts);
    ev.category = Some(Category::Web);
    ev.action = Some(Cow::Borrowed("http_request"));
    // `vhost host ident user` (Apache's vhost_combined) when the second
    // token is an address and the first is not.
    let t0 = tok(0)?;
    let t1 = tok(1)?;
    let vhost_form =
        n >= 4 && crate::net::parse_ip(t0).is_none() && crate::net::parse_ip(t1).is_some();
    let (host, user_from) = if vhost_form {
        let vhost = strip_port(t0);
        if vhost != "-" && !vhost.is_empty() {
            ev.url_domain = Some(Cow::Borrowed(vhost));
        }
        (t1, 3)
    } else {
        (t0, 2)
    };
    if host != "-" && !ev.set_source(host) {
        // A host name without a dot (`localhost`, an intranet name) only in
        // the plain three-token form.
        let simple = n == 3
            && host.len() <= 63
            && host
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
        if !simple {
            return None;
        }
        ev.source_domain = Some(Cow::Borrowed(host));
    }
    // The user may hold spaces; extra `-` columns (custom formats) are
    // ignored.
    let user = line.get(starts[user_from]..ends[n - 1])?;
    if user.bytes().any(|c| c != b'-' && c != b' ') {
        ev.user_name = Some(Cow::Borrowed(user));
    }

    // Optional token between the stamp and the request (a vhost in some
    // custom formats), then the quoted request.
    if b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    if b.get(i) != Some(&b'"') {
        let sp = memchr::memchr(b' ', &b[i..]).map(|k| k + i)?;
        if b.get(sp + 1) != Some(&b'"') || sp == i {
            return None;
        }
        let tokn = line.get(i..sp)?;
        if ev.url_domain.is_none() && tokn != "-" {
            ev.url_domain = Some(Cow::Borrowed(tokn));
        }
        i = sp + 1;
    }
    let q = quoted(line, i)?;
    apply_request(ev, q.value);
    if !q.closed {
        return Some(None);
    }
    i = q.next;

    // ` status bytes`
    if i >= b.len() {
        return Some(None);
    }
    if b[i] != b' ' {
        return None;
    }
    i += 1;
    if b.get(i) == Some(&b'-') {
        i += 1;
    } else {
        let (status, used) = digits(b, i, 3)?;
        if used != 3 {
            return None;
        }
        set_status(ev, status as u16);
        i += 3;
    }
    match b.get(i) {
        None => return Some(None),
        Some(b' ') => i += 1,
        Some(_) => return None,
    }
    if b.get(i) == Some(&b'-') {
        i += 1;
    } else {
        let start = i;
        let mut v: u64 = 0;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            v = v.saturating_mul(10).saturating_add(u64::from(c - b'0'));
            i += 1;
        }
        if i == start {
            return None;
        }
        ev.http_bytes = Some(v);
    }
    match b.get(i) {
        None | Some(b' ') => {}
        Some(_) => return None,
    }
    Some(Some(line.get(i..)?))
}

/// Sets `http.response.status_code` and the outcome it implies.
pub fn set_status(ev: &mut Event<'_>, status: u16) {
    ev.http_status = Some(status);
    ev.outcome = match status {
        200..=399 => Some(Outcome::Success),
        400.. => Some(Outcome::Failure),
        _ => None,
    };
}

/// The first `[` that opens a `dd/Mon/` stamp after a space.
fn find_stamp(b: &[u8]) -> Option<usize> {
    let hay = b.get(..MAX_PREFIX.min(b.len()))?;
    let mut from = 0;
    for k in memchr::memchr_iter(b'[', hay) {
        // A quote before the stamp: not an access log.
        if memchr::memchr(b'"', &hay[from..k]).is_some() {
            return None;
        }
        if k > 0
            && hay[k - 1] == b' '
            && two_digits(b, k + 1).is_some()
            && b.get(k + 3) == Some(&b'/')
        {
            return Some(k);
        }
        from = k;
    }
    None
}

/// `dd/Mon/yyyy:HH:MM:SS[.frac][ ±hhmm|GMT|UTC|Z]]` at `b[i..]`: the instant
/// and the index after `]`. Without an offset the stamp is local time.
/// The last stamp `parse_stamp` read, with its text up to and including
/// the closing `]`: access logs come in time order and a busy server
/// writes many lines a second, so the next line's stamp is usually the
/// same text. (The result depends only on that text and the parse
/// context, which owns the memo.)
#[derive(Debug, Clone, Default)]
pub struct StampMemo(std::cell::Cell<Option<LastStamp>>);

#[derive(Debug, Clone, Copy)]
struct LastStamp {
    text: [u8; STAMP_MEMO_LEN],
    len: u8,
    ts: Timestamp,
}

/// Longer stamps (fractions of a second, names of zones) are not kept.
const STAMP_MEMO_LEN: usize = 40;

pub fn parse_stamp(b: &[u8], i: usize, ctx: &ParseCtx) -> Option<(Timestamp, usize)> {
    if let Some(last) = ctx.last_stamp.0.get() {
        let len = usize::from(last.len);
        if b.get(i..i + len) == last.text.get(..len) {
            return Some((last.ts, i + len));
        }
    }
    let (ts, end) = read_stamp(b, i, ctx)?;
    // `end` is just past the first `]` at or after `i`.
    if let Some(text) = b.get(i..end)
        && text.len() <= STAMP_MEMO_LEN
    {
        let mut last = LastStamp {
            text: [0; STAMP_MEMO_LEN],
            len: text.len() as u8,
            ts,
        };
        last.text[..text.len()].copy_from_slice(text);
        ctx.last_stamp.0.set(Some(last));
    }
    Some((ts, end))
}

fn read_stamp(b: &[u8], i: usize, ctx: &ParseCtx) -> Option<(Timestamp, usize)> {
    let day = two_digits(b, i)?;
    if b.get(i + 2) != Some(&b'/') || b.get(i + 6) != Some(&b'/') {
        return None;
    }
    let month = month_from_abbrev(b.get(i + 3..i + 6)?)?;
    let (year, n) = digits(b, i + 7, 4)?;
    if n != 4 || b.get(i + 11) != Some(&b':') {
        return None;
    }
    let (hour, minute, second, nanos, used) = parse_hms(b, i + 12)?;
    let civil = CivilDateTime {
        year: year as i32,
        month,
        day: day as u8,
        hour,
        minute,
        second,
        nanos,
    };
    let mut j = i + 12 + used;
    while b.get(j) == Some(&b' ') {
        j += 1;
    }
    let ts = match b.get(j)? {
        b']' => ctx.zone.to_utc(&civil)?,
        &sign @ (b'+' | b'-') => {
            let h = two_digits(b, j + 1)?;
            let (m, used) = if b.get(j + 3) == Some(&b':') {
                (two_digits(b, j + 4)?, 6)
            } else {
                (two_digits(b, j + 3)?, 5)
            };
            if h > 23 || m > 59 {
                return None;
            }
            let utc = civil.assume_utc()?;
            let off = i64::from(h * 3600 + m * 60);
            j += used;
            Timestamp {
                secs: if sign == b'+' {
                    utc.secs - off
                } else {
                    utc.secs + off
                },
                nanos: utc.nanos,
            }
        }
        _ => {
            let rest = b.get(j..)?;
            let used = [&b"GMT"[..], b"UTC", b"Z"]
                .iter()
                .find(|z| rest.starts_with(z))
                .map(|z| z.len())?;
            j += used;
            civil.assume_utc()?
        }
    };
    while b.get(j) == Some(&b' ') {
        j += 1;
    }
    if b.get(j) != Some(&b']') {
        return None;
    }
    Some((ts, j + 1))
}

/// A double-quoted field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted<'a> {
    /// The text between the quotes, escapes left as they are.
    pub value: &'a str,
    /// Index just after the closing quote (the line length when unclosed).
    pub next: usize,
    /// Whether a closing quote was found (false: the line was cut short).
    pub closed: bool,
}

/// The quoted field opening at `s[i]` (which must be `"`). A `\` escapes
/// the next byte, as Apache writes `\"` and `\\`.
pub fn quoted(s: &str, i: usize) -> Option<Quoted<'_>> {
    let b = s.as_bytes();
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let start = i + 1;
    let mut k = start;
    while let Some(off) = memchr::memchr2(b'"', b'\\', b.get(k..)?) {
        let at = k + off;
        if b[at] == b'"' {
            return Some(Quoted {
                value: s.get(start..at)?,
                next: at + 1,
                closed: true,
            });
        }
        k = at + 2;
        if k > b.len() {
            break;
        }
    }
    Some(Quoted {
        value: s.get(start..)?,
        next: b.len(),
        closed: false,
    })
}

/// Fills method, target and version from a request line as servers log
/// it: `GET /x HTTP/1.1`, `GET /x` (HTTP/0.9), `GET /a b HTTP/1.1` (spaces
/// in the target), `-`, empty, or binary junk (`\x16\x03\x01...` from TLS
/// probes). Junk that does not start with a method is kept whole as
/// `url.original`.
pub fn apply_request<'a>(ev: &mut Event<'a>, req: &'a str) {
    if req.is_empty() || req == "-" {
        return;
    }
    // Byte searches: the separators are ASCII spaces, so every cut is on
    // a character boundary.
    let skip_spaces = |s: &'a str| -> &'a str {
        let n = s.bytes().take_while(|&c| c == b' ').count();
        s.get(n..).unwrap_or_default()
    };
    let (method, rest) = match memchr::memchr(b' ', req.as_bytes()) {
        Some(sp) => (
            req.get(..sp).unwrap_or_default(),
            Some(skip_spaces(req.get(sp + 1..).unwrap_or_default())),
        ),
        None => (req, None),
    };
    let plausible = !method.is_empty()
        && method.len() <= 32
        && method
            .bytes()
            .all(|c| c.is_ascii_alphabetic() || c == b'-' || c == b'_');
    let Some(rest) = rest else {
        if plausible && method.bytes().all(|c| !c.is_ascii_lowercase()) {
            ev.http_method = Some(Cow::Borrowed(method));
        } else {
            ev.url_original = Some(Cow::Borrowed(req));
        }
        return;
    };
    if !plausible {
        ev.url_original = Some(Cow::Borrowed(req));
        return;
    }
    ev.http_method = Some(Cow::Borrowed(method));
    let target = match memchr::memrchr(b' ', rest.as_bytes()) {
        Some(sp) if rest[sp + 1..].starts_with("HTTP/") => {
            let v = &rest[sp + 1 + 5..];
            if !v.is_empty() {
                ev.http_version = Some(Cow::Borrowed(v));
            }
            rest[..sp].trim_end_matches(' ')
        }
        _ if rest.starts_with("HTTP/") && !rest.contains(' ') => {
            // `GET HTTP/1.1`: no target at all.
            let v = &rest[5..];
            if !v.is_empty() {
                ev.http_version = Some(Cow::Borrowed(v));
            }
            ""
        }
        _ => rest,
    };
    if !target.is_empty() {
        ev.url_original = Some(Cow::Borrowed(target));
    }
}

/// `host:port` → `host` (IPv6 in brackets kept whole).
pub fn strip_port(s: &str) -> &str {
    if s.starts_with('[') {
        return match s.find(']') {
            Some(i) => &s[..=i],
            None => s,
        };
    }
    match s.rfind(':') {
        Some(i) if s[..i].find(':').is_none() && s[i + 1..].bytes().all(|c| c.is_ascii_digit()) => {
            &s[..i]
        }
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ParseCtx {
        ParseCtx::utc(Timestamp::from_secs(1_705_400_000))
    }

    fn req(r: &str) -> (Option<String>, Option<String>, Option<String>) {
        let mut ev = Event::new(Format::ApacheCommon, r, Timestamp::default());
        apply_request(&mut ev, r);
        (
            ev.http_method.map(|c| c.into_owned()),
            ev.url_original.map(|c| c.into_owned()),
            ev.http_version.map(|c| c.into_owned()),
        )
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn remembered_stamps_read_like_fresh_ones() {
        let stamps = [
            "15/Jan/2024:10:00:00 +0000]",
            "15/Jan/2024:10:00:00 +0000]",
            "15/Jan/2024:10:00:00 +0100]",
            "15/Jan/2024:10:00:00 +0000",
            "15/Jan/2024:10:00:00 +0000] x",
            "15/Jan/2024:10:00:00.123456 +0000]",
            "15/Jan/2024:10:00:01 GMT]",
            "31/Feb/2024:10:00:01 +0000]",
            "15/Jan/2024:10:00:00 +0000]",
        ];
        let c = ParseCtx::utc(Timestamp::from_secs(1_705_400_000));
        for round in 0..2 {
            for s in stamps {
                let fresh = read_stamp(s.as_bytes(), 0, &c);
                assert_eq!(parse_stamp(s.as_bytes(), 0, &c), fresh, "{round} {s}");
            }
        }
    }

    #[test]
    fn request_lines() {
        assert_eq!(
            req("GET /a?b=1 HTTP/1.1"),
            (s("GET"), s("/a?b=1"), s("1.1"))
        );
        assert_eq!(
            req("GET /a b c HTTP/1.0"),
            (s("GET"), s("/a b c"), s("1.0"))
        );
        assert_eq!(req("GET /x"), (s("GET"), s("/x"), None));
        assert_eq!(req("PRI * HTTP/2.0"), (s("PRI"), s("*"), s("2.0")));
        assert_eq!(req("HELP"), (s("HELP"), None, None));
        assert_eq!(req("batman"), (None, s("batman"), None));
        assert_eq!(req("-"), (None, None, None));
        assert_eq!(req(""), (None, None, None));
        assert_eq!(
            req("\\x16\\x03\\x01\\x02"),
            (None, s("\\x16\\x03\\x01\\x02"), None)
        );
        assert_eq!(
            req("\\x03\\x00\\x00/*\\xE0 Cookie: mstshash=x"),
            (None, s("\\x03\\x00\\x00/*\\xE0 Cookie: mstshash=x"), None)
        );
        assert_eq!(req("GET HTTP/1.1"), (s("GET"), None, s("1.1")));
        assert_eq!(
            req("GET /\\\"x\\\" HTTP/1.1"),
            (s("GET"), s("/\\\"x\\\""), s("1.1"))
        );
    }

    #[test]
    fn quoted_fields() {
        let l = r#"x "a \"b\" c\\" y"#;
        let q = quoted(l, 2).unwrap();
        assert_eq!(q.value, r#"a \"b\" c\\"#);
        assert!(q.closed);
        assert_eq!(&l[q.next..], " y");
        let q = quoted("\"abc", 0).unwrap();
        assert_eq!((q.value, q.closed), ("abc", false));
        let q = quoted("\"abc\\", 0).unwrap();
        assert_eq!((q.value, q.closed), ("abc\\", false));
        assert!(quoted("abc", 0).is_none());
    }

    #[test]
    fn stamps() {
        let c = ctx();
        let p = |s: &str| parse_stamp(s.as_bytes(), 0, &c).map(|(t, n)| (t.secs, t.nanos, n));
        assert_eq!(
            p("15/Jan/2024:10:30:45 +0000]"),
            Some((1_705_314_645, 0, 27))
        );
        assert_eq!(
            p("15/Jan/2024:11:30:45 +0100]").map(|v| v.0),
            Some(1_705_314_645)
        );
        assert_eq!(
            p("15/Jan/2024:05:30:45 -05:00]").map(|v| v.0),
            Some(1_705_314_645)
        );
        assert_eq!(p("15/Jan/2024:10:30:45]").map(|v| v.0), Some(1_705_314_645));
        assert_eq!(
            p("15/Jan/2024:10:30:45 ]").map(|v| v.0),
            Some(1_705_314_645)
        );
        assert_eq!(
            p("15/Jan/2024:10:30:45 GMT]").map(|v| v.0),
            Some(1_705_314_645)
        );
        assert_eq!(
            p("15/Jan/2024:10:30:45.250 +0000]").map(|v| v.1),
            Some(250_000_000)
        );
        for bad in [
            "15/Jan/2024:10:30:45 +0000",
            "32/Jan/2024:10:30:45 +0000]",
            "15/Foo/2024:10:30:45 +0000]",
            "15/Jan/24:10:30:45 +0000]",
            "15/Jan/2024:10:30 +0000]",
            "15/Jan/2024:10:30:45 +2500]",
            "15/Jan/2024:10:30:45 EST]",
            "15/Jan/2024",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }

    #[test]
    fn ports() {
        assert_eq!(strip_port("example.com:443"), "example.com");
        assert_eq!(strip_port("example.com"), "example.com");
        assert_eq!(strip_port("[::1]:443"), "[::1]");
        assert_eq!(strip_port("2001:db8::1"), "2001:db8::1");
    }
}
