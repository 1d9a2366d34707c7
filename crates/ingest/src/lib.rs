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
//! - `tail`: following files like `tail -F` (rotation, truncation, late
//!   files) with checkpoints in the SQLite state store.
//! - `allow`: the allow-list of directories stream mode may read.
//! - `syslog`: the syslog receiver (UDP, TCP with RFC 6587 framing).

pub mod allow;
pub mod decode;
pub mod error;
pub mod input;
pub mod lines;
pub mod syslog;
pub mod tail;

pub use decode::decode_line;
pub use error::IngestError;
pub use input::{Opened, Source, expand_args, open};
pub use lines::{DEFAULT_MAX_LINE, LineBatch, LineMeta, LineReader};
