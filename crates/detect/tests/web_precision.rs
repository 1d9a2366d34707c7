//! Web detection on realistic traffic, through the real pipeline (format
//! detection, the apache_combined parser, the engine with every built-in
//! rule):
//!
//! - **precision**: a benign corpus (`data/web_benign.txt`: searches full
//!   of SQL and script words, names with apostrophes, tracking parameters,
//!   OAuth callbacks, GraphQL and JSON in query strings, tokens, downloads,
//!   REST calls, client bugs, crawlers, whole browsing sessions, an admin)
//!   raises no web alert of MEDIUM or higher;
//! - **recall**: attack payloads (`data/web_attacks.txt`) written in many
//!   encodings (plain, URL-encoded, double and triple encoded, `%u`, mixed
//!   case, SQL comments, whitespace tricks, HTML entities, full-width
//!   forms, overlong UTF-8, backslashes, filter-evasion dot segments) are
//!   caught by a rule of the expected category, and so are scanning
//!   sequences (directory brute force, admin probing, 404 floods);
//! - **simulate**: on a `logsentinel-sim` corpus, every web attack scenario
//!   gets an alert of its category for its source, and no benign source a
//!   MEDIUM+ web alert.
//!
//! Each benign line and each attack line comes from its own address (a
//! browsing session shares one), so alerts map back to lines by source.
//! The test prints caught/total and flagged/total per category, and fails
//! below 95% caught or above 0.5% benign flagged.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use logsentinel_core::{FormatState, LineParser, ParseCtx, Timestamp, detect_format};
use logsentinel_detect::alert::Alert;
use logsentinel_detect::config::DetectConfig;
use logsentinel_detect::engine::Engine;
use logsentinel_detect::loader::RuleSet;

const BENIGN: &str = include_str!("data/web_benign.txt");
const ATTACKS: &str = include_str!("data/web_attacks.txt");

/// 2024-01-15T10:00:00Z.
const START: i64 = 1_705_312_800;

fn rules() -> Arc<RuleSet> {
    match RuleSet::builtin() {
        Ok(set) => Arc::new(set),
        Err(errors) => {
            let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            panic!("built-in rules do not load:\n{}", text.join("\n"));
        }
    }
}

fn is_web_rule(rules: &RuleSet, a: &Alert) -> bool {
    rules
        .rules
        .get(a.rule_index)
        .is_some_and(|r| r.origin.file.starts_with("builtin:web_"))
}

/// Parses `lines` as the CLI does and returns every alert.
fn analyze(rules: &Arc<RuleSet>, lines: &[String]) -> Vec<Alert> {
    let ctx = ParseCtx::utc(Timestamp::from_secs(START + 86_400));
    let sample: Vec<&str> = lines.iter().take(2000).map(String::as_str).collect();
    let detection = detect_format(&sample, &ctx);
    assert_eq!(detection.format.name(), "apache_combined");
    let parser = LineParser::auto(detection.format, ctx);
    let mut state = FormatState::default();
    let mut engine = match Engine::new(Arc::clone(rules), &DetectConfig::default()) {
        Ok(e) => e,
        Err(e) => panic!("engine: {e}"),
    };
    for (i, line) in lines.iter().enumerate() {
        state.observe(line);
        let mut ev = parser.parse(line, &state);
        assert_eq!(
            ev.format.name(),
            "apache_combined",
            "line {} does not parse: {line}",
            i + 1
        );
        ev.file_line = Some(i as u64 + 1);
        engine.process(&ev);
    }
    engine.finish().0
}

// --- writing access log lines -------------------------------------------

/// What Apache does to a request line, referrer or user agent: `"` and
/// `\` escaped, control bytes as `\xhh`.
fn apache_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

fn stamp(secs: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000",
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

struct Req<'a> {
    ip: &'a str,
    secs: i64,
    method: &'a str,
    target: &'a str,
    status: u16,
    referrer: &'a str,
    ua: &'a str,
}

fn line(r: &Req<'_>) -> String {
    format!(
        "{} - - [{}] \"{} {} HTTP/1.1\" {} {} \"{}\" \"{}\"",
        r.ip,
        stamp(r.secs),
        r.method,
        apache_escape(r.target),
        r.status,
        if r.status == 204 || r.status == 304 {
            "-".to_string()
        } else {
            (200 + r.target.len() * 7 % 9000).to_string()
        },
        apache_escape(r.referrer),
        apache_escape(r.ua)
    )
}

/// Distinct addresses, by counter: `a.(n/65536).(n/256).(n%256)`.
fn addr(first: u8, n: u32) -> String {
    format!(
        "{first}.{}.{}.{}",
        (n >> 16) & 0xff,
        (n >> 8) & 0xff,
        n & 0xff
    )
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// --- encodings ----------------------------------------------------------

fn pct(out: &mut String, b: u8) {
    out.push_str(&format!("%{b:02X}"));
}

/// What a client must encode anyway (space, `#`, `%`, `&`, `+`, controls,
/// non-ASCII); the rest goes raw.
fn minimal(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        match b {
            b' ' | b'#' | b'%' | b'&' | b'+' => pct(&mut out, b),
            b if !(0x20..0x7f).contains(&b) => pct(&mut out, b),
            b => out.push(b as char),
        }
    }
    out
}

/// Every byte but unreserved ones (`A-Z a-z 0-9 - _ . ~`) encoded;
/// `keep_slash` keeps `/` (paths).
fn encoded(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            pct(&mut out, b);
        }
    }
    out
}

/// Every byte encoded.
fn every(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        pct(&mut out, b);
    }
    out
}

/// Encoded, then each `%` encoded again `levels - 1` times.
fn nested(s: &str, levels: usize) -> String {
    let mut out = encoded(s, false);
    for _ in 1..levels {
        out = out.replace('%', "%25");
    }
    out
}

/// IIS `%uHHHH` for everything but letters and digits.
fn unicode(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            out.push_str(&format!("%u{:04X}", c as u32));
        }
    }
    out
}

fn mixed_case(s: &str) -> String {
    let mut up = false;
    s.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                up = !up;
                if up {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            } else {
                c
            }
        })
        .collect()
}

/// Spaces replaced by `sep` (already encoded), the rest minimal.
fn spaces_as(s: &str, sep: &str) -> String {
    s.split(' ').map(minimal).collect::<Vec<_>>().join(sep)
}

/// Markup characters as HTML character references (rotating forms),
/// then URL-encoded as a client would send them.
fn entities(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        let forms: [&str; 3] = match c {
            '<' => ["&lt;", "&#60;", "&#x3c;"],
            '>' => ["&gt;", "&#62;", "&#x3E;"],
            '"' => ["&quot;", "&#34;", "&#x22;"],
            '\'' => ["&apos;", "&#39;", "&#x27;"],
            '(' => ["&lpar;", "&#40;", "&#x28;"],
            ')' => ["&rpar;", "&#41;", "&#x29;"],
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push_str(forms[i % 3]);
    }
    encoded(&out, false)
}

/// Markup and path characters as full-width forms (`%uFF1C`), which
/// best-fit mappings turn back into ASCII.
fn fullwidth(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '<' | '>' | '\'' | '"' | '/' | '.' | '(' | ')' | '=' => {
                out.push_str(&format!("%u{:04X}", c as u32 + 0xFEE0));
            }
            ' ' => out.push_str("%20"),
            c => out.push_str(&minimal(&c.to_string())),
        }
    }
    out
}

fn overlong(s: &str) -> String {
    minimal(s).replace('/', "%c0%af").replace('.', "%c0%ae")
}

fn backslashes(s: &str) -> String {
    encoded(&s.replace('/', "\\"), false)
}

/// The payload as each encoding writes it, for a test category and a
/// placement (`query` values may encode `/`, paths keep it).
fn encodings(category: &str, placement: &str, p: &str) -> Vec<(&'static str, String)> {
    let in_path = placement == "path";
    let query = !in_path;
    let mut v: Vec<(&'static str, String)> = vec![
        ("plain", minimal(p)),
        ("url", encoded(p, in_path)),
        ("double", nested(p, 2)),
    ];
    let mut add = |name: &'static str, s: String| v.push((name, s));
    match category {
        "sql_injection" => {
            if query {
                // `+` is a space in a query only.
                add("plus", spaces_as(p, "+"));
            }
            add("every", every(p));
            add("unicode", unicode(p));
            add("mixed_case", minimal(&mixed_case(p)));
            add("comments", spaces_as(p, "/**/"));
            add("tabs", spaces_as(p, "%09"));
            add("newlines", spaces_as(p, "%0a"));
            add("nbsp", spaces_as(p, "%a0"));
            add("vt_ff", spaces_as(p, "%0b%0c"));
            add("triple", nested(p, 3));
        }
        "xss" => {
            add("unicode", unicode(p));
            add("mixed_case", minimal(&mixed_case(p)));
            add("entities", entities(p));
            add("fullwidth", fullwidth(p));
            add("tabs", spaces_as(p, "%09"));
            add("slashes", spaces_as(p, "/"));
        }
        "path_traversal" => {
            add("triple", nested(p, 3));
            add("unicode", unicode(p));
            add("overlong", overlong(p));
            add("backslash", backslashes(p));
            add("filter_dots", minimal(&p.replace("../", "....//")));
            add("tomcat", minimal(&p.replace("../", "..;/")));
            add("dot_encoded", minimal(&p.replace("../", ".%2e/")));
            add("mixed_case", minimal(&mixed_case(p)));
            add("fullwidth", fullwidth(p));
        }
        "command_injection" => {
            add("unicode", unicode(p));
            add("tabs", spaces_as(p, "%09"));
            if query {
                add("plus", spaces_as(p, "+"));
            }
        }
        "code_injection" => {
            add("unicode", unicode(p));
            add("every", every(p));
        }
        "log4shell" | "remote_file_inclusion" | "ssrf" => {
            add("mixed_case", minimal(&mixed_case(p)));
            add("unicode", unicode(p));
        }
        _ => {}
    }
    v
}

/// Path encodings for a whole target (sensitive files, web shells).
fn target_encodings(target: &str) -> Vec<(&'static str, String)> {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let with_query = |p: String| match query {
        Some(q) => format!("{p}?{q}"),
        None => p,
    };
    let dots = path.replacen("/.", "/%2e", 1);
    let inner_slash = match path.get(1..).and_then(|rest| rest.find('/')) {
        Some(i) => format!("{}%2f{}", &path[..i + 1], &path[i + 2..]),
        None => path.to_string(),
    };
    vec![
        ("plain", target.to_string()),
        ("mixed_case", with_query(mixed_case(path))),
        ("dot_encoded", with_query(dots.clone())),
        ("double_dot", with_query(dots.replace('%', "%25"))),
        ("slash_encoded", with_query(inner_slash)),
        (
            "every_char",
            with_query(format!("/{}", every(path.trim_start_matches('/')))),
        ),
    ]
}

// --- the corpora ---------------------------------------------------------

/// One benign line with its category and address.
struct Benign {
    category: String,
    ip: String,
    line: String,
}

fn benign_corpus() -> Vec<Benign> {
    let mut out = Vec::new();
    let mut n: u32 = 0;
    let mut session_ip: Option<String> = None;
    let mut secs = START;
    for raw in BENIGN.lines() {
        if raw.starts_with('#') || raw.trim().is_empty() {
            continue;
        }
        if raw == "session" {
            n += 1;
            session_ip = Some(addr(81, n));
            continue;
        }
        let f: Vec<&str> = raw.split('\t').collect();
        let [category, method, status, target, ua, referrer] = f[..] else {
            panic!("bad benign line: {raw}");
        };
        let ip = match (&session_ip, category) {
            (Some(ip), "sessions" | "admin") => ip.clone(),
            _ => {
                n += 1;
                addr(81, n)
            }
        };
        secs += 1;
        let line = line(&Req {
            ip: &ip,
            secs,
            method,
            target,
            status: status.parse().unwrap_or(200),
            referrer,
            ua,
        });
        out.push(Benign {
            category: category.to_string(),
            ip,
            line,
        });
    }
    out
}

/// One attack item: its lines (one address), the alert category that must
/// catch it.
struct Attack {
    category: String,
    encoding: String,
    expect: &'static str,
    ip: String,
    lines: Vec<String>,
    payload: String,
}

fn expected_category(test_category: &str) -> &'static str {
    match test_category {
        "sql_injection" => "sql_injection",
        "xss" => "xss",
        "path_traversal" => "path_traversal",
        "command_injection" => "command_injection",
        "code_injection" | "log4shell" | "remote_file_inclusion" => "code_injection",
        "ssrf" => "ssrf",
        "sensitive_file_access" => "sensitive_file_access",
        "web_shell" => "persistence",
        "scanner" | "directory_bruteforce" | "admin_probing" | "404_flood" => "scanner",
        other => panic!("unknown test category {other}"),
    }
}

fn unescape(s: &str) -> String {
    s.replace("\\n", "\n")
        .replace("\\0", "\0")
        .replace("\\\\", "\\")
}

const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const TOOL_UAS: &[&str] = &[
    BROWSER,
    "python-requests/2.31.0",
    "curl/7.88.1",
    "Go-http-client/1.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
];
const STATUSES: &[u16] = &[200, 200, 200, 403, 404, 500, 400, 302];

fn query_endpoints(category: &str) -> &'static [&'static str] {
    match category {
        "sql_injection" => &[
            "/products?id=",
            "/search?q=",
            "/item?sku=",
            "/api/v1/orders?status=shipped&customer=",
            "/news.php?id=3&article=",
            "/login?user=",
        ],
        "xss" => &[
            "/search?q=",
            "/contact?name=",
            "/login?redirect=",
            "/products?sort=",
            "/account/settings?display_name=",
        ],
        "path_traversal" => &[
            "/download?file=",
            "/view?page=",
            "/api/v1/files?path=",
            "/index.php?template=",
            "/export?report=",
        ],
        "command_injection" => &[
            "/tools/ping?host=127.0.0.1",
            "/api/v1/tools/lookup?domain=example.com",
            "/cgi-bin/status?cmd=",
            "/export?name=report",
        ],
        "remote_file_inclusion" => &[
            "/index.php?page=",
            "/main.php?file=",
            "/modules.php?include=",
            "/load.php?template=",
            "/view.php?id=3&lang=",
        ],
        "ssrf" => &[
            "/api/v1/fetch?url=",
            "/proxy?target=",
            "/preview?link=",
            "/api/v1/webhooks/test?callback=",
            "/img?src=",
            "/pdf?source=",
        ],
        _ => &[
            "/search?q=",
            "/index.php?x=",
            "/api/v1/render?template=",
            "/greet?name=",
        ],
    }
}

fn attack_corpus() -> Vec<Attack> {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut out = Vec::new();
    let mut n: u32 = 0;
    let mut secs = START;
    let mut push = |out: &mut Vec<Attack>,
                    rng: &mut Rng,
                    category: &str,
                    encoding: &str,
                    payload: &str,
                    target: &str,
                    ua: &str,
                    referrer: &str| {
        n += 1;
        secs += 1;
        let ip = addr(45, n);
        let status = *rng.pick(STATUSES);
        out.push(Attack {
            category: category.to_string(),
            encoding: encoding.to_string(),
            expect: expected_category(category),
            lines: vec![line(&Req {
                ip: &ip,
                secs,
                method: "GET",
                target,
                status,
                referrer,
                ua,
            })],
            ip,
            payload: payload.to_string(),
        });
    };
    for raw in ATTACKS.lines() {
        if raw.starts_with('#') || raw.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = raw.splitn(3, '\t').collect();
        let [category, placement, payload] = f[..] else {
            panic!("bad attack line: {raw}");
        };
        let payload = unescape(payload);
        let ua = *rng.pick(TOOL_UAS);
        match placement {
            "query" | "path" | "rfi" | "ssrf" => {
                for (enc, text) in encodings(category, placement, &payload) {
                    let target = if placement == "path" {
                        let prefix = match category {
                            "sql_injection" => "/api/v1/products/",
                            "xss" => "/search/",
                            _ => "/static/",
                        };
                        format!("{prefix}{text}")
                    } else {
                        let ep = *rng.pick(query_endpoints(category));
                        // Command injection appends to a value; the others
                        // are the value.
                        format!("{ep}{text}")
                    };
                    push(
                        &mut out, &mut rng, category, enc, &payload, &target, ua, "-",
                    );
                }
            }
            "ua" => {
                for (enc, text) in [
                    ("plain", payload.clone()),
                    ("mixed_case", mixed_case(&payload)),
                ] {
                    let target = *rng.pick(&["/", "/cgi-bin/status", "/login", "/products/12"]);
                    push(
                        &mut out, &mut rng, category, enc, &payload, target, &text, "-",
                    );
                }
            }
            "referrer" => {
                for (enc, text) in [
                    ("plain", payload.clone()),
                    ("mixed_case", mixed_case(&payload)),
                ] {
                    push(
                        &mut out, &mut rng, category, enc, &payload, "/", BROWSER, &text,
                    );
                }
            }
            "param_name" => {
                push(
                    &mut out,
                    &mut rng,
                    category,
                    "plain",
                    &payload,
                    &format!("/index?{payload}"),
                    ua,
                    "-",
                );
                push(
                    &mut out,
                    &mut rng,
                    category,
                    "url",
                    &payload,
                    &format!("/login.do?{}", payload.replace('.', "%2e")),
                    ua,
                    "-",
                );
            }
            "target" => {
                for (enc, text) in target_encodings(&payload) {
                    push(&mut out, &mut rng, category, enc, &payload, &text, ua, "-");
                }
            }
            "scanner_ua" => {
                for target in ["/", "/robots.txt", "/index.php?id=1"] {
                    push(
                        &mut out, &mut rng, category, "as_sent", &payload, target, &payload, "-",
                    );
                }
            }
            other => panic!("unknown placement {other}"),
        }
    }
    out.extend(scan_sequences(&mut rng));
    out
}

/// Scanning that only a sequence shows: directory brute force and admin
/// probing behind a browser user agent, a 404 flood.
fn scan_sequences(rng: &mut Rng) -> Vec<Attack> {
    const WORDS: &[&str] = &[
        "old", "test", "dev", "staging", "tmp", "api", "private", "secret", "uploads", "files",
        "cgi", "data", "logs", "install", "setup", "config", "portal", "manage", "beta", "archive",
        "bak", "v1", "v2", "internal", "assets2", "export", "import", "cache", "debug", "demo",
    ];
    const EXTS: &[&str] = &[
        "", "/", ".php", ".bak", ".old", ".asp", ".jsp", ".txt", ".html", ".aspx",
    ];
    const ADMIN: &[&str] = &[
        "/phpmyadmin/",
        "/pma/",
        "/wp-admin/",
        "/administrator/",
        "/manager/html",
        "/actuator/env",
        "/solr/admin/",
        "/jenkins/login",
        "/console/",
        "/admin.php",
        "/adminer.php",
        "/druid/index.html",
        "/nacos/",
        "/telescope/requests",
        "/_profiler/phpinfo",
        "/jmx-console/",
        "/owa/auth/logon.aspx",
        "/remote/login",
        "/boaform/admin/formLogin",
        "/hnap1/",
    ];
    let mut out = Vec::new();
    let mut n: u32 = 60_000;
    for s in 0..45 {
        n += 1;
        let ip = addr(185, n);
        let mut secs = START + 3600 + i64::from(s) * 900;
        let (category, count, enc) = match s % 3 {
            0 => ("directory_bruteforce", 20 + rng.below(60), "wordlist"),
            1 => ("admin_probing", 3 + rng.below(6), "admin_paths"),
            _ => ("404_flood", 110 + rng.below(100), "one_endpoint"),
        };
        let mut lines = Vec::new();
        for i in 0..count {
            secs += 1 + rng.below(3) as i64;
            let target = match category {
                "directory_bruteforce" => format!(
                    "/{}{}",
                    WORDS[(i * 7 + s as usize) % WORDS.len()],
                    EXTS[i % EXTS.len()]
                ),
                "admin_probing" => ADMIN[(i * 3 + s as usize) % ADMIN.len()].to_string(),
                _ => format!("/api/v1/export?format=FUZZ{:04}", rng.below(10_000)),
            };
            let status = if category == "404_flood" {
                400
            } else {
                *rng.pick(&[404, 404, 404, 403])
            };
            lines.push(line(&Req {
                ip: &ip,
                secs,
                method: "GET",
                target: &target,
                status,
                referrer: "-",
                ua: BROWSER,
            }));
        }
        out.push(Attack {
            category: category.to_string(),
            encoding: enc.to_string(),
            expect: expected_category(category),
            ip,
            lines,
            payload: format!("{count} requests"),
        });
    }
    out
}

// --- the tests -------------------------------------------------------------

#[derive(Default)]
struct Tally {
    hit: usize,
    total: usize,
}

fn pct_of(t: &Tally) -> f64 {
    if t.total == 0 {
        100.0
    } else {
        100.0 * t.hit as f64 / t.total as f64
    }
}

#[test]
fn benign_traffic_raises_no_medium_web_alert() {
    let rules = rules();
    let corpus = benign_corpus();
    assert!(corpus.len() >= 1000, "only {} benign lines", corpus.len());
    let lines: Vec<String> = corpus.iter().map(|b| b.line.clone()).collect();
    let alerts = analyze(&rules, &lines);
    // Addresses with a MEDIUM+ web alert, and what fired.
    let mut flagged: HashMap<&str, Vec<String>> = HashMap::new();
    let mut low = 0;
    for a in &alerts {
        if !is_web_rule(&rules, a) {
            continue;
        }
        let Some(ip) = a.source_ip.as_deref() else {
            continue;
        };
        if a.risk_score >= 20 {
            flagged.entry(ip).or_default().push(format!(
                "{} (score {}, {} events)",
                a.rule_name, a.risk_score, a.count
            ));
        } else {
            low += 1;
        }
    }
    let mut per: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut examples = Vec::new();
    for b in &corpus {
        let t = per.entry(&b.category).or_default();
        t.total += 1;
        if let Some(why) = flagged.get(b.ip.as_str()) {
            t.hit += 1;
            if examples.len() < 40 {
                examples.push(format!(
                    "{}: {}\n    {}",
                    b.category,
                    why.join(", "),
                    b.line
                ));
            }
        }
    }
    let total = Tally {
        hit: per.values().map(|t| t.hit).sum(),
        total: per.values().map(|t| t.total).sum(),
    };
    println!("benign lines flagged MEDIUM+ by web rules, per category:");
    for (cat, t) in &per {
        println!(
            "  {cat:<14} {:>4}/{:<4} ({:.2}%)",
            t.hit,
            t.total,
            pct_of(t)
        );
    }
    println!(
        "  {:<14} {:>4}/{:<4} ({:.2}%)",
        "total",
        total.hit,
        total.total,
        pct_of(&total)
    );
    println!("  (LOW web alerts: {low})");
    for e in &examples {
        println!("  flagged: {e}");
    }
    assert!(
        pct_of(&total) <= 0.5,
        "{:.2}% of benign lines flagged (max 0.5%)",
        pct_of(&total)
    );
}

#[test]
fn attack_payloads_in_many_encodings_are_caught() {
    let rules = rules();
    let corpus = attack_corpus();
    assert!(corpus.len() >= 1000, "only {} attack items", corpus.len());
    let lines: Vec<String> = corpus
        .iter()
        .flat_map(|a| a.lines.iter().cloned())
        .collect();
    let alerts = analyze(&rules, &lines);
    let mut by_ip: HashMap<&str, Vec<&Alert>> = HashMap::new();
    for a in &alerts {
        if let Some(ip) = a.source_ip.as_deref() {
            by_ip.entry(ip).or_default().push(a);
        }
    }
    let mut per: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut per_encoding: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut missed = Vec::new();
    for item in &corpus {
        let caught = by_ip.get(item.ip.as_str()).is_some_and(|v| {
            v.iter()
                .any(|a| a.category.as_str() == item.expect && is_web_rule(&rules, a))
        });
        for t in [
            per.entry(&item.category).or_default(),
            per_encoding.entry(&item.encoding).or_default(),
        ] {
            t.total += 1;
            t.hit += usize::from(caught);
        }
        if !caught {
            let got: Vec<String> = by_ip
                .get(item.ip.as_str())
                .map(|v| v.iter().map(|a| a.rule_name.clone()).collect())
                .unwrap_or_default();
            missed.push(format!(
                "{} [{}] {:?} -> {:?}\n    {}",
                item.category,
                item.encoding,
                item.payload,
                got,
                item.lines.first().map_or("", String::as_str)
            ));
        }
    }
    let total = Tally {
        hit: per.values().map(|t| t.hit).sum(),
        total: per.values().map(|t| t.total).sum(),
    };
    println!("attacks caught by a web rule of the expected category:");
    for (cat, t) in &per {
        println!(
            "  {cat:<22} {:>4}/{:<4} ({:.1}%)",
            t.hit,
            t.total,
            pct_of(t)
        );
    }
    println!(
        "  {:<22} {:>4}/{:<4} ({:.1}%)",
        "total",
        total.hit,
        total.total,
        pct_of(&total)
    );
    println!("per encoding:");
    for (enc, t) in &per_encoding {
        println!(
            "  {enc:<22} {:>4}/{:<4} ({:.1}%)",
            t.hit,
            t.total,
            pct_of(t)
        );
    }
    for m in &missed {
        println!("  missed: {m}");
    }
    assert!(
        pct_of(&total) >= 95.0,
        "only {:.1}% of attacks caught (min 95%)",
        pct_of(&total)
    );
    for (cat, t) in &per {
        assert!(pct_of(t) >= 85.0, "{cat}: only {:.1}% caught", pct_of(t));
    }
}

/// A burst of many different payloads from one source is one alert per
/// rule, with the exact count.
#[test]
fn a_burst_of_payloads_is_one_alert_with_a_count() {
    let rules = rules();
    let payloads = [
        "1%27%20OR%20%271%27%3D%271",
        "-1%20UNION%20SELECT%201,2,3--%20-",
        "1%27%20AND%20SLEEP(5)--%20-",
        "%2527%2520OR%25201%253D1--",
        "1/**/UNION/**/SELECT/**/NULL--",
    ];
    let lines: Vec<String> = (0..200)
        .map(|i| {
            line(&Req {
                ip: "45.134.99.1",
                secs: START + i,
                method: "GET",
                target: &format!("/products?id={}", payloads[i as usize % payloads.len()]),
                status: 200,
                referrer: "-",
                ua: "sqlmap/1.7.11#stable (https://sqlmap.org)",
            })
        })
        .collect();
    let alerts = analyze(&rules, &lines);
    let sqli: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.rule_name == "web_sql_injection")
        .collect();
    assert_eq!(
        sqli.len(),
        1,
        "{:?}",
        alerts.iter().map(|a| &a.rule_name).collect::<Vec<_>>()
    );
    assert_eq!(sqli[0].count, 200);
    assert_eq!(sqli[0].source_ip.as_deref(), Some("45.134.99.1"));
    let scanner: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.rule_name == "web_scanner_user_agent")
        .collect();
    assert_eq!(scanner.len(), 1);
    assert_eq!(scanner[0].count, 200);
}

/// The simulator's access log: every web attack scenario is alerted with
/// its category and source; no benign source gets a MEDIUM+ web alert.
#[test]
fn simulate_corpus_web_attacks_are_alerted_and_benign_sources_are_not() {
    use logsentinel_sim::{Kind, SimConfig, is_attacker_ip, write_batch};
    let rules = rules();
    let mut buf = Vec::new();
    let truth = match write_batch(
        Kind::ApacheCombined,
        7,
        &SimConfig::default(),
        100_000,
        &mut buf,
    ) {
        Ok(t) => t,
        Err(e) => panic!("simulate: {e}"),
    };
    let text = String::from_utf8(buf).unwrap_or_default();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let alerts = analyze(&rules, &lines);
    let web_categories = [
        "sql_injection",
        "xss",
        "path_traversal",
        "command_injection",
        "scanner",
    ];
    let mut per: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut missed = Vec::new();
    for t in &truth {
        let cat = t.category.as_str();
        if !web_categories.contains(&cat) {
            continue;
        }
        let found = alerts.iter().any(|a| {
            a.category.as_str() == cat && a.source_ip.as_deref() == Some(t.source_ip.as_str())
        });
        let tally = per.entry(cat).or_default();
        tally.total += 1;
        tally.hit += usize::from(found);
        if !found {
            missed.push(format!(
                "{} {} {} ({} lines, complete: {})",
                t.id,
                t.scenario,
                t.source_ip,
                t.lines.len(),
                t.complete
            ));
        }
    }
    let mut benign_flagged = Vec::new();
    for a in &alerts {
        let benign = a
            .source_ip
            .as_deref()
            .and_then(|s| s.parse::<std::net::Ipv4Addr>().ok())
            .is_some_and(|ip| !is_attacker_ip(ip));
        if benign && is_web_rule(&rules, a) && a.risk_score >= 20 {
            benign_flagged.push(format!(
                "{} {:?} score {} count {}",
                a.rule_name, a.source_ip, a.risk_score, a.count
            ));
        }
    }
    println!(
        "simulate (100,000 apache lines, seed 7): web scenarios alerted with their category and source:"
    );
    for (cat, t) in &per {
        println!("  {cat:<18} {:>3}/{:<3}", t.hit, t.total);
    }
    println!(
        "  benign sources with a MEDIUM+ web alert: {}",
        benign_flagged.len()
    );
    for m in &missed {
        println!("  missed: {m}");
    }
    for b in &benign_flagged {
        println!("  benign flagged: {b}");
    }
    assert!(
        per.values().map(|t| t.total).sum::<usize>() >= 10,
        "too few web scenarios"
    );
    assert!(
        missed.is_empty(),
        "{} web scenarios not alerted",
        missed.len()
    );
    assert!(
        benign_flagged.is_empty(),
        "{} benign alerts",
        benign_flagged.len()
    );
}
