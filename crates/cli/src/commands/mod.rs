//! One module per subcommand.

pub mod formats;
pub mod parse;
pub mod simulate;
