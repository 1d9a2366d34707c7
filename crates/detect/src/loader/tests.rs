//! Loader tests: rule fields, correlations, and every refusal with its
//! `file:line`.

use std::time::Duration;

use super::correlation::parse_timespan;
use super::*;
use crate::rule::{CorrelationType, Threshold};

fn src(name: &str, text: &str) -> RuleSource {
    RuleSource {
        name: name.into(),
        text: text.into(),
    }
}

fn load(text: &str) -> Result<RuleSet, Vec<DetectError>> {
    RuleSet::load(&[src("r.yml", text)], &FieldMapping::builtin())
}

const SSH_FAILED: &str = "\
title: SSH failed login
id: 0b9f7c2e-1d4a-4c55-9a43-2f0b5b0e8a01
name: ssh_failed_login
status: stable
description: |
  A failed SSH login.
author: LogSentinel
date: 2024-01-15
references:
  - https://attack.mitre.org/techniques/T1110/
tags:
  - attack.credential_access
  - attack.t1110.001
logsource:
  product: linux
  service: sshd
category: brute_force
detection:
  selection:
    event.action: ssh_login
    event.outcome: failure
  condition: selection
falsepositives:
  - Users mistyping their password
level: low
samples:
  positive:
    - |
      Jan 15 10:00:00 web1 sshd[1]: Failed password for root from 203.0.113.7 port 22 ssh2
  negative:
    - |
      Jan 15 10:00:00 web1 sshd[1]: Accepted password for root from 203.0.113.7 port 22 ssh2
";

const SSH_BRUTE: &str = "\
title: SSH brute force
name: ssh_brute_force
category: brute_force
level: high
tags: [attack.t1110]
correlation:
  type: event_count
  rules: ssh_failed_login
  group-by: [c-ip]
  timespan: 5m
  condition:
    gte: 5
";

#[test]
fn a_full_rule_loads() {
    let set = load(SSH_FAILED).unwrap();
    let r = &set.rules[0];
    assert_eq!(r.title, "SSH failed login");
    assert_eq!(r.id, "0b9f7c2e-1d4a-4c55-9a43-2f0b5b0e8a01");
    assert_eq!(r.name, "ssh_failed_login");
    assert_eq!(r.description, "A failed SSH login.\n");
    assert_eq!(r.level, Level::Low);
    assert_eq!(r.category, RuleCategory::BruteForce);
    assert_eq!(r.techniques, vec!["T1110.001"]);
    assert_eq!(r.tactics, vec!["TA0006"]);
    assert_eq!(r.tags.len(), 2);
    assert_eq!(r.falsepositives, vec!["Users mistyping their password"]);
    assert_eq!(r.references.len(), 1);
    assert_eq!(r.samples.positive.len(), 1);
    assert!(r.samples.positive[0].contains("Failed password"));
    assert_eq!(r.samples.negative.len(), 1);
    assert_eq!(
        r.origin,
        RuleOrigin {
            file: "r.yml".into(),
            line: 1
        }
    );
    assert_eq!(r.suppress_by, vec!["source.ip", "user.name"]);
    assert!(r.correlation.is_none());
    assert!(r.enabled);
}

#[test]
fn correlations_resolve_and_disable_their_base_rules() {
    let text = format!("{SSH_FAILED}---\n{SSH_BRUTE}");
    let set = load(&text).unwrap();
    assert_eq!(set.rules.len(), 2);
    let c = set.rules[1].correlation.as_ref().unwrap();
    assert_eq!(c.kind, CorrelationType::EventCount);
    assert_eq!(c.rules, vec![0]);
    assert_eq!(c.group_by, vec!["source.ip"]);
    assert_eq!(c.timespan, Duration::from_secs(300));
    assert_eq!(c.threshold, Threshold::Gte(5));
    assert!(!c.generate);
    assert_eq!(set.rules[1].origin.line, 34);
    assert_eq!(set.rules[1].suppress_by, vec!["source.ip"]);
    // generate: false (the default) → the base rule does not alert itself.
    assert!(!set.rules[0].enabled);
    assert!(set.rules[1].enabled);
    // generate: true keeps it.
    let text = format!("{SSH_FAILED}---\n{SSH_BRUTE}  generate: true\n");
    let set = load(&text).unwrap();
    assert!(set.rules[0].enabled);
    assert!(set.rules[1].correlation.as_ref().unwrap().generate);
}

#[test]
fn correlation_kinds_and_thresholds() {
    let base = "title: b\nname: b\nlevel: low\ncategory: other\ndetection:\n  s:\n    user.name: x\n  condition: s\n---\n\
                title: b2\nname: b2\nlevel: low\ncategory: other\ndetection:\n  s:\n    user.name: y\n  condition: s\n---\n";
    let corr = |body: &str| {
        format!("{base}title: c\nname: c\nlevel: high\ncategory: other\ncorrelation:\n{body}")
    };
    let spec = |body: &str| {
        load(&corr(body))
            .unwrap_or_else(|e| panic!("{body}: {e:?}"))
            .rules[2]
            .correlation
            .clone()
            .unwrap()
    };
    let c = spec(
        "  type: value_count\n  rules: [b]\n  group-by: source.ip\n  timespan: 1h\n  condition:\n    field: TargetUserName\n    gt: 3\n",
    );
    assert_eq!(c.kind, CorrelationType::ValueCount);
    assert_eq!(c.field.as_deref(), Some("user.name"));
    assert_eq!(c.threshold, Threshold::Gt(3));
    assert_eq!(c.timespan, Duration::from_secs(3600));
    let c = spec(
        "  type: event_count\n  rules: [b, b2]\n  timespan: 30s\n  condition: {gte: 2, lt: 10}\n",
    );
    assert_eq!(c.threshold, Threshold::Range(2, 9));
    assert_eq!(c.rules, vec![0, 1]);
    assert!(c.group_by.is_empty());
    let c = spec("  type: event_count\n  rules: [b]\n  timespan: 1d\n  condition: {eq: 1}\n");
    assert_eq!(
        (c.threshold, c.timespan),
        (Threshold::Eq(1), Duration::from_secs(86_400))
    );
    let c = spec("  type: event_count\n  rules: [b]\n  timespan: 1d\n  condition: {lte: 4}\n");
    assert_eq!(c.threshold, Threshold::Lte(4));
    let c = spec(
        "  type: temporal_ordered\n  rules: [b2, b]\n  group-by: [user.name]\n  timespan: 10m\n",
    );
    assert_eq!(c.kind, CorrelationType::TemporalOrdered);
    assert_eq!(c.rules, vec![1, 0]);
    assert_eq!(c.threshold, Threshold::Gte(2));
    let c = spec("  type: temporal\n  rules: [b, b2]\n  timespan: 10m\n");
    assert_eq!(c.kind, CorrelationType::Temporal);
}

#[test]
fn correlations_chain() {
    // account compromise = brute force (a correlation) then a success.
    let text = format!(
        "{SSH_FAILED}---\n{SSH_BRUTE}---\n\
title: SSH login success
name: ssh_login_success
level: informational
category: other
detection:
  s:
    event.action: ssh_login
    event.outcome: success
  condition: s
---
title: Account compromise
name: account_compromise
level: critical
category: account_compromise
tags: [attack.initial_access, attack.t1078]
correlation:
  type: temporal_ordered
  rules: [ssh_brute_force, ssh_login_success]
  group-by: [source.ip]
  timespan: 10m
"
    );
    let set = load(&text).unwrap();
    let c = set.rules[3].correlation.as_ref().unwrap();
    assert_eq!(c.rules, vec![1, 2]);
    assert!(
        !set.rules[2].enabled,
        "the success rule only feeds the correlation"
    );
    assert!(
        set.rules[1].enabled,
        "a referenced correlation still alerts"
    );
    let r = &set.rules[3];
    assert_eq!(r.techniques, vec!["T1078"]);
    assert_eq!(r.tactics[0], "TA0001");
    assert!(
        r.tactics.len() > 1,
        "technique tactics are added: {:?}",
        r.tactics
    );
    let mut dedup = r.tactics.clone();
    dedup.dedup();
    assert_eq!(dedup.len(), r.tactics.len());
    // References by id work too.
    let by_id = text.replace(
        "rules: ssh_failed_login",
        "rules: 0b9f7c2e-1d4a-4c55-9a43-2f0b5b0e8a01",
    );
    assert_eq!(
        load(&by_id).unwrap().rules[1]
            .correlation
            .as_ref()
            .unwrap()
            .rules,
        vec![0]
    );
}

#[test]
fn find_by_id_name_or_title() {
    let set = load(&format!("{SSH_FAILED}---\n{SSH_BRUTE}")).unwrap();
    assert_eq!(set.find("ssh_brute_force"), Some(1));
    assert_eq!(set.find("SSH_FAILED_LOGIN"), Some(0));
    assert_eq!(set.find("0B9F7C2E-1D4A-4C55-9A43-2F0B5B0E8A01"), Some(0));
    assert_eq!(set.find("ssh brute force"), Some(1));
    assert_eq!(set.find("nope"), None);
    assert_eq!(set.find(""), None);
}

#[test]
fn rules_from_several_files_and_suppress_by() {
    let a = src("a.yml", SSH_FAILED);
    let b = src("dir/b.yml", SSH_BRUTE);
    let c = src(
        "c.yml",
        "title: c\nlevel: low\ncategory: other\nsuppress-by: [cs-username]\ndetection:\n  s: {user.name: x}\n  condition: s\n",
    );
    let set = RuleSet::load(&[a, b, c], &FieldMapping::builtin()).unwrap();
    assert_eq!(set.rules[1].origin.file, "dir/b.yml");
    assert_eq!(set.rules[1].correlation.as_ref().unwrap().rules, vec![0]);
    assert_eq!(set.rules[2].suppress_by, vec!["user.name"]);
    assert!(
        RuleSet::load(&[], &FieldMapping::default())
            .unwrap()
            .rules
            .is_empty()
    );
}

#[test]
fn explain_a_correlation() {
    let set = load(&format!("{SSH_FAILED}---\n{SSH_BRUTE}")).unwrap();
    let ev = Event::new(
        logsentinel_core::Format::Json,
        "x",
        logsentinel_core::Timestamp::from_secs(0),
    );
    let lines = set.explain(1, &ev);
    assert!(
        lines[0].contains("correlation rule (EventCount over [ssh_failed_login])"),
        "{lines:?}"
    );
}

/// The 1-based line of the last line of `text` containing `marker`.
fn line_of(text: &str, marker: &str) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(marker))
        .map(|(i, _)| i + 1)
        .last()
        .unwrap_or(0)
}

#[test]
fn a_standard_sigma_rule_without_category_gets_one_from_its_tags() {
    let rule = |tags: &str| {
        let text = format!(
            "title: t\nlevel: low\ntags: [{tags}]\ndetection:\n  s: {{user.name: x}}\n  condition: s\n"
        );
        match load(&text) {
            Ok(set) => set.rules[0].category,
            Err(e) => panic!("{tags}: {e:?}"),
        }
    };
    assert_eq!(
        rule("attack.credential_access, attack.t1110.001"),
        RuleCategory::BruteForce
    );
    assert_eq!(rule("attack.t1110.003"), RuleCategory::PasswordSpraying);
    assert_eq!(
        rule("attack.discovery, attack.t1046"),
        RuleCategory::PortScan
    );
    assert_eq!(
        rule("attack.privilege_escalation, attack.t1548.003"),
        RuleCategory::PrivilegeEscalation
    );
    assert_eq!(
        rule("attack.persistence, attack.t1136.001"),
        RuleCategory::Persistence
    );
    assert_eq!(
        rule("attack.execution, attack.t1059.001"),
        RuleCategory::Other
    );
    assert_eq!(rule("car.2016-04-005"), RuleCategory::Other);
}

/// Each case: rule text, a text on the offending line, part of the message.
#[test]
fn refusals_have_file_and_line() {
    let ok_head = "title: t\nlevel: low\ncategory: other\n";
    let det = |body: &str| format!("{ok_head}detection:\n{body}");
    let cases: Vec<(String, &str, &str)> = vec![
        (det("  s:\n    user.name|contain: x\n  condition: s\n"), "|contain", "unknown modifier `contain`"),
        (det("  s:\n    user.name|re: '(x'\n  condition: s\n"), "|re", "invalid regular expression"),
        (det("  s:\n    source.ip|cidr: 10.0.0.0/40\n  condition: s\n"), "|cidr", "invalid CIDR"),
        (det("  s:\n    user.name: x\n  condition: s and\n"), "condition", "ends too early"),
        (det("  s:\n    user.name: x\n  condition: s or t\n"), "condition", "undefined selection `t`"),
        (det("  s:\n    user.name: x\n  condition: s | count() > 5\n"), "condition", "aggregations"),
        (det("  s:\n    user.nam: x\n  condition: s\n"), "user.nam:", "unknown field `user.nam`"),
        (det("  s:\n    user.name: x\n"), "  s:", "no `condition`"),
        (det("  s:\n    user.name: []\n  condition: s\n"), "user.name", "empty list"),
        (det("  s:\n    user.name:\n      a: b\n  condition: s\n"), "a: b", "not a mapping"),
        (det("  s:\n    user.name|exists: maybe\n  condition: s\n"), "|exists", "true or false"),
        (det("  s:\n    http.response.status_code|gt: many\n  condition: s\n"), "|gt", "needs a number"),
        (det("  s:\n    user.name|contains: null\n  condition: s\n"), "|contains", "null only makes sense"),
        (det("  s:\n    process.command_line|base64|contains: 'a*'\n  condition: s\n"), "|base64", "wildcards cannot be used"),
        (det("  s:\n    process.command_line|base64offset: 'a'\n  condition: s\n"), "|base64", "must be followed by `contains`"),
        (det("  s:\n    user.name: x\n  timeframe: 5m\n  condition: s\n"), "timeframe", "`timeframe` is not supported"),
        (det("  s: ~\n  condition: s\n"), "  s:", "empty selection"),
        (det("  s:\n    - [a]\n  condition: s\n"), "[a]", "mappings or keywords"),
        ("level: low\ncategory: other\ndetection:\n  s: {user.name: x}\n  condition: s\n".into(), "level", "missing `title`"),
        ("title: t\ncategory: other\ndetection:\n  s: {user.name: x}\n  condition: s\n".into(), "title", "missing `level`"),
        ("title: t\nlevel: loud\ncategory: other\ndetection:\n  s: {user.name: x}\n  condition: s\n".into(), "loud", "invalid `level` `loud`"),
        ("title: t\nlevel: low\ncategory: bruteforce\ndetection:\n  s: {user.name: x}\n  condition: s\n".into(), "bruteforce", "invalid `category` `bruteforce`"),
        (format!("{ok_head}tags: [attack.t9999]\ndetection:\n  s: {{user.name: x}}\n  condition: s\n"), "tags", "unknown ATT&CK technique `T9999`"),
        (format!("{ok_head}tags: [attack.t1110.999]\ndetection:\n  s: {{user.name: x}}\n  condition: s\n"), "tags", "unknown ATT&CK technique `T1110.999`"),
        (format!("{ok_head}tags: [attack.credential_acces]\ndetection:\n  s: {{user.name: x}}\n  condition: s\n"), "tags", "unknown ATT&CK tactic"),
        (format!("{ok_head}name: SSH-Brute\ndetection:\n  s: {{user.name: x}}\n  condition: s\n"), "SSH-Brute", "snake_case"),
        (format!("{ok_head}catgory: x\ndetection:\n  s: {{user.name: x}}\n  condition: s\n"), "catgory", "unknown key `catgory`"),
        (ok_head.to_string(), "title", "missing `detection`"),
        (format!("{ok_head}suppress-by: [nope.field]\ndetection:\n  s: {{user.name: x}}\n  condition: s\n"), "suppress-by", "unknown field `nope.field`"),
        (format!("{ok_head}samples:\n  positives: [x]\ndetection:\n  s: {{user.name: x}}\n  condition: s\n"), "positives", "unknown key `positives`"),
        (format!("{ok_head}title: again\n"), "again", "duplicate key `title`"),
        ("title: t\nlevel: \"bad \\q escape\"\ncategory: other\n".into(), "bad", "invalid YAML"),
        ("- just\n- a list\n".into(), "just", "a rule must be a mapping"),
        (det("  s:\n    http.response.status_code|sqli: true\n  condition: s\n"), "|sqli", "needs a text field"),
        (det("  s:\n    source.ip|xss: true\n  condition: s\n"), "|xss", "needs a text field"),
        (det("  s:\n    url.decoded|sqli: maybe\n  condition: s\n"), "|sqli", "true or false"),
        (det("  s:\n    url.decoded|sqli: [true, false]\n  condition: s\n"), "|sqli", "takes one value"),
        (det("  s:\n    url.decoded|cidr: 10.0.0.0/8\n  condition: s\n"), "|cidr", "decoded text"),
        (det("  s:\n    url.query.decoded|gt: 5\n  condition: s\n"), "|gt", "decoded text"),
        (det("  s:\n    url.decode: x\n  condition: s\n"), "url.decode:", "unknown field `url.decode`"),
        (format!("{ok_head}suppress-by: [url.decoded]\ndetection:\n  s: {{user.name: x}}\n  condition: s\n"), "suppress-by", "only detections can match"),
    ];
    for (text, marker, msg) in cases {
        let line = line_of(&text, marker);
        let errors = match load(&text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e,
        };
        assert!(
            errors
                .iter()
                .any(|e| matches!(e, DetectError::Rule { file, line: l, message }
                if file == "r.yml" && *l == line && message.contains(msg))),
            "want r.yml:{line}: …{msg}… for\n{text}\ngot {:?}",
            errors.iter().map(|e| e.to_string()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn correlation_refusals() {
    let head = "title: c\nname: c\nlevel: high\ncategory: other\ncorrelation:\n";
    let base = "title: b\nname: b\nlevel: low\ncategory: other\ndetection:\n  s: {user.name: x}\n  condition: s\n---\n";
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!(
                "{base}{head}  type: event_count\n  rules: [nope]\n  timespan: 5m\n  condition: {{gte: 2}}\n"
            ),
            "[nope]",
            "unknown rule `nope`",
        ),
        (
            format!(
                "{base}{head}  type: count\n  rules: [b]\n  timespan: 5m\n  condition: {{gte: 2}}\n"
            ),
            "type:",
            "invalid correlation type `count`",
        ),
        (
            format!(
                "{base}{head}  type: event_count\n  rules: [b]\n  timespan: 5 minutes\n  condition: {{gte: 2}}\n"
            ),
            "timespan",
            "invalid timespan",
        ),
        (
            format!(
                "{base}{head}  type: event_count\n  rules: [b]\n  timespan: 0s\n  condition: {{gte: 2}}\n"
            ),
            "timespan",
            "longer than zero",
        ),
        (
            format!("{base}{head}  type: event_count\n  rules: [b]\n  timespan: 5m\n"),
            "type:",
            "needs a `condition`",
        ),
        (
            format!(
                "{base}{head}  type: event_count\n  rules: [b]\n  timespan: 5m\n  condition: {{above: 2}}\n"
            ),
            "above",
            "unknown condition `above`",
        ),
        (
            format!(
                "{base}{head}  type: value_count\n  rules: [b]\n  timespan: 5m\n  condition: {{gte: 2}}\n"
            ),
            "gte",
            "needs `field`",
        ),
        (
            format!(
                "{base}{head}  type: event_count\n  rules: [b]\n  timespan: 5m\n  condition: {{gte: 2, field: user.name}}\n"
            ),
            "gte",
            "only applies to value_count",
        ),
        (
            format!(
                "{base}{head}  type: value_count\n  rules: [b]\n  timespan: 5m\n  condition: {{gte: 2, field: nope}}\n"
            ),
            "gte",
            "unknown field `nope`",
        ),
        (
            format!(
                "{base}{head}  type: event_count\n  rules: [b]\n  group-by: [bad.field]\n  timespan: 5m\n  condition: {{gte: 2}}\n"
            ),
            "group-by",
            "unknown field `bad.field`",
        ),
        (
            format!("{base}{head}  type: temporal\n  rules: [b]\n  timespan: 5m\n"),
            "rules:",
            "at least two rules",
        ),
        (
            format!(
                "{base}{head}  type: event_count\n  rules: [b]\n  timespan: 5m\n  condition: {{gte: 2}}\n  aliases: [x]\n"
            ),
            "aliases",
            "`aliases` must map each alias name",
        ),
        (
            format!(
                "{base}{head}  type: event_count\n  rules: [b]\n  timespan: 5m\n  condition: {{gte: 2}}\n  generate: yes\n"
            ),
            "generate",
            "true or false",
        ),
        (
            format!(
                "{base}{head}  type: event_count\n  rules: [b]\n  timespan: 5m\n  condition: {{gte: 5, lte: 2}}\n"
            ),
            "lte",
            "range is empty",
        ),
        (
            format!(
                "{base}title: c\nname: c\nlevel: high\ncategory: other\nsuppress-by: [user.name]\ncorrelation:\n  type: event_count\n  rules: [b]\n  timespan: 5m\n  condition: {{gte: 2}}\n"
            ),
            "suppress-by",
            "`suppress-by` does not apply",
        ),
        (
            format!(
                "{base}title: c\nlevel: high\ncategory: other\ndetection:\n  s: {{user.name: x}}\n  condition: s\ncorrelation:\n  type: event_count\n"
            ),
            "type:",
            "not both",
        ),
        (
            format!("{base}{base}"),
            "name: b",
            "duplicate rule name `b` (first defined at r.yml:1)",
        ),
        (
            format!(
                "{head}  type: event_count\n  rules: [c]\n  timespan: 5m\n  condition: {{gte: 2}}\n"
            ),
            "rules:",
            "correlation cycle: c -> c",
        ),
        (
            format!(
                "{head}  type: event_count\n  rules: [d]\n  timespan: 5m\n  condition: {{gte: 2}}\n---\n\
             title: d\nname: d\nlevel: high\ncategory: other\ncorrelation:\n  type: event_count\n  rules: [c]\n  timespan: 5m\n  condition: {{gte: 2}}\n"
            ),
            "rules: [d]",
            "correlation cycle: c -> d -> c",
        ),
    ];
    for (text, marker, msg) in cases {
        let line = line_of(&text, marker);
        let errors = match load(&text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e,
        };
        assert!(
            errors
                .iter()
                .any(|e| matches!(e, DetectError::Rule { file, line: l, message }
                if file == "r.yml" && *l == line && message.contains(msg))),
            "want r.yml:{line}: …{msg}… for\n{text}\ngot {:?}",
            errors.iter().map(|e| e.to_string()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn all_errors_are_reported_and_do_not_cascade() {
    let text = "\
title: a
name: a
level: low
category: other
detection:
  s:
    user.name|bogus: x
  condition: s
---
title: b
level: loud
category: other
detection:
  s: {user.name: x}
  condition: s
---
title: c
level: high
category: other
correlation:
  type: event_count
  rules: [a]
  timespan: 5m
  condition: {gte: 2}
";
    let errors = load(text).unwrap_err();
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(text.len(), 2, "{text:?}");
    assert!(
        text[0].starts_with("r.yml:7: unknown modifier `bogus`"),
        "{text:?}"
    );
    assert!(text[1].starts_with("r.yml:11: invalid `level`"), "{text:?}");
}

#[test]
fn timespans() {
    assert_eq!(parse_timespan("30s"), Ok(Duration::from_secs(30)));
    assert_eq!(parse_timespan("5m"), Ok(Duration::from_secs(300)));
    assert_eq!(parse_timespan("6h"), Ok(Duration::from_secs(21_600)));
    assert_eq!(parse_timespan("1d"), Ok(Duration::from_secs(86_400)));
    for bad in ["", "m", "5", "5x", "-5m", "99999999999999999999m", "1.5h"] {
        assert!(parse_timespan(bad).is_err(), "{bad}");
    }
}

#[test]
fn long_correlation_chains_are_fine() {
    let mut text = String::from(
        "title: b\nname: c0\nlevel: low\ncategory: other\ndetection:\n  s: {user.name: x}\n  condition: s\n",
    );
    for i in 1..3000 {
        text.push_str(&format!(
            "---\ntitle: c{i}\nname: c{i}\nlevel: low\ncategory: other\ncorrelation:\n  type: event_count\n  rules: [c{}]\n  timespan: 5m\n  condition: {{gte: 2}}\n",
            i - 1
        ));
    }
    let set = load(&text).unwrap();
    assert_eq!(set.rules.len(), 3000);
    // Closing the chain into a loop is one error, not a stack overflow.
    let looped = text.replacen("rules: [c0]", "rules: [c2999]", 1);
    let errors = load(&looped).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .to_string()
            .ends_with("correlation cycle: c1 -> c2999 -> c2998 -> c2997 -> c2996 -> c2995 -> ... -> c3 -> c2 -> c1"),
        "{errors:?}"
    );
}
