//! What a notification says: an alert (with its incident, when it has one)
//! or a digest of alerts folded by de-duplication and rate limiting.
//!
//! These are plain data, persisted as JSON in the delivery queue, so a
//! message queued before a restart is delivered after it exactly as it was
//! written. Every string in them may carry attacker-controlled text (user
//! names, log lines); the renderers escape it.

use serde::{Deserialize, Serialize};

use logsentinel_detect::alert::Alert;
use logsentinel_detect::incident::Incident;

/// Most alerts listed in a digest; `Digest::total` counts all of them.
pub const DIGEST_MAX_ITEMS: usize = 50;

/// One alert, ready to be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertNote {
    pub alert_id: String,
    pub rule_id: String,
    pub rule_title: String,
    pub description: String,
    /// `low` / `medium` / `high` / `critical`.
    pub severity: String,
    pub risk_score: u8,
    /// ATT&CK techniques as (id, name).
    pub techniques: Vec<(String, String)>,
    pub source_ip: Option<String>,
    pub user_name: Option<String>,
    pub host_name: Option<String>,
    /// Number of log events behind the alert.
    pub count: u64,
    /// RFC 3339.
    pub first_seen: String,
    /// RFC 3339.
    pub last_seen: String,
    /// `Alert::summary`.
    pub summary: String,
    /// What de-duplication groups by when there is no incident: the rule id
    /// and the alert's group key.
    pub dedup_key: String,
    pub incident: Option<IncidentRef>,
    pub evidence: Vec<EvidenceLine>,
    /// The alert contract JSON (`Alert::to_json`).
    pub alert: serde_json::Value,
}

/// The incident an alert belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRef {
    pub id: String,
    /// Kill-chain stages, e.g. `reconnaissance → initial_access`.
    pub chain: String,
    pub risk_score: u8,
    pub severity: String,
    /// Number of alerts in the incident.
    pub alerts: usize,
}

/// One log line behind an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceLine {
    pub file: Option<String>,
    pub line: Option<u64>,
    pub message: String,
    /// RFC 3339.
    pub timestamp: String,
}

/// Alerts folded into one message for a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    pub channel: String,
    /// The first `DIGEST_MAX_ITEMS` alerts folded.
    pub items: Vec<DigestItem>,
    /// Every alert folded, listed or not.
    pub total: u64,
    /// RFC 3339: when the first alert was folded.
    pub from: String,
    /// RFC 3339: when the digest was closed.
    pub to: String,
}

/// A digest being collected for a channel: the digest so far, when its
/// first alert was folded and when it is due to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDigest {
    /// `to` is empty until the digest is closed.
    pub digest: Digest,
    pub from_ms: i64,
    pub due_ms: i64,
}

/// One alert of a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestItem {
    pub alert_id: String,
    pub severity: String,
    pub risk_score: u8,
    pub rule_title: String,
    pub source_ip: Option<String>,
    pub user_name: Option<String>,
    pub incident_id: Option<String>,
    pub first_seen: String,
    pub summary: String,
}

/// What a channel delivers.
// An alert note is bigger than a digest; notifications are few and rarely
// moved, so the two are kept inline for a plain pattern-matchable enum.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notification {
    Alert(AlertNote),
    Digest(Digest),
}

impl IncidentRef {
    pub fn from_incident(i: &Incident) -> IncidentRef {
        IncidentRef {
            id: i.id.clone(),
            chain: i.chain(),
            risk_score: i.risk_score,
            severity: i.severity.as_str().to_string(),
            alerts: i.alerts.len(),
        }
    }
}

impl AlertNote {
    /// The note of an alert; `incident` is the incident it belongs to, when
    /// the caller knows one.
    pub fn from_alert(a: &Alert, incident: Option<IncidentRef>) -> AlertNote {
        AlertNote {
            alert_id: a.id.clone(),
            rule_id: a.rule_id.clone(),
            rule_title: a.rule_title.clone(),
            description: a.description.clone(),
            severity: a.severity.as_str().to_string(),
            risk_score: a.risk_score,
            techniques: a.techniques.clone(),
            source_ip: a.source_ip.clone(),
            user_name: a.user_name.clone(),
            host_name: a.host_name.clone(),
            count: a.count,
            first_seen: a.first_seen.to_string(),
            last_seen: a.last_seen.to_string(),
            summary: a.summary(),
            dedup_key: dedup_key(a),
            incident,
            evidence: a
                .evidence
                .iter()
                .map(|e| EvidenceLine {
                    file: e.file.clone(),
                    line: e.line,
                    message: e.message.clone(),
                    timestamp: e.timestamp.to_string(),
                })
                .collect(),
            alert: a.to_json(),
        }
    }

    /// The de-duplication group: the incident when there is one, else the
    /// rule and group key.
    pub fn dedup_group(&self) -> &str {
        self.incident.as_ref().map_or(&self.dedup_key, |i| &i.id)
    }

    /// The item listing this alert in a digest.
    pub fn digest_item(&self) -> DigestItem {
        DigestItem {
            alert_id: self.alert_id.clone(),
            severity: self.severity.clone(),
            risk_score: self.risk_score,
            rule_title: self.rule_title.clone(),
            source_ip: self.source_ip.clone(),
            user_name: self.user_name.clone(),
            incident_id: self.incident.as_ref().map(|i| i.id.clone()),
            first_seen: self.first_seen.clone(),
            summary: self.summary.clone(),
        }
    }
}

/// `rule_id` and the group key `field=value,...`; a rule without a group
/// key (no `group-by` / `suppress-by`) is grouped by its entities, so two
/// attackers of one rule are not taken for the same thing.
fn dedup_key(a: &Alert) -> String {
    let mut key = a.rule_id.clone();
    let fields: Vec<(&str, &str)> = if a.group.is_empty() {
        [
            ("source.ip", &a.source_ip),
            ("user.name", &a.user_name),
            ("host.name", &a.host_name),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    } else {
        a.group
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    };
    for (i, (k, v)) in fields.into_iter().enumerate() {
        key.push(if i == 0 { '|' } else { ',' });
        key.push_str(k);
        key.push('=');
        key.push_str(v);
    }
    key
}

/// `s` with every byte outside `[A-Za-z0-9._-]` left out: safe in a
/// Message-ID, a header or a queue key.
pub(crate) fn token(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(128)
        .collect()
}

impl Notification {
    /// Unique and stable: the alert id, or `digest.CHANNEL.START` for a
    /// digest (its channel and the start of its window). Made only of
    /// `[A-Za-z0-9._-]`, so it fits in a Message-ID.
    pub fn key(&self) -> String {
        match self {
            Notification::Alert(a) => token(&a.alert_id),
            Notification::Digest(d) => {
                let start: String = d.from.chars().filter(char::is_ascii_alphanumeric).collect();
                format!("digest.{}.{}", token(&d.channel), start)
            }
        }
    }

    /// `alert` or `digest`.
    pub fn kind(&self) -> &'static str {
        match self {
            Notification::Alert(_) => "alert",
            Notification::Digest(_) => "digest",
        }
    }

    /// The highest risk score in the notification.
    pub fn risk_score(&self) -> u8 {
        match self {
            Notification::Alert(a) => a.risk_score,
            Notification::Digest(d) => d.items.iter().map(|i| i.risk_score).max().unwrap_or(0),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use logsentinel_core::Timestamp;
    use logsentinel_detect::alert::{Evidence, Severity};
    use logsentinel_detect::rule::{Level, RuleCategory};
    use logsentinel_detect::score::Responses;

    /// A realistic alert, with attacker text in the user name and the
    /// evidence.
    pub(crate) fn sample_alert() -> Alert {
        Alert {
            id: "0123456789abcdef0123456789abcdef".into(),
            rule_index: 0,
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
            user_name: Some("<script>alert(1)</script>".into()),
            users: vec!["<script>alert(1)</script>".into()],
            distinct_users: 1,
            source_ips: vec!["203.0.113.7".into()],
            distinct_source_ips: 1,
            host_name: Some("web1".into()),
            group: vec![("source.ip".into(), "203.0.113.7".into())],
            count: 57,
            evidence: vec![Evidence {
                file: Some("/var/log/auth.log".into()),
                line: Some(1042),
                message:
                    "sshd[1]: Invalid user <script>alert(1)</script> from 203.0.113.7 \x1b[31m"
                        .into(),
                timestamp: Timestamp::from_secs(1_705_314_662),
            }],
            responses: Responses::default(),
            incident_id: Some("inc0123".into()),
        }
    }

    pub(crate) fn sample_incident() -> IncidentRef {
        IncidentRef {
            id: "inc0123".into(),
            chain: "reconnaissance → initial_access".into(),
            risk_score: 85,
            severity: "critical".into(),
            alerts: 3,
        }
    }

    pub(crate) fn sample_note() -> AlertNote {
        AlertNote::from_alert(&sample_alert(), Some(sample_incident()))
    }

    pub(crate) fn sample_digest() -> Digest {
        let n = sample_note();
        Digest {
            channel: "ops".into(),
            items: vec![n.digest_item(), n.digest_item()],
            total: 75,
            from: "2024-01-15T10:31:02.250Z".into(),
            to: "2024-01-15T10:32:02Z".into(),
        }
    }

    #[test]
    fn note_of_an_alert() {
        let n = sample_note();
        assert_eq!(n.severity, "high");
        assert_eq!(n.first_seen, "2024-01-15T10:31:02Z");
        assert_eq!(
            n.dedup_key,
            "0e95725d-7320-415d-80f7-004da920fc11|source.ip=203.0.113.7"
        );
        assert_eq!(n.dedup_group(), "inc0123");
        assert_eq!(n.evidence[0].line, Some(1042));
        assert_eq!(n.alert["event"]["id"], n.alert_id.as_str());
        assert!(n.summary.starts_with("SSH brute force from 203.0.113.7"));

        let mut a = sample_alert();
        a.group.clear();
        let n = AlertNote::from_alert(&a, None);
        assert_eq!(
            n.dedup_key,
            "0e95725d-7320-415d-80f7-004da920fc11|source.ip=203.0.113.7,user.name=<script>alert(1)</script>,host.name=web1"
        );
        assert_eq!(n.dedup_group(), n.dedup_key);
    }

    #[test]
    fn keys_are_stable_and_safe() {
        let n = Notification::Alert(sample_note());
        assert_eq!(n.key(), "0123456789abcdef0123456789abcdef");
        let d = Notification::Digest(sample_digest());
        assert_eq!(d.key(), "digest.ops.20240115T103102250Z");
        assert_eq!(d.key(), d.clone().key());
        let mut hostile = sample_note();
        hostile.alert_id = "a>b\r\n<c@d".into();
        assert_eq!(Notification::Alert(hostile).key(), "abcd");
    }

    #[test]
    fn round_trips_through_json() {
        for n in [
            Notification::Alert(sample_note()),
            Notification::Digest(sample_digest()),
        ] {
            let s = serde_json::to_string(&n).unwrap();
            let back: Notification = serde_json::from_str(&s).unwrap();
            assert_eq!(back, n);
        }
    }
}
