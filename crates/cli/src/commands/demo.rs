//! `logsentinel demo`: the whole loop in one command, with no set-up.
//!
//! - a simulator appends live traffic with attacks (web, SSH, firewall)
//!   to log files in a temporary directory, stamped with the current time;
//! - `watch` follows them and prints alerts as they open (with their
//!   incident when they are linked);
//! - email notifications go to an in-process `smtp-sink` on a loopback
//!   port, which prints every mail it receives.
//!
//! Everything runs with embedded defaults: built-in rules, a generated
//! configuration, a temporary state directory (notification queue and
//! checkpoints). Ctrl-C (or `--duration`) stops the watcher, which
//! delivers what is queued and stops; then the simulator and the sink
//! stop and the directory is removed (kept with `--keep`).

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::{Args, Parser};
use logsentinel_notify::sink::{SinkConfig, SmtpSink};
use logsentinel_sim::{Kind, SimConfig};

use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::rules_load::load_rules;

use super::simulate::Live;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Lines per second the simulator writes (all logs together).
    #[arg(long, default_value_t = 100.0, value_name = "LINES_PER_SEC")]
    pub rate: f64,

    /// Fraction of the simulated lines that belong to attacks.
    #[arg(long, default_value_t = 0.2, value_name = "FRACTION")]
    pub attack_share: f64,

    /// Seed of the simulator (the same seed gives the same traffic).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,

    /// Emails go out for alerts at or above this severity.
    #[arg(long, default_value = "high", value_name = "SEVERITY")]
    pub email_severity: String,

    /// Keep the temporary directory (logs, state) and print its path.
    #[arg(long)]
    pub keep: bool,
}

pub fn run(args: &DemoArgs) -> anyhow::Result<u8> {
    if !(args.rate > 0.0 && args.rate <= 100_000.0) {
        anyhow::bail!("--rate: {} is outside 0 < R <= 100000", args.rate);
    }
    if logsentinel_detect::alert::Severity::parse(&args.email_severity).is_none() {
        anyhow::bail!(
            "--email-severity: '{}' is not one of low, medium, high, critical",
            args.email_severity
        );
    }
    if !(0.0..=0.5).contains(&args.attack_share) {
        anyhow::bail!("--attack-share: {} is outside 0..=0.5", args.attack_share);
    }
    let dir = tempfile::Builder::new()
        .prefix("logsentinel-demo-")
        .tempdir()
        .context("creating the demo directory")?;
    let logs = dir.path().join("logs");
    let state = dir.path().join("state");
    std::fs::create_dir_all(&logs).context("creating the demo directory")?;

    // The mail sink, in process, on a free loopback port.
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let sink = SmtpSink::bind(loopback, SinkConfig::default()).context("starting the smtp-sink")?;
    let sink_addr = sink.local_addr();
    let sink_stop = sink.shutdown_handle();
    let sink_thread = sink
        .spawn(|mail| {
            let text = mail.display();
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            let _ = writeln!(out, "\nsmtp-sink received a mail:\n{text}");
            let _ = out.flush();
        })
        .context("starting the smtp-sink")?;

    // Configuration: built-in rules, email to the sink.
    let config = Config::parse(&format!(
        r#"[notify]
min_severity = "{sev}"
rate_limit = 5
rate_window = "1m"

[notify.email]
server = "{ip}"
port = {port}
security = "none"
from = "LogSentinel demo <logsentinel@demo.invalid>"
to = ["oncall@demo.invalid"]
subject = "[LogSentinel] {{severity}} {{rule}} from {{source}}"
timeout = "5s"
"#,
        sev = args.email_severity.to_ascii_lowercase(),
        ip = sink_addr.ip(),
        port = sink_addr.port(),
    ))
    .context("demo configuration")?;
    let rules = Arc::new(load_rules(&[])?);

    // The simulator, on its own thread.
    let stop = Arc::new(AtomicBool::new(false));
    let sim = {
        let (stop, logs) = (Arc::clone(&stop), logs.clone());
        let (rate, seed) = (args.rate, args.seed);
        let sim_config = SimConfig {
            attack_share: args.attack_share,
            ..SimConfig::default()
        };
        std::thread::Builder::new()
            .name("simulate".into())
            .spawn(move || {
                Live {
                    out: &logs,
                    kinds: &Kind::ALL,
                    seed,
                    config: &sim_config,
                    rate,
                    duration: None,
                }
                .run(&stop)
            })
            .context("starting the simulator")?
    };

    eprintln!(
        "LogSentinel demo\n  \
         simulated traffic with attacks -> {logs}/{{access,auth,firewall}}.log ({rate} lines/s)\n  \
         watch follows them and prints alerts below; alerts at or above {sev} are emailed\n  \
         smtp-sink on {sink_addr} prints every mail it receives\n  \
         Ctrl-C to stop{dur}\n",
        logs = logs.display(),
        rate = args.rate,
        sev = args.email_severity.to_ascii_uppercase(),
        dur = args
            .duration
            .map(|d| format!(" (stops by itself after {d} s)"))
            .unwrap_or_default(),
    );

    // The watcher, on this thread (it handles Ctrl-C).
    let pattern = logs.join("*.log").display().to_string();
    let mut argv: Vec<String> = [
        "logsentinel",
        "watch",
        "--from-beginning",
        "--tz",
        "UTC",
        "--poll-interval",
        "100",
        "--partial-flush",
        "300",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    argv.extend([
        "--allow-dir".to_string(),
        logs.display().to_string(),
        "--state-dir".to_string(),
        state.display().to_string(),
    ]);
    if let Some(d) = args.duration {
        argv.extend(["--duration".to_string(), d.to_string()]);
    }
    argv.push(pattern);
    let cli = Cli::try_parse_from(&argv).context("demo watch arguments")?;
    let Command::Watch(watch_args) = cli.command else {
        anyhow::bail!("demo: internal error building the watch arguments");
    };
    let result = super::watch::run_with(&watch_args, rules, &config);

    stop.store(true, Ordering::SeqCst);
    let sim_result = sim.join();
    sink_stop.trigger();
    let _ = sink_thread.join();
    if args.keep {
        let kept = dir.keep();
        eprintln!("demo: logs and state kept in {}", kept.display());
    }
    match sim_result {
        Ok(Ok(lines)) => eprintln!("demo: the simulator wrote {lines} lines"),
        Ok(Err(e)) => eprintln!("demo: the simulator stopped: {e:#}"),
        Err(_) => eprintln!("demo: the simulator thread failed"),
    }
    result
}
