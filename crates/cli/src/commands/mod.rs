//! One module per subcommand.

pub mod analyze;
pub mod demo;
pub mod formats;
pub mod notify_test;
pub mod parse;
pub mod rules;
pub mod simulate;
pub mod smtp_sink;
pub mod watch;
