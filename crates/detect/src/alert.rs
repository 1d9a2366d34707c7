//! The alert contract (DESIGN.md, "Alerts"): what a detection reports, and
//! its JSON form, nested ECS.
//!
//! An `Alert` is a snapshot: the engine keeps the live state of an open
//! alert and hands out `Alert`s (when one opens, and with final counts at
//! the end). `to_json` is the one place the JSON shape is written.

use serde_json::{Map, Value, json};

use logsentinel_core::Timestamp;

use crate::attack;
use crate::rule::{Level, RuleCategory};
use crate::score::{Answer, Responses, web_answer};

/// Severity band of a risk score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The band of a score: ≥ 80 critical, ≥ 50 high, ≥ 20 medium, else low.
    pub fn from_score(score: u8) -> Severity {
        match score {
            80.. => Severity::Critical,
            50..=79 => Severity::High,
            20..=49 => Severity::Medium,
            _ => Severity::Low,
        }
    }

    /// The lowest score of the band.
    pub fn min_score(self) -> u8 {
        match self {
            Severity::Low => 0,
            Severity::Medium => 20,
            Severity::High => 50,
            Severity::Critical => 80,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// `low` / `medium` / `high` / `critical`, any case.
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The recommended action of the band (DESIGN.md table).
    pub fn action(self) -> &'static str {
        match self {
            Severity::Low => "BENIGN — no action needed",
            Severity::Medium => "MONITOR — track activity",
            Severity::High => "INVESTIGATE — review recommended",
            Severity::Critical => "BLOCK — immediate action required",
        }
    }
}

/// One log line behind an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// `log.file.path` of the line, when read from a file.
    pub file: Option<String>,
    /// `log.file.line`: 1-based line number.
    pub line: Option<u64>,
    /// The raw line (capped at `signal::MAX_EVIDENCE_BYTES`).
    pub message: String,
    /// The line's `@timestamp`.
    pub timestamp: Timestamp,
}

impl Evidence {
    /// `{"file", "line", "message", "@timestamp"}`; file and line only when
    /// known.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(f) = &self.file {
            m.insert("file".into(), json!(f));
        }
        if let Some(l) = self.line {
            m.insert("line".into(), json!(l));
        }
        m.insert("message".into(), json!(self.message));
        m.insert("@timestamp".into(), json!(self.timestamp.to_string()));
        Value::Object(m)
    }
}

/// A detection: one rule, one group key (source, user, ...), one stretch of
/// time.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Deterministic: a hash of the rule id, the group key and the time the
    /// alert opened, as 32 hex digits. The same input gives the same ids.
    pub id: String,
    /// Index of the rule in `RuleSet::rules`.
    pub rule_index: usize,
    /// Sigma `id` of the rule.
    pub rule_id: String,
    /// Sigma `name` (snake_case; what `rules test NAME` takes).
    pub rule_name: String,
    /// Sigma `title` (what people read; `rule.name` in the JSON).
    pub rule_title: String,
    pub category: RuleCategory,
    pub level: Level,
    pub risk_score: u8,
    pub severity: Severity,
    /// ATT&CK techniques as (id, name), e.g. (`T1110.001`, `Password Guessing`).
    pub techniques: Vec<(String, String)>,
    /// ATT&CK tactics as (id, name), e.g. (`TA0006`, `Credential Access`).
    pub tactics: Vec<(String, String)>,
    pub description: String,
    /// Time of the earliest event of the alert.
    pub first_seen: Timestamp,
    /// Time of the latest event of the alert.
    pub last_seen: Timestamp,
    /// `source.ip`: the group's value, or the only source seen.
    pub source_ip: Option<String>,
    /// `user.name`: the group's value, or the only account seen.
    pub user_name: Option<String>,
    /// Distinct accounts involved, in order of appearance, capped
    /// (`MAX_LISTED`); `distinct_users` has the full count.
    pub users: Vec<String>,
    /// Number of distinct accounts involved (exact up to 10 000).
    pub distinct_users: usize,
    /// Distinct source addresses involved, in order of appearance, capped.
    pub source_ips: Vec<String>,
    /// Number of distinct source addresses (exact up to 10 000).
    pub distinct_source_ips: usize,
    /// `host.name`: the group's value, or the first host seen.
    pub host_name: Option<String>,
    /// The group key as (ECS field, value): a correlation's `group-by`, a
    /// detection rule's `suppress-by`. Absent fields are left out.
    pub group: Vec<(String, String)>,
    /// Exact number of log events behind the alert.
    pub count: u64,
    /// Capped: the first and the last lines (at most 5 + 5), in order.
    pub evidence: Vec<Evidence>,
    /// HTTP answers to the alert's requests, by status class: every event
    /// of a detection rule's alert; for a correlation, the lines that
    /// opened it (its latest few) and every later one.
    pub responses: Responses,
    /// Set by incident correlation, when the alert belongs to an incident.
    pub incident_id: Option<String>,
}

/// How many distinct users / source addresses an alert lists.
pub const MAX_LISTED: usize = 50;

impl Alert {
    /// For a web attack (of a rule at level medium or above): whether the
    /// answers say it got through (`Success`: some request answered 2xx),
    /// was refused (every answer a 4xx), or neither. `Unknown` for other
    /// alerts (`score::web_answer`).
    pub fn answer(&self) -> Answer {
        web_answer(self.level, self.category, &self.responses)
    }

    /// The alert without what only its full report needs (evidence, the
    /// lists of users and addresses, the group, the description, tactics):
    /// enough to rank, summarise and link it into incidents, in a fraction
    /// of the memory. Counts (`distinct_users`, ...) are kept.
    pub fn without_detail(mut self) -> Alert {
        self.evidence = Vec::new();
        self.users = Vec::new();
        self.source_ips = Vec::new();
        self.group = Vec::new();
        self.description = String::new();
        self.tactics = Vec::new();
        self
    }

    /// A one-line human summary, e.g. `SSH brute force from 203.0.113.7
    /// against root on web1 (57 events)`. Also the JSON `message`.
    pub fn summary(&self) -> String {
        let mut s = self.rule_title.clone();
        if let Some(ip) = &self.source_ip {
            s.push_str(" from ");
            s.push_str(ip);
        } else if self.distinct_source_ips > 1 {
            s.push_str(&format!(" from {} sources", self.distinct_source_ips));
        }
        if let Some(u) = &self.user_name {
            s.push_str(" against ");
            s.push_str(u);
        } else if self.distinct_users > 1 {
            s.push_str(&format!(" against {} accounts", self.distinct_users));
        }
        if let Some(h) = &self.host_name {
            s.push_str(" on ");
            s.push_str(h);
        }
        let unit = if self.count == 1 { "event" } else { "events" };
        s.push_str(&format!(" ({} {unit})", self.count));
        s
    }

    /// The alert as nested ECS JSON, exactly the DESIGN.md alert contract,
    /// plus a few additions (`message`, `event.id`, `rule.sigma_name`,
    /// `rule.level`, `rule.description`, `user.target.name` when grouped by
    /// it, `related.user` / `related.ip`, `group`; for web attacks
    /// `event.outcome`: `success` when a request was answered 2xx,
    /// `failure` when every answer was a 4xx; `http.response.status_classes`
    /// (`{"2xx": n, "4xx": n, ...}`, non-zero classes) when answers are
    /// known).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("@timestamp".into(), json!(self.first_seen.to_string()));
        m.insert("message".into(), json!(self.summary()));
        let mut event = json!({
            "kind": "alert",
            "id": self.id,
            "start": self.first_seen.to_string(),
            "end": self.last_seen.to_string(),
            "risk_score": self.risk_score,
        });
        let outcome = match self.answer() {
            Answer::Success => Some("success"),
            Answer::Refused => Some("failure"),
            Answer::Unknown => None,
        };
        if let (Some(o), Some(e)) = (outcome, event.as_object_mut()) {
            e.insert("outcome".into(), json!(o));
        }
        m.insert("event".into(), event);
        m.insert("severity".into(), json!(self.severity.as_str()));
        m.insert(
            "rule".into(),
            json!({
                "id": self.rule_id,
                "name": self.rule_title,
                "sigma_name": self.rule_name,
                "category": self.category.as_str(),
                "level": self.level.as_str(),
                "description": self.description,
            }),
        );
        if !self.techniques.is_empty() || !self.tactics.is_empty() {
            let technique: Vec<Value> = self
                .techniques
                .iter()
                .map(|(id, name)| {
                    let url = attack::technique(id).map_or("", |t| t.url);
                    json!({"id": id, "name": name, "reference": url})
                })
                .collect();
            let tactic: Vec<Value> = self
                .tactics
                .iter()
                .map(|(id, name)| {
                    let url = attack::tactic(id).map_or("", |t| t.url);
                    json!({"id": id, "name": name, "reference": url})
                })
                .collect();
            m.insert(
                "threat".into(),
                json!({"framework": "MITRE ATT&CK", "technique": technique, "tactic": tactic}),
            );
        }
        if let Some(ip) = &self.source_ip {
            m.insert("source".into(), json!({ "ip": ip }));
        }
        let mut user = Map::new();
        if let Some(u) = &self.user_name {
            user.insert("name".into(), json!(u));
        }
        if let Some((_, t)) = self.group.iter().find(|(k, _)| k == "user.target.name") {
            user.insert("target".into(), json!({ "name": t }));
        }
        if !user.is_empty() {
            m.insert("user".into(), Value::Object(user));
        }
        if let Some(h) = &self.host_name {
            m.insert("host".into(), json!({ "name": h }));
        }
        let mut related = Map::new();
        if !self.users.is_empty() {
            related.insert("user".into(), json!(self.users));
        }
        if !self.source_ips.is_empty() {
            related.insert("ip".into(), json!(self.source_ips));
        }
        if !related.is_empty() {
            m.insert("related".into(), Value::Object(related));
        }
        if self.responses.total() > 0 {
            let r = &self.responses;
            let classes: Map<String, Value> = [
                ("2xx", r.success),
                ("3xx", r.redirect),
                ("4xx", r.refused),
                ("5xx", r.error),
            ]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| (k.to_string(), json!(n)))
            .collect();
            m.insert(
                "http".into(),
                json!({ "response": { "status_classes": classes } }),
            );
        }
        m.insert("count".into(), json!(self.count));
        m.insert(
            "evidence".into(),
            Value::Array(self.evidence.iter().map(Evidence::to_json).collect()),
        );
        if let Some(id) = &self.incident_id {
            m.insert("incident".into(), json!({ "id": id }));
        }
        let group: Map<String, Value> = self
            .group
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        m.insert("group".into(), Value::Object(group));
        Value::Object(m)
    }
}

/// A deterministic alert id: 128 bits of two FNV-1a hashes over the rule id,
/// the group key and the opening time (milliseconds), as 32 hex digits.
pub(crate) fn alert_id(rule_id: &str, group_key: &str, first_seen: Timestamp) -> String {
    fn fnv(seed: u64, parts: &[&[u8]]) -> u64 {
        let mut h = seed;
        for p in parts {
            for &b in *p {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            // Separator, so ("ab", "c") and ("a", "bc") differ.
            h ^= 0xff;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    }
    let t = crate::signal::millis(first_seen).to_le_bytes();
    let parts: [&[u8]; 3] = [rule_id.as_bytes(), group_key.as_bytes(), &t];
    let a = fnv(0xcbf2_9ce4_8422_2325, &parts);
    let b = fnv(0x6c62_272e_07bb_0142, &parts);
    format!("{a:016x}{b:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Alert {
        Alert {
            id: alert_id("a1b2", "9:1.2.3.4", Timestamp::from_secs(1_705_314_662)),
            rule_index: 3,
            rule_id: "0e95725d-7320-415d-80f7-004da920fc11".into(),
            rule_name: "ssh_brute_force".into(),
            rule_title: "SSH brute force".into(),
            category: RuleCategory::BruteForce,
            level: Level::High,
            risk_score: 70,
            severity: Severity::High,
            techniques: vec![("T1110.001".into(), "Password Guessing".into())],
            tactics: vec![("TA0006".into(), "Credential Access".into())],
            description: "Many failed SSH logins from one source.".into(),
            first_seen: Timestamp::from_secs(1_705_314_662),
            last_seen: Timestamp::from_secs(1_705_314_722),
            source_ip: Some("203.0.113.7".into()),
            user_name: Some("root".into()),
            users: vec!["root".into()],
            distinct_users: 1,
            source_ips: vec!["203.0.113.7".into()],
            distinct_source_ips: 1,
            host_name: Some("web1".into()),
            group: vec![("source.ip".into(), "203.0.113.7".into())],
            count: 57,
            evidence: vec![Evidence {
                file: Some("auth.log".into()),
                line: Some(1042),
                message: "Jan 15 10:31:02 web1 sshd[1]: Failed password for root".into(),
                timestamp: Timestamp::from_secs(1_705_314_662),
            }],
            responses: Responses::default(),
            incident_id: None,
        }
    }

    #[test]
    fn json_follows_the_contract() {
        let j = sample().to_json();
        assert_eq!(j["@timestamp"], "2024-01-15T10:31:02Z");
        assert_eq!(j["event"]["kind"], "alert");
        assert_eq!(j["event"]["start"], "2024-01-15T10:31:02Z");
        assert_eq!(j["event"]["end"], "2024-01-15T10:32:02Z");
        assert_eq!(j["event"]["risk_score"], 70);
        assert_eq!(j["severity"], "high");
        assert_eq!(j["rule"]["name"], "SSH brute force");
        assert_eq!(j["rule"]["sigma_name"], "ssh_brute_force");
        assert_eq!(j["rule"]["category"], "brute_force");
        assert_eq!(j["rule"]["level"], "high");
        assert_eq!(j["threat"]["framework"], "MITRE ATT&CK");
        assert_eq!(j["threat"]["technique"][0]["id"], "T1110.001");
        assert_eq!(j["threat"]["technique"][0]["name"], "Password Guessing");
        assert!(
            j["threat"]["technique"][0]["reference"]
                .as_str()
                .unwrap()
                .ends_with("/T1110/001")
        );
        assert_eq!(j["threat"]["tactic"][0]["id"], "TA0006");
        assert_eq!(j["source"]["ip"], "203.0.113.7");
        assert_eq!(j["user"]["name"], "root");
        assert_eq!(j["host"]["name"], "web1");
        assert_eq!(j["count"], 57);
        assert_eq!(j["evidence"][0]["file"], "auth.log");
        assert_eq!(j["evidence"][0]["line"], 1042);
        assert_eq!(j["evidence"][0]["@timestamp"], "2024-01-15T10:31:02Z");
        assert_eq!(j["group"]["source.ip"], "203.0.113.7");
        assert!(j.get("incident").is_none());
        assert!(j["event"].get("outcome").is_none() && j.get("http").is_none());
        assert_eq!(
            j["message"],
            "SSH brute force from 203.0.113.7 against root on web1 (57 events)"
        );
    }

    #[test]
    fn optional_parts_are_left_out() {
        let mut a = sample();
        a.source_ip = None;
        a.user_name = None;
        a.host_name = None;
        a.users.clear();
        a.source_ips.clear();
        a.evidence[0].file = None;
        a.incident_id = Some("inc-1".into());
        let j = a.to_json();
        assert!(j.get("source").is_none() && j.get("user").is_none());
        assert!(j.get("host").is_none() && j.get("related").is_none());
        assert!(j["evidence"][0].get("file").is_none());
        assert_eq!(j["incident"]["id"], "inc-1");
        a.group = vec![("user.target.name".into(), "backup2".into())];
        assert_eq!(a.to_json()["user"]["target"]["name"], "backup2");
        assert!(a.to_json()["user"].get("name").is_none());
    }

    #[test]
    fn web_attack_answers_show_in_the_json() {
        let mut a = sample();
        a.category = RuleCategory::SqlInjection;
        a.responses = Responses {
            success: 1,
            refused: 3,
            ..Responses::default()
        };
        let j = a.to_json();
        assert_eq!(j["event"]["outcome"], "success");
        assert_eq!(j["http"]["response"]["status_classes"]["2xx"], 1);
        assert_eq!(j["http"]["response"]["status_classes"]["4xx"], 3);
        assert!(j["http"]["response"]["status_classes"].get("5xx").is_none());
        a.responses.success = 0;
        assert_eq!(a.answer(), Answer::Refused);
        assert_eq!(a.to_json()["event"]["outcome"], "failure");
        a.responses.error = 1;
        assert_eq!(a.answer(), Answer::Unknown);
        assert!(a.to_json()["event"].get("outcome").is_none());
        // A low-level web rule is a weak signal: its answers are not judged.
        a.responses = Responses {
            success: 2,
            ..Responses::default()
        };
        a.level = Level::Low;
        assert_eq!(a.answer(), Answer::Unknown);
        a.level = Level::Medium;
        assert_eq!(a.answer(), Answer::Success);
        // Answers are shown, but not judged, for other categories.
        a.category = RuleCategory::BruteForce;
        a.responses = Responses {
            refused: 9,
            ..Responses::default()
        };
        let j = a.to_json();
        assert!(j["event"].get("outcome").is_none());
        assert_eq!(j["http"]["response"]["status_classes"]["4xx"], 9);
    }

    #[test]
    fn severity_bands() {
        assert_eq!(Severity::from_score(0), Severity::Low);
        assert_eq!(Severity::from_score(19), Severity::Low);
        assert_eq!(Severity::from_score(20), Severity::Medium);
        assert_eq!(Severity::from_score(49), Severity::Medium);
        assert_eq!(Severity::from_score(50), Severity::High);
        assert_eq!(Severity::from_score(79), Severity::High);
        assert_eq!(Severity::from_score(80), Severity::Critical);
        assert_eq!(Severity::from_score(100), Severity::Critical);
        assert_eq!(Severity::parse(" HIGH "), Some(Severity::High));
        assert_eq!(Severity::parse("severe"), None);
        for s in Severity::ALL {
            assert_eq!(Severity::from_score(s.min_score()), s);
        }
    }

    #[test]
    fn ids_are_deterministic_and_distinct() {
        let t = Timestamp::from_secs(100);
        let a = alert_id("r", "k", t);
        assert_eq!(a.len(), 32);
        assert_eq!(a, alert_id("r", "k", t));
        assert_ne!(a, alert_id("r", "k2", t));
        assert_ne!(a, alert_id("r", "k", Timestamp::from_secs(101)));
        assert_ne!(alert_id("ab", "c", t), alert_id("a", "bc", t));
        // Extreme times do not overflow.
        let _ = alert_id("r", "k", Timestamp::from_secs(i64::MAX));
    }
}
