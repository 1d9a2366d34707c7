//! BSD syslog (RFC 3164): `[<PRI>]Mmm dd hh:mm:ss HOST TAG[PID]: MSG`.
//!
//! The stamp has no year and no zone: the zone is the configured one (local
//! by default) and the year is inferred from the reference time with New
//! Year rollover (`time::infer_year`). A year after the day (`Jan 15 2024
//! 10:30:45`, as network gear writes) is honoured, as are fractional
//! seconds.

use crate::event::Event;
use crate::format::{Format, ParseCtx};
use crate::formats::syslog_header::{apply_tail, is_asa_message, parse_pri, parse_tail};
use crate::time::{CivilDateTime, digits, infer_year, month_from_abbrev, parse_hms};

pub fn parse<'a>(line: &'a str, ctx: &ParseCtx) -> Option<Event<'a>> {
    let b = line.as_bytes();
    let (pri, mut i) = match parse_pri(b) {
        Some((p, n)) => (Some(p), n),
        None => (None, 0),
    };
    let (civil, used) = parse_bsd_stamp(&b[i..], ctx)?;
    i += used;
    let ts = ctx.zone.to_utc(&civil)?;
    let rest = line.get(i..)?;
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    let tail = parse_tail(rest);
    if is_asa_message(tail.message) {
        return None;
    }
    let mut ev = Event::new(Format::SyslogRfc3164, line, ts);
    ev.syslog = pri;
    apply_tail(&mut ev, tail);
    Some(ev)
}

/// `Mmm dd [yyyy ]hh:mm:ss[.frac]` at the start of `b`.
pub fn parse_bsd_stamp(b: &[u8], ctx: &ParseCtx) -> Option<(CivilDateTime, usize)> {
    let month = month_from_abbrev(b.get(..3)?)?;
    if b.get(3) != Some(&b' ') {
        return None;
    }
    let mut i = 4;
    if b.get(i) == Some(&b' ') {
        i += 1; // `Jan  5`
    }
    let (day, n) = digits(b, i, 2)?;
    i += n;
    if b.get(i) != Some(&b' ') || day == 0 || day > 31 {
        return None;
    }
    i += 1;
    let mut year = None;
    if let Some((y, 4)) = digits(b, i, 4)
        && b.get(i + 4) == Some(&b' ')
    {
        year = Some(y as i32);
        i += 5;
    }
    let (hour, minute, second, nanos, n) = parse_hms(b, i)?;
    i += n;
    let year = year.unwrap_or_else(|| infer_year(month, day as u8, &ctx.reference_civil));
    let civil = CivilDateTime {
        year,
        month,
        day: day as u8,
        hour,
        minute,
        second,
        nanos,
    };
    if !civil.is_valid() {
        // Feb 29 inferred into a non-leap year: try the year before.
        let earlier = CivilDateTime {
            year: year - 1,
            ..civil
        };
        return earlier.is_valid().then_some((earlier, i));
    }
    Some((civil, i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Category, Outcome};
    use crate::time::{Timestamp, Zone};

    fn ctx() -> ParseCtx {
        // 2024-01-16T00:00:00Z
        ParseCtx::utc(Timestamp::from_secs(1_705_363_200))
    }

    #[test]
    fn basic_line() {
        let ev = parse("Jan 15 10:30:45 web1 sshd[1234]: Failed password for root from 203.0.113.7 port 52144 ssh2", &ctx()).unwrap();
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(ev.host_name.as_deref(), Some("web1"));
        assert_eq!(ev.process_name.as_deref(), Some("sshd"));
        assert_eq!(ev.process_pid, Some(1234));
        assert_eq!(ev.category, Some(Category::Authentication));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
    }

    #[test]
    fn december_read_in_january_is_last_year() {
        let ev = parse("Dec 31 23:59:59 h cron[1]: x", &ctx()).unwrap();
        assert_eq!(ev.timestamp.to_civil().year, 2023);
    }

    #[test]
    fn variants() {
        let c = ctx();
        let ev = parse(
            "<38>Jan  5 01:31:41 www sshd[1643]: ROOT LOGIN REFUSED FROM 1.2.3.4",
            &c,
        )
        .unwrap();
        assert_eq!(ev.syslog.map(|p| p.facility), Some(4));
        assert_eq!(ev.timestamp.to_civil().day, 5);
        let ev = parse("Jan 15 2023 10:30:45 fw kernel: x", &c).unwrap();
        assert_eq!(ev.timestamp.to_civil().year, 2023);
        let ev = parse("Jan 15 10:30:45.123 h app: x", &c).unwrap();
        assert_eq!(ev.timestamp.nanos, 123_000_000);
        let ev = parse("Jan 15 10:30:45 h last message repeated 2 times", &c).unwrap();
        assert_eq!(ev.process_name, None);
        assert_eq!(ev.message.as_deref(), Some("last message repeated 2 times"));
        let ev = parse("Jan 15 10:30:45", &c).unwrap();
        assert_eq!(ev.message.as_deref(), Some(""));
    }

    #[test]
    fn zone_is_applied() {
        let c = ParseCtx::new(Zone::fixed(3600), Timestamp::from_secs(1_705_363_200));
        let ev = parse("Jan 15 11:30:45 h app: x", &c).unwrap();
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
    }

    #[test]
    fn malformed() {
        let c = ctx();
        for l in [
            "",
            "Jan",
            "Foo 15 10:30:45 h a: x",
            "Jan 32 10:30:45 h a: x",
            "Jan 15 25:30:45 h a: x",
            "Jan 15 10:30 h a: x",
            "Jan 15 10:30:45x h",
            "<999>Jan 15 10:30:45 h a: x",
            "Jan 15 10:30:45 fw01 : %ASA-6-302013: Built",
        ] {
            assert!(parse(l, &c).is_none(), "{l}");
        }
    }
}
