//! The alert book: live state of every alert, open or closed, and the
//! snapshots (`Alert`) handed out when one opens, closes or at the end.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use logsentinel_core::Timestamp;

use crate::alert::{Alert, Evidence, MAX_LISTED, Severity};
use crate::attack;
use crate::rule::{Level, Rule, RuleCategory};
use crate::score::{Responses, risk_score_with};
use crate::signal::{Captured, HOST_NAME, HTTP_STATUS, SOURCE_IP, USER_NAME, millis};

/// Evidence kept per alert: the first lines and the last lines.
const EVIDENCE_HEAD: usize = 5;
const EVIDENCE_TAIL: usize = 5;
/// Distinct users / addresses are counted exactly up to this many.
const DISTINCT_CAP: usize = 10_000;

/// Distinct values in order of appearance (listed up to `MAX_LISTED`,
/// counted up to `DISTINCT_CAP`).
#[derive(Debug, Default)]
struct Listed {
    list: Vec<Box<str>>,
    set: HashSet<Box<str>>,
}

impl Listed {
    fn add(&mut self, v: Option<&str>) {
        let Some(v) = v else { return };
        if v.is_empty() || self.set.len() >= DISTINCT_CAP || self.set.contains(v) {
            return;
        }
        self.set.insert(v.into());
        if self.list.len() < MAX_LISTED {
            self.list.push(v.into());
        }
    }

    fn only(&self) -> Option<&str> {
        match self.list.as_slice() {
            [one] if self.set.len() == 1 => Some(one),
            _ => None,
        }
    }
}

/// The live state of one alert.
#[derive(Debug)]
pub(crate) struct AlertState {
    rule: usize,
    id: String,
    first: Timestamp,
    last: Timestamp,
    first_ms: i64,
    last_ms: i64,
    count: u64,
    group: Vec<(String, String)>,
    users: Listed,
    ips: Listed,
    host: Option<Box<str>>,
    /// The account that matters most when several are involved (the one
    /// that completed a sequence).
    primary_user: Option<Box<str>>,
    head: Vec<Arc<Captured>>,
    tail: VecDeque<Arc<Captured>>,
    /// HTTP answers of the lines absorbed (they move web attack scores).
    responses: Responses,
    open: bool,
}

impl AlertState {
    pub(crate) fn new(
        rule: usize,
        id: String,
        at: Timestamp,
        group: Vec<(String, String)>,
    ) -> Self {
        AlertState {
            rule,
            id,
            first: at,
            last: at,
            first_ms: millis(at),
            last_ms: millis(at),
            count: 0,
            group,
            users: Listed::default(),
            ips: Listed::default(),
            host: None,
            primary_user: None,
            head: Vec::new(),
            tail: VecDeque::new(),
            responses: Responses::default(),
            open: true,
        }
    }

    /// Adds `weight` events and one evidence line (`c`, at `at`).
    pub(crate) fn absorb(&mut self, c: &Arc<Captured>, at: Timestamp, weight: u64) {
        self.count = self.count.saturating_add(weight);
        if at < self.first {
            self.first = at;
            self.first_ms = millis(at);
        }
        if at > self.last {
            self.last = at;
            self.last_ms = millis(at);
        }
        self.users.add(c.value(USER_NAME));
        self.ips.add(c.value(SOURCE_IP));
        if self.host.is_none() {
            self.host = c.value(HOST_NAME).map(Into::into);
        }
        if let Some(status) = c.value(HTTP_STATUS) {
            self.responses.add_status(status);
        }
        if self.head.len() < EVIDENCE_HEAD {
            self.head.push(Arc::clone(c));
        } else {
            self.tail.push_back(Arc::clone(c));
            if self.tail.len() > EVIDENCE_TAIL {
                self.tail.pop_front();
            }
        }
    }

    pub(crate) fn set_count(&mut self, count: u64) {
        self.count = count;
    }

    pub(crate) fn set_primary_user(&mut self, user: Option<&str>) {
        self.primary_user = user.map(Into::into);
    }

    pub(crate) fn add_user(&mut self, user: &str) {
        self.users.add(Some(user));
    }

    pub(crate) fn add_ip(&mut self, ip: &str) {
        self.ips.add(Some(ip));
    }

    fn group_value(&self, field: &str) -> Option<&str> {
        self.group
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }

    fn snapshot(&self, rules: &[Rule]) -> Alert {
        let rule = rules.get(self.rule);
        let level = rule.map_or(Level::Medium, |r| r.level);
        let category = rule.map_or(RuleCategory::Other, |r| r.category);
        let risk = risk_score_with(
            level,
            self.count,
            self.users.set.len(),
            category,
            &self.responses,
        );
        let techniques = rule.map_or_else(Vec::new, |r| {
            r.techniques
                .iter()
                .map(|id| {
                    let name = attack::technique(id).map_or("", |t| t.name);
                    (id.clone(), name.to_string())
                })
                .collect()
        });
        let tactics = rule.map_or_else(Vec::new, |r| {
            r.tactics
                .iter()
                .map(|id| {
                    let name = attack::tactic(id).map_or("", |t| t.name);
                    (id.clone(), name.to_string())
                })
                .collect()
        });
        let pick = |field: &str, seen: &Listed| {
            self.group_value(field)
                .or_else(|| seen.only())
                .map(str::to_owned)
        };
        Alert {
            id: self.id.clone(),
            rule_index: self.rule,
            rule_id: rule.map_or_else(String::new, |r| r.id.clone()),
            rule_name: rule.map_or_else(String::new, |r| r.name.clone()),
            rule_title: rule.map_or_else(String::new, |r| r.title.clone()),
            category,
            level,
            risk_score: risk,
            severity: Severity::from_score(risk),
            techniques,
            tactics,
            description: rule.map_or_else(String::new, |r| r.description.clone()),
            first_seen: self.first,
            last_seen: self.last,
            source_ip: pick("source.ip", &self.ips),
            user_name: self
                .group_value("user.name")
                .or(self.primary_user.as_deref())
                .or_else(|| self.users.only())
                .map(str::to_owned),
            users: self.users.list.iter().map(|u| u.to_string()).collect(),
            distinct_users: self.users.set.len(),
            source_ips: self.ips.list.iter().map(|u| u.to_string()).collect(),
            distinct_source_ips: self.ips.set.len(),
            host_name: self
                .group_value("host.name")
                .or(self.host.as_deref())
                .map(str::to_owned),
            group: self.group.clone(),
            count: self.count,
            evidence: self
                .head
                .iter()
                .chain(self.tail.iter())
                .map(|c| Evidence::clone(&c.evidence))
                .collect(),
            responses: self.responses,
            incident_id: None,
        }
    }
}

/// Every alert the engine raised, by sequence number (order of opening).
/// Alerts handed out by `take_closed` leave the book; the front of the
/// queue is trimmed as they do, so a long-running stream stays small.
#[derive(Debug, Default)]
pub(crate) struct AlertBook {
    /// Alert `seq` is at `alerts[seq - base]`.
    alerts: VecDeque<Option<Box<AlertState>>>,
    base: usize,
    /// Alerts from this sequence number on have not been handed out yet.
    new_from: usize,
    /// Closed alerts not yet handed out by `take_closed`.
    closed: Vec<usize>,
}

impl AlertBook {
    pub(crate) fn open(&mut self, state: AlertState) -> usize {
        self.alerts.push_back(Some(Box::new(state)));
        self.end() - 1
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.alerts.len()
    }

    /// One past the last sequence number.
    fn end(&self) -> usize {
        self.base + self.alerts.len()
    }

    pub(crate) fn opened(&self) -> u64 {
        self.end() as u64
    }

    fn get(&self, seq: usize) -> Option<&AlertState> {
        let i = seq.checked_sub(self.base)?;
        self.alerts.get(i).and_then(|a| a.as_deref())
    }

    pub(crate) fn get_mut(&mut self, seq: usize) -> Option<&mut AlertState> {
        let i = seq.checked_sub(self.base)?;
        self.alerts.get_mut(i).and_then(|a| a.as_deref_mut())
    }

    /// Whether alert `seq` is open and an event at `t` (ms) still belongs to
    /// it: no further than `window` from its span of time, on either side
    /// (an event from much earlier, say an older rotated file read after
    /// the current one, gets its own alert).
    pub(crate) fn takes(&self, seq: usize, t: i64, window: i64) -> bool {
        self.get(seq).is_some_and(|a| {
            a.open
                && t <= a.last_ms.saturating_add(window)
                && t >= a.first_ms.saturating_sub(window)
        })
    }

    /// Whether alert `seq` is closed, or ended more than `window` before
    /// `t` (ms).
    pub(crate) fn ended_before(&self, seq: usize, t: i64, window: i64) -> bool {
        self.get(seq)
            .is_none_or(|a| !a.open || t > a.last_ms.saturating_add(window))
    }

    pub(crate) fn close(&mut self, seq: usize) {
        if let Some(a) = self.get_mut(seq)
            && a.open
        {
            a.open = false;
            self.closed.push(seq);
        }
    }

    /// Closes every alert still open.
    pub(crate) fn close_open(&mut self) {
        for seq in self.base..self.end() {
            self.close(seq);
        }
    }

    /// Snapshots of the alerts opened since the last call.
    pub(crate) fn take_new(&mut self, rules: &[Rule]) -> Vec<Alert> {
        let from = self.new_from.max(self.base);
        self.new_from = self.end();
        (from..self.end())
            .filter_map(|seq| self.get(seq))
            .map(|a| a.snapshot(rules))
            .collect()
    }

    /// The alerts closed since the last call, removed from the book.
    pub(crate) fn take_closed(&mut self, rules: &[Rule]) -> Vec<Alert> {
        let mut seqs = std::mem::take(&mut self.closed);
        seqs.sort_unstable();
        let out = seqs
            .into_iter()
            .filter_map(|seq| {
                let i = seq.checked_sub(self.base)?;
                self.alerts.get_mut(i).and_then(Option::take)
            })
            .map(|a| a.snapshot(rules))
            .collect();
        while self.alerts.front().is_some_and(Option::is_none) {
            self.alerts.pop_front();
            self.base += 1;
        }
        out
    }
}
