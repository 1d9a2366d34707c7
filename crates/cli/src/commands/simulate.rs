//! `logsentinel simulate`: realistic traffic with injected attacks, either
//! as a corpus (`--lines N`, as fast as possible) or appended live
//! (`--rate R --follow`), with the ground truth in `truth.jsonl`.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use logsentinel_sim::{Generator, Kind, SimConfig, TRUTH_FILE, write_batch, write_truth};

use crate::cli::SimulateArgs;

pub fn run(args: &SimulateArgs) -> anyhow::Result<()> {
    let kinds = parse_kinds(&args.kinds)?;
    let mut config = SimConfig::default();
    if let Some(start) = &args.start {
        let ts: jiff::Timestamp = start
            .parse()
            .with_context(|| format!("--start: '{start}' is not an RFC 3339 time"))?;
        config.start_ms = ts.as_millisecond();
    }
    if let Some(share) = args.attack_share {
        if !(0.0..=0.5).contains(&share) {
            bail!("--attack-share: {share} is outside 0..=0.5");
        }
        config.attack_share = share;
    }
    fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create '{}'", args.out.display()))?;
    if args.follow {
        follow(args, &kinds, &config)
    } else {
        batch(args, &kinds, &config)
    }
}

pub fn parse_kinds(names: &[String]) -> anyhow::Result<Vec<Kind>> {
    let mut kinds = Vec::new();
    for n in names {
        let k = Kind::from_name(n).with_context(|| {
            format!("--kinds: unknown log kind '{n}' (expected apache, auth or asa)")
        })?;
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    Ok(kinds)
}

fn batch(args: &SimulateArgs, kinds: &[Kind], config: &SimConfig) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut truth = Vec::new();
    for &kind in kinds {
        let path = args.out.join(kind.file_name());
        let file =
            File::create(&path).with_context(|| format!("cannot create '{}'", path.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        truth.extend(
            write_batch(kind, args.seed, config, args.lines, &mut w)
                .and_then(|t| w.flush().map(|()| t))
                .with_context(|| format!("writing '{}'", path.display()))?,
        );
    }
    let truth_path = args.out.join(TRUTH_FILE);
    let mut w = BufWriter::new(
        File::create(&truth_path)
            .with_context(|| format!("cannot create '{}'", truth_path.display()))?,
    );
    write_truth(&truth, &mut w)
        .and_then(|()| w.flush())
        .with_context(|| format!("writing '{}'", truth_path.display()))?;
    let attack_lines: u64 = truth.iter().map(|t| t.count).sum();
    eprintln!(
        "wrote {} lines x {} kinds to {} in {:.2}s: {} attack scenarios ({} attack lines), truth in {}",
        args.lines,
        kinds.len(),
        args.out.display(),
        started.elapsed().as_secs_f64(),
        truth.len(),
        attack_lines,
        truth_path.display()
    );
    Ok(())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Lines already in a file (to continue its numbering), 0 when absent.
fn count_lines(path: &Path) -> anyhow::Result<u64> {
    match File::open(path) {
        Ok(f) => {
            let mut n = 0;
            let mut r = BufReader::new(f);
            loop {
                let buf = r.fill_buf()?;
                if buf.is_empty() {
                    return Ok(n);
                }
                n += memchr_count(buf);
                let len = buf.len();
                r.consume(len);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e).with_context(|| format!("cannot read '{}'", path.display())),
    }
}

fn memchr_count(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

fn append(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open '{}' for appending", path.display()))
}

/// Appends live at `--rate` lines per second in total, stamped with the
/// current time, until `--duration` (or forever).
fn follow(args: &SimulateArgs, kinds: &[Kind], config: &SimConfig) -> anyhow::Result<()> {
    let rate = args.rate.unwrap_or(50.0);
    let live = Live {
        out: &args.out,
        kinds,
        seed: args.seed,
        config,
        rate,
        duration: args.duration.map(|s| Duration::from_secs_f64(s.max(0.0))),
    };
    eprintln!(
        "appending {rate} lines/s to {} ({}); Ctrl-C to stop",
        args.out.display(),
        kinds
            .iter()
            .map(|k| k.file_name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let started = Instant::now();
    let written = live.run(&AtomicBool::new(false))?;
    eprintln!(
        "appended {written} lines in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Live traffic: appends lines of `kinds` to their files in `out` at
/// `rate` lines per second (all kinds together), stamped with the current
/// time, and the finished scenarios to `truth.jsonl`.
pub struct Live<'a> {
    pub out: &'a Path,
    pub kinds: &'a [Kind],
    pub seed: u64,
    pub config: &'a SimConfig,
    pub rate: f64,
    /// Stop after this long (else only when `stop` is set).
    pub duration: Option<Duration>,
}

impl Live<'_> {
    /// Appends until `stop` is set or the duration has passed; returns the
    /// number of lines written.
    pub fn run(&self, stop: &AtomicBool) -> anyhow::Result<u64> {
        let rate = self.rate;
        if !(rate > 0.0 && rate <= 1_000_000.0) {
            bail!("--rate: {rate} is outside 0 < R <= 1000000");
        }
        if self.kinds.is_empty() {
            bail!("no log kinds to write");
        }
        let mut outs = Vec::new();
        for (i, &kind) in self.kinds.iter().enumerate() {
            let path = self.out.join(kind.file_name());
            let mut g = Generator::new(kind, self.seed.wrapping_add(i as u64), self.config);
            g.set_line_offset(count_lines(&path)?);
            outs.push((g, append(&path)?, path));
        }
        let truth_path = self.out.join(TRUTH_FILE);
        let mut truth_file = append(&truth_path)?;
        let started = Instant::now();
        let deadline = self.duration.map(|d| started + d);
        let tick = Duration::from_millis(10);
        let mut written: u64 = 0;
        let mut buf = Vec::new();
        let mut next_kind = 0usize;
        loop {
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) || stop.load(Ordering::Relaxed) {
                break;
            }
            let due = (started.elapsed().as_secs_f64() * rate) as u64;
            let mut per_file: Vec<Vec<u8>> = vec![Vec::new(); outs.len()];
            while written < due {
                let k = next_kind % outs.len();
                next_kind += 1;
                buf.clear();
                if let (Some((g, ..)), Some(bytes)) = (outs.get_mut(k), per_file.get_mut(k)) {
                    g.next_line(now_ms(), &mut buf);
                    bytes.extend_from_slice(&buf);
                }
                written += 1;
            }
            for ((g, file, path), bytes) in outs.iter_mut().zip(&per_file) {
                if bytes.is_empty() {
                    continue;
                }
                file.write_all(bytes)
                    .with_context(|| format!("writing '{}'", path.display()))?;
                for t in g.take_finished() {
                    writeln!(truth_file, "{}", t.to_json())
                        .with_context(|| format!("writing '{}'", truth_path.display()))?;
                }
            }
            std::thread::sleep(tick);
        }
        for (g, _, _) in &mut outs {
            for t in g.finish() {
                writeln!(truth_file, "{}", t.to_json())
                    .with_context(|| format!("writing '{}'", truth_path.display()))?;
            }
        }
        Ok(written)
    }
}
