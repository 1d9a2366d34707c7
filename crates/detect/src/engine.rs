//! The detection pipeline: events in, alerts out.
//!
//! Split in two so that batch analysis can use every core:
//!
//! - `SignalMaker` (stateless, one clone per worker thread): runs the
//!   compiled matcher over an event, drops allow-listed events and captures
//!   a `Signal` per live matching rule.
//! - `Engine::push` (stateful, one thread, input order): windows,
//!   correlations (chained), suppression and alerts (`correlate`).
//!
//! Single-threaded callers use `Engine::process`, which does both.
//!
//! ```text
//! let mut rules = RuleSet::load(&sources, &mapping)?;
//! config.apply(&mut rules)?;                      // overrides change the rules
//! let mut engine = Engine::new(Arc::new(rules), &config)?;
//! let mut maker = engine.signal_maker();          // clone one per worker
//! maker.signals(&event, &mut signals);            // on the worker
//! for s in signals.drain(..) { engine.push(s) }   // in input order
//! let (alerts, stats) = engine.finish();
//! // or, with the alerts linked into incidents (`incident::link`):
//! let (alerts, incidents, stats) = engine.finish_with_incidents();
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use logsentinel_core::{Event, Timestamp};

use crate::alert::Alert;
use crate::config::{Allow, DetectConfig};
use crate::correlate::{Correlator, Plan, Settings};
use crate::error::DetectError;
use crate::incident::{self, Incident};
use crate::loader::RuleSet;
use crate::matcher::MatchScratch;
use crate::signal::{Signal, millis};

/// Counts of a run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EngineStats {
    /// Events seen by the signal makers.
    pub events: u64,
    /// Signals pushed (detection matches that were not allow-listed).
    pub signals: u64,
    /// Events that matched a rule but were dropped by the allow-list.
    pub allowlisted: u64,
    /// Alerts opened.
    pub alerts: u64,
    /// Group keys evicted to keep per-rule state bounded.
    pub evicted_keys: u64,
}

/// Counters the signal makers share with their engine. Each maker counts
/// locally and adds its counts here every `FLUSH_EVERY` events and when
/// dropped, so worker threads do not contend on them.
#[derive(Debug, Default)]
struct Shared {
    events: AtomicU64,
    allowlisted: AtomicU64,
}

const FLUSH_EVERY: u64 = 4096;

/// The stateless half: matching, allow-list, capture. `Clone + Send`; use
/// one per worker thread, with signals of the engine it came from only.
pub struct SignalMaker {
    rules: Arc<RuleSet>,
    plan: Arc<Plan>,
    allow: Arc<Allow>,
    shared: Arc<Shared>,
    scratch: MatchScratch,
    matched: Vec<usize>,
    events: u64,
    allowlisted: u64,
}

impl Clone for SignalMaker {
    fn clone(&self) -> Self {
        SignalMaker {
            rules: Arc::clone(&self.rules),
            plan: Arc::clone(&self.plan),
            allow: Arc::clone(&self.allow),
            shared: Arc::clone(&self.shared),
            scratch: MatchScratch::default(),
            matched: Vec::new(),
            events: 0,
            allowlisted: 0,
        }
    }
}

impl SignalMaker {
    /// Appends to `out` one signal per live rule that `ev` matches (none
    /// when the event is allow-listed).
    pub fn signals(&mut self, ev: &Event<'_>, out: &mut Vec<Signal>) {
        self.events += 1;
        if self.events >= FLUSH_EVERY {
            self.flush();
        }
        self.rules
            .matching_rules(ev, &mut self.scratch, &mut self.matched);
        let live = &self.plan.live;
        if !self
            .matched
            .iter()
            .any(|&r| live.get(r).copied().unwrap_or(false))
        {
            return;
        }
        if self.allow.allows(ev) {
            self.allowlisted += 1;
            return;
        }
        let data = self.plan.fields.capture(ev);
        for &r in &self.matched {
            if live.get(r).copied().unwrap_or(false) {
                out.push(Signal::new(r, ev.timestamp, Arc::clone(&data)));
            }
        }
    }

    /// Adds this maker's counts to its engine's.
    fn flush(&mut self) {
        self.shared.events.fetch_add(self.events, Ordering::Relaxed);
        self.shared
            .allowlisted
            .fetch_add(self.allowlisted, Ordering::Relaxed);
        self.events = 0;
        self.allowlisted = 0;
    }
}

impl Drop for SignalMaker {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The whole detection pipeline. See the module documentation.
pub struct Engine {
    rules: Arc<RuleSet>,
    maker: SignalMaker,
    corr: Correlator,
    buf: Vec<Signal>,
    incident_window: std::time::Duration,
}

impl Engine {
    /// An engine for `rules` (with `config.apply` already done on them)
    /// and the allow-list, suppression and bounds of `config`.
    pub fn new(rules: Arc<RuleSet>, config: &DetectConfig) -> Result<Engine, DetectError> {
        let suppression = config.suppression()?;
        let incident_window = config.incident_window()?;
        if config.max_keys_per_rule == 0 {
            return Err(DetectError::Config(
                "detection.max_keys_per_rule: must be at least 1".into(),
            ));
        }
        let allow = Arc::new(config.allow.compile()?);
        let plan = Arc::new(Plan::new(&rules.rules));
        let corr = Correlator::new(
            &rules.rules,
            Arc::clone(&plan),
            Settings {
                suppression,
                max_keys: config.max_keys_per_rule,
            },
        );
        let maker = SignalMaker {
            rules: Arc::clone(&rules),
            plan,
            allow,
            shared: Arc::new(Shared::default()),
            scratch: MatchScratch::default(),
            matched: Vec::new(),
            events: 0,
            allowlisted: 0,
        };
        Ok(Engine {
            rules,
            maker,
            corr,
            buf: Vec::new(),
            incident_window,
        })
    }

    /// Applies `config` to `rules`, then `Engine::new`.
    pub fn with_config(mut rules: RuleSet, config: &DetectConfig) -> Result<Engine, DetectError> {
        config.apply(&mut rules)?;
        Engine::new(Arc::new(rules), config)
    }

    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    /// The stateless half, for a worker thread (clone it for more).
    pub fn signal_maker(&self) -> SignalMaker {
        self.maker.clone()
    }

    /// Windows, correlations (chained) and suppression for one signal.
    /// Call in input order.
    pub fn push(&mut self, signal: Signal) {
        if signal.rule < self.rules.rules.len() {
            self.corr.push(signal);
        }
    }

    /// Single-threaded use: match `ev` and push its signals.
    pub fn process(&mut self, ev: &Event<'_>) {
        let mut buf = std::mem::take(&mut self.buf);
        self.maker.signals(ev, &mut buf);
        for s in buf.drain(..) {
            self.corr.push(s);
        }
        self.buf = buf;
    }

    /// Alerts opened since the last call, each once, as they were when
    /// they opened (their later counts come with `take_closed_alerts` or
    /// `finish`).
    pub fn take_new_alerts(&mut self) -> Vec<Alert> {
        self.corr.take_new(&self.rules.rules)
    }

    /// For long-running streams: alerts whose suppression window has
    /// passed, with final counts, removed from the engine (`finish` will
    /// not return them again). Alerts close lazily, as event time moves
    /// on (see `advance_to`).
    pub fn take_closed_alerts(&mut self) -> Vec<Alert> {
        self.corr.take_closed(&self.rules.rules)
    }

    /// Moves event time to `now` for an idle stream: closes the alerts and
    /// drops the state whose windows have passed by then.
    pub fn advance_to(&mut self, now: Timestamp) {
        self.corr.sweep(millis(now));
    }

    /// The counts so far.
    pub fn stats(&self) -> EngineStats {
        let shared = &self.maker.shared;
        EngineStats {
            events: shared.events.load(Ordering::Relaxed) + self.maker.events,
            signals: self.corr.counters.signals,
            allowlisted: shared.allowlisted.load(Ordering::Relaxed) + self.maker.allowlisted,
            alerts: self.corr.alerts_opened(),
            evicted_keys: self.corr.counters.evicted,
        }
    }

    /// Every alert not yet taken by `take_closed_alerts`, with final counts,
    /// in order of first event then rule; and the counts of the run.
    pub fn finish(self) -> (Vec<Alert>, EngineStats) {
        let stats = self.stats();
        let Engine { rules, corr, .. } = self;
        (corr.finish(&rules.rules), stats)
    }

    /// For a stream that stops: closes every alert and returns those not
    /// taken yet by `take_closed_alerts`, with final counts, in the order
    /// of `finish`; and the counts of the run. The engine stays usable
    /// (empty).
    pub fn finish_open(&mut self) -> (Vec<Alert>, EngineStats) {
        let stats = self.stats();
        (self.corr.close_all(&self.rules.rules), stats)
    }

    /// The configured `incident_window`.
    pub fn incident_window(&self) -> std::time::Duration {
        self.incident_window
    }

    /// `finish`, then the alerts linked into incidents over the configured
    /// `incident_window` (alerts of an incident carry its id).
    pub fn finish_with_incidents(self) -> (Vec<Alert>, Vec<Incident>, EngineStats) {
        let window = self.incident_window;
        let (mut alerts, stats) = self.finish();
        let incidents = incident::link(&mut alerts, window);
        (alerts, incidents, stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::RuleSource;
    use crate::mapping::FieldMapping;
    use logsentinel_core::Format;

    const RULES: &str = "
title: Test failed login
id: 3f1c1a52-0000-4000-8000-000000000001
name: test_failed_login
tags:
  - attack.credential_access
  - attack.t1110.001
category: brute_force
level: informational
detection:
  selection:
    event.action: ssh_login
    event.outcome: failure
  condition: selection
---
title: Test brute force
id: 3f1c1a52-0000-4000-8000-000000000002
name: test_brute_force
description: Many failed logins from one source.
tags:
  - attack.credential_access
  - attack.t1110.001
category: brute_force
level: high
correlation:
  type: event_count
  rules:
    - test_failed_login
  group-by:
    - source.ip
  timespan: 5m
  condition:
    gte: 5
---
title: Test root login
id: 3f1c1a52-0000-4000-8000-000000000003
name: test_root_login
tags:
  - attack.t1078
category: policy
level: medium
detection:
  selection:
    event.action: ssh_login
    event.outcome: success
    user.name: root
  condition: selection
";

    fn rules() -> RuleSet {
        let src = RuleSource {
            name: "test.yml".into(),
            text: RULES.into(),
        };
        match RuleSet::load(&[src], &FieldMapping::builtin()) {
            Ok(r) => r,
            Err(e) => panic!("{e:?}"),
        }
    }

    fn login<'a>(line: &'a str, secs: i64, ip: &str, user: &'a str, ok: bool) -> Event<'a> {
        let mut ev = Event::new(Format::SyslogRfc3164, line, Timestamp::from_secs(secs));
        ev.action = Some("ssh_login".into());
        ev.outcome = Some(if ok {
            logsentinel_core::Outcome::Success
        } else {
            logsentinel_core::Outcome::Failure
        });
        ev.source_ip = ip.parse().ok();
        ev.user_name = Some(user.into());
        ev.host_name = Some("web1".into());
        ev.file_path = Some("auth.log".into());
        ev.file_line = Some(secs as u64);
        ev
    }

    const T0: i64 = 1_705_314_600;

    fn attack(engine: &mut Engine, ip: &str, n: i64) {
        for i in 0..n {
            let line = format!("Failed password for root from {ip}");
            engine.process(&login(&line, T0 + i, ip, "root", false));
        }
    }

    #[test]
    fn events_in_alerts_out() {
        let mut engine = Engine::new(Arc::new(rules()), &DetectConfig::default()).unwrap();
        attack(&mut engine, "203.0.113.7", 4);
        assert!(engine.take_new_alerts().is_empty());
        attack(&mut engine, "203.0.113.7", 1);
        let new = engine.take_new_alerts();
        assert_eq!(new.len(), 1);
        assert_eq!(new[0].count, 5);
        engine.process(&login(
            "Accepted password for root",
            T0 + 9,
            "198.51.100.1",
            "root",
            true,
        ));
        // Unrelated events make no signal.
        let other = Event::new(Format::Heuristic, "hello", Timestamp::from_secs(T0));
        engine.process(&other);
        let (alerts, stats) = engine.finish();
        assert_eq!(alerts.len(), 2);
        assert_eq!(
            stats,
            EngineStats {
                events: 7,
                signals: 6,
                allowlisted: 0,
                alerts: 2,
                evicted_keys: 0
            }
        );
        let j = alerts[0].to_json();
        assert_eq!(j["rule"]["name"], "Test brute force");
        assert_eq!(j["rule"]["sigma_name"], "test_brute_force");
        assert_eq!(j["rule"]["id"], "3f1c1a52-0000-4000-8000-000000000002");
        assert_eq!(j["rule"]["category"], "brute_force");
        assert_eq!(
            j["rule"]["description"],
            "Many failed logins from one source."
        );
        assert_eq!(j["severity"], "high");
        assert_eq!(j["source"]["ip"], "203.0.113.7");
        assert_eq!(j["user"]["name"], "root");
        assert_eq!(j["host"]["name"], "web1");
        assert_eq!(j["count"], 5);
        assert_eq!(j["evidence"].as_array().unwrap().len(), 5);
        assert_eq!(j["evidence"][0]["file"], "auth.log");
        assert_eq!(j["threat"]["technique"][0]["id"], "T1110.001");
        assert_eq!(j["threat"]["tactic"][0]["id"], "TA0006");
        let root = alerts[1].to_json();
        assert_eq!(root["rule"]["category"], "policy");
        assert_eq!(root["severity"], "medium");
        assert_eq!(root["group"]["user.name"], "root");
        assert_eq!(root["group"]["source.ip"], "198.51.100.1");
    }

    #[test]
    fn the_allow_list_wins() {
        let mut config = DetectConfig::default();
        config.allow.ips = vec!["203.0.113.0/24".into()];
        let mut engine = Engine::new(Arc::new(rules()), &config).unwrap();
        attack(&mut engine, "203.0.113.7", 50);
        attack(&mut engine, "198.51.100.7", 5);
        let (alerts, stats) = engine.finish();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].source_ip.as_deref(), Some("198.51.100.7"));
        assert_eq!(stats.allowlisted, 50);
        assert_eq!(stats.signals, 5);
    }

    #[test]
    fn worker_threads_give_the_same_alerts() {
        let lines: Vec<String> = (0..3000)
            .map(|i| format!("Failed password for root from 192.0.2.{}", i % 7))
            .collect();
        let events: Vec<Event<'_>> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let ip = format!("192.0.2.{}", i % 7);
                login(l, T0 + i as i64 / 10, &ip, "root", false)
            })
            .collect();
        let mut single = Engine::new(Arc::new(rules()), &DetectConfig::default()).unwrap();
        for ev in &events {
            single.process(ev);
        }
        let (expected, expected_stats) = single.finish();

        let mut engine = Engine::new(Arc::new(rules()), &DetectConfig::default()).unwrap();
        let maker = engine.signal_maker();
        let halves: Vec<Vec<Signal>> = std::thread::scope(|s| {
            let handles: Vec<_> = events
                .chunks(1500)
                .map(|chunk| {
                    let mut m = maker.clone();
                    s.spawn(move || {
                        let mut out = Vec::new();
                        for ev in chunk {
                            m.signals(ev, &mut out);
                        }
                        out
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        drop(maker);
        for s in halves.into_iter().flatten() {
            engine.push(s);
        }
        let (alerts, stats) = engine.finish();
        assert_eq!(alerts, expected);
        assert_eq!(stats, expected_stats);
        assert_eq!(stats.events, 3000);
        assert_eq!(alerts.len(), 7);
        assert!(
            alerts
                .iter()
                .all(|a| a.count == 3000 / 7 || a.count == 3000 / 7 + 1)
        );
    }

    #[test]
    fn config_overrides_change_the_rules() {
        let mut rs = rules();
        let mut config = DetectConfig::default();
        config.rules.insert(
            "test_brute_force".into(),
            crate::config::RuleOverride {
                count: Some(3),
                timespan: Some("1m".into()),
                ..Default::default()
            },
        );
        config.rules.insert(
            "3F1C1A52-0000-4000-8000-000000000003".into(),
            crate::config::RuleOverride {
                enabled: Some(false),
                ..Default::default()
            },
        );
        config.apply(&mut rs).unwrap();
        let c = rs.rules[1].correlation.as_ref().unwrap();
        assert_eq!(c.threshold, crate::rule::Threshold::Gte(3));
        assert_eq!(c.timespan, std::time::Duration::from_secs(60));
        assert!(!rs.rules[2].enabled);
        let mut engine = Engine::new(Arc::new(rs), &config).unwrap();
        attack(&mut engine, "203.0.113.7", 3);
        engine.process(&login(
            "Accepted password for root",
            T0 + 9,
            "198.51.100.1",
            "root",
            true,
        ));
        let (alerts, _) = engine.finish();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].count, 3);

        let bad = |key: &str, ov: crate::config::RuleOverride| {
            let mut config = DetectConfig::default();
            config.rules.insert(key.into(), ov);
            config.apply(&mut rules()).unwrap_err().to_string()
        };
        let e = bad("no_such_rule", Default::default());
        assert!(
            e.contains("detection.rules.no_such_rule") && e.contains("no rule"),
            "{e}"
        );
        let e = bad(
            "test_root_login",
            crate::config::RuleOverride {
                count: Some(3),
                timespan: Some("5m".into()),
                ..Default::default()
            },
        );
        assert!(
            e.contains(".count: the rule is not") && e.contains(".timespan: the rule is not"),
            "{e}"
        );
        let e = bad(
            "test_brute_force",
            crate::config::RuleOverride {
                count: Some(0),
                timespan: Some("5 min".into()),
                ..Default::default()
            },
        );
        assert!(
            e.contains("at least 1") && e.contains("invalid duration"),
            "{e}"
        );
        let config = DetectConfig {
            suppression_window: "soon".into(),
            ..DetectConfig::default()
        };
        assert!(Engine::with_config(rules(), &config).is_err());
        assert!(Engine::new(Arc::new(rules()), &config).is_err());
    }

    #[test]
    fn incidents_link_alerts_of_one_source() {
        let config = DetectConfig {
            incident_window: "1h".into(),
            ..DetectConfig::default()
        };
        let mut engine = Engine::new(Arc::new(rules()), &config).unwrap();
        assert_eq!(
            engine.incident_window(),
            std::time::Duration::from_secs(3600)
        );
        attack(&mut engine, "203.0.113.7", 6);
        // The same source back after the suppression window: a second
        // alert, linked to the first.
        for i in 0..6 {
            let line = "Failed password for root from 203.0.113.7";
            engine.process(&login(line, T0 + 1800 + i, "203.0.113.7", "root", false));
        }
        attack(&mut engine, "198.51.100.9", 6);
        let (alerts, incidents, _) = engine.finish_with_incidents();
        assert_eq!(alerts.len(), 3);
        assert_eq!(incidents.len(), 1);
        assert_eq!(incidents[0].ips, ["203.0.113.7"]);
        assert_eq!(incidents[0].alerts.len(), 2);
        let linked: Vec<_> = alerts.iter().filter(|a| a.incident_id.is_some()).collect();
        assert_eq!(linked.len(), 2);
        assert!(
            linked
                .iter()
                .all(|a| a.source_ip.as_deref() == Some("203.0.113.7"))
        );
        let bad = DetectConfig {
            incident_window: "soon".into(),
            ..DetectConfig::default()
        };
        assert!(Engine::new(Arc::new(rules()), &bad).is_err());
    }

    #[test]
    fn stream_helpers_close_alerts_as_time_moves() {
        let mut engine = Engine::new(Arc::new(rules()), &DetectConfig::default()).unwrap();
        attack(&mut engine, "203.0.113.7", 6);
        assert_eq!(engine.take_new_alerts().len(), 1);
        assert!(engine.take_closed_alerts().is_empty());
        engine.advance_to(Timestamp::from_secs(T0 + 3600));
        let closed = engine.take_closed_alerts();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].count, 6);
        assert_eq!(engine.stats().alerts, 1);
        let (rest, _) = engine.finish();
        assert!(rest.is_empty());
    }

    #[test]
    fn finish_open_gives_what_finish_gives_and_leaves_the_engine_usable() {
        let run = |e: &mut Engine| {
            attack(e, "203.0.113.7", 6);
            attack(e, "203.0.113.8", 7);
            e.take_new_alerts();
        };
        let mut a = Engine::new(Arc::new(rules()), &DetectConfig::default()).unwrap();
        let mut b = Engine::new(Arc::new(rules()), &DetectConfig::default()).unwrap();
        run(&mut a);
        run(&mut b);
        let (want, _) = a.finish();
        let (got, _) = b.finish_open();
        assert_eq!(got, want);
        assert_eq!(got.len(), 2);
        assert!(b.finish_open().0.is_empty());
        attack(&mut b, "203.0.113.9", 6);
        assert_eq!(b.take_new_alerts().len(), 1);
    }
}
