//! Integration tests: the real `logsentinel` binary on checked-in sample
//! logs (`examples/logs/`) and generated inputs. One test binary, one link.

mod analyze;
mod common;
mod incidents;
mod notify;
mod parse;
mod simulate;
mod watch;
