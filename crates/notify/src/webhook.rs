//! Webhook delivery: one HTTP POST per notification, with `ureq` (blocking,
//! rustls).
//!
//! The body is the alert contract JSON (`format = "json"`,
//! `render::webhook_json`) or a Slack incoming-webhook payload
//! (`format = "slack"`, `render::slack`). Headers:
//!
//! - `Content-Type: application/json`
//! - `User-Agent: logsentinel/<version>`
//! - `X-LogSentinel-Event: alert` or `digest`
//! - with `secret_env` set: `X-LogSentinel-Timestamp: <unix seconds>` and
//!   `X-LogSentinel-Signature: sha256=<hex>`, the HMAC-SHA256, keyed with
//!   the secret, of `<timestamp>.<body>` (the timestamp header's value, a
//!   dot, then the raw body bytes).
//!
//! # Verifying a request (receiver side)
//!
//! 1. Read the raw body bytes before parsing them.
//! 2. Compute `HMAC-SHA256(secret, timestamp + "." + body)` and its
//!    lower-case hex; compare it with the signature header after `sha256=`,
//!    in constant time.
//! 3. Refuse timestamps more than a few minutes from your clock, so a
//!    captured request cannot be replayed later. A retried delivery is
//!    signed afresh with a new timestamp; de-duplicate on `event.id` (alerts)
//!    or `channel` + `from` (digests).
//!
//! Any 2xx answer is a success. 408, 429, 5xx, timeouts and network errors
//! are retried; other answers (4xx, redirects, which are not followed) are
//! permanent failures.

use std::io::Read as _;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use logsentinel_detect::alert::Severity;

use crate::channel::{Channel, DeliveryError, one_line};
use crate::config::{WebhookConfig, WebhookFormat};
use crate::error::NotifyError;
use crate::message::Notification;
use crate::render;

/// Bytes of an error answer quoted in the failure reason.
const MAX_ERROR_BODY: u64 = 512;

/// `sha256=<hex>`: HMAC-SHA256 of `<timestamp>.<body>` keyed with `secret`.
pub fn signature(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let mut out = String::from("sha256=");
    for b in mac.finalize().into_bytes() {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A webhook channel.
pub struct WebhookChannel {
    name: String,
    url: String,
    format: WebhookFormat,
    secret: Option<Vec<u8>>,
    min: Severity,
    dashboard_url: Option<String>,
    timeout_secs: u64,
    agent: ureq::Agent,
}

impl WebhookChannel {
    /// A channel for `cfg`; the secret is read from `secret_env`. Without a
    /// `name` the channel is called `webhook`; without a `min_severity`,
    /// `high`.
    pub fn new(
        cfg: &WebhookConfig,
        dashboard_url: Option<&str>,
    ) -> Result<WebhookChannel, NotifyError> {
        let secret = cfg.secret()?;
        WebhookChannel::with_secret(cfg, dashboard_url, secret.map(String::into_bytes))
    }

    /// `new`, with the secret given rather than read from the environment.
    pub fn with_secret(
        cfg: &WebhookConfig,
        dashboard_url: Option<&str>,
        secret: Option<Vec<u8>>,
    ) -> Result<WebhookChannel, NotifyError> {
        let name = cfg.name.clone().unwrap_or_else(|| "webhook".into());
        let bad = |e: NotifyError| NotifyError::Channel {
            channel: name.clone(),
            reason: match e {
                NotifyError::Config(m) => m,
                other => other.to_string(),
            },
        };
        let format = cfg.format().map_err(bad)?;
        let timeout = cfg.timeout().map_err(bad)?;
        let min = cfg.min_severity_or(Severity::High).map_err(bad)?;
        let uri: ureq::http::Uri = cfg.url.parse().map_err(|e| NotifyError::Channel {
            channel: name.clone(),
            reason: format!("invalid URL '{}': {e}", cfg.url),
        })?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(NotifyError::Channel {
                channel: name,
                reason: format!(
                    "invalid URL '{}': must start with http:// or https://",
                    cfg.url
                ),
            });
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(format!("logsentinel/{}", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Ok(WebhookChannel {
            name,
            url: cfg.url.clone(),
            format,
            secret: secret.filter(|s| !s.is_empty()),
            min,
            dashboard_url: dashboard_url.map(str::to_string),
            timeout_secs: timeout.as_secs(),
            agent,
        })
    }

    /// The request body of `n`.
    pub fn body(&self, n: &Notification) -> Vec<u8> {
        let v = match self.format {
            WebhookFormat::Json => render::webhook_json(n),
            WebhookFormat::Slack => render::slack(n, self.dashboard_url.as_deref()),
        };
        // Serialising a `Value` cannot fail.
        serde_json::to_vec(&v).unwrap_or_default()
    }
}

/// The failure of an answered request, by status.
fn status_failure(status: u16, reason: &str, body: &str) -> DeliveryError {
    let mut what = format!("HTTP {status}");
    if !reason.is_empty() {
        what.push(' ');
        what.push_str(reason);
    }
    let body = one_line(body);
    if !body.is_empty() {
        what.push_str(": ");
        what.push_str(&body);
    }
    match status {
        408 | 429 => DeliveryError::retryable(what),
        300..=399 => DeliveryError::permanent(format!(
            "{what} (redirects are not followed; configure the final URL)"
        )),
        400..=499 => DeliveryError::permanent(what),
        _ => DeliveryError::retryable(what),
    }
}

impl Channel for WebhookChannel {
    fn name(&self) -> &str {
        &self.name
    }

    fn min_severity(&self) -> Severity {
        self.min
    }

    fn deliver(&self, n: &Notification) -> Result<(), DeliveryError> {
        let body = self.body(n);
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("X-LogSentinel-Event", n.kind());
        if let Some(secret) = &self.secret {
            let ts = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            req = req
                .header("X-LogSentinel-Timestamp", ts.to_string())
                .header("X-LogSentinel-Signature", signature(secret, ts, &body));
        }
        match req.send(&body[..]) {
            Ok(mut resp) => {
                let status = resp.status();
                if status.is_success() {
                    return Ok(());
                }
                let mut raw = Vec::new();
                let _ = resp
                    .body_mut()
                    .as_reader()
                    .take(MAX_ERROR_BODY)
                    .read_to_end(&mut raw);
                Err(status_failure(
                    status.as_u16(),
                    status.canonical_reason().unwrap_or(""),
                    &String::from_utf8_lossy(&raw),
                ))
            }
            Err(e) => Err(match e {
                ureq::Error::Timeout(_) => {
                    DeliveryError::retryable(format!("no answer within {}s", self.timeout_secs))
                }
                ureq::Error::BadUri(_)
                | ureq::Error::Http(_)
                | ureq::Error::InvalidProxyUrl
                | ureq::Error::RequireHttpsOnly(_) => DeliveryError::permanent(e.to_string()),
                other => DeliveryError::retryable(other.to_string()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::tests::{sample_digest, sample_note};
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::mpsc;

    /// A request as the test server saw it.
    struct Seen {
        request_line: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Seen {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }
    }

    /// An HTTP/1.1 server on loopback answering one request per status in
    /// `statuses`, then stopping.
    fn serve(statuses: Vec<u16>) -> (String, mpsc::Receiver<Seen>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for status in statuses {
                let (stream, _) = listener.accept().unwrap();
                let mut r = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                r.read_line(&mut request_line).unwrap();
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    r.read_line(&mut line).unwrap();
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    let (k, v) = line.split_once(':').unwrap();
                    headers.push((k.trim().to_string(), v.trim().to_string()));
                }
                let len: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .map(|(_, v)| v.parse().unwrap())
                    .unwrap();
                let mut body = vec![0; len];
                r.read_exact(&mut body).unwrap();
                let answer = format!("status {status}\n\x1b[2Jdetail");
                let mut w = stream;
                write!(
                    w,
                    "HTTP/1.1 {status} Whatever\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                )
                .unwrap();
                w.flush().unwrap();
                tx.send(Seen {
                    request_line: request_line.trim_end().to_string(),
                    headers,
                    body,
                })
                .unwrap();
            }
        });
        (url, rx)
    }

    fn config(url: &str, format: &str) -> WebhookConfig {
        WebhookConfig {
            name: Some("ops".into()),
            url: url.into(),
            format: format.into(),
            timeout: "2s".into(),
            ..WebhookConfig::default()
        }
    }

    #[test]
    fn signature_matches_a_hand_computed_hmac() {
        // Computed independently: HMAC-SHA256(key "s3cret", "1700000000.{\"a\":1}").
        assert_eq!(
            signature(b"s3cret", 1_700_000_000, br#"{"a":1}"#),
            "sha256=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940"
        );
        assert_ne!(
            signature(b"s3cret", 1_700_000_001, br#"{"a":1}"#),
            signature(b"s3cret", 1_700_000_000, br#"{"a":1}"#)
        );
    }

    #[test]
    fn posts_signed_json_and_classifies_answers() {
        let (url, seen) = serve(vec![200, 500, 400, 429, 301]);
        let ch = WebhookChannel::with_secret(&config(&url, "json"), None, Some(b"s3cret".to_vec()))
            .unwrap();
        assert_eq!(ch.name(), "ops");
        assert_eq!(ch.min_severity(), Severity::High);
        let n = Notification::Alert(sample_note());
        ch.deliver(&n).unwrap();
        let req = seen.recv().unwrap();
        assert_eq!(req.request_line, "POST /hook HTTP/1.1");
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(
            req.header("user-agent"),
            Some(format!("logsentinel/{}", env!("CARGO_PKG_VERSION")).as_str())
        );
        assert_eq!(req.header("x-logsentinel-event"), Some("alert"));
        let ts: u64 = req
            .header("x-logsentinel-timestamp")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            req.header("x-logsentinel-signature").unwrap(),
            signature(b"s3cret", ts, &req.body)
        );
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["event"]["id"], "0123456789abcdef0123456789abcdef");
        assert_eq!(body["incident"]["chain"], "reconnaissance → initial_access");
        assert_eq!(body["user"]["name"], "<script>alert(1)</script>");

        let e = ch.deliver(&n).unwrap_err();
        assert!(!e.permanent, "{e:?}");
        assert!(
            e.reason
                .starts_with("HTTP 500 Internal Server Error: status 500"),
            "{}",
            e.reason
        );
        assert!(!e.reason.contains('\x1b'));
        seen.recv().unwrap();
        let e = ch.deliver(&n).unwrap_err();
        assert!(e.permanent, "{e:?}");
        assert!(e.reason.starts_with("HTTP 400"));
        seen.recv().unwrap();
        assert!(!ch.deliver(&n).unwrap_err().permanent, "429 is retried");
        seen.recv().unwrap();
        let e = ch.deliver(&n).unwrap_err();
        assert!(
            e.permanent && e.reason.contains("redirects are not followed"),
            "{e:?}"
        );
        seen.recv().unwrap();
    }

    #[test]
    fn slack_format_and_digests_without_secret() {
        let (url, seen) = serve(vec![204]);
        let ch =
            WebhookChannel::with_secret(&config(&url, "slack"), Some("https://d.example"), None)
                .unwrap();
        ch.deliver(&Notification::Digest(sample_digest())).unwrap();
        let req = seen.recv().unwrap();
        assert_eq!(req.header("x-logsentinel-event"), Some("digest"));
        assert!(req.header("x-logsentinel-signature").is_none());
        assert!(req.header("x-logsentinel-timestamp").is_none());
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["text"], "LogSentinel digest: 75 alerts");
        assert!(body["blocks"].is_array());
    }

    #[test]
    fn network_failures_are_retryable() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let ch = WebhookChannel::with_secret(
            &config(&format!("http://127.0.0.1:{port}/x"), "json"),
            None,
            None,
        )
        .unwrap();
        let e = ch.deliver(&Notification::Alert(sample_note())).unwrap_err();
        assert!(!e.permanent, "{e:?}");

        // A server that accepts and never answers: the timeout.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut cfg = config(&format!("http://{}/x", l.local_addr().unwrap()), "json");
        cfg.timeout = "1s".into();
        let ch = WebhookChannel::with_secret(&cfg, None, None).unwrap();
        let e = ch.deliver(&Notification::Alert(sample_note())).unwrap_err();
        assert!(!e.permanent && e.reason.contains("within 1s"), "{e:?}");
        drop(l);

        let bad = WebhookChannel::with_secret(&config("ftp://x/y", "json"), None, None);
        assert!(matches!(bad, Err(NotifyError::Channel { .. })));
    }
}
