//! The `re` modifier family: `re`, with `re|i` (case-insensitive), `re|m`
//! (multi-line) and `re|s` (dot matches newline). Rust's `regex` runs in
//! linear time, so hostile log lines cannot make a rule slow; look-around
//! and back-references are refused at load (they are not supported).

use regex::{Regex, RegexBuilder};

/// Flags set by the `i`, `m` and `s` sub-modifiers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ReFlags {
    pub case_insensitive: bool,
    pub multi_line: bool,
    pub dot_all: bool,
}

/// Compiles a rule's regular expression; the error is the reason.
pub(crate) fn compile(pattern: &str, flags: ReFlags) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(flags.case_insensitive)
        .multi_line(flags.multi_line)
        .dot_matches_new_line(flags.dot_all)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            // The regex error is multi-line (pattern, caret, reason); keep
            // the reason on one line.
            let text = e.to_string();
            let reason = text
                .lines()
                .rev()
                .find(|l| l.trim_start().starts_with("error:"))
                .map_or(text.as_str(), |l| l.trim_start())
                .to_string();
            format!("invalid regular expression `{pattern}`: {reason}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        let re = compile("^admin$", ReFlags::default()).unwrap();
        assert!(re.is_match("admin") && !re.is_match("ADMIN"));
        let ci = ReFlags {
            case_insensitive: true,
            ..ReFlags::default()
        };
        assert!(compile("^admin$", ci).unwrap().is_match("ADMIN"));
        let ml = ReFlags {
            multi_line: true,
            ..ReFlags::default()
        };
        assert!(compile("^b$", ml).unwrap().is_match("a\nb"));
        let s = ReFlags {
            dot_all: true,
            ..ReFlags::default()
        };
        assert!(compile("a.b", s).unwrap().is_match("a\nb"));
    }

    #[test]
    fn malformed() {
        let e = compile("(unclosed", ReFlags::default()).unwrap_err();
        assert!(
            e.starts_with("invalid regular expression `(unclosed`: error:"),
            "{e}"
        );
        assert!(!e.contains('\n'));
        assert!(compile(r"(?<=a)b", ReFlags::default()).is_err());
        assert!(compile(r"(a)\1", ReFlags::default()).is_err());
    }
}
