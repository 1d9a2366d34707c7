//! The `[notify]` section of `logsentinel.toml`: channels (email, webhooks),
//! who gets what (minimum severity), and how much (de-duplication, rate
//! limit, retries).
//!
//! The structs are plain serde data with string fields for durations and
//! severities, so a typo is reported by [`NotifyConfig::validate`] with the
//! key it belongs to rather than as a parse error deep in TOML. The typed
//! accessors (`dedup_window()`, `security()`, ...) are what the rest of the
//! crate uses; they return the same errors.

use std::time::Duration;

use logsentinel_detect::alert::Severity;
use logsentinel_detect::config::parse_duration;
use serde::Deserialize;

use crate::error::NotifyError;

/// Placeholders an email subject template may use.
pub const SUBJECT_PLACEHOLDERS: [&str; 8] = [
    "severity", "score", "rule", "source", "user", "count", "host", "incident",
];

/// Longest accepted timeout of one delivery attempt.
const MAX_TIMEOUT: Duration = Duration::from_secs(300);

/// `[notify]`: notifications of alerts. No channel configured = off.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// Lowest severity notified, for every channel without its own
    /// `min_severity`: `low`, `medium`, `high` (default) or `critical`.
    pub min_severity: String,
    /// Base URL of the dashboard; incident links are
    /// `{dashboard_url}/incidents/{id}`. Optional.
    pub dashboard_url: Option<String>,
    /// An incident (or, without one, a rule and group key) already notified
    /// within this window is folded into the digest unless its score rose
    /// (default `1h`).
    pub dedup_window: String,
    /// Individual messages per channel per `rate_window`; beyond, alerts go
    /// into the channel's digest (default 5).
    pub rate_limit: u32,
    /// The rate-limit window, also the digest period (default `1m`).
    pub rate_window: String,
    /// Delivery attempts of one message before it is marked dead (kept in
    /// the queue and reported) (default 10).
    pub max_attempts: u32,
    /// `[notify.email]`: present = email enabled.
    pub email: Option<EmailConfig>,
    /// `[[notify.webhook]]`: any number of webhooks.
    pub webhook: Vec<WebhookConfig>,
}

impl Default for NotifyConfig {
    fn default() -> NotifyConfig {
        NotifyConfig {
            min_severity: "high".into(),
            dashboard_url: None,
            dedup_window: "1h".into(),
            rate_limit: 5,
            rate_window: "1m".into(),
            max_attempts: 10,
            email: None,
            webhook: Vec::new(),
        }
    }
}

/// `[notify.email]`: SMTP delivery.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    /// SMTP server host name (also the name its TLS certificate must carry).
    pub server: String,
    /// Port; default by security: `none` 25, `starttls` 587, `tls` 465.
    pub port: Option<u16>,
    /// `none` (plain; only for a local relay), `starttls` (default) or `tls`
    /// (implicit TLS, "SMTPS").
    pub security: String,
    /// Login name, when the server wants authentication; then
    /// `password_env` is required.
    pub username: Option<String>,
    /// Name of the environment variable holding the password (never the
    /// password itself in the file).
    pub password_env: Option<String>,
    /// Sender, `Name <address>` or `address`.
    pub from: String,
    /// Recipients (at least one).
    pub to: Vec<String>,
    /// Overrides `notify.min_severity` for email.
    pub min_severity: Option<String>,
    /// Subject template; placeholders `{severity} {score} {rule} {source}
    /// {user} {count} {host} {incident}`.
    pub subject: String,
    /// Timeout of the connection and of each SMTP command (default `10s`).
    pub timeout: String,
    /// A PEM file of CA certificates to trust for the server's TLS
    /// certificate besides the built-in web roots (an internal CA).
    pub ca_file: Option<std::path::PathBuf>,
}

impl Default for EmailConfig {
    fn default() -> EmailConfig {
        EmailConfig {
            server: String::new(),
            port: None,
            security: "starttls".into(),
            username: None,
            password_env: None,
            from: String::new(),
            to: Vec::new(),
            min_severity: None,
            subject: "[LogSentinel] {severity} {rule} from {source}".into(),
            timeout: "10s".into(),
            ca_file: None,
        }
    }
}

/// `[[notify.webhook]]`: an HTTP POST per notification.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// Channel name, in reports and in the queue (default `webhook-N`,
    /// N counting from 1). Letters, digits, `-` and `_`.
    pub name: Option<String>,
    /// `http://` or `https://` URL.
    pub url: String,
    /// `json` (the alert contract, default) or `slack` (incoming-webhook
    /// payload).
    pub format: String,
    /// Name of the environment variable holding the HMAC-SHA256 key; when
    /// set, requests carry `X-LogSentinel-Signature`.
    pub secret_env: Option<String>,
    /// Overrides `notify.min_severity` for this webhook.
    pub min_severity: Option<String>,
    /// Timeout of the whole request (default `5s`).
    pub timeout: String,
}

impl Default for WebhookConfig {
    fn default() -> WebhookConfig {
        WebhookConfig {
            name: None,
            url: String::new(),
            format: "json".into(),
            secret_env: None,
            min_severity: None,
            timeout: "5s".into(),
        }
    }
}

/// Transport security of the SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain text.
    None,
    /// Plain connection upgraded with STARTTLS; refused if the server
    /// cannot.
    StartTls,
    /// TLS from the first byte.
    Tls,
}

impl Security {
    /// The usual port of the mode.
    pub fn default_port(self) -> u16 {
        match self {
            Security::None => 25,
            Security::StartTls => 587,
            Security::Tls => 465,
        }
    }
}

/// Payload shape of a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    /// The alert contract JSON (`render::webhook_json`).
    Json,
    /// Slack incoming-webhook JSON (`render::slack`).
    Slack,
}

fn config_err(key: &str, why: impl std::fmt::Display) -> NotifyError {
    NotifyError::Config(format!("{key}: {why}"))
}

fn duration(key: &str, value: &str) -> Result<Duration, NotifyError> {
    parse_duration(value).map_err(|e| match e {
        logsentinel_detect::error::DetectError::Config(m) => config_err(key, m),
        other => config_err(key, other),
    })
}

fn severity(key: &str, value: &str) -> Result<Severity, NotifyError> {
    Severity::parse(value).ok_or_else(|| {
        config_err(
            key,
            format!("unknown severity '{value}' (use low, medium, high or critical)"),
        )
    })
}

fn timeout(key: &str, value: &str) -> Result<Duration, NotifyError> {
    let d = duration(key, value)?;
    if d.is_zero() || d > MAX_TIMEOUT {
        return Err(config_err(key, "must be between 1s and 5m"));
    }
    Ok(d)
}

/// Checks that `url` is an absolute `http(s)://host...` URL.
fn http_url(key: &str, url: &str) -> Result<(), NotifyError> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| config_err(key, format!("invalid URL '{url}': {e}")))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => {
            return Err(config_err(
                key,
                format!("invalid URL '{url}': must start with http:// or https://"),
            ));
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(config_err(key, format!("invalid URL '{url}': no host")));
    }
    Ok(())
}

/// A name usable as a channel name (and inside a Message-ID).
fn valid_channel_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Reads a secret from the environment: set, valid UTF-8, not empty.
pub(crate) fn env_secret(key: &str, var: &str) -> Result<String, NotifyError> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(v),
        Ok(_) => Err(config_err(
            key,
            format!("environment variable {var} is empty"),
        )),
        Err(std::env::VarError::NotPresent) => Err(config_err(
            key,
            format!("environment variable {var} is not set"),
        )),
        Err(std::env::VarError::NotUnicode(_)) => Err(config_err(
            key,
            format!("environment variable {var} is not valid UTF-8"),
        )),
    }
}

/// Checks a subject template: braces balanced, known placeholders only.
fn check_subject(key: &str, template: &str) -> Result<(), NotifyError> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = rest.get(open + 1..).unwrap_or("");
        let Some(close) = after.find('}') else {
            return Err(config_err(key, "unclosed '{' in the template"));
        };
        let name = after.get(..close).unwrap_or("");
        if !SUBJECT_PLACEHOLDERS.contains(&name) {
            return Err(config_err(
                key,
                format!(
                    "unknown placeholder {{{name}}} (use {})",
                    SUBJECT_PLACEHOLDERS
                        .iter()
                        .map(|p| format!("{{{p}}}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ));
        }
        rest = after.get(close + 1..).unwrap_or("");
    }
    Ok(())
}

impl NotifyConfig {
    /// Whether any channel is configured.
    pub fn is_enabled(&self) -> bool {
        self.email.is_some() || !self.webhook.is_empty()
    }

    /// The default minimum severity of the channels.
    pub fn min_severity(&self) -> Result<Severity, NotifyError> {
        severity("notify.min_severity", &self.min_severity)
    }

    pub fn dedup_window(&self) -> Result<Duration, NotifyError> {
        duration("notify.dedup_window", &self.dedup_window)
    }

    pub fn rate_window(&self) -> Result<Duration, NotifyError> {
        let d = duration("notify.rate_window", &self.rate_window)?;
        if d.is_zero() {
            return Err(config_err("notify.rate_window", "must be at least 1s"));
        }
        Ok(d)
    }

    /// The name of webhook `index` (0-based): its `name`, or `webhook-N`.
    pub fn webhook_name(&self, index: usize) -> String {
        self.webhook
            .get(index)
            .and_then(|w| w.name.clone())
            .unwrap_or_else(|| format!("webhook-{}", index + 1))
    }

    /// Checks the whole section, including that the environment variables
    /// it names are set. Every problem is listed, `; `-separated, each
    /// naming its key.
    pub fn validate(&self) -> Result<(), NotifyError> {
        let mut problems: Vec<String> = Vec::new();
        let mut note = |r: Result<(), NotifyError>| {
            if let Err(e) = r {
                problems.push(match e {
                    NotifyError::Config(m) => m,
                    other => other.to_string(),
                });
            }
        };
        note(self.min_severity().map(drop));
        note(self.dedup_window().map(drop));
        note(self.rate_window().map(drop));
        if self.rate_limit == 0 {
            note(Err(config_err("notify.rate_limit", "must be at least 1")));
        }
        if self.max_attempts == 0 {
            note(Err(config_err("notify.max_attempts", "must be at least 1")));
        }
        if let Some(url) = &self.dashboard_url {
            note(http_url("notify.dashboard_url", url));
        }
        if let Some(email) = &self.email {
            for p in email.problems() {
                note(Err(p));
            }
        }
        let mut names: Vec<String> = Vec::new();
        if self.email.is_some() {
            names.push("email".into());
        }
        for (i, w) in self.webhook.iter().enumerate() {
            let name = self.webhook_name(i);
            let prefix = format!("notify.webhook[{}]", i + 1);
            if !valid_channel_name(&name) {
                note(Err(config_err(
                    &format!("{prefix}.name"),
                    format!("'{name}' must be 1-64 letters, digits, '-' or '_'"),
                )));
            } else if names.contains(&name) {
                note(Err(config_err(
                    &format!("{prefix}.name"),
                    format!("channel name '{name}' is used twice"),
                )));
            }
            names.push(name);
            for p in w.problems(&prefix) {
                note(Err(p));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(NotifyError::Config(problems.join("; ")))
        }
    }
}

impl EmailConfig {
    pub fn security(&self) -> Result<Security, NotifyError> {
        match self.security.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Security::None),
            "starttls" => Ok(Security::StartTls),
            "tls" => Ok(Security::Tls),
            other => Err(config_err(
                "notify.email.security",
                format!("unknown value '{other}' (use none, starttls or tls)"),
            )),
        }
    }

    /// The port: `port`, or the default of the security mode.
    pub fn port(&self) -> Result<u16, NotifyError> {
        Ok(self.port.unwrap_or(self.security()?.default_port()))
    }

    pub fn timeout(&self) -> Result<Duration, NotifyError> {
        timeout("notify.email.timeout", &self.timeout)
    }

    /// The channel's minimum severity: its own, else `default`.
    pub fn min_severity_or(&self, default: Severity) -> Result<Severity, NotifyError> {
        self.min_severity
            .as_deref()
            .map_or(Ok(default), |s| severity("notify.email.min_severity", s))
    }

    /// The password from `password_env`, when a username is set.
    pub fn password(&self) -> Result<Option<String>, NotifyError> {
        if self.username.is_none() {
            return Ok(None);
        }
        match self.password_env.as_deref() {
            None | Some("") => Err(config_err(
                "notify.email.password_env",
                "required when username is set",
            )),
            Some(var) => env_secret("notify.email.password_env", var).map(Some),
        }
    }

    fn problems(&self) -> Vec<NotifyError> {
        let mut out = Vec::new();
        if self.server.trim().is_empty() {
            out.push(config_err("notify.email.server", "missing"));
        }
        if let Err(e) = self.security() {
            out.push(e);
        }
        if self.port == Some(0) {
            out.push(config_err("notify.email.port", "must not be 0"));
        }
        if let Err(e) = self.timeout() {
            out.push(e);
        }
        if let Some(Err(e)) = self
            .min_severity
            .as_deref()
            .map(|s| severity("notify.email.min_severity", s))
        {
            out.push(e);
        }
        if self.from.trim().is_empty() {
            out.push(config_err("notify.email.from", "missing"));
        } else if let Err(e) = self.from.parse::<lettre::message::Mailbox>() {
            out.push(config_err(
                "notify.email.from",
                format!("invalid address '{}': {e}", self.from),
            ));
        }
        if self.to.is_empty() {
            out.push(config_err(
                "notify.email.to",
                "at least one recipient is needed",
            ));
        }
        for to in &self.to {
            if let Err(e) = to.parse::<lettre::message::Mailbox>() {
                out.push(config_err(
                    "notify.email.to",
                    format!("invalid address '{to}': {e}"),
                ));
            }
        }
        if let Err(e) = check_subject("notify.email.subject", &self.subject) {
            out.push(e);
        }
        if let Err(e) = self.password() {
            out.push(e);
        }
        out
    }
}

impl WebhookConfig {
    pub fn format(&self) -> Result<WebhookFormat, NotifyError> {
        match self.format.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(WebhookFormat::Json),
            "slack" => Ok(WebhookFormat::Slack),
            other => Err(config_err(
                "notify.webhook.format",
                format!("unknown value '{other}' (use json or slack)"),
            )),
        }
    }

    pub fn timeout(&self) -> Result<Duration, NotifyError> {
        timeout("notify.webhook.timeout", &self.timeout)
    }

    /// The channel's minimum severity: its own, else `default`.
    pub fn min_severity_or(&self, default: Severity) -> Result<Severity, NotifyError> {
        self.min_severity
            .as_deref()
            .map_or(Ok(default), |s| severity("notify.webhook.min_severity", s))
    }

    /// The HMAC key from `secret_env`, when one is configured.
    pub fn secret(&self) -> Result<Option<String>, NotifyError> {
        match self.secret_env.as_deref() {
            None => Ok(None),
            Some(var) => env_secret("notify.webhook.secret_env", var).map(Some),
        }
    }

    fn problems(&self, prefix: &str) -> Vec<NotifyError> {
        // The accessors name `notify.webhook.KEY`; say which webhook.
        let here = |e: NotifyError| match e {
            NotifyError::Config(m) => NotifyError::Config(m.replacen("notify.webhook", prefix, 1)),
            other => other,
        };
        let mut out = Vec::new();
        if self.url.trim().is_empty() {
            out.push(config_err(&format!("{prefix}.url"), "missing"));
        } else if let Err(e) = http_url(&format!("{prefix}.url"), &self.url) {
            out.push(e);
        }
        for r in [
            self.format().map(drop),
            self.timeout().map(drop),
            self.min_severity_or(Severity::High).map(drop),
            self.secret().map(drop),
        ] {
            if let Err(e) = r {
                out.push(here(e));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the documentation, minus the environment variables.
    const EXAMPLE: &str = r#"
[notify]
min_severity = "high"
dashboard_url = "https://sentinel.example.com"
dedup_window = "1h"
rate_limit = 5
rate_window = "1m"
max_attempts = 10
[notify.email]
server = "smtp.example.com"
port = 587
security = "starttls"
from = "LogSentinel <alerts@example.com>"
to = ["oncall@example.com"]
min_severity = "high"
subject = "[LogSentinel] {severity} {rule} from {source}"
timeout = "10s"
[[notify.webhook]]
name = "ops"
url = "https://hooks.example.com/logsentinel"
format = "json"
min_severity = "medium"
timeout = "5s"
[[notify.webhook]]
url = "http://127.0.0.1:9000/hook"
format = "slack"
"#;

    #[derive(Deserialize)]
    struct File {
        notify: NotifyConfig,
    }

    fn parse(s: &str) -> Result<NotifyConfig, toml::de::Error> {
        toml::from_str::<File>(s).map(|f| f.notify)
    }

    fn problem(c: &NotifyConfig) -> String {
        match c.validate() {
            Err(NotifyError::Config(m)) => m,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn documented_example_parses_and_validates() {
        let c = parse(EXAMPLE).unwrap();
        c.validate().unwrap();
        assert!(c.is_enabled());
        let email = c.email.as_ref().unwrap();
        assert_eq!(email.security().unwrap(), Security::StartTls);
        assert_eq!(email.port().unwrap(), 587);
        assert_eq!(c.webhook_name(0), "ops");
        assert_eq!(c.webhook_name(1), "webhook-2");
        assert_eq!(c.webhook[1].format().unwrap(), WebhookFormat::Slack);
        assert_eq!(
            c.webhook[0].min_severity_or(Severity::High).unwrap(),
            Severity::Medium
        );
        assert_eq!(c.dedup_window().unwrap(), Duration::from_secs(3600));
        assert_eq!(c.rate_window().unwrap(), Duration::from_secs(60));
    }

    #[test]
    fn defaults_and_disabled() {
        let c = parse("[notify]\n").unwrap();
        assert_eq!(c, NotifyConfig::default());
        assert!(!c.is_enabled());
        c.validate().unwrap();
        let e = parse("[notify.email]\nserver = \"mx\"\nsecurity = \"tls\"\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n")
            .unwrap();
        e.validate().unwrap();
        assert_eq!(e.email.as_ref().unwrap().port().unwrap(), 465);
        assert_eq!(e.min_severity().unwrap(), Severity::High);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = parse("[notify]\nrate_limt = 3\n").unwrap_err().to_string();
        assert!(err.contains("rate_limt"), "{err}");
        let err = parse("[notify.email]\npasword_env = \"X\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("pasword_env"), "{err}");
    }

    #[test]
    fn problems_name_their_key() {
        let mut c = parse(EXAMPLE).unwrap();
        c.min_severity = "severe".into();
        c.dedup_window = "1 hour".into();
        let m = problem(&c);
        assert!(
            m.contains("notify.min_severity: unknown severity 'severe'"),
            "{m}"
        );
        assert!(m.contains("notify.dedup_window: invalid duration"), "{m}");
        assert!(!m.contains('\n'));

        let mut c = parse(EXAMPLE).unwrap();
        let email = c.email.as_mut().unwrap();
        email.security = "ssl".into();
        email.to.clear();
        email.subject = "{severity} {rulez}".into();
        let m = problem(&c);
        assert!(
            m.contains("notify.email.security: unknown value 'ssl'"),
            "{m}"
        );
        assert!(m.contains("notify.email.to: at least one recipient"), "{m}");
        assert!(
            m.contains("notify.email.subject: unknown placeholder {rulez}"),
            "{m}"
        );

        let mut c = parse(EXAMPLE).unwrap();
        c.webhook[1].url = "ftp://example.com/x".into();
        c.webhook[1].format = "teams".into();
        c.webhook[0].timeout = "0s".into();
        let m = problem(&c);
        assert!(m.contains("notify.webhook[2].url: invalid URL"), "{m}");
        assert!(
            m.contains("notify.webhook[2].format: unknown value 'teams'"),
            "{m}"
        );
        assert!(
            m.contains("notify.webhook[1].timeout: must be between"),
            "{m}"
        );

        let mut c = parse(EXAMPLE).unwrap();
        c.webhook[1].name = Some("ops".into());
        assert!(problem(&c).contains("channel name 'ops' is used twice"));
        c.webhook[1].name = Some("my hook".into());
        assert!(problem(&c).contains("notify.webhook[2].name"));
        c.webhook[1].name = None;
        c.dashboard_url = Some("sentinel.example.com".into());
        assert!(problem(&c).contains("notify.dashboard_url: invalid URL"));
    }

    #[test]
    fn secrets_come_from_the_environment() {
        let unset = "LOGSENTINEL_NOTIFY_TEST_SURELY_UNSET_VARIABLE";
        let mut c = parse(EXAMPLE).unwrap();
        let email = c.email.as_mut().unwrap();
        email.username = Some("alerts@example.com".into());
        let m = problem(&c);
        assert!(m.contains("notify.email.password_env: required"), "{m}");
        c.email.as_mut().unwrap().password_env = Some(unset.into());
        let m = problem(&c);
        assert!(
            m.contains(&format!(
                "notify.email.password_env: environment variable {unset} is not set"
            )),
            "{m}"
        );
        // PATH is set in any test environment.
        c.email.as_mut().unwrap().password_env = Some("PATH".into());
        c.validate().unwrap();
        assert!(c.email.as_ref().unwrap().password().unwrap().is_some());

        c.webhook[0].secret_env = Some(unset.into());
        let m = problem(&c);
        assert!(m.contains("notify.webhook[1].secret_env"), "{m}");
    }
}
