//! Resolving the `--tz` option into a zone for the parsers.

use anyhow::{Context, bail};
use logsentinel_core::Zone;

/// `local`, `UTC`, an IANA name, or a fixed offset like `+02:00` / `-0500`.
pub fn resolve(name: &str) -> anyhow::Result<Zone> {
    let n = name.trim();
    if n.eq_ignore_ascii_case("local") {
        return Ok(Zone::new(jiff::tz::TimeZone::system()));
    }
    if n.eq_ignore_ascii_case("utc") || n == "Z" {
        return Ok(Zone::utc());
    }
    if let Some(secs) = parse_offset(n) {
        return Ok(Zone::fixed(secs));
    }
    if n.starts_with(['+', '-']) {
        bail!("--tz: bad offset '{n}' (expected e.g. +02:00 or -0500)");
    }
    let tz = jiff::tz::TimeZone::get(n).with_context(|| {
        format!("--tz: unknown time zone '{n}' (use local, UTC, an IANA name or +HH:MM)")
    })?;
    Ok(Zone::new(tz))
}

fn parse_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("+02:00"), Some(7200));
        assert_eq!(parse_offset("-0530"), Some(-(5 * 3600 + 30 * 60)));
        assert_eq!(parse_offset("+2"), None);
        assert!(resolve("UTC").is_ok());
        assert!(resolve("local").is_ok());
        assert!(resolve("Mars/Olympus").is_err());
        assert!(resolve("+99:00").is_err());
    }
}
