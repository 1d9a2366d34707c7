//! The ingest crate's error type: every variant names the input at fault.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot open '{path}': {source}")]
    Open {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot read '{path}': {source}")]
    Read {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("'{path}' is a directory")]
    IsDirectory { path: String },
    #[error("no file matches '{pattern}'")]
    NoMatch { pattern: String },
    #[error("bad pattern '{pattern}': {reason}")]
    BadPattern { pattern: String, reason: String },
    #[error("'{path}' is outside the allowed directories ({reason})")]
    NotAllowed { path: String, reason: String },
    #[error("state store '{path}': {reason}")]
    State { path: String, reason: String },
    #[error("cannot listen on '{addr}': {reason}")]
    Listen { addr: String, reason: String },
}
