//! MITRE ATT&CK® Enterprise, offline: every technique and tactic (id, name,
//! tactics, URL), embedded from `data/` (extracted from MITRE's STIX data;
//! see `data/README.md`). ATT&CK is a registered trademark of The MITRE
//! Corporation, credited as the source of this table.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The ATT&CK release the table was built from.
pub const ATTACK_VERSION: &str = "18.0";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Technique {
    /// `T1110` or `T1110.001`.
    pub id: &'static str,
    pub name: &'static str,
    /// Tactic ids (`TA0006`).
    pub tactics: Vec<&'static str>,
    pub url: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tactic {
    /// `TA0006`.
    pub id: &'static str,
    pub name: &'static str,
    /// Kill-chain phase name, e.g. `credential-access`.
    pub shortname: &'static str,
    pub url: &'static str,
}

struct Table {
    techniques: HashMap<&'static str, Technique>,
    tactics: Vec<Tactic>,
}

static TECHNIQUES_CSV: &str = include_str!("../data/attack-techniques.csv");
static TACTICS_CSV: &str = include_str!("../data/attack-tactics.csv");

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut techniques = HashMap::new();
    // The technique table has no quoted fields except names with commas,
    // which are quoted; split on the first comma and the last two.
    for line in TECHNIQUES_CSV.lines().skip(1) {
        let Some((id, rest)) = line.split_once(',') else {
            continue;
        };
        let Some((rest, url)) = rest.rsplit_once(',') else {
            continue;
        };
        let Some((name, tactics)) = rest.rsplit_once(',') else {
            continue;
        };
        let name = name.trim_matches('"');
        techniques.insert(
            id,
            Technique {
                id,
                name,
                tactics: tactics.split('|').filter(|t| !t.is_empty()).collect(),
                url,
            },
        );
    }
    let mut tactics = Vec::new();
    for line in TACTICS_CSV.lines().skip(1) {
        let parts: Vec<&'static str> = line.split(',').collect();
        if let [id, name, shortname, url] = parts[..] {
            tactics.push(Tactic {
                id,
                name,
                shortname,
                url,
            });
        }
    }
    Table {
        techniques,
        tactics,
    }
});

/// A technique by id (`T1110.001`, any case).
pub fn technique(id: &str) -> Option<&'static Technique> {
    let id = id.trim();
    TABLE.techniques.get(id).or_else(|| {
        let upper = id.to_ascii_uppercase();
        TABLE.techniques.get(upper.as_str())
    })
}

/// A tactic by id (`TA0006`), by name (`Credential Access`) or by Sigma tag
/// form (`credential_access` / `credential-access`).
pub fn tactic(key: &str) -> Option<&'static Tactic> {
    let k = key.trim().to_ascii_lowercase().replace([' ', '_'], "-");
    TABLE.tactics.iter().find(|t| {
        t.id.eq_ignore_ascii_case(&k)
            || t.shortname == k
            || t.name.to_ascii_lowercase().replace(' ', "-") == k
    })
}

/// Every tactic, in kill-chain order.
pub fn tactics() -> &'static [Tactic] {
    &TABLE.tactics
}

/// Number of techniques in the table.
pub fn technique_count() -> usize {
    TABLE.techniques.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete() {
        assert_eq!(technique_count(), 691);
        assert_eq!(tactics().len(), 14);
        let t = technique("T1110.001").unwrap();
        assert_eq!(t.name, "Password Guessing");
        assert_eq!(t.tactics, vec!["TA0006"]);
        assert!(t.url.ends_with("/T1110/001"));
        assert_eq!(
            technique("t1190").unwrap().name,
            "Exploit Public-Facing Application"
        );
        assert!(technique("T9999").is_none());
    }

    #[test]
    fn tactic_lookup_forms() {
        assert_eq!(tactic("TA0006").unwrap().name, "Credential Access");
        assert_eq!(tactic("credential_access").unwrap().id, "TA0006");
        assert_eq!(tactic("Privilege Escalation").unwrap().id, "TA0004");
        assert!(tactic("nope").is_none());
    }

    #[test]
    fn names_with_commas_survive() {
        // Every technique has a non-empty name and at least one tactic.
        for t in TABLE.techniques.values() {
            assert!(!t.name.is_empty() && !t.tactics.is_empty(), "{t:?}");
            assert!(t.url.starts_with("https://attack.mitre.org/"), "{t:?}");
        }
    }
}
