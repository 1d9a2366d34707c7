//! The built-in rule set: every `rules/*.yml` of the repository (except
//! `mapping.yml`), embedded at compile time by `build.rs`, so the binary
//! needs no rule files on disk. Embedded files are named `builtin:NAME.yml`
//! in errors and in `RuleOrigin`.

use crate::loader::RuleSource;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The embedded rule files: (file name, YAML text), sorted by name.
pub fn files() -> &'static [(&'static str, &'static str)] {
    FILES
}

/// The embedded rule files as loader sources.
pub fn sources() -> Vec<RuleSource> {
    FILES
        .iter()
        .map(|(name, text)| RuleSource {
            name: format!("builtin:{name}"),
            text: (*text).to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::RuleSet;

    #[test]
    fn embedded_files_are_the_rule_files() {
        let names: Vec<&str> = files().iter().map(|(n, _)| *n).collect();
        assert!(!names.contains(&"mapping.yml"));
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for s in sources() {
            assert!(s.name.starts_with("builtin:"));
        }
    }

    #[test]
    fn builtin_rule_set_loads() {
        // Whatever rules are in the directory must load cleanly.
        match RuleSet::builtin() {
            Ok(set) => {
                let files = files().len();
                assert!(files == 0 || !set.rules.is_empty());
            }
            Err(errors) => {
                let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
                panic!("built-in rules do not load:\n{}", text.join("\n"));
            }
        }
    }
}
