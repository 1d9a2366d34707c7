//! `logsentinel formats`: every supported format with an example line.

use std::io::Write;

use logsentinel_core::Format;

pub fn run(out: &mut impl Write) -> std::io::Result<()> {
    for f in Format::ALL {
        writeln!(out, "{:<20} {}", f.name(), f.description())?;
        writeln!(out, "{:<20} e.g. {}", "", f.example())?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Formats are detected per input from a sample of lines; a line that does not fit falls back to the others, then to `heuristic`. Force one with --format NAME."
    )?;
    Ok(())
}
