//! LogSentinel's core: bytes of a log line in, a normalised ECS event out.
//!
//! Pure by design: no I/O, no async runtime, no global state. Callers pass
//! what parsers need (time zone, reference time) in a `ParseCtx`.
//!
//! # Layout
//!
//! - `event`: the `Event` model with ECS field names, borrowed from the line.
//! - `format`: the closed set of formats and per-format dispatch.
//! - `formats/`: one module per format, each with its tests.
//! - `programs/`: parsers for messages of known programs inside syslog.
//! - `detect`: format auto-detection and the per-line fallback parser.
//! - `ecs_json`: events as nested ECS JSON lines.
//! - `time`, `net`: timestamps and lenient IP parsing.

pub mod detect;
pub mod ecs_json;
pub mod event;
pub mod format;
pub mod formats;
pub mod net;
pub mod programs;
pub mod time;

pub use detect::{Detection, LineParser, detect_format};
pub use event::{Category, Event, FieldValue, Flags, Outcome, OwnedEvent};
pub use format::{Format, FormatState, ParseCtx, parse_as, parse_as_into};
pub use time::{Timestamp, Zone};
