//! The normalised event: one parsed log line with Elastic Common Schema
//! field names.
//!
//! `Event<'a>` borrows from the line it was parsed from, so the hot path
//! copies nothing; a field is owned only when the parser had to build it
//! (JSON unescaping, say). `Event::into_owned` gives an `Event<'static>` for
//! what must outlive the line (alerts' evidence, queues).

use std::borrow::Cow;
use std::net::IpAddr;

use crate::format::Format;
use crate::time::Timestamp;

/// `event.category` values (ECS allowed values we produce).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Authentication,
    Web,
    Network,
    Process,
    Iam,
    Session,
    File,
    Configuration,
    Host,
    IntrusionDetection,
    Database,
    Malware,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Authentication => "authentication",
            Category::Web => "web",
            Category::Network => "network",
            Category::Process => "process",
            Category::Iam => "iam",
            Category::Session => "session",
            Category::File => "file",
            Category::Configuration => "configuration",
            Category::Host => "host",
            Category::IntrusionDetection => "intrusion_detection",
            Category::Database => "database",
            Category::Malware => "malware",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Some(match s {
            "authentication" => Category::Authentication,
            "web" => Category::Web,
            "network" => Category::Network,
            "process" => Category::Process,
            "iam" => Category::Iam,
            "session" => Category::Session,
            "file" => Category::File,
            "configuration" => Category::Configuration,
            "host" => Category::Host,
            "intrusion_detection" => Category::IntrusionDetection,
            "database" => Category::Database,
            "malware" => Category::Malware,
            _ => return None,
        })
    }
}

/// `event.outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Success,
    Failure,
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Some(match s {
            "success" => Outcome::Success,
            "failure" => Outcome::Failure,
            "unknown" => Outcome::Unknown,
            _ => return None,
        })
    }
}

/// Facts about how a line was read, output as ECS `tags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Flags(u8);

impl Flags {
    /// The line was longer than the cap and was cut.
    pub const TRUNCATED: Flags = Flags(1);
    /// The line was not valid UTF-8 and was decoded lossily.
    pub const INVALID_UTF8: Flags = Flags(2);
    /// The line had no timestamp that could be read; `@timestamp` is the
    /// time it was read.
    pub const NO_TIMESTAMP: Flags = Flags(4);
    /// The line held NUL bytes.
    pub const NUL_BYTES: Flags = Flags(8);

    const NAMES: [(Flags, &'static str); 4] = [
        (Flags::TRUNCATED, "truncated"),
        (Flags::INVALID_UTF8, "invalid_utf8"),
        (Flags::NO_TIMESTAMP, "no_timestamp"),
        (Flags::NUL_BYTES, "nul_bytes"),
    ];

    pub const fn empty() -> Flags {
        Flags(0)
    }
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
    pub fn insert(&mut self, other: Flags) {
        self.0 |= other.0;
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The tag names of the flags that are set.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Flags::NAMES
            .into_iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(_, n)| n)
    }
}

/// Syslog priority parts, when the line carried `<PRI>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyslogPri {
    pub facility: u8,
    pub severity: u8,
}

/// One parsed log line. Field names follow ECS; see `fields()` for the
/// exact dotted names each member is output as.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event<'a> {
    /// `@timestamp`: from the line, or the read time when the line had none
    /// (then `Flags::NO_TIMESTAMP` is set).
    pub timestamp: Timestamp,
    /// `log.format`.
    pub format: Format,
    /// `event.original`: the raw line (lossily decoded).
    pub original: Cow<'a, str>,
    /// How the line was read (`tags`).
    pub flags: Flags,
    /// `log.file.path`.
    pub file_path: Option<Cow<'a, str>>,
    /// `log.file.line`: 1-based line number in the file.
    pub file_line: Option<u64>,
    /// `log.level`.
    pub log_level: Option<Cow<'a, str>>,
    /// `log.syslog.*`.
    pub syslog: Option<SyslogPri>,
    /// `message`: the free-text part of the line.
    pub message: Option<Cow<'a, str>>,
    /// `host.name`: the machine that wrote the line.
    pub host_name: Option<Cow<'a, str>>,
    /// `process.name`.
    pub process_name: Option<Cow<'a, str>>,
    /// `process.pid`.
    pub process_pid: Option<u32>,
    /// `process.command_line` (e.g. the command run through sudo).
    pub process_command_line: Option<Cow<'a, str>>,
    /// `event.category`.
    pub category: Option<Category>,
    /// `event.action`, e.g. `ssh_login`, `sudo`, `http_request`.
    pub action: Option<Cow<'a, str>>,
    /// `event.outcome`.
    pub outcome: Option<Outcome>,
    /// `event.code`: Windows event id, Cisco ASA message id.
    pub code: Option<Cow<'a, str>>,
    /// `event.provider`: Windows event source.
    pub provider: Option<Cow<'a, str>>,
    /// `event.reason`: why an outcome happened (`invalid_user`, ...).
    pub reason: Option<Cow<'a, str>>,
    /// `source.ip`.
    pub source_ip: Option<IpAddr>,
    /// `source.port`.
    pub source_port: Option<u16>,
    /// `source.domain`: the peer when the log names it rather than its IP.
    pub source_domain: Option<Cow<'a, str>>,
    /// `destination.ip`.
    pub destination_ip: Option<IpAddr>,
    /// `destination.port`.
    pub destination_port: Option<u16>,
    /// `network.transport` (`tcp`, `udp`, `icmp`).
    pub network_transport: Option<Cow<'a, str>>,
    /// `user.name`: the account acted on or logging in.
    pub user_name: Option<Cow<'a, str>>,
    /// `user.target.name`: the account switched to (sudo/su) or created.
    pub user_target_name: Option<Cow<'a, str>>,
    /// `group.name`.
    pub group_name: Option<Cow<'a, str>>,
    /// `http.request.method`.
    pub http_method: Option<Cow<'a, str>>,
    /// `http.version`.
    pub http_version: Option<Cow<'a, str>>,
    /// `url.original`: the request target as sent.
    pub url_original: Option<Cow<'a, str>>,
    /// `url.domain`: virtual host, when the log has one.
    pub url_domain: Option<Cow<'a, str>>,
    /// `http.response.status_code`.
    pub http_status: Option<u16>,
    /// `http.response.body.bytes`.
    pub http_bytes: Option<u64>,
    /// `http.request.referrer`.
    pub http_referrer: Option<Cow<'a, str>>,
    /// `user_agent.original`.
    pub user_agent: Option<Cow<'a, str>>,
    /// `event.duration` in nanoseconds.
    pub duration_ns: Option<u64>,
    /// Fields of JSON input that were not mapped onto the members above,
    /// as (dotted ECS-style name, JSON value) pairs; output as they came.
    pub extra: Vec<(Cow<'a, str>, serde_json::Value)>,
}

/// A field value, as seen by outputs and rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue<'b> {
    Str(&'b str),
    Int(i64),
    Ip(IpAddr),
    Time(Timestamp),
    Json(&'b serde_json::Value),
}

impl FieldValue<'_> {
    /// The value as text (for tables and string matching).
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            FieldValue::Str(s) => Cow::Borrowed(s),
            FieldValue::Int(i) => Cow::Owned(i.to_string()),
            FieldValue::Ip(ip) => Cow::Owned(ip.to_string()),
            FieldValue::Time(t) => Cow::Owned(t.to_string()),
            FieldValue::Json(serde_json::Value::String(s)) => Cow::Borrowed(s),
            FieldValue::Json(v) => Cow::Owned(v.to_string()),
        }
    }
}

macro_rules! opt_str {
    ($f:expr, $name:expr, $v:expr) => {
        if let Some(v) = &$v {
            $f($name, FieldValue::Str(v));
        }
    };
}

impl<'a> Event<'a> {
    /// A new event for `original` in `format`, stamped `timestamp`.
    pub fn new(format: Format, original: &'a str, timestamp: Timestamp) -> Self {
        Event {
            timestamp,
            format,
            original: Cow::Borrowed(original),
            ..Event::default()
        }
    }

    /// Visits every present field in output order: `@timestamp` first, then
    /// grouped by ECS object so that fields sharing a prefix are adjacent.
    pub fn fields<'s>(&'s self, mut f: impl FnMut(&'s str, FieldValue<'s>)) {
        f("@timestamp", FieldValue::Time(self.timestamp));
        opt_str!(f, "event.action", self.action);
        if let Some(c) = self.category {
            f("event.category", FieldValue::Str(c.as_str()));
        }
        opt_str!(f, "event.code", self.code);
        if let Some(d) = self.duration_ns {
            f("event.duration", FieldValue::Int(d as i64));
        }
        f("event.original", FieldValue::Str(&self.original));
        if let Some(o) = self.outcome {
            f("event.outcome", FieldValue::Str(o.as_str()));
        }
        opt_str!(f, "event.provider", self.provider);
        opt_str!(f, "event.reason", self.reason);
        opt_str!(f, "log.file.path", self.file_path);
        if let Some(l) = self.file_line {
            f("log.file.line", FieldValue::Int(l as i64));
        }
        f("log.format", FieldValue::Str(self.format.name()));
        opt_str!(f, "log.level", self.log_level);
        if let Some(p) = self.syslog {
            f(
                "log.syslog.facility.code",
                FieldValue::Int(i64::from(p.facility)),
            );
            f(
                "log.syslog.severity.code",
                FieldValue::Int(i64::from(p.severity)),
            );
        }
        opt_str!(f, "message", self.message);
        opt_str!(f, "host.name", self.host_name);
        opt_str!(f, "process.name", self.process_name);
        if let Some(p) = self.process_pid {
            f("process.pid", FieldValue::Int(i64::from(p)));
        }
        opt_str!(f, "process.command_line", self.process_command_line);
        if let Some(ip) = self.source_ip {
            f("source.ip", FieldValue::Ip(ip));
        }
        if let Some(p) = self.source_port {
            f("source.port", FieldValue::Int(i64::from(p)));
        }
        opt_str!(f, "source.domain", self.source_domain);
        if let Some(ip) = self.destination_ip {
            f("destination.ip", FieldValue::Ip(ip));
        }
        if let Some(p) = self.destination_port {
            f("destination.port", FieldValue::Int(i64::from(p)));
        }
        opt_str!(f, "network.transport", self.network_transport);
        opt_str!(f, "user.name", self.user_name);
        opt_str!(f, "user.target.name", self.user_target_name);
        opt_str!(f, "group.name", self.group_name);
        opt_str!(f, "http.request.method", self.http_method);
        opt_str!(f, "http.request.referrer", self.http_referrer);
        if let Some(b) = self.http_bytes {
            f("http.response.body.bytes", FieldValue::Int(b as i64));
        }
        if let Some(s) = self.http_status {
            f("http.response.status_code", FieldValue::Int(i64::from(s)));
        }
        opt_str!(f, "http.version", self.http_version);
        opt_str!(f, "url.domain", self.url_domain);
        opt_str!(f, "url.original", self.url_original);
        opt_str!(f, "user_agent.original", self.user_agent);
        for (name, value) in &self.extra {
            f(name, FieldValue::Json(value));
        }
    }

    /// One field by its ECS dotted name.
    pub fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        let int = |v: Option<i64>| v.map(FieldValue::Int);
        match name {
            "@timestamp" => Some(FieldValue::Time(self.timestamp)),
            "event.duration" => int(self.duration_ns.map(|d| d as i64)),
            "log.file.line" => int(self.file_line.map(|l| l as i64)),
            "log.syslog.facility.code" => int(self.syslog.map(|p| i64::from(p.facility))),
            "log.syslog.severity.code" => int(self.syslog.map(|p| i64::from(p.severity))),
            "process.pid" => int(self.process_pid.map(i64::from)),
            "source.ip" => self.source_ip.map(FieldValue::Ip),
            "source.port" => int(self.source_port.map(i64::from)),
            "destination.ip" => self.destination_ip.map(FieldValue::Ip),
            "destination.port" => int(self.destination_port.map(i64::from)),
            "http.response.body.bytes" => int(self.http_bytes.map(|b| b as i64)),
            "http.response.status_code" => int(self.http_status.map(i64::from)),
            _ => self.str_field(name).map(FieldValue::Str).or_else(|| {
                self.extra
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| FieldValue::Json(v))
            }),
        }
    }

    /// A string-valued field by its ECS dotted name.
    pub fn str_field(&self, name: &str) -> Option<&str> {
        let v = match name {
            "event.action" => &self.action,
            "event.code" => &self.code,
            "event.original" => return Some(&self.original),
            "event.provider" => &self.provider,
            "event.reason" => &self.reason,
            "event.category" => return self.category.map(Category::as_str),
            "event.outcome" => return self.outcome.map(Outcome::as_str),
            "log.format" => return Some(self.format.name()),
            "log.file.path" => &self.file_path,
            "log.level" => &self.log_level,
            "message" => &self.message,
            "host.name" => &self.host_name,
            "process.name" => &self.process_name,
            "process.command_line" => &self.process_command_line,
            "source.domain" => &self.source_domain,
            "network.transport" => &self.network_transport,
            "user.name" => &self.user_name,
            "user.target.name" => &self.user_target_name,
            "group.name" => &self.group_name,
            "http.request.method" => &self.http_method,
            "http.request.referrer" => &self.http_referrer,
            "http.version" => &self.http_version,
            "url.domain" => &self.url_domain,
            "url.original" => &self.url_original,
            "user_agent.original" => &self.user_agent,
            _ => {
                return self
                    .extra
                    .iter()
                    .find(|(n, _)| n == name)
                    .and_then(|(_, v)| v.as_str());
            }
        };
        v.as_deref()
    }

    /// Copies every borrowed part, so the event can outlive its line.
    pub fn into_owned(self) -> Event<'static> {
        fn o(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
            c.map(|c| Cow::Owned(c.into_owned()))
        }
        Event {
            timestamp: self.timestamp,
            format: self.format,
            original: Cow::Owned(self.original.into_owned()),
            flags: self.flags,
            file_path: o(self.file_path),
            file_line: self.file_line,
            log_level: o(self.log_level),
            syslog: self.syslog,
            message: o(self.message),
            host_name: o(self.host_name),
            process_name: o(self.process_name),
            process_pid: self.process_pid,
            process_command_line: o(self.process_command_line),
            category: self.category,
            action: o(self.action),
            outcome: self.outcome,
            code: o(self.code),
            provider: o(self.provider),
            reason: o(self.reason),
            source_ip: self.source_ip,
            source_port: self.source_port,
            source_domain: o(self.source_domain),
            destination_ip: self.destination_ip,
            destination_port: self.destination_port,
            network_transport: o(self.network_transport),
            user_name: o(self.user_name),
            user_target_name: o(self.user_target_name),
            group_name: o(self.group_name),
            http_method: o(self.http_method),
            http_version: o(self.http_version),
            url_original: o(self.url_original),
            url_domain: o(self.url_domain),
            http_status: self.http_status,
            http_bytes: self.http_bytes,
            http_referrer: o(self.http_referrer),
            user_agent: o(self.user_agent),
            duration_ns: self.duration_ns,
            extra: self
                .extra
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), v))
                .collect(),
        }
    }

    /// Sets `source.ip` from a token, or `source.domain` when the token is a
    /// host name. Returns whether anything was set.
    pub fn set_source(&mut self, token: &'a str) -> bool {
        if let Some(ip) = crate::net::parse_ip(token) {
            self.source_ip = Some(ip);
            true
        } else {
            let t = token.trim_end_matches([',', ';', ')', ']', ':', '\'', '"']);
            let t = t.trim_start_matches(['(', '[', '\'', '"']);
            if crate::net::looks_like_hostname(t) {
                self.source_domain = Some(Cow::Borrowed(t));
                true
            } else {
                false
            }
        }
    }
}

/// An event that owns all its data.
pub type OwnedEvent = Event<'static>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_grouped_and_lookup_works() {
        let mut ev = Event::new(Format::Heuristic, "raw line", Timestamp::from_secs(0));
        ev.user_name = Some("root".into());
        ev.source_ip = "203.0.113.7".parse().ok();
        ev.http_status = Some(401);
        let mut names = Vec::new();
        ev.fields(|n, _| names.push(n.to_string()));
        assert_eq!(names[0], "@timestamp");
        assert!(names.contains(&"log.format".to_string()));
        assert_eq!(ev.str_field("user.name"), Some("root"));
        assert_eq!(
            ev.field("http.response.status_code"),
            Some(FieldValue::Int(401))
        );
        assert_eq!(ev.field("user.name"), Some(FieldValue::Str("root")));
        assert_eq!(
            ev.field("source.ip").map(|v| v.to_text().into_owned()),
            Some("203.0.113.7".into())
        );
        assert_eq!(ev.field("nope"), None);
    }

    #[test]
    fn into_owned_keeps_everything() {
        let line = String::from("x");
        let mut ev = Event::new(Format::Json, &line, Timestamp::from_secs(5));
        ev.message = Some(Cow::Borrowed(&line));
        ev.extra
            .push(("labels.env".into(), serde_json::json!("prod")));
        let expected = ev.message.as_deref().map(str::to_owned);
        let owned: OwnedEvent = ev.into_owned();
        drop(line);
        assert_eq!(owned.message.as_deref(), expected.as_deref());
        assert_eq!(owned.extra.len(), 1);
    }

    #[test]
    fn flag_names() {
        let mut f = Flags::empty();
        f.insert(Flags::TRUNCATED);
        f.insert(Flags::NUL_BYTES);
        assert_eq!(
            f.names().collect::<Vec<_>>(),
            vec!["truncated", "nul_bytes"]
        );
    }
}
