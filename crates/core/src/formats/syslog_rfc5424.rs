//! IETF syslog (RFC 5424):
//! `<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`,
//! `-` for nil values. Structured data is skipped over (respecting its
//! `\"`, `\]` and `\\` escapes); a UTF-8 BOM before the message is dropped.

use std::borrow::Cow;

use crate::event::Event;
use crate::format::{Format, ParseCtx};
use crate::formats::syslog_header::parse_pri;
use crate::time::Timestamp;

pub fn parse<'a>(line: &'a str, ctx: &ParseCtx) -> Option<Event<'a>> {
    let b = line.as_bytes();
    let (pri, mut i) = parse_pri(b)?;
    // VERSION: 1-2 digits, then a space.
    let start = i;
    while i < b.len() && i - start < 3 && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == start || b.get(i) != Some(&b' ') || b[start] == b'0' {
        return None;
    }
    i += 1;
    // TIMESTAMP or `-`.
    let ts = if b.get(i) == Some(&b'-') && b.get(i + 1) == Some(&b' ') {
        i += 1;
        None
    } else {
        let (ts, used) = Timestamp::parse_rfc3339_prefix(&b[i..], Some(&ctx.zone))?;
        i += used;
        Some(ts)
    };
    let mut fields = [""; 4];
    for f in fields.iter_mut() {
        if b.get(i) != Some(&b' ') {
            return None;
        }
        i += 1;
        let end = memchr::memchr(b' ', &b[i..]).map_or(b.len(), |e| i + e);
        *f = line.get(i..end)?;
        if f.is_empty() {
            return None;
        }
        i = end;
    }
    let [host, app, procid, _msgid] = fields;
    // STRUCTURED-DATA: `-` or one or more `[...]`.
    if b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    if b.get(i) == Some(&b'-') {
        i += 1;
    } else if b.get(i) == Some(&b'[') {
        while b.get(i) == Some(&b'[') {
            i = skip_sd_element(b, i)?;
        }
    } else {
        return None;
    }
    let mut msg = match b.get(i) {
        None => "",
        Some(b' ') => line.get(i + 1..)?,
        Some(_) => return None,
    };
    msg = msg.strip_prefix('\u{feff}').unwrap_or(msg);

    let mut ev = Event::new(Format::SyslogRfc5424, line, ts.unwrap_or_default());
    ev.syslog = Some(pri);
    if host != "-" {
        ev.host_name = Some(Cow::Borrowed(host));
    }
    if procid != "-" {
        ev.process_pid = procid.parse().ok();
    }
    ev.message = Some(Cow::Borrowed(msg));
    if app != "-" {
        ev.process_name = Some(Cow::Borrowed(app));
        crate::programs::enrich(&mut ev, app, msg);
    }
    Some(ev)
}

/// Skips one `[SD-ID param="value" ...]` element starting at `b[i] == '['`;
/// returns the index after its `]`.
fn skip_sd_element(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    let mut in_quotes = false;
    while i < b.len() {
        match b[i] {
            b'\\' if in_quotes => i += 1,
            b'"' => in_quotes = !in_quotes,
            b']' if !in_quotes => return Some(i + 1),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Outcome;

    fn ctx() -> ParseCtx {
        ParseCtx::utc(Timestamp::from_secs(1_705_363_200))
    }

    #[test]
    fn full_line() {
        let ev = parse(r#"<38>1 2024-01-15T10:30:45.123Z web1 sshd 1234 ID47 [exampleSDID@32473 iut="3" eventSource="App\"x\]"][b@1 a="1"] Failed password for invalid user admin from 203.0.113.7 port 52144 ssh2"#, &ctx()).unwrap();
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(ev.host_name.as_deref(), Some("web1"));
        assert_eq!(ev.process_pid, Some(1234));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.user_name.as_deref(), Some("admin"));
        assert_eq!(
            ev.source_ip.map(|i| i.to_string()).as_deref(),
            Some("203.0.113.7")
        );
    }

    #[test]
    fn nil_values_and_bom() {
        let ev = parse("<13>1 - - - - - - \u{feff}hello", &ctx()).unwrap();
        assert_eq!(ev.message.as_deref(), Some("hello"));
        assert_eq!(ev.host_name, None);
        assert_eq!(ev.timestamp, Timestamp::default());
        let ev = parse("<13>1 2024-01-15T10:30:45Z h a - - -", &ctx()).unwrap();
        assert_eq!(ev.message.as_deref(), Some(""));
    }

    #[test]
    fn malformed() {
        for l in [
            "",
            "<13>",
            "<13>1",
            "<13>0 - - - - - -",
            "<13>1 2024-01-15T10:30:45Z h a - -",
            "<13>1 2024-01-15T10:30:45Z h a - - [unterminated",
            "<13>1 2024-01-15T10:30:45Z h a - - x",
            "<13>1 2024-01-15T10:30:45Z h a - - -x",
            "<13>Jan 15 10:30:45 h a: x",
        ] {
            assert!(parse(l, &ctx()).is_none(), "{l}");
        }
    }
}
