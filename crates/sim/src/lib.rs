//! Deterministic generator of realistic log traffic with injected attacks and
//! their ground truth.
//!
//! It is LogSentinel's corpus for benchmarks and tests, and the live feed of
//! `logsentinel demo`. Three kinds of log are simulated, each by its own
//! [`Generator`]:
//!
//! | [`Kind`] | file | format | attacks |
//! |---|---|---|---|
//! | `ApacheCombined` | `access.log` | `apache_combined` | basic-auth and form brute force, SQL injection, XSS, path traversal, command injection, scanners |
//! | `AuthSyslog` | `auth.log` | `syslog_rfc3164` | SSH brute force, spraying, distributed brute force, user enumeration, compromise after failures, sudo/su privilege escalation, root shell + backdoor user |
//! | `CiscoAsa` | `firewall.log` | `cisco_asa` | vertical, horizontal and UDP port scans |
//!
//! Benign traffic is shaped to stay below any sensible alert threshold (failed
//! logins, 401s, 404s and denies are isolated: at most one or two per host in
//! 15-30 minutes) while containing the usual traps: SQL and script words in
//! search queries, `O'Brien`, long tracking parameters, OAuth codes, base64
//! tokens, `curl` monitors, crawlers. Every attack scenario comes from a fresh
//! attacker address, and attacker and benign address ranges are disjoint (see
//! below).
//!
//! # Addresses
//!
//! | role | ranges |
//! |---|---|
//! | our infrastructure (firewall `192.0.2.1`, web VIP `.80`, resolver `.53`, mail relay `.25`) | `192.0.2.0/24` |
//! | office, admins' and partners' addresses | `198.51.100.0/24` |
//! | benign internet clients (web visitors, crawlers, monitors, mail users) | `2.30/16`, `24.114/16`, `68.180/16`, `71.205/16`, `76.88/16`, `81.152/16`, `86.21/16`, `92.40/16`, `98.210/16`, `109.76/16`, `151.44/16`, `174.62/16`, `178.19/16`, `188.120/16` |
//! | benign internet servers (outbound destinations, mail senders) | `13.107/16`, `20.42/16`, `34.120/16`, `35.186/16`, `52.85/16`, `99.84/16` |
//! | internal hosts | `10.0.0.0/16` |
//! | attackers in `access.log` | `45.134/16`, `185.191/16`, `193.32/16` |
//! | attackers in `auth.log` | `61.177/16`, `218.92/16`, `141.98/16` |
//! | attackers in `firewall.log` | `89.248/16`, `194.26/16`, `80.66/16` |
//! | download hosts named inside attack payloads | `203.0.113.0/24` |
//!
//! [`is_attacker_ip`] is true exactly for the last four rows.
//!
//! Each scenario leaves a [`Truth`] record: category, attacker addresses,
//! users, and the exact 1-based line numbers of its lines in its file.
//!
//! Output is deterministic: the same seed and [`SimConfig`] give byte-identical
//! lines and truth (each kind draws from its own ChaCha8 stream).
//!
//! # Batch: a corpus
//!
//! ```
//! use logsentinel_sim::{Kind, SimConfig, write_batch};
//!
//! let config = SimConfig::default();
//! let mut log = Vec::new();
//! let truth = write_batch(Kind::AuthSyslog, 7, &config, 5_000, &mut log).unwrap();
//! let text = String::from_utf8(log).unwrap();
//! let lines: Vec<&str> = text.lines().collect();
//! assert_eq!(lines.len(), 5_000);
//! for t in &truth {
//!     for &n in &t.lines {
//!         let line = lines[n as usize - 1];
//!         assert!(t.source_ips.iter().chain(&t.users).any(|s| line.contains(s.as_str())));
//!     }
//! }
//! ```
//!
//! [`write_corpus`] writes `access.log`, `auth.log`, `firewall.log` (N lines
//! each) and `truth.jsonl` into a directory: that is `logsentinel simulate
//! --lines N --seed S --out DIR`.
//!
//! # Live: follow mode
//!
//! ```
//! use logsentinel_sim::{Generator, Kind, SimConfig};
//!
//! let mut g = Generator::new(Kind::ApacheCombined, 7, &SimConfig::default());
//! // g.set_line_offset(lines_already_in_the_file);
//! let mut buf = Vec::new();
//! let now_ms = 1_705_314_645_000; // real code: SystemTime::now() in unix ms
//! for _ in 0..10 {
//!     g.next_line(now_ms, &mut buf); // then append buf to the file, sleep 1/rate s
//! }
//! for truth in g.take_finished() {
//!     println!("{}", truth.to_json()); // append to truth.jsonl
//! }
//! ```
//!
//! # Layout
//!
//! - `clock`: unix ms → the three timestamp layouts and RFC 3339, by hand.
//! - `text`: numbers, addresses, tokens into a byte buffer.
//! - `pick`: weighted (Zipf) choices and the queue of lines due later.
//! - `pool`: the address plan (benign vs attacker ranges).
//! - `scenario`: [`Truth`], [`AttackCategory`], planned and running scenarios.
//! - `web`, `auth`, `firewall`: the three models' benign traffic; `web::attacks`
//!   and `auth::attacks` plan their attack scenarios (the port scans are in
//!   `firewall`).
//! - `tests`: whole-generator tests (determinism, coverage, truth, shapes).
//!
//! Speed: about 0.3 µs a line in release (1M lines of each kind, with truth, in
//! under a second); lines are formatted straight into the caller's buffer.

mod auth;
mod clock;
mod firewall;
mod pick;
mod pool;
mod scenario;
mod text;
mod web;

use std::io::{self, Write};
use std::path::Path;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use scenario::{AttackCategory, Truth};

use clock::{StampCache, Style};
use pick::chance;
use pool::AttackerIps;
use scenario::Active;

/// File name of the ground truth written by [`write_corpus`].
pub const TRUTH_FILE: &str = "truth.jsonl";

/// A kind of simulated log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Apache combined access log (`access.log`).
    ApacheCombined,
    /// BSD syslog auth log (`auth.log`).
    AuthSyslog,
    /// Cisco ASA firewall log (`firewall.log`).
    CiscoAsa,
}

impl Kind {
    /// Every kind, in file order.
    pub const ALL: [Kind; 3] = [Kind::ApacheCombined, Kind::AuthSyslog, Kind::CiscoAsa];

    /// Short name: `apache`, `auth`, `asa`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::ApacheCombined => "apache",
            Kind::AuthSyslog => "auth",
            Kind::CiscoAsa => "asa",
        }
    }

    /// The file the CLI writes this kind to.
    pub fn file_name(self) -> &'static str {
        match self {
            Kind::ApacheCombined => "access.log",
            Kind::AuthSyslog => "auth.log",
            Kind::CiscoAsa => "firewall.log",
        }
    }

    /// The LogSentinel format name of the lines (`logsentinel formats`).
    pub fn format_name(self) -> &'static str {
        match self {
            Kind::ApacheCombined => "apache_combined",
            Kind::AuthSyslog => "syslog_rfc3164",
            Kind::CiscoAsa => "cisco_asa",
        }
    }

    /// Parses a kind from its short name, file name or format name, or an
    /// alias (`web`, `access`, `ssh`, `syslog`, `firewall`, `cisco`), ignoring case.
    pub fn from_name(name: &str) -> Option<Kind> {
        let n = name.trim().to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| n == k.name() || n == k.file_name() || n == k.format_name())
            .or(match n.as_str() {
                "web" | "access" | "apache-combined" => Some(Kind::ApacheCombined),
                "ssh" | "syslog" | "auth-syslog" => Some(Kind::AuthSyslog),
                "firewall" | "cisco" | "cisco-asa" => Some(Kind::CiscoAsa),
                _ => None,
            })
    }

    /// Names of the scenarios this kind injects (as in [`Truth::scenario`]).
    pub fn scenarios(self) -> &'static [&'static str] {
        match self {
            Kind::ApacheCombined => &[
                "http_basic_auth_brute_force",
                "web_login_brute_force",
                "sql_injection",
                "xss",
                "path_traversal",
                "command_injection",
                "web_scanner",
            ],
            Kind::AuthSyslog => &[
                "ssh_brute_force",
                "ssh_password_spraying",
                "ssh_distributed_brute_force",
                "ssh_user_enumeration",
                "ssh_compromise_after_failures",
                "sudo_privilege_escalation",
                "root_shell_backdoor_user",
            ],
            Kind::CiscoAsa => &[
                "port_scan_vertical",
                "port_scan_horizontal",
                "port_scan_udp",
            ],
        }
    }

    fn index(self) -> u8 {
        match self {
            Kind::ApacheCombined => 0,
            Kind::AuthSyslog => 1,
            Kind::CiscoAsa => 2,
        }
    }

    fn style(self) -> Style {
        match self {
            Kind::ApacheCombined => Style::Apache,
            Kind::AuthSyslog => Style::Syslog,
            Kind::CiscoAsa => Style::Asa,
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Simulation settings shared by the generators.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Unix milliseconds (UTC) of the first line in batch mode
    /// ([`Generator::next_batch_line`]). Default: 2024-01-15T10:00:00Z.
    pub start_ms: i64,
    /// Simulated lines per second for batch timestamps. Default 200, so that
    /// 1,000,000 lines span about 1.4 hours.
    pub lines_per_sec: f64,
    /// Fraction of lines that belong to attack scenarios, 0.0..=0.5 (clamped).
    /// Default 0.04. With 0.0 the output is benign only.
    pub attack_share: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            start_ms: 1_705_312_800_000,
            lines_per_sec: 200.0,
            attack_share: 0.04,
        }
    }
}

impl SimConfig {
    /// The batch-mode stamp (unix ms) of the line with 0-based `index`:
    /// `start_ms + index * 1000 / lines_per_sec`.
    pub fn time_of_line(&self, index: u64) -> i64 {
        let rate = if self.lines_per_sec.is_finite() && self.lines_per_sec > 0.0 {
            self.lines_per_sec
        } else {
            200.0
        };
        self.start_ms
            .saturating_add((index as f64 * 1000.0 / rate) as i64)
    }

    fn share(&self) -> f64 {
        if self.attack_share.is_finite() {
            self.attack_share.clamp(0.0, 0.5)
        } else {
            0.0
        }
    }
}

enum Model {
    Web(web::WebModel),
    Auth(auth::AuthModel),
    Fw(firewall::FwModel),
}

/// At most this many scenarios run at the same time in one generator.
const MAX_ACTIVE: usize = 6;

/// Generates the lines of one log kind, one at a time.
pub struct Generator {
    kind: Kind,
    config: SimConfig,
    rng: ChaCha8Rng,
    model: Model,
    stamp: StampCache,
    /// Line number of the last line written (starts at the offset).
    line: u64,
    /// Lines written by this generator (drives the batch clock).
    written: u64,
    active: Vec<Active>,
    /// Lines until the next scenario starts.
    until_next: u64,
    bag: Vec<usize>,
    seq: u32,
    finished: Vec<Truth>,
    ips: AttackerIps,
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator")
            .field("kind", &self.kind)
            .field("line", &self.line)
            .field("active", &self.active.len())
            .finish_non_exhaustive()
    }
}

impl Generator {
    /// A generator for `kind`. The same `seed` and `config` always produce the
    /// same lines; kinds use independent random streams.
    pub fn new(kind: Kind, seed: u64, config: &SimConfig) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8] = kind.index();
        key[16..24].copy_from_slice(b"logsntnl");
        let mut rng = ChaCha8Rng::from_seed(key);
        let ips = AttackerIps::new(kind, &mut rng);
        let model = match kind {
            Kind::ApacheCombined => Model::Web(web::WebModel::new(&mut rng)),
            Kind::AuthSyslog => Model::Auth(auth::AuthModel::new(&mut rng)),
            Kind::CiscoAsa => Model::Fw(firewall::FwModel::new(&mut rng)),
        };
        let until_next = if config.share() > 0.0 {
            rng.random_range(20..200)
        } else {
            u64::MAX
        };
        Generator {
            kind,
            config: config.clone(),
            rng,
            model,
            stamp: StampCache::new(kind.style()),
            line: 0,
            written: 0,
            active: Vec::new(),
            until_next,
            bag: Vec::new(),
            seq: 0,
            finished: Vec::new(),
            ips,
        }
    }

    /// The kind this generator writes.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Line number of the last line written (0 before the first, plus the offset).
    pub fn line_number(&self) -> u64 {
        self.line
    }

    /// Declares that the output file already holds `lines` lines, so that truth
    /// line numbers count from there (follow mode appending to a file).
    pub fn set_line_offset(&mut self, lines: u64) {
        self.line = lines;
    }

    /// Appends one line (ending in `\n`) stamped at `now_ms` (unix ms, UTC) to `out`.
    pub fn next_line(&mut self, now_ms: i64, out: &mut Vec<u8>) {
        self.line += 1;
        self.written += 1;
        let line = self.line;
        if self.until_next == 0 {
            if self.active.len() < MAX_ACTIVE {
                self.start_scenario();
            }
        } else if self.until_next != u64::MAX {
            self.until_next -= 1;
        }
        let mut stamp_buf = [0u8; 40];
        let stamp = {
            let s = self.stamp.get(now_ms);
            let n = s.len().min(stamp_buf.len());
            stamp_buf[..n].copy_from_slice(&s[..n]);
            &stamp_buf[..n]
        };
        let n = self.active.len();
        if n > 0 {
            let first = line as usize % n;
            for k in 0..n {
                let i = (first + k) % n;
                if chance(&mut self.rng, self.active[i].plan.intensity) {
                    self.active[i].emit(line, now_ms, stamp, out);
                    if self.active[i].done() {
                        let a = self.active.remove(i);
                        self.finished.extend(a.into_truth(self.kind));
                    }
                    return;
                }
            }
        }
        let rng = &mut self.rng;
        match &mut self.model {
            Model::Web(m) => m.benign(rng, now_ms, stamp, out),
            Model::Auth(m) => m.benign(rng, line, now_ms, stamp, out),
            Model::Fw(m) => m.benign(rng, line, now_ms, stamp, out),
        }
    }

    /// Appends the next line stamped by the batch clock ([`SimConfig::time_of_line`]).
    pub fn next_batch_line(&mut self, out: &mut Vec<u8>) {
        let now = self.config.time_of_line(self.written);
        self.next_line(now, out);
    }

    /// Truth records of the scenarios that ended since the last call.
    pub fn take_finished(&mut self) -> Vec<Truth> {
        std::mem::take(&mut self.finished)
    }

    /// Ends the output: truth of finished scenarios not yet taken, then of the
    /// scenarios still running (`complete: false`), which are dropped.
    pub fn finish(&mut self) -> Vec<Truth> {
        let mut out = std::mem::take(&mut self.finished);
        for a in self.active.drain(..) {
            out.extend(a.into_truth(self.kind));
        }
        out.sort_by_key(|t| t.first_line);
        out
    }

    fn start_scenario(&mut self) {
        let count = match self.model {
            Model::Web(_) => web::WebModel::SCENARIOS,
            Model::Auth(_) => auth::AuthModel::SCENARIOS,
            Model::Fw(_) => firewall::FwModel::SCENARIOS,
        };
        if self.bag.is_empty() {
            self.bag = (0..count).collect();
            self.bag.shuffle(&mut self.rng);
        }
        let ty = self.bag.pop().unwrap_or(0);
        let plan = match &mut self.model {
            Model::Web(m) => m.plan(ty, &mut self.rng, &mut self.ips),
            Model::Auth(m) => m.plan(ty, &mut self.rng, &mut self.ips),
            Model::Fw(m) => m.plan(ty, &mut self.rng, &mut self.ips),
        };
        let steps = plan.steps.len().max(1) as f64;
        let share = self.config.share();
        let gap = steps / share * self.rng.random_range(0.5..1.5);
        self.until_next = (gap as u64).max(1);
        self.seq += 1;
        let id = format!("{}-{:04}", self.kind.name(), self.seq);
        self.active.push(Active::new(id, plan));
    }
}

/// Whether `addr` is in one of the simulator's attacker ranges. Benign
/// simulated traffic never uses such an address.
pub fn is_attacker_ip(addr: std::net::Ipv4Addr) -> bool {
    pool::is_attacker(u32::from(addr))
}

/// Writes `lines` lines of `kind` to `w` with the batch clock, and returns the
/// truth of every scenario in them, ordered by first line.
pub fn write_batch<W: Write + ?Sized>(
    kind: Kind,
    seed: u64,
    config: &SimConfig,
    lines: u64,
    w: &mut W,
) -> io::Result<Vec<Truth>> {
    const CHUNK: usize = 1 << 16;
    let mut g = Generator::new(kind, seed, config);
    let mut buf = Vec::with_capacity(CHUNK + 8192);
    for _ in 0..lines {
        g.next_batch_line(&mut buf);
        if buf.len() >= CHUNK {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    w.write_all(&buf)?;
    w.flush()?;
    Ok(g.finish())
}

/// Writes truth records as JSON lines.
pub fn write_truth<W: Write + ?Sized>(truth: &[Truth], w: &mut W) -> io::Result<()> {
    for t in truth {
        serde_json::to_writer(&mut *w, t)?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

/// Creates `dir` if needed and writes `access.log`, `auth.log` and
/// `firewall.log` (`lines` lines each) plus [`TRUTH_FILE`]; returns the truth,
/// ordered by kind and first line.
pub fn write_corpus(
    dir: &Path,
    lines: u64,
    seed: u64,
    config: &SimConfig,
) -> io::Result<Vec<Truth>> {
    std::fs::create_dir_all(dir)?;
    let mut all = Vec::new();
    for kind in Kind::ALL {
        let mut f = std::fs::File::create(dir.join(kind.file_name()))?;
        all.extend(write_batch(kind, seed, config, lines, &mut f)?);
    }
    let mut f = io::BufWriter::new(std::fs::File::create(dir.join(TRUTH_FILE))?);
    write_truth(&all, &mut f)?;
    Ok(all)
}

#[cfg(test)]
mod tests;
