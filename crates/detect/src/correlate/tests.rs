//! Correlation tests on hand-built rules and signals (no matcher involved).

use std::sync::Arc;
use std::time::Duration;

use logsentinel_core::Timestamp;

use super::{Correlator, Plan, Settings};
use crate::alert::{Alert, Evidence, Severity};
use crate::rule::{
    CorrelationSpec, CorrelationType, Level, Rule, RuleCategory, RuleOrigin, Samples, Threshold,
};
use crate::signal::Signal;

const T0: i64 = 1_705_314_600; // 2024-01-15T10:30:00Z

fn detection(name: &str, enabled: bool) -> Rule {
    Rule {
        id: format!("id-{name}"),
        name: name.to_string(),
        title: format!("Title {name}"),
        description: format!("About {name}"),
        level: Level::Low,
        category: RuleCategory::BruteForce,
        techniques: vec!["T1110.001".into()],
        tactics: vec!["TA0006".into()],
        tags: Vec::new(),
        falsepositives: Vec::new(),
        references: Vec::new(),
        samples: Samples::default(),
        origin: RuleOrigin {
            file: "test.yml".into(),
            line: 1,
        },
        correlation: None,
        suppress_by: vec!["source.ip".into(), "user.name".into()],
        enabled,
    }
}

fn correlation(
    name: &str,
    kind: CorrelationType,
    refs: &[usize],
    group_by: &[&str],
    span_secs: u64,
    threshold: Threshold,
    field: Option<&str>,
) -> Rule {
    let mut r = detection(name, true);
    r.level = Level::High;
    r.correlation = Some(CorrelationSpec {
        kind,
        rules: refs.to_vec(),
        group_by: group_by.iter().map(|s| (*s).to_string()).collect(),
        aliases: Vec::new(),
        timespan: Duration::from_secs(span_secs),
        threshold,
        field: field.map(str::to_string),
        generate: false,
    });
    r
}

struct H {
    rules: Vec<Rule>,
    plan: Arc<Plan>,
    c: Correlator,
    line: u64,
}

impl H {
    fn new(rules: Vec<Rule>) -> H {
        H::with(rules, 600, 100_000)
    }

    fn with(rules: Vec<Rule>, suppression_secs: u64, max_keys: usize) -> H {
        let plan = Arc::new(Plan::new(&rules));
        let c = Correlator::new(
            &rules,
            Arc::clone(&plan),
            Settings {
                suppression: Duration::from_secs(suppression_secs),
                max_keys,
            },
        );
        H {
            rules,
            plan,
            c,
            line: 0,
        }
    }

    fn idx(&self, name: &str) -> usize {
        self.rules.iter().position(|r| r.name == name).unwrap()
    }

    /// A match of detection rule `rule` at T0 + `secs`.
    fn push(&mut self, rule: &str, secs: i64, kv: &[(&str, &str)]) {
        self.push_ms(rule, (T0 + secs) * 1000, kv);
    }

    fn push_ms(&mut self, rule: &str, ms: i64, kv: &[(&str, &str)]) {
        self.line += 1;
        let ts = Timestamp::from_millis(ms);
        let data = self.plan.fields.capture_values(
            kv,
            Evidence {
                file: Some("auth.log".into()),
                line: Some(self.line),
                message: format!("line {} {rule} {kv:?}", self.line),
                timestamp: ts,
            },
        );
        let r = self.idx(rule);
        self.c.push(Signal::new(r, ts, data));
    }

    fn new_alerts(&mut self) -> Vec<Alert> {
        self.c.take_new(&self.rules)
    }

    fn finish(self) -> Vec<Alert> {
        self.c.finish(&self.rules)
    }
}

fn ip(v: &str) -> [(&'static str, &str); 1] {
    [("source.ip", v)]
}

/// `fail` (feeds only) → `brute` = event_count ≥ 5 in 5 min by source.ip.
fn brute_force_rules() -> Vec<Rule> {
    vec![
        detection("fail", false),
        correlation(
            "brute",
            CorrelationType::EventCount,
            &[0],
            &["source.ip"],
            300,
            Threshold::Gte(5),
            None,
        ),
    ]
}

#[test]
fn event_count_fires_at_the_threshold_within_the_window() {
    let mut h = H::new(brute_force_rules());
    for i in 0..4 {
        h.push(
            "fail",
            i * 10,
            &[("source.ip", "203.0.113.7"), ("user.name", "root")],
        );
    }
    assert!(h.new_alerts().is_empty());
    h.push(
        "fail",
        40,
        &[("source.ip", "203.0.113.7"), ("user.name", "admin")],
    );
    let new = h.new_alerts();
    assert_eq!(new.len(), 1);
    let a = &new[0];
    assert_eq!(a.rule_name, "brute");
    assert_eq!(a.count, 5);
    assert_eq!(a.source_ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(a.user_name, None, "two users: none singled out");
    assert_eq!(a.users, ["root", "admin"]);
    assert_eq!(a.first_seen, Timestamp::from_secs(T0));
    assert_eq!(a.last_seen, Timestamp::from_secs(T0 + 40));
    assert_eq!(
        a.group,
        [("source.ip".to_string(), "203.0.113.7".to_string())]
    );
    // The ring kept the 4 earlier lines; with the trigger: all 5.
    let lines: Vec<u64> = a.evidence.iter().filter_map(|e| e.line).collect();
    assert_eq!(lines, [1, 2, 3, 4, 5]);
    assert_eq!(
        a.techniques,
        [("T1110.001".to_string(), "Password Guessing".to_string())]
    );
    assert_eq!(
        a.tactics,
        [("TA0006".to_string(), "Credential Access".to_string())]
    );
    assert_eq!(a.severity, Severity::High);
    // The base rule does not alert on its own (generate: false).
    let all = h.finish();
    assert_eq!(all.len(), 1);
}

#[test]
fn events_spread_wider_than_the_window_do_not_fire() {
    let mut h = H::new(brute_force_rules());
    // One failure every 2 minutes: at most 3 in any 5 minutes.
    for i in 0..20 {
        h.push("fail", i * 120, &ip("198.51.100.1"));
    }
    // Other sources do not add up with this one.
    for i in 0..4 {
        h.push("fail", 2400 + i, &ip("198.51.100.2"));
        h.push("fail", 2400 + i, &ip("198.51.100.3"));
    }
    assert!(h.finish().is_empty());
}

#[test]
fn a_thousand_matches_make_one_alert_with_an_exact_count() {
    // Correlation: 1000 failures, one per second.
    let mut h = H::new(brute_force_rules());
    for i in 0..1000 {
        h.push("fail", i, &ip("203.0.113.7"));
    }
    let alerts = h.finish();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].count, 1000);
    assert_eq!(alerts[0].evidence.len(), 10, "first 5 and last 5");
    let lines: Vec<u64> = alerts[0].evidence.iter().filter_map(|e| e.line).collect();
    assert_eq!(lines, [1, 2, 3, 4, 5, 996, 997, 998, 999, 1000]);
    assert_eq!(alerts[0].last_seen, Timestamp::from_secs(T0 + 999));
    // Detection rule: 1000 matches within the suppression window.
    let mut h = H::new(vec![detection("sqli", true)]);
    for i in 0..1000 {
        h.push(
            "sqli",
            i * 5,
            &[("source.ip", "203.0.113.9"), ("user.name", "-")],
        );
    }
    let alerts = h.finish();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].count, 1000);
}

#[test]
fn a_quiet_window_closes_the_alert_and_a_new_one_may_open() {
    let mut h = H::with(vec![detection("sqli", true)], 600, 100_000);
    h.push("sqli", 0, &ip("203.0.113.9"));
    h.push("sqli", 500, &ip("203.0.113.9"));
    h.push("sqli", 1000, &ip("203.0.113.9")); // 500 s after the last: same alert
    h.push("sqli", 1601, &ip("203.0.113.9")); // 601 s of quiet: a new alert
    h.push("sqli", 1601, &ip("203.0.113.10")); // another key
    let closed = h.c.take_closed(&h.rules);
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].count, 3);
    let all = h.finish();
    assert_eq!(all.len(), 2, "the closed alert was handed out already");
    assert!(all.iter().all(|a| a.count == 1));
}

#[test]
fn correlation_alert_outlives_a_dip_below_the_threshold() {
    let mut h = H::new(brute_force_rules());
    for i in 0..10 {
        h.push("fail", i, &ip("203.0.113.7"));
    }
    // Slow tail: one every 4 minutes, below the threshold but within the
    // alert's window: still the same alert, counted.
    for i in 1..=5 {
        h.push("fail", 9 + i * 240, &ip("203.0.113.7"));
    }
    let alerts = h.finish();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].count, 15);
}

#[test]
fn value_count_counts_distinct_users_per_source() {
    let rules = vec![
        detection("fail", false),
        correlation(
            "spray",
            CorrelationType::ValueCount,
            &[0],
            &["source.ip"],
            600,
            Threshold::Gte(5),
            Some("user.name"),
        ),
    ];
    let mut h = H::new(rules);
    // Many failures for the same two users: no spraying.
    for i in 0..20 {
        let u = if i % 2 == 0 { "alice" } else { "bob" };
        h.push("fail", i, &[("source.ip", "192.0.2.1"), ("user.name", u)]);
    }
    // Events without the field add no value.
    for i in 0..5 {
        h.push("fail", 30 + i, &ip("192.0.2.1"));
    }
    assert!(h.new_alerts().is_empty());
    for (i, u) in ["carol", "dave", "erin"].iter().enumerate() {
        h.push(
            "fail",
            40 + i as i64,
            &[("source.ip", "192.0.2.1"), ("user.name", u)],
        );
    }
    let new = h.new_alerts();
    assert_eq!(new.len(), 1);
    let a = &new[0];
    assert_eq!(a.count, 28, "every event of the window");
    assert_eq!(a.distinct_users, 5);
    assert_eq!(a.user_name, None);
    assert!(a.risk_score > 65, "{}", a.risk_score);
    // Outside the window the old users no longer count.
    let mut h2 = H::new(h.rules.clone());
    for (i, u) in ["a", "b", "c", "d"].iter().enumerate() {
        h2.push(
            "fail",
            i as i64,
            &[("source.ip", "192.0.2.1"), ("user.name", u)],
        );
    }
    h2.push(
        "fail",
        700,
        &[("source.ip", "192.0.2.1"), ("user.name", "e")],
    );
    assert!(h2.finish().is_empty());
}

#[test]
fn temporal_needs_every_rule_in_any_order() {
    let rules = vec![
        detection("a", false),
        detection("b", false),
        correlation(
            "both",
            CorrelationType::Temporal,
            &[0, 1],
            &["user.name"],
            300,
            Threshold::Gte(1),
            None,
        ),
    ];
    let mut h = H::new(rules);
    h.push("b", 0, &[("user.name", "eve")]);
    h.push("b", 10, &[("user.name", "eve")]);
    assert!(h.new_alerts().is_empty());
    h.push("a", 20, &[("user.name", "eve")]);
    let new = h.new_alerts();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].count, 3);
    assert_eq!(new[0].user_name.as_deref(), Some("eve"));
    // Too far apart: nothing.
    h.push("a", 1000, &[("user.name", "mallory")]);
    h.push("b", 1400, &[("user.name", "mallory")]);
    let all = h.finish();
    assert_eq!(all.len(), 1);
}

/// fail → brute (event_count ≥ 5 by source.ip); ok (feeds only);
/// compromise = temporal_ordered [brute, ok] by source.ip, 30 min.
fn compromise_rules() -> Vec<Rule> {
    let mut rules = brute_force_rules();
    rules.push(detection("ok", false));
    let mut c = correlation(
        "compromise",
        CorrelationType::TemporalOrdered,
        &[1, 2],
        &["source.ip"],
        1800,
        Threshold::Gte(1),
        None,
    );
    c.level = Level::Critical;
    c.category = RuleCategory::AccountCompromise;
    rules.push(c);
    rules
}

#[test]
fn chained_temporal_ordered_detects_success_after_brute_force() {
    let mut h = H::new(compromise_rules());
    let kv = [("source.ip", "203.0.113.7"), ("user.name", "root")];
    // A success first does not count.
    h.push("ok", 0, &kv);
    for i in 0..8 {
        h.push("fail", 10 + i, &kv);
    }
    assert_eq!(h.new_alerts().len(), 1, "brute force only");
    h.push("ok", 600, &kv);
    let new = h.new_alerts();
    assert_eq!(new.len(), 1);
    let a = &new[0];
    assert_eq!(a.rule_name, "compromise");
    assert_eq!(a.category, RuleCategory::AccountCompromise);
    assert_eq!(a.severity, Severity::Critical);
    assert!(a.risk_score >= 90);
    assert_eq!(
        a.count, 9,
        "8 failures behind the brute force, and the success"
    );
    assert_eq!(a.user_name.as_deref(), Some("root"));
    assert_eq!(a.evidence.last().and_then(|e| e.line), Some(10));
    assert!(
        a.evidence.iter().all(|e| e.line != Some(1)),
        "the success before the failures is no evidence"
    );
    // Another source with a success only: nothing.
    h.push("ok", 700, &ip("198.51.100.4"));
    let all = h.finish();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].rule_name, "brute");
    assert_eq!(all[0].count, 8);
}

#[test]
fn temporal_ordered_refuses_the_wrong_order_and_stale_stages() {
    let mut h = H::new(compromise_rules());
    let kv = ip("203.0.113.8");
    for i in 0..5 {
        h.push("fail", i, &kv);
    }
    // The success comes more than 30 min after the brute force.
    h.push("ok", 4000, &kv);
    let all = h.finish();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].rule_name, "brute");
}

#[test]
fn allow_generate_base_rules_alert_too() {
    let mut rules = brute_force_rules();
    rules[0].enabled = true; // generate: true
    let mut h = H::new(rules);
    for i in 0..5 {
        h.push(
            "fail",
            i,
            &[("source.ip", "203.0.113.7"), ("user.name", "root")],
        );
    }
    let all = h.finish();
    assert_eq!(all.len(), 2);
    let base = all.iter().find(|a| a.rule_name == "fail").unwrap();
    assert_eq!(base.count, 5);
    assert_eq!(base.group.len(), 2);
}

#[test]
fn events_without_group_fields_are_not_counted() {
    let mut h = H::new(brute_force_rules());
    for i in 0..50 {
        h.push("fail", i, &[("user.name", "root")]);
    }
    assert!(h.finish().is_empty());
}

#[test]
fn a_flood_of_distinct_keys_stays_bounded() {
    let mut h = H::with(brute_force_rules(), 600, 1000);
    for i in 0..100_000u32 {
        let a = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
        h.push("fail", i64::from(i / 1000), &ip(&a));
        assert!(h.c.keys_held() <= 1000);
    }
    assert!(h.c.counters.evicted > 90_000, "{}", h.c.counters.evicted);
    // Tracking still works for a real attacker amid the flood.
    for i in 0..5 {
        h.push("fail", 200 + i, &ip("203.0.113.7"));
    }
    let all = h.finish();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].source_ip.as_deref(), Some("203.0.113.7"));
}

#[test]
fn detection_alert_keys_are_bounded_too() {
    let mut h = H::with(vec![detection("sqli", true)], 600, 100);
    for i in 0..1000u32 {
        h.push("sqli", 0, &ip(&format!("10.0.{}.{}", i >> 8, i & 255)));
        assert!(h.c.keys_held() <= 100);
    }
    // Evicted keys close their alerts; none is lost.
    assert_eq!(h.finish().len(), 1000);
}

#[test]
fn idle_keys_are_swept_as_time_passes() {
    let mut h = H::new(brute_force_rules());
    for i in 0..100 {
        h.push("fail", i, &ip(&format!("192.0.2.{i}")));
    }
    assert_eq!(h.c.keys_held(), 100);
    h.push("fail", 10_000, &ip("192.0.2.200"));
    assert_eq!(h.c.keys_held(), 1);
}

#[test]
fn out_of_order_time_is_handled() {
    let mut h = H::new(brute_force_rules());
    // Two files interleaved, one 3 s behind; and a few stragglers.
    let order = [5, 2, 6, 3, 7, 4, 1, 8, -3600, 9];
    for s in order {
        h.push("fail", s, &ip("203.0.113.7"));
    }
    // A second file replayed from an hour earlier: its own windows.
    for i in 0..5 {
        h.push("fail", -7200 + i, &ip("198.51.100.9"));
    }
    // Extreme timestamps do not panic.
    h.push_ms("fail", i64::MAX, &ip("203.0.113.7"));
    h.push_ms("fail", i64::MIN, &ip("203.0.113.7"));
    h.push_ms("fail", 0, &ip("203.0.113.7"));
    let all = h.finish();
    let a = all
        .iter()
        .find(|a| a.source_ip.as_deref() == Some("203.0.113.7"))
        .unwrap();
    assert!(a.count >= 9, "{}", a.count);
    assert!(
        all.iter()
            .any(|a| a.source_ip.as_deref() == Some("198.51.100.9") && a.count == 5)
    );
}

#[test]
fn alert_ids_are_deterministic_and_order_is_stable() {
    let run = || {
        let mut h = H::new(compromise_rules());
        for s in ["203.0.113.1", "203.0.113.2"] {
            for i in 0..6 {
                h.push("fail", i, &ip(s));
            }
            h.push("ok", 100, &ip(s));
        }
        h.finish()
    };
    let a = run();
    let b = run();
    assert_eq!(a.len(), 4);
    assert_eq!(a, b);
    let mut ids: Vec<&str> = a.iter().map(|x| x.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4);
    assert!(a.windows(2).all(|w| w[0].first_seen <= w[1].first_seen));
}

#[test]
fn disabled_correlation_still_feeds_its_chain() {
    let mut rules = compromise_rules();
    rules[1].enabled = false; // brute force raises no alert itself
    let mut h = H::new(rules);
    for i in 0..5 {
        h.push("fail", i, &ip("203.0.113.7"));
    }
    h.push("ok", 60, &ip("203.0.113.7"));
    let all = h.finish();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].rule_name, "compromise");
    assert_eq!(all[0].count, 6);
}

#[test]
fn dead_rules_are_not_tracked() {
    let mut rules = compromise_rules();
    for r in &mut rules {
        r.enabled = false;
    }
    let plan = Plan::new(&rules);
    assert!(plan.live.iter().all(|l| !l));
    rules[3].enabled = true;
    let plan = Plan::new(&rules);
    assert!(
        plan.live.iter().all(|l| *l),
        "the chain feeds the live rule"
    );
}

#[test]
fn compromise_names_the_account_that_got_in() {
    let mut h = H::new(compromise_rules());
    for (i, u) in ["admin", "oracle", "test", "root", "guest"]
        .iter()
        .enumerate()
    {
        h.push(
            "fail",
            i as i64,
            &[("source.ip", "203.0.113.7"), ("user.name", u)],
        );
    }
    h.push(
        "ok",
        30,
        &[("source.ip", "203.0.113.7"), ("user.name", "test")],
    );
    let all = h.finish();
    let c = all.iter().find(|a| a.rule_name == "compromise").unwrap();
    assert_eq!(c.user_name.as_deref(), Some("test"));
    assert!(c.users.contains(&"test".to_string()));
    let b = all.iter().find(|a| a.rule_name == "brute").unwrap();
    assert_eq!(b.user_name, None);
}

#[test]
fn the_book_shrinks_as_closed_alerts_are_taken() {
    // One alert per event (100 s apart, 60 s window), taken as they close.
    let mut h = H::with(vec![detection("sqli", true)], 60, 100_000);
    let (mut new, mut closed) = (0, 0);
    for i in 0..1000 {
        h.push("sqli", i * 100, &ip("203.0.113.9"));
        if i % 10 == 0 {
            new += h.new_alerts().len();
            closed += h.c.take_closed(&h.rules).len();
        }
    }
    assert!(h.c.book_len() <= 11, "{}", h.c.book_len());
    assert_eq!(h.c.alerts_opened(), 1000);
    new += h.new_alerts().len();
    assert_eq!(new, 1000);
    assert_eq!(closed + h.finish().len(), 1000);
}

#[test]
fn an_older_file_read_after_a_newer_one_gets_its_own_alerts() {
    let mut rules = brute_force_rules();
    rules.push(detection("sqli", true));
    let mut h = H::new(rules);
    let day = 86_400;
    // auth.log (today), then auth.log.1 (yesterday), same source.
    for i in 0..10 {
        h.push("fail", day + i, &ip("203.0.113.7"));
        h.push("sqli", day + i, &ip("203.0.113.7"));
    }
    for i in 0..10 {
        h.push("fail", i, &ip("203.0.113.7"));
        h.push("sqli", i, &ip("203.0.113.7"));
    }
    let all = h.finish();
    assert_eq!(all.len(), 4, "{all:#?}");
    assert!(all.iter().all(|a| a.count == 10));
    assert_eq!(all[0].first_seen, Timestamp::from_secs(T0));
    assert_eq!(all[3].first_seen, Timestamp::from_secs(T0 + day));
}

#[test]
fn a_single_straggler_does_not_end_a_correlation_alert() {
    let mut h = H::new(brute_force_rules());
    for i in 0..10 {
        h.push("fail", 3600 + i, &ip("203.0.113.7"));
    }
    h.push("fail", 0, &ip("203.0.113.7")); // an hour-old line
    for i in 10..20 {
        h.push("fail", 3600 + i, &ip("203.0.113.7"));
    }
    let all = h.finish();
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0].count, 20);
}

#[test]
fn value_count_alerts_are_reproducible() {
    let run = || {
        let rules = vec![
            detection("fail", false),
            correlation(
                "spray",
                CorrelationType::ValueCount,
                &[0],
                &["source.ip"],
                600,
                Threshold::Gte(30),
                Some("user.name"),
            ),
        ];
        let mut h = H::new(rules);
        for i in 0..40 {
            let u = format!("user{}", (i * 7) % 40);
            h.push(
                "fail",
                i / 4,
                &[("source.ip", "192.0.2.1"), ("user.name", &u)],
            );
        }
        h.finish()
    };
    let a = run();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].distinct_users, 40);
    for _ in 0..5 {
        assert_eq!(run(), a);
    }
}
