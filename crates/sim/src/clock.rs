//! Timestamps from unix milliseconds, formatted by hand (no date library).
//!
//! The generator stamps every line, so this is on the hot path: civil dates
//! come from Howard Hinnant's days-from-civil arithmetic, and [`StampCache`]
//! reformats only when the second changes.

/// A UTC calendar date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// The UTC civil time of a unix second.
pub(crate) fn civil_from_unix(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: (sod / 3600) as u32,
        minute: (sod / 60 % 60) as u32,
        second: (sod % 60) as u32,
    }
}

/// Unix seconds of a UTC civil date at midnight (inverse of [`civil_from_unix`]).
#[cfg(test)]
pub(crate) fn unix_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400
}

/// The timestamp layouts the simulated formats use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `15/Jan/2024:10:30:45 +0000` (Apache `%t` without the brackets)
    Apache,
    /// `Jan 15 10:30:45`, day space-padded (`Jan  5`), RFC 3164
    Syslog,
    /// `Jan 15 2024 10:30:45`, Cisco ASA `logging timestamp`
    Asa,
    /// `2024-01-15T10:30:45Z`
    Rfc3339,
}

fn push2(out: &mut Vec<u8>, n: u32) {
    out.push(b'0' + (n / 10 % 10) as u8);
    out.push(b'0' + (n % 10) as u8);
}

fn push_year(out: &mut Vec<u8>, year: i64) {
    if (0..10_000).contains(&year) {
        let y = year as u32;
        push2(out, y / 100);
        push2(out, y % 100);
    } else {
        out.extend_from_slice(itoa::Buffer::new().format(year).as_bytes());
    }
}

fn push_hms(out: &mut Vec<u8>, c: &Civil) {
    push2(out, c.hour);
    out.push(b':');
    push2(out, c.minute);
    out.push(b':');
    push2(out, c.second);
}

/// Appends the stamp of unix second `secs` in `style`.
pub(crate) fn write_stamp(style: Style, secs: i64, out: &mut Vec<u8>) {
    let c = civil_from_unix(secs);
    let mon = MONTHS[(c.month as usize - 1) % 12];
    match style {
        Style::Apache => {
            push2(out, c.day);
            out.push(b'/');
            out.extend_from_slice(mon);
            out.push(b'/');
            push_year(out, c.year);
            out.push(b':');
            push_hms(out, &c);
            out.extend_from_slice(b" +0000");
        }
        Style::Syslog => {
            out.extend_from_slice(mon);
            out.push(b' ');
            if c.day < 10 {
                out.push(b' ');
                out.push(b'0' + c.day as u8);
            } else {
                push2(out, c.day);
            }
            out.push(b' ');
            push_hms(out, &c);
        }
        Style::Asa => {
            out.extend_from_slice(mon);
            out.push(b' ');
            push2(out, c.day);
            out.push(b' ');
            push_year(out, c.year);
            out.push(b' ');
            push_hms(out, &c);
        }
        Style::Rfc3339 => {
            push_year(out, c.year);
            out.push(b'-');
            push2(out, c.month);
            out.push(b'-');
            push2(out, c.day);
            out.push(b'T');
            push_hms(out, &c);
            out.push(b'Z');
        }
    }
}

/// RFC 3339 UTC text of a unix millisecond (second precision).
pub(crate) fn rfc3339(ms: i64) -> String {
    let mut v = Vec::with_capacity(20);
    write_stamp(Style::Rfc3339, ms.div_euclid(1000), &mut v);
    String::from_utf8(v).unwrap_or_default()
}

/// The formatted stamp of the last second seen, reused while the second is unchanged.
#[derive(Debug)]
pub(crate) struct StampCache {
    style: Style,
    sec: Option<i64>,
    buf: Vec<u8>,
}

impl StampCache {
    pub(crate) fn new(style: Style) -> Self {
        StampCache {
            style,
            sec: None,
            buf: Vec::with_capacity(32),
        }
    }

    /// The stamp of the second that contains `ms`.
    pub(crate) fn get(&mut self, ms: i64) -> &[u8] {
        let sec = ms.div_euclid(1000);
        if self.sec != Some(sec) {
            self.buf.clear();
            write_stamp(self.style, sec, &mut self.buf);
            self.sec = Some(sec);
        }
        &self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(style: Style, secs: i64) -> String {
        let mut v = Vec::new();
        write_stamp(style, secs, &mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn known_instants() {
        // 2024-01-15T10:30:45Z
        let t = 1_705_314_645;
        assert_eq!(fmt(Style::Apache, t), "15/Jan/2024:10:30:45 +0000");
        assert_eq!(fmt(Style::Syslog, t), "Jan 15 10:30:45");
        assert_eq!(fmt(Style::Asa, t), "Jan 15 2024 10:30:45");
        assert_eq!(fmt(Style::Rfc3339, t), "2024-01-15T10:30:45Z");
        assert_eq!(fmt(Style::Rfc3339, 0), "1970-01-01T00:00:00Z");
        // leap day and space-padded syslog day
        let leap = unix_from_civil(2024, 2, 29) + 3600 * 23 + 59 * 60 + 59;
        assert_eq!(fmt(Style::Rfc3339, leap), "2024-02-29T23:59:59Z");
        assert_eq!(
            fmt(Style::Syslog, unix_from_civil(2024, 3, 5)),
            "Mar  5 00:00:00"
        );
        assert_eq!(fmt(Style::Rfc3339, -1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn civil_round_trip() {
        let mut secs = unix_from_civil(1999, 12, 31);
        for _ in 0..2000 {
            let c = civil_from_unix(secs);
            assert_eq!(unix_from_civil(c.year, c.month, c.day), secs);
            secs += 86_400 * 7 + 3;
            secs -= secs.rem_euclid(86_400);
        }
    }

    #[test]
    fn cache_reformats_on_new_second() {
        let mut c = StampCache::new(Style::Syslog);
        assert_eq!(c.get(1_705_314_645_999), b"Jan 15 10:30:45");
        assert_eq!(c.get(1_705_314_646_000), b"Jan 15 10:30:46");
        assert_eq!(rfc3339(1_705_314_645_500), "2024-01-15T10:30:45Z");
    }
}
