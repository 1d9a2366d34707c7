//! `logsentinel notify-test`: sends one test notification through every
//! channel of `[notify]`, at once and without the queue, and says for each
//! whether it was delivered (and why not). For checking a configuration
//! before relying on it.
//!
//! The notification is a real alert of the built-in rules, raised by the
//! engine from a canned SSH brute force from 192.0.2.1 (TEST-NET-1), with
//! its title and summary marked as a test.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use logsentinel_core::{Format, FormatState, ParseCtx, Timestamp, parse_as};
use logsentinel_detect::config::DetectConfig;
use logsentinel_detect::engine::Engine;
use logsentinel_notify::message::{AlertNote, Notification};
use logsentinel_notify::notifier::channels;

use crate::config::Config;
use crate::rules_load::load_rules;

#[derive(Debug, Args)]
pub struct NotifyTestArgs {
    /// Configuration file with the `[notify]` section to test.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

/// Exit status: 0 every channel delivered, 1 some failed, 2 bad config.
pub fn run(args: &NotifyTestArgs) -> anyhow::Result<u8> {
    let config = Config::load(&args.config)?;
    if !config.notify.is_enabled() {
        anyhow::bail!(
            "config '{}': no notification channel ([notify.email] or [[notify.webhook]])",
            args.config.display()
        );
    }
    let channels = channels(&config.notify).map_err(|e| anyhow::anyhow!("[notify]: {e}"))?;
    let note = test_note()?;
    let n = Notification::Alert(note);
    let mut failed = 0;
    for c in &channels {
        match c.deliver(&n) {
            Ok(()) => println!("{}: delivered the test notification", c.name()),
            Err(e) => {
                failed += 1;
                println!(
                    "{}: FAILED ({}): {}",
                    c.name(),
                    if e.permanent {
                        "permanent"
                    } else {
                        "retryable"
                    },
                    e.reason
                );
            }
        }
    }
    Ok(if failed == 0 { 0 } else { 1 })
}

/// A real alert from canned lines, marked as a test.
fn test_note() -> anyhow::Result<AlertNote> {
    let rules = Arc::new(load_rules(&[])?);
    let mut engine =
        Engine::new(rules, &DetectConfig::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = crate::input::reference_time(None);
    let ctx = ParseCtx::utc(now);
    let state = FormatState::default();
    let start = now.secs - 60;
    let lines: Vec<String> = (0..10i64)
        .map(|i| {
            let t = Timestamp::from_secs(start + i * 3);
            let stamp = jiff::Timestamp::from_second(t.secs)
                .map(|ts| ts.strftime("%b %e %H:%M:%S").to_string())
                .unwrap_or_default();
            format!(
                "{stamp} logsentinel-test sshd[{}]: Failed password for invalid user test from 192.0.2.1 port {} ssh2",
                4000 + i,
                50000 + i
            )
        })
        .collect();
    for line in &lines {
        if let Some(ev) = parse_as(Format::SyslogRfc3164, line, &ctx, &state) {
            engine.process(&ev);
        }
    }
    let (alerts, _) = engine.finish();
    let alert = alerts
        .iter()
        .max_by_key(|a| a.risk_score)
        .context("the canned test lines raised no alert")?;
    let mut note = AlertNote::from_alert(alert, None);
    note.rule_title = format!("TEST: {}", note.rule_title);
    note.summary = format!(
        "Test notification from `logsentinel notify-test` (no attack happened): {}",
        note.summary
    );
    Ok(note)
}
