//! `logsentinel parse`: detected format and parsed fields of log lines, as
//! a human table, ECS NDJSON, or counts only (`--stats`).

use std::io::{self, Write};
use std::time::Instant;

use anyhow::Context;
use logsentinel_core::{Event, FieldValue, Format, ecs_json};
use logsentinel_ingest::Source;

use crate::Failure;
use crate::cli::{ParseArgs, ParseOutput};
use crate::input::{Common, OpenedInput, read_error, report_input_error};
use crate::pipeline::{self, BatchParser, ParseStats};
use crate::text::kv_value;

/// Parses every input; returns whether any input failed (exit status 2).
pub fn run(args: &ParseArgs) -> anyhow::Result<bool> {
    let common = Common::new(&args.input)?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(256 * 1024, stdout.lock());
    let mut failed = false;
    let mut total = ParseStats::default();
    let started = Instant::now();
    for source in logsentinel_ingest::expand_args(&args.input.inputs) {
        let source = match source {
            Ok(s) => s,
            Err(e) => {
                report_input_error(&e);
                failed = true;
                continue;
            }
        };
        match parse_one(&common, args, &source, &mut out) {
            Ok(stats) => total.add(&stats),
            Err(Failure::Input(e)) => {
                report_input_error(&e);
                failed = true;
            }
            Err(Failure::Io(e)) => {
                eprintln!("logsentinel: error: {e}");
                failed = true;
            }
            Err(Failure::Output(e)) => return Err(e).context("writing output"),
        }
    }
    if args.stats {
        write_stats(&mut out, "total", &total, started.elapsed().as_secs_f64())
            .context("writing output")?;
    }
    out.flush().context("writing output")?;
    Ok(failed)
}

fn parse_one(
    common: &Common,
    args: &ParseArgs,
    source: &Source,
    out: &mut impl Write,
) -> Result<ParseStats, Failure> {
    let OpenedInput {
        name,
        mut reader,
        first,
        parser,
        how,
    } = OpenedInput::open(common, source)?;
    let read_err = |e: io::Error| read_error(&name, e);
    let path = match source {
        Source::File(_) => Some(name.as_str()),
        Source::Stdin => None,
    };
    let started = Instant::now();
    let mut stats = ParseStats::default();
    if args.output == ParseOutput::Table && !args.stats {
        writeln!(out, "== {name}: {how}").map_err(Failure::Output)?;
    }
    let result: Result<(), Failure> = if args.stats {
        let bp = BatchParser {
            parser: parser.clone(),
            path,
            work: |_: &Event<'_>, _: &mut Vec<u8>| {},
        };
        pipeline::run(&mut reader, first, &bp, common.threads, |r| {
            stats.add(&r.stats);
            Ok::<(), Failure>(())
        })
    } else {
        let render = match args.output {
            ParseOutput::Ndjson => render_ndjson,
            ParseOutput::Table => render_table,
        };
        let bp = BatchParser {
            parser,
            path,
            work: render,
        };
        pipeline::run(&mut reader, first, &bp, common.threads, |r| {
            stats.add(&r.stats);
            out.write_all(&r.out).map_err(Failure::Output)
        })
    };
    let result = result.map_err(|e| match e {
        Failure::Io(e) => read_err(e),
        other => other,
    });
    let elapsed = started.elapsed().as_secs_f64();
    if args.stats {
        writeln!(out, "{name}: {how}").map_err(Failure::Output)?;
        write_stats(out, &name, &stats, elapsed).map_err(Failure::Output)?;
    } else if !args.quiet {
        out.flush().map_err(Failure::Output)?;
        eprintln!("{}", summary_line(&name, &how, &stats));
    }
    result.map(|()| stats)
}

fn summary_line(name: &str, how: &str, s: &ParseStats) -> String {
    let mut line = format!(
        "{name}: {} lines, {how}; {} read only by the heuristic",
        s.lines,
        s.heuristic_only()
    );
    for (n, what) in [
        (s.blank, "blank"),
        (s.truncated, "truncated"),
        (s.invalid_utf8, "invalid UTF-8"),
        (s.no_timestamp, "without a timestamp"),
    ] {
        if n > 0 {
            line.push_str(&format!(", {n} {what}"));
        }
    }
    line
}

fn write_stats(out: &mut impl Write, name: &str, s: &ParseStats, secs: f64) -> io::Result<()> {
    let rate = if secs > 0.0 {
        s.lines as f64 / secs
    } else {
        0.0
    };
    writeln!(out, "  lines            {:>12}", s.lines)?;
    writeln!(out, "  events           {:>12}", s.events())?;
    for f in Format::ALL {
        let n = s.count(f);
        if n > 0 {
            writeln!(out, "    {:<16} {:>10}", f.name(), n)?;
        }
    }
    writeln!(out, "  heuristic only   {:>12}", s.heuristic_only())?;
    writeln!(out, "  blank            {:>12}", s.blank)?;
    writeln!(out, "  truncated        {:>12}", s.truncated)?;
    writeln!(out, "  invalid UTF-8    {:>12}", s.invalid_utf8)?;
    writeln!(out, "  NUL bytes        {:>12}", s.nul_bytes)?;
    writeln!(out, "  no timestamp     {:>12}", s.no_timestamp)?;
    writeln!(
        out,
        "  seconds          {:>12.3}  ({name}: {:.0} lines/s)",
        secs, rate
    )?;
    Ok(())
}

fn render_ndjson(ev: &Event<'_>, out: &mut Vec<u8>) {
    ecs_json::write_event(ev, out);
}

/// `LOCATION  FORMAT  TIME  key=value ...`, attacker text escaped.
fn render_table(ev: &Event<'_>, out: &mut Vec<u8>) {
    let line = ev.file_line.unwrap_or(0);
    let _ = write!(out, "{:<6} {:<18} ", line, ev.format.name());
    ev.timestamp.write_rfc3339(out);
    let mut message = None;
    ev.fields(|name, value| match name {
        "@timestamp" | "log.format" | "log.file.path" | "log.file.line" | "event.original" => {}
        "message" => message = Some(value),
        _ => {
            let _ = write!(out, " {}={}", name, kv_value(&value.to_text(), 200));
        }
    });
    if !ev.flags.is_empty() {
        let tags: Vec<&str> = ev.flags.names().collect();
        let _ = write!(out, " tags={}", tags.join(","));
    }
    if let Some(FieldValue::Str(m)) = message {
        let _ = write!(out, " message={}", kv_value(m, 200));
    }
    out.push(b'\n');
}
