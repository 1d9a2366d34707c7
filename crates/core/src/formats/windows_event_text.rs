//! Windows event log text exports, one event per line, in two layouts:
//!
//! - space-separated, as scripts write them from `Get-EventLog`/`wevtutil`:
//!   `01/15/2024 10:30:45 AM Information Microsoft-Windows-Security-Auditing
//!   4625 Logon N/A An account failed to log on. ...`
//!   (`Date Time [AM|PM] Level Source EventID Category User Message`; level
//!   and source may be several words, the user column `N/A` or
//!   `DOMAIN\user`, the category `None`, `(12544)` or words);
//! - Event Viewer's "Save as text" (tab-separated):
//!   `Audit Failure<TAB>1/15/2024 10:30:45 AM<TAB>Source<TAB>4625<TAB>Logon<TAB>Message`.
//!
//! Dates are `M/D/YYYY` (`D/M/YYYY` when the first part cannot be a month),
//! `D.M.YYYY` or `YYYY-MM-DD`; times 12-hour with AM/PM or 24-hour; all in
//! the configured local zone. Maps `log.level`, `event.provider` (source),
//! `event.code` (event id) and `message`; for the security events that
//! matter to detection (logons, account and group changes, Kerberos/NTLM,
//! log clearing, service installs) the flattened message's `Label: value`
//! pairs give `user.name`, `user.target.name`, `group.name`, `source.ip`,
//! `source.port`, `event.reason` and the ECS category/action/outcome.

use std::borrow::Cow;

use crate::event::{Category, Event, Outcome};
use crate::format::{Format, ParseCtx};
use crate::time::{CivilDateTime, digits, two_digits};

pub fn parse<'a>(line: &'a str, ctx: &ParseCtx) -> Option<Event<'a>> {
    let b = line.as_bytes();
    let first = *b.first()?;
    if first.is_ascii_digit() {
        parse_spaced(line, ctx)
    } else if first.is_ascii_alphabetic() {
        parse_tabbed(line, ctx)
    } else {
        None
    }
}

/// `Date Time [AM|PM] Level Source EventID Category User Message`.
fn parse_spaced<'a>(line: &'a str, ctx: &ParseCtx) -> Option<Event<'a>> {
    let (civil, mut i) = parse_datetime(line.as_bytes())?;
    let rest = line.get(i..)?.strip_prefix(' ')?;
    i = line.len() - rest.len();
    let (level, used) = parse_level(rest)?;
    i += used;
    let mut words = Words { s: line, i };

    // Source: the words before the first all-digit word (the event id).
    let (src_start, mut src_end) = (words.peek_start()?, 0);
    let mut id = None;
    for _ in 0..10 {
        let (s, e) = words.next()?;
        let w = &line[s..e];
        if is_event_id(w) {
            id = Some(w);
            break;
        }
        src_end = e;
    }
    let id = id?;
    if src_end == 0 {
        return None;
    }
    let source = line.get(src_start..src_end)?;

    // Category (one or more words) and the user column, then the message.
    let mut user = None;
    let msg_start;
    let (cs, ce) = words.next().unwrap_or((line.len(), line.len()));
    let first_cat = &line[cs..ce];
    if first_cat.is_empty() {
        msg_start = line.len();
    } else if first_cat == "None" || (first_cat.starts_with('(') && first_cat.ends_with(')')) {
        // One-word category; the next word may be the user.
        let save = words.i;
        match user_column(&mut words, line) {
            Some(u) => user = u,
            None => words.i = save,
        }
        msg_start = words.peek_start().unwrap_or(line.len());
    } else {
        // Look a few words ahead for the user column; without one the
        // category is the first word.
        let save = words.i;
        let mut found = false;
        for _ in 0..4 {
            let before = words.i;
            if let Some(u) = user_column(&mut words, line) {
                user = u;
                found = true;
                break;
            }
            words.i = before;
            if words.next().is_none() {
                break;
            }
        }
        if !found {
            words.i = save;
        }
        msg_start = words.peek_start().unwrap_or(line.len());
    }
    let message = line.get(msg_start..)?;
    build(line, ctx, civil, level, source, id, user, message)
}

/// `Level<TAB>Date Time<TAB>Source<TAB>EventID<TAB>Category<TAB>Message`.
fn parse_tabbed<'a>(line: &'a str, ctx: &ParseCtx) -> Option<Event<'a>> {
    let tab = memchr::memchr(b'\t', line.as_bytes().get(..16.min(line.len()))?)?;
    let level_field = line.get(..tab)?;
    let (level, used) = parse_level(level_field)?;
    if used != level_field.len() {
        return None;
    }
    let mut fields = line.get(tab + 1..)?.splitn(5, '\t');
    let when = fields.next()?;
    let (civil, used) = parse_datetime(when.as_bytes())?;
    if used != when.trim_end().len() {
        return None;
    }
    let source = fields.next()?.trim();
    let id = fields.next()?.trim();
    if source.is_empty() || !is_event_id(id) {
        return None;
    }
    let _category = fields.next();
    let message = fields.next().unwrap_or("").trim();
    let message = message
        .strip_prefix('"')
        .map(|m| m.strip_suffix('"').unwrap_or(m))
        .unwrap_or(message);
    build(line, ctx, civil, level, source, id, None, message)
}

#[allow(clippy::too_many_arguments)]
fn build<'a>(
    line: &'a str,
    ctx: &ParseCtx,
    civil: CivilDateTime,
    level: &'a str,
    source: &'a str,
    id: &'a str,
    user: Option<&'a str>,
    message: &'a str,
) -> Option<Event<'a>> {
    let ts = ctx.zone.to_utc(&civil)?;
    let mut ev = Event::new(Format::WindowsEventText, line, ts);
    ev.log_level = Some(Cow::Borrowed(level));
    ev.provider = Some(Cow::Borrowed(source));
    ev.code = Some(Cow::Borrowed(id));
    ev.message = Some(Cow::Borrowed(message));
    if let Ok(n) = id.parse::<u32>() {
        security_facts(&mut ev, n, source, message);
    }
    if ev.user_name.is_none()
        && let Some(u) = user
    {
        // `DOMAIN\user`: ECS `user.name` is the bare account.
        let name = u.rsplit_once('\\').map_or(u, |(_, n)| n);
        if !name.is_empty() {
            ev.user_name = Some(Cow::Borrowed(name));
        }
    }
    if ev.outcome.is_none() {
        let l = level.as_bytes();
        if contains_ci(l, b"failure") {
            ev.outcome = Some(Outcome::Failure);
        } else if contains_ci(l, b"success") {
            ev.outcome = Some(Outcome::Success);
        }
    }
    Some(ev)
}

/// Word positions over a line, split on spaces.
struct Words<'a> {
    s: &'a str,
    i: usize,
}

impl Words<'_> {
    fn peek_start(&self) -> Option<usize> {
        let b = self.s.as_bytes();
        let mut i = self.i;
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
        (i < b.len()).then_some(i)
    }

    fn next(&mut self) -> Option<(usize, usize)> {
        let start = self.peek_start()?;
        let b = self.s.as_bytes();
        let end = memchr::memchr(b' ', &b[start..]).map_or(b.len(), |e| start + e);
        self.i = end;
        Some((start, end))
    }
}

/// Reads the user column at the words' position: `N/A` (Some(None)),
/// `DOMAIN\user` or `NT AUTHORITY\SYSTEM` (Some(Some(..))). None when the
/// next word is not a user column.
fn user_column<'a>(words: &mut Words<'a>, line: &'a str) -> Option<Option<&'a str>> {
    let (s, e) = words.next()?;
    let w = &line[s..e];
    if w == "N/A" {
        return Some(None);
    }
    if w == "NT" {
        let (s2, e2) = words.next()?;
        if !line[s2..e2].starts_with("AUTHORITY\\") {
            return None;
        }
        // `NT AUTHORITY\LOCAL SERVICE`, `NT AUTHORITY\NETWORK SERVICE`.
        let mut end = e2;
        let save = words.i;
        match words.next() {
            Some((s3, e3)) if &line[s3..e3] == "SERVICE" => end = e3,
            _ => words.i = save,
        }
        return Some(Some(&line[s..end]));
    }
    let (dom, name) = w.split_once('\\')?;
    let ok = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'$'))
    };
    (ok(dom) && ok(name)).then_some(Some(w))
}

fn is_event_id(w: &str) -> bool {
    (1..=10).contains(&w.len()) && w.bytes().all(|c| c.is_ascii_digit())
}

const LEVELS: [&str; 12] = [
    "Information",
    "Warning",
    "Error",
    "Critical",
    "Verbose",
    "Audit Success",
    "Audit Failure",
    "Success Audit",
    "Failure Audit",
    "SuccessAudit",
    "FailureAudit",
    "Informational",
];

/// A level word at the start of `s`, followed by a space or the end.
/// Returns the level and the bytes it used (with the space).
fn parse_level(s: &str) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    // Longest first so that `Informational` wins over `Information`.
    let mut best: Option<usize> = None;
    for l in LEVELS {
        let n = l.len();
        if b.len() >= n
            && b[..n].eq_ignore_ascii_case(l.as_bytes())
            && matches!(b.get(n), None | Some(b' '))
            && best.is_none_or(|m| n > m)
        {
            best = Some(n);
        }
    }
    let n = best?;
    Some((&s[..n], if b.len() > n { n + 1 } else { n }))
}

/// `M/D/YYYY`, `D.M.YYYY` or `YYYY-MM-DD`, a space, `H:MM:SS[.frac]` and
/// an optional ` AM`/` PM`.
fn parse_datetime(b: &[u8]) -> Option<(CivilDateTime, usize)> {
    let (year, month, day, mut i);
    if b.get(4) == Some(&b'-') {
        let (y, n) = digits(b, 0, 4)?;
        if n != 4 || b.get(7) != Some(&b'-') {
            return None;
        }
        (year, month, day, i) = (y, two_digits(b, 5)?, two_digits(b, 8)?, 10);
    } else {
        let (a, n1) = digits(b, 0, 2)?;
        let sep = *b.get(n1)?;
        if sep != b'/' && sep != b'.' {
            return None;
        }
        let (c, n2) = digits(b, n1 + 1, 2)?;
        if b.get(n1 + 1 + n2) != Some(&sep) {
            return None;
        }
        let (y, n3) = digits(b, n1 + n2 + 2, 4)?;
        if n3 != 4 {
            return None;
        }
        i = n1 + n2 + 2 + n3;
        year = y;
        (month, day) = if sep == b'.' || (a > 12 && c <= 12) {
            (c, a)
        } else {
            (a, c)
        };
    }
    if b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    let (mut hour, n) = digits(b, i, 2)?;
    i += n;
    if b.get(i) != Some(&b':') {
        return None;
    }
    let minute = two_digits(b, i + 1)?;
    if b.get(i + 3) != Some(&b':') {
        return None;
    }
    let second = two_digits(b, i + 4)?;
    i += 6;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.')
        && let Some((f, n)) = digits(b, i + 1, 9)
    {
        nanos = f * 10u32.pow(9 - n as u32);
        i += 1 + n;
    }
    if b.get(i) == Some(&b' ')
        && let Some(ap) = b.get(i + 1..i + 3)
        && matches!(b.get(i + 3), None | Some(b' ' | b'\t'))
    {
        let pm = ap.eq_ignore_ascii_case(b"PM");
        if pm || ap.eq_ignore_ascii_case(b"AM") {
            if hour == 0 || hour > 12 {
                return None;
            }
            hour = hour % 12 + if pm { 12 } else { 0 };
            i += 3;
        }
    }
    let civil = CivilDateTime {
        year: year as i32,
        month: month as u8,
        day: day as u8,
        hour: hour.min(255) as u8,
        minute: minute as u8,
        second: second as u8,
        nanos,
    };
    civil.is_valid().then_some((civil, i))
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

// ---------------------------------------------------------------------------
// Security events: facts from the flattened `Label: value` message.

/// ECS category, action and outcome of the Windows events detection relies
/// on, by event id and source (security events only from a security
/// source). Also used for Windows events that arrive as JSON.
pub fn event_facts(id: u32, source: &str) -> Option<(Category, &'static str, Option<Outcome>)> {
    let src = source.as_bytes();
    let from_security = contains_ci(src, b"security");
    if (4000..7000).contains(&id) && !from_security {
        return None;
    }
    Some(match id {
        4624 => (
            Category::Authentication,
            "logged_in",
            Some(Outcome::Success),
        ),
        4625 => (
            Category::Authentication,
            "logon_failed",
            Some(Outcome::Failure),
        ),
        4634 | 4647 => (Category::Session, "logged_out", Some(Outcome::Success)),
        4648 => (
            Category::Authentication,
            "logged_in_explicit",
            Some(Outcome::Success),
        ),
        4672 => (Category::Iam, "logged_in_special", Some(Outcome::Success)),
        4720 => (Category::Iam, "added_user_account", Some(Outcome::Success)),
        4722 => (
            Category::Iam,
            "enabled_user_account",
            Some(Outcome::Success),
        ),
        4723 => (Category::Iam, "changed_password", Some(Outcome::Success)),
        4724 => (Category::Iam, "reset_password", Some(Outcome::Success)),
        4725 => (
            Category::Iam,
            "disabled_user_account",
            Some(Outcome::Success),
        ),
        4726 => (
            Category::Iam,
            "deleted_user_account",
            Some(Outcome::Success),
        ),
        4728 | 4732 | 4756 => (
            Category::Iam,
            "added_member_to_group",
            Some(Outcome::Success),
        ),
        4729 | 4733 | 4757 => (
            Category::Iam,
            "removed_member_from_group",
            Some(Outcome::Success),
        ),
        4740 => (
            Category::Iam,
            "locked_out_user_account",
            Some(Outcome::Success),
        ),
        4768 => (
            Category::Authentication,
            "kerberos_authentication_ticket_requested",
            None,
        ),
        4769 => (
            Category::Authentication,
            "kerberos_service_ticket_requested",
            None,
        ),
        4771 => (
            Category::Authentication,
            "kerberos_preauth_failed",
            Some(Outcome::Failure),
        ),
        4776 => (Category::Authentication, "credential_validated", None),
        4697 => (
            Category::Configuration,
            "service_installed",
            Some(Outcome::Success),
        ),
        1102 if contains_ci(src, b"eventlog") || from_security => (
            Category::Configuration,
            "audit_log_cleared",
            Some(Outcome::Success),
        ),
        7045 if contains_ci(src, b"service control manager") => (
            Category::Configuration,
            "service_installed",
            Some(Outcome::Success),
        ),
        _ => return None,
    })
}

/// Fills ECS facts for the security events detection relies on.
fn security_facts<'a>(ev: &mut Event<'a>, id: u32, source: &str, msg: &'a str) {
    let Some(facts) = event_facts(id, source) else {
        return;
    };
    ev.category = Some(facts.0);
    ev.action = Some(Cow::Borrowed(facts.1));
    ev.outcome = facts.2;

    let subject = || account(msg, None, true);
    match id {
        4624 | 4625 => {
            let section = if id == 4624 {
                "New Logon:"
            } else {
                "Account For Which Logon Failed:"
            };
            ev.user_name = account(msg, Some(section), false).map(Cow::Borrowed);
            set_ip_port(ev, msg, "Source Network Address:", "Source Port:");
            if let Some(t) = label_end(msg, "Logon Type:", 0).and_then(|i| token(msg, i)) {
                ev.extra
                    .push((Cow::Borrowed("winlog.event_data.LogonType"), t.into()));
            }
            if id == 4625 {
                ev.reason = failure_reason(msg);
            }
        }
        4634 | 4647 | 4672 | 1102 | 4697 => {
            ev.user_name = subject().map(Cow::Borrowed);
            if id == 4697 {
                service_facts(ev, msg);
            }
        }
        4648 => {
            ev.user_name = subject().map(Cow::Borrowed);
            ev.user_target_name = account(msg, Some("Account Whose Credentials Were Used:"), false)
                .map(Cow::Borrowed);
            set_ip_port(ev, msg, "Network Address:", "Port:");
        }
        4720 | 4722 | 4723 | 4724 | 4725 | 4726 | 4740 => {
            ev.user_name = subject().map(Cow::Borrowed);
            let section = match id {
                4720 => "New Account:",
                4740 => "Account That Was Locked Out:",
                _ => "Target Account:",
            };
            ev.user_target_name = account(msg, Some(section), false).map(Cow::Borrowed);
        }
        4728 | 4732 | 4756 | 4729 | 4733 | 4757 => {
            ev.user_name = subject().map(Cow::Borrowed);
            let member = label_end(msg, "Member:", 0).unwrap_or(0);
            let name = label_end(msg, "Account Name:", member)
                .and_then(|i| value(msg, i, &["Group:"]))
                .or_else(|| label_end(msg, "Security ID:", member).and_then(|i| token(msg, i)));
            ev.user_target_name = name.map(Cow::Borrowed);
            let group = label_end(msg, "Group:", member).unwrap_or(0);
            ev.group_name = label_end(msg, "Group Name:", group)
                .and_then(|i| value(msg, i, &["Group Domain:"]))
                .map(Cow::Borrowed);
        }
        4768 | 4769 | 4771 => {
            ev.user_name = account(msg, Some("Account Information:"), true).map(Cow::Borrowed);
            set_ip_port(ev, msg, "Client Address:", "Client Port:");
            let code_label = if id == 4768 {
                "Result Code:"
            } else {
                "Failure Code:"
            };
            if let Some(code) = label_end(msg, code_label, 0).and_then(|i| token(msg, i)) {
                if is_zero_code(code) {
                    ev.outcome.get_or_insert(Outcome::Success);
                } else {
                    ev.outcome = Some(Outcome::Failure);
                    ev.reason = Some(Cow::Borrowed(kerberos_reason(code).unwrap_or(code)));
                }
            }
        }
        4776 => {
            ev.user_name = label_end(msg, "Logon Account:", 0)
                .and_then(|i| token(msg, i))
                .map(Cow::Borrowed);
            if let Some(code) = label_end(msg, "Error Code:", 0).and_then(|i| token(msg, i)) {
                if is_zero_code(code) {
                    ev.outcome = Some(Outcome::Success);
                } else {
                    ev.outcome = Some(Outcome::Failure);
                    ev.reason = Some(Cow::Borrowed(ntstatus_reason(code).unwrap_or(code)));
                }
            }
        }
        7045 => service_facts(ev, msg),
        _ => {}
    }
}

fn service_facts<'a>(ev: &mut Event<'a>, msg: &'a str) {
    if let Some(name) =
        label_end(msg, "Service Name:", 0).and_then(|i| value(msg, i, &["Service File Name:"]))
    {
        ev.extra.push((Cow::Borrowed("service.name"), name.into()));
    }
    if let Some(file) =
        label_end(msg, "Service File Name:", 0).and_then(|i| value(msg, i, &["Service Type:"]))
    {
        ev.extra.push((
            Cow::Borrowed("winlog.event_data.ServiceFileName"),
            file.into(),
        ));
    }
}

fn set_ip_port(ev: &mut Event<'_>, msg: &str, ip_label: &str, port_label: &str) {
    if let Some(ip) = label_end(msg, ip_label, 0).and_then(|i| token(msg, i)) {
        ev.source_ip = crate::net::parse_ip(ip);
    }
    if let Some(p) = label_end(msg, port_label, 0).and_then(|i| token(msg, i)) {
        ev.source_port = p.parse::<u16>().ok().filter(|&p| p != 0);
    }
}

/// The `Account Name:` in `section` (the first after its header), or when
/// the section is absent the first (`first`) or last one in the message.
fn account<'a>(msg: &'a str, section: Option<&str>, first: bool) -> Option<&'a str> {
    const LABEL: &str = "Account Name:";
    let at = match section.and_then(|s| label_end(msg, s, 0)) {
        Some(from) => label_end(msg, LABEL, from)?,
        None if first => label_end(msg, LABEL, 0)?,
        None => {
            let mut last = label_end(msg, LABEL, 0)?;
            while let Some(next) = label_end(msg, LABEL, last) {
                last = next;
            }
            last
        }
    };
    token(msg, at)
}

/// Index just after the first `label` at or after `from` that starts a
/// word and is not part of `Network Account Name:`-style labels (newer
/// 4624 messages carry one after the real account).
fn label_end(msg: &str, label: &str, from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let start = at + msg.get(at..)?.find(label)?;
        let bounded = start == 0
            || msg
                .as_bytes()
                .get(start - 1)
                .is_some_and(|c| !c.is_ascii_alphanumeric());
        let prev_word_ok = !preceded_by(msg, start, "Network ");
        if bounded && prev_word_ok {
            return Some(start + label.len());
        }
        at = start + label.len();
    }
}

/// Whether `msg[..at]` ends with `word`.
fn preceded_by(msg: &str, at: usize, word: &str) -> bool {
    at >= word.len() && msg.as_bytes().get(at - word.len()..at) == Some(word.as_bytes())
}

fn is_ws(c: char) -> bool {
    c.is_ascii_whitespace()
}

/// The whitespace-delimited token after `msg[i..]`; None for `-` or empty.
fn token(msg: &str, i: usize) -> Option<&str> {
    let rest = msg.get(i..)?.trim_start_matches(is_ws);
    let t = rest.split(is_ws).next()?;
    (!t.is_empty() && t != "-").then_some(t)
}

/// A possibly multi-word value after `msg[i..]`: up to a tab, line break,
/// double space or one of `stops`.
fn value<'a>(msg: &'a str, i: usize, stops: &[&str]) -> Option<&'a str> {
    let rest = msg.get(i..)?.trim_start_matches(is_ws);
    let b = rest.as_bytes();
    let mut end = b.len();
    for (j, &c) in b.iter().enumerate() {
        if c == b'\t' || c == b'\r' || c == b'\n' || (c == b' ' && b.get(j + 1) == Some(&b' ')) {
            end = j;
            break;
        }
    }
    for s in stops {
        if let Some(p) = rest.get(..end).and_then(|r| r.find(s)) {
            end = p;
        }
    }
    let v = rest.get(..end)?.trim_end();
    (!v.is_empty() && v != "-").then_some(v)
}

fn is_zero_code(code: &str) -> bool {
    let digits = code
        .strip_prefix("0x")
        .or_else(|| code.strip_prefix("0X"))
        .unwrap_or(code);
    !digits.is_empty() && digits.bytes().all(|c| c == b'0')
}

/// `event.reason` of a 4625: the sub-status (or status) as a short name,
/// else the `Failure Reason:` text.
fn failure_reason<'a>(msg: &'a str) -> Option<Cow<'a, str>> {
    for label in ["Sub Status:", "Status:"] {
        if let Some(r) = label_end(msg, label, 0)
            .and_then(|i| token(msg, i))
            .and_then(ntstatus_reason)
        {
            return Some(Cow::Borrowed(r));
        }
    }
    let text = label_end(msg, "Failure Reason:", 0).and_then(|i| value(msg, i, &["Status:"]))?;
    let text = text.trim_end_matches('.');
    Some(Cow::Borrowed(failure_text_reason(text).unwrap_or(text)))
}

/// NTSTATUS codes of failed logons (4625 sub-status, 4776 error code).
fn ntstatus_reason(code: &str) -> Option<&'static str> {
    const TABLE: [(&str, &str); 12] = [
        ("0xC0000064", "invalid_user"),
        ("0xC000006A", "bad_password"),
        ("0xC0000234", "account_locked"),
        ("0xC0000072", "account_disabled"),
        ("0xC000006F", "outside_logon_hours"),
        ("0xC0000070", "workstation_restriction"),
        ("0xC0000071", "password_expired"),
        ("0xC0000193", "account_expired"),
        ("0xC0000224", "password_must_change"),
        ("0xC0000133", "clock_skew"),
        ("0xC000015B", "logon_type_not_granted"),
        ("0xC0000413", "authentication_firewall"),
    ];
    TABLE
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, r)| *r)
}

/// Kerberos failure/result codes (4768, 4769, 4771).
fn kerberos_reason(code: &str) -> Option<&'static str> {
    let hex = code
        .strip_prefix("0x")
        .or_else(|| code.strip_prefix("0X"))?;
    let n = u32::from_str_radix(hex, 16).ok()?;
    Some(match n {
        0x6 => "invalid_user",
        0x12 => "account_disabled",
        0x17 => "password_expired",
        0x18 => "bad_password",
        0x25 => "clock_skew",
        _ => return None,
    })
}

/// The English `Failure Reason:` texts of 4625.
fn failure_text_reason(text: &str) -> Option<&'static str> {
    let t = text.as_bytes();
    let has = |s: &str| contains_ci(t, s.as_bytes());
    Some(if has("unknown user name or bad password") {
        "bad_credentials"
    } else if has("locked out") {
        "account_locked"
    } else if has("currently disabled") {
        "account_disabled"
    } else if has("password has expired") {
        "password_expired"
    } else if has("account has expired") {
        "account_expired"
    } else if has("time restriction") {
        "outside_logon_hours"
    } else if has("not been granted the requested logon type") {
        "logon_type_not_granted"
    } else if has("not allowed to logon at this computer") {
        "workstation_restriction"
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Timestamp, Zone};

    fn ctx() -> ParseCtx {
        ParseCtx::utc(Timestamp::from_secs(1_705_400_000))
    }

    fn ip(ev: &Event<'_>) -> Option<String> {
        ev.source_ip.map(|i| i.to_string())
    }

    const FAILED_4625: &str = "01/15/2024 10:30:45 AM Audit Failure Microsoft-Windows-Security-Auditing 4625 Logon N/A An account failed to log on. Subject: Security ID: S-1-5-18 Account Name: DC01$ Account Domain: CORP Logon ID: 0x3E7 Logon Type: 3 Account For Which Logon Failed: Security ID: S-1-0-0 Account Name: bob Account Domain: CORP Failure Information: Failure Reason: Unknown user name or bad password. Status: 0xC000006D Sub Status: 0xC0000064 Process Information: Caller Process ID: 0x0 Caller Process Name: - Network Information: Workstation Name: KALI Source Network Address: 203.0.113.7 Source Port: 52144 Detailed Authentication Information: Logon Process: NtLmSsp";

    #[test]
    fn spaced_4625() {
        let ev = parse(FAILED_4625, &ctx()).unwrap();
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(ev.log_level.as_deref(), Some("Audit Failure"));
        assert_eq!(
            ev.provider.as_deref(),
            Some("Microsoft-Windows-Security-Auditing")
        );
        assert_eq!(ev.code.as_deref(), Some("4625"));
        assert!(
            ev.message
                .as_deref()
                .unwrap()
                .starts_with("An account failed")
        );
        assert_eq!(ev.category, Some(Category::Authentication));
        assert_eq!(ev.action.as_deref(), Some("logon_failed"));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.user_name.as_deref(), Some("bob"));
        assert_eq!(ip(&ev).as_deref(), Some("203.0.113.7"));
        assert_eq!(ev.source_port, Some(52144));
        assert_eq!(ev.reason.as_deref(), Some("invalid_user"));
        assert_eq!(ev.extra[0].1, serde_json::json!("3"));
    }

    #[test]
    fn example_line() {
        let ev = parse(Format::WindowsEventText.example(), &ctx()).unwrap();
        assert_eq!(ev.user_name.as_deref(), Some("bob"));
        assert_eq!(ip(&ev).as_deref(), Some("203.0.113.7"));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.log_level.as_deref(), Some("Information"));
    }

    #[test]
    fn tabbed_with_tabs_inside_message() {
        let line = "Audit Success\t1/15/2024 2:05:01 PM\tMicrosoft-Windows-Security-Auditing\t4624\tLogon\t\"An account was successfully logged on.\tSubject:\t\tSecurity ID:\t\tS-1-5-18\t\tAccount Name:\t\tWS01$\tLogon Type:\t\t10\tNew Logon:\t\tSecurity ID:\t\tCORP\\alice\t\tAccount Name:\t\talice\t\tAccount Domain:\t\tCORP\tNetwork Information:\t\tWorkstation Name:\tWS01\t\tSource Network Address:\t198.51.100.4\t\tSource Port:\t\t0\"";
        let ev = parse(line, &ctx()).unwrap();
        assert_eq!(ev.timestamp.to_civil().hour, 14);
        assert_eq!(ev.action.as_deref(), Some("logged_in"));
        assert_eq!(ev.outcome, Some(Outcome::Success));
        assert_eq!(ev.user_name.as_deref(), Some("alice"));
        assert_eq!(ip(&ev).as_deref(), Some("198.51.100.4"));
        assert_eq!(ev.source_port, None);
        assert!(!ev.message.as_deref().unwrap().starts_with('"'));
    }

    #[test]
    fn new_4624_with_network_account_name() {
        let line = "2024-01-15 10:30:45 Information Microsoft-Windows-Security-Auditing 4624 Logon N/A An account was successfully logged on. Subject: Account Name: - Logon Information: Logon Type: 3 New Logon: Security ID: S-1-5-21-1 Account Name: svc_backup Account Domain: CORP Network Account Name: - Network Information: Source Network Address: - Source Port: -";
        let ev = parse(line, &ctx()).unwrap();
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(ev.user_name.as_deref(), Some("svc_backup"));
        assert_eq!(ev.source_ip, None);
        assert_eq!(ev.source_port, None);
    }

    #[test]
    fn account_and_group_changes() {
        let c = ctx();
        let ev = parse("01/15/2024 10:30:45 AM Audit Success Microsoft-Windows-Security-Auditing 4720 User Account Management CORP\\admin A user account was created. Subject: Security ID: CORP\\admin Account Name: admin Account Domain: CORP New Account: Security ID: CORP\\backdoor Account Name: backdoor Account Domain: CORP", &c).unwrap();
        assert_eq!(ev.category, Some(Category::Iam));
        assert_eq!(ev.action.as_deref(), Some("added_user_account"));
        assert_eq!(ev.user_name.as_deref(), Some("admin"));
        assert_eq!(ev.user_target_name.as_deref(), Some("backdoor"));
        assert!(
            ev.message
                .as_deref()
                .unwrap()
                .starts_with("A user account was created.")
        );

        let ev = parse("01/15/2024 10:31:00 AM Audit Success Microsoft-Windows-Security-Auditing 4728 Security Group Management CORP\\admin A member was added to a security-enabled global group. Subject: Account Name: admin Member: Security ID: CORP\\backdoor Account Name: CN=Back Door,CN=Users,DC=corp,DC=local Group: Security ID: CORP\\Domain Admins Group Name: Domain Admins Group Domain: CORP", &c).unwrap();
        assert_eq!(ev.action.as_deref(), Some("added_member_to_group"));
        assert_eq!(ev.group_name.as_deref(), Some("Domain Admins"));
        assert_eq!(
            ev.user_target_name.as_deref(),
            Some("CN=Back Door,CN=Users,DC=corp,DC=local")
        );

        let ev = parse("01/15/2024 10:32:00 AM Audit Success Microsoft-Windows-Security-Auditing 4740 User Account Management N/A A user account was locked out. Subject: Account Name: DC01$ Account That Was Locked Out: Security ID: CORP\\bob Account Name: bob Additional Information: Caller Computer Name: WS7", &c).unwrap();
        assert_eq!(ev.user_target_name.as_deref(), Some("bob"));
        assert_eq!(ev.action.as_deref(), Some("locked_out_user_account"));
    }

    #[test]
    fn kerberos_ntlm_and_misc() {
        let c = ctx();
        let ev = parse("Audit Failure\t1/15/2024 10:30:45 AM\tMicrosoft-Windows-Security-Auditing\t4771\tKerberos Authentication Service\tKerberos pre-authentication failed. Account Information: Security ID: CORP\\bob Account Name: bob Service Information: Service Name: krbtgt/CORP Network Information: Client Address: ::ffff:203.0.113.7 Client Port: 50123 Additional Information: Ticket Options: 0x40810010 Failure Code: 0x18 Pre-Authentication Type: 2", &c).unwrap();
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.user_name.as_deref(), Some("bob"));
        assert_eq!(ip(&ev).as_deref(), Some("203.0.113.7"));
        assert_eq!(ev.reason.as_deref(), Some("bad_password"));

        let ev = parse("Audit Failure\t1/15/2024 10:30:45 AM\tMicrosoft-Windows-Security-Auditing\t4776\tCredential Validation\tThe computer attempted to validate the credentials for an account. Authentication Package: MICROSOFT_AUTHENTICATION_PACKAGE_V1_0 Logon Account: admin Source Workstation: KALI Error Code: 0xc000006a", &c).unwrap();
        assert_eq!(ev.action.as_deref(), Some("credential_validated"));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.reason.as_deref(), Some("bad_password"));
        assert_eq!(ev.user_name.as_deref(), Some("admin"));

        let ev = parse("Audit Success\t1/15/2024 10:30:45 AM\tMicrosoft-Windows-Security-Auditing\t4768\tKerberos Authentication Service\tA Kerberos authentication ticket (TGT) was requested. Account Information: Account Name: alice Network Information: Client Address: ::ffff:10.0.0.8 Client Port: 49700 Additional Information: Result Code: 0x0", &c).unwrap();
        assert_eq!(ev.outcome, Some(Outcome::Success));

        let ev = parse("01/15/2024 10:30:45 AM Information Microsoft-Windows-Eventlog 1102 Log clear N/A The audit log was cleared. Subject: Security ID: CORP\\admin Account Name: admin Domain Name: CORP", &c).unwrap();
        assert_eq!(ev.action.as_deref(), Some("audit_log_cleared"));
        assert_eq!(ev.user_name.as_deref(), Some("admin"));

        let ev = parse("15.01.2024 10:30:45 Information Service Control Manager 7045 None A service was installed in the system. Service Name: PSEXESVC Service File Name: %SystemRoot%\\PSEXESVC.exe Service Type: user mode service Service Start Type: demand start Service Account: LocalSystem", &c).unwrap();
        assert_eq!(ev.action.as_deref(), Some("service_installed"));
        assert_eq!(ev.provider.as_deref(), Some("Service Control Manager"));
        assert_eq!(ev.extra[0].1, serde_json::json!("PSEXESVC"));
        assert_eq!(
            ev.extra[1].1,
            serde_json::json!("%SystemRoot%\\PSEXESVC.exe")
        );
        assert!(ev.message.as_deref().unwrap().starts_with("A service was"));
    }

    #[test]
    fn other_events_and_user_column() {
        let c = ctx();
        let ev = parse("01/15/2024 10:30:45 PM Warning Microsoft-Windows-Time-Service 36 None NT AUTHORITY\\LOCAL SERVICE The time service has not synchronized", &c).unwrap();
        assert_eq!(ev.timestamp.to_civil().hour, 22);
        assert_eq!(ev.category, None);
        assert_eq!(ev.code.as_deref(), Some("36"));
        assert_eq!(ev.user_name.as_deref(), Some("LOCAL SERVICE"));
        assert_eq!(
            ev.message.as_deref(),
            Some("The time service has not synchronized")
        );
        let ev = parse("01/15/2024 12:05:00 AM Error Application Error 1000 (100) N/A Faulting application name: app.exe", &c).unwrap();
        assert_eq!(ev.timestamp.to_civil().hour, 0);
        assert_eq!(ev.provider.as_deref(), Some("Application Error"));
        assert_eq!(
            ev.message.as_deref(),
            Some("Faulting application name: app.exe")
        );
        let ev = parse("01/15/2024 10:30:45 AM Information Service Control Manager 7036 None The Windows Update service entered the running state.", &c).unwrap();
        assert_eq!(
            ev.message.as_deref(),
            Some("The Windows Update service entered the running state.")
        );
        assert_eq!(ev.user_name, None);
        // 4625 from a non-security source is not read as a logon failure.
        let ev = parse("01/15/2024 10:30:45 AM Error MyApp 4625 None N/A boom", &c).unwrap();
        assert_eq!(ev.category, None);
    }

    #[test]
    fn local_zone_and_day_first() {
        let c = ParseCtx::new(Zone::fixed(3600), Timestamp::from_secs(1_705_400_000));
        let ev = parse("15/01/2024 11:30:45 Information X 1 None N/A m", &c).unwrap();
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
    }

    #[test]
    fn malformed() {
        for l in [
            "",
            "\u{0}\u{0}",
            "01/15/2024",
            "01/15/2024 10:30:45 AM",
            "01/15/2024 10:30:45 AM Information",
            "01/15/2024 10:30:45 AM Information Source",
            "01/15/2024 10:30:45 AM Bogus Source 4625 None N/A x",
            "13/13/2024 10:30:45 AM Information Source 1 None N/A x",
            "01/15/2024 13:30:45 PM Information Source 1 None N/A x",
            "01/15/2024 10:30 AM Information Source 1 None N/A x",
            "01/15/2024 10:30:45 AM Information 4625 None N/A x",
            "2024/01/15 10:30:45 [error] 1234#1234: *5 x",
            "2024-01-15 10:30:45 myapp: authentication failed for user bob",
            "Jan 15 10:30:45 web1 sshd[1]: x",
            "Information\tnot a date\tSource\t1\tNone\tx",
            "Audit Failure\t1/15/2024 10:30:45 AM\tSource\tabc\tNone\tx",
            "Level\tDate and Time\tSource\tEvent ID\tTask Category",
            "Information\u{e9}\t1/15/2024 10:30:45 AM",
        ] {
            assert!(parse(l, &ctx()).is_none(), "{l}");
        }
    }
}
