//! Every built-in rule against its own `samples:`, through the real
//! pipeline: each sample block is parsed line by line exactly as the CLI
//! does (format auto-detection on the block, per-line fallback, UTC, a fixed
//! reference time for year-less stamps), run through a fresh `Engine` with
//! the whole built-in rule set, and the alerts are checked.
//!
//! - A rule that raises alerts (a correlation, or a detection no
//!   correlation silences): every positive block must raise at least one
//!   alert of that rule, every negative block none.
//! - A building-block detection (referenced by a correlation with
//!   `generate: false`): every line of a positive block must match it, no
//!   line of a negative block may.
//!
//! All failures are collected and reported together, one line per failed
//! sample with the reason (the alerts that were raised, or the line that
//! did (not) match and the matcher's explanation).

use std::sync::Arc;

use logsentinel_core::{Event, FormatState, LineParser, ParseCtx, Timestamp, detect_format};
use logsentinel_detect::alert::Alert;
use logsentinel_detect::config::DetectConfig;
use logsentinel_detect::engine::Engine;
use logsentinel_detect::loader::RuleSet;
use logsentinel_detect::matcher::MatchScratch;

/// 2024-01-16T00:00:00Z: year-less sample stamps (`Jan 15 10:30:00`) read
/// as 2024, like the samples with a year.
const REFERENCE_SECS: i64 = 1_705_363_200;

fn ctx() -> ParseCtx {
    ParseCtx::utc(Timestamp::from_secs(REFERENCE_SECS))
}

fn builtin() -> Arc<RuleSet> {
    match RuleSet::builtin() {
        Ok(set) => Arc::new(set),
        Err(errors) => {
            let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            panic!("built-in rules do not load:\n{}", text.join("\n"));
        }
    }
}

/// The non-blank lines of a sample block.
fn lines(block: &str) -> Vec<&str> {
    block
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// Parses the lines of a block as the CLI would and hands each event to `f`.
fn parse_block(block: &str, mut f: impl FnMut(usize, &str, &Event<'_>)) {
    let ctx = ctx();
    let lines = lines(block);
    let detection = detect_format(&lines, &ctx);
    let parser = LineParser::auto(detection.format, ctx);
    let mut state = FormatState::default();
    for (i, line) in lines.iter().enumerate() {
        state.observe(line);
        let mut ev = parser.parse(line, &state);
        ev.file_line = Some(i as u64 + 1);
        f(i + 1, line, &ev);
    }
}

/// All alerts the whole rule set raises on a block.
fn run_block(rules: &Arc<RuleSet>, block: &str) -> Vec<Alert> {
    let mut engine = match Engine::new(Arc::clone(rules), &DetectConfig::default()) {
        Ok(e) => e,
        Err(e) => panic!("engine: {e}"),
    };
    parse_block(block, |_, _, ev| engine.process(ev));
    engine.finish().0
}

fn describe(alerts: &[Alert]) -> String {
    if alerts.is_empty() {
        return "no alerts".into();
    }
    let names: Vec<String> = alerts
        .iter()
        .map(|a| format!("{}[{}]", a.rule_name, a.count))
        .collect();
    format!("alerts: {}", names.join(", "))
}

fn short(line: &str) -> String {
    let mut s: String = line.chars().take(120).collect();
    if s.len() < line.len() {
        s.push('…');
    }
    s
}

/// Checks one rule's samples; returns one message per failed sample.
fn check_rule(rules: &Arc<RuleSet>, idx: usize) -> Vec<String> {
    let rule = &rules.rules[idx];
    let who = if rule.name.is_empty() {
        rule.title.clone()
    } else {
        rule.name.clone()
    };
    let mut failures = Vec::new();
    let kinds = [
        ("positive", true, &rule.samples.positive),
        ("negative", false, &rule.samples.negative),
    ];
    for (kind, want, blocks) in kinds {
        for (b, block) in blocks.iter().enumerate() {
            let at = format!(
                "{who} ({}:{}) {kind} sample #{}",
                rule.origin.file,
                rule.origin.line,
                b + 1
            );
            if rule.enabled {
                let alerts = run_block(rules, block);
                let fired = alerts.iter().any(|a| a.rule_index == idx);
                if fired != want {
                    let what = if want {
                        "raised no alert"
                    } else {
                        "raised an alert"
                    };
                    failures.push(format!("{at}: {what} ({})", describe(&alerts)));
                }
            } else {
                let mut scratch = MatchScratch::default();
                let mut out = Vec::new();
                parse_block(block, |n, line, ev| {
                    rules.matching_rules(ev, &mut scratch, &mut out);
                    let matched = out.contains(&idx);
                    if matched != want {
                        let what = if want { "does not match" } else { "matches" };
                        let why = rules.explain(idx, ev).join("; ");
                        failures.push(format!(
                            "{at}: line {n} {what}: {} [{}] [{why}]",
                            short(line),
                            ev.format.name()
                        ));
                    }
                });
            }
        }
    }
    failures
}

#[test]
fn every_builtin_rule_passes_its_samples() {
    let rules = builtin();
    assert!(!rules.rules.is_empty(), "no built-in rules");
    let mut failures = Vec::new();
    for idx in 0..rules.rules.len() {
        failures.extend(check_rule(&rules, idx));
    }
    assert!(
        failures.is_empty(),
        "{} sample(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_alerting_rule_has_positive_and_negative_samples() {
    let rules = builtin();
    let mut missing = Vec::new();
    for r in &rules.rules {
        if r.enabled && (r.samples.positive.is_empty() || r.samples.negative.is_empty()) {
            missing.push(format!("{} ({}:{})", r.name, r.origin.file, r.origin.line));
        }
    }
    assert!(
        missing.is_empty(),
        "alerting rules without a positive and a negative sample:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_rule_is_documented() {
    let rules = builtin();
    let mut problems = Vec::new();
    for r in &rules.rules {
        let at = format!("{} ({}:{})", r.name, r.origin.file, r.origin.line);
        if r.name.is_empty() {
            problems.push(format!("{at}: no name"));
        }
        if r.description.trim().len() < 20 {
            problems.push(format!("{at}: no real description"));
        }
        if r.falsepositives.is_empty() {
            problems.push(format!("{at}: no falsepositives"));
        }
        if r.id.len() != 36 || r.id.chars().filter(|&c| c == '-').count() != 4 {
            problems.push(format!("{at}: id is not a UUID: {}", r.id));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Building blocks must not alert: a base rule that still raises alerts
/// would flood on every failed login.
#[test]
fn building_blocks_do_not_alert() {
    let rules = builtin();
    for name in [
        "ssh_failed_login",
        "ssh_login_success",
        "authentication_failure",
        "authentication_success",
        "invalid_user_login_attempt",
        "http_unauthorized_response",
        "web_login_attempt",
        "firewall_connection_denied",
        "windows_logon_failure",
        "windows_logon_success",
    ] {
        let Some(i) = rules.find(name) else {
            panic!("no rule {name}");
        };
        assert!(!rules.rules[i].enabled, "{name} raises alerts on its own");
    }
}

/// The headline scenario of the issue: a brute force from one address,
/// then a successful login from it, gives a brute force alert with that
/// address and a critical account compromise alert.
#[test]
fn ssh_brute_force_then_login_is_a_critical_compromise() {
    let rules = builtin();
    let mut block = String::new();
    for i in 0..12 {
        block.push_str(&format!(
            "Jan 15 10:30:{:02} web1 sshd[{}]: Failed password for root from 203.0.113.7 port {} ssh2\n",
            i * 2,
            2300 + i,
            52100 + i
        ));
    }
    block.push_str("Jan 15 10:31:02 web1 sshd[2320]: Accepted password for root from 203.0.113.7 port 52150 ssh2\n");
    let alerts = run_block(&rules, &block);
    let bf = alerts
        .iter()
        .find(|a| a.rule_name == "ssh_brute_force")
        .unwrap_or_else(|| panic!("no brute force alert: {}", describe(&alerts)));
    assert_eq!(bf.source_ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(bf.category.as_str(), "brute_force");
    assert_eq!(bf.count, 12);
    let comp = alerts
        .iter()
        .find(|a| a.rule_name == "ssh_login_after_brute_force")
        .unwrap_or_else(|| panic!("no compromise alert: {}", describe(&alerts)));
    assert_eq!(comp.source_ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(comp.category.as_str(), "account_compromise");
    assert_eq!(comp.level.as_str(), "critical");
}

/// The fail2ban corpus (`../shared/corpora/fail2ban-logs`, lines annotated
/// `# failJSON: {"match": true|false, ...}` by people who did not write
/// our parsers or rules), read by the service building blocks:
///
/// - every failed login (`match: true`) that a real parser reads (not the
///   heuristic fallback) matches the service's building block, except the
///   summary lines that are deliberately not counted (`max_auth_attempts`);
/// - no line fail2ban says is not a failure (`match: false`) matches the
///   SSH building block (notably rejected public keys).
#[test]
fn fail2ban_corpus_failures_match_the_service_rules() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora/fail2ban-logs");
    if !dir.is_dir() {
        eprintln!("skipped: corpus folder {} is absent", dir.display());
        return;
    }
    let rules = builtin();
    let cases = [
        ("sshd", "ssh_failed_login", false),
        ("dropbear", "ssh_failed_login", true),
        ("vsftpd", "ftp_failed_login", true),
        ("proftpd", "ftp_failed_login", true),
        ("pure-ftpd", "ftp_failed_login", true),
        ("wuftpd", "ftp_failed_login", true),
        ("courier-auth", "mail_failed_login", true),
        ("cyrus-imap", "mail_failed_login", true),
        ("sendmail-auth", "mail_failed_login", true),
        ("solid-pop3d", "mail_failed_login", true),
        ("uwimap-auth", "mail_failed_login", true),
        ("sieve", "mail_failed_login", true),
        ("perdition", "mail_failed_login", true),
    ];
    let mut problems = Vec::new();
    let mut checked = 0;
    for (file, rule, recall) in cases {
        let Some(idx) = rules.find(rule) else {
            panic!("no rule {rule}");
        };
        let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
            problems.push(format!("{file}: cannot read"));
            continue;
        };
        // (line, expected) pairs: each annotated log line.
        let mut annotated: Vec<(&str, bool)> = Vec::new();
        let mut pending: Option<bool> = None;
        for line in text.lines() {
            if let Some(json) = line.strip_prefix("# failJSON:") {
                pending = serde_json::from_str::<serde_json::Value>(json)
                    .ok()
                    .and_then(|v| v.get("match").and_then(serde_json::Value::as_bool));
                continue;
            }
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if let Some(m) = pending.take() {
                annotated.push((line, m));
            }
        }
        let block: String = annotated.iter().map(|(l, _)| format!("{l}\n")).collect();
        let mut scratch = MatchScratch::default();
        let mut out = Vec::new();
        parse_block(&block, |n, line, ev| {
            let Some(&(_, expected)) = annotated.get(n - 1) else {
                return;
            };
            rules.matching_rules(ev, &mut scratch, &mut out);
            let matched = out.contains(&idx);
            checked += 1;
            let summary = ev.str_field("event.reason") == Some("max_auth_attempts");
            let heuristic = ev.format.name() == "heuristic";
            if expected && recall && !matched && !summary && !heuristic {
                problems.push(format!(
                    "{file}: failure not matched by {rule}: {}",
                    short(line)
                ));
            }
            if !expected && matched {
                problems.push(format!(
                    "{file}: non-failure matched by {rule}: {}",
                    short(line)
                ));
            }
        });
    }
    assert!(checked > 100, "only {checked} corpus lines checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `category:` is optional for users' Sigma rules (it is then guessed from
/// the ATT&CK tags); ours state it.
#[test]
fn every_builtin_rule_states_its_category() {
    let mut missing = Vec::new();
    for (name, text) in logsentinel_detect::builtin::files() {
        for (i, doc) in text.split("\n---\n").enumerate() {
            if doc.lines().any(|l| l.starts_with("title:"))
                && !doc.lines().any(|l| l.starts_with("category:"))
            {
                missing.push(format!("{name} document {}", i + 1));
            }
        }
    }
    assert!(missing.is_empty(), "no `category:` in {missing:?}");
}
