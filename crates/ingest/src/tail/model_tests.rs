//! Model-based test of the tailer: random sequences of writes (with
//! partial lines), rotations by rename (with late writes to the old file),
//! copytruncate, delete and re-create, clock ticks, polls with and without
//! a commit, and restarts (clean or as after `kill -9`: what was handed
//! out since the last commit is thrown away, as an output cut back to its
//! committed length would be). The real tailer runs on real files; a
//! trivial model says which lines must come out: every line written, each
//! exactly once, in order per file, plus the unterminated tail of every
//! file that was rotated away, deleted or truncated.
//!
//! What the generator avoids, because no tailer can do better (see the
//! module documentation of `tail`): rotating a file that has no committed
//! checkpoint yet (a crash before the tailer notices would leave nothing
//! to find it by), more than one rotation while stopped, and truncating or
//! deleting a file that was never read (the compound steps read first, as
//! inotify does in real life).

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

#[derive(Default)]
struct Collect {
    out: Vec<String>,
    committed: usize,
}

impl TailSink for Collect {
    fn lines(&mut self, batch: &TailBatch<'_>) {
        for l in batch.lines {
            self.out
                .push(String::from_utf8_lossy(batch.bytes(l)).into_owned());
        }
    }
}

/// One file's content as the model sees it.
struct Gen {
    content: Vec<u8>,
    /// Rotated away, deleted or truncated: its unterminated tail is a line.
    finished: bool,
}

struct Harness {
    dir: PathBuf,
    path: PathBuf,
    state: PathBuf,
    now: Instant,
    tailer: Option<Tailer>,
    sink: Collect,
    gens: Vec<Gen>,
    /// Index in `gens` of the file at `path` (None: no file there).
    current: Option<usize>,
    /// Rotated files, newest first: `path.1`, `path.2`, ...
    rotated: Vec<usize>,
    next_line: u64,
    rotations_while_down: u32,
    /// A partial line is pending in the current file.
    partial: bool,
    /// Generations the running tailer has opened (seen at a poll).
    opened: HashSet<usize>,
    /// Generations with a committed checkpoint.
    known: HashSet<usize>,
}

impl Harness {
    fn new(dir: &Path) -> Harness {
        Harness {
            dir: dir.to_path_buf(),
            path: dir.join("x.log"),
            state: dir.join("state"),
            now: Instant::now(),
            tailer: None,
            sink: Collect::default(),
            gens: Vec::new(),
            current: None,
            rotated: Vec::new(),
            next_line: 0,
            rotations_while_down: 0,
            partial: false,
            opened: HashSet::new(),
            known: HashSet::new(),
        }
    }

    fn config() -> TailConfig {
        TailConfig {
            start_at: StartAt::Beginning,
            poll_interval: Duration::ZERO,
            partial_flush: None,
            rotate_wait: Duration::from_secs(1),
            max_line: 64 * 1024,
            read_budget: 4096,
        }
    }

    fn tailer(&mut self) -> &mut Tailer {
        if self.tailer.is_none() {
            let store = CheckpointStore::open(&self.state).unwrap();
            let watch = WatchPath {
                spec: self.path.display().to_string(),
                glob: false,
                checked: false,
            };
            self.tailer = Some(
                Tailer::new(
                    Self::config(),
                    vec![watch],
                    AllowList::default(),
                    Some(store),
                )
                .unwrap(),
            );
            self.rotations_while_down = 0;
        }
        self.tailer.as_mut().unwrap()
    }

    fn poll(&mut self, commit: bool) {
        let now = self.now;
        let mut sink = std::mem::take(&mut self.sink);
        self.tailer().poll(now, &mut sink);
        self.sink = sink;
        self.note_opened();
        if commit {
            self.commit();
        }
    }

    fn drain_commit(&mut self) {
        let now = self.now;
        let mut sink = std::mem::take(&mut self.sink);
        self.tailer().drain(now, &mut sink);
        self.sink = sink;
        self.note_opened();
        self.commit();
    }

    /// The current file was seen by a poll; an empty one has no head to
    /// be recognised by, so it does not count.
    fn note_opened(&mut self) {
        if let Some(g) = self.current
            && !self.gens[g].content.is_empty()
        {
            self.opened.insert(g);
        }
    }

    fn commit(&mut self) {
        self.tailer().commit(&[]).unwrap();
        self.sink.committed = self.sink.out.len();
        self.known.extend(self.opened.iter().copied());
    }

    fn restart(&mut self, crash: bool) {
        if crash {
            self.sink.out.truncate(self.sink.committed);
        } else if self.tailer.is_some() {
            self.commit();
        }
        self.tailer = None;
        self.opened.clear();
    }

    fn append(&mut self, path: &Path, g_ix: usize, bytes: &[u8]) {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(bytes).unwrap();
        self.gens[g_ix].content.extend_from_slice(bytes);
    }

    fn new_gen(&mut self) -> usize {
        self.gens.push(Gen {
            content: Vec::new(),
            finished: false,
        });
        self.gens.len() - 1
    }

    fn line_text(&mut self, g_ix: usize, rng: &mut ChaCha8Rng) -> String {
        self.next_line += 1;
        let pad: String = (0..rng.random_range(0..40))
            .map(|_| rng.random_range(b'a'..=b'z') as char)
            .collect();
        format!("g{g_ix:03}-l{:06}-{pad}", self.next_line)
    }

    fn write(&mut self, rng: &mut ChaCha8Rng) {
        let g_ix = match self.current {
            Some(g) => g,
            None => {
                let g = self.new_gen();
                File::create(&self.path).unwrap();
                self.current = Some(g);
                self.partial = false;
                g
            }
        };
        let mut bytes = Vec::new();
        if self.partial {
            // Finish the pending line first.
            bytes.extend_from_slice(b"-end\n");
            self.partial = false;
        }
        let n = if rng.random_ratio(1, 20) {
            300
        } else {
            rng.random_range(0..5)
        };
        for _ in 0..n {
            let t = self.line_text(g_ix, rng);
            bytes.extend_from_slice(t.as_bytes());
            bytes.push(if rng.random_ratio(1, 10) { b'\r' } else { b'x' });
            bytes.push(b'\n');
        }
        if rng.random_ratio(1, 4) {
            let t = self.line_text(g_ix, rng);
            bytes.extend_from_slice(t.as_bytes());
            self.partial = true;
        }
        let path = self.path.clone();
        self.append(&path, g_ix, &bytes);
    }

    fn rotated_path(&self, n: usize) -> PathBuf {
        self.dir.join(format!("x.log.{n}"))
    }

    /// Renames `x.log.N` to `x.log.N+1`, newest last, to free `x.log.1`.
    fn shift_rotated(&mut self) {
        for n in (1..=self.rotated.len()).rev() {
            std::fs::rename(self.rotated_path(n), self.rotated_path(n + 1)).unwrap();
        }
    }

    fn rotate(&mut self, rng: &mut ChaCha8Rng) {
        let Some(g) = self.current else { return };
        // A file without a committed checkpoint cannot be found once
        // renamed if we crash before noticing (see the module documentation).
        if !self.known.contains(&g) {
            return;
        }
        if self.tailer.is_none() {
            if self.rotations_while_down >= 1 {
                return;
            }
            self.rotations_while_down += 1;
        }
        self.shift_rotated();
        std::fs::rename(&self.path, self.rotated_path(1)).unwrap();
        self.rotated.insert(0, g);
        self.gens[g].finished = true;
        self.current = None;
        self.partial = false;
        // A writer that has not reopened yet writes to the old file.
        if rng.random_ratio(1, 3) {
            let mut bytes = Vec::new();
            if self.gens[g].content.last().is_some_and(|&c| c != b'\n') {
                bytes.extend_from_slice(b"-late\n");
            }
            let t = self.line_text(g, rng);
            bytes.extend_from_slice(t.as_bytes());
            bytes.push(b'\n');
            let p = self.rotated_path(1);
            self.append(&p, g, &bytes);
        }
        // logrotate's `create`: an empty file right away, or the writer's
        // next line creates it.
        if rng.random_bool(0.5) {
            let g = self.new_gen();
            File::create(&self.path).unwrap();
            self.current = Some(g);
        }
    }

    /// copytruncate: copy to `x.log.1`, then truncate in place.
    fn copytruncate(&mut self) {
        let Some(g) = self.current else { return };
        self.drain_commit();
        self.shift_rotated();
        std::fs::copy(&self.path, self.rotated_path(1)).unwrap();
        // The copy is not followed (it is not under the watched path);
        // keep its slot with a placeholder generation.
        let copy = self.new_gen();
        self.gens[copy].finished = false;
        self.rotated.insert(0, copy);
        File::options()
            .write(true)
            .open(&self.path)
            .unwrap()
            .set_len(0)
            .unwrap();
        self.gens[g].finished = true;
        let fresh = self.new_gen();
        self.current = Some(fresh);
        self.partial = false;
        self.poll(true);
    }

    fn delete(&mut self, rng: &mut ChaCha8Rng) {
        let Some(g) = self.current else { return };
        self.drain_commit();
        std::fs::remove_file(&self.path).unwrap();
        self.gens[g].finished = true;
        self.current = None;
        self.partial = false;
        if rng.random_bool(0.5) {
            let g = self.new_gen();
            File::create(&self.path).unwrap();
            self.current = Some(g);
        }
        self.poll(true);
        self.now += Duration::from_millis(1500);
        self.poll(true);
    }

    /// The lines the model expects, in file order per generation.
    fn expected(&self, copies: &[usize]) -> Vec<Vec<String>> {
        let mut all = Vec::new();
        for (i, g) in self.gens.iter().enumerate() {
            if copies.contains(&i) {
                continue;
            }
            let mut lines = Vec::new();
            let mut parts = g.content.split(|&c| c == b'\n').peekable();
            while let Some(part) = parts.next() {
                let last = parts.peek().is_none();
                if last && (part.is_empty() || !g.finished) {
                    break;
                }
                let part = part.strip_suffix(b"\r").unwrap_or(part);
                lines.push(String::from_utf8_lossy(part).into_owned());
            }
            all.push(lines);
        }
        all
    }
}

fn run_sequence(seed: u64, steps: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut h = Harness::new(dir.path());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut copies = Vec::new();
    let mut log = Vec::new();
    for _ in 0..steps {
        let op = rng.random_range(0..100);
        let name = match op {
            0..=34 => {
                h.write(&mut rng);
                "write"
            }
            35..=54 => {
                h.poll(true);
                "poll"
            }
            55..=59 => {
                h.poll(false);
                "poll-no-commit"
            }
            60..=67 => {
                h.rotate(&mut rng);
                "rotate"
            }
            68..=71 => {
                let before = h.gens.len();
                h.copytruncate();
                if h.gens.len() > before {
                    copies.push(before);
                }
                "copytruncate"
            }
            72..=75 => {
                h.delete(&mut rng);
                "delete"
            }
            76..=85 => {
                h.now += Duration::from_millis(rng.random_range(100..1500));
                "tick"
            }
            86..=92 => {
                h.restart(true);
                "crash"
            }
            _ => {
                h.restart(false);
                "restart"
            }
        };
        log.push(name);
        if std::env::var_os("MODEL_DEBUG").is_some() {
            eprintln!(
                "{name}: current {:?} rotated {:?} up {} next_line {} out {} committed {}",
                h.current,
                h.rotated,
                h.tailer.is_some(),
                h.next_line,
                h.sink.out.len(),
                h.sink.committed
            );
        }
    }
    // The end: everything read, rotated files finished, committed.
    h.drain_commit();
    h.now += Duration::from_secs(10);
    h.drain_commit();
    h.now += Duration::from_secs(10);
    h.drain_commit();

    let out = &h.sink.out[..h.sink.committed];
    let expected = h.expected(&copies);
    let mut want: Vec<&String> = expected.iter().flatten().collect();
    let mut got: Vec<&String> = out.iter().collect();
    want.sort();
    got.sort();
    if want != got {
        let mut counts: HashMap<&String, i64> = HashMap::new();
        for w in &want {
            *counts.entry(w).or_default() += 1;
        }
        for g in &got {
            *counts.entry(g).or_default() -= 1;
        }
        let mut diff: Vec<_> = counts.into_iter().filter(|(_, c)| *c != 0).collect();
        diff.sort();
        panic!(
            "seed {seed}: {} expected, {} got; missing (+) / extra (-): {:?}\nops: {:?}",
            want.len(),
            got.len(),
            &diff[..diff.len().min(20)],
            log
        );
    }
    // Order within each file.
    for lines in &expected {
        let positions: Vec<usize> = lines
            .iter()
            .map(|l| out.iter().position(|o| o == l).unwrap())
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "seed {seed}: out of order"
        );
    }
}

#[test]
fn tailer_matches_the_model() {
    // MODEL_SEEDS=N runs more sequences (a longer hunt for bugs).
    let seeds = std::env::var("MODEL_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30u64);
    for seed in 0..seeds {
        run_sequence(seed, 150);
    }
}
