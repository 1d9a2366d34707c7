//! `DetectError`: what can go wrong when loading rules or applying
//! configuration. Rule errors carry `file:line` so a user can fix the rule
//! without guessing; the loader reports every error it finds, not just the
//! first.

/// An error of the detection crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetectError {
    /// A rule (or mapping) file is invalid at `file:line`.
    #[error("{file}:{line}: {message}")]
    Rule {
        file: String,
        line: usize,
        message: String,
    },
    /// The `[detection]` configuration is invalid.
    #[error("config: {0}")]
    Config(String),
}

impl DetectError {
    /// A rule error at `file:line`.
    pub fn rule(file: &str, line: usize, message: impl Into<String>) -> DetectError {
        DetectError::Rule {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_file_and_line() {
        let e = DetectError::rule("rules/ssh.yml", 12, "unknown modifier `contain`");
        assert_eq!(
            e.to_string(),
            "rules/ssh.yml:12: unknown modifier `contain`"
        );
        assert_eq!(DetectError::Config("bad".into()).to_string(), "config: bad");
    }
}
