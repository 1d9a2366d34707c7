//! The closed set of log formats, the context parsers need, and per-format
//! dispatch.

use std::sync::Arc;

use crate::event::Event;
use crate::formats;
use crate::time::{CivilDateTime, Timestamp, Zone};

/// A log format LogSentinel reads. `name()` is the `log.format` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Format {
    SyslogRfc3164,
    SyslogRfc5424,
    SyslogRfc3339,
    ApacheCommon,
    ApacheCombined,
    NginxError,
    ApacheError,
    IisW3c,
    WindowsEventText,
    CiscoAsa,
    Json,
    #[default]
    Heuristic,
}

impl Format {
    /// Every format, in the order auto-detection prefers them when two parse
    /// a sample equally well (most specific first).
    pub const ALL: [Format; 12] = [
        Format::CiscoAsa,
        Format::SyslogRfc5424,
        Format::SyslogRfc3339,
        Format::SyslogRfc3164,
        Format::IisW3c,
        Format::ApacheCombined,
        Format::ApacheCommon,
        Format::NginxError,
        Format::ApacheError,
        Format::WindowsEventText,
        Format::Json,
        Format::Heuristic,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::SyslogRfc3164 => "syslog_rfc3164",
            Format::SyslogRfc5424 => "syslog_rfc5424",
            Format::SyslogRfc3339 => "syslog_rfc3339",
            Format::ApacheCommon => "apache_common",
            Format::ApacheCombined => "apache_combined",
            Format::NginxError => "nginx_error",
            Format::ApacheError => "apache_error",
            Format::IisW3c => "iis_w3c",
            Format::WindowsEventText => "windows_event_text",
            Format::CiscoAsa => "cisco_asa",
            Format::Json => "json",
            Format::Heuristic => "heuristic",
        }
    }

    /// Looks a format up by its name (also accepts a few common aliases).
    pub fn from_name(name: &str) -> Option<Format> {
        let n = name.trim().to_ascii_lowercase().replace('-', "_");
        let f = match n.as_str() {
            "syslog_rfc3164" | "rfc3164" | "syslog" | "bsd_syslog" => Format::SyslogRfc3164,
            "syslog_rfc5424" | "rfc5424" => Format::SyslogRfc5424,
            "syslog_rfc3339" | "rfc3339" | "syslog_iso" => Format::SyslogRfc3339,
            "apache_common" | "common" | "clf" => Format::ApacheCommon,
            "apache_combined" | "combined" | "nginx" | "nginx_access" => Format::ApacheCombined,
            "nginx_error" => Format::NginxError,
            "apache_error" => Format::ApacheError,
            "iis_w3c" | "iis" | "w3c" => Format::IisW3c,
            "windows_event_text" | "windows" | "windows_event" => Format::WindowsEventText,
            "cisco_asa" | "asa" => Format::CiscoAsa,
            "json" | "jsonl" | "ndjson" => Format::Json,
            "heuristic" => Format::Heuristic,
            _ => return None,
        };
        Some(f)
    }

    /// One line of what this format looks like.
    pub fn description(self) -> &'static str {
        match self {
            Format::SyslogRfc3164 => {
                "BSD syslog (RFC 3164), year-less stamps; auth.log, secure, messages"
            }
            Format::SyslogRfc5424 => "IETF syslog (RFC 5424) with structured data",
            Format::SyslogRfc3339 => {
                "syslog with RFC 3339 stamps (rsyslog's default on current Ubuntu/Debian)"
            }
            Format::ApacheCommon => "Apache/NCSA common log format",
            Format::ApacheCombined => "Apache/Nginx combined access log (with optional vhost)",
            Format::NginxError => "Nginx error log",
            Format::ApacheError => "Apache 2.x error log",
            Format::IisW3c => "IIS W3C extended log, following #Fields: directives",
            Format::WindowsEventText => "Windows event log text export",
            Format::CiscoAsa => "Cisco ASA/FTD firewall messages (%ASA-n-NNNNNN)",
            Format::Json => "JSON lines; common keys and ECS mapped",
            Format::Heuristic => {
                "anything else: timestamp, IPs and security keywords found anywhere"
            }
        }
    }

    /// A sample line.
    pub fn example(self) -> &'static str {
        match self {
            Format::SyslogRfc3164 => {
                "Jan 15 10:30:45 web1 sshd[1234]: Failed password for root from 203.0.113.7 port 52144 ssh2"
            }
            Format::SyslogRfc5424 => {
                "<38>1 2024-01-15T10:30:45.123Z web1 sshd 1234 - - Failed password for invalid user admin from 203.0.113.7 port 52144 ssh2"
            }
            Format::SyslogRfc3339 => {
                "2024-01-15T10:30:45.123456+00:00 web1 sudo: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash"
            }
            Format::ApacheCommon => {
                "203.0.113.7 - bob [15/Jan/2024:10:30:45 +0000] \"GET /admin HTTP/1.1\" 401 381"
            }
            Format::ApacheCombined => {
                "203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] \"GET /index.php?id=1%27%20OR%201=1 HTTP/1.1\" 200 5120 \"-\" \"sqlmap/1.7\""
            }
            Format::NginxError => {
                "2024/01/15 10:30:45 [error] 1234#1234: *5 user \"admin\": password mismatch, client: 203.0.113.7, server: example.com, request: \"GET /private HTTP/1.1\", host: \"example.com\""
            }
            Format::ApacheError => {
                "[Mon Jan 15 10:30:45.123456 2024] [auth_basic:error] [pid 1234] [client 203.0.113.7:52144] AH01617: user bob: authentication failure for \"/private\": Password Mismatch"
            }
            Format::IisW3c => {
                "2024-01-15 10:30:45 10.0.0.5 POST /owa/auth.owa - 443 bob 203.0.113.7 Mozilla/5.0 - 401 1 1326 15"
            }
            Format::WindowsEventText => {
                "01/15/2024 10:30:45 AM Information Microsoft-Windows-Security-Auditing 4625 Logon N/A An account failed to log on. Account Name: bob Source Network Address: 203.0.113.7"
            }
            Format::CiscoAsa => {
                "Jan 15 2024 10:30:45 fw01 : %ASA-4-106023: Deny tcp src outside:203.0.113.7/52144 dst inside:10.0.0.5/22 by access-group \"outside_in\" [0x0, 0x0]"
            }
            Format::Json => {
                "{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"warn\",\"msg\":\"login failed\",\"user\":\"bob\",\"client_ip\":\"203.0.113.7\"}"
            }
            Format::Heuristic => {
                "2024-01-15 10:30:45 myapp: authentication failed for user bob from 203.0.113.7"
            }
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What parsers need besides the line: the zone that stamps without an
/// offset are read in, and the reference time that year-less stamps and
/// stamp-less lines are placed against (a file's modification time, or now).
#[derive(Debug, Clone)]
pub struct ParseCtx {
    pub zone: Zone,
    pub reference: Timestamp,
    /// `reference` as wall-clock time in `zone`.
    pub reference_civil: CivilDateTime,
    /// The last access-log stamp read (see `access_log::parse_stamp`).
    pub(crate) last_stamp: crate::formats::access_log::StampMemo,
}

impl ParseCtx {
    pub fn new(zone: Zone, reference: Timestamp) -> Self {
        let reference_civil = zone.to_civil(reference);
        ParseCtx {
            zone,
            reference,
            reference_civil,
            last_stamp: Default::default(),
        }
    }

    /// UTC, with `reference` as the reference time.
    pub fn utc(reference: Timestamp) -> Self {
        ParseCtx::new(Zone::utc(), reference)
    }
}

/// State a stream of lines carries from one line to the next. Today that is
/// the IIS `#Fields:` directive in force; it is tracked in order by whoever
/// frames lines (see `FormatState::observe`) and handed to parsers.
#[derive(Debug, Clone, Default)]
pub struct FormatState {
    pub iis_fields: Option<Arc<formats::iis_w3c::IisFields>>,
}

impl FormatState {
    /// Updates the state from a line; cheap for lines that are not
    /// directives. Call it for every line, in order, before parsing it.
    #[inline]
    pub fn observe(&mut self, line: &str) {
        if line.as_bytes().first() == Some(&b'#')
            && let Some(fields) = formats::iis_w3c::IisFields::from_directive(line)
        {
            self.iis_fields = Some(Arc::new(fields));
        }
    }
}

/// Parses `line` as `format`; `None` when the line does not fit it.
/// [`parse_as`] into `ev`: true when the line fits `format` (then `ev`
/// holds its event); on false `ev` holds something unspecified. The
/// access-log formats, the bulk of most inputs, parse in place.
pub fn parse_as_into<'a>(
    format: Format,
    line: &'a str,
    ctx: &ParseCtx,
    state: &FormatState,
    ev: &mut Event<'a>,
) -> bool {
    match format {
        Format::ApacheCombined => formats::apache_combined::parse_into(line, ctx, ev),
        Format::ApacheCommon => formats::apache_common::parse_into(line, ctx, ev),
        other => match parse_as(other, line, ctx, state) {
            Some(parsed) => {
                *ev = parsed;
                true
            }
            None => false,
        },
    }
}

pub fn parse_as<'a>(
    format: Format,
    line: &'a str,
    ctx: &ParseCtx,
    state: &FormatState,
) -> Option<Event<'a>> {
    match format {
        Format::SyslogRfc3164 => formats::syslog_rfc3164::parse(line, ctx),
        Format::SyslogRfc5424 => formats::syslog_rfc5424::parse(line, ctx),
        Format::SyslogRfc3339 => formats::syslog_rfc3339::parse(line, ctx),
        Format::ApacheCommon => formats::apache_common::parse(line, ctx),
        Format::ApacheCombined => formats::apache_combined::parse(line, ctx),
        Format::NginxError => formats::nginx_error::parse(line, ctx),
        Format::ApacheError => formats::apache_error::parse(line, ctx),
        Format::IisW3c => formats::iis_w3c::parse(line, ctx, state.iis_fields.as_deref()),
        Format::WindowsEventText => formats::windows_event_text::parse(line, ctx),
        Format::CiscoAsa => formats::cisco_asa::parse(line, ctx),
        Format::Json => formats::json::parse(line, ctx),
        Format::Heuristic => Some(formats::heuristic::parse(line, ctx)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
        }
        assert_eq!(Format::from_name("nginx"), Some(Format::ApacheCombined));
        assert_eq!(Format::from_name("bogus"), None);
    }

    #[test]
    fn every_example_parses_as_its_own_format() {
        let ctx = ParseCtx::utc(Timestamp::from_secs(1_705_400_000));
        for f in Format::ALL {
            let mut state = FormatState::default();
            if f == Format::IisW3c {
                state.observe("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken");
            }
            let ev = parse_as(f, f.example(), &ctx, &state);
            assert!(ev.is_some(), "{} does not parse its own example", f.name());
            assert_eq!(ev.map(|e| e.format), Some(f));
        }
    }
}
