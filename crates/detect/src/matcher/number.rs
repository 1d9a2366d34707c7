//! Numeric comparisons: `lt`, `lte`, `gt`, `gte`. The rule value is a
//! number (decimal, or `0x` hexadecimal); the field is an integer field, a
//! JSON number, or text holding a number. Anything else never matches.

use logsentinel_core::FieldValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl Cmp {
    pub fn as_str(self) -> &'static str {
        match self {
            Cmp::Lt => "lt",
            Cmp::Lte => "lte",
            Cmp::Gt => "gt",
            Cmp::Gte => "gte",
        }
    }

    pub fn holds(self, field: f64, value: f64) -> bool {
        match self {
            Cmp::Lt => field < value,
            Cmp::Lte => field <= value,
            Cmp::Gt => field > value,
            Cmp::Gte => field >= value,
        }
    }
}

/// Parses a number as written in a rule or a log.
pub(crate) fn parse(s: &str) -> Option<f64> {
    let t = s.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        let v = u64::from_str_radix(hex, 16).ok()? as f64;
        return Some(if neg { -v } else { v });
    }
    // Plain decimal only: "inf", "NaN" and the like are not numbers here.
    if !digits
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        || !digits
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.')
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The field value as a number, if it is one.
pub(crate) fn of(v: FieldValue<'_>) -> Option<f64> {
    match v {
        FieldValue::Int(i) => Some(i as f64),
        FieldValue::Str(s) => parse(s),
        FieldValue::Json(serde_json::Value::Number(n)) => n.as_f64(),
        FieldValue::Json(serde_json::Value::String(s)) => parse(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        for (s, want) in [
            ("401", Some(401.0)),
            (" -3 ", Some(-3.0)),
            ("+7", Some(7.0)),
            ("1.5", Some(1.5)),
            ("1e3", Some(1000.0)),
            ("0x10", Some(16.0)),
            ("0XfF", Some(255.0)),
            ("", None),
            ("inf", None),
            ("NaN", None),
            ("12abc", None),
            ("0x", None),
            ("e5", None),
        ] {
            assert_eq!(parse(s), want, "{s:?}");
        }
    }

    #[test]
    fn compare_fields() {
        let j = serde_json::json!(2.5);
        assert!(Cmp::Gte.holds(of(FieldValue::Int(500)).unwrap(), 500.0));
        assert!(!Cmp::Gt.holds(of(FieldValue::Int(500)).unwrap(), 500.0));
        assert!(Cmp::Lt.holds(of(FieldValue::Json(&j)).unwrap(), 3.0));
        assert!(Cmp::Lte.holds(of(FieldValue::Str("3")).unwrap(), 3.0));
        assert_eq!(of(FieldValue::Str("n/a")), None);
        assert_eq!(of(FieldValue::Ip("10.0.0.1".parse().unwrap())), None);
    }
}
