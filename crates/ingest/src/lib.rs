//! Sources of log lines: files, globs, stdin and gzip, framed into bounded
//! batches of lines.
//!
//! # Layout
//!
//! - `input`: expanding arguments (globs, `-`) and opening sources (gzip by
//!   magic bytes).
//! - `lines`: `LineReader`, cutting bytes into batches of lines with a cap
//!   on line length.
//! - `decode`: turning a line's bytes into text for the parsers (lossy UTF-8,
//!   NUL bytes flagged).
//! - `error`: `IngestError`.

pub mod decode;
pub mod error;
pub mod input;
pub mod lines;

pub use decode::decode_line;
pub use error::IngestError;
pub use input::{Opened, Source, expand_args, open};
pub use lines::{DEFAULT_MAX_LINE, LineBatch, LineMeta, LineReader};
