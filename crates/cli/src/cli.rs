//! Command-line interface definition (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// LogSentinel: real-time log monitoring and intrusion detection.
#[derive(Debug, Parser)]
#[command(name = "logsentinel", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole system in one command: simulated traffic with attacks, a
    /// live watcher printing alerts, and emails to a built-in SMTP sink.
    Demo(crate::commands::demo::DemoArgs),
    /// List every supported log format with an example line.
    Formats,
    /// Show the detected format and the parsed (ECS) fields of log lines.
    Parse(ParseArgs),
    /// Detect attacks in log files: a ranked summary of alerts.
    Analyze(AnalyzeArgs),
    /// List, validate and try detection rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Generate realistic log traffic with injected attacks and a ground-truth file.
    Simulate(SimulateArgs),
    /// Follow log files (like `tail -F`) and syslog listeners; print alerts as they open.
    Watch(WatchArgs),
    /// A debugging SMTP server: prints every mail it receives.
    SmtpSink(crate::commands::smtp_sink::SmtpSinkArgs),
    /// Send a test notification through every channel of `[notify]` now.
    NotifyTest(crate::commands::notify_test::NotifyTestArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

impl SeverityArg {
    /// The lowest risk score of the band (DESIGN.md).
    pub fn min_score(self) -> u8 {
        match self {
            SeverityArg::Low => 0,
            SeverityArg::Medium => 20,
            SeverityArg::High => 50,
            SeverityArg::Critical => 80,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnalyzeOutput {
    /// A ranked summary for people.
    Table,
    /// One JSON document: summary, incidents and alerts.
    Json,
    /// One alert per line (the alert contract of DESIGN.md).
    Ndjson,
    /// One plain line per alert.
    Text,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Extra Sigma rules: a directory (every *.yml / *.yaml in it, recursively) or a file. Repeatable.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,

    /// Configuration file (thresholds, allow-lists, suppression); see logsentinel.example.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub rules: RuleArgs,

    /// Output style.
    #[arg(long, short, value_enum, default_value_t = AnalyzeOutput::Table)]
    pub output: AnalyzeOutput,

    /// Show only alerts and incidents at or above this severity.
    #[arg(long, value_enum, default_value_t = SeverityArg::Low, value_name = "SEVERITY")]
    pub min_severity: SeverityArg,

    /// Exit with status 1 when an alert or incident at or above this severity is raised.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,

    /// Never show a progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Every rule: name, title, level, category, ATT&CK techniques, thresholds.
    List(RuleArgs),
    /// Validate rule files; errors name file:line and the reason.
    Check {
        /// Rule files or directories.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Run one rule over a log file: which lines match and why, and the alerts it raises.
    Test(RuleTestArgs),
}

#[derive(Debug, Args)]
pub struct RuleTestArgs {
    /// Rule name, id or title.
    #[arg(value_name = "RULE")]
    pub rule: String,

    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub rules: RuleArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ParseOutput {
    /// One line per event: location, format, time and fields.
    Table,
    /// One nested ECS JSON object per line.
    Ndjson,
}

#[derive(Debug, Args)]
pub struct InputArgs {
    /// Log files, glob patterns (quoted) or `-` for standard input. Gzip is
    /// recognised by its content.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<String>,

    /// Format of the input: `auto` (detect per input, fall back per line) or
    /// a name from `logsentinel formats`.
    #[arg(long, default_value = "auto", value_name = "NAME")]
    pub format: String,

    /// Time zone for timestamps that carry no offset (syslog, Windows,
    /// error logs): `local`, `UTC`, an IANA name such as `Europe/Berlin`, or
    /// an offset such as `+02:00`.
    #[arg(long, default_value = "local", value_name = "ZONE")]
    pub tz: String,

    /// Lines longer than this are truncated (and tagged `truncated`).
    #[arg(long, default_value_t = logsentinel_ingest::DEFAULT_MAX_LINE, value_name = "BYTES")]
    pub max_line_bytes: usize,

    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ParseArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output style.
    #[arg(long, short, value_enum, default_value_t = ParseOutput::Table)]
    pub output: ParseOutput,

    /// Print only counts per input (formats, lines the heuristic alone
    /// understood, truncated and undecodable lines), not the events.
    #[arg(long)]
    pub stats: bool,

    /// Do not print the per-input summary on standard error.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Directory to write the logs and `truth.jsonl` into (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Lines to write per log kind (batch mode).
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub lines: u64,

    /// Seed: the same seed gives byte-identical output.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Log kinds to write, comma-separated: apache, auth, asa.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "apache,auth,asa",
        value_name = "KINDS"
    )]
    pub kinds: Vec<String>,

    /// Time of the first line (RFC 3339) in batch mode; default
    /// 2024-01-15T10:00:00Z, so that a seed always gives the same bytes.
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,

    /// Fraction of lines that belong to attacks (0 to 0.5; default 0.04).
    #[arg(long, value_name = "FRACTION")]
    pub attack_share: Option<f64>,

    /// Append live to the files at this many lines per second (all kinds
    /// together), stamped with the current time. Needs --follow.
    #[arg(long, value_name = "LINES_PER_SEC", requires = "follow")]
    pub rate: Option<f64>,

    /// Keep appending live (until Ctrl-C, or --duration).
    #[arg(long)]
    pub follow: bool,

    /// Stop following after this many seconds.
    #[arg(long, value_name = "SECS", requires = "follow")]
    pub duration: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchOutput {
    /// One line per alert as it opens and when it closes (coloured on a terminal).
    Human,
    /// One JSON alert per line (the alert contract), with `event.type`
    /// `["start"]` when it opens and `["end"]` with final counts.
    Ndjson,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Files or glob patterns (quoted) to follow; `-` reads standard input.
    /// Globs are expanded again as files appear.
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,

    /// Receive syslog: `udp://HOST:PORT` or `tcp://HOST:PORT` (TCP takes
    /// octet-counted and newline frames). Repeatable. Loopback only unless
    /// --allow-remote.
    #[arg(long, value_name = "URL")]
    pub listen: Vec<String>,

    /// Allow --listen on a non-loopback address.
    #[arg(long)]
    pub allow_remote: bool,

    #[command(flatten)]
    pub rules: RuleArgs,

    /// Output style.
    #[arg(long, short, value_enum, default_value_t = WatchOutput::Human)]
    pub output: WatchOutput,

    /// Append the output to this file instead of standard output. With a
    /// state directory its committed length is stored with the
    /// checkpoints, and after a crash it is cut back to it, so no line's
    /// output appears twice.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,

    /// Keep checkpoints (file offsets) in DIR/logsentinel.db, so that a
    /// restart resumes where the last run stopped.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// Files seen for the first time are read from their start.
    #[arg(long, conflicts_with = "from_end")]
    pub from_beginning: bool,

    /// Files seen for the first time are read from their end (the default).
    #[arg(long)]
    pub from_end: bool,

    /// Another directory watch may read (besides ~/logs, /var/log/app,
    /// /opt/logsentinel and the config's). Repeatable.
    #[arg(long = "allow-dir", value_name = "DIR")]
    pub allow_dirs: Vec<PathBuf>,

    /// Check files named on the command line against the allowed directories too.
    #[arg(long)]
    pub strict_paths: bool,

    /// Print a status line on standard error every SECS seconds (also on SIGUSR1).
    #[arg(long, value_name = "SECS")]
    pub stats: Option<f64>,

    /// Format of the input: `auto` (detect per file, fall back per line) or a
    /// name from `logsentinel formats`.
    #[arg(long, default_value = "auto", value_name = "NAME")]
    pub format: String,

    /// Time zone for timestamps that carry no offset.
    #[arg(long, default_value = "local", value_name = "ZONE")]
    pub tz: String,

    /// Lines (and syslog frames) longer than this are truncated.
    #[arg(long, default_value_t = logsentinel_ingest::DEFAULT_MAX_LINE, value_name = "BYTES")]
    pub max_line_bytes: usize,

    /// Show only alerts at or above this severity.
    #[arg(long, value_enum, default_value_t = SeverityArg::Low, value_name = "SEVERITY")]
    pub min_severity: SeverityArg,

    /// Stat and rescan files at least this often (the fallback when the file
    /// system sends no events), in milliseconds.
    #[arg(long, default_value_t = 250, value_name = "MS")]
    pub poll_interval: u64,

    /// A partial last line is processed after this long without its newline (ms).
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub partial_flush: u64,

    /// A rotated or deleted file is still read this long after it last grew (ms).
    #[arg(long, default_value_t = 5000, value_name = "MS")]
    pub rotate_wait: u64,

    /// No notices (files opened, rotated, ...) on standard error.
    #[arg(long, short)]
    pub quiet: bool,

    /// Stop cleanly after this many seconds (as on SIGTERM).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,

    /// Also write every processed event (ECS JSON, with `log.offset`) to the
    /// output: for tests and debugging.
    #[arg(long, hide = true)]
    pub emit_events: bool,
}
