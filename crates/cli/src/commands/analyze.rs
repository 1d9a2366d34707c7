//! `logsentinel analyze`: every input through the detection engine, then a
//! ranked summary (or the alerts as JSON/NDJSON/text).
//!
//! Parsing and single-event matching run on every core; correlation runs
//! in input order on the calling thread, so the alerts are the same as a
//! single-threaded run's. Incidents (alerts linked by shared entities, with
//! kill-chain stages) are computed from the final alert list, so they are
//! deterministic too. The table shows incidents first, each with its
//! alerts, then the alerts of no incident; `json` lists both; `ndjson` and
//! `text` list alerts, which carry their `incident.id`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use logsentinel_core::{Event, Timestamp};
use logsentinel_detect::engine::{Engine, EngineStats};
use logsentinel_detect::signal::Signal;
use logsentinel_ingest::Source;
use serde_json::{Value, json};

use crate::Failure;
use crate::cli::{AnalyzeArgs, AnalyzeOutput};
use crate::input::{Common, OpenedInput, read_error, report_input_error};
use crate::pipeline::{self, BatchParser, ParseStats};
use crate::rules_load::rules_and_config;
use crate::text::for_terminal;

/// Runs the analysis; returns the process exit status.
pub fn run(args: &AnalyzeArgs) -> anyhow::Result<u8> {
    let common = Common::new(&args.input)?;
    let (rules, config) = rules_and_config(&args.rules)?;
    let mut engine = Engine::new(rules, &config.detection).map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = Instant::now();
    let sources = logsentinel_ingest::expand_args(&args.input.inputs);
    let total_bytes: u64 = sources
        .iter()
        .filter_map(|s| match s {
            Ok(Source::File(p)) => std::fs::metadata(p).ok().map(|m| m.len()),
            _ => None,
        })
        .sum();
    let progress = progress_bar(args.quiet, total_bytes);
    let mut totals = ParseStats::default();
    let mut input_failed = false;
    let mut inputs = 0usize;
    for source in sources {
        let source = match source {
            Ok(s) => s,
            Err(e) => {
                progress.suspend(|| report_input_error(&e));
                input_failed = true;
                continue;
            }
        };
        inputs += 1;
        match analyze_one(&common, &source, &mut engine, &progress, &started) {
            Ok(stats) => totals.add(&stats),
            Err(Failure::Input(e)) => {
                progress.suspend(|| report_input_error(&e));
                input_failed = true;
            }
            Err(Failure::Io(e)) => {
                progress.suspend(|| eprintln!("logsentinel: error: {e}"));
                input_failed = true;
            }
            Err(Failure::Output(e)) => return Err(e).context("writing output"),
        }
    }
    progress.finish_and_clear();
    let elapsed = started.elapsed();
    let (alerts, incidents, stats) = engine.finish_with_incidents();
    let mut alerts: Vec<Value> = alerts.iter().map(|a| a.to_json()).collect();
    // Ranked: highest score first, then earliest.
    alerts.sort_by(|a, b| {
        score(b).cmp(&score(a)).then_with(|| {
            a["event"]["start"]
                .as_str()
                .cmp(&b["event"]["start"].as_str())
        })
    });
    let mut incidents: Vec<Value> = incidents.iter().map(|i| i.to_json()).collect();
    incidents.sort_by(|a, b| {
        incident_score(b)
            .cmp(&incident_score(a))
            .then_with(|| a["first_seen"].as_str().cmp(&b["first_seen"].as_str()))
            .then_with(|| a["id"].as_str().cmp(&b["id"].as_str()))
    });
    let min = args.min_severity.min_score();
    let shown: Vec<&Value> = alerts.iter().filter(|a| score(a) >= min).collect();
    let shown_incidents: Vec<&Value> = incidents
        .iter()
        .filter(|i| incident_score(i) >= min)
        .collect();

    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let summary = Summary {
        inputs,
        parse: &totals,
        engine: &stats,
        elapsed,
        alerts: &alerts,
        incidents: &incidents,
    };
    match args.output {
        AnalyzeOutput::Table => write_table(&mut out, &summary, &shown_incidents, &shown),
        AnalyzeOutput::Json => {
            let doc = json!({
                "summary": summary.to_json(),
                "incidents": shown_incidents,
                "alerts": shown,
            });
            serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(io::Error::other)
                .and_then(|()| writeln!(out))
        }
        AnalyzeOutput::Ndjson => shown.iter().try_for_each(|a| {
            serde_json::to_writer(&mut out, a)
                .map_err(io::Error::other)
                .and_then(|()| writeln!(out))
        }),
        AnalyzeOutput::Text => shown
            .iter()
            .try_for_each(|a| writeln!(out, "{}", text_line(a))),
    }
    .and_then(|()| out.flush())
    .context("writing output")?;
    if !matches!(args.output, AnalyzeOutput::Table) && !args.quiet {
        eprintln!("{}", summary.one_line());
    }
    if input_failed {
        return Ok(2);
    }
    if let Some(level) = args.fail_on
        && (alerts.iter().any(|a| score(a) >= level.min_score())
            || incidents
                .iter()
                .any(|i| incident_score(i) >= level.min_score()))
    {
        return Ok(1);
    }
    Ok(0)
}

fn score(a: &Value) -> u8 {
    a["event"]["risk_score"].as_u64().unwrap_or(0).min(100) as u8
}

fn incident_score(i: &Value) -> u8 {
    i["risk_score"].as_u64().unwrap_or(0).min(100) as u8
}

fn progress_bar(quiet: bool, total_bytes: u64) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb =
        ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr_with_hz(8));
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} {msg} ETA {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    pb.set_style(style);
    pb
}

fn analyze_one(
    common: &Common,
    source: &Source,
    engine: &mut Engine,
    progress: &ProgressBar,
    started: &Instant,
) -> Result<ParseStats, Failure> {
    let OpenedInput {
        name,
        mut reader,
        first,
        parser,
        how: _how,
    } = OpenedInput::open(common, source)?;
    let read_err = |e: io::Error| read_error(&name, e);
    let path = match source {
        Source::File(_) => Some(name.as_str()),
        Source::Stdin => None,
    };
    let mut maker = engine.signal_maker();
    let bp = BatchParser {
        parser,
        path,
        work: move |ev: &Event<'_>, out: &mut Vec<Signal>| maker.signals(ev, out),
    };
    let mut stats = ParseStats::default();
    // Compressed inputs: progress counts decompressed bytes, capped at the total.
    let result = pipeline::run(&mut reader, first, &bp, common.threads, |r| {
        stats.add(&r.stats);
        for s in r.out.drain(..) {
            engine.push(s);
        }
        progress.inc(r.bytes);
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        progress.set_message(format!(
            "{} lines {:.0}/s",
            stats.lines,
            stats.lines as f64 / secs
        ));
        Ok::<(), Failure>(())
    });
    result.map_err(|e| match e {
        Failure::Io(e) => read_err(e),
        other => other,
    })?;
    Ok(stats)
}

struct Summary<'a> {
    inputs: usize,
    parse: &'a ParseStats,
    engine: &'a EngineStats,
    elapsed: Duration,
    alerts: &'a [Value],
    incidents: &'a [Value],
}

/// Counts of `items` per severity.
fn count_by_severity(items: &[Value]) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for sev in ["critical", "high", "medium", "low"] {
        m.insert(sev, items.iter().filter(|a| a["severity"] == sev).count());
    }
    m
}

impl Summary<'_> {
    fn by_severity(&self) -> BTreeMap<&'static str, usize> {
        count_by_severity(self.alerts)
    }

    fn by_category(&self) -> Vec<(String, usize)> {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for a in self.alerts {
            *m.entry(
                a["rule"]["category"]
                    .as_str()
                    .unwrap_or("other")
                    .to_string(),
            )
            .or_default() += 1;
        }
        let mut v: Vec<_> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// (source, alerts, highest score), most alerts first.
    fn top_sources(&self, n: usize) -> Vec<(String, usize, u8)> {
        let mut m: BTreeMap<String, (usize, u8)> = BTreeMap::new();
        for a in self.alerts {
            if let Some(ip) = a["source"]["ip"].as_str() {
                let e = m.entry(ip.to_string()).or_default();
                e.0 += 1;
                e.1 = e.1.max(score(a));
            }
        }
        let mut v: Vec<_> = m.into_iter().map(|(k, (c, s))| (k, c, s)).collect();
        v.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }

    fn rate(&self) -> f64 {
        self.parse.lines as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn one_line(&self) -> String {
        let sev = self.by_severity();
        format!(
            "analysed {} lines from {} input(s) in {:.2}s ({:.0} lines/s): {} alerts (critical {}, high {}, medium {}, low {}), {} incident(s); {} lines read only by the heuristic; {} group keys evicted",
            self.parse.lines,
            self.inputs,
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.alerts.len(),
            sev["critical"],
            sev["high"],
            sev["medium"],
            sev["low"],
            self.incidents.len(),
            self.parse.heuristic_only(),
            self.engine.evicted_keys,
        )
    }

    fn to_json(&self) -> Value {
        json!({
            "inputs": self.inputs,
            "lines": self.parse.lines,
            "events": self.parse.events(),
            "heuristic_only": self.parse.heuristic_only(),
            "truncated": self.parse.truncated,
            "invalid_utf8": self.parse.invalid_utf8,
            "seconds": self.elapsed.as_secs_f64(),
            "alerts": self.alerts.len(),
            "by_severity": self.by_severity(),
            "incidents": self.incidents.len(),
            "incidents_by_severity": count_by_severity(self.incidents),
            "by_category": self.by_category().into_iter().collect::<BTreeMap<_, _>>(),
            "top_sources": self.top_sources(10).into_iter().map(|(ip, n, s)| json!({"ip": ip, "alerts": n, "max_risk_score": s})).collect::<Vec<_>>(),
            "signals": self.engine.signals,
            "allowlisted": self.engine.allowlisted,
            "evicted_keys": self.engine.evicted_keys,
        })
    }
}

fn write_table(
    out: &mut impl Write,
    s: &Summary<'_>,
    incidents: &[&Value],
    shown: &[&Value],
) -> io::Result<()> {
    writeln!(out, "{}", s.one_line())?;
    writeln!(out)?;
    let sev = s.by_severity();
    writeln!(
        out,
        "Alerts by severity: CRITICAL {}  HIGH {}  MEDIUM {}  LOW {}",
        sev["critical"], sev["high"], sev["medium"], sev["low"]
    )?;
    if !s.incidents.is_empty() {
        let isev = count_by_severity(s.incidents);
        writeln!(
            out,
            "Incidents by severity: CRITICAL {}  HIGH {}  MEDIUM {}  LOW {}",
            isev["critical"], isev["high"], isev["medium"], isev["low"]
        )?;
    }
    let cats = s.by_category();
    if !cats.is_empty() {
        let list: Vec<String> = cats.iter().map(|(c, n)| format!("{c} {n}")).collect();
        writeln!(out, "By category: {}", list.join(", "))?;
    }
    let top = s.top_sources(5);
    if !top.is_empty() {
        let list: Vec<String> = top
            .iter()
            .map(|(ip, n, sc)| format!("{ip} ({n} alerts, max score {sc})"))
            .collect();
        writeln!(out, "Top sources: {}", list.join(", "))?;
    }
    if shown.is_empty() && incidents.is_empty() {
        writeln!(out, "\nNo alerts at or above the chosen severity.")?;
        return Ok(());
    }
    // Every alert by id, for the incidents' blocks (an incident shows all
    // its alerts, whatever their own severity).
    let by_id: BTreeMap<&str, &Value> = s
        .alerts
        .iter()
        .filter_map(|a| a["event"]["id"].as_str().map(|id| (id, a)))
        .collect();
    let mut in_shown_incident: BTreeSet<&str> = BTreeSet::new();
    if !incidents.is_empty() {
        writeln!(out)?;
        writeln!(out, "INCIDENTS ({})", incidents.len())?;
        for (n, inc) in incidents.iter().enumerate() {
            writeln!(out)?;
            write_incident(out, n + 1, inc, &by_id)?;
            for id in inc["alerts"].as_array().into_iter().flatten() {
                if let Some(id) = id.as_str() {
                    in_shown_incident.insert(id);
                }
            }
        }
    }
    let rest: Vec<&Value> = shown
        .iter()
        .copied()
        .filter(|a| {
            a["event"]["id"]
                .as_str()
                .is_none_or(|id| !in_shown_incident.contains(id))
        })
        .collect();
    if rest.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    if !incidents.is_empty() {
        writeln!(out, "OTHER ALERTS ({})", rest.len())?;
    }
    writeln!(
        out,
        "{:<9} {:>5}  {:<36} {:<22} {:<16} {:>7}  {:<20}  ATT&CK",
        "SEVERITY", "SCORE", "RULE", "SOURCE", "USER", "COUNT", "FIRST SEEN"
    )?;
    for a in rest {
        write_alert_row(out, a, "", "")?;
    }
    Ok(())
}

/// One incident: severity, score and stage chain; id and time span;
/// entities; then its alerts.
fn write_incident(
    out: &mut impl Write,
    n: usize,
    inc: &Value,
    by_id: &BTreeMap<&str, &Value>,
) -> io::Result<()> {
    let strs = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .map(|x| for_terminal(x, 60))
                    .collect()
            })
            .unwrap_or_default()
    };
    let stages = strs(&inc["stages"]);
    let chain = if stages.is_empty() {
        "-".to_string()
    } else {
        stages.join(" → ")
    };
    writeln!(
        out,
        "#{n} {} {}  {}",
        inc["severity"].as_str().unwrap_or("").to_ascii_uppercase(),
        incident_score(inc),
        chain
    )?;
    let first = inc["first_seen"].as_str().unwrap_or("");
    let last = inc["last_seen"].as_str().unwrap_or("");
    let ids = strs(&inc["alerts"]);
    writeln!(
        out,
        "   incident {}  {first} → {last} ({})  {} alerts",
        for_terminal(inc["id"].as_str().unwrap_or(""), 40),
        span(first, last),
        ids.len()
    )?;
    let list = |key: &str| {
        let v = strs(&inc["entities"][key]);
        match v.len() {
            0 => "-".to_string(),
            1..=5 => v.join(", "),
            n => format!("{} and {} more", v[..5].join(", "), n - 5),
        }
    };
    writeln!(
        out,
        "   ip: {}   user: {}   host: {}",
        list("ip"),
        list("user"),
        list("host")
    )?;
    let stage_of: BTreeMap<&str, String> = inc["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let id = t["id"].as_str()?;
            Some((id, strs(&t["stages"]).join("+")))
        })
        .collect();
    writeln!(
        out,
        "   {:<26}{:<9} {:>5}  {:<36} {:<22} {:<16} {:>7}  {:<20}  ATT&CK",
        "STAGE", "SEVERITY", "SCORE", "RULE", "SOURCE", "USER", "COUNT", "FIRST SEEN"
    )?;
    let blank = " ".repeat(29);
    for id in &ids {
        let Some(a) = by_id.get(id.as_str()) else {
            continue;
        };
        let stage = stage_of.get(id.as_str()).map_or("", String::as_str);
        let first = format!("   {:<26}", for_terminal(stage, 25));
        write_alert_row(out, a, &first, &blank)?;
    }
    Ok(())
}

/// `12s`, `5m`, `2h05m`, `3d4h` between two RFC 3339 times.
fn span(first: &str, last: &str) -> String {
    let secs = match (
        Timestamp::parse_rfc3339_prefix(first.as_bytes(), None),
        Timestamp::parse_rfc3339_prefix(last.as_bytes(), None),
    ) {
        (Some((a, _)), Some((b, _))) => b.secs.saturating_sub(a.secs).max(0),
        _ => return "?".to_string(),
    };
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d{}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

/// One alert row after `indent`, and its first evidence line after
/// `indent_rest`.
fn write_alert_row(
    out: &mut impl Write,
    a: &Value,
    indent: &str,
    indent_rest: &str,
) -> io::Result<()> {
    let techniques: Vec<&str> = a["threat"]["technique"]
        .as_array()
        .map(|v| v.iter().filter_map(|t| t["id"].as_str()).collect())
        .unwrap_or_default();
    writeln!(
        out,
        "{indent}{:<9} {:>5}  {:<36} {:<22} {:<16} {:>7}  {:<20}  {}",
        a["severity"].as_str().unwrap_or("").to_ascii_uppercase(),
        score(a),
        for_terminal(a["rule"]["name"].as_str().unwrap_or(""), 36),
        for_terminal(a["source"]["ip"].as_str().unwrap_or("-"), 22),
        for_terminal(a["user"]["name"].as_str().unwrap_or("-"), 16),
        a["count"].as_u64().unwrap_or(0),
        a["event"]["start"].as_str().unwrap_or(""),
        techniques.join(",")
    )?;
    if let Some(ev) = a["evidence"].as_array().and_then(|e| e.first()) {
        let loc = match (ev["file"].as_str(), ev["line"].as_u64()) {
            (Some(f), Some(l)) => format!("{f}:{l}"),
            (None, Some(l)) => format!("-:{l}"),
            _ => String::new(),
        };
        writeln!(
            out,
            "{indent_rest}          {} {}",
            for_terminal(&loc, 60),
            for_terminal(ev["message"].as_str().unwrap_or(""), 140)
        )?;
    }
    Ok(())
}

/// `SEVERITY score rule source=.. user=.. count=.. first=.. last=.. techniques`.
fn text_line(a: &Value) -> String {
    let techniques: Vec<&str> = a["threat"]["technique"]
        .as_array()
        .map(|v| v.iter().filter_map(|t| t["id"].as_str()).collect())
        .unwrap_or_default();
    let incident = a["incident"]["id"]
        .as_str()
        .map(|id| format!(" incident={}", for_terminal(id, 40)))
        .unwrap_or_default();
    format!(
        "{} {} {} [{}] source={} user={} count={} first={} last={} attack={}{incident}",
        a["severity"].as_str().unwrap_or("").to_ascii_uppercase(),
        score(a),
        for_terminal(a["rule"]["id"].as_str().unwrap_or(""), 80),
        for_terminal(a["rule"]["name"].as_str().unwrap_or(""), 80),
        for_terminal(a["source"]["ip"].as_str().unwrap_or("-"), 60),
        for_terminal(a["user"]["name"].as_str().unwrap_or("-"), 60),
        a["count"].as_u64().unwrap_or(0),
        a["event"]["start"].as_str().unwrap_or(""),
        a["event"]["end"].as_str().unwrap_or(""),
        techniques.join(",")
    )
}
