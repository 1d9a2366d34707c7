//! Incidents as alerts arrive, for stream mode (`watch`, notifications).
//!
//! `link` needs every alert; a stream has them one at a time. `Tracker`
//! applies the same linking rules (see the parent module) incrementally:
//! each alert, as it opens, joins the incidents whose entities (source
//! address; account on its host after access; the host's latest access
//! for a host-only alert after access) it shares within the window, and
//! bridges them when it shares entities with several. What it answers is
//! the incident as known so far: its id (a hash of its earliest alert, as
//! in batch), stages, score and size.
//!
//! An alert opens before its final span is known, so the tracker extends
//! an entity's end to the latest `last_seen` it was told of; batch linking
//! over the final alerts can join a little more. State is bounded: entities
//! and incidents quiet for longer than the window are dropped, and at most
//! `MAX_ENTITIES` entities are held (the stalest are dropped first).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use logsentinel_core::Timestamp;

use super::{Kind, Stage, acted, incident_score, mentions, span_ms, stages_of, usable};
use crate::alert::{Alert, Severity, alert_id};

/// Entities (addresses, accounts, hosts) held at most.
pub const MAX_ENTITIES: usize = 100_000;

/// An incident as known so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveIncident {
    /// The same id batch linking gives (a hash of the earliest alert).
    pub id: String,
    /// Distinct stages reached, in kill-chain order.
    pub stages: Vec<Stage>,
    pub risk_score: u8,
    pub severity: Severity,
    /// Alerts linked so far (two or more).
    pub alerts: usize,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Alerts observed earlier, alone then, that this alert linked into the
    /// incident (their ids): a caller labelling alerts by incident labels
    /// these too.
    pub newly_linked: Vec<String>,
}

impl LiveIncident {
    /// The stages as a chain: `reconnaissance → initial_access`.
    pub fn chain(&self) -> String {
        super::chain(&self.stages)
    }
}

#[derive(Debug)]
struct Group {
    /// Set when merged into another group.
    forward: Option<u64>,
    first_id: String,
    first_seen: Timestamp,
    last_seen: Timestamp,
    last_ms: i64,
    alerts: usize,
    stages: BTreeSet<Stage>,
    worst: u8,
    /// The id of its only alert, while it has one.
    lone: Option<String>,
}

/// Links alerts into incidents as they arrive. See the module documentation.
#[derive(Debug)]
pub struct Tracker {
    window_ms: i64,
    /// (kind, value) → (group, end ms).
    entities: HashMap<(Kind, String), (u64, i64)>,
    /// Host → (group, start ms) of the latest access on it.
    hosts: HashMap<String, (u64, i64)>,
    groups: HashMap<u64, Group>,
    next: u64,
    now_ms: i64,
    observed: u64,
}

impl Tracker {
    pub fn new(window: Duration) -> Tracker {
        Tracker {
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX),
            entities: HashMap::new(),
            hosts: HashMap::new(),
            groups: HashMap::new(),
            next: 0,
            now_ms: i64::MIN,
            observed: 0,
        }
    }

    /// The group `g` was merged into, at the end of the forwards.
    fn root(&self, mut g: u64) -> u64 {
        // Forwards only point to older groups, so this ends; the bound
        // guards against a bug turning into a hang.
        for _ in 0..64 {
            match self.groups.get(&g).and_then(|x| x.forward) {
                Some(f) => g = f,
                None => break,
            }
        }
        g
    }

    /// Adds `alert` (as it opens, or again with a later span: an alert
    /// seen twice is counted once only if the caller passes it once).
    /// Returns its incident when it is linked to at least one other alert.
    pub fn observe(&mut self, alert: &Alert) -> Option<LiveIncident> {
        let (first, last) = span_ms(alert);
        self.now_ms = self.now_ms.max(last);
        self.observed += 1;
        if self.observed.is_multiple_of(1024) || self.entities.len() > MAX_ENTITIES {
            self.prune();
        }
        let mut found: Vec<(Kind, String, i64, i64, usize)> = Vec::new();
        mentions(0, alert, &mut found);
        let mut roots: Vec<u64> = Vec::new();
        for (kind, value, ..) in &found {
            if let Some(&(g, end)) = self.entities.get(&(*kind, value.clone()))
                && first <= end.saturating_add(self.window_ms)
            {
                roots.push(self.root(g));
            }
        }
        // A host-only alert after access: the host's latest access.
        let host = usable(&alert.host_name).map(str::to_lowercase);
        let host_only = usable(&alert.source_ip).is_none() && usable(&alert.user_name).is_none();
        if acted(alert)
            && host_only
            && let Some(h) = &host
            && let Some(&(g, start)) = self.hosts.get(h)
            && start <= first
            && first <= self.group_end(g).saturating_add(self.window_ms)
        {
            roots.push(self.root(g));
        }
        roots.sort_unstable();
        roots.dedup();
        let newly_linked: Vec<String> = roots
            .iter()
            .filter_map(|g| self.groups.get_mut(g).and_then(|x| x.lone.take()))
            .collect();
        // The oldest group (smallest number) absorbs the others.
        let g = match roots.split_first() {
            Some((&keep, rest)) => {
                for &other in rest {
                    self.merge(keep, other);
                }
                keep
            }
            None => {
                let g = self.next;
                self.next += 1;
                self.groups.insert(
                    g,
                    Group {
                        forward: None,
                        first_id: alert.id.clone(),
                        first_seen: alert.first_seen,
                        last_seen: alert.last_seen,
                        last_ms: last,
                        alerts: 0,
                        stages: BTreeSet::new(),
                        worst: 0,
                        lone: Some(alert.id.clone()),
                    },
                );
                g
            }
        };
        if let Some(grp) = self.groups.get_mut(&g) {
            grp.alerts += 1;
            grp.stages.extend(stages_of(alert).iter().copied());
            grp.worst = grp.worst.max(alert.risk_score);
            if (alert.first_seen, &alert.id) < (grp.first_seen, &grp.first_id) {
                grp.first_seen = alert.first_seen;
                grp.first_id = alert.id.clone();
            }
            if alert.last_seen > grp.last_seen {
                grp.last_seen = alert.last_seen;
            }
            grp.last_ms = grp.last_ms.max(last);
        }
        for (kind, value, _, end, _) in found {
            let slot = self.entities.entry((kind, value)).or_insert((g, end));
            *slot = (g, slot.1.max(end));
        }
        if acted(alert)
            && !host_only
            && let Some(h) = host
        {
            let slot = self.hosts.entry(h).or_insert((g, first));
            if first >= slot.1 {
                *slot = (g, first);
            }
        }
        self.incident(g).map(|i| LiveIncident { newly_linked, ..i })
    }

    fn group_end(&self, g: u64) -> i64 {
        self.groups
            .get(&self.root(g))
            .map_or(i64::MIN, |x| x.last_ms)
    }

    fn merge(&mut self, keep: u64, other: u64) {
        if keep == other {
            return;
        }
        let Some(o) = self.groups.get_mut(&other) else {
            return;
        };
        o.forward = Some(keep);
        let (first_id, first_seen, last_seen, last_ms, alerts, stages, worst) = (
            o.first_id.clone(),
            o.first_seen,
            o.last_seen,
            o.last_ms,
            o.alerts,
            std::mem::take(&mut o.stages),
            o.worst,
        );
        if let Some(k) = self.groups.get_mut(&keep) {
            k.alerts += alerts;
            k.stages.extend(stages);
            k.worst = k.worst.max(worst);
            if (first_seen, &first_id) < (k.first_seen, &k.first_id) {
                k.first_seen = first_seen;
                k.first_id = first_id;
            }
            k.last_seen = k.last_seen.max(last_seen);
            k.last_ms = k.last_ms.max(last_ms);
        }
    }

    fn incident(&self, g: u64) -> Option<LiveIncident> {
        let grp = self.groups.get(&g)?;
        if grp.alerts < 2 {
            return None;
        }
        let stages: Vec<Stage> = grp.stages.iter().copied().collect();
        let risk = incident_score(grp.worst, &stages);
        Some(LiveIncident {
            id: alert_id("incident", &grp.first_id, grp.first_seen),
            risk_score: risk,
            severity: Severity::from_score(risk),
            stages,
            alerts: grp.alerts,
            first_seen: grp.first_seen,
            last_seen: grp.last_seen,
            newly_linked: Vec::new(),
        })
    }

    /// Drops what has been quiet for longer than the window, then the
    /// stalest entities beyond `MAX_ENTITIES`.
    fn prune(&mut self) {
        let horizon = self.now_ms.saturating_sub(self.window_ms);
        self.entities.retain(|_, (_, end)| *end >= horizon);
        self.hosts.retain(|_, (_, start)| *start >= horizon);
        if self.entities.len() > MAX_ENTITIES {
            let mut ends: Vec<i64> = self.entities.values().map(|(_, e)| *e).collect();
            let cut = ends.len() - MAX_ENTITIES / 2;
            let (_, nth, _) = ends.select_nth_unstable(cut);
            let nth = *nth;
            self.entities.retain(|_, (_, end)| *end > nth);
        }
        // A group is needed while an entity or a host points to it, or to
        // a group forwarding to it.
        let mut live: BTreeSet<u64> = BTreeSet::new();
        for &(g, _) in self.entities.values().chain(self.hosts.values()) {
            let mut g = g;
            live.insert(g);
            for _ in 0..64 {
                match self.groups.get(&g).and_then(|x| x.forward) {
                    Some(f) => {
                        g = f;
                        live.insert(g);
                    }
                    None => break,
                }
            }
        }
        self.groups.retain(|g, _| live.contains(g));
    }

    /// Entities held (for tests and stats).
    pub fn len(&self) -> usize {
        self.entities.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::super::link;
    use super::*;
    use crate::alert::Evidence;
    use crate::rule::{Level, RuleCategory};
    use crate::score::Responses;

    fn alert(
        id: &str,
        cat: RuleCategory,
        secs: i64,
        ip: Option<&str>,
        user: Option<&str>,
        host: Option<&str>,
        score: u8,
    ) -> Alert {
        let at = Timestamp::from_secs(1_700_000_000 + secs);
        Alert {
            id: id.into(),
            rule_index: 0,
            rule_id: format!("rule-{id}"),
            rule_name: "r".into(),
            rule_title: "R".into(),
            category: cat,
            level: Level::High,
            risk_score: score,
            severity: Severity::from_score(score),
            techniques: Vec::new(),
            tactics: Vec::new(),
            description: String::new(),
            first_seen: at,
            last_seen: at,
            source_ip: ip.map(Into::into),
            user_name: user.map(Into::into),
            users: Vec::new(),
            distinct_users: 0,
            source_ips: Vec::new(),
            distinct_source_ips: 0,
            host_name: host.map(Into::into),
            group: Vec::new(),
            count: 1,
            evidence: Vec::<Evidence>::new(),
            responses: Responses::default(),
            incident_id: None,
        }
    }

    const W: Duration = Duration::from_secs(7200);

    #[test]
    fn brute_force_login_sudo_is_one_incident_with_the_batch_id() {
        use RuleCategory as C;
        let alerts = vec![
            alert(
                "a1",
                C::BruteForce,
                0,
                Some("203.0.113.9"),
                Some("root"),
                Some("web1"),
                62,
            ),
            alert(
                "a2",
                C::AccountCompromise,
                60,
                Some("203.0.113.9"),
                Some("alice"),
                Some("web1"),
                90,
            ),
            alert(
                "a3",
                C::PrivilegeEscalation,
                120,
                None,
                Some("alice"),
                Some("web1"),
                70,
            ),
            alert("a4", C::Persistence, 130, None, None, Some("web1"), 70),
        ];
        let mut t = Tracker::new(W);
        assert_eq!(t.observe(&alerts[0]), None, "one alert is no incident");
        let i2 = t.observe(&alerts[1]).expect("linked by address");
        assert_eq!(i2.alerts, 2);
        assert_eq!(i2.newly_linked, ["a1"], "the first alert joins now");
        assert_eq!(i2.chain(), "initial_access → compromise");
        let i3 = t.observe(&alerts[2]).expect("linked by account on host");
        assert!(i3.newly_linked.is_empty());
        let i4 = t
            .observe(&alerts[3])
            .expect("host-only joins the latest access");
        assert_eq!(i4.alerts, 4);
        assert_eq!(i2.id, i3.id);
        assert_eq!(i3.id, i4.id);
        assert_eq!(i4.severity, Severity::Critical);
        let mut batch = alerts.clone();
        let incidents = link(&mut batch, W);
        assert_eq!(incidents.len(), 1);
        assert_eq!(incidents[0].id, i4.id, "same id as batch linking");
        assert_eq!(incidents[0].risk_score, i4.risk_score);
    }

    #[test]
    fn distant_or_unrelated_alerts_stay_apart_and_bridges_merge() {
        use RuleCategory as C;
        let mut t = Tracker::new(W);
        let a = alert("a", C::Scanner, 0, Some("198.51.100.1"), None, None, 30);
        let b = alert("b", C::Scanner, 10, Some("198.51.100.2"), None, None, 30);
        // Same address as `a` but three hours later: a new incident.
        let c = alert(
            "c",
            C::SqlInjection,
            3 * 3600,
            Some("198.51.100.1"),
            None,
            None,
            60,
        );
        assert!(t.observe(&a).is_none());
        assert!(t.observe(&b).is_none());
        assert!(t.observe(&c).is_none());
        // A brute force target account links nothing.
        let d = alert(
            "d",
            C::BruteForce,
            20,
            Some("198.51.100.3"),
            Some("root"),
            Some("h"),
            60,
        );
        let e = alert(
            "e",
            C::BruteForce,
            30,
            Some("198.51.100.4"),
            Some("root"),
            Some("h"),
            60,
        );
        assert!(t.observe(&d).is_none());
        assert!(t.observe(&e).is_none());
    }

    #[test]
    fn state_is_bounded_by_time() {
        use RuleCategory as C;
        let mut t = Tracker::new(Duration::from_secs(60));
        for i in 0..50_000i64 {
            let ip = format!("10.0.{}.{}", i / 256, i % 256);
            t.observe(&alert(
                &format!("x{i}"),
                C::Scanner,
                i * 10,
                Some(&ip),
                None,
                None,
                30,
            ));
        }
        // Pruned every 1024 alerts: what is held is the last window plus at
        // most one pruning period, not all 50 000.
        assert!(t.len() <= 1024 + 7, "{}", t.len());
        assert!(t.groups.len() <= 1024 + 7, "{}", t.groups.len());
    }
}
