//! What every command that reads logs shares: the settings from the
//! input flags, picking a parser per input (forced or detected), and the
//! reference time for year-less stamps.

use anyhow::Context;
use logsentinel_core::{Format, LineParser, ParseCtx, Timestamp, detect_format};
use logsentinel_ingest::{IngestError, LineBatch, LineReader, Source};

use crate::cli::InputArgs;
use crate::tz;

pub fn report_input_error(e: &IngestError) {
    eprintln!("logsentinel: error: {e}");
}

/// Settings shared by every input.
pub struct Common {
    pub forced: Option<Format>,
    pub zone: logsentinel_core::Zone,
    pub max_line: usize,
    pub threads: usize,
}

impl Common {
    pub fn new(args: &InputArgs) -> anyhow::Result<Self> {
        let forced = if args.format.eq_ignore_ascii_case("auto") {
            None
        } else {
            Some(Format::from_name(&args.format).with_context(|| {
                format!(
                    "--format: unknown format '{}' (see `logsentinel formats`)",
                    args.format
                )
            })?)
        };
        let threads = args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .clamp(1, 64);
        Ok(Common {
            forced,
            zone: tz::resolve(&args.tz)?,
            max_line: args.max_line_bytes,
            threads,
        })
    }

    /// The parser for an input whose first batch is `first`: forced, or
    /// detected from a sample of its lines. Also returns how it was chosen.
    pub fn parser_for(&self, first: &LineBatch, reference: Timestamp) -> (LineParser, String) {
        let ctx = ParseCtx::new(self.zone.clone(), reference);
        if let Some(f) = self.forced {
            return (LineParser::forced(f, ctx), format!("{f} (forced)"));
        }
        let sample: Vec<String> = first
            .iter()
            .take(logsentinel_core::detect::SAMPLE_LINES)
            .map(|(_, b, _)| String::from_utf8_lossy(b).into_owned())
            .collect();
        let d = detect_format(&sample, &ctx);
        let how = format!(
            "{} (detected: {}/{} sample lines)",
            d.format, d.matched, d.sampled
        );
        (LineParser::auto(d.format, ctx), how)
    }
}

/// Reference time for year-less stamps: a file's modification time (when
/// its last line was written), else now.
pub fn reference_time(modified: Option<std::time::SystemTime>) -> Timestamp {
    let t = modified.unwrap_or_else(std::time::SystemTime::now);
    let secs = match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    Timestamp::from_secs(secs)
}

/// An input opened for parsing: its reader, the first batch (already read,
/// for detection), and the parser chosen for it.
pub struct OpenedInput {
    pub name: String,
    pub reader: LineReader<Box<dyn std::io::Read + Send>>,
    pub first: LineBatch,
    pub parser: LineParser,
    /// How the format was chosen, for messages.
    pub how: String,
}

impl OpenedInput {
    /// Opens `source`, reads its first batch and picks its parser.
    pub fn open(common: &Common, source: &Source) -> Result<OpenedInput, crate::Failure> {
        let name = source.display_name();
        let opened = logsentinel_ingest::open(source).map_err(crate::Failure::Input)?;
        let mut reader = LineReader::new(opened.reader).max_line(common.max_line);
        let mut first = LineBatch::default();
        reader
            .next_batch(&mut first)
            .map_err(|e| read_error(&name, e))?;
        let (parser, how) = common.parser_for(&first, reference_time(opened.modified));
        Ok(OpenedInput {
            name,
            reader,
            first,
            parser,
            how,
        })
    }
}

/// A read failure of input `name`.
pub fn read_error(name: &str, e: std::io::Error) -> crate::Failure {
    crate::Failure::Input(IngestError::Read {
        path: name.to_string(),
        source: e,
    })
}
