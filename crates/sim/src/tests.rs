//! Whole-generator tests: determinism, scenario coverage, truth accuracy,
//! address pools, line shapes.

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::OnceLock;

use super::*;

const RUN_LINES: u64 = 200_000;

struct Run {
    text: String,
    truth: Vec<Truth>,
}

/// One 200k-line run per kind, shared by the tests.
fn runs() -> &'static HashMap<Kind, Run> {
    static RUNS: OnceLock<HashMap<Kind, Run>> = OnceLock::new();
    RUNS.get_or_init(|| {
        let handles: Vec<_> = Kind::ALL
            .into_iter()
            .map(|kind| {
                std::thread::spawn(move || {
                    let mut out = Vec::new();
                    let truth =
                        write_batch(kind, 42, &SimConfig::default(), RUN_LINES, &mut out).unwrap();
                    (
                        kind,
                        Run {
                            text: String::from_utf8(out).unwrap(),
                            truth,
                        },
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Dotted quads in a line (cheap enough for debug builds: only runs of digits
/// and dots with exactly three dots are parsed).
fn ips_in(line: &str) -> Vec<Ipv4Addr> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut dots = 0;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
            dots += usize::from(b[i] == b'.');
            i += 1;
        }
        if dots == 3
            && let Ok(ip) = line[start..i].parse()
        {
            out.push(ip);
        }
    }
    out
}

#[test]
fn same_seed_same_bytes() {
    let cfg = SimConfig::default();
    for kind in Kind::ALL {
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        let ta = write_batch(kind, 7, &cfg, 20_000, &mut a).unwrap();
        let tb = write_batch(kind, 7, &cfg, 20_000, &mut b).unwrap();
        write_batch(kind, 8, &cfg, 20_000, &mut c).unwrap();
        assert!(a == b, "{kind}: same seed, different output");
        assert_eq!(ta, tb);
        assert!(a != c, "{kind}: different seeds, same output");
    }
}

#[test]
fn every_scenario_appears_in_200k_lines() {
    for (kind, run) in runs() {
        let seen: HashSet<&str> = run.truth.iter().map(|t| t.scenario.as_str()).collect();
        for s in kind.scenarios() {
            assert!(
                seen.contains(s),
                "{kind}: scenario {s} missing in {RUN_LINES} lines"
            );
        }
        assert!(seen.iter().all(|s| kind.scenarios().contains(s)));
    }
    let categories: HashSet<AttackCategory> = runs()
        .values()
        .flat_map(|r| r.truth.iter().map(|t| t.category))
        .collect();
    for c in AttackCategory::ALL {
        assert!(
            categories.contains(&c),
            "category {} never injected",
            c.as_str()
        );
    }
}

#[test]
fn truth_lines_point_at_attacker_lines() {
    for (kind, run) in runs() {
        let lines: Vec<&str> = run.text.lines().collect();
        assert_eq!(lines.len() as u64, RUN_LINES);
        let mut owner: HashSet<u64> = HashSet::new();
        let mut ids = HashSet::new();
        for t in &run.truth {
            assert!(ids.insert(t.id.clone()));
            assert_eq!(t.file, kind.file_name());
            assert_eq!(t.format, kind.format_name());
            assert_eq!(t.count, t.lines.len() as u64);
            assert_eq!(t.first_line, t.lines[0]);
            assert_eq!(t.last_line, *t.lines.last().unwrap());
            assert!(t.lines.windows(2).all(|w| w[0] < w[1]));
            assert!(t.start <= t.end);
            assert_eq!(t.source_ip, t.source_ips[0]);
            for ip in &t.source_ips {
                assert!(
                    is_attacker_ip(ip.parse().unwrap()),
                    "{ip} is not an attacker address"
                );
            }
            for &n in &t.lines {
                assert!(owner.insert(n), "line {n} claimed twice");
                let line = lines[n as usize - 1];
                assert!(
                    t.source_ips
                        .iter()
                        .chain(&t.users)
                        .any(|s| line.contains(s.as_str())),
                    "{}: line {n} has neither address nor user: {line}",
                    t.id
                );
            }
        }
        // The attack share is near the configured 4%.
        let share = owner.len() as f64 / RUN_LINES as f64;
        assert!(
            (0.02..0.07).contains(&share),
            "{kind}: attack share {share}"
        );
        // Scenarios finished inside the run are complete and most are.
        assert!(run.truth.iter().filter(|t| t.complete).count() + 6 >= run.truth.len());
    }
}

#[test]
fn benign_lines_never_use_attacker_addresses() {
    for (kind, run) in runs() {
        let attack: HashSet<u64> = run
            .truth
            .iter()
            .flat_map(|t| t.lines.iter().copied())
            .collect();
        let mut benign_ips = HashSet::new();
        for (i, line) in run.text.lines().enumerate() {
            if attack.contains(&(i as u64 + 1)) {
                continue;
            }
            for ip in ips_in(line) {
                assert!(
                    !is_attacker_ip(ip),
                    "{kind}: benign line {} uses {ip}: {line}",
                    i + 1
                );
                benign_ips.insert(ip);
            }
        }
        assert!(
            benign_ips.len() > 30,
            "{kind}: only {} benign addresses",
            benign_ips.len()
        );
        let attackers: HashSet<Ipv4Addr> = run
            .truth
            .iter()
            .flat_map(|t| t.source_ips.iter().map(|s| s.parse().unwrap()))
            .collect();
        assert!(attackers.is_disjoint(&benign_ips));
    }
}

fn apache_shape(line: &str) -> bool {
    let Some((ip, rest)) = line.split_once(" - ") else {
        return false;
    };
    if ip.parse::<Ipv4Addr>().is_err() {
        return false;
    }
    let Some(open) = rest.find(" [") else {
        return false;
    };
    let stamp = &rest[open + 2..];
    if stamp.len() < 28 || &stamp[26..28] != "] " || !stamp[..26].ends_with(" +0000") {
        return false;
    }
    // Unescaped quotes: the request, referer and user agent are quoted.
    let b = line.as_bytes();
    let quotes: Vec<usize> = line
        .match_indices('"')
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || b[i - 1] != b'\\')
        .collect();
    if quotes.len() != 6 {
        return false;
    }
    // After the request: status and size.
    let tail = &line[quotes[1] + 1..];
    let mut f = tail.split_whitespace();
    let status_ok = f
        .next()
        .is_some_and(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()));
    let size_ok = f
        .next()
        .is_some_and(|s| s == "-" || s.bytes().all(|b| b.is_ascii_digit()));
    status_ok && size_ok && line.ends_with('"') && line.split_whitespace().count() >= 9
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn hms(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 8
        && b[2] == b':'
        && b[5] == b':'
        && [0, 1, 3, 4, 6, 7].iter().all(|&i| b[i].is_ascii_digit())
}

fn syslog_shape(line: &str) -> bool {
    if line.len() < 20 || !MONTHS.contains(&&line[..3]) || &line[3..4] != " " {
        return false;
    }
    let day = line[4..6].trim_start();
    if day.is_empty() || !day.bytes().all(|b| b.is_ascii_digit()) || !hms(&line[7..15]) {
        return false;
    }
    let Some(rest) = line[15..].strip_prefix(" web1 ") else {
        return false;
    };
    let Some((tag, msg)) = rest.split_once(": ") else {
        return false;
    };
    let prog = match tag.split_once('[') {
        Some((p, pid)) => {
            let Some(pid) = pid.strip_suffix(']') else {
                return false;
            };
            if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            p
        }
        None => tag,
    };
    !prog.is_empty()
        && prog
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_/".contains(&b))
        && !msg.trim().is_empty()
}

fn asa_shape(line: &str) -> bool {
    if line.len() < 40 || !MONTHS.contains(&&line[..3]) {
        return false;
    }
    let b = line.as_bytes();
    let date_ok = b[3] == b' '
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
        && b[6] == b' '
        && b[7..11].iter().all(u8::is_ascii_digit)
        && b[11] == b' '
        && hms(&line[12..20]);
    let Some(rest) = line[20..].strip_prefix(" fw01 : %ASA-") else {
        return false;
    };
    let rb = rest.as_bytes();
    date_ok
        && rb.len() > 11
        && rb[0].is_ascii_digit()
        && rb[1] == b'-'
        && rb[2..8].iter().all(u8::is_ascii_digit)
        && &rest[8..10] == ": "
        && !rest[10..].trim().is_empty()
}

#[test]
fn every_line_has_its_kind_shape() {
    for (kind, run) in runs() {
        let check: fn(&str) -> bool = match kind {
            Kind::ApacheCombined => apache_shape,
            Kind::AuthSyslog => syslog_shape,
            Kind::CiscoAsa => asa_shape,
        };
        for (i, line) in run.text.lines().enumerate() {
            assert!(
                line.is_ascii() && !line.contains('\t') && !line.contains('\r'),
                "{kind} {}: {line}",
                i + 1
            );
            assert!(check(line), "{kind} line {} has a bad shape: {line}", i + 1);
        }
    }
}

#[test]
fn benign_failures_are_isolated() {
    // No benign address gets more than a handful of 401/404 (web) or failed
    // passwords (auth) or denies (firewall) in the whole 200k-line run.
    for (kind, run) in runs() {
        let attack: HashSet<u64> = run
            .truth
            .iter()
            .flat_map(|t| t.lines.iter().copied())
            .collect();
        let mut fails: HashMap<Ipv4Addr, u32> = HashMap::new();
        for (i, line) in run.text.lines().enumerate() {
            if attack.contains(&(i as u64 + 1)) {
                continue;
            }
            let failed = match kind {
                Kind::ApacheCombined => line.contains("\" 401 ") || line.contains("\" 404 "),
                Kind::AuthSyslog => line.contains("Failed password"),
                Kind::CiscoAsa => line.contains(": Deny "),
            };
            if failed && let Some(&ip) = ips_in(line).first() {
                *fails.entry(ip).or_default() += 1;
            }
        }
        // 200k lines at 200/s is ~17 minutes: two 15-minute windows at most.
        let worst = fails.values().max().copied().unwrap_or(0);
        assert!(worst <= 4, "{kind}: a benign address failed {worst} times");
    }
}

#[test]
fn zero_share_is_benign_only() {
    let cfg = SimConfig {
        attack_share: 0.0,
        ..SimConfig::default()
    };
    for kind in Kind::ALL {
        let mut out = Vec::new();
        let truth = write_batch(kind, 1, &cfg, 5_000, &mut out).unwrap();
        assert!(truth.is_empty());
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 5_000);
    }
}

#[test]
fn batch_clock_and_offsets() {
    let cfg = SimConfig::default();
    assert_eq!(cfg.time_of_line(0), cfg.start_ms);
    assert_eq!(cfg.time_of_line(200), cfg.start_ms + 1_000);
    assert_eq!(cfg.time_of_line(1_000_000) - cfg.start_ms, 5_000_000);
    let mut g = Generator::new(
        Kind::AuthSyslog,
        3,
        &SimConfig {
            attack_share: 0.3,
            ..cfg
        },
    );
    g.set_line_offset(1_000);
    let mut out = Vec::new();
    for _ in 0..3_000 {
        g.next_line(1_705_314_645_000, &mut out);
    }
    assert_eq!(g.line_number(), 4_000);
    assert!(out.starts_with(b"Jan 15 10:30:45 web1 "));
    let truth: Vec<Truth> = g.take_finished().into_iter().chain(g.finish()).collect();
    assert!(!truth.is_empty());
    assert!(
        truth
            .iter()
            .all(|t| t.first_line > 1_000 && t.last_line <= 4_000)
    );
    assert!(g.finish().is_empty());
}

#[test]
fn kind_names() {
    for kind in Kind::ALL {
        assert_eq!(Kind::from_name(kind.name()), Some(kind));
        assert_eq!(Kind::from_name(kind.file_name()), Some(kind));
        assert_eq!(Kind::from_name(kind.format_name()), Some(kind));
    }
    assert_eq!(Kind::from_name("Apache"), Some(Kind::ApacheCombined));
    assert_eq!(Kind::from_name("ASA"), Some(Kind::CiscoAsa));
    assert_eq!(Kind::from_name("firewall"), Some(Kind::CiscoAsa));
    assert_eq!(Kind::from_name("nginx"), None);
}

#[test]
fn corpus_on_disk_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let truth = write_corpus(
        dir.path(),
        3_000,
        5,
        &SimConfig {
            attack_share: 0.1,
            ..SimConfig::default()
        },
    )
    .unwrap();
    for kind in Kind::ALL {
        let text = std::fs::read_to_string(dir.path().join(kind.file_name())).unwrap();
        assert_eq!(text.lines().count(), 3_000);
    }
    let jsonl = std::fs::read_to_string(dir.path().join(TRUTH_FILE)).unwrap();
    let back: Vec<Truth> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(back, truth);
    assert!(jsonl.contains("\"category\":\""));
}
