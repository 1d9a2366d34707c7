//! `logsentinel analyze`: every input through the detection engine, then a
//! ranked summary (or the alerts as JSON/NDJSON/text).
//!
//! Parsing and single-event matching run on every core; correlation runs
//! in input order on the calling thread, so the alerts are the same as a
//! single-threaded run's. Alerts leave the engine as they close and wait
//! in an `AlertStore` (full reports on disk, slim forms in memory), so
//! memory stays flat however long the input. Incidents (alerts linked by
//! shared entities, with kill-chain stages) are computed from all the
//! alerts at the end, so they are deterministic too. The table shows
//! incidents first, each with its alerts, then the alerts of no incident;
//! `json` lists both; `ndjson` and `text` list alerts, which carry their
//! `incident.id`.

mod report;
mod store;

use std::io::{self, IsTerminal, Write};
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use logsentinel_core::Event;
use logsentinel_detect::engine::Engine;
use logsentinel_detect::incident::{self, Incident};
use logsentinel_detect::signal::Signal;
use logsentinel_ingest::Source;
use serde::ser::{Error as _, Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use crate::Failure;
use crate::cli::{AnalyzeArgs, AnalyzeOutput};
use crate::input::{Common, OpenedInput, read_error, report_input_error};
use crate::pipeline::{self, BatchParser, ParseStats};
use crate::rules_load::rules_and_config;
use report::{Summary, text_line, write_table};
use store::{AlertStore, StoredAlerts};

/// Runs the analysis; returns the process exit status.
pub fn run(args: &AnalyzeArgs) -> anyhow::Result<u8> {
    let common = Common::new(&args.input)?;
    let (rules, config) = rules_and_config(&args.rules)?;
    let mut engine = Engine::new(rules, &config.detection).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut store = AlertStore::new().context("creating a temporary file for alerts")?;
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
        let mut run = Run {
            engine: &mut engine,
            store: &mut store,
            progress: &progress,
            started: &started,
        };
        match run.analyze_one(&common, &source) {
            Ok(stats) => totals.add(&stats),
            Err(Failure::Input(e)) => {
                progress.suspend(|| report_input_error(&e));
                input_failed = true;
            }
            Err(Failure::Io(e)) => {
                progress.suspend(|| eprintln!("logsentinel: error: {e}"));
                input_failed = true;
            }
            Err(Failure::Output(e)) => return Err(e).context("keeping alerts"),
        }
    }
    progress.finish_and_clear();
    let elapsed = started.elapsed();
    let window = engine.incident_window();
    let (rest, stats) = engine.finish();
    for a in rest {
        store.add(a).context("keeping alerts")?;
    }
    let mut stored = store.into_alerts().context("keeping alerts")?;
    let mut incidents = incident::link(&mut stored.alerts, window);
    let alerts = &stored.alerts;
    // Ranked: highest score first, then earliest (then rule and id, as
    // the engine orders them).
    let mut order: Vec<usize> = (0..alerts.len()).collect();
    order.sort_by(|&x, &y| {
        let (a, b) = (&alerts[x], &alerts[y]);
        b.risk_score.cmp(&a.risk_score).then_with(|| {
            (a.first_seen, a.rule_index, &a.id).cmp(&(b.first_seen, b.rule_index, &b.id))
        })
    });
    incidents.sort_by(|a, b| {
        b.risk_score
            .cmp(&a.risk_score)
            .then_with(|| (a.first_seen, &a.id).cmp(&(b.first_seen, &b.id)))
    });
    let min = args.min_severity.min_score();
    let shown: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| alerts[i].risk_score >= min)
        .collect();
    let shown_incidents: Vec<&Incident> =
        incidents.iter().filter(|i| i.risk_score >= min).collect();

    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let summary = Summary {
        inputs,
        parse: &totals,
        engine: &stats,
        elapsed,
        alerts,
        incidents: &incidents,
    };
    match args.output {
        AnalyzeOutput::Table => write_table(&mut out, &summary, &stored, &shown_incidents, &shown),
        AnalyzeOutput::Json => {
            let doc = Document {
                summary: summary.to_json(),
                incidents: &shown_incidents,
                alerts: Reports {
                    stored: &stored,
                    order: &shown,
                },
            };
            serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(io::Error::other)
                .and_then(|()| writeln!(out))
        }
        AnalyzeOutput::Ndjson => shown.iter().try_for_each(|&i| {
            let a = stored.report(i)?;
            serde_json::to_writer(&mut out, &a)
                .map_err(io::Error::other)
                .and_then(|()| writeln!(out))
        }),
        AnalyzeOutput::Text => shown
            .iter()
            .try_for_each(|&i| writeln!(out, "{}", text_line(&stored.report(i)?))),
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
        && (alerts.iter().any(|a| a.risk_score >= level.min_score())
            || incidents.iter().any(|i| i.risk_score >= level.min_score()))
    {
        return Ok(1);
    }
    Ok(0)
}

/// The `json` output: `{"alerts": [...], "incidents": [...], "summary": {...}}`,
/// alerts read from the store one at a time as they are written.
struct Document<'a> {
    summary: Value,
    incidents: &'a [&'a Incident],
    alerts: Reports<'a>,
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("alerts", &self.alerts)?;
        m.serialize_entry("incidents", &Incidents(self.incidents))?;
        m.serialize_entry("summary", &self.summary)?;
        m.end()
    }
}

/// Stored alerts' reports, in `order`.
struct Reports<'a> {
    stored: &'a StoredAlerts,
    order: &'a [usize],
}

impl Serialize for Reports<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.order.len()))?;
        for &i in self.order {
            let report = self.stored.report(i).map_err(S::Error::custom)?;
            seq.serialize_element(&report)?;
        }
        seq.end()
    }
}

struct Incidents<'a>(&'a [&'a Incident]);

impl Serialize for Incidents<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for i in self.0 {
            seq.serialize_element(&i.to_json())?;
        }
        seq.end()
    }
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

/// What one input is analysed into.
struct Run<'a> {
    engine: &'a mut Engine,
    store: &'a mut AlertStore,
    progress: &'a ProgressBar,
    started: &'a Instant,
}

impl Run<'_> {
    fn analyze_one(&mut self, common: &Common, source: &Source) -> Result<ParseStats, Failure> {
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
        let mut maker = self.engine.signal_maker();
        let bp = BatchParser {
            parser,
            path,
            work: move |ev: &Event<'_>, out: &mut Vec<Signal>| maker.signals(ev, out),
        };
        let mut stats = ParseStats::default();
        let (engine, store, progress, started) = (
            &mut *self.engine,
            &mut *self.store,
            self.progress,
            self.started,
        );
        // Compressed inputs: progress counts decompressed bytes, capped at the total.
        let result = pipeline::run(&mut reader, first, &bp, common.threads, |r| {
            stats.add(&r.stats);
            for s in r.out.drain(..) {
                engine.push(s);
            }
            for a in engine.take_closed_alerts() {
                store.add(a).map_err(Failure::Output)?;
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
}
