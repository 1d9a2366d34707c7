//! The fallback for any text: never fails, and pulls out what it can.
//!
//! - A timestamp near the start (within the first 64 bytes, brackets
//!   allowed): ISO 8601 / RFC 3339 with `T` or space (`,` or `.`
//!   fractions, `Z`, `+01:00`, ` +0100`, ` UTC`), `yyyy/mm/dd HH:MM:SS`,
//!   `mm/dd/yyyy` (`dd/mm/yyyy` when the first part cannot be a month,
//!   `dd.mm.yyyy`, `dd-mm-yyyy`) with optional AM/PM, `dd/Mon/yyyy:HH:MM:SS
//!   +zzzz`, `dd-Mon-yyyy HH:MM:SS`, `Mon, 15 Jan 2024 ...`, BSD `Mmm dd
//!   HH:MM:SS` (year inferred), ctime `Mon Jan 15 10:30:45 [UTC ]2024`, and
//!   epoch seconds / milliseconds at the line start. Stamps without an
//!   offset are read in the configured zone. The text after the stamp is
//!   `message`; without a stamp `ev.timestamp` stays default (the caller
//!   flags it) and the whole line is the message.
//! - A `[host ]prog[pid]:` tag after the stamp: `process.*`, `host.name`,
//!   and the program parsers get the rest (`programs::enrich`).
//! - A level word (`ERROR`, `[warn]`, ...) among the first words.
//! - The peer address: the first IPv4/IPv6 address after a keyword such as
//!   `from`, `client`, `src`, `rhost=`, `ip=`, `remote` (else the first
//!   address that is not after `to`/`dst`), with its port (`:port`, `/port`,
//!   `port N`, `sport=`); a destination after `to`/`dst`/`dest`.
//! - A user after `user`/`user=`/`username`/`login`/`account` or `for X from`.
//! - Security keywords, found in one pass by an Aho-Corasick automaton
//!   (`classify`, also used by the JSON format): an authentication word
//!   with a failure or success word gives `event.category: authentication`
//!   and the outcome; attack/malware words give `intrusion_detection` /
//!   `malware`; a lone failure/success word gives just the outcome.
//!
//! Only the first 16 KiB of a line is scanned, so junk and huge lines stay
//! cheap.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::event::{Category, Event, Outcome};
use crate::format::{Format, ParseCtx};
use crate::formats::syslog_rfc3164::parse_bsd_stamp;
use crate::net::parse_ip;
use crate::time::{
    CivilDateTime, Timestamp, digits, month_from_abbrev, parse_iso_civil, two_digits,
};

/// Bytes of a line scanned for addresses, users and keywords.
const MAX_SCAN: usize = 16 * 1024;
/// How far into the line a timestamp may start.
const STAMP_WINDOW: usize = 64;

pub fn parse<'a>(line: &'a str, ctx: &ParseCtx) -> Event<'a> {
    let text = prefix(line, MAX_SCAN);
    let mut ev = Event::new(Format::Heuristic, line, Timestamp::default());
    let mut msg_start = 0;
    let mut before = "";
    if let Some((ts, start, end)) = find_timestamp(text.as_bytes(), ctx) {
        ev.timestamp = ts;
        msg_start = end;
        before = line.get(..start).unwrap_or("");
    }
    let msg = line
        .get(msg_start..)
        .unwrap_or("")
        .trim_start_matches([' ', '\t', ']', ')', '|', ',', ':', '-', '\0'])
        .trim_end_matches([' ', '\t', '\r', '\n', '\0']);
    if !msg.is_empty() {
        ev.message = Some(Cow::Borrowed(msg));
    }

    if let Some(tag) = program_tag(msg) {
        ev.host_name = tag.host.map(Cow::Borrowed);
        ev.process_name = Some(Cow::Borrowed(tag.program));
        ev.process_pid = tag.pid;
        crate::programs::enrich(&mut ev, tag.program, tag.rest);
    }
    if ev.log_level.is_none() {
        ev.log_level = find_level(before, msg).map(Cow::Borrowed);
    }
    scan_words(&mut ev, text);
    if ev.category.is_none() && ev.outcome.is_none() {
        let facts = classify(text);
        ev.category = facts.category;
        ev.outcome = facts.outcome;
    }
    ev
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char
/// boundary.
fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

// ---------------------------------------------------------------------------
// Timestamps

enum Stamp {
    /// Wall-clock time, with its UTC offset in seconds when the line gave one.
    Civil(CivilDateTime, Option<i32>),
    Instant(Timestamp),
}

/// A timestamp in any form this module reads, at the very start of `s`
/// (for fields that hold only a stamp, as in JSON).
pub fn timestamp_at_start(s: &str, ctx: &ParseCtx) -> Option<Timestamp> {
    find_timestamp(s.as_bytes(), ctx)
        .filter(|&(_, start, _)| start == 0)
        .map(|(ts, _, _)| ts)
}

/// The first timestamp starting in the first `STAMP_WINDOW` bytes:
/// (instant, start, end).
fn find_timestamp(b: &[u8], ctx: &ParseCtx) -> Option<(Timestamp, usize, usize)> {
    let first = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'[' | b'(' | b'<' | b'{'))
        .unwrap_or(b.len());
    for p in 0..b.len().min(STAMP_WINDOW) {
        let c = b[p];
        if p > 0 && b.get(p - 1).is_some_and(u8::is_ascii_alphanumeric) {
            continue;
        }
        let found = if c.is_ascii_digit() {
            numeric_stamp(b, p, p == first)
        } else if c.is_ascii_alphabetic() {
            named_stamp(b, p, ctx)
        } else {
            None
        };
        let Some((stamp, end)) = found else {
            continue;
        };
        let ts = match stamp {
            Stamp::Instant(t) => Some(t),
            Stamp::Civil(c, Some(off)) => c.assume_utc().map(|t| Timestamp {
                secs: t.secs - i64::from(off),
                nanos: t.nanos,
            }),
            Stamp::Civil(c, None) => ctx.zone.to_utc(&c),
        };
        if let Some(ts) = ts {
            return Some((ts, p, end));
        }
    }
    None
}

/// Stamps that start with a digit.
fn numeric_stamp(b: &[u8], p: usize, at_start: bool) -> Option<(Stamp, usize)> {
    let s = b.get(p..)?;
    if let Some((civil, n)) = parse_iso_civil(s) {
        return Some(with_zone(civil, b, p + n));
    }
    // yyyy/mm/dd HH:MM:SS
    if let Some((y, 4)) = digits(s, 0, 4)
        && s.get(4) == Some(&b'/')
        && s.get(7) == Some(&b'/')
        && matches!(s.get(10), Some(b' ' | b'T' | b'-' | b':'))
    {
        let (h, mi, sec, nanos, n) = hms(s, 11)?;
        let civil = civil(y, two_digits(s, 5)?, two_digits(s, 8)?, h, mi, sec, nanos)?;
        return Some(with_zone(civil, b, p + 11 + n));
    }
    if let Some(found) = day_first_or_us(b, p) {
        return Some(found);
    }
    if at_start {
        return epoch(s).map(|(ts, n)| (Stamp::Instant(ts), p + n));
    }
    None
}

/// `m/d/yyyy`, `d/m/yyyy`, `d.m.yyyy`, `d-m-yyyy` with a space and a time
/// (optionally AM/PM); `dd/Mon/yyyy:HH:MM:SS`, `dd-Mon-yyyy HH:MM:SS`,
/// `dd Mon yyyy HH:MM:SS`.
fn day_first_or_us(b: &[u8], p: usize) -> Option<(Stamp, usize)> {
    let s = b.get(p..)?;
    let (a, n1) = digits(s, 0, 2)?;
    let sep = *s.get(n1)?;
    if !matches!(sep, b'/' | b'.' | b'-' | b' ') {
        return None;
    }
    let mut i = n1 + 1;
    let (month, day, named) = if let Some(m) = s.get(i..i + 3).and_then(month_from_abbrev) {
        // Only the three-letter form: `Jan`, not `January`.
        if s.get(i + 3).is_some_and(u8::is_ascii_alphabetic) {
            return None;
        }
        i += 3;
        (m as u32, a, true)
    } else {
        if sep == b' ' {
            return None;
        }
        let (c, n2) = digits(s, i, 2)?;
        i += n2;
        let us = sep == b'/' && !(a > 12 && c <= 12);
        if us { (a, c, false) } else { (c, a, false) }
    };
    if s.get(i) != Some(&sep) {
        return None;
    }
    let (year, 4) = digits(s, i + 1, 4)? else {
        return None;
    };
    i += 5;
    match s.get(i) {
        Some(b' ') => {}
        Some(b':') if named => {}
        _ => return None,
    }
    let (mut h, mi, sec, nanos, n) = hms(s, i + 1)?;
    i += 1 + n;
    if !named
        && s.get(i) == Some(&b' ')
        && let Some(ap) = s.get(i + 1..i + 3)
        && !s.get(i + 3).is_some_and(u8::is_ascii_alphanumeric)
    {
        let pm = ap.eq_ignore_ascii_case(b"PM");
        if pm || ap.eq_ignore_ascii_case(b"AM") {
            if h == 0 || h > 12 {
                return None;
            }
            h = h % 12 + if pm { 12 } else { 0 };
            i += 3;
        }
    }
    let civil = civil(year, month, day, h, mi, sec, nanos)?;
    Some(with_zone(civil, b, p + i))
}

/// Stamps that start with a letter: BSD, ctime, RFC 2822.
fn named_stamp(b: &[u8], p: usize, ctx: &ParseCtx) -> Option<(Stamp, usize)> {
    let s = b.get(p..)?;
    if let Some((civil, n)) = parse_bsd_stamp(s, ctx) {
        return Some(with_year_and_zone(civil, b, p + n));
    }
    let day = s.get(..3)?;
    const DAYS: [&[u8]; 7] = [b"mon", b"tue", b"wed", b"thu", b"fri", b"sat", b"sun"];
    if !DAYS.iter().any(|d| day.eq_ignore_ascii_case(d)) {
        return None;
    }
    match s.get(3) {
        // ctime: `Mon Jan 15 10:30:45 [ZONE ]2024`
        Some(b' ') => {
            let (civil, n) = parse_bsd_stamp(s.get(4..)?, ctx)?;
            Some(with_year_and_zone(civil, b, p + 4 + n))
        }
        // RFC 2822: `Mon, 15 Jan 2024 10:30:45 +0000`
        Some(b',') if s.get(4) == Some(&b' ') => day_first_or_us(b, p + 5),
        _ => None,
    }
}

/// After a BSD-style stamp: an optional ` ZONE` word and ` yyyy` (ctime),
/// then an optional offset.
fn with_year_and_zone(mut c: CivilDateTime, b: &[u8], mut i: usize) -> (Stamp, usize) {
    let mut offset = None;
    // ` UTC 2024` / ` CET 2024`: a zone name before the year.
    let mut j = i;
    if b.get(j) == Some(&b' ') {
        let w = b.get(j + 1..).unwrap_or(&[]);
        let letters = w.iter().take_while(|c| c.is_ascii_uppercase()).count();
        if (1..=5).contains(&letters) && w.get(letters) == Some(&b' ') {
            let name = &w[..letters];
            if name == b"UTC" || name == b"GMT" || name == b"Z" {
                offset = Some(0);
            }
            j += 1 + letters;
        }
    }
    if b.get(j) == Some(&b' ')
        && let Some((y, 4)) = digits(b, j + 1, 4)
        && !b.get(j + 5).is_some_and(u8::is_ascii_alphanumeric)
    {
        let with_year = CivilDateTime {
            year: y as i32,
            ..c
        };
        if with_year.is_valid() {
            c = with_year;
            i = j + 5;
            if offset.is_some() {
                return (Stamp::Civil(c, offset), i);
            }
        }
    }
    let (stamp, end) = with_zone(c, b, i);
    (stamp, end)
}

/// Reads an optional zone after a stamp ending at `i`.
fn with_zone(c: CivilDateTime, b: &[u8], i: usize) -> (Stamp, usize) {
    let (offset, n) = zone_suffix(b, i);
    (Stamp::Civil(c, offset), i + n)
}

/// `Z`, `+01:00`, `+0100`, ` +0100`, ` UTC`, ` GMT` at `b[i]`.
fn zone_suffix(b: &[u8], i: usize) -> (Option<i32>, usize) {
    let boundary = |j: usize| !b.get(j).is_some_and(u8::is_ascii_alphanumeric);
    match b.get(i) {
        Some(b'Z' | b'z') if boundary(i + 1) => (Some(0), 1),
        Some(b'+' | b'-') => offset(b, i).map_or((None, 0), |(o, n)| (Some(o), n)),
        Some(b' ') => {
            let w = b.get(i + 1..i + 4);
            if (w == Some(b"UTC") || w == Some(b"GMT")) && boundary(i + 4) {
                (Some(0), 4)
            } else if matches!(b.get(i + 1), Some(b'+' | b'-')) {
                offset(b, i + 1).map_or((None, 0), |(o, n)| (Some(o), n + 1))
            } else {
                (None, 0)
            }
        }
        _ => (None, 0),
    }
}

/// `+hh`, `+hhmm` or `+hh:mm` at `b[i]`: (seconds east of UTC, bytes).
fn offset(b: &[u8], i: usize) -> Option<(i32, usize)> {
    let sign = if *b.get(i)? == b'-' { -1 } else { 1 };
    let h = two_digits(b, i + 1)?;
    let (m, n) = if b.get(i + 3) == Some(&b':') {
        (two_digits(b, i + 4)?, 6)
    } else if let Some(m) = two_digits(b, i + 3) {
        (m, 5)
    } else {
        (0, 3)
    };
    if h > 23 || m > 59 || b.get(i + n).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some((sign * (h * 3600 + m * 60) as i32, n))
}

/// `H:MM:SS[.frac]` with a one- or two-digit hour.
fn hms(s: &[u8], i: usize) -> Option<(u32, u32, u32, u32, usize)> {
    let (h, n) = digits(s, i, 2)?;
    let mut j = i + n;
    if s.get(j) != Some(&b':') {
        return None;
    }
    let m = two_digits(s, j + 1)?;
    if s.get(j + 3) != Some(&b':') {
        return None;
    }
    let sec = two_digits(s, j + 4)?;
    j += 6;
    let mut nanos = 0;
    if matches!(s.get(j), Some(b'.' | b',')) && s.get(j + 1).is_some_and(u8::is_ascii_digit) {
        let mut scale = 100_000_000u32;
        j += 1;
        while let Some(c) = s.get(j).filter(|c| c.is_ascii_digit()) {
            nanos += u32::from(c - b'0') * scale;
            scale /= 10;
            j += 1;
        }
    }
    Some((h, m, sec, nanos, j - i))
}

fn civil(
    year: u32,
    month: u32,
    day: u32,
    h: u32,
    mi: u32,
    sec: u32,
    nanos: u32,
) -> Option<CivilDateTime> {
    let c = CivilDateTime {
        year: year as i32,
        month: u8::try_from(month).ok()?,
        day: u8::try_from(day).ok()?,
        hour: u8::try_from(h).ok()?,
        minute: u8::try_from(mi).ok()?,
        second: u8::try_from(sec).ok()?,
        nanos,
    };
    c.is_valid().then_some(c)
}

/// Epoch seconds (10 digits, optional fraction) or milliseconds (13
/// digits) followed by a non-alphanumeric byte.
fn epoch(s: &[u8]) -> Option<(Timestamp, usize)> {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut value: i64 = 0;
    for &c in s.get(..n)? {
        value = value.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
    }
    let (mut ts, mut used) = match n {
        10 => (Timestamp::from_secs(value), 10),
        13 => (Timestamp::from_millis(value), 13),
        _ => return None,
    };
    if n == 10 && s.get(10) == Some(&b'.') {
        let f = s
            .get(11..)
            .unwrap_or(&[])
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if (1..=9).contains(&f) {
            let (v, _) = digits(s, 11, f)?;
            ts.nanos = v * 10u32.pow(9 - f as u32);
            used = 11 + f;
        }
    }
    if s.get(used)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.')
    {
        return None;
    }
    Some((ts, used))
}

// ---------------------------------------------------------------------------
// Program tag and level

struct Tag<'a> {
    host: Option<&'a str>,
    program: &'a str,
    pid: Option<u32>,
    rest: &'a str,
}

/// `prog[pid]: rest`, `prog: rest` or `host prog[pid]: rest` at the start
/// of the message.
fn program_tag(msg: &str) -> Option<Tag<'_>> {
    if let Some((program, pid, rest)) = tag_word(msg) {
        return Some(Tag {
            host: None,
            program,
            pid,
            rest,
        });
    }
    let (host, after) = msg.split_once(' ')?;
    let host_ok = !host.is_empty()
        && host.len() <= 64
        && host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'))
        && level_word(host).is_none();
    if !host_ok {
        return None;
    }
    let (program, pid, rest) = tag_word(after)?;
    Some(Tag {
        host: Some(host),
        program,
        pid,
        rest,
    })
}

fn tag_word(s: &str) -> Option<(&str, Option<u32>, &str)> {
    let b = s.as_bytes();
    let name_len = b
        .iter()
        .take(65)
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/'))
        .count();
    if name_len == 0 || name_len > 64 {
        return None;
    }
    let name = &s[..name_len];
    if !name.bytes().any(|c| c.is_ascii_alphabetic()) || level_word(name).is_some() {
        return None;
    }
    let mut i = name_len;
    let mut pid = None;
    if b.get(i) == Some(&b'[') {
        let (v, n) = digits(b, i + 1, 9)?;
        if b.get(i + 1 + n) != Some(&b']') {
            return None;
        }
        pid = Some(v);
        i += n + 2;
    }
    // `prog[pid]: msg`, `prog: msg`, or `prog[pid] msg` (ProFTPD's own log).
    if b.get(i) == Some(&b':') && matches!(b.get(i + 1), None | Some(b' ')) {
        let rest = s.get(i + 1..)?.trim_start_matches(' ');
        return Some((name, pid, rest));
    }
    if pid.is_some() && b.get(i) == Some(&b' ') {
        let rest = s.get(i..)?.trim_start_matches(' ');
        return Some((name, pid, rest));
    }
    None
}

const LEVELS: [&str; 15] = [
    "trace",
    "debug",
    "info",
    "information",
    "notice",
    "warn",
    "warning",
    "error",
    "err",
    "crit",
    "critical",
    "alert",
    "emerg",
    "fatal",
    "severe",
];

/// The level named by `w` (wrappers like `[..]`, `<..>`, `:` dropped).
fn level_word(w: &str) -> Option<&str> {
    let t = w.trim_matches(['[', ']', '(', ')', '<', '>', ':', ',']);
    LEVELS
        .iter()
        .any(|l| l.eq_ignore_ascii_case(t))
        .then_some(t)
}

/// A level word among the words before the stamp or the first three of
/// the message.
fn find_level<'a>(before: &'a str, msg: &'a str) -> Option<&'a str> {
    before
        .split_ascii_whitespace()
        .take(3)
        .chain(msg.split_ascii_whitespace().take(3))
        .find_map(level_word)
}

// ---------------------------------------------------------------------------
// Addresses and users

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Source,
    Destination,
    Other,
}

fn role_of(keyword: &str) -> Role {
    const SRC: [&str; 22] = [
        "from",
        "client",
        "src",
        "source",
        "rhost",
        "ip",
        "remote",
        "remote_addr",
        "remote_ip",
        "remoteip",
        "client_ip",
        "clientip",
        "client_addr",
        "src_ip",
        "source_ip",
        "srcip",
        "addr",
        "address",
        "peer",
        "remote_host",
        "c-ip",
        "host",
    ];
    const DST: [&str; 8] = [
        "to",
        "dst",
        "dest",
        "destination",
        "dst_ip",
        "dest_ip",
        "dstip",
        "server_ip",
    ];
    if SRC.iter().any(|k| k.eq_ignore_ascii_case(keyword)) {
        Role::Source
    } else if DST.iter().any(|k| k.eq_ignore_ascii_case(keyword)) {
        Role::Destination
    } else {
        Role::Other
    }
}

const USER_KEYS: [&str; 10] = [
    "user",
    "username",
    "user_name",
    "login",
    "account",
    "acct",
    "usr",
    "uname",
    "logname",
    "userid",
];

const NOT_USERS: [&str; 27] = [
    "invalid", "illegal", "unknown", "user", "from", "for", "the", "a", "an", "to", "is", "was",
    "with", "on", "by", "at", "in", "of", "via", "and", "or", "not", "no", "name", "password",
    "failed", "session",
];

/// Follows a `for X` candidate: accepted only before these words
/// (`Accepted password for alice from ...`, not `waiting for connection`).
const AFTER_FOR: [&str; 2] = ["from", "via"];

/// A user name candidate cleaned of quotes and punctuation, or None.
fn user_value(w: &str) -> Option<&str> {
    let t = w
        .trim_start_matches(['"', '\'', '<', '(', '[', '`'])
        .trim_end_matches(['"', '\'', '>', ')', ']', ',', ';', ':', '.', '`']);
    let ok = !t.is_empty()
        && t.len() <= 64
        && !t.contains(['=', '/', '(', ')', '"'])
        && !NOT_USERS.iter().any(|s| s.eq_ignore_ascii_case(t))
        && t != "-"
        && parse_ip(t).is_none();
    ok.then_some(t)
}

/// An address in a word: `1.2.3.4`, `1.2.3.4:22`, `[2001:db8::1]:22`,
/// `1.2.3.4/22`, `outside:1.2.3.4/22`, `unknown[1.2.3.4]`, with quotes and
/// punctuation around. Returns the address and a port when it had one.
fn address(word: &str) -> Option<(IpAddr, Option<u16>)> {
    let w = word.trim_matches(['"', '\'', '(', ')', '<', '>', ',', ';', '{', '}']);
    let wb = w.as_bytes();
    if wb.len() < 3 || wb.len() > 64 {
        return None;
    }
    let colons = wb.iter().filter(|&&c| c == b':').count();
    let has_v4_shape = wb.contains(&b'.') && wb.iter().any(u8::is_ascii_digit);
    if !has_v4_shape && colons < 2 {
        return None;
    }
    let port_of = |s: &str| s.parse::<u16>().ok().filter(|&p| p != 0);
    // `[v6]:port`, `name[1.2.3.4]`
    if let Some(open) = w.find('[') {
        let inner_end = w[open..].find(']').map(|e| open + e)?;
        let ip = parse_ip(&w[open + 1..inner_end])?;
        let port = w[inner_end + 1..].strip_prefix(':').and_then(port_of);
        return Some((ip, port));
    }
    let (addr, port) = match w.split_once('/') {
        Some((a, p)) => (a, port_of(p)),
        None => (w, None),
    };
    if let Some(ip) = parse_ip(addr) {
        // IPv4 with `:port`.
        let port = port.or_else(|| match ip {
            IpAddr::V4(_) => addr.rsplit_once(':').and_then(|(_, p)| port_of(p)),
            IpAddr::V6(_) => None,
        });
        return Some((ip, port));
    }
    // `iface:1.2.3.4`
    let (_, rest) = addr.split_once(':')?;
    parse_ip(rest).map(|ip| (ip, port))
}

/// Keeps `v` as the user when it is a plausible name and beats the
/// current candidate's priority (lower is better).
fn offer_user<'a>(user: &mut Option<(u8, &'a str)>, prio: u8, v: &'a str) {
    if let Some(v) = user_value(v)
        && user.is_none_or(|(p, _)| prio < p)
    {
        *user = Some((prio, v));
    }
}

/// Fills source/destination address and port and the user from the words
/// of `text`, without overwriting what a program parser already set.
fn scan_words<'a>(ev: &mut Event<'a>, text: &'a str) {
    let mut src: Option<(IpAddr, Option<u16>)> = None;
    let mut first: Option<(IpAddr, Option<u16>)> = None;
    let mut dst: Option<(IpAddr, Option<u16>)> = None;
    // Which slot the last address went into, for a following `port N`.
    let mut last_role: Option<Role> = None;
    let mut src_port_kw: Option<u16> = None;
    let mut dst_port_kw: Option<u16> = None;
    let mut user: Option<(u8, &'a str)> = None;
    let mut pending_for: Option<&'a str> = None;
    let mut prev = "";

    for word in text.split_ascii_whitespace() {
        if let Some(cand) = pending_for.take()
            && AFTER_FOR.iter().any(|k| k.eq_ignore_ascii_case(word))
        {
            offer_user(&mut user, 2, cand);
        }
        let (key, value) = match word.split_once('=') {
            Some((k, v)) if !k.is_empty() => (Some(k.trim_start_matches(['[', '(', '{', '"'])), v),
            _ => (None, word),
        };
        let keyword = key.unwrap_or_else(|| {
            prev.trim_start_matches(['[', '(', '{', '"'])
                .trim_end_matches([':', ','])
        });

        if let Some(k) = key {
            if USER_KEYS.iter().any(|u| u.eq_ignore_ascii_case(k)) {
                offer_user(&mut user, 0, value);
            } else if [
                "sport",
                "spt",
                "src_port",
                "source_port",
                "srcport",
                "client_port",
                "remote_port",
            ]
            .iter()
            .any(|p| p.eq_ignore_ascii_case(k))
            {
                src_port_kw = src_port_kw.or(value.trim_end_matches([',', ';']).parse().ok());
            } else if ["dport", "dpt", "dst_port", "dest_port", "dstport"]
                .iter()
                .any(|p| p.eq_ignore_ascii_case(k))
            {
                dst_port_kw = dst_port_kw.or(value.trim_end_matches([',', ';']).parse().ok());
            }
        } else if USER_KEYS.iter().any(|u| u.eq_ignore_ascii_case(keyword)) {
            offer_user(&mut user, 1, value);
        } else if keyword.eq_ignore_ascii_case("for") {
            pending_for = Some(value);
        } else if keyword.eq_ignore_ascii_case("port")
            && let Ok(p) = value
                .trim_end_matches([',', ';', ':', ')', ']'])
                .parse::<u16>()
        {
            let slot = match last_role {
                Some(Role::Source) => src.as_mut(),
                Some(Role::Destination) => dst.as_mut(),
                Some(Role::Other) => first.as_mut(),
                None => None,
            };
            if let Some(e) = slot
                && e.1.is_none()
            {
                e.1 = Some(p);
            }
        }

        if let Some(found) = address(value) {
            let role = role_of(keyword);
            let slot = match role {
                Role::Source => &mut src,
                Role::Destination => &mut dst,
                Role::Other => &mut first,
            };
            last_role = if slot.is_none() {
                *slot = Some(found);
                Some(role)
            } else {
                None
            };
        }
        prev = word;
    }

    if ev.source_ip.is_none()
        && ev.source_domain.is_none()
        && let Some((ip, port)) = src.or(first)
    {
        ev.source_ip = Some(ip);
        if ev.source_port.is_none() {
            ev.source_port = port.or(src_port_kw);
        }
    }
    if ev.destination_ip.is_none()
        && let Some((ip, port)) = dst
    {
        ev.destination_ip = Some(ip);
        if ev.destination_port.is_none() {
            ev.destination_port = port.or(dst_port_kw);
        }
    }
    if ev.user_name.is_none()
        && let Some((_, u)) = user
    {
        ev.user_name = Some(Cow::Borrowed(u));
    }
}

// ---------------------------------------------------------------------------
// Keywords

const AUTH: u8 = 1;
const FAIL: u8 = 2;
const SUCCESS: u8 = 4;
const THREAT: u8 = 8;
const MALWARE: u8 = 16;

/// Keyword patterns (matched case-insensitively at a word start, longest
/// first) and what each says.
const KEYWORDS: &[(&str, u8)] = &[
    ("login", AUTH),
    ("logon", AUTH),
    ("log in", AUTH),
    ("log on", AUTH),
    ("logged in", AUTH | SUCCESS),
    ("logged on", AUTH | SUCCESS),
    ("auth", AUTH),
    ("authenticated", AUTH | SUCCESS),
    ("unauthenticated", AUTH | FAIL),
    ("unauthorized", AUTH | FAIL),
    ("unauthorised", AUTH | FAIL),
    ("password", AUTH),
    ("passwd", AUTH),
    ("credential", AUTH),
    ("sign in", AUTH),
    ("signin", AUTH),
    ("sign-in", AUTH),
    ("sign on", AUTH),
    ("publickey", AUTH),
    ("kerberos", AUTH),
    ("ntlm", AUTH),
    ("invalid user", AUTH | FAIL),
    ("illegal user", AUTH | FAIL),
    ("bad password", AUTH | FAIL),
    ("fail", FAIL),
    ("invalid", FAIL),
    ("denied", FAIL),
    ("refused", FAIL),
    ("reject", FAIL),
    ("forbidden", FAIL),
    ("incorrect", FAIL),
    ("wrong", FAIL),
    ("mismatch", FAIL),
    ("locked out", FAIL),
    ("not allowed", FAIL),
    ("unsuccessful", FAIL),
    ("blocked", FAIL),
    ("disallowed", FAIL),
    ("accepted", SUCCESS),
    ("success", SUCCESS),
    ("succeeded", SUCCESS),
    ("granted", SUCCESS),
    ("attack", THREAT),
    ("exploit", THREAT),
    ("intrusion", THREAT),
    ("brute force", THREAT),
    ("bruteforce", THREAT),
    ("brute-force", THREAT),
    ("injection", THREAT),
    ("shellcode", THREAT),
    ("port scan", THREAT),
    ("malware", THREAT | MALWARE),
    ("virus", THREAT | MALWARE),
    ("trojan", THREAT | MALWARE),
    ("ransomware", THREAT | MALWARE),
    ("backdoor", THREAT | MALWARE),
    ("rootkit", THREAT | MALWARE),
];

static KEYWORD_AC: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(KEYWORDS.iter().map(|(k, _)| k))
        .ok()
});

/// What security keywords in a text say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    pub category: Option<Category>,
    pub outcome: Option<Outcome>,
    /// Authentication words were present (with or without an outcome).
    pub authentication: bool,
}

/// Reads security keywords in `text` (the first 16 KiB): authentication
/// words with failure/success words give category and outcome (the
/// earlier of the two wins), attack words a category, a lone failure or
/// success word just the outcome.
pub fn classify(text: &str) -> Facts {
    let Some(ac) = KEYWORD_AC.as_ref() else {
        return Facts::default();
    };
    let hay = prefix(text, MAX_SCAN).as_bytes();
    let mut bits = 0u8;
    let mut first_fail = usize::MAX;
    let mut first_success = usize::MAX;
    for m in ac.find_iter(hay) {
        if m.start() > 0
            && hay
                .get(m.start() - 1)
                .is_some_and(u8::is_ascii_alphanumeric)
        {
            continue;
        }
        let Some(&(_, b)) = KEYWORDS.get(m.pattern().as_usize()) else {
            continue;
        };
        bits |= b;
        if b & FAIL != 0 {
            first_fail = first_fail.min(m.start());
        }
        if b & SUCCESS != 0 {
            first_success = first_success.min(m.start());
        }
    }
    let outcome = match (bits & FAIL != 0, bits & SUCCESS != 0) {
        (true, true) if first_success < first_fail => Some(Outcome::Success),
        (true, _) => Some(Outcome::Failure),
        (false, true) => Some(Outcome::Success),
        (false, false) => None,
    };
    let category = if bits & AUTH != 0 && outcome.is_some() {
        Some(Category::Authentication)
    } else if bits & MALWARE != 0 {
        Some(Category::Malware)
    } else if bits & THREAT != 0 {
        Some(Category::IntrusionDetection)
    } else {
        None
    };
    Facts {
        category,
        outcome,
        authentication: bits & AUTH != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Zone;

    fn ctx() -> ParseCtx {
        ParseCtx::utc(Timestamp::from_secs(1_705_400_000))
    }

    fn secs(line: &str) -> Option<i64> {
        let ev = parse(line, &ctx());
        (ev.timestamp != Timestamp::default()).then_some(ev.timestamp.secs)
    }

    fn ip(ev: &Event<'_>) -> Option<String> {
        ev.source_ip.map(|i| i.to_string())
    }

    #[test]
    fn example_line() {
        let ev = parse(Format::Heuristic.example(), &ctx());
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(
            ev.message.as_deref(),
            Some("myapp: authentication failed for user bob from 203.0.113.7")
        );
        assert_eq!(ev.process_name.as_deref(), Some("myapp"));
        assert_eq!(ev.category, Some(Category::Authentication));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.user_name.as_deref(), Some("bob"));
        assert_eq!(ip(&ev).as_deref(), Some("203.0.113.7"));
    }

    #[test]
    fn timestamp_forms() {
        const T: i64 = 1_705_314_645;
        for (line, want) in [
            ("2024-01-15T10:30:45Z x", T),
            ("2024-01-15T11:30:45+01:00 x", T),
            ("2024-01-15 10:30:45,123 INFO x", T),
            ("2024-01-15 05:30:45 -0500 x", T),
            ("2024-01-15 10:30:45 UTC x", T),
            ("[2024-01-15 10:30:45] x", T),
            ("2024/01/15 10:30:45 x", T),
            ("01/15/2024 10:30:45 AM x", T),
            ("1/15/2024 10:30:45 PM x", T + 12 * 3600),
            ("15/01/2024 10:30:45 x", T),
            ("15.01.2024 10:30:45 x", T),
            ("[15/Jan/2024:11:30:45 +0100] x", T),
            ("15-Jan-2024 10:30:45.123 SEVERE x", T),
            ("Mon, 15 Jan 2024 10:30:45 +0000 x", T),
            ("Jan 15 10:30:45 host x", T),
            ("Jan 15 2024 10:30:45 host x", T),
            ("[Mon Jan 15 10:30:45 2024] x", T),
            ("Mon Jan 15 10:30:45 UTC 2024 x", T),
            ("1705314645 x", T),
            ("1705314645.250 x", T),
            ("[1705314645123] x", T),
            ("INFO [main] 2024-01-15 10:30:45 x", T),
            ("myapp 2024-01-15T10:30:45Z x", T),
        ] {
            assert_eq!(secs(line), Some(want), "{line}");
        }
        let ev = parse("1705314645.250 x", &ctx());
        assert_eq!(ev.timestamp.nanos, 250_000_000);
        assert_eq!(ev.message.as_deref(), Some("x"));
        // Local zone for stamps without an offset.
        let c = ParseCtx::new(Zone::fixed(3600), Timestamp::from_secs(1_705_400_000));
        assert_eq!(parse("2024-01-15 11:30:45 x", &c).timestamp.secs, T);
        assert_eq!(parse("2024-01-15 10:30:45Z x", &c).timestamp.secs, T);
    }

    #[test]
    fn no_timestamp() {
        for line in [
            "hello world",
            "version 1.2.3 started",
            "12345 items processed",
            "1705314645x",
            "2024-13-45 10:30:45 x",
            "99/99/2024 10:30:45 x",
            "a much longer line where a date appears only far away from the start: 2024-01-15 10:30:45",
        ] {
            assert_eq!(secs(line), None, "{line}");
        }
        let ev = parse("  hello  ", &ctx());
        assert_eq!(ev.message.as_deref(), Some("hello"));
    }

    #[test]
    fn addresses_and_users() {
        let c = ctx();
        let ev = parse(
            "2024-01-15 10:30:45 connect to 10.0.0.5 from client 203.0.113.7 port 50000 for user 'carol'",
            &c,
        );
        assert_eq!(ip(&ev).as_deref(), Some("203.0.113.7"));
        assert_eq!(ev.source_port, Some(50000));
        assert_eq!(
            ev.destination_ip.map(|i| i.to_string()).as_deref(),
            Some("10.0.0.5")
        );
        assert_eq!(ev.user_name.as_deref(), Some("carol"));

        let ev = parse(
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.4  user=root",
            &c,
        );
        assert_eq!(ip(&ev).as_deref(), Some("198.51.100.4"));
        assert_eq!(ev.user_name.as_deref(), Some("root"));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.category, Some(Category::Authentication));

        let ev = parse(
            "Failed password for invalid user admin from [2001:db8::7]:2222 ssh2",
            &c,
        );
        assert_eq!(ev.user_name.as_deref(), Some("admin"));
        assert_eq!(ip(&ev).as_deref(), Some("2001:db8::7"));
        assert_eq!(ev.source_port, Some(2222));

        let ev = parse(
            "Accepted publickey for alice from 192.0.2.10 port 50123 ssh2",
            &c,
        );
        assert_eq!(ev.user_name.as_deref(), Some("alice"));
        assert_eq!(ev.outcome, Some(Outcome::Success));
        assert_eq!(ev.category, Some(Category::Authentication));

        let ev = parse("waiting for connection on 0.0.0.0:8080", &c);
        assert_eq!(ev.user_name, None);
        assert_eq!(ip(&ev).as_deref(), Some("0.0.0.0"));
        assert_eq!(ev.source_port, Some(8080));

        let ev = parse(
            "postfix: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
            &c,
        );
        assert_eq!(ip(&ev).as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.outcome, Some(Outcome::Failure));

        let ev = parse(
            "CEF-ish src=203.0.113.7 spt=4444 dst=10.0.0.5 dpt=445 act=blocked",
            &c,
        );
        assert_eq!(ev.source_port, Some(4444));
        assert_eq!(ev.destination_port, Some(445));
    }

    #[test]
    fn levels_tags_and_threats() {
        let c = ctx();
        let ev = parse("2024-01-15 10:30:45 [ERROR] db: connection refused", &c);
        assert_eq!(ev.log_level.as_deref(), Some("ERROR"));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.category, None);
        let ev = parse("2024-01-15 10:30:45 web1 nginx[99]: started", &c);
        assert_eq!(ev.host_name.as_deref(), Some("web1"));
        assert_eq!(ev.process_name.as_deref(), Some("nginx"));
        assert_eq!(ev.process_pid, Some(99));
        let ev = parse("2024-01-15 10:30:45 GET http://example.com/ 200", &c);
        assert_eq!(ev.process_name, None);
        let ev = parse("ALERT possible SQL injection attack from 203.0.113.7", &c);
        assert_eq!(ev.category, Some(Category::IntrusionDetection));
        let ev = parse("clamd: /tmp/x.exe: Win.Trojan.Agent FOUND", &c);
        assert_eq!(ev.category, Some(Category::Malware));
        // `preauth` is not `auth`; `unsuccessful` is a failure.
        assert_eq!(
            classify("Connection closed by 1.2.3.4 port 22 [preauth]"),
            Facts::default()
        );
        assert_eq!(
            classify("login unsuccessful").outcome,
            Some(Outcome::Failure)
        );
        assert_eq!(
            classify("LOGIN SUCCEEDED after 2 failures").outcome,
            Some(Outcome::Success)
        );
    }

    #[test]
    fn junk_is_cheap_and_safe() {
        let c = ctx();
        let nul = "\0".repeat(70_000);
        let spaces = " ".repeat(70_000);
        let big = "a1.2.3.4: user= for ".repeat(4000);
        let garbage: String = (0..5000u32)
            .filter_map(|i| char::from_u32((i * 7919) % 0x2FFFF))
            .collect();
        for line in [
            "",
            " ",
            "\0",
            "\u{fffd}\u{fffd}",
            nul.as_str(),
            spaces.as_str(),
            big.as_str(),
            garbage.as_str(),
            "[",
            "2024-",
            "2024-01-15T",
            "Jan",
            "Mon ",
            "Mon, ",
            "15/Jan/",
            "1/1/",
            "user",
            "for",
            "port 1",
            "from [",
            "from [::",
            "x=[1.2.3.4",
            "é2024-01-15 10:30:45",
            "2024-01-15 10:30:45 \u{1F600}: é",
        ] {
            let ev = parse(line, &c);
            assert_eq!(ev.format, Format::Heuristic);
        }
        assert_eq!(parse(&nul, &c).timestamp, Timestamp::default());
    }
}
