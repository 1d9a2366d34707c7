//! Attack scenarios: a planned list of lines from one attacker, emitted one at
//! a time between benign lines, and the ground-truth record they leave.

use serde::{Deserialize, Serialize};

use crate::Kind;
use crate::clock::rfc3339;
use crate::text::ip_string;

/// What an injected attack is, in the names of LogSentinel's `rule.category`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttackCategory {
    BruteForce,
    PasswordSpraying,
    AccountCompromise,
    UserEnumeration,
    SqlInjection,
    Xss,
    PathTraversal,
    CommandInjection,
    Scanner,
    PortScan,
    PrivilegeEscalation,
}

impl AttackCategory {
    /// Every category, in declaration order.
    pub const ALL: [AttackCategory; 11] = [
        AttackCategory::BruteForce,
        AttackCategory::PasswordSpraying,
        AttackCategory::AccountCompromise,
        AttackCategory::UserEnumeration,
        AttackCategory::SqlInjection,
        AttackCategory::Xss,
        AttackCategory::PathTraversal,
        AttackCategory::CommandInjection,
        AttackCategory::Scanner,
        AttackCategory::PortScan,
        AttackCategory::PrivilegeEscalation,
    ];

    /// The snake_case name (as in `truth.jsonl` and alerts' `rule.category`).
    pub fn as_str(self) -> &'static str {
        match self {
            AttackCategory::BruteForce => "brute_force",
            AttackCategory::PasswordSpraying => "password_spraying",
            AttackCategory::AccountCompromise => "account_compromise",
            AttackCategory::UserEnumeration => "user_enumeration",
            AttackCategory::SqlInjection => "sql_injection",
            AttackCategory::Xss => "xss",
            AttackCategory::PathTraversal => "path_traversal",
            AttackCategory::CommandInjection => "command_injection",
            AttackCategory::Scanner => "scanner",
            AttackCategory::PortScan => "port_scan",
            AttackCategory::PrivilegeEscalation => "privilege_escalation",
        }
    }
}

/// Ground truth of one injected attack scenario: one JSON object per line of `truth.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truth {
    /// Unique within a corpus, e.g. `auth-0007`.
    pub id: String,
    /// Scenario name, e.g. `ssh_brute_force`, `sql_injection`, `port_scan_vertical`.
    pub scenario: String,
    pub category: AttackCategory,
    /// The attacker's address (the first one for distributed scenarios).
    pub source_ip: String,
    /// Every attacker address of the scenario (one, or many for distributed brute force).
    pub source_ips: Vec<String>,
    /// User names the attack targets or acts as (may be empty, e.g. web attacks, port scans).
    pub users: Vec<String>,
    /// File name the lines are in (`access.log`, `auth.log`, `firewall.log`).
    pub file: String,
    /// LogSentinel format name of that file (`apache_combined`, `syslog_rfc3164`, `cisco_asa`).
    pub format: String,
    /// 1-based line number of the first attack line.
    pub first_line: u64,
    /// 1-based line number of the last attack line.
    pub last_line: u64,
    /// Number of attack lines (`lines.len()`).
    pub count: u64,
    /// Stamp of the first attack line (RFC 3339, UTC, second precision).
    pub start: String,
    /// Stamp of the last attack line.
    pub end: String,
    /// `false` when the output stopped before the scenario emitted all its lines.
    pub complete: bool,
    /// Every attack line number, ascending. Lines between them that are not
    /// listed are benign (or belong to another scenario).
    pub lines: Vec<u64>,
}

impl Truth {
    /// The record as one compact JSON line (without the newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// One planned line. `text[..split]` comes before the timestamp, `text[split..]` after it.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub text: String,
    pub split: usize,
}

impl Step {
    /// A syslog-style line: `STAMP host body`.
    pub(crate) fn after_stamp(host: &str, body: &str) -> Step {
        let mut text = String::with_capacity(host.len() + body.len() + 2);
        text.push(' ');
        text.push_str(host);
        text.push(' ');
        text.push_str(body);
        Step { text, split: 0 }
    }
}

/// A scenario as planned by a model, before it runs.
#[derive(Debug)]
pub(crate) struct Plan {
    pub scenario: &'static str,
    pub category: AttackCategory,
    /// Attacker addresses; the first is the primary one.
    pub ips: Vec<u32>,
    pub users: Vec<String>,
    /// Probability that a given output line is this scenario's next step while it runs.
    pub intensity: f64,
    pub steps: Vec<Step>,
}

/// A running scenario.
#[derive(Debug)]
pub(crate) struct Active {
    pub id: String,
    pub plan: Plan,
    next: usize,
    lines: Vec<u64>,
    first_ms: i64,
    last_ms: i64,
}

impl Active {
    pub(crate) fn new(id: String, plan: Plan) -> Self {
        let n = plan.steps.len();
        Active {
            id,
            plan,
            next: 0,
            lines: Vec::with_capacity(n),
            first_ms: 0,
            last_ms: 0,
        }
    }

    pub(crate) fn done(&self) -> bool {
        self.next >= self.plan.steps.len()
    }

    /// Writes the next step as line number `line`.
    pub(crate) fn emit(&mut self, line: u64, now_ms: i64, stamp: &[u8], out: &mut Vec<u8>) {
        let Some(step) = self.plan.steps.get(self.next) else {
            return;
        };
        let (a, b) = step.text.split_at(step.split.min(step.text.len()));
        out.extend_from_slice(a.as_bytes());
        out.extend_from_slice(stamp);
        out.extend_from_slice(b.as_bytes());
        out.push(b'\n');
        if self.lines.is_empty() {
            self.first_ms = now_ms;
        }
        self.last_ms = now_ms;
        self.lines.push(line);
        self.next += 1;
    }

    /// The truth record of the lines emitted so far; `None` if there were none.
    pub(crate) fn into_truth(self, kind: Kind) -> Option<Truth> {
        let complete = self.done();
        let first_line = *self.lines.first()?;
        let last_line = *self.lines.last()?;
        let ips: Vec<String> = self.plan.ips.iter().map(|&a| ip_string(a)).collect();
        Some(Truth {
            id: self.id,
            scenario: self.plan.scenario.to_string(),
            category: self.plan.category,
            source_ip: ips.first().cloned().unwrap_or_default(),
            source_ips: ips,
            users: self.plan.users,
            file: kind.file_name().to_string(),
            format: kind.format_name().to_string(),
            first_line,
            last_line,
            count: self.lines.len() as u64,
            start: rfc3339(self.first_ms),
            end: rfc3339(self.last_ms),
            complete,
            lines: self.lines,
        })
    }
}
