//! Writes a corpus and reports the time: `simulate LINES DIR [SEED]`.

use std::time::Instant;

use logsentinel_sim::{SimConfig, write_corpus};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let lines: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = args.next().unwrap_or_else(|| "corpus".to_string());
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let t = Instant::now();
    let truth = write_corpus(dir.as_ref(), lines, seed, &SimConfig::default())?;
    eprintln!(
        "{lines} lines x 3 kinds, {} scenarios, in {:.2?}",
        truth.len(),
        t.elapsed()
    );
    Ok(())
}
