//! Risk score (0–100) of an alert: the rule's level sets the base, the
//! evidence moves it.
//!
//! The formula, in full:
//!
//! ```text
//! base   = informational 5 | low 12 | medium 35 | high 62 | critical 85
//! volume = min(10, round(2.5 · log10(count)))   (1 → 0, 10 → 3, 100 → 5, 1000 → 8, 10⁴ → 10)
//! users  = min(10, round(2 · log2(distinct_users)))  (1 → 0, 2 → 2, 4 → 4, 10 → 7, 32+ → 10)
//! score  = base + volume + users
//! informational rules stay LOW:      score = min(score, 19)
//! account_compromise (success after failures) is CRITICAL: score = max(score, 90)
//! score  = clamp(score, 0, 100)
//! ```
//!
//! So the evidence can lift an alert by at most one severity band (+20):
//! a medium rule with a hundred events against a few accounts reads HIGH;
//! a high-level brute force becomes CRITICAL only with both heavy volume
//! and many accounts (a thousand attempts against 32 accounts), so that
//! CRITICAL stays rare: critical rules, compromises, massive campaigns. The severity is the band of the score
//! (`Severity::from_score`, the table in DESIGN.md).

use crate::rule::{Level, RuleCategory};

/// The base score of a rule level.
pub fn level_base(level: Level) -> u8 {
    match level {
        Level::Informational => 5,
        Level::Low => 12,
        Level::Medium => 35,
        Level::High => 62,
        Level::Critical => 85,
    }
}

/// Points for volume: log-scaled number of matching events, at most 10.
fn volume_points(count: u64) -> i32 {
    if count <= 1 {
        return 0;
    }
    (2.5 * (count as f64).log10()).round().min(10.0) as i32
}

/// Points for breadth: log-scaled number of distinct accounts, at most 10.
fn user_points(distinct_users: usize) -> i32 {
    if distinct_users <= 1 {
        return 0;
    }
    (2.0 * (distinct_users as f64).log2()).round().min(10.0) as i32
}

/// The risk score of an alert of a rule with `level` and `category` that
/// saw `count` matching events involving `distinct_users` accounts. See the
/// module documentation for the formula.
pub fn risk_score(level: Level, count: u64, distinct_users: usize, category: RuleCategory) -> u8 {
    let mut score =
        i32::from(level_base(level)) + volume_points(count) + user_points(distinct_users);
    if level == Level::Informational {
        score = score.min(19);
    }
    if category == RuleCategory::AccountCompromise {
        score = score.max(90);
    }
    score.clamp(0, 100) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::Severity;

    fn sev(level: Level, count: u64, users: usize, cat: RuleCategory) -> Severity {
        Severity::from_score(risk_score(level, count, users, cat))
    }

    #[test]
    fn base_scores_fall_in_the_level_band() {
        let c = RuleCategory::BruteForce;
        assert_eq!(risk_score(Level::Informational, 1, 1, c), 5);
        assert_eq!(risk_score(Level::Low, 1, 1, c), 12);
        assert_eq!(risk_score(Level::Medium, 1, 0, c), 35);
        assert_eq!(risk_score(Level::High, 1, 1, c), 62);
        assert_eq!(risk_score(Level::Critical, 1, 1, c), 85);
        assert_eq!(sev(Level::Informational, 1, 1, c), Severity::Low);
        assert_eq!(sev(Level::Low, 1, 1, c), Severity::Low);
        assert_eq!(sev(Level::Medium, 1, 1, c), Severity::Medium);
        assert_eq!(sev(Level::High, 1, 1, c), Severity::High);
        assert_eq!(sev(Level::Critical, 1, 1, c), Severity::Critical);
    }

    #[test]
    fn evidence_raises_the_score_log_scaled() {
        let c = RuleCategory::BruteForce;
        assert_eq!(risk_score(Level::High, 10, 1, c), 65);
        assert_eq!(risk_score(Level::High, 57, 1, c), 66);
        assert_eq!(risk_score(Level::High, 100, 1, c), 67);
        assert_eq!(risk_score(Level::High, 1000, 1, c), 70);
        assert_eq!(risk_score(Level::High, u64::MAX, 1, c), 72);
        // Many accounts.
        assert_eq!(risk_score(Level::Medium, 20, 2, c), 40);
        assert_eq!(risk_score(Level::Medium, 1, 4, c), 39);
        assert_eq!(risk_score(Level::Medium, 1, 10, c), 42);
        assert_eq!(risk_score(Level::Medium, 1, 10_000, c), 45);
        // A brute force trying ten user names stays HIGH...
        assert_eq!(sev(Level::High, 75, 10, c), Severity::High);
        // ... a massive campaign becomes CRITICAL.
        assert_eq!(sev(Level::High, 1000, 32, c), Severity::Critical);
        // At most one band up.
        assert_eq!(sev(Level::Medium, u64::MAX, usize::MAX, c), Severity::High);
        assert_eq!(sev(Level::Low, u64::MAX, usize::MAX, c), Severity::Medium);
        assert_eq!(
            sev(Level::High, u64::MAX, usize::MAX, c),
            Severity::Critical
        );
        assert_eq!(risk_score(Level::Critical, u64::MAX, usize::MAX, c), 100);
        // Informational never leaves LOW.
        assert_eq!(sev(Level::Informational, u64::MAX, 100, c), Severity::Low);
    }

    #[test]
    fn account_compromise_is_critical() {
        let c = RuleCategory::AccountCompromise;
        assert_eq!(risk_score(Level::Medium, 1, 1, c), 90);
        assert_eq!(sev(Level::Low, 1, 1, c), Severity::Critical);
        assert_eq!(risk_score(Level::Critical, 1000, 1, c), 93);
    }
}
