//! Every built-in rule is mapped to MITRE ATT&CK: at least one technique,
//! every technique and tactic known to the embedded ATT&CK table, a level,
//! a category; and the rule set as a whole covers the techniques the
//! built-in families are about.

use std::collections::BTreeSet;

use logsentinel_detect::attack;
use logsentinel_detect::loader::RuleSet;
use logsentinel_detect::rule::Rule;

fn builtin() -> RuleSet {
    match RuleSet::builtin() {
        Ok(set) => set,
        Err(errors) => {
            let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            panic!("built-in rules do not load:\n{}", text.join("\n"));
        }
    }
}

fn at(r: &Rule) -> String {
    format!("{} ({}:{})", r.name, r.origin.file, r.origin.line)
}

#[test]
fn every_rule_has_known_techniques_and_tactics() {
    let rules = builtin();
    let mut problems = Vec::new();
    for r in &rules.rules {
        if r.techniques.is_empty() {
            problems.push(format!("{}: no ATT&CK technique tag", at(r)));
        }
        for t in &r.techniques {
            match attack::technique(t) {
                None => problems.push(format!("{}: unknown technique {t}", at(r))),
                Some(tech) if tech.id != t.as_str() => problems.push(format!(
                    "{}: technique {t} is not written as {}",
                    at(r),
                    tech.id
                )),
                Some(_) => {}
            }
        }
        // Every `attack.tNNNN` tag must have become a technique.
        for tag in &r.tags {
            let lower = tag.to_ascii_lowercase();
            if let Some(rest) = lower.strip_prefix("attack.t")
                && rest.chars().next().is_some_and(|c| c.is_ascii_digit())
                && !r
                    .techniques
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(&lower[7..]))
            {
                problems.push(format!("{}: tag {tag} not among the techniques", at(r)));
            }
        }
        if r.tactics.is_empty() {
            problems.push(format!("{}: no ATT&CK tactic", at(r)));
        }
        for ta in &r.tactics {
            if attack::tactic(ta).is_none() {
                problems.push(format!("{}: unknown tactic {ta}", at(r)));
            }
        }
        // The tactics a rule names must fit its techniques, or the tag is
        // a typo (e.g. `attack.persistance`) or a mis-mapping.
        for tag in &r.tags {
            let Some(name) = tag.strip_prefix("attack.") else {
                continue;
            };
            // Techniques (t1110), groups (g0007) and software (s0002).
            let mut chars = name.chars();
            if matches!(chars.next(), Some('t' | 'g' | 's'))
                && chars.next().is_some_and(|c| c.is_ascii_digit())
            {
                continue;
            }
            match attack::tactic(name) {
                None => problems.push(format!(
                    "{}: tag {tag} is neither a technique nor a tactic",
                    at(r)
                )),
                Some(tactic) => {
                    let fits = r.techniques.iter().any(|t| {
                        attack::technique(t).is_some_and(|tech| tech.tactics.contains(&tactic.id))
                    });
                    if !fits {
                        problems.push(format!(
                            "{}: tactic {tag} fits none of its techniques {:?}",
                            at(r),
                            r.techniques
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rule_has_level_category_description_and_falsepositives() {
    let rules = builtin();
    let mut problems = Vec::new();
    for r in &rules.rules {
        if r.description.trim().is_empty() {
            problems.push(format!("{}: no description", at(r)));
        }
        if r.falsepositives.iter().all(|f| f.trim().is_empty()) {
            problems.push(format!("{}: no falsepositives", at(r)));
        }
        // Level and category are typed; check they are the ones the alert
        // contract lists (as_str round-trips).
        if logsentinel_detect::rule::Level::parse(r.level.as_str()) != Some(r.level) {
            problems.push(format!("{}: odd level", at(r)));
        }
        if logsentinel_detect::rule::RuleCategory::parse(r.category.as_str()) != Some(r.category) {
            problems.push(format!("{}: odd category", at(r)));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The families of the built-in set, by the techniques they must cover.
#[test]
fn builtin_set_covers_the_expected_techniques() {
    let rules = builtin();
    let covered: BTreeSet<&str> = rules
        .rules
        .iter()
        .filter(|r| r.enabled)
        .flat_map(|r| r.techniques.iter().map(String::as_str))
        .collect();
    let expected = [
        (
            "T1110.001",
            "password guessing (SSH, FTP, mail, HTTP, Windows)",
        ),
        ("T1110.003", "password spraying"),
        ("T1078", "login after brute force"),
        ("T1087", "user enumeration"),
        ("T1548.003", "sudo abuse"),
        ("T1136.001", "local account creation"),
        ("T1098.007", "privileged group membership"),
        ("T1070.001", "Windows event log cleared"),
        ("T1046", "port scans"),
    ];
    let missing: Vec<String> = expected
        .iter()
        .filter(|(t, _)| !covered.contains(t))
        .map(|(t, what)| format!("{t} ({what})"))
        .collect();
    assert!(
        missing.is_empty(),
        "techniques no alerting built-in rule covers: {}",
        missing.join(", ")
    );
}

/// Each alert category the built-in authentication and host families are
/// responsible for has at least one alerting rule.
#[test]
fn builtin_set_covers_the_auth_and_host_categories() {
    let rules = builtin();
    let have: BTreeSet<&str> = rules
        .rules
        .iter()
        .filter(|r| r.enabled)
        .map(|r| r.category.as_str())
        .collect();
    for want in [
        "brute_force",
        "password_spraying",
        "account_compromise",
        "user_enumeration",
        "privilege_escalation",
        "persistence",
        "defense_evasion",
        "port_scan",
    ] {
        assert!(have.contains(want), "no alerting rule of category {want}");
    }
}
