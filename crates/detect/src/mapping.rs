//! Sigma field names → ECS field names, as data (`rules/mapping.yml`).
//!
//! Rules written for other tools say `c-ip`, `cs-uri-query` or `EventID`;
//! LogSentinel's events say `source.ip`, `url.original`, `event.code`. The
//! mapping file is a flat YAML mapping `sigma_name: ecs.name`, applied by
//! the loader to every field of a rule (selections, `group-by`,
//! `suppress-by`, value_count `field`). Lookup is exact first, then ASCII
//! case-insensitive; names that are not in the mapping are used as is.

use std::collections::{HashMap, HashSet};

use crate::error::DetectError;
use crate::loader::yaml::{self, Kind};

/// The embedded `rules/mapping.yml`.
pub(crate) static BUILTIN_MAPPING: &str = include_str!("../../../rules/mapping.yml");

/// Sigma field name → ECS field name.
#[derive(Debug, Clone, Default)]
pub struct FieldMapping {
    exact: HashMap<String, String>,
    /// Keyed by the lowercased Sigma name.
    folded: HashMap<String, String>,
    /// Every ECS name something maps to (accepted as known fields).
    targets: HashSet<String>,
}

impl FieldMapping {
    /// The built-in mapping (`rules/mapping.yml`, embedded). A test makes
    /// sure it parses; should it ever not, the mapping is empty rather than
    /// a panic.
    pub fn builtin() -> FieldMapping {
        FieldMapping::from_yaml("builtin:mapping.yml", BUILTIN_MAPPING).unwrap_or_default()
    }

    /// Parses a mapping file; `file` names it in errors.
    pub fn from_yaml(file: &str, text: &str) -> Result<FieldMapping, DetectError> {
        let err = |line: usize, message: String| DetectError::rule(file, line, message);
        let docs = yaml::parse_documents(text).map_err(|e| err(e.line, e.message))?;
        let mut m = FieldMapping::default();
        let Some(doc) = docs.first() else {
            return Ok(m);
        };
        if let Some(extra) = docs.get(1) {
            return Err(err(
                extra.line,
                "a mapping file holds one YAML document".into(),
            ));
        }
        let Some(pairs) = doc.as_map() else {
            return Err(err(
                doc.line,
                format!(
                    "expected a mapping `sigma_name: ecs.name`, found {}",
                    doc.type_name()
                ),
            ));
        };
        let mut folded_lines: HashMap<String, (usize, String)> = HashMap::new();
        for (key, value) in pairs {
            let target = match &value.kind {
                Kind::Scalar { text, .. } if !value.is_null() => text.trim(),
                _ => {
                    return Err(err(
                        value.line,
                        format!(
                            "`{}` must map to one ECS field name, found {}",
                            key.text,
                            value.type_name()
                        ),
                    ));
                }
            };
            if target.is_empty() || target.contains(char::is_whitespace) {
                return Err(err(value.line, format!("`{target}` is not a field name")));
            }
            let lower = key.text.to_ascii_lowercase();
            if let Some((line, other)) = folded_lines.get(&lower) {
                if other != target {
                    return Err(err(
                        key.line,
                        format!(
                            "`{}` maps to `{target}` but a name differing only in case (line {line}) maps to `{other}`",
                            key.text
                        ),
                    ));
                }
            } else {
                folded_lines.insert(lower.clone(), (key.line, target.to_string()));
                m.folded.insert(lower, target.to_string());
            }
            m.exact.insert(key.text.clone(), target.to_string());
            m.targets.insert(target.to_string());
        }
        Ok(m)
    }

    /// The ECS name for `field`, or `field` itself when it is not mapped.
    pub fn map<'a>(&'a self, field: &'a str) -> &'a str {
        if let Some(t) = self.exact.get(field) {
            return t;
        }
        if field.bytes().any(|b| b.is_ascii_uppercase())
            && let Some(t) = self.folded.get(&field.to_ascii_lowercase())
        {
            return t;
        }
        self.folded.get(field).map_or(field, String::as_str)
    }

    /// Whether `ecs` is the target of some mapping entry.
    pub fn is_target(&self, ecs: &str) -> bool {
        self.targets.contains(ecs)
    }

    /// Number of Sigma names mapped.
    pub fn len(&self) -> usize {
        self.exact.len()
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }

    /// (Sigma name, ECS name) pairs, sorted by Sigma name.
    pub fn entries(&self) -> Vec<(&str, &str)> {
        let mut v: Vec<(&str, &str)> = self
            .exact
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        v.sort_unstable();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses_and_maps_the_contract_names() {
        let m = FieldMapping::from_yaml("mapping.yml", BUILTIN_MAPPING).unwrap();
        for (sigma, ecs) in [
            ("c-ip", "source.ip"),
            ("cs-uri-query", "url.original"),
            ("sc-status", "http.response.status_code"),
            ("cs-user-agent", "user_agent.original"),
            ("EventID", "event.code"),
            ("TargetUserName", "user.name"),
            ("IpAddress", "source.ip"),
        ] {
            assert_eq!(m.map(sigma), ecs, "{sigma}");
        }
        assert!(m.len() > 40);
        assert_eq!(FieldMapping::builtin().len(), m.len());
    }

    #[test]
    fn lookup_exact_then_case_insensitive_then_identity() {
        let m = FieldMapping::from_yaml("m.yml", "EventID: event.code\nc-ip: source.ip\n").unwrap();
        assert_eq!(m.map("EventID"), "event.code");
        assert_eq!(m.map("eventid"), "event.code");
        assert_eq!(m.map("EVENTID"), "event.code");
        assert_eq!(m.map("C-IP"), "source.ip");
        assert_eq!(m.map("user.name"), "user.name");
        assert!(m.is_target("event.code"));
        assert!(!m.is_target("EventID"));
        assert_eq!(m.entries()[0], ("EventID", "event.code"));
    }

    #[test]
    fn empty_file_is_an_empty_mapping() {
        assert!(
            FieldMapping::from_yaml("m.yml", "# nothing\n")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn malformed() {
        let cases = [
            ("a: b\nc: [x]\n", 2, "must map to one ECS field name"),
            ("a: b\nc:\n", 2, "must map to one ECS field name"),
            ("- a\n- b\n", 1, "expected a mapping"),
            ("a: b c\n", 1, "is not a field name"),
            ("A: x\na: y\n", 2, "differing only in case"),
            ("a: b\na: c\n", 2, "duplicate key"),
            ("a: b\n---\nc: d\n", 3, "one YAML document"),
        ];
        for (text, line, msg) in cases {
            match FieldMapping::from_yaml("m.yml", text) {
                Err(DetectError::Rule {
                    file,
                    line: l,
                    message,
                }) => {
                    assert_eq!(file, "m.yml");
                    assert_eq!(l, line, "{text:?}: {message}");
                    assert!(message.contains(msg), "{text:?}: {message}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
