//! Event fields as rules see them: which ECS names exist, direct access to
//! an `Event`'s members without matching the name per event, and a value's
//! text without allocating (numbers and addresses are formatted on the
//! stack).

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::ops::Deref;

use logsentinel_core::{Event, FieldValue};

use super::decoded::{self, DecodedFields, Derived};
use crate::mapping::FieldMapping;

/// The ECS names `Event::fields` can produce, plus the extra names the
/// parsers put into `Event::extra`.
pub(crate) const ECS_FIELDS: &[&str] = &[
    "@timestamp",
    "event.action",
    "event.category",
    "event.code",
    "event.duration",
    "event.original",
    "event.outcome",
    "event.provider",
    "event.reason",
    "log.file.path",
    "log.file.line",
    "log.format",
    "log.level",
    "log.syslog.facility.code",
    "log.syslog.severity.code",
    "message",
    "host.name",
    "process.name",
    "process.pid",
    "process.command_line",
    "source.ip",
    "source.port",
    "source.domain",
    "destination.ip",
    "destination.port",
    "network.transport",
    "user.name",
    "user.target.name",
    "group.name",
    "http.request.method",
    "http.request.referrer",
    "http.response.body.bytes",
    "http.response.status_code",
    "http.version",
    "url.domain",
    "url.original",
    "user_agent.original",
    // Extras set by parsers (`Event::extra`).
    "rule.name",
    "service.name",
];

/// Prefixes under which any name is accepted (free-form extras).
pub(crate) const OPEN_PREFIXES: &[&str] = &["labels.", "winlog.", "json."];

/// Whether a rule may use the (already mapped) field name `ecs`: an ECS
/// field, a derived field (`url.decoded`, ...: see `decoded`), an open
/// extra, or a mapping target.
pub(crate) fn is_known(ecs: &str, mapping: &FieldMapping) -> bool {
    decoded::is_derived(ecs) || is_member(ecs, mapping)
}

/// Whether `ecs` names something an `Event` carries (what signals can
/// capture): `is_known` minus the derived fields.
pub(crate) fn is_member(ecs: &str, mapping: &FieldMapping) -> bool {
    ECS_FIELDS.contains(&ecs)
        || OPEN_PREFIXES
            .iter()
            .any(|p| ecs.len() > p.len() && ecs.starts_with(p))
        || mapping.is_target(ecs)
}

/// Direct access to one event field, resolved once at rule load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Access {
    Timestamp,
    Action,
    Category,
    Code,
    Duration,
    Original,
    Outcome,
    Provider,
    Reason,
    FilePath,
    FileLine,
    Format,
    Level,
    SyslogFacility,
    SyslogSeverity,
    Message,
    HostName,
    ProcessName,
    ProcessPid,
    CommandLine,
    SourceIp,
    SourcePort,
    SourceDomain,
    DestinationIp,
    DestinationPort,
    Transport,
    UserName,
    TargetUserName,
    GroupName,
    HttpMethod,
    Referrer,
    BodyBytes,
    Status,
    HttpVersion,
    UrlDomain,
    UrlOriginal,
    UserAgent,
    /// A derived (decoded) field: not an event member, see `decoded`.
    Decoded(Derived),
    /// Anything else: looked up by name in `Event::extra`.
    Extra(Box<str>),
}

impl Access {
    pub fn new(name: &str) -> Access {
        match name {
            "@timestamp" => Access::Timestamp,
            "event.action" => Access::Action,
            "event.category" => Access::Category,
            "event.code" => Access::Code,
            "event.duration" => Access::Duration,
            "event.original" => Access::Original,
            "event.outcome" => Access::Outcome,
            "event.provider" => Access::Provider,
            "event.reason" => Access::Reason,
            "log.file.path" => Access::FilePath,
            "log.file.line" => Access::FileLine,
            "log.format" => Access::Format,
            "log.level" => Access::Level,
            "log.syslog.facility.code" => Access::SyslogFacility,
            "log.syslog.severity.code" => Access::SyslogSeverity,
            "message" => Access::Message,
            "host.name" => Access::HostName,
            "process.name" => Access::ProcessName,
            "process.pid" => Access::ProcessPid,
            "process.command_line" => Access::CommandLine,
            "source.ip" => Access::SourceIp,
            "source.port" => Access::SourcePort,
            "source.domain" => Access::SourceDomain,
            "destination.ip" => Access::DestinationIp,
            "destination.port" => Access::DestinationPort,
            "network.transport" => Access::Transport,
            "user.name" => Access::UserName,
            "user.target.name" => Access::TargetUserName,
            "group.name" => Access::GroupName,
            "http.request.method" => Access::HttpMethod,
            "http.request.referrer" => Access::Referrer,
            "http.response.body.bytes" => Access::BodyBytes,
            "http.response.status_code" => Access::Status,
            "http.version" => Access::HttpVersion,
            "url.domain" => Access::UrlDomain,
            "url.original" => Access::UrlOriginal,
            "user_agent.original" => Access::UserAgent,
            other => match Derived::from_name(other) {
                Some(d) => Access::Decoded(d),
                None => Access::Extra(other.into()),
            },
        }
    }

    /// Whether the field holds an IP address (rule values are normalised).
    pub fn is_ip(&self) -> bool {
        matches!(self, Access::SourceIp | Access::DestinationIp)
    }

    /// Whether the field is never text: numbers, addresses, the time (the
    /// `sqli`/`xss` modifiers refuse them). Extras may be anything.
    pub fn is_never_text(&self) -> bool {
        matches!(
            self,
            Access::Timestamp
                | Access::Duration
                | Access::FileLine
                | Access::SyslogFacility
                | Access::SyslogSeverity
                | Access::ProcessPid
                | Access::SourceIp
                | Access::SourcePort
                | Access::DestinationIp
                | Access::DestinationPort
                | Access::BodyBytes
                | Access::Status
        )
    }

    /// The field's text, with derived fields read from `decoded` (filled
    /// for `ev`) or, without it, computed on the spot.
    #[inline]
    pub fn text_with<'e>(
        &self,
        ev: &'e Event<'_>,
        decoded: Option<&'e DecodedFields>,
    ) -> Option<Text<'e>> {
        match self {
            Access::Decoded(d) => match decoded {
                Some(fields) => fields.get(*d, ev).map(Text::Borrowed),
                None => decoded::compute(*d, ev).map(Text::Owned),
            },
            _ => self.text(ev),
        }
    }

    /// The field's value, with derived fields read from `decoded` (filled
    /// for `ev`). Cheaper than `text_with` on the hot path: a string value
    /// is passed as it is, not wrapped in a `Text`.
    #[inline]
    pub fn value_with<'e>(
        &self,
        ev: &'e Event<'_>,
        decoded: &'e DecodedFields,
    ) -> Option<FieldValue<'e>> {
        match self {
            Access::Decoded(d) => decoded.get(*d, ev).map(FieldValue::Str),
            _ => self.get(ev),
        }
    }

    /// The field's value in `ev`; the same as `ev.field(name)`. Derived
    /// fields are not event members: None (use `text_with`).
    #[inline]
    pub fn get<'e>(&self, ev: &'e Event<'_>) -> Option<FieldValue<'e>> {
        fn s<'e>(v: &'e Option<Cow<'_, str>>) -> Option<FieldValue<'e>> {
            v.as_deref().map(FieldValue::Str)
        }
        let int = |v: Option<i64>| v.map(FieldValue::Int);
        match self {
            Access::Timestamp => Some(FieldValue::Time(ev.timestamp)),
            Access::Action => s(&ev.action),
            Access::Category => ev.category.map(|c| FieldValue::Str(c.as_str())),
            Access::Code => s(&ev.code),
            Access::Duration => int(ev.duration_ns.map(|d| d as i64)),
            Access::Original => Some(FieldValue::Str(&ev.original)),
            Access::Outcome => ev.outcome.map(|o| FieldValue::Str(o.as_str())),
            Access::Provider => s(&ev.provider),
            Access::Reason => s(&ev.reason),
            Access::FilePath => s(&ev.file_path),
            Access::FileLine => int(ev.file_line.map(|l| l as i64)),
            Access::Format => Some(FieldValue::Str(ev.format.name())),
            Access::Level => s(&ev.log_level),
            Access::SyslogFacility => int(ev.syslog.map(|p| i64::from(p.facility))),
            Access::SyslogSeverity => int(ev.syslog.map(|p| i64::from(p.severity))),
            Access::Message => s(&ev.message),
            Access::HostName => s(&ev.host_name),
            Access::ProcessName => s(&ev.process_name),
            Access::ProcessPid => int(ev.process_pid.map(i64::from)),
            Access::CommandLine => s(&ev.process_command_line),
            Access::SourceIp => ev.source_ip.map(FieldValue::Ip),
            Access::SourcePort => int(ev.source_port.map(i64::from)),
            Access::SourceDomain => s(&ev.source_domain),
            Access::DestinationIp => ev.destination_ip.map(FieldValue::Ip),
            Access::DestinationPort => int(ev.destination_port.map(i64::from)),
            Access::Transport => s(&ev.network_transport),
            Access::UserName => s(&ev.user_name),
            Access::TargetUserName => s(&ev.user_target_name),
            Access::GroupName => s(&ev.group_name),
            Access::HttpMethod => s(&ev.http_method),
            Access::Referrer => s(&ev.http_referrer),
            Access::BodyBytes => int(ev.http_bytes.map(|b| b as i64)),
            Access::Status => int(ev.http_status.map(i64::from)),
            Access::HttpVersion => s(&ev.http_version),
            Access::UrlDomain => s(&ev.url_domain),
            Access::UrlOriginal => s(&ev.url_original),
            Access::UserAgent => s(&ev.user_agent),
            Access::Decoded(_) => None,
            Access::Extra(name) => {
                ev.extra
                    .iter()
                    .find(|(n, _)| n == &**name)
                    .map(|(_, v)| match v {
                        serde_json::Value::String(s) => FieldValue::Str(s),
                        v => FieldValue::Json(v),
                    })
            }
        }
    }

    /// The field's value as text, or None when absent.
    #[inline]
    pub fn text<'e>(&self, ev: &'e Event<'_>) -> Option<Text<'e>> {
        self.get(ev).map(Text::of)
    }
}

/// A field value's text: borrowed from the event, or formatted into a small
/// stack buffer (numbers, addresses, times), or owned (large JSON values).
pub(crate) enum Text<'e> {
    Borrowed(&'e str),
    Inline(Inline),
    Owned(String),
}

impl<'e> Text<'e> {
    pub fn of(v: FieldValue<'e>) -> Text<'e> {
        match v {
            FieldValue::Str(s) => Text::Borrowed(s),
            FieldValue::Json(serde_json::Value::String(s)) => Text::Borrowed(s),
            FieldValue::Json(j @ (serde_json::Value::Array(_) | serde_json::Value::Object(_))) => {
                Text::Owned(j.to_string())
            }
            other => {
                let mut buf = Inline::default();
                let ok = match other {
                    FieldValue::Int(i) => {
                        buf.push_int(i);
                        Ok(())
                    }
                    FieldValue::Ip(ip) => write!(buf, "{ip}"),
                    FieldValue::Time(t) => write!(buf, "{t}"),
                    FieldValue::Json(j) => write!(buf, "{j}"),
                    FieldValue::Str(_) => Ok(()),
                };
                match ok {
                    Ok(()) => Text::Inline(buf),
                    Err(_) => Text::Owned(other.to_text().into_owned()),
                }
            }
        }
    }
}

impl Deref for Text<'_> {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Inline(b) => b.as_str(),
            Text::Owned(s) => s,
        }
    }
}

/// A 64-byte stack buffer that refuses writes that do not fit.
pub(crate) struct Inline {
    buf: [u8; 64],
    len: usize,
}

impl Default for Inline {
    fn default() -> Self {
        Inline {
            buf: [0; 64],
            len: 0,
        }
    }
}

impl Inline {
    /// Appends the decimal digits of `i` (status codes, ports, pids: on
    /// every event, so without `fmt`).
    fn push_int(&mut self, i: i64) {
        let mut digits = [0u8; 20];
        let mut n = i.unsigned_abs();
        let mut at = digits.len();
        loop {
            at -= 1;
            if let Some(d) = digits.get_mut(at) {
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 || at == 0 {
                break;
            }
        }
        if i < 0 {
            let _ = fmt::Write::write_str(self, "-");
        }
        if let Some(s) = digits.get(at..).and_then(|d| std::str::from_utf8(d).ok()) {
            let _ = fmt::Write::write_str(self, s);
        }
    }

    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so this is valid UTF-8.
        self.buf
            .get(..self.len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl fmt::Write for Inline {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logsentinel_core::event::SyslogPri;
    use logsentinel_core::{Category, Format, Outcome, Timestamp};

    fn full_event(line: &str) -> Event<'_> {
        let mut ev = Event::new(Format::Json, line, Timestamp::from_secs(1_700_000_000));
        ev.file_path = Some("/var/log/auth.log".into());
        ev.file_line = Some(7);
        ev.log_level = Some("warn".into());
        ev.syslog = Some(SyslogPri {
            facility: 4,
            severity: 6,
        });
        ev.message = Some("m".into());
        ev.host_name = Some("web1".into());
        ev.process_name = Some("sshd".into());
        ev.process_pid = Some(42);
        ev.process_command_line = Some("/bin/bash".into());
        ev.category = Some(Category::Authentication);
        ev.action = Some("ssh_login".into());
        ev.outcome = Some(Outcome::Failure);
        ev.code = Some("4625".into());
        ev.provider = Some("p".into());
        ev.reason = Some("invalid_user".into());
        ev.source_ip = "2001:db8::1".parse().ok();
        ev.source_port = Some(22);
        ev.source_domain = Some("evil.example".into());
        ev.destination_ip = "10.0.0.1".parse().ok();
        ev.destination_port = Some(443);
        ev.network_transport = Some("tcp".into());
        ev.user_name = Some("root".into());
        ev.user_target_name = Some("admin".into());
        ev.group_name = Some("wheel".into());
        ev.http_method = Some("POST".into());
        ev.http_version = Some("1.1".into());
        ev.url_original = Some("/login".into());
        ev.url_domain = Some("example.com".into());
        ev.http_status = Some(401);
        ev.http_bytes = Some(512);
        ev.http_referrer = Some("-".into());
        ev.user_agent = Some("curl/8".into());
        ev.duration_ns = Some(1000);
        ev.extra
            .push(("labels.env".into(), serde_json::json!("prod")));
        ev.extra
            .push(("winlog.event_data.LogonType".into(), serde_json::json!(3)));
        ev
    }

    #[test]
    fn access_agrees_with_event_field_for_every_name() {
        let ev = full_event("raw");
        let mut names = Vec::new();
        ev.fields(|n, _| names.push(n.to_string()));
        for name in ECS_FIELDS.iter().map(|s| s.to_string()).chain(names) {
            let a = Access::new(&name);
            assert_eq!(a.get(&ev), ev.field(&name), "{name}");
            assert_eq!(
                a.text(&ev).map(|t| t.to_string()),
                ev.field(&name).map(|v| v.to_text().into_owned()),
                "{name}"
            );
        }
        // Every name `fields` produces (but extras) has a direct accessor.
        ev.fields(|n, _| {
            if !n.contains("env") && !n.starts_with("winlog.") {
                assert!(!matches!(Access::new(n), Access::Extra(_)), "{n}");
                assert!(ECS_FIELDS.contains(&n), "{n} missing from ECS_FIELDS");
            }
        });
    }

    #[test]
    fn text_formats_without_allocating_small_values() {
        assert!(matches!(Text::of(FieldValue::Int(401)), Text::Inline(_)));
        assert_eq!(&*Text::of(FieldValue::Int(-5)), "-5");
        for i in [0, 7, 401, 65_535, -1, i64::MAX, i64::MIN] {
            assert_eq!(&*Text::of(FieldValue::Int(i)), i.to_string());
        }
        let ip = "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff".parse().unwrap();
        assert_eq!(
            &*Text::of(FieldValue::Ip(ip)),
            "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"
        );
        let big = serde_json::json!("x".repeat(100));
        assert!(matches!(
            Text::of(FieldValue::Json(&big)),
            Text::Borrowed(_)
        ));
        let arr = serde_json::json!(["a", "b"]);
        assert_eq!(&*Text::of(FieldValue::Json(&arr)), r#"["a","b"]"#);
        let long_float = serde_json::json!(1.0e300);
        assert_eq!(
            Text::of(FieldValue::Json(&long_float)).to_string(),
            long_float.to_string()
        );
    }

    #[test]
    fn known_fields() {
        let m = FieldMapping::default();
        assert!(is_known("source.ip", &m));
        assert!(is_known("labels.team", &m));
        assert!(is_known("winlog.event_data.LogonType", &m));
        assert!(!is_known("labels.", &m));
        assert!(!is_known("source.addr", &m));
        let m = FieldMapping::from_yaml("m", "x: custom.field\n").unwrap();
        assert!(is_known("custom.field", &m));
    }
}
