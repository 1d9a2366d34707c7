//! `logsentinel rules list | check | test`.

use std::io::{self, Write};

use anyhow::{Context, bail};
use logsentinel_core::{FormatState, Timestamp};
use logsentinel_detect::engine::Engine;
use logsentinel_detect::loader::{MatchScratch, RuleSet};
use logsentinel_detect::mapping::FieldMapping;
use logsentinel_detect::rule::{CorrelationType, Rule, Threshold};
use logsentinel_ingest::{LineBatch, LineReader};

use crate::cli::{RuleTestArgs, RulesCommand};
use crate::input::{Common, reference_time};
use crate::rules_load::{read_sources, rules_and_config};
use crate::text::for_terminal;

pub fn run(cmd: &RulesCommand) -> anyhow::Result<u8> {
    match cmd {
        RulesCommand::List(args) => {
            let (rules, _) = rules_and_config(args)?;
            list(&rules).context("writing output")?;
            Ok(0)
        }
        RulesCommand::Check { paths } => check(paths),
        RulesCommand::Test(args) => test(args),
    }
}

fn threshold_text(t: &Threshold) -> String {
    match t {
        Threshold::Gt(v) => format!("> {v}"),
        Threshold::Gte(v) => format!(">= {v}"),
        Threshold::Lt(v) => format!("< {v}"),
        Threshold::Lte(v) => format!("<= {v}"),
        Threshold::Eq(v) => format!("= {v}"),
        Threshold::Range(a, b) => format!("{a}..{b}"),
    }
}

fn fmt_duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    if s > 0 && s.is_multiple_of(86_400) {
        format!("{}d", s / 86_400)
    } else if s > 0 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s > 0 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// What a rule counts, for `rules list`.
pub fn describe_thresholds(rules: &RuleSet, r: &Rule) -> String {
    let Some(c) = &r.correlation else {
        return "single event".to_string();
    };
    let names: Vec<&str> = c
        .rules
        .iter()
        .filter_map(|&i| rules.rules.get(i))
        .map(Rule::reference)
        .collect();
    let kind = match c.kind {
        CorrelationType::EventCount => format!("count {}", threshold_text(&c.threshold)),
        CorrelationType::ValueCount => format!(
            "distinct {} {}",
            c.field.as_deref().unwrap_or("?"),
            threshold_text(&c.threshold)
        ),
        CorrelationType::Temporal => "all of".to_string(),
        CorrelationType::TemporalOrdered => "in order".to_string(),
    };
    format!(
        "{kind} [{}] in {} by {}",
        names.join(", "),
        fmt_duration(c.timespan),
        if c.group_by.is_empty() {
            "-".to_string()
        } else {
            c.group_by.join(",")
        }
    )
}

fn list(rules: &RuleSet) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    writeln!(
        out,
        "{:<34} {:<9} {:<22} {:<24} {:<7} THRESHOLDS / TITLE",
        "NAME", "LEVEL", "CATEGORY", "ATT&CK", "ALERTS"
    )?;
    for r in &rules.rules {
        let name = if r.name.is_empty() { &r.id } else { &r.name };
        writeln!(
            out,
            "{:<34} {:<9} {:<22} {:<24} {:<7} {}",
            name,
            r.level.as_str(),
            r.category.as_str(),
            r.techniques.join(","),
            if r.enabled { "yes" } else { "feeds" },
            describe_thresholds(rules, r)
        )?;
        writeln!(out, "{:<34} {}", "", r.title)?;
    }
    writeln!(
        out,
        "\n{} rules ({} raise alerts; \"feeds\" = only feeds correlations). ATT&CK® v{} (MITRE ATT&CK, https://attack.mitre.org).",
        rules.rules.len(),
        rules.rules.iter().filter(|r| r.enabled).count(),
        logsentinel_detect::attack::ATTACK_VERSION
    )?;
    out.flush()
}

fn check(paths: &[std::path::PathBuf]) -> anyhow::Result<u8> {
    let mut sources = RuleSet::builtin_sources();
    let builtin = sources.len();
    sources.extend(read_sources(paths)?);
    if sources.len() == builtin {
        bail!("no rule files (*.yml, *.yaml) found in the given paths");
    }
    match RuleSet::load(&sources, &FieldMapping::builtin()) {
        Ok(set) => {
            let user: Vec<&Rule> = set
                .rules
                .iter()
                .filter(|r| !r.origin.file.starts_with("builtin:"))
                .collect();
            println!(
                "{} rule(s) OK in {} file(s)",
                user.len(),
                sources.len() - builtin
            );
            Ok(0)
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!("{} error(s)", errors.len());
            Ok(2)
        }
    }
}

fn test(args: &RuleTestArgs) -> anyhow::Result<u8> {
    let common = Common::new(&args.input)?;
    let (rules, config) = rules_and_config(&args.rules)?;
    let Some(idx) = rules.find(&args.rule) else {
        bail!(
            "no rule named '{}' (see `logsentinel rules list`)",
            args.rule
        );
    };
    let rule = &rules.rules[idx];
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    writeln!(
        out,
        "rule {} — {} ({}, {})",
        rule.name,
        rule.title,
        rule.level.as_str(),
        describe_thresholds(&rules, rule)
    )?;
    let mut engine =
        Engine::new(rules.clone(), &config.detection).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut scratch = MatchScratch::default();
    let mut matched = Vec::new();
    let mut lines_matched = 0u64;
    let mut failed = false;
    for source in logsentinel_ingest::expand_args(&args.input.inputs) {
        let source = match source {
            Ok(s) => s,
            Err(e) => {
                eprintln!("logsentinel: error: {e}");
                failed = true;
                continue;
            }
        };
        let name = source.display_name();
        let opened = match logsentinel_ingest::open(&source) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("logsentinel: error: {e}");
                failed = true;
                continue;
            }
        };
        let mut reader = LineReader::new(opened.reader).max_line(common.max_line);
        let mut batch = LineBatch::default();
        let mut parser = None;
        let mut state = FormatState::default();
        let reference: Timestamp = reference_time(opened.modified);
        loop {
            match reader.next_batch(&mut batch) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    eprintln!("logsentinel: error: cannot read '{name}': {e}");
                    failed = true;
                    break;
                }
            }
            let parser = parser.get_or_insert_with(|| common.parser_for(&batch, reference).0);
            for (line_no, bytes, truncated) in batch.iter() {
                let (text, flags) = logsentinel_ingest::decode_line(bytes, truncated);
                if text.trim().is_empty() {
                    continue;
                }
                state.observe(&text);
                let mut ev = parser.parse(&text, &state);
                ev.flags.insert(flags);
                ev.file_line = Some(line_no);
                ev.file_path = Some(name.as_str().into());
                if rule.correlation.is_none() {
                    matched.clear();
                    rules.matching_rules(&ev, &mut scratch, &mut matched);
                    if matched.contains(&idx) {
                        lines_matched += 1;
                        writeln!(out, "{name}:{line_no}: MATCH {}", for_terminal(&text, 200))?;
                        for why in rules.explain(idx, &ev) {
                            writeln!(out, "    {}", for_terminal(&why, 200))?;
                        }
                    }
                }
                engine.process(&ev);
            }
        }
    }
    let (alerts, _) = engine.finish();
    let mine: Vec<_> = alerts.iter().filter(|a| a.rule_index == idx).collect();
    if rule.correlation.is_none() {
        writeln!(out, "{lines_matched} line(s) match")?;
    }
    writeln!(out, "{} alert(s) from this rule", mine.len())?;
    for a in mine {
        let j = a.to_json();
        writeln!(
            out,
            "  {} score {} source={} user={} count={} first={} last={}",
            j["severity"].as_str().unwrap_or("").to_ascii_uppercase(),
            j["event"]["risk_score"],
            for_terminal(j["source"]["ip"].as_str().unwrap_or("-"), 60),
            for_terminal(j["user"]["name"].as_str().unwrap_or("-"), 60),
            j["count"],
            j["event"]["start"].as_str().unwrap_or(""),
            j["event"]["end"].as_str().unwrap_or("")
        )?;
        for e in j["evidence"].as_array().into_iter().flatten() {
            writeln!(
                out,
                "    {}:{} {}",
                for_terminal(e["file"].as_str().unwrap_or("-"), 80),
                e["line"],
                for_terminal(e["message"].as_str().unwrap_or(""), 160)
            )?;
        }
    }
    out.flush()?;
    Ok(if failed { 2 } else { 0 })
}
