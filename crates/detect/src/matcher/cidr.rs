//! The `cidr` modifier: the field is an IP address inside the network.
//! Values are `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or
//! /128). The field may be an IP (`source.ip`) or text holding one (JSON
//! extras), read leniently like the parsers do.

use std::net::IpAddr;

use ipnet::IpNet;
use logsentinel_core::FieldValue;

pub(crate) fn parse(value: &str) -> Result<IpNet, String> {
    let v = value.trim();
    if let Ok(net) = v.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    if let Ok(ip) = v.parse::<IpAddr>() {
        return Ok(IpNet::from(ip));
    }
    Err(format!(
        "invalid CIDR `{value}` (expected e.g. 10.0.0.0/8 or 2001:db8::/32)"
    ))
}

/// The field value as an address, if it is one.
pub(crate) fn ip_of(v: FieldValue<'_>) -> Option<IpAddr> {
    match v {
        FieldValue::Ip(ip) => Some(ip),
        FieldValue::Str(s) => logsentinel_core::net::parse_ip(s),
        FieldValue::Json(serde_json::Value::String(s)) => logsentinel_core::net::parse_ip(s),
        _ => None,
    }
}

pub(crate) fn contains(net: &IpNet, v: FieldValue<'_>) -> bool {
    ip_of(v).is_some_and(|ip| net.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let ip = |s: &str| FieldValue::Ip(s.parse().unwrap());
        let cases = [
            ("10.0.0.0/8", ip("10.1.2.3"), true),
            ("10.0.0.0/8", ip("11.1.2.3"), false),
            ("10.1.2.3/8", ip("10.200.0.1"), true), // host bits ignored
            ("192.168.1.5", ip("192.168.1.5"), true),
            ("192.168.1.5", ip("192.168.1.6"), false),
            ("2001:db8::/32", ip("2001:db8:1::1"), true),
            ("2001:db8::/32", ip("10.0.0.1"), false),
            ("10.0.0.0/8", FieldValue::Str("10.9.9.9"), true),
            ("10.0.0.0/8", FieldValue::Str("[10.9.9.9]:443"), true),
            ("10.0.0.0/8", FieldValue::Str("not an ip"), false),
            ("10.0.0.0/8", FieldValue::Int(10), false),
        ];
        for (net, v, want) in cases {
            assert_eq!(contains(&parse(net).unwrap(), v), want, "{net} {v:?}");
        }
    }

    #[test]
    fn malformed() {
        for bad in ["10.0.0.0/33", "10.0.0", "", "fe80::/129", "x/8"] {
            let e = parse(bad).unwrap_err();
            assert!(e.starts_with("invalid CIDR"), "{e}");
        }
    }
}
