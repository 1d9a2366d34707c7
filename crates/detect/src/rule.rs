//! The rule model: what a loaded Sigma rule (detection or correlation) is,
//! independent of how it is matched.

use std::time::Duration;

/// Sigma `level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

/// `rule.category` of the alert contract (DESIGN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleCategory {
    BruteForce,
    PasswordSpraying,
    AccountCompromise,
    UserEnumeration,
    SqlInjection,
    Xss,
    PathTraversal,
    CommandInjection,
    CodeInjection,
    Ssrf,
    SensitiveFileAccess,
    Scanner,
    PortScan,
    PrivilegeEscalation,
    Persistence,
    DefenseEvasion,
    Malware,
    ThreatIntelMatch,
    Policy,
    Other,
}

impl RuleCategory {
    pub const ALL: [RuleCategory; 20] = [
        RuleCategory::BruteForce,
        RuleCategory::PasswordSpraying,
        RuleCategory::AccountCompromise,
        RuleCategory::UserEnumeration,
        RuleCategory::SqlInjection,
        RuleCategory::Xss,
        RuleCategory::PathTraversal,
        RuleCategory::CommandInjection,
        RuleCategory::CodeInjection,
        RuleCategory::Ssrf,
        RuleCategory::SensitiveFileAccess,
        RuleCategory::Scanner,
        RuleCategory::PortScan,
        RuleCategory::PrivilegeEscalation,
        RuleCategory::Persistence,
        RuleCategory::DefenseEvasion,
        RuleCategory::Malware,
        RuleCategory::ThreatIntelMatch,
        RuleCategory::Policy,
        RuleCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleCategory::BruteForce => "brute_force",
            RuleCategory::PasswordSpraying => "password_spraying",
            RuleCategory::AccountCompromise => "account_compromise",
            RuleCategory::UserEnumeration => "user_enumeration",
            RuleCategory::SqlInjection => "sql_injection",
            RuleCategory::Xss => "xss",
            RuleCategory::PathTraversal => "path_traversal",
            RuleCategory::CommandInjection => "command_injection",
            RuleCategory::CodeInjection => "code_injection",
            RuleCategory::Ssrf => "ssrf",
            RuleCategory::SensitiveFileAccess => "sensitive_file_access",
            RuleCategory::Scanner => "scanner",
            RuleCategory::PortScan => "port_scan",
            RuleCategory::PrivilegeEscalation => "privilege_escalation",
            RuleCategory::Persistence => "persistence",
            RuleCategory::DefenseEvasion => "defense_evasion",
            RuleCategory::Malware => "malware",
            RuleCategory::ThreatIntelMatch => "threat_intel_match",
            RuleCategory::Policy => "policy",
            RuleCategory::Other => "other",
        }
    }

    /// The category of a rule that names none (a standard Sigma rule),
    /// from its ATT&CK techniques (`T1110.003`) and tactic ids (`TA0004`);
    /// `Other` when they say nothing clear.
    pub fn from_attack(techniques: &[String], tactics: &[String]) -> RuleCategory {
        let has = |prefix: &str| {
            techniques
                .iter()
                .any(|t| t == prefix || t.strip_prefix(prefix).is_some_and(|r| r.starts_with('.')))
        };
        let tactic = |name: &str| {
            crate::attack::tactic(name).is_some_and(|t| tactics.iter().any(|x| x == t.id))
        };
        if has("T1110.003") {
            RuleCategory::PasswordSpraying
        } else if has("T1110") {
            RuleCategory::BruteForce
        } else if has("T1046") {
            RuleCategory::PortScan
        } else if has("T1595") {
            RuleCategory::Scanner
        } else if has("T1087") || has("T1589") {
            RuleCategory::UserEnumeration
        } else if tactic("privilege_escalation") {
            RuleCategory::PrivilegeEscalation
        } else if tactic("persistence") {
            RuleCategory::Persistence
        } else if tactic("defense_evasion") {
            RuleCategory::DefenseEvasion
        } else {
            RuleCategory::Other
        }
    }

    pub fn parse(s: &str) -> Option<RuleCategory> {
        RuleCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Where a rule came from, for error messages and `rules list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOrigin {
    /// File name (`builtin:ssh_brute_force.yml` for embedded rules).
    pub file: String,
    /// 1-based line of the YAML document's first line.
    pub line: usize,
}

/// Sample log text attached to a rule (LogSentinel extension `samples:`):
/// each positive block must make the rule raise an alert, each negative
/// block must not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Samples {
    pub positive: Vec<String>,
    pub negative: Vec<String>,
}

/// Correlation types of the Sigma correlation specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrelationType {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
}

/// A numeric condition of a correlation (`gte: 5`, `range: 3..10`, ...).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    Gt(u64),
    Gte(u64),
    Lt(u64),
    Lte(u64),
    Eq(u64),
    /// Inclusive range.
    Range(u64, u64),
}

impl Threshold {
    pub fn is_met(&self, n: u64) -> bool {
        match *self {
            Threshold::Gt(v) => n > v,
            Threshold::Gte(v) => n >= v,
            Threshold::Lt(v) => n < v,
            Threshold::Lte(v) => n <= v,
            Threshold::Eq(v) => n == v,
            Threshold::Range(a, b) => (a..=b).contains(&n),
        }
    }
}

/// A Sigma field name alias of a correlation: `name` (used in `group-by`)
/// is, in the events of each referenced rule, the field given for it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldAlias {
    pub name: String,
    /// (referenced rule, as an index in the rule set; ECS field).
    pub fields: Vec<(usize, String)>,
}

impl FieldAlias {
    /// The field `name` stands for in the events of rule `rule`: its own
    /// entry, or else `name` itself.
    pub fn field_for(&self, rule: usize) -> &str {
        self.fields
            .iter()
            .find(|(r, _)| *r == rule)
            .map_or(self.name.as_str(), |(_, f)| f.as_str())
    }
}

/// The correlation part of a correlation rule.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationSpec {
    pub kind: CorrelationType,
    /// Referenced rules (by `name` or `id`), resolved at load to indexes in
    /// the rule set (`RuleSet::rules`).
    pub rules: Vec<usize>,
    /// ECS field names (after mapping) the matches are grouped by, or
    /// names of `aliases`.
    pub group_by: Vec<String>,
    /// Sigma `aliases`: group-by names that stand for a different field
    /// in the events of each referenced rule.
    pub aliases: Vec<FieldAlias>,
    pub timespan: Duration,
    pub threshold: Threshold,
    /// For `value_count`: the ECS field whose distinct values are counted.
    pub field: Option<String>,
    /// Whether the referenced rules also raise their own alerts.
    pub generate: bool,
}

/// One rule, either a detection (matched on single events) or a correlation.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Sigma `id`.
    pub id: String,
    /// Sigma `name` (what correlations refer to); may be empty.
    pub name: String,
    pub title: String,
    pub description: String,
    pub level: Level,
    /// LogSentinel extension `category:` (the alert contract's rule.category).
    pub category: RuleCategory,
    /// ATT&CK technique ids from `tags` (`attack.t1110.001` → `T1110.001`).
    pub techniques: Vec<String>,
    /// ATT&CK tactic ids from `tags` (`attack.credential_access` → `TA0006`),
    /// plus the tactics of the techniques.
    pub tactics: Vec<String>,
    /// All Sigma tags as written.
    pub tags: Vec<String>,
    pub falsepositives: Vec<String>,
    pub references: Vec<String>,
    pub samples: Samples,
    pub origin: RuleOrigin,
    /// `Some` for correlation rules.
    pub correlation: Option<CorrelationSpec>,
    /// Fields that key suppression of this rule's alerts when it is not a
    /// correlation (LogSentinel extension `suppress-by:`, default
    /// `source.ip`, `user.name`).
    pub suppress_by: Vec<String>,
    /// Whether this rule raises alerts itself (false for detection rules that
    /// only feed correlations, unless they ask to).
    pub enabled: bool,
}

impl Rule {
    /// The name correlations and users refer to: `name`, or `id` when the
    /// rule has none.
    pub fn reference(&self) -> &str {
        if self.name.is_empty() {
            &self.id
        } else {
            &self.name
        }
    }
}
