//! Detection settings (`[detection]` of `logsentinel.toml`): per-rule
//! overrides (on/off, thresholds, windows), allow-lists, suppression and
//! the bound on per-rule state.
//!
//! The CLI deserialises `DetectConfig`, calls `apply` on the loaded
//! `RuleSet` (overrides change the rules themselves), then hands the same
//! config to `Engine::new` (allow-lists, suppression, bounds).
//!
//! ```toml
//! [detection]
//! suppression_window = "10m"
//! max_keys_per_rule = 100000
//! incident_window = "2h"
//! [detection.allow]
//! ips = ["10.0.0.0/8", "192.0.2.10"]
//! users = ["nagios"]
//! user_agents = ["UptimeRobot"]
//! paths = ["/healthz"]
//! [detection.rules.ssh_brute_force]
//! count = 8
//! timespan = "5m"
//! ```

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use aho_corasick::AhoCorasick;
use ipnet::IpNet;
use logsentinel_core::Event;
use serde::Deserialize;

use crate::error::DetectError;
use crate::loader::RuleSet;
use crate::rule::{CorrelationType, Threshold};

/// The `[detection]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectConfig {
    /// Per-rule overrides, keyed by rule name or id.
    pub rules: BTreeMap<String, RuleOverride>,
    /// Events matching an allow-list are never used by any rule.
    pub allow: AllowList,
    /// One alert per (rule, group key) while matches keep coming within
    /// this window of the previous one (correlations: at least their
    /// timespan). Default `10m`.
    pub suppression_window: String,
    /// Per rule, at most this many group keys are tracked; the least
    /// recently seen are evicted beyond it. Default 100 000.
    pub max_keys_per_rule: usize,
    /// Alerts that share a source address (or, after access, an account or
    /// a host) link into one incident when they come within this window of
    /// each other (`incident`). Default `2h`.
    pub incident_window: String,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            rules: BTreeMap::new(),
            allow: AllowList::default(),
            suppression_window: "10m".to_string(),
            max_keys_per_rule: 100_000,
            incident_window: "2h".to_string(),
        }
    }
}

/// `[detection.rules.NAME]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleOverride {
    /// Whether the rule raises alerts (a disabled rule still feeds the
    /// correlations that reference it).
    pub enabled: Option<bool>,
    /// Threshold of an `event_count` / `value_count` correlation:
    /// `>= count` within the timespan.
    pub count: Option<u64>,
    /// Window of a correlation (`30s`, `5m`, `2h`, `1d`).
    pub timespan: Option<String>,
}

/// `[detection.allow]`: an event matching any entry is ignored by every
/// rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AllowList {
    /// `source.ip` addresses or CIDR ranges.
    pub ips: Vec<String>,
    /// `user.name` values (exact, case-insensitive).
    pub users: Vec<String>,
    /// Substrings of `user_agent.original` (case-insensitive).
    pub user_agents: Vec<String>,
    /// Prefixes of the path of `url.original`.
    pub paths: Vec<String>,
}

/// `30s`, `5m`, `2h`, `1d` (a whole number and a unit).
pub fn parse_duration(s: &str) -> Result<Duration, DetectError> {
    let t = s.trim();
    let bad = |why: &str| DetectError::Config(format!("invalid duration '{s}': {why}"));
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    if num.is_empty() {
        return Err(bad("expected a number then a unit (30s, 5m, 2h, 1d)"));
    }
    let n: u64 = num.parse().map_err(|_| bad("number too large"))?;
    let unit_secs = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "" => return Err(bad("missing unit (s, m, h or d)")),
        _ => return Err(bad("unknown unit (use s, m, h or d)")),
    };
    n.checked_mul(unit_secs)
        .filter(|&secs| secs <= 3_650 * 86_400)
        .map(Duration::from_secs)
        .ok_or_else(|| bad("longer than ten years"))
}

impl DetectConfig {
    /// Applies the per-rule overrides to `rules` and checks the rest of the
    /// section. Unknown rule keys, bad durations, thresholds on rules that
    /// do not count and bad allow-list entries are refused; every problem is
    /// listed in the one `DetectError::Config`.
    pub fn apply(&self, rules: &mut RuleSet) -> Result<(), DetectError> {
        let mut problems = Vec::new();
        if let Err(e) = self.check_global() {
            problems.push(message(e));
        }
        for (key, ov) in &self.rules {
            let Some(idx) = rules.find(key) else {
                problems.push(format!(
                    "detection.rules.{key}: no rule with this name or id"
                ));
                continue;
            };
            let Some(rule) = rules.rules.get_mut(idx) else {
                continue;
            };
            if let Some(e) = ov.enabled {
                rule.enabled = e;
            }
            if let Some(count) = ov.count {
                match rule.correlation.as_mut() {
                    Some(c)
                        if matches!(
                            c.kind,
                            CorrelationType::EventCount | CorrelationType::ValueCount
                        ) =>
                    {
                        if count == 0 {
                            problems.push(format!(
                                "detection.rules.{key}.count: must be at least 1"
                            ));
                        } else {
                            c.threshold = Threshold::Gte(count);
                        }
                    }
                    _ => problems.push(format!(
                        "detection.rules.{key}.count: the rule is not an event_count or value_count correlation"
                    )),
                }
            }
            if let Some(ts) = &ov.timespan {
                match parse_duration(ts) {
                    Err(e) => {
                        problems.push(format!("detection.rules.{key}.timespan: {}", message(e)))
                    }
                    Ok(d) if d.is_zero() => problems.push(format!(
                        "detection.rules.{key}.timespan: must be longer than 0s"
                    )),
                    Ok(d) => match rule.correlation.as_mut() {
                        Some(c) => c.timespan = d,
                        None => problems.push(format!(
                            "detection.rules.{key}.timespan: the rule is not a correlation"
                        )),
                    },
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(DetectError::Config(problems.join("; ")))
        }
    }

    /// The suppression window, checked.
    pub fn suppression(&self) -> Result<Duration, DetectError> {
        parse_duration(&self.suppression_window).map_err(|e| {
            DetectError::Config(format!("detection.suppression_window: {}", message(e)))
        })
    }

    /// The incident window, checked (at least one second).
    pub fn incident_window(&self) -> Result<Duration, DetectError> {
        let d = parse_duration(&self.incident_window).map_err(|e| {
            DetectError::Config(format!("detection.incident_window: {}", message(e)))
        })?;
        if d.is_zero() {
            return Err(DetectError::Config(
                "detection.incident_window: must be longer than 0s".into(),
            ));
        }
        Ok(d)
    }

    fn check_global(&self) -> Result<(), DetectError> {
        self.suppression()?;
        self.incident_window()?;
        if self.max_keys_per_rule == 0 {
            return Err(DetectError::Config(
                "detection.max_keys_per_rule: must be at least 1".into(),
            ));
        }
        self.allow.compile().map(|_| ())
    }
}

/// The text of an error without the `config: ` prefix.
fn message(e: DetectError) -> String {
    match e {
        DetectError::Config(m) => m,
        other => other.to_string(),
    }
}

/// The compiled allow-list.
#[derive(Debug, Clone, Default)]
pub(crate) struct Allow {
    nets: Vec<IpNet>,
    users: Vec<String>,
    agents: Option<AhoCorasick>,
    paths: Vec<String>,
}

impl AllowList {
    pub(crate) fn compile(&self) -> Result<Allow, DetectError> {
        let mut problems = Vec::new();
        let mut nets = Vec::new();
        for s in &self.ips {
            let t = s.trim();
            if let Ok(net) = t.parse::<IpNet>() {
                nets.push(net);
            } else if let Ok(ip) = t.parse::<IpAddr>() {
                nets.push(IpNet::from(ip));
            } else {
                problems.push(format!(
                    "detection.allow.ips: '{s}' is not an IP address or CIDR range"
                ));
            }
        }
        let mut check_empty = |list: &[String], name: &str| {
            if list.iter().any(|s| s.trim().is_empty()) {
                problems.push(format!(
                    "detection.allow.{name}: empty entries would allow everything"
                ));
            }
        };
        check_empty(&self.users, "users");
        check_empty(&self.user_agents, "user_agents");
        check_empty(&self.paths, "paths");
        let agents = if self.user_agents.is_empty() {
            None
        } else {
            match AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(self.user_agents.iter().map(|s| s.trim()))
            {
                Ok(ac) => Some(ac),
                Err(e) => {
                    problems.push(format!("detection.allow.user_agents: {e}"));
                    None
                }
            }
        };
        if !problems.is_empty() {
            return Err(DetectError::Config(problems.join("; ")));
        }
        Ok(Allow {
            nets,
            users: self.users.iter().map(|u| u.trim().to_string()).collect(),
            agents,
            paths: self.paths.iter().map(|p| p.trim().to_string()).collect(),
        })
    }
}

impl Allow {
    /// Whether `ev` is allow-listed.
    pub(crate) fn allows(&self, ev: &Event<'_>) -> bool {
        if let Some(ip) = ev.source_ip
            && self.nets.iter().any(|n| n.contains(&ip))
        {
            return true;
        }
        if let Some(u) = ev.user_name.as_deref()
            && self.users.iter().any(|a| a.eq_ignore_ascii_case(u))
        {
            return true;
        }
        if let (Some(ac), Some(ua)) = (&self.agents, ev.user_agent.as_deref())
            && ac.is_match(ua)
        {
            return true;
        }
        if !self.paths.is_empty()
            && let Some(url) = ev.url_original.as_deref()
        {
            let path = url_path(url);
            return self.paths.iter().any(|p| path.starts_with(p.as_str()));
        }
        false
    }
}

/// The path part of a request target: `http://h:80/a?b` → `/a?b`.
fn url_path(url: &str) -> &str {
    let Some(scheme_end) = url.find("://") else {
        return url;
    };
    let rest = url.get(scheme_end + 3..).unwrap_or("");
    match rest.find('/') {
        Some(i) => rest.get(i..).unwrap_or(""),
        None => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logsentinel_core::{Format, Timestamp};

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration(" 5m ").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_duration("1d").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
        for bad in [
            "",
            "5",
            "m",
            "5x",
            "-5m",
            "5 minutes",
            "1.5h",
            "99999999999999999999s",
            "9999d",
            "5é",
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert!(
                matches!(&e, DetectError::Config(m) if m.contains("invalid duration")),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn defaults() {
        let c = DetectConfig::default();
        assert_eq!(c.suppression().unwrap(), Duration::from_secs(600));
        assert_eq!(c.max_keys_per_rule, 100_000);
        assert_eq!(c.incident_window().unwrap(), Duration::from_secs(7200));
        assert!(c.check_global().is_ok());
    }

    #[test]
    fn toml_section_parses_and_unknown_keys_are_refused() {
        let text = r#"
            suppression_window = "5m"
            max_keys_per_rule = 1000
            incident_window = "4h"
            [allow]
            ips = ["10.0.0.0/8", "192.0.2.10", "2001:db8::/32"]
            users = ["nagios"]
            user_agents = ["UptimeRobot"]
            paths = ["/healthz"]
            [rules.ssh_brute_force]
            count = 8
            timespan = "5m"
            [rules.su_failure]
            enabled = false
        "#;
        let c: DetectConfig = toml::from_str(text).unwrap();
        assert_eq!(c.suppression_window, "5m");
        assert_eq!(c.max_keys_per_rule, 1000);
        assert_eq!(c.incident_window().unwrap(), Duration::from_secs(4 * 3600));
        assert_eq!(c.allow.ips.len(), 3);
        assert_eq!(c.rules["ssh_brute_force"].count, Some(8));
        assert_eq!(c.rules["su_failure"].enabled, Some(false));
        assert!(c.check_global().is_ok());
        let partial: DetectConfig = toml::from_str("[allow]\nusers = [\"x\"]").unwrap();
        assert_eq!(partial.suppression_window, "10m");
        assert!(toml::from_str::<DetectConfig>("supression_window = \"5m\"").is_err());
        assert!(toml::from_str::<DetectConfig>("[rules.x]\ncont = 3").is_err());
        assert!(toml::from_str::<DetectConfig>("[allow]\nip = []").is_err());
    }

    #[test]
    fn bad_global_settings_are_refused() {
        let mut c = DetectConfig {
            suppression_window: "10 minutes".into(),
            ..DetectConfig::default()
        };
        let e = c.check_global().unwrap_err().to_string();
        assert!(e.contains("suppression_window"), "{e}");
        c.suppression_window = "1m".into();
        for bad in ["0s", "2 hours", ""] {
            c.incident_window = bad.into();
            let e = c.check_global().unwrap_err().to_string();
            assert!(e.contains("incident_window"), "{e}");
        }
        c.incident_window = "30m".into();
        assert_eq!(c.incident_window().unwrap(), Duration::from_secs(1800));
        c.max_keys_per_rule = 0;
        assert!(c.check_global().is_err());
        c.max_keys_per_rule = 10;
        c.allow.ips = vec!["10.0.0.0/33".into(), "not-an-ip".into()];
        let e = c.check_global().unwrap_err().to_string();
        assert!(e.contains("10.0.0.0/33") && e.contains("not-an-ip"), "{e}");
        c.allow.ips.clear();
        c.allow.user_agents = vec![" ".into()];
        assert!(c.check_global().is_err());
    }

    fn event<'a>(line: &'a str) -> Event<'a> {
        Event::new(Format::ApacheCombined, line, Timestamp::from_secs(0))
    }

    #[test]
    fn allow_list_matching() {
        let a = AllowList {
            ips: vec![
                "10.0.0.0/8".into(),
                "192.0.2.10".into(),
                "2001:db8::/32".into(),
            ],
            users: vec!["Nagios".into()],
            user_agents: vec!["uptimerobot".into()],
            paths: vec!["/healthz".into()],
        }
        .compile()
        .unwrap();
        let mut ev = event("x");
        assert!(!a.allows(&ev));
        ev.source_ip = "10.1.2.3".parse().ok();
        assert!(a.allows(&ev));
        ev.source_ip = "192.0.2.10".parse().ok();
        assert!(a.allows(&ev));
        ev.source_ip = "192.0.2.11".parse().ok();
        assert!(!a.allows(&ev));
        ev.source_ip = "2001:db8::1".parse().ok();
        assert!(a.allows(&ev));
        ev.source_ip = "203.0.113.7".parse().ok();
        ev.user_name = Some("nagios".into());
        assert!(a.allows(&ev));
        ev.user_name = Some("nagios2".into());
        assert!(!a.allows(&ev));
        ev.user_agent = Some("Mozilla/5.0 (compatible; UptimeRobot/2.0)".into());
        assert!(a.allows(&ev));
        ev.user_agent = Some("curl/8.0 ☃".into());
        assert!(!a.allows(&ev));
        ev.url_original = Some("/healthz?full=1".into());
        assert!(a.allows(&ev));
        ev.url_original = Some("http://example.com:8080/healthz".into());
        assert!(a.allows(&ev));
        ev.url_original = Some("/login".into());
        assert!(!a.allows(&ev));
        ev.url_original = Some("http://é".into());
        assert!(!a.allows(&ev));
        assert!(!AllowList::default().compile().unwrap().allows(&ev));
    }
}
