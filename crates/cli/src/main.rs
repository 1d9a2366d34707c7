//! `logsentinel`: the binary. It wires the library crates to the command
//! line; the thinking happens in the libraries.
//!
//! Exit status: 0 success; 1 only with `--fail-on SEVERITY` when an alert at
//! or above it was raised; 2 usage or input error (a one-line message on
//! stderr names the file or flag at fault). A closed stdout (`| head`) is a
//! normal exit.

mod cli;
mod commands;
mod config;
mod input;
mod pipeline;
mod rules_load;
mod text;
mod tz;

use std::io;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// Why processing an input stopped.
pub enum Failure {
    /// The input could not be opened or read: reported, the run goes on.
    Input(logsentinel_ingest::IngestError),
    /// Reading failed mid-stream (converted to `Input` by the caller).
    Io(io::Error),
    /// Output could not be written: the run stops.
    Output(io::Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Demo(args) => match commands::demo::run(args) {
            Ok(code) => return finish_with(code),
            Err(e) => Err(e),
        },
        Command::Formats => {
            let stdout = io::stdout();
            commands::formats::run(&mut stdout.lock())
                .map(|()| false)
                .map_err(anyhow::Error::from)
        }
        Command::Parse(args) => commands::parse::run(args),
        Command::Analyze(args) => match commands::analyze::run(args) {
            Ok(code) => return finish_with(code),
            Err(e) => Err(e),
        },
        Command::Rules(cmd) => match commands::rules::run(cmd) {
            Ok(code) => return finish_with(code),
            Err(e) => Err(e),
        },
        Command::Simulate(args) => commands::simulate::run(args).map(|()| false),
        Command::Watch(args) => match commands::watch::run(args) {
            Ok(code) => return finish_with(code),
            Err(e) => Err(e),
        },
        Command::SmtpSink(args) => commands::smtp_sink::run(args).map(|()| false),
        Command::NotifyTest(args) => match commands::notify_test::run(args) {
            Ok(code) => return finish_with(code),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(2),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("logsentinel: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn finish_with(code: u8) -> ExitCode {
    ExitCode::from(code)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
