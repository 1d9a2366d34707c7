//! Syslog with an RFC 3339 stamp instead of the BSD one:
//! `[<PRI>]2024-01-15T10:30:45.123456+01:00 HOST TAG[PID]: MSG`.
//! rsyslog writes this by default on current Ubuntu and Debian
//! (`RSYSLOG_FileFormat`); tools that only know the BSD stamp miss it.

use crate::event::Event;
use crate::format::{Format, ParseCtx};
use crate::formats::syslog_header::{apply_tail, is_asa_message, parse_pri, parse_tail};
use crate::time::Timestamp;

pub fn parse<'a>(line: &'a str, ctx: &ParseCtx) -> Option<Event<'a>> {
    let b = line.as_bytes();
    let (pri, mut i) = match parse_pri(b) {
        Some((p, n)) => (Some(p), n),
        None => (None, 0),
    };
    // RFC 5424 has a version digit after PRI; that is the other format.
    if b.get(i).is_some_and(|c| !c.is_ascii_digit()) {
        return None;
    }
    // Require the `T` form: `2024-01-15 10:30:45 app ...` is some other
    // application's log, not syslog.
    if b.get(i + 10) != Some(&b'T') {
        return None;
    }
    let (ts, used) = Timestamp::parse_rfc3339_prefix(&b[i..], Some(&ctx.zone))?;
    i += used;
    let rest = line.get(i..)?;
    if !rest.starts_with(' ') {
        return None;
    }
    let tail = parse_tail(rest);
    tail.host?;
    if is_asa_message(tail.message) {
        return None;
    }
    let mut ev = Event::new(Format::SyslogRfc3339, line, ts);
    ev.syslog = pri;
    apply_tail(&mut ev, tail);
    Some(ev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Category, Outcome};

    fn ctx() -> ParseCtx {
        ParseCtx::utc(Timestamp::from_secs(1_705_363_200))
    }

    #[test]
    fn rsyslog_default() {
        let ev = parse("2024-01-15T11:30:45.123456+01:00 web1 sshd[99]: Accepted publickey for alice from 198.51.100.4 port 50000 ssh2: ED25519 SHA256:abc", &ctx()).unwrap();
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(ev.timestamp.nanos, 123_456_000);
        assert_eq!(ev.host_name.as_deref(), Some("web1"));
        assert_eq!(ev.category, Some(Category::Authentication));
        assert_eq!(ev.outcome, Some(Outcome::Success));
        assert_eq!(ev.user_name.as_deref(), Some("alice"));
    }

    #[test]
    fn with_pri_and_z() {
        let ev = parse("<86>2024-01-15T10:30:45Z web1 sudo: pam_unix(sudo:auth): authentication failure; logname=bob uid=1000 euid=0 tty=/dev/pts/0 ruser=bob rhost=  user=bob", &ctx()).unwrap();
        assert_eq!(ev.syslog.map(|p| p.severity), Some(6));
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
    }

    #[test]
    fn malformed() {
        for l in [
            "",
            "2024-01-15T10:30:45Z",
            "2024-01-15 10:30:45 web1 app: x",
            "2024-01-15T10:30:45Zweb1 app: x",
            "<34>1 2024-01-15T10:30:45Z web1 app - - - x",
            "2024-13-15T10:30:45Z web1 app: x",
        ] {
            assert!(parse(l, &ctx()).is_none(), "{l}");
        }
    }
}
