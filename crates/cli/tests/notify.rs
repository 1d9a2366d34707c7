//! Notifications end to end: `watch` with `[notify]` delivering to a real
//! SMTP server (Debian's `python3-aiosmtpd`, started here on a loopback
//! port), to our own `smtp-sink`, and to a webhook receiver written here;
//! an SMTP server that is down and comes back across a restart; a storm
//! of alerts; and `demo`.
//!
//! aiosmtpd runs with its `Mailbox` handler: every message is a file in a
//! Maildir, with the envelope in `X-MailFrom` / `X-RcptTo` headers. When
//! it is not installed these tests say so and pass, unless
//! `LOGSENTINEL_REQUIRE_AIOSMTPD=1` (set by `scripts/test.sh`, which
//! installs it).

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::common::bin;
use crate::watch::{LIMIT, Watch, collect, wait_exit, wait_until};

const PYTHON: &str = "/usr/bin/python3";

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn aiosmtpd_available() -> bool {
    let ok = Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("LOGSENTINEL_REQUIRE_AIOSMTPD").as_deref() != Ok("1"),
            "python3-aiosmtpd is required (scripts/test.sh installs it)"
        );
        eprintln!("skipped: python3-aiosmtpd is not installed (scripts/test.sh installs it)");
    }
    ok
}

/// A running aiosmtpd writing every message into a Maildir.
struct Aiosmtpd {
    child: Child,
    maildir: PathBuf,
}

impl Aiosmtpd {
    fn start(port: u16, maildir: &Path) -> Aiosmtpd {
        make_maildir(maildir);
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        wait_until("aiosmtpd to listen", LIMIT, || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Aiosmtpd {
            child,
            maildir: maildir.to_path_buf(),
        }
    }

    /// The messages received so far, parsed.
    fn messages(&self) -> Vec<Mail> {
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .filter_map(|d| fs::read_dir(self.maildir.join(d)).ok())
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        files
            .iter()
            .filter_map(|f| fs::read(f).ok())
            .map(|raw| Mail::parse(&raw))
            .collect()
    }
}

/// A Maildir (Python's `mailbox.Maildir` creates the subdirectories only
/// when it creates the directory itself).
fn make_maildir(dir: &Path) {
    for sub in ["tmp", "new", "cur"] {
        fs::create_dir_all(dir.join(sub)).unwrap();
    }
}

impl Drop for Aiosmtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The parts of a received message the tests look at.
#[derive(Debug, Default)]
struct Mail {
    subject: String,
    headers: Vec<(String, String)>,
    text: String,
    html: String,
}

impl Mail {
    fn parse(raw: &[u8]) -> Mail {
        let msg = mail_parser::MessageParser::default()
            .parse(raw)
            .expect("a parsable message");
        Mail {
            subject: msg.subject().unwrap_or_default().to_string(),
            headers: msg
                .headers()
                .iter()
                .map(|h| {
                    let v = match h.value() {
                        mail_parser::HeaderValue::Text(t) => t.to_string(),
                        mail_parser::HeaderValue::TextList(l) => l.join(", "),
                        mail_parser::HeaderValue::Address(a) => a
                            .iter()
                            .filter_map(|x| x.address())
                            .collect::<Vec<_>>()
                            .join(", "),
                        other => format!("{other:?}"),
                    };
                    (h.name().to_string(), v)
                })
                .collect(),
            text: msg.body_text(0).unwrap_or_default().to_string(),
            html: msg.body_html(0).unwrap_or_default().to_string(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The raw HTML part, before any decoding of entities: what a mail
    /// client would render.
    fn html_has_no_markup_from_logs(&self) -> bool {
        !self.html.contains("<script") && !self.html.contains("<img")
    }
}

/// A scratch directory with `logs/` and `state/`.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("logs")).unwrap();
        Scratch { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn s(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }

    fn write(&self, rel: &str, text: &str) -> String {
        fs::write(self.path(rel), text).unwrap();
        self.s(rel)
    }
}

/// SSH brute force from each of `ips`, one after the other (8 failures
/// each, 2 s apart; 20 s per source), the last with attacker markup as
/// the user name.
fn brute_force_log(ips: &[String]) -> String {
    let mut s = String::new();
    for (n, ip) in ips.iter().enumerate() {
        for i in 0..8 {
            let t = 10 * 3600 + n * 20 + i * 2;
            let user = if i == 7 {
                "<script>alert(1)</script>"
            } else {
                "root"
            };
            let _ = writeln!(
                s,
                "Jan 15 {:02}:{:02}:{:02} web1 sshd[{}]: Failed password for invalid user {user} from {ip} port {} ssh2",
                t / 3600,
                t / 60 % 60,
                t % 60,
                1000 + n * 10 + i,
                40000 + i
            );
        }
    }
    s
}

fn ips(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("203.0.{}.{}", 113 + i / 250, 1 + i % 250))
        .collect()
}

fn email_config(port: u16, extra: &str) -> String {
    format!(
        r#"[notify]
min_severity = "medium"
{extra}
[notify.email]
server = "127.0.0.1"
port = {port}
security = "none"
from = "LogSentinel <sentinel@example.test>"
to = ["oncall@example.test", "security@example.test"]
subject = "[LogSentinel] {{severity}} {{rule}} from {{source}}"
timeout = "5s"
"#
    )
}

fn watch_args<'a>(s: &'a Scratch, config: &'a str, log: &'a str) -> Vec<String> {
    vec![
        "--config".into(),
        config.to_string(),
        "--state-dir".into(),
        s.s("state"),
        "--allow-dir".into(),
        s.s("logs"),
        "--from-beginning".into(),
        "-o".into(),
        "ndjson".into(),
        log.to_string(),
    ]
}

fn start_watch(args: &[String], env: &[(&str, &str)]) -> Watch {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    Watch::start_with_env(&refs, env)
}

/// Alerts printed when they opened.
fn opened(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["event"]["kind"] == "alert" && v["event"]["type"][0] == "start")
        .collect()
}

#[test]
fn alerts_are_emailed_to_a_real_smtp_server_with_attacker_text_escaped() {
    if !aiosmtpd_available() {
        return;
    }
    let s = Scratch::new();
    let port = free_port();
    let smtp = Aiosmtpd::start(port, &s.path("maildir"));
    let config = s.write("notify.toml", &email_config(port, ""));
    let log = s.write("logs/auth.log", &brute_force_log(&ips(1)));
    let w = start_watch(&watch_args(&s, &config, &log), &[]);
    wait_until("a mail", LIMIT, || !smtp.messages().is_empty());
    let (code, out, err) = w.stop();
    assert_eq!(code, Some(0), "{err:?}");
    let alerts = opened(&out);
    assert!(!alerts.is_empty(), "{out:?}");
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "one alert, one mail: {mails:?}");
    let m = &mails[0];
    assert!(m.subject.starts_with("[LogSentinel] "), "{}", m.subject);
    assert!(m.subject.contains("203.0.113.1"), "{}", m.subject);
    assert!(
        !m.subject.contains('<'),
        "markup-free subject: {}",
        m.subject
    );
    let rcpt = m.header("X-RcptTo").unwrap_or_default();
    assert!(rcpt.contains("oncall@example.test") && rcpt.contains("security@example.test"));
    assert_eq!(m.header("X-MailFrom"), Some("sentinel@example.test"));
    let id = alerts[0]["event"]["id"].as_str().unwrap();
    assert_eq!(m.header("X-LogSentinel-Alert"), Some(id));
    // Text part: the facts, attacker text literal.
    for needle in ["203.0.113.1", "T1110", "<script>alert(1)</script>"] {
        assert!(m.text.contains(needle), "text lacks {needle}: {}", m.text);
    }
    // HTML part: the same facts, attacker text escaped, never markup.
    assert!(m.html.contains("203.0.113.1") && m.html.contains("T1110"));
    assert!(m.html.contains("&lt;script&gt;"), "{}", m.html);
    assert!(m.html_has_no_markup_from_logs(), "{}", m.html);
}

/// A test CA and a server certificate it signed for `localhost` (and
/// 127.0.0.1): (CA certificate, server certificate, server key).
fn test_pki(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let p = |n: &str| dir.join(n);
    fs::write(
        p("leaf.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let steps: [Vec<String>; 3] = [
        "req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=LogSentinel-test-CA -keyout ca.key -out ca.pem"
            .split(' ').map(String::from).collect(),
        "req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout leaf.key -out leaf.csr"
            .split(' ').map(String::from).collect(),
        "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out leaf.pem -extfile leaf.ext"
            .split(' ').map(String::from).collect(),
    ];
    for args in steps {
        let ok = Command::new("openssl")
            .args(&args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "openssl {args:?} (scripts/test.sh installs openssl)");
    }
    (p("ca.pem"), p("leaf.pem"), p("leaf.key"))
}

/// STARTTLS (port 587 style) and implicit TLS (465 style) against aiosmtpd
/// with a certificate from our own CA file.
#[test]
fn email_over_starttls_and_implicit_tls() {
    if !aiosmtpd_available() {
        return;
    }
    let s = Scratch::new();
    let (ca, cert, key) = test_pki(s.dir.path());
    for (mode, flags) in [
        ("starttls", ["--tlscert", "--tlskey"]),
        ("tls", ["--smtpscert", "--smtpskey"]),
    ] {
        let port = free_port();
        let maildir = s.path(&format!("maildir-{mode}"));
        make_maildir(&maildir);
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .arg(flags[0])
            .arg(&cert)
            .arg(flags[1])
            .arg(&key)
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let smtp = Aiosmtpd {
            child,
            maildir: maildir.clone(),
        };
        wait_until("aiosmtpd to listen", LIMIT, || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        let config = s.write(
            &format!("notify-{mode}.toml"),
            &format!(
                r#"[notify]
min_severity = "medium"
[notify.email]
server = "localhost"
port = {port}
security = "{mode}"
ca_file = "{ca}"
from = "sentinel@example.test"
to = ["oncall@example.test"]
timeout = "5s"
"#,
                ca = ca.display()
            ),
        );
        let log = s.write(&format!("logs/{mode}.log"), &brute_force_log(&ips(1)));
        let mut args = watch_args(&s, &config, &log);
        args[3] = s.s(&format!("state-{mode}"));
        let w = start_watch(&args, &[]);
        wait_until(&format!("a mail over {mode}"), LIMIT, || {
            !smtp.messages().is_empty()
        });
        let (code, _, err) = w.stop();
        assert_eq!(code, Some(0), "{err:?}");
        let mails = smtp.messages();
        assert_eq!(mails.len(), 1, "{mode}");
        assert!(mails[0].text.contains("203.0.113.1"), "{mode}");
    }
}

/// aiosmtpd with authentication required (AUTH PLAIN/LOGIN over the
/// plain connection, accepted for one login only).
const AUTH_SERVER: &str = r#"
import signal, sys
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

def check(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == b"alerts" and data.password == b"pw-from-env"
    return AuthResult(success=ok, handled=False)

c = Controller(Mailbox(sys.argv[2]), hostname="127.0.0.1", port=int(sys.argv[1]),
               authenticator=check, auth_require_tls=False, auth_required=True)
c.start()
signal.sigwait([signal.SIGTERM, signal.SIGINT])
c.stop()
"#;

#[test]
fn email_authenticates_with_the_password_from_the_environment() {
    if !aiosmtpd_available() {
        return;
    }
    let s = Scratch::new();
    let port = free_port();
    let maildir = s.path("maildir");
    make_maildir(&maildir);
    let child = Command::new(PYTHON)
        .args(["-c", AUTH_SERVER])
        .arg(port.to_string())
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    let smtp = Aiosmtpd { child, maildir };
    wait_until("aiosmtpd to listen", LIMIT, || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let config = s.write(
        "notify.toml",
        &email_config(port, "").replace(
            "security = \"none\"",
            "security = \"none\"\nusername = \"alerts\"\npassword_env = \"TEST_SMTP_PASSWORD\"",
        ),
    );
    // A wrong password: refused for good (535), reported, nothing sent.
    let log = s.write("logs/auth.log", &brute_force_log(&ips(1)));
    let mut args = watch_args(&s, &config, &log);
    args[3] = s.s("state-wrong");
    let w = start_watch(&args, &[("TEST_SMTP_PASSWORD", "wrong")]);
    wait_until("the refusal to be reported", LIMIT, || {
        w.stderr_has("GAVE UP")
    });
    let (code, _, _) = w.stop();
    assert_eq!(code, Some(0));
    assert!(smtp.messages().is_empty());
    // The right one: delivered.
    args[3] = s.s("state-right");
    let w = start_watch(&args, &[("TEST_SMTP_PASSWORD", "pw-from-env")]);
    wait_until("a mail", LIMIT, || !smtp.messages().is_empty());
    let (code, _, err) = w.stop();
    assert_eq!(code, Some(0), "{err:?}");
    assert_eq!(smtp.messages().len(), 1);
    // No password in the environment: a clear error at start.
    let r = crate::common::run(&[
        "watch",
        "--config",
        &config,
        "--state-dir",
        &s.s("state-none"),
        &log,
    ]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("TEST_SMTP_PASSWORD"), "{}", r.stderr);
}

#[test]
fn our_smtp_sink_prints_the_mails_it_receives() {
    let s = Scratch::new();
    let port = free_port();
    let mut sink = bin()
        .args(["smtp-sink", "--listen", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let sink_out = collect(sink.stdout.take().unwrap());
    let _sink_err = collect(sink.stderr.take().unwrap());
    wait_until("smtp-sink to listen", LIMIT, || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let config = s.write("notify.toml", &email_config(port, ""));
    let log = s.write("logs/auth.log", &brute_force_log(&ips(1)));
    let w = start_watch(&watch_args(&s, &config, &log), &[]);
    wait_until("the sink to print a mail", LIMIT, || {
        sink_out
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("Subject: [LogSentinel]"))
    });
    let (code, _, err) = w.stop();
    assert_eq!(code, Some(0), "{err:?}");
    let _ = Command::new("sh")
        .args(["-c", &format!("kill -INT {}", sink.id())])
        .status();
    assert_eq!(wait_exit(&mut sink, LIMIT), Some(0));
    let printed = sink_out.lock().unwrap().join("\n");
    assert!(printed.contains("oncall@example.test"), "{printed}");
    assert!(printed.contains("203.0.113.1"), "{printed}");
    assert!(printed.contains("T1110"), "{printed}");
}

/// What the webhook receiver got: (headers lower-cased, body).
type Received = Arc<Mutex<Vec<(Vec<(String, String)>, Vec<u8>)>>>;

/// A minimal HTTP/1.1 receiver on loopback: records each request and
/// answers 200.
fn webhook_receiver() -> (u16, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got: Received = Arc::new(Mutex::new(Vec::new()));
    let g = Arc::clone(&got);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut r = BufReader::new(conn.try_clone().unwrap());
            let mut headers = Vec::new();
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                continue;
            }
            loop {
                line.clear();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                }
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            if r.read_exact(&mut body).is_err() {
                continue;
            }
            g.lock().unwrap().push((headers, body));
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    (port, got)
}

#[test]
fn webhooks_carry_the_alert_contract_and_a_valid_signature() {
    let s = Scratch::new();
    let (port, got) = webhook_receiver();
    let config = s.write(
        "notify.toml",
        &format!(
            r#"[notify]
min_severity = "medium"
[[notify.webhook]]
name = "ops"
url = "http://127.0.0.1:{port}/hook"
format = "json"
secret_env = "TEST_WEBHOOK_SECRET"
[[notify.webhook]]
name = "chat"
url = "http://127.0.0.1:{port}/slack"
format = "slack"
"#
        ),
    );
    let log = s.write("logs/auth.log", &brute_force_log(&ips(1)));
    let w = start_watch(
        &watch_args(&s, &config, &log),
        &[("TEST_WEBHOOK_SECRET", "s3cret")],
    );
    wait_until("two webhook posts", LIMIT, || {
        got.lock().unwrap().len() >= 2
    });
    let (code, out, err) = w.stop();
    assert_eq!(code, Some(0), "{err:?}");
    let alerts = opened(&out);
    let got = got.lock().unwrap();
    let header = |h: &[(String, String)], k: &str| {
        h.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (json_req, slack_req) = if header(&got[0].0, "x-logsentinel-signature").is_empty() {
        (&got[1], &got[0])
    } else {
        (&got[0], &got[1])
    };
    // Generic JSON: the alert contract, signed.
    let body: Value = serde_json::from_slice(&json_req.1).unwrap();
    assert_eq!(body["event"]["id"], alerts[0]["event"]["id"]);
    assert_eq!(body["source"]["ip"], "203.0.113.1");
    assert!(body["threat"]["technique"].is_array());
    let ts = header(&json_req.0, "x-logsentinel-timestamp");
    let sig = header(&json_req.0, "x-logsentinel-signature");
    let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(&json_req.1);
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sig, format!("sha256={want}"));
    assert!(header(&json_req.0, "content-type").starts_with("application/json"));
    // Slack: text and blocks, no signature (no secret), markup escaped.
    let slack: Value = serde_json::from_slice(&slack_req.1).unwrap();
    assert!(slack["text"].as_str().unwrap().contains("203.0.113.1"));
    assert!(slack["blocks"].is_array());
    assert!(!String::from_utf8_lossy(&slack_req.1).contains("<script>"));
    assert!(header(&slack_req.0, "x-logsentinel-signature").is_empty());
}

#[test]
fn smtp_down_then_back_after_a_restart_delivers_every_alert_exactly_once() {
    if !aiosmtpd_available() {
        return;
    }
    let s = Scratch::new();
    let port = free_port();
    let config = s.write("notify.toml", &email_config(port, "rate_limit = 100"));
    let log = s.write("logs/auth.log", &brute_force_log(&ips(3)));
    let args = watch_args(&s, &config, &log);
    // Run 1: SMTP down. Alerts are raised, deliveries fail and are kept.
    let w = start_watch(&args, &[]);
    wait_until("three alerts and a failed delivery", LIMIT, || {
        opened(&w.out.lock().unwrap()).len() >= 3 && w.stderr_has("retry")
    });
    let (code, out, err) = w.stop();
    assert_eq!(code, Some(0), "{err:?}");
    let mut want: Vec<String> = opened(&out)
        .iter()
        .map(|a| a["event"]["id"].as_str().unwrap().to_string())
        .collect();
    want.sort();
    assert_eq!(want.len(), 3);
    // SMTP back; run 2 resumes the queue (no new lines to read).
    let smtp = Aiosmtpd::start(port, &s.path("maildir"));
    let w = start_watch(&args, &[]);
    wait_until("three mails", Duration::from_secs(30), || {
        smtp.messages().len() >= 3
    });
    // Give a duplicate the time to show up, then stop.
    std::thread::sleep(Duration::from_millis(1500));
    let (code, out2, err) = w.stop();
    assert_eq!(code, Some(0), "{err:?}");
    assert!(opened(&out2).is_empty(), "no line read twice: {out2:?}");
    // And a third start finds nothing left to send.
    let w = start_watch(&args, &[]);
    std::thread::sleep(Duration::from_millis(1500));
    let (code, _, err) = w.stop();
    assert_eq!(code, Some(0), "{err:?}");
    let mut got: Vec<String> = smtp
        .messages()
        .iter()
        .map(|m| {
            m.header("X-LogSentinel-Alert")
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    got.sort();
    assert_eq!(got, want, "every alert exactly once");
}

#[test]
fn a_storm_of_alerts_makes_a_handful_of_mails() {
    if !aiosmtpd_available() {
        return;
    }
    let s = Scratch::new();
    let port = free_port();
    let smtp = Aiosmtpd::start(port, &s.path("maildir"));
    let config = s.write(
        "notify.toml",
        &email_config(port, "rate_limit = 5\nrate_window = \"1m\""),
    );
    // 1000 sources brute-forcing within an hour of log time, read in a
    // second or two of wall time.
    let log = s.write("logs/auth.log", &brute_force_log(&ips(1000)));
    let w = start_watch(&watch_args(&s, &config, &log), &[]);
    wait_until("1000 alerts", Duration::from_secs(60), || {
        opened(&w.out.lock().unwrap()).len() >= 1000
    });
    // Let the last ones reach the notifier before stopping.
    std::thread::sleep(Duration::from_millis(500));
    let alerts_total = opened(&w.out.lock().unwrap())
        .iter()
        .filter(|a| a["event"]["risk_score"].as_u64().unwrap_or(0) >= 20)
        .count();
    // Shutdown sends the digest of what the rate limit held back.
    let (code, _, err) = w.stop();
    assert_eq!(code, Some(0), "{err:?}");
    let mails = smtp.messages();
    assert!(
        (2..=7).contains(&mails.len()),
        "a handful of mails, not {}: {:?}",
        mails.len(),
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let digest = mails
        .iter()
        .find(|m| m.subject.to_lowercase().contains("digest"))
        .unwrap_or_else(|| {
            panic!(
                "a digest of the rest: {:?}",
                mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
            )
        });
    // Every alert is in a mail: the ones sent alone plus the digest's count.
    let alone = mails.len() - 1;
    assert!(
        digest
            .text
            .contains(&format!("{} alerts", alerts_total - alone)),
        "{}",
        digest.text
    );
    assert!(digest.html_has_no_markup_from_logs());
}

#[test]
fn demo_shows_alerts_and_a_received_mail() {
    let mut child = bin()
        .args(["demo", "--duration", "25"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = collect(child.stdout.take().unwrap());
    let err = collect(child.stderr.take().unwrap());
    let started = Instant::now();
    wait_until(
        "an alert and a mail from demo",
        Duration::from_secs(30),
        || {
            let o = out.lock().unwrap();
            let alert = o
                .iter()
                .any(|l| l.contains("HIGH") || l.contains("CRITICAL"));
            let mail = o.iter().any(|l| l.contains("Subject: [LogSentinel]"));
            alert && mail
        },
    );
    let seen_after = started.elapsed();
    let _ = Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status();
    let code = wait_exit(&mut child, LIMIT);
    assert_eq!(code, Some(0), "{:?}", err.lock().unwrap());
    assert!(seen_after < Duration::from_secs(30));
}

#[test]
fn notify_test_reports_each_channel() {
    let s = Scratch::new();
    let port = free_port();
    let mut sink = bin()
        .args([
            "smtp-sink",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--count",
            "1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sink_out = collect(sink.stdout.take().unwrap());
    wait_until("smtp-sink to listen", LIMIT, || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let dead = free_port();
    let config = s.write(
        "notify.toml",
        &format!(
            "{}\n[[notify.webhook]]\nname = \"down\"\nurl = \"http://127.0.0.1:{dead}/\"\ntimeout = \"2s\"\n",
            email_config(port, "")
        ),
    );
    let r = crate::common::run(&["notify-test", "--config", &config]);
    assert_eq!(r.code, Some(1), "one channel is down: {}", r.stdout);
    assert!(r.stdout.contains("email: delivered"), "{}", r.stdout);
    assert!(
        r.stdout.contains("down: FAILED (retryable)"),
        "{}",
        r.stdout
    );
    assert_eq!(wait_exit(&mut sink, LIMIT), Some(0));
    let printed = sink_out.lock().unwrap().join("\n");
    assert!(printed.contains("TEST: SSH brute force"), "{printed}");
    assert!(printed.contains("192.0.2.1"), "{printed}");
    // No channel at all: a usage error.
    let empty = s.write("empty.toml", "[notify]\nmin_severity = \"high\"\n");
    let r = crate::common::run(&["notify-test", "--config", &empty]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("no notification channel"), "{}", r.stderr);
}
