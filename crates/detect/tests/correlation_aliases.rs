//! Sigma correlation `aliases`: a group-by name that is one field in the
//! events of one referenced rule and another field in the events of
//! another (the specification's own example: a server error answered to
//! an address, then a connection from the server back to that address).

use std::sync::Arc;

use logsentinel_core::{Format, FormatState, LineParser, ParseCtx, Timestamp};
use logsentinel_detect::alert::Alert;
use logsentinel_detect::config::DetectConfig;
use logsentinel_detect::engine::Engine;
use logsentinel_detect::loader::{RuleSet, RuleSource};
use logsentinel_detect::mapping::FieldMapping;

const RULES: &str = "\
title: Internal server error
name: internal_error
category: other
level: low
detection:
  selection:
    http.response.status_code: 500
  condition: selection
---
title: New network connection
name: new_network_connection
category: other
level: low
detection:
  selection:
    event.category: network
    event.outcome: success
  condition: selection
---
title: Error followed by a connection back to the client
name: error_then_callback
category: other
level: high
correlation:
  type: temporal
  rules:
    - internal_error
    - new_network_connection
  group-by:
    - internal_ip
    - remote_ip
  timespan: 10s
  aliases:
    internal_ip:
      internal_error: destination.ip
      new_network_connection: source.ip
    remote_ip:
      internal_error: source.ip
      new_network_connection: destination.ip
";

fn rules(text: &str) -> Arc<RuleSet> {
    let src = RuleSource {
        name: "aliases.yml".into(),
        text: text.into(),
    };
    match RuleSet::load(&[src], &FieldMapping::builtin()) {
        Ok(set) => Arc::new(set),
        Err(errors) => {
            let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            panic!("rules do not load:\n{}", text.join("\n"));
        }
    }
}

fn run(set: &Arc<RuleSet>, lines: &[&str]) -> Vec<Alert> {
    let ctx = ParseCtx::utc(Timestamp::from_secs(1_705_363_200));
    let parser = LineParser::auto(Format::Json, ctx);
    let state = FormatState::default();
    let mut engine = match Engine::new(Arc::clone(set), &DetectConfig::default()) {
        Ok(e) => e,
        Err(e) => panic!("engine: {e}"),
    };
    for line in lines {
        engine.process(&parser.parse(line, &state));
    }
    engine.finish().0
}

const ERROR_TO_CLIENT: &str = r#"{"@timestamp":"2024-01-15T10:00:00Z","http":{"response":{"status_code":500}},"source":{"ip":"198.51.100.7"},"destination":{"ip":"10.0.0.5"}}"#;
const CALLBACK: &str = r#"{"@timestamp":"2024-01-15T10:00:04Z","event":{"category":"network","outcome":"success"},"source":{"ip":"10.0.0.5"},"destination":{"ip":"198.51.100.7","port":4444}}"#;
const OTHER_CONNECTION: &str = r#"{"@timestamp":"2024-01-15T10:00:04Z","event":{"category":"network","outcome":"success"},"source":{"ip":"10.0.0.5"},"destination":{"ip":"203.0.113.80","port":443}}"#;
const LATE_CALLBACK: &str = r#"{"@timestamp":"2024-01-15T10:00:30Z","event":{"category":"network","outcome":"success"},"source":{"ip":"10.0.0.5"},"destination":{"ip":"198.51.100.7","port":4444}}"#;

fn of_rule<'a>(alerts: &'a [Alert], name: &str) -> Vec<&'a Alert> {
    alerts.iter().filter(|a| a.rule_name == name).collect()
}

#[test]
fn aliases_resolve_to_each_rules_field() {
    let set = rules(RULES);
    let Some(c) = set
        .rules
        .iter()
        .find(|r| r.name == "error_then_callback")
        .and_then(|r| r.correlation.as_ref())
    else {
        panic!("no correlation");
    };
    let index = |name: &str| set.rules.iter().position(|r| r.name == name);
    let (Some(err), Some(conn)) = (index("internal_error"), index("new_network_connection")) else {
        panic!("referenced rules missing");
    };
    assert_eq!(c.group_by, vec!["internal_ip", "remote_ip"]);
    let internal = c.aliases.iter().find(|a| a.name == "internal_ip");
    let Some(internal) = internal else {
        panic!("alias internal_ip missing");
    };
    assert_eq!(internal.field_for(err), "destination.ip");
    assert_eq!(internal.field_for(conn), "source.ip");
}

#[test]
fn events_correlate_through_the_aliased_fields() {
    let set = rules(RULES);
    let alerts = run(&set, &[ERROR_TO_CLIENT, CALLBACK]);
    let hits = of_rule(&alerts, "error_then_callback");
    assert_eq!(hits.len(), 1, "{alerts:?}");
    assert_eq!(hits[0].count, 2);
    // A connection to another address, or one outside the timespan, is
    // not the callback.
    for second in [OTHER_CONNECTION, LATE_CALLBACK] {
        let alerts = run(&set, &[ERROR_TO_CLIENT, second]);
        assert!(
            of_rule(&alerts, "error_then_callback").is_empty(),
            "{second}"
        );
    }
}

#[test]
fn without_aliases_the_same_fields_must_match_and_these_events_do_not() {
    let plain = RULES
        .replace(
            "  group-by:\n    - internal_ip\n    - remote_ip\n",
            "  group-by:\n    - source.ip\n",
        )
        .split("  aliases:")
        .next()
        .map(str::to_string)
        .unwrap_or_default();
    let set = rules(&plain);
    let alerts = run(&set, &[ERROR_TO_CLIENT, CALLBACK]);
    assert!(of_rule(&alerts, "error_then_callback").is_empty());
}

#[test]
fn bad_aliases_are_refused_with_their_line() {
    let cases = [
        (
            RULES.replace(
                "      new_network_connection: source.ip\n",
                "      no_such_rule: source.ip\n",
            ),
            "unknown rule `no_such_rule`",
        ),
        (
            RULES.replace(
                "      new_network_connection: source.ip\n",
                "      error_then_callback: source.ip\n",
            ),
            "does not reference",
        ),
        (
            RULES.replace("      internal_error: destination.ip\n", "      internal_error: no.such.field\n"),
            "unknown field `no.such.field`",
        ),
        (
            RULES.replace("    - remote_ip\n", ""),
            "alias `remote_ip` is not used in `group-by`",
        ),
        (RULES.replace("    internal_ip:\n      internal_error: destination.ip\n      new_network_connection: source.ip\n", "    internal_ip: destination.ip\n"), "must map rule names to field names"),
    ];
    for (text, want) in cases {
        let src = RuleSource {
            name: "aliases.yml".into(),
            text: text.clone(),
        };
        let errors = match RuleSet::load(&[src], &FieldMapping::builtin()) {
            Ok(_) => panic!("loaded, expected `{want}`"),
            Err(e) => e,
        };
        let all: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert!(
            all.iter()
                .any(|e| e.contains(want) && e.starts_with("aliases.yml:")),
            "want `{want}` with file:line, got {all:?}"
        );
    }
}
