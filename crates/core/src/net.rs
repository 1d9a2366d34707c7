//! Reading IP addresses as logs write them: with brackets, ports, IPv4-mapped
//! IPv6 (`::ffff:1.2.3.4`), leading zeros (`192.030.0.6`) and trailing
//! punctuation.

use std::net::{IpAddr, Ipv4Addr};

/// Parses an address token leniently. Accepts `1.2.3.4`, `[::1]`,
/// `[2001:db8::1]:443`, `1.2.3.4:5555`, `::ffff:1.2.3.4` (returned as IPv4),
/// `192.030.0.6` (leading zeros read as decimal), and ignores trailing
/// `,;.)]>'"`. Returns `None` for anything else, including host names.
pub fn parse_ip(token: &str) -> Option<IpAddr> {
    // The common case first: a bare dotted quad (which no trimming below
    // would change).
    if let Some(v4) = parse_v4_lenient(token) {
        return Some(IpAddr::V4(v4));
    }
    let t = token.trim_end_matches([',', ';', '.', ')', '>', '\'', '"', ']', ':']);
    let t = t.trim_start_matches(['(', '<', '\'', '"']);
    let t = t.strip_prefix('[').unwrap_or(t);
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    let first = t.as_bytes()[0];
    if !(first.is_ascii_hexdigit() || first == b':') {
        return None;
    }
    // `[v6]:port` or `v6]` leftovers.
    let t = match t.find(']') {
        Some(i) => &t[..i],
        None => t,
    };
    if let Some(v4) = parse_v4_lenient(t) {
        return Some(IpAddr::V4(v4));
    }
    // IPv4 with a port.
    if let Some((host, port)) = t.rsplit_once(':')
        && !host.contains(':')
        && port.bytes().all(|b| b.is_ascii_digit())
        && let Some(v4) = parse_v4_lenient(host)
    {
        return Some(IpAddr::V4(v4));
    }
    if t.contains(':') {
        let t = t.split('%').next().unwrap_or(t); // zone index
        if let Ok(v6) = t.parse::<std::net::Ipv6Addr>() {
            return Some(match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(v6),
            });
        }
    }
    None
}

/// Dotted-quad IPv4 where each part is 1–3 decimal digits ≤ 255.
pub fn parse_v4_lenient(s: &str) -> Option<Ipv4Addr> {
    let b = s.as_bytes();
    if b.len() < 7 || b.len() > 15 {
        return None;
    }
    let mut parts = [0u8; 4];
    let mut idx = 0;
    let mut val: u32 = 0;
    let mut digits = 0;
    for &c in b {
        if c.is_ascii_digit() {
            val = val * 10 + u32::from(c - b'0');
            digits += 1;
            if digits > 3 || val > 255 {
                return None;
            }
        } else if c == b'.' {
            if digits == 0 || idx >= 3 {
                return None;
            }
            parts[idx] = val as u8;
            idx += 1;
            val = 0;
            digits = 0;
        } else {
            return None;
        }
    }
    if idx != 3 || digits == 0 {
        return None;
    }
    parts[3] = val as u8;
    Some(Ipv4Addr::from(parts))
}

/// Whether a token looks like a DNS host name (letters, digits, `-`, `.`,
/// with at least one dot and one letter), as logs give for unresolved peers.
pub fn looks_like_hostname(s: &str) -> bool {
    let s = s.trim_end_matches('.');
    !s.is_empty()
        && s.len() <= 253
        && s.contains('.')
        && s.bytes().any(|b| b.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
        && !s.starts_with(['.', '-'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<String> {
        parse_ip(s).map(|i| i.to_string())
    }

    #[test]
    fn variants() {
        assert_eq!(ip("1.2.3.4").as_deref(), Some("1.2.3.4"));
        assert_eq!(ip("192.030.0.6").as_deref(), Some("192.30.0.6"));
        assert_eq!(ip("::ffff:1.2.3.4").as_deref(), Some("1.2.3.4"));
        assert_eq!(ip("[2001:db8::1]:443").as_deref(), Some("2001:db8::1"));
        assert_eq!(ip("1.2.3.4:5555").as_deref(), Some("1.2.3.4"));
        assert_eq!(ip("1.2.3.4,").as_deref(), Some("1.2.3.4"));
        assert_eq!(ip("(1.2.3.4)").as_deref(), Some("1.2.3.4"));
        assert_eq!(ip("[1.2.3.4]").as_deref(), Some("1.2.3.4"));
        assert_eq!(ip("fe80::1%eth0").as_deref(), Some("fe80::1"));
        assert_eq!(
            ip("aaaa:bbbb:cccc:1234::1:1").as_deref(),
            Some("aaaa:bbbb:cccc:1234::1:1")
        );
    }

    #[test]
    fn rejects() {
        for s in [
            "",
            "1.2.3",
            "1.2.3.256",
            "1.2.3.4.5",
            "example.com",
            "abc",
            "1..2.3",
            "::::::::::",
        ] {
            assert_eq!(ip(s), None, "{s}");
        }
    }

    #[test]
    fn hostnames() {
        assert!(looks_like_hostname("example.com"));
        assert!(looks_like_hostname("mail.example.co.uk."));
        assert!(!looks_like_hostname("1.2.3.4"));
        assert!(!looks_like_hostname("root"));
    }
}
