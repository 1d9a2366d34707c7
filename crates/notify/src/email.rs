//! Email delivery over SMTP with `lettre` (blocking transport, rustls):
//! plain, STARTTLS (required, not opportunistic) or implicit TLS, optional
//! authentication with the password from an environment variable.
//!
//! Each notification is one `multipart/alternative` mail (text and HTML
//! parts, `render::email`) with a stable `Message-ID:
//! <{notification key}@logsentinel>`, so a mail retried after a lost answer
//! can be recognised as the same one, and `X-LogSentinel-Alert: <alert id>`
//! (`X-LogSentinel-Digest: <key>` for a digest). A connection is opened per
//! mail; the configured timeout bounds the connection and every command.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};

use logsentinel_detect::alert::Severity;

use crate::channel::{Channel, DeliveryError};
use crate::config::{EmailConfig, Security};
use crate::error::NotifyError;
use crate::message::{Notification, token};
use crate::render;

/// The email channel.
pub struct EmailChannel {
    transport: SmtpTransport,
    from: Mailbox,
    to: Vec<Mailbox>,
    subject: String,
    dashboard_url: Option<String>,
    min: Severity,
}

fn channel_err(reason: impl Into<String>) -> NotifyError {
    NotifyError::Channel {
        channel: "email".into(),
        reason: reason.into(),
    }
}

impl EmailChannel {
    /// A channel for `cfg`; the password is read from `password_env` when a
    /// username is set. Without a `min_severity`, `high`.
    pub fn new(
        cfg: &EmailConfig,
        dashboard_url: Option<&str>,
    ) -> Result<EmailChannel, NotifyError> {
        let password = cfg.password()?;
        EmailChannel::with_password(cfg, dashboard_url, password)
    }

    /// `new`, with the password given rather than read from the environment.
    pub fn with_password(
        cfg: &EmailConfig,
        dashboard_url: Option<&str>,
        password: Option<String>,
    ) -> Result<EmailChannel, NotifyError> {
        let security = cfg.security()?;
        let port = cfg.port()?;
        let timeout = cfg.timeout()?;
        let min = cfg.min_severity_or(Severity::High)?;
        let server = cfg.server.trim();
        if server.is_empty() {
            return Err(channel_err("notify.email.server is missing"));
        }
        let tls_err = |e: lettre::transport::smtp::Error| {
            channel_err(format!("cannot set up TLS for {server}: {e}"))
        };
        let mut builder = match security {
            Security::None => SmtpTransport::builder_dangerous(server),
            Security::StartTls => SmtpTransport::starttls_relay(server).map_err(tls_err)?,
            Security::Tls => SmtpTransport::relay(server).map_err(tls_err)?,
        }
        .port(port)
        .timeout(Some(timeout));
        if let (Some(path), false) = (&cfg.ca_file, security == Security::None) {
            let pem = std::fs::read(path).map_err(|e| {
                channel_err(format!("cannot read ca_file '{}': {e}", path.display()))
            })?;
            let cert = Certificate::from_pem(&pem).map_err(|e| {
                channel_err(format!(
                    "ca_file '{}': not a PEM certificate: {e}",
                    path.display()
                ))
            })?;
            let params = TlsParameters::builder(server.to_string())
                .add_root_certificate(cert)
                .build_rustls()
                .map_err(tls_err)?;
            builder = builder.tls(match security {
                Security::Tls => Tls::Wrapper(params),
                _ => Tls::Required(params),
            });
        }
        match (&cfg.username, password) {
            (Some(user), Some(pass)) => {
                builder = builder.credentials(Credentials::new(user.clone(), pass));
            }
            (Some(_), None) => {
                return Err(channel_err("a username is set but no password was given"));
            }
            (None, _) => {}
        }
        let from: Mailbox = cfg
            .from
            .parse()
            .map_err(|e| channel_err(format!("invalid from address '{}': {e}", cfg.from)))?;
        let to = cfg
            .to
            .iter()
            .map(|t| {
                t.parse::<Mailbox>()
                    .map_err(|e| channel_err(format!("invalid to address '{t}': {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if to.is_empty() {
            return Err(channel_err("no recipients (notify.email.to)"));
        }
        Ok(EmailChannel {
            transport: builder.build(),
            from,
            to,
            subject: cfg.subject.clone(),
            dashboard_url: dashboard_url.map(str::to_string),
            min,
        })
    }

    /// The mail of `n`.
    pub fn message(&self, n: &Notification) -> Result<Message, DeliveryError> {
        let r = render::email(n, &self.subject, self.dashboard_url.as_deref());
        let key = n.key();
        let id = if key.is_empty() {
            "unknown"
        } else {
            key.as_str()
        };
        let (name, value) = match n {
            Notification::Alert(a) => ("X-LogSentinel-Alert", token(&a.alert_id)),
            Notification::Digest(_) => ("X-LogSentinel-Digest", id.to_string()),
        };
        let mut b = Message::builder()
            .from(self.from.clone())
            .subject(r.subject)
            .message_id(Some(format!("<{id}@logsentinel>")))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(name),
                value,
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".into(),
            ));
        for to in &self.to {
            b = b.to(to.clone());
        }
        b.multipart(MultiPart::alternative_plain_html(r.text, r.html))
            .map_err(|e| DeliveryError::permanent(format!("cannot build the mail: {e}")))
    }
}

impl Channel for EmailChannel {
    fn name(&self) -> &str {
        "email"
    }

    fn min_severity(&self) -> Severity {
        self.min
    }

    fn deliver(&self, n: &Notification) -> Result<(), DeliveryError> {
        let msg = self.message(n)?;
        match self.transport.send(&msg) {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(DeliveryError::permanent(format!("SMTP: {e}"))),
            Err(e) => Err(DeliveryError::retryable(format!("SMTP: {e}"))),
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

    /// What the test SMTP server received in one session.
    #[derive(Debug, Default)]
    struct Session {
        commands: Vec<String>,
        data: String,
    }

    /// A minimal SMTP responder on loopback: one session, answering
    /// `rcpt_code` to RCPT.
    fn smtp_server(rcpt_code: u16) -> (u16, mpsc::Receiver<Session>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut r = BufReader::new(stream.try_clone().unwrap());
            let mut w = stream;
            let mut s = Session::default();
            w.write_all(b"220 test ESMTP\r\n").unwrap();
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap() == 0 {
                    break;
                }
                let cmd = line.trim_end().to_string();
                s.commands.push(cmd.clone());
                let verb = cmd.split(' ').next().unwrap_or("").to_ascii_uppercase();
                let reply = match verb.as_str() {
                    "EHLO" | "HELO" => "250 test\r\n".to_string(),
                    "MAIL" => "250 OK\r\n".to_string(),
                    "RCPT" => format!(
                        "{rcpt_code} {}\r\n",
                        if rcpt_code == 250 {
                            "OK"
                        } else {
                            "no such user"
                        }
                    ),
                    "DATA" => {
                        w.write_all(b"354 go on\r\n").unwrap();
                        loop {
                            let mut l = String::new();
                            if r.read_line(&mut l).unwrap() == 0 || l == ".\r\n" {
                                break;
                            }
                            s.data.push_str(&l);
                        }
                        "250 queued\r\n".to_string()
                    }
                    "QUIT" => {
                        w.write_all(b"221 bye\r\n").unwrap();
                        break;
                    }
                    _ => "502 no\r\n".to_string(),
                };
                w.write_all(reply.as_bytes()).unwrap();
            }
            tx.send(s).unwrap();
        });
        (port, rx)
    }

    fn config(port: u16) -> EmailConfig {
        EmailConfig {
            server: "127.0.0.1".into(),
            port: Some(port),
            security: "none".into(),
            from: "LogSentinel <alerts@example.com>".into(),
            to: vec![
                "oncall@example.com".into(),
                "Sec Team <sec@example.com>".into(),
            ],
            timeout: "5s".into(),
            ..EmailConfig::default()
        }
    }

    #[test]
    fn sends_a_two_part_mail_over_smtp() {
        let (port, rx) = smtp_server(250);
        let ch = EmailChannel::new(&config(port), Some("https://sentinel.example.com")).unwrap();
        assert_eq!((ch.name(), ch.min_severity()), ("email", Severity::High));
        ch.deliver(&Notification::Alert(sample_note())).unwrap();
        let s = rx.recv().unwrap();
        assert!(
            s.commands
                .iter()
                .any(|c| c == "MAIL FROM:<alerts@example.com>"),
            "{:?}",
            s.commands
        );
        assert!(
            s.commands
                .iter()
                .any(|c| c == "RCPT TO:<oncall@example.com>")
        );
        assert!(s.commands.iter().any(|c| c == "RCPT TO:<sec@example.com>"));
        assert_eq!(s.commands.last().map(String::as_str), Some("QUIT"));

        let raw = &s.data;
        assert!(
            raw.contains("Subject: [LogSentinel] HIGH SSH brute force from 203.0.113.7\r\n"),
            "{raw}"
        );
        assert!(
            raw.contains("To: oncall@example.com, \"Sec Team\" <sec@example.com>"),
            "{raw}"
        );
        assert!(raw.contains("Message-ID: <0123456789abcdef0123456789abcdef@logsentinel>"));
        assert!(raw.contains("X-LogSentinel-Alert: 0123456789abcdef0123456789abcdef"));
        assert!(raw.contains("Content-Type: multipart/alternative"));
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(raw.contains("Content-Type: text/html; charset=utf-8"));

        let msg = mail_parser::MessageParser::default()
            .parse(raw.as_bytes())
            .unwrap();
        let html = msg.body_html(0).unwrap();
        let text = msg.body_text(0).unwrap();
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
        assert!(
            text.contains("User:         <script>alert(1)</script>"),
            "{text}"
        );
        assert!(html.contains("https://sentinel.example.com/incidents/inc0123"));
        assert_eq!(
            msg.message_id(),
            Some("0123456789abcdef0123456789abcdef@logsentinel")
        );
    }

    #[test]
    fn digest_mail_and_refused_recipients() {
        let (port, rx) = smtp_server(550);
        let ch = EmailChannel::new(&config(port), None).unwrap();
        let n = Notification::Digest(sample_digest());
        let m = String::from_utf8(ch.message(&n).unwrap().formatted()).unwrap();
        assert!(
            m.contains("Message-ID: <digest.ops.20240115T103102250Z@logsentinel>"),
            "{m}"
        );
        assert!(m.contains("X-LogSentinel-Digest: digest.ops.20240115T103102250Z"));
        let e = ch.deliver(&n).unwrap_err();
        assert!(e.permanent, "{e:?}");
        assert!(
            e.reason.starts_with("SMTP:") && e.reason.contains("no such user"),
            "{}",
            e.reason
        );
        rx.recv().unwrap();
    }

    #[test]
    fn unreachable_server_is_retryable_and_setup_errors_are_clear() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let ch = EmailChannel::new(&config(port), None).unwrap();
        let e = ch.deliver(&Notification::Alert(sample_note())).unwrap_err();
        assert!(!e.permanent, "{e:?}");

        let mut cfg = config(port);
        cfg.username = Some("alerts".into());
        cfg.password_env = Some("LOGSENTINEL_NOTIFY_TEST_SURELY_UNSET_VARIABLE".into());
        let err = EmailChannel::new(&cfg, None).err().unwrap().to_string();
        assert!(
            err.contains("LOGSENTINEL_NOTIFY_TEST_SURELY_UNSET_VARIABLE is not set"),
            "{err}"
        );
        assert!(EmailChannel::with_password(&cfg, None, Some("pw".into())).is_ok());
        cfg.security = "tls".into();
        cfg.port = None;
        assert!(EmailChannel::with_password(&cfg, None, Some("pw".into())).is_ok());
        cfg.to = vec!["not an address".into()];
        let err = EmailChannel::with_password(&cfg, None, Some("pw".into()))
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .contains("invalid to address 'not an address'"),
            "{err}"
        );
    }
}
