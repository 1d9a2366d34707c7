//! Timestamps: a small UTC instant type, civil-date arithmetic, RFC 3339
//! output, and the conversion of a log's local wall-clock time to UTC.
//!
//! Parsers see millions of stamps a second, so the hot path avoids general
//! date libraries: fields are read as ASCII digits and turned into seconds
//! with `days_from_civil`. Time zones (DST rules) come from `jiff`, behind a
//! per-hour cache.

use std::cell::Cell;
use std::fmt;

/// An instant in UTC, with nanosecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub secs: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nanos: u32,
}

impl Timestamp {
    pub const fn from_secs(secs: i64) -> Self {
        Timestamp { secs, nanos: 0 }
    }

    /// Milliseconds since the epoch.
    pub fn as_millis(&self) -> i64 {
        self.secs * 1000 + i64::from(self.nanos / 1_000_000)
    }

    pub fn from_millis(ms: i64) -> Self {
        Timestamp {
            secs: ms.div_euclid(1000),
            nanos: (ms.rem_euclid(1000) as u32) * 1_000_000,
        }
    }

    /// The civil (UTC) date and time of this instant.
    pub fn to_civil(&self) -> CivilDateTime {
        let days = self.secs.div_euclid(86_400);
        let sod = self.secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        CivilDateTime {
            year,
            month,
            day,
            hour: (sod / 3600) as u8,
            minute: (sod / 60 % 60) as u8,
            second: (sod % 60) as u8,
            nanos: self.nanos,
        }
    }

    /// Appends the RFC 3339 form (`2024-01-15T10:30:45Z`, with a fraction
    /// only when there is one) to `out`.
    pub fn write_rfc3339(&self, out: &mut Vec<u8>) {
        let c = self.to_civil();
        let year = c.year.clamp(0, 9999) as u32;
        let mut buf = [0u8; 30];
        put4(&mut buf[0..4], year);
        buf[4] = b'-';
        put2(&mut buf[5..7], u32::from(c.month));
        buf[7] = b'-';
        put2(&mut buf[8..10], u32::from(c.day));
        buf[10] = b'T';
        put2(&mut buf[11..13], u32::from(c.hour));
        buf[13] = b':';
        put2(&mut buf[14..16], u32::from(c.minute));
        buf[16] = b':';
        put2(&mut buf[17..19], u32::from(c.second));
        let mut len = 19;
        if c.nanos != 0 {
            buf[19] = b'.';
            let (digits, value) = if c.nanos.is_multiple_of(1_000_000) {
                (3, c.nanos / 1_000_000)
            } else if c.nanos.is_multiple_of(1_000) {
                (6, c.nanos / 1_000)
            } else {
                (9, c.nanos)
            };
            let mut v = value;
            for i in (0..digits).rev() {
                buf[20 + i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
            len = 20 + digits;
        }
        buf[len] = b'Z';
        out.extend_from_slice(&buf[..=len]);
    }

    /// Parses RFC 3339 / ISO 8601 (`2024-01-15T10:30:45.123+01:00`, also
    /// with a space instead of `T`, and `Z`). Returns the instant and the
    /// number of bytes consumed. A stamp without an offset is read as UTC
    /// unless `zone` is given.
    pub fn parse_rfc3339_prefix(s: &[u8], zone: Option<&Zone>) -> Option<(Timestamp, usize)> {
        let (civil, mut i) = parse_iso_civil(s)?;
        match s.get(i) {
            Some(b'Z') | Some(b'z') => {
                i += 1;
                Some((civil.assume_utc()?, i))
            }
            Some(&sign @ (b'+' | b'-')) => {
                let h = two_digits(s, i + 1)?;
                let (m, used) = if s.get(i + 3) == Some(&b':') {
                    (two_digits(s, i + 4)?, 6)
                } else if let Some(m) = two_digits(s, i + 3) {
                    (m, 5)
                } else {
                    (0, 3)
                };
                if h > 23 || m > 59 {
                    return None;
                }
                let offset = i64::from(h * 3600 + m * 60);
                let ts = civil.assume_utc()?;
                let secs = if sign == b'+' {
                    ts.secs - offset
                } else {
                    ts.secs + offset
                };
                Some((
                    Timestamp {
                        secs,
                        nanos: ts.nanos,
                    },
                    i + used,
                ))
            }
            _ => {
                let ts = match zone {
                    Some(z) => z.to_utc(&civil)?,
                    None => civil.assume_utc()?,
                };
                Some((ts, i))
            }
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = Vec::with_capacity(32);
        self.write_rfc3339(&mut v);
        f.write_str(std::str::from_utf8(&v).map_err(|_| fmt::Error)?)
    }
}

/// A wall-clock date and time with no zone attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilDateTime {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub nanos: u32,
}

impl CivilDateTime {
    /// Whether every field is in range (day checked against the month).
    pub fn is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second <= 60
            && self.nanos < 1_000_000_000
            && (0..=9999).contains(&self.year)
    }

    /// Reads this wall-clock time as UTC. `None` when a field is out of range.
    pub fn assume_utc(&self) -> Option<Timestamp> {
        if !self.is_valid() {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let second = self.second.min(59); // a leap second folds onto :59
        Some(Timestamp {
            secs: days * 86_400
                + i64::from(self.hour) * 3600
                + i64::from(self.minute) * 60
                + i64::from(second),
            nanos: self.nanos,
        })
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Month number (1–12) of an English three-letter abbreviation, any case.
pub fn month_from_abbrev(s: &[u8]) -> Option<u8> {
    if s.len() < 3 {
        return None;
    }
    let key = [
        s[0].to_ascii_lowercase(),
        s[1].to_ascii_lowercase(),
        s[2].to_ascii_lowercase(),
    ];
    Some(match &key {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

/// Two ASCII digits at `s[i..i + 2]`.
pub fn two_digits(s: &[u8], i: usize) -> Option<u32> {
    let a = *s.get(i)?;
    let b = *s.get(i + 1)?;
    if a.is_ascii_digit() && b.is_ascii_digit() {
        Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
    } else {
        None
    }
}

/// A run of 1..=max ASCII digits starting at `s[i]`: (value, digits read).
pub fn digits(s: &[u8], i: usize, max: usize) -> Option<(u32, usize)> {
    let mut v: u32 = 0;
    let mut n = 0;
    while n < max {
        match s.get(i + n) {
            Some(c) if c.is_ascii_digit() => {
                v = v * 10 + u32::from(c - b'0');
                n += 1;
            }
            _ => break,
        }
    }
    if n == 0 { None } else { Some((v, n)) }
}

/// `HH:MM:SS` with an optional `.fraction` (or `,fraction`) at `s[i..]`.
/// Returns (hour, minute, second, nanos, bytes read).
pub fn parse_hms(s: &[u8], i: usize) -> Option<(u8, u8, u8, u32, usize)> {
    let h = two_digits(s, i)?;
    if s.get(i + 2) != Some(&b':') {
        return None;
    }
    let m = two_digits(s, i + 3)?;
    if s.get(i + 5) != Some(&b':') {
        return None;
    }
    let sec = two_digits(s, i + 6)?;
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let mut len = 8;
    let mut nanos = 0u32;
    if matches!(s.get(i + 8), Some(b'.') | Some(b',')) {
        let mut scale = 100_000_000u32;
        let mut n = 0;
        while let Some(c) = s.get(i + 9 + n) {
            if !c.is_ascii_digit() {
                break;
            }
            nanos += u32::from(c - b'0') * scale;
            scale /= 10;
            n += 1;
        }
        if n > 0 {
            len = 9 + n;
        }
    }
    Some((h as u8, m as u8, sec as u8, nanos, len))
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.frac]` at the start of `s`.
pub fn parse_iso_civil(s: &[u8]) -> Option<(CivilDateTime, usize)> {
    let (year, n) = digits(s, 0, 4)?;
    if n != 4 || s.get(4) != Some(&b'-') || s.get(7) != Some(&b'-') {
        return None;
    }
    let month = two_digits(s, 5)?;
    let day = two_digits(s, 8)?;
    if !matches!(s.get(10), Some(b'T') | Some(b't') | Some(b' ')) {
        return None;
    }
    let (hour, minute, second, nanos, len) = parse_hms(s, 11)?;
    let civil = CivilDateTime {
        year: year as i32,
        month: month as u8,
        day: day as u8,
        hour,
        minute,
        second,
        nanos,
    };
    if !civil.is_valid() {
        return None;
    }
    Some((civil, 11 + len))
}

/// The time zone that stamps without an offset are read in, with a cache:
/// logs arrive in time order, so the offset of the last hour seen almost
/// always answers the next line.
#[derive(Debug, Clone)]
pub struct Zone {
    tz: jiff::tz::TimeZone,
    /// (local hour key, offset seconds) valid for that whole local hour.
    cache: Cell<Option<(i64, i32)>>,
}

impl Zone {
    pub fn new(tz: jiff::tz::TimeZone) -> Self {
        Zone {
            tz,
            cache: Cell::new(None),
        }
    }

    pub fn utc() -> Self {
        Zone::new(jiff::tz::TimeZone::UTC)
    }

    /// A fixed offset east of UTC, in seconds.
    pub fn fixed(offset_secs: i32) -> Self {
        match jiff::tz::Offset::from_seconds(offset_secs) {
            Ok(o) => Zone::new(jiff::tz::TimeZone::fixed(o)),
            Err(_) => Zone::utc(),
        }
    }

    pub fn time_zone(&self) -> &jiff::tz::TimeZone {
        &self.tz
    }

    /// Converts a wall-clock time in this zone to UTC. In a DST gap or fold
    /// the earlier ("compatible") reading is taken, as most tools do.
    pub fn to_utc(&self, civil: &CivilDateTime) -> Option<Timestamp> {
        let as_utc = civil.assume_utc()?;
        let hour_key = as_utc.secs.div_euclid(3600);
        if let Some((key, offset)) = self.cache.get()
            && key == hour_key
        {
            return Some(Timestamp {
                secs: as_utc.secs - i64::from(offset),
                nanos: as_utc.nanos,
            });
        }
        let offset_at = |local_secs: i64| -> Option<i32> {
            let dt = jiff::civil::DateTime::new(
                i16::try_from(civil.year).ok()?,
                civil.month as i8,
                civil.day as i8,
                ((local_secs.rem_euclid(86_400)) / 3600) as i8,
                ((local_secs.rem_euclid(3600)) / 60) as i8,
                (local_secs.rem_euclid(60)) as i8,
                0,
            )
            .ok()?;
            let ts = self.tz.to_ambiguous_timestamp(dt).compatible().ok()?;
            Some((local_secs - ts.as_second()) as i32)
        };
        let start = hour_key * 3600;
        let offset = offset_at(as_utc.secs)?;
        // Cache only when the whole local hour has one offset.
        if offset_at(start) == Some(offset) && offset_at(start + 3599) == Some(offset) {
            self.cache.set(Some((hour_key, offset)));
        }
        Some(Timestamp {
            secs: as_utc.secs - i64::from(offset),
            nanos: as_utc.nanos,
        })
    }

    /// The wall-clock date and time of `ts` in this zone.
    pub fn to_civil(&self, ts: Timestamp) -> CivilDateTime {
        let offset = jiff::Timestamp::from_second(ts.secs)
            .map(|t| self.tz.to_offset(t).seconds())
            .unwrap_or(0);
        Timestamp {
            secs: ts.secs + i64::from(offset),
            nanos: ts.nanos,
        }
        .to_civil()
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone::utc()
    }
}

/// Picks the year of a year-less stamp (`Jan 15 10:30:45`) from the time the
/// log was read or written (`reference`): the year that puts the stamp
/// closest before the reference. A December line read in January belongs to
/// last year; a stamp up to a week in the future of the reference (clock
/// skew) stays in the reference year.
pub fn infer_year(month: u8, day: u8, reference: &CivilDateTime) -> i32 {
    let year = reference.year;
    let ahead = (month, day) > (reference.month, reference.day);
    if !ahead {
        return year;
    }
    // Ahead of the reference in the same year: by how many days?
    let stamp = days_from_civil(year, month, day.min(days_in_month(year, month)));
    let refd = days_from_civil(year, reference.month, reference.day);
    if stamp - refd <= 7 { year } else { year - 1 }
}

fn put2(buf: &mut [u8], v: u32) {
    buf[0] = b'0' + (v / 10 % 10) as u8;
    buf[1] = b'0' + (v % 10) as u8;
}

fn put4(buf: &mut [u8], v: u32) {
    buf[0] = b'0' + (v / 1000 % 10) as u8;
    buf[1] = b'0' + (v / 100 % 10) as u8;
    buf[2] = b'0' + (v / 10 % 10) as u8;
    buf[3] = b'0' + (v % 10) as u8;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339_prefix(s.as_bytes(), None)
            .unwrap()
            .0
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 59, 10_957, 19_737, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2024, 1, 15), 19_737);
    }

    #[test]
    fn rfc3339_output() {
        let mut out = Vec::new();
        Timestamp::from_secs(1_705_314_645).write_rfc3339(&mut out);
        assert_eq!(out, b"2024-01-15T10:30:45Z");
        out.clear();
        Timestamp {
            secs: 0,
            nanos: 120_000_000,
        }
        .write_rfc3339(&mut out);
        assert_eq!(out, b"1970-01-01T00:00:00.120Z");
    }

    #[test]
    fn rfc3339_input_variants() {
        assert_eq!(ts("2024-01-15T10:30:45Z").secs, 1_705_314_645);
        assert_eq!(ts("2024-01-15T11:30:45+01:00").secs, 1_705_314_645);
        assert_eq!(ts("2024-01-15T05:30:45-0500").secs, 1_705_314_645);
        assert_eq!(ts("2024-01-15 10:30:45").secs, 1_705_314_645);
        assert_eq!(ts("2024-01-15T10:30:45.123456+00:00").nanos, 123_456_000);
        assert!(Timestamp::parse_rfc3339_prefix(b"2024-13-15T10:30:45Z", None).is_none());
        assert!(Timestamp::parse_rfc3339_prefix(b"2024-02-30T10:30:45Z", None).is_none());
        assert!(Timestamp::parse_rfc3339_prefix(b"2024-01-15T25:30:45Z", None).is_none());
        assert!(Timestamp::parse_rfc3339_prefix(b"2024-01-1", None).is_none());
    }

    #[test]
    fn year_inference_rolls_over_new_year() {
        let jan = CivilDateTime {
            year: 2025,
            month: 1,
            day: 2,
            hour: 0,
            minute: 0,
            second: 0,
            nanos: 0,
        };
        assert_eq!(infer_year(12, 31, &jan), 2024);
        assert_eq!(infer_year(1, 1, &jan), 2025);
        assert_eq!(infer_year(1, 5, &jan), 2025, "a few days of skew stay");
        assert_eq!(infer_year(3, 1, &jan), 2024);
        let dec = CivilDateTime {
            month: 12,
            day: 31,
            ..jan
        };
        assert_eq!(infer_year(12, 30, &dec), 2025);
        assert_eq!(infer_year(1, 1, &dec), 2025);
    }

    #[test]
    fn zone_conversion_handles_dst() {
        let Ok(tz) = jiff::tz::TimeZone::get("Europe/Berlin") else {
            return; // no tzdb on this machine
        };
        let zone = Zone::new(tz);
        let winter = CivilDateTime {
            year: 2024,
            month: 1,
            day: 15,
            hour: 11,
            minute: 30,
            second: 45,
            nanos: 0,
        };
        assert_eq!(zone.to_utc(&winter).unwrap().secs, 1_705_314_645);
        let summer = CivilDateTime { month: 7, ..winter };
        let utc = CivilDateTime { hour: 9, ..summer }.assume_utc().unwrap();
        assert_eq!(zone.to_utc(&summer).unwrap(), utc);
        // Cached path gives the same answer.
        assert_eq!(zone.to_utc(&summer).unwrap(), utc);
        assert_eq!(zone.to_civil(utc).hour, 11);
    }

    #[test]
    fn fixed_zone() {
        let zone = Zone::fixed(-5 * 3600);
        let c = CivilDateTime {
            year: 2024,
            month: 1,
            day: 15,
            hour: 5,
            minute: 30,
            second: 45,
            nanos: 0,
        };
        assert_eq!(zone.to_utc(&c).unwrap().secs, 1_705_314_645);
    }
}
