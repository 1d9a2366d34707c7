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
//! web attacks (sql_injection, xss, path_traversal, command_injection,
//! code_injection, ssrf, sensitive_file_access) of rules at level medium
//! or above, by the HTTP answers to the alert's requests (`Responses`):
//!   some request answered 2xx (the application took it: it may have
//!   worked)                           score = score + 15
//!   else every answered request got a 4xx (refused: 400, 401, 403 by a
//!   WAF, 404 nothing there, 405, 406 ModSecurity, 414, 429...)
//!                                     score = max(score − 10, 20)
//!   (a refused attempt is still an attack: it may drop a band, never out
//!   of MEDIUM; 3xx and 5xx answers are neutral, and so is a mix of
//!   refused and other answers). Low and informational web rules are weak
//!   signals that benign requests also match, and benign requests are
//!   answered 2xx as a matter of course: answers do not move them.
//! informational rules stay LOW:      score = min(score, 19)
//! account_compromise (success after failures) is CRITICAL: score = max(score, 90)
//! score  = clamp(score, 0, 100)
//! ```
//!
//! So the evidence can lift an alert by at most one severity band: a
//! medium rule with a hundred events against a few accounts reads HIGH; a
//! high-level brute force becomes CRITICAL only with both heavy volume and
//! many accounts (a thousand attempts against 32 accounts), or a high-level
//! web attack only when it was answered 2xx and came in volume, so that
//! CRITICAL stays rare: critical rules, compromises, massive campaigns,
//! attacks that got through. The severity is the band of the score
//! (`Severity::from_score`, the table in DESIGN.md).
//!
//! A web attack (medium or above) answered 2xx is also marked
//! `event.outcome: success` on the alert (and one whose every answer was
//! refused, `failure`), and the incident logic reads it as a possible
//! compromise (`incident::stages_of`).

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

/// Points added when a web attack was answered 2xx.
pub const ANSWERED_POINTS: i32 = 15;
/// Points taken off when every answer to a web attack was a 4xx.
pub const REFUSED_POINTS: i32 = 10;

/// The HTTP answers to an alert's requests, by status class (events
/// without `http.response.status_code` are not counted).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Responses {
    /// 2xx: the application took the request.
    pub success: u64,
    /// 3xx.
    pub redirect: u64,
    /// 4xx: refused, not found, blocked by a WAF, malformed.
    pub refused: u64,
    /// 5xx (and anything outside 200..=599 that parsed as a number).
    pub error: u64,
}

/// What the answers say about a web attack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    /// At least one request was answered 2xx: it may have worked.
    Success,
    /// Every answered request got a 4xx.
    Refused,
    /// No answer known, or a mix without any 2xx.
    Unknown,
}

impl Responses {
    /// Counts one `http.response.status_code` value (text, as captured).
    /// Values that are not a number are ignored.
    pub fn add_status(&mut self, code: &str) {
        let Ok(n) = code.trim().parse::<u16>() else {
            return;
        };
        match n {
            200..=299 => self.success += 1,
            300..=399 => self.redirect += 1,
            400..=499 => self.refused += 1,
            _ => self.error += 1,
        }
    }

    /// Number of answers counted.
    pub fn total(&self) -> u64 {
        self.success
            .saturating_add(self.redirect)
            .saturating_add(self.refused)
            .saturating_add(self.error)
    }

    pub fn answer(&self) -> Answer {
        if self.success > 0 {
            Answer::Success
        } else if self.refused > 0 && self.refused == self.total() {
            Answer::Refused
        } else {
            Answer::Unknown
        }
    }
}

/// Whether alerts of `category` are attacks on a web application, whose
/// HTTP answers move the score.
pub fn is_web_attack(category: RuleCategory) -> bool {
    matches!(
        category,
        RuleCategory::SqlInjection
            | RuleCategory::Xss
            | RuleCategory::PathTraversal
            | RuleCategory::CommandInjection
            | RuleCategory::CodeInjection
            | RuleCategory::Ssrf
            | RuleCategory::SensitiveFileAccess
    )
}

/// The answer that scoring, the alert's `event.outcome` and incidents use
/// for an alert of a rule with `level` and `category`: `Unknown` unless it
/// is a web attack of a rule at level medium or above (see the module
/// documentation).
pub fn web_answer(level: Level, category: RuleCategory, responses: &Responses) -> Answer {
    if is_web_attack(category) && level >= Level::Medium {
        responses.answer()
    } else {
        Answer::Unknown
    }
}

/// The risk score of an alert of a rule with `level` and `category` that
/// saw `count` matching events involving `distinct_users` accounts, with no
/// HTTP answers known. See the module documentation for the formula.
pub fn risk_score(level: Level, count: u64, distinct_users: usize, category: RuleCategory) -> u8 {
    risk_score_with(
        level,
        count,
        distinct_users,
        category,
        &Responses::default(),
    )
}

/// `risk_score`, with the HTTP answers to the alert's requests (they move
/// the score of web attacks). See the module documentation.
pub fn risk_score_with(
    level: Level,
    count: u64,
    distinct_users: usize,
    category: RuleCategory,
    responses: &Responses,
) -> u8 {
    let mut score =
        i32::from(level_base(level)) + volume_points(count) + user_points(distinct_users);
    match web_answer(level, category, responses) {
        Answer::Success => score += ANSWERED_POINTS,
        Answer::Refused => score = (score - REFUSED_POINTS).max(20),
        Answer::Unknown => {}
    }
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

    fn answers(success: u64, redirect: u64, refused: u64, error: u64) -> Responses {
        Responses {
            success,
            redirect,
            refused,
            error,
        }
    }

    #[test]
    fn status_codes_fall_in_classes() {
        let mut r = Responses::default();
        for code in [
            "200", "204", " 302 ", "403", "404", "500", "999", "abc", "", "-",
        ] {
            r.add_status(code);
        }
        assert_eq!(r, answers(2, 1, 2, 2));
        assert_eq!(r.total(), 7);
        assert_eq!(r.answer(), Answer::Success);
        assert_eq!(answers(0, 0, 3, 0).answer(), Answer::Refused);
        assert_eq!(answers(0, 1, 3, 0).answer(), Answer::Unknown);
        assert_eq!(answers(0, 0, 0, 0).answer(), Answer::Unknown);
        assert_eq!(answers(0, 0, 0, 2).answer(), Answer::Unknown);
    }

    #[test]
    fn answers_move_web_attack_scores() {
        let sqli = RuleCategory::SqlInjection;
        let with = |level, r: Responses| risk_score_with(level, 1, 0, sqli, &r);
        // No answer known: the plain formula.
        assert_eq!(with(Level::High, Responses::default()), 62);
        assert_eq!(with(Level::High, answers(0, 2, 0, 1)), 62);
        // Answered 2xx: +15, once, however many.
        assert_eq!(with(Level::High, answers(1, 0, 0, 0)), 77);
        assert_eq!(with(Level::High, answers(1, 0, 50, 3)), 77);
        assert_eq!(with(Level::Medium, answers(9, 0, 0, 0)), 50);
        assert_eq!(
            Severity::from_score(with(Level::Medium, answers(1, 0, 0, 0))),
            Severity::High
        );
        // Volume and an answer make a high web attack CRITICAL.
        assert_eq!(
            risk_score_with(Level::High, 10, 0, sqli, &answers(1, 0, 9, 0)),
            80
        );
        // Every answer refused: -10, never below MEDIUM's floor.
        assert_eq!(with(Level::High, answers(0, 0, 4, 0)), 52);
        assert_eq!(with(Level::Medium, answers(0, 0, 4, 0)), 25);
        // Refused, never out of MEDIUM.
        assert_eq!(
            risk_score_with(Level::Medium, 1, 0, sqli, &answers(0, 0, 9, 0)),
            25
        );
        assert_eq!(
            risk_score_with(Level::Medium, 1, 0, sqli, &answers(0, 0, 4, 0)) as i32,
            35 - REFUSED_POINTS
        );
        // Low and informational rules are not moved by answers (benign
        // requests match them and are answered 200).
        assert_eq!(with(Level::Low, answers(0, 0, 4, 0)), 12);
        assert_eq!(with(Level::Low, answers(4, 0, 0, 0)), 12);
        assert_eq!(with(Level::Informational, answers(4, 0, 0, 0)), 5);
        assert_eq!(with(Level::Critical, answers(0, 0, 4, 0)), 75);
        // Other categories ignore answers.
        for c in [
            RuleCategory::BruteForce,
            RuleCategory::Scanner,
            RuleCategory::Policy,
        ] {
            assert_eq!(
                risk_score_with(Level::High, 1, 0, c, &answers(5, 0, 0, 0)),
                62
            );
            assert_eq!(
                risk_score_with(Level::High, 1, 0, c, &answers(0, 0, 5, 0)),
                62
            );
        }
        for c in RuleCategory::ALL {
            assert_eq!(
                is_web_attack(c),
                web_answer(Level::Medium, c, &answers(1, 0, 0, 0)) == Answer::Success
            );
            assert_eq!(
                web_answer(Level::Low, c, &answers(1, 0, 0, 0)),
                Answer::Unknown
            );
        }
        // Never past 100.
        assert_eq!(
            risk_score_with(
                Level::Critical,
                u64::MAX,
                usize::MAX,
                sqli,
                &answers(1, 0, 0, 0)
            ),
            100
        );
    }
}
