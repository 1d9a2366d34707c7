//! Showing attacker-controlled text on a terminal safely: control
//! characters (escape sequences could rewrite the screen) are escaped, and
//! long values are shortened.

use std::fmt::Write as _;

/// Escapes control characters as `\xNN` (`\t`, `\n`, `\r` as themselves
/// escaped) and cuts `s` to at most `max` characters, marking the cut.
pub fn for_terminal(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max) + 8);
    for (n, c) in s.chars().enumerate() {
        if n >= max {
            out.push('…');
            break;
        }
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            // Bidi overrides can disguise text; show them escaped too.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A value for `key=value` display: quoted when it has spaces or quotes.
pub fn kv_value(s: &str, max: usize) -> String {
    let v = for_terminal(s, max);
    if v.is_empty() || v.contains([' ', '"', '=']) {
        format!("\"{}\"", v.replace('"', "\\\""))
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(for_terminal("a\u{1b}[31mb", 100), "a\\x1b[31mb");
        assert_eq!(for_terminal("abcdef", 3), "abc…");
        assert_eq!(for_terminal("x\u{202e}y", 10), "x\\u{202e}y");
        assert_eq!(kv_value("a b", 10), "\"a b\"");
        assert_eq!(kv_value("ab", 10), "ab");
    }
}
