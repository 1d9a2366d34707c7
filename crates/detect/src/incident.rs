//! Incidents: alerts linked by the entities they share, read as one attack
//! moving through the stages of a kill chain.
//!
//! A rule sees one pattern; an attack is several. The scanner that probed a
//! site at 10:00, the SQL injection from the same address at 10:05 and the
//! injected request the application answered `200` at 10:07 are three
//! alerts and one incident: reconnaissance → initial access → compromise.
//! This is the "small, explicit Rust component on top of alerts" of
//! DESIGN.md: pure, deterministic, run on the final alert list.
//!
//! # Stages
//!
//! Each alert is placed in the kill chain by its rule's category and, for
//! web attacks, by the HTTP answers it got (`Alert::answer`):
//!
//! | stage | categories |
//! |---|---|
//! | `reconnaissance` | `scanner`, `port_scan`, `user_enumeration`, `sensitive_file_access` (probes) |
//! | `initial_access` (initial / credential access) | `brute_force`, `password_spraying`, `sql_injection`, `xss`, `path_traversal`, `command_injection`, `code_injection`, `ssrf` |
//! | `compromise` | `account_compromise`; a web attack (rule at level medium or above) some request of which was answered 2xx (`sql_injection`, `path_traversal`, `command_injection`, `code_injection`, `ssrf`: as well as `initial_access`; `sensitive_file_access`: as well as `reconnaissance`, the file was served) |
//! | `privilege_escalation` (privilege escalation, execution, persistence, defense evasion: actions on a host after access) | `privilege_escalation`, `persistence`, `defense_evasion`, `malware`; when the alert's events are web requests (a web shell): every one answered 4xx → `reconnaissance` instead (a probe for a shell that is not there); one answered 2xx by a rule at level medium or above → `compromise` as well (the shell is there and answered) |
//! | none | `threat_intel_match`, `policy`, `other` (they link, add no stage) |
//!
//! `xss` answered 2xx stays `initial_access`: a reflected payload is
//! normally echoed with a `200`, and its victim is a browser the server
//! log never sees, so the answer says nothing about a compromise.
//!
//! # Linking
//!
//! Two alerts belong to the same incident when they share an entity and
//! are close in time: the gap between their spans (`first_seen` ..
//! `last_seen`) is at most `window` (default 2 h, `incident_window` in
//! `[detection]`). Links are transitive (union of all links), so a chain of
//! alerts each within the window of the next forms one incident, and an
//! entity quiet for longer than the window starts a new one. Entities:
//!
//! - the source address (`source.ip`) of every alert: the attacker;
//! - the account on its host (`user.name` and `host.name`, both
//!   case-insensitive) of alerts at `compromise` or `privilege_escalation`,
//!   where the account acted on the host. The account of a reconnaissance
//!   or initial access alert is only a target (every brute force tries
//!   `root`), so it links nothing.
//! - the host, for an alert after access that names neither an address
//!   nor an account (`useradd` of a UID 0 account, a cleared log): it joins
//!   the most recent access on that host, i.e. the alert at `compromise` or
//!   `privilege_escalation` on the host, with an address or an account,
//!   that started last at or before it (within the window). The host alone
//!   links nothing else: a server sees many attackers, and two accounts
//!   broken into on the same host the same hour are two incidents.
//!
//! So `brute force → successful login → sudo to a root shell` links the
//! brute force to the compromise by the address, and the compromise to the
//! root shell by the account on the host.
//!
//! Only groups of two or more alerts are incidents; an alert alone keeps
//! `incident_id: None`.
//!
//! # Score
//!
//! ```text
//! worst = max(alert scores)
//! score = worst + 10 · (distinct stages − 1)
//! no stage past the way in (only reconnaissance / initial_access): stages
//! alone do not make it CRITICAL:      score = max(worst, min(score, 79))
//! a chain that reaches compromise (or privilege_escalation) from an earlier
//! stage (reconnaissance or initial_access) is CRITICAL: score = max(score, 80)
//! score = min(score, 100); severity = the band of the score
//! ```
//!
//! So a scan followed by password guessing from the same address reads
//! higher than either alone, but only an attack that got in (or an alert
//! that is CRITICAL by itself) makes a CRITICAL incident.
//!
//! # Ids, and live use
//!
//! An incident's id is a hash of its earliest alert's id (alert ids are
//! deterministic), as 32 hex digits: the same input gives the same ids, and
//! alerts joining later do not change it. So a live caller can keep the
//! alerts of the last `window` or so (plus the open incidents' alerts) and
//! run `link` again as alerts arrive: an incident keeps its id as it grows;
//! when a new alert bridges two incidents, the merged one keeps the id of
//! the one that started first.

use std::collections::HashSet;
use std::time::Duration;

use logsentinel_core::Timestamp;
use serde_json::{Map, Value, json};

use crate::alert::{Alert, MAX_LISTED, Severity, alert_id};
use crate::rule::{Level, RuleCategory};
use crate::score::Answer;
use crate::signal::millis;

/// The default `incident_window`.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(2 * 3600);

/// Points an incident gains per distinct stage beyond the first.
pub const STAGE_POINTS: u8 = 10;

/// A stage of the kill chain, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Scans and probes: finding what to attack.
    Reconnaissance,
    /// Attempts to get in: password guessing, injection attempts.
    InitialAccess,
    /// An attempt that worked: a login after guessing, an injection the
    /// application answered 2xx.
    Compromise,
    /// Actions on a host after access: privilege escalation, execution,
    /// persistence, defense evasion.
    PrivilegeEscalation,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::Reconnaissance,
        Stage::InitialAccess,
        Stage::Compromise,
        Stage::PrivilegeEscalation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Reconnaissance => "reconnaissance",
            Stage::InitialAccess => "initial_access",
            Stage::Compromise => "compromise",
            Stage::PrivilegeEscalation => "privilege_escalation",
        }
    }

    /// Whether the stage is past the attacker's getting in: an account
    /// acted on a host.
    fn acted(self) -> bool {
        self >= Stage::Compromise
    }
}

/// The stages an alert stands for (none, one, or two for a web attack that
/// got through), in kill-chain order. See the module documentation.
pub fn stages_of(alert: &Alert) -> &'static [Stage] {
    use RuleCategory as C;
    use Stage::*;
    let answered = alert.answer() == Answer::Success;
    match alert.category {
        C::Scanner | C::PortScan | C::UserEnumeration => &[Reconnaissance],
        C::SensitiveFileAccess if answered => &[Reconnaissance, Compromise],
        C::SensitiveFileAccess => &[Reconnaissance],
        C::BruteForce | C::PasswordSpraying | C::Xss => &[InitialAccess],
        C::SqlInjection | C::PathTraversal | C::CommandInjection | C::CodeInjection | C::Ssrf
            if answered =>
        {
            &[InitialAccess, Compromise]
        }
        C::SqlInjection | C::PathTraversal | C::CommandInjection | C::CodeInjection | C::Ssrf => {
            &[InitialAccess]
        }
        C::AccountCompromise => &[Compromise],
        C::PrivilegeEscalation | C::Persistence | C::DefenseEvasion | C::Malware => {
            // Web requests (a web shell): the answers say whether it is there.
            match alert.responses.answer() {
                Answer::Refused => &[Reconnaissance],
                Answer::Success if alert.level >= Level::Medium => {
                    &[Compromise, PrivilegeEscalation]
                }
                _ => &[PrivilegeEscalation],
            }
        }
        C::ThreatIntelMatch | C::Policy | C::Other => &[],
    }
}

/// The score of an incident whose worst alert scored `worst`, over the
/// distinct `stages` (any order). See the module documentation.
pub fn incident_score(worst: u8, stages: &[Stage]) -> u8 {
    let mut distinct: Vec<Stage> = stages.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let extra = u8::try_from(distinct.len().saturating_sub(1)).unwrap_or(u8::MAX);
    let mut score = worst.saturating_add(extra.saturating_mul(STAGE_POINTS));
    let early = distinct.iter().any(|s| !s.acted());
    let late = distinct.iter().any(|s| s.acted());
    let below_critical = Severity::Critical.min_score() - 1;
    if !late {
        score = score.min(below_critical).max(worst);
    }
    if early && late {
        score = score.max(Severity::Critical.min_score());
    }
    score.min(100)
}

/// Stages as a chain: `reconnaissance → initial_access`, or `-`.
pub fn chain(stages: &[Stage]) -> String {
    let names: Vec<&str> = stages.iter().map(|s| s.as_str()).collect();
    if names.is_empty() {
        "-".to_string()
    } else {
        names.join(" → ")
    }
}

/// One alert of an incident, as the incident lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentAlert {
    pub id: String,
    /// Sigma `name` of the rule.
    pub rule_name: String,
    /// Sigma `title` of the rule.
    pub rule_title: String,
    pub category: RuleCategory,
    pub stages: Vec<Stage>,
    pub risk_score: u8,
    pub severity: Severity,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub source_ip: Option<String>,
    pub user_name: Option<String>,
}

impl IncidentAlert {
    fn of(a: &Alert) -> IncidentAlert {
        IncidentAlert {
            id: a.id.clone(),
            rule_name: a.rule_name.clone(),
            rule_title: a.rule_title.clone(),
            category: a.category,
            stages: stages_of(a).to_vec(),
            risk_score: a.risk_score,
            severity: a.severity,
            first_seen: a.first_seen,
            last_seen: a.last_seen,
            source_ip: a.source_ip.clone(),
            user_name: a.user_name.clone(),
        }
    }
}

/// Alerts linked into one attack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// Deterministic: a hash of the earliest alert's id, 32 hex digits.
    pub id: String,
    pub risk_score: u8,
    pub severity: Severity,
    /// Distinct stages reached, in kill-chain order.
    pub stages: Vec<Stage>,
    /// Source addresses of the alerts, in order of appearance (capped at
    /// `MAX_LISTED`).
    pub ips: Vec<String>,
    /// Accounts named by the alerts (targets and actors), in order of
    /// appearance (capped).
    pub users: Vec<String>,
    /// Hosts of the alerts, in order of appearance (capped).
    pub hosts: Vec<String>,
    /// ATT&CK technique ids of the alerts, in order of appearance.
    pub techniques: Vec<String>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// The alerts, in order of first event (then id).
    pub alerts: Vec<IncidentAlert>,
}

impl Incident {
    /// The stages as a chain: `reconnaissance → initial_access → compromise`.
    pub fn chain(&self) -> String {
        chain(&self.stages)
    }

    /// A one-line human summary, e.g. `reconnaissance → initial_access →
    /// compromise from 203.0.113.9 (3 alerts)`.
    pub fn summary(&self) -> String {
        let mut s = self.chain();
        let mut list = |label: &str, v: &[String]| match v {
            [] => {}
            [one] => s.push_str(&format!(" {label} {one}")),
            [one, ..] => s.push_str(&format!(" {label} {one} and {} more", v.len() - 1)),
        };
        list("from", &self.ips);
        list("by", &self.users);
        list("on", &self.hosts);
        s.push_str(&format!(" ({} alerts)", self.alerts.len()));
        s
    }

    /// The ids of the alerts, in order of first event.
    pub fn alert_ids(&self) -> Vec<&str> {
        self.alerts.iter().map(|a| a.id.as_str()).collect()
    }

    /// `{"id", "message", "risk_score", "severity", "stages",
    /// "entities": {"ip", "user", "host"}, "first_seen", "last_seen",
    /// "techniques", "alerts": [ids], "timeline": [{"id", "rule",
    /// "sigma_name", "category", "stages", "risk_score", "severity",
    /// "start", "end", "source_ip", "user"}]}`.
    pub fn to_json(&self) -> Value {
        let timeline: Vec<Value> = self
            .alerts
            .iter()
            .map(|a| {
                let mut m = Map::new();
                m.insert("id".into(), json!(a.id));
                m.insert("rule".into(), json!(a.rule_title));
                m.insert("sigma_name".into(), json!(a.rule_name));
                m.insert("category".into(), json!(a.category.as_str()));
                m.insert(
                    "stages".into(),
                    json!(a.stages.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
                );
                m.insert("risk_score".into(), json!(a.risk_score));
                m.insert("severity".into(), json!(a.severity.as_str()));
                m.insert("start".into(), json!(a.first_seen.to_string()));
                m.insert("end".into(), json!(a.last_seen.to_string()));
                if let Some(ip) = &a.source_ip {
                    m.insert("source_ip".into(), json!(ip));
                }
                if let Some(u) = &a.user_name {
                    m.insert("user".into(), json!(u));
                }
                Value::Object(m)
            })
            .collect();
        json!({
            "id": self.id,
            "message": self.summary(),
            "risk_score": self.risk_score,
            "severity": self.severity.as_str(),
            "stages": self.stages.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "entities": {"ip": self.ips, "user": self.users, "host": self.hosts},
            "first_seen": self.first_seen.to_string(),
            "last_seen": self.last_seen.to_string(),
            "techniques": self.techniques,
            "alerts": self.alert_ids(),
            "timeline": timeline,
        })
    }
}

/// Union-find over alert indexes.
struct Sets {
    parent: Vec<usize>,
}

impl Sets {
    fn new(n: usize) -> Sets {
        Sets {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while let Some(&p) = self.parent.get(x) {
            if p == x {
                break;
            }
            // Path halving.
            let gp = self.parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = self.parent.get_mut(x) {
                *slot = gp;
            }
            x = gp;
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // The smaller index is the root: deterministic, whatever the
            // order of unions.
            let (root, child) = (ra.min(rb), ra.max(rb));
            if let Some(slot) = self.parent.get_mut(child) {
                *slot = root;
            }
        }
    }
}

/// What an alert can be linked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    Ip,
    Account,
}

/// An entity of one alert: (kind, value, first ms, last ms, alert index).
type Mention = (Kind, String, i64, i64, usize);

/// The alert's time span in ms, ordered.
fn span_ms(a: &Alert) -> (i64, i64) {
    let (first, last) = (millis(a.first_seen), millis(a.last_seen));
    (first.min(last), first.max(last))
}

/// A usable entity value: not blank, not `-`.
fn usable(v: &Option<String>) -> Option<&str> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty() && *v != "-")
}

/// Whether the alert is past the way in (an account acted on a host).
fn acted(a: &Alert) -> bool {
    stages_of(a).iter().any(|s| s.acted())
}

fn mentions(i: usize, a: &Alert, out: &mut Vec<Mention>) {
    let (first, last) = span_ms(a);
    if let Some(ip) = usable(&a.source_ip) {
        out.push((Kind::Ip, ip.to_string(), first, last, i));
    }
    if acted(a)
        && let Some(u) = usable(&a.user_name)
    {
        let (u, host) = (
            u.to_lowercase(),
            usable(&a.host_name).unwrap_or("").to_lowercase(),
        );
        // Length-prefixed, so (ab, c) and (a, bc) differ.
        let key = format!("{}:{u}{host}", u.len());
        out.push((Kind::Account, key, first, last, i));
    }
}

/// At most this many earlier accesses are looked at for one host-only
/// alert (bounds the work on hostile input).
const MAX_LOOKBACK: usize = 1024;

/// Joins each host-only alert after access to the most recent access on
/// its host (see the module documentation).
fn attach_to_host(alerts: &[Alert], window_ms: i64, sets: &mut Sets) {
    // Accesses: (host, first ms, id, last ms, index), in order.
    let mut anchors: Vec<(String, i64, &str, i64, usize)> = Vec::new();
    let mut orphans: Vec<(String, i64, usize)> = Vec::new();
    for (i, a) in alerts.iter().enumerate() {
        if !acted(a) {
            continue;
        }
        let Some(host) = usable(&a.host_name) else {
            continue;
        };
        let host = host.to_lowercase();
        let (first, last) = span_ms(a);
        if usable(&a.source_ip).is_some() || usable(&a.user_name).is_some() {
            anchors.push((host, first, a.id.as_str(), last, i));
        } else {
            orphans.push((host, first, i));
        }
    }
    if orphans.is_empty() || anchors.is_empty() {
        return;
    }
    anchors.sort_unstable();
    for (host, first, i) in orphans {
        // The anchors of the host that started at or before the orphan.
        let end = anchors.partition_point(|(h, f, ..)| (h.as_str(), *f) <= (host.as_str(), first));
        let found = anchors
            .get(..end)
            .unwrap_or(&[])
            .iter()
            .rev()
            .take(MAX_LOOKBACK)
            .take_while(|(h, ..)| *h == host)
            .find(|(_, _, _, last, _)| first <= last.saturating_add(window_ms));
        if let Some((.., anchor)) = found {
            sets.union(*anchor, i);
        }
    }
}

/// Links `alerts` into incidents (see the module documentation): sets
/// `incident_id` on every alert of an incident (and clears it on the
/// others), and returns the incidents in order of first event (then id).
/// The result does not depend on the order of `alerts`.
pub fn link(alerts: &mut [Alert], window: Duration) -> Vec<Incident> {
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    let mut all: Vec<Mention> = Vec::new();
    for (i, a) in alerts.iter().enumerate() {
        mentions(i, a, &mut all);
    }
    // Sorted by entity, then time; the index breaks ties only between
    // alerts with the same start, which link either way.
    all.sort_unstable();
    let mut sets = Sets::new(alerts.len());
    // Per entity, in order of first event: an alert joins the run of the
    // ones before it when it starts within the window of the run's end.
    let mut run: Option<(Kind, &str, i64, usize)> = None;
    for (kind, value, first, last, i) in &all {
        match &mut run {
            Some((k, v, end, head))
                if k == kind && *v == value.as_str() && *first <= end.saturating_add(window_ms) =>
            {
                sets.union(*head, *i);
                *end = (*end).max(*last);
            }
            _ => run = Some((*kind, value.as_str(), *last, *i)),
        }
    }
    attach_to_host(alerts, window_ms, &mut sets);
    // Groups, each in order of first event then id.
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); alerts.len()];
    for i in 0..alerts.len() {
        let r = sets.find(i);
        if let Some(g) = groups.get_mut(r) {
            g.push(i);
        }
    }
    let mut incidents = Vec::new();
    for a in alerts.iter_mut() {
        a.incident_id = None;
    }
    for mut g in groups.into_iter().filter(|g| g.len() >= 2) {
        g.sort_by(|&x, &y| match (alerts.get(x), alerts.get(y)) {
            (Some(a), Some(b)) => (a.first_seen, &a.id).cmp(&(b.first_seen, &b.id)),
            _ => x.cmp(&y),
        });
        let members: Vec<&Alert> = g.iter().filter_map(|&i| alerts.get(i)).collect();
        let Some(incident) = build(&members) else {
            continue;
        };
        for &i in &g {
            if let Some(a) = alerts.get_mut(i) {
                a.incident_id = Some(incident.id.clone());
            }
        }
        incidents.push(incident);
    }
    incidents.sort_by(|a, b| (a.first_seen, &a.id).cmp(&(b.first_seen, &b.id)));
    incidents
}

/// Distinct values in order of appearance, capped.
#[derive(Default)]
struct Listed {
    list: Vec<String>,
    seen: HashSet<String>,
}

impl Listed {
    fn add(&mut self, v: Option<&str>) {
        let Some(v) = v.filter(|v| !v.is_empty()) else {
            return;
        };
        if self.list.len() < MAX_LISTED && self.seen.insert(v.to_string()) {
            self.list.push(v.to_string());
        }
    }
}

/// The incident of `members` (in order of first event, at least one).
fn build(members: &[&Alert]) -> Option<Incident> {
    let first = members.first()?;
    let mut stages: Vec<Stage> = members
        .iter()
        .flat_map(|a| stages_of(a).iter().copied())
        .collect();
    stages.sort_unstable();
    stages.dedup();
    let worst = members.iter().map(|a| a.risk_score).max().unwrap_or(0);
    let risk = incident_score(worst, &stages);
    let (mut ips, mut users, mut hosts, mut techniques) = (
        Listed::default(),
        Listed::default(),
        Listed::default(),
        Listed::default(),
    );
    for a in members {
        ips.add(a.source_ip.as_deref());
        users.add(a.user_name.as_deref());
        hosts.add(a.host_name.as_deref());
        for (t, _) in &a.techniques {
            techniques.add(Some(t));
        }
    }
    Some(Incident {
        id: alert_id("incident", &first.id, first.first_seen),
        risk_score: risk,
        severity: Severity::from_score(risk),
        stages,
        ips: ips.list,
        users: users.list,
        hosts: hosts.list,
        techniques: techniques.list,
        first_seen: first.first_seen,
        last_seen: members
            .iter()
            .map(|a| a.last_seen)
            .max()
            .unwrap_or(first.last_seen),
        alerts: members.iter().map(|a| IncidentAlert::of(a)).collect(),
    })
}

pub mod live;

#[cfg(test)]
mod tests;
