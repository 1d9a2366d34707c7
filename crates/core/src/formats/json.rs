//! JSON lines: one JSON object per line (not arrays, not other values).
//!
//! Parsed with serde_json into a small borrowed tree, so strings without
//! escapes stay borrowed from the line. Nested objects are flattened into
//! dotted names (`{"source":{"ip":..}}` and `"source.ip"` are the same
//! field) and common key names, matched case-insensitively with `-` read
//! as `_`, are mapped onto the ECS event:
//!
//! - `@timestamp`/`timestamp`/`time`/`ts`/`datetime`/`date`/... (RFC 3339
//!   or other stamps the heuristic reads; epoch s/ms/µs/ns numbers),
//!   journald `__REALTIME_TIMESTAMP` (µs);
//! - `level`/`severity`/`log.level`/`lvl` (Bunyan/Pino numbers named),
//!   `message`/`msg`/`MESSAGE`, `host`/`hostname`/`_HOSTNAME`,
//!   `SYSLOG_IDENTIFIER`/`program`/`process.name`, `pid`/`_PID`;
//! - `ip`/`client_ip`/`remote_addr`/`src_ip`/... (`x_forwarded_for`: the
//!   first entry), ports, destination, `user`/`username`/`login`;
//! - HTTP: `method`, `path`/`url`/`uri`, `request` (a request line),
//!   `status`, `user_agent`, `referer`, `bytes`, `protocol`;
//! - `action`/`event`, `outcome`/`result`/`success` (words like `failed`,
//!   `denied`, booleans), `event.category`, `event.code`, `event.reason`.
//!
//! Everything else, and a second value for a field already set, goes into
//! `ev.extra` under its dotted name, so the output keeps it. When the
//! input says nothing about category or outcome, the security keywords of
//! the action and message are read (`heuristic::classify`), and journald
//! entries of known programs (`SYSLOG_IDENTIFIER` + `MESSAGE`) go through
//! the program parsers. Invalid JSON returns None (the heuristic reads it).

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

use crate::event::{Category, Event, Outcome};
use crate::format::{Format, ParseCtx};
use crate::formats::{heuristic, windows_event_text};
use crate::net::{looks_like_hostname, parse_ip};
use crate::time::Timestamp;

pub fn parse<'a>(line: &'a str, ctx: &ParseCtx) -> Option<Event<'a>> {
    let t = line.trim_start_matches([' ', '\t', '\u{feff}']);
    if !t.starts_with('{') || !t.trim_end().ends_with('}') {
        return None;
    }
    let J::Obj(fields) = serde_json::from_str::<J<'a>>(t).ok()? else {
        return None;
    };
    let mut ev = Event::new(Format::Json, line, Timestamp::default());
    let mut st = State::default();
    let mut prefix = String::new();
    walk(&mut ev, &mut st, &mut prefix, fields, ctx);
    finish(&mut ev);
    Some(ev)
}

// ---------------------------------------------------------------------------
// A borrowed JSON tree

/// A JSON value whose strings borrow from the input when they had no
/// escapes.
#[derive(Debug, Clone, PartialEq)]
enum J<'a> {
    Null,
    Bool(bool),
    Num(Number),
    Str(Cow<'a, str>),
    Arr(Vec<J<'a>>),
    Obj(Vec<(Cow<'a, str>, J<'a>)>),
}

impl<'de> Deserialize<'de> for J<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JVisitor)
    }
}

struct JVisitor;

impl<'de> Visitor<'de> for JVisitor {
    type Value = J<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<J<'de>, E> {
        Ok(J::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<J<'de>, E> {
        Ok(J::Num(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<J<'de>, E> {
        Ok(J::Num(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<J<'de>, E> {
        Ok(Number::from_f64(v).map_or(J::Null, J::Num))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<J<'de>, E> {
        Ok(J::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<J<'de>, E> {
        Ok(J::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<J<'de>, E> {
        Ok(J::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<J<'de>, E> {
        Ok(J::Null)
    }
    fn visit_none<E>(self) -> Result<J<'de>, E> {
        Ok(J::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J<'de>, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = seq.next_element()? {
            v.push(x);
        }
        Ok(J::Arr(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J<'de>, A::Error> {
        let mut v = Vec::new();
        while let Some((Key(k), x)) = map.next_entry::<Key<'de>, J<'de>>()? {
            v.push((k, x));
        }
        Ok(J::Obj(v))
    }
}

/// An object key, borrowed when it had no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

fn to_value(j: J<'_>) -> Value {
    match j {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(b),
        J::Num(n) => Value::Number(n),
        J::Str(s) => Value::String(s.into_owned()),
        J::Arr(a) => Value::Array(a.into_iter().map(to_value).collect()),
        J::Obj(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k.into_owned(), to_value(v)))
                .collect(),
        ),
    }
}

// ---------------------------------------------------------------------------
// Mapping

#[derive(Default)]
struct State<'a> {
    /// The timestamp field in use: (rank, name, value); lower rank wins.
    ts: Option<(u8, Cow<'a, str>, J<'a>)>,
}

fn walk<'a>(
    ev: &mut Event<'a>,
    st: &mut State<'a>,
    prefix: &mut String,
    fields: Vec<(Cow<'a, str>, J<'a>)>,
    ctx: &ParseCtx,
) {
    for (key, value) in fields {
        match value {
            J::Obj(inner) if !inner.is_empty() => {
                let len = prefix.len();
                prefix.push_str(&key);
                prefix.push('.');
                walk(ev, st, prefix, inner, ctx);
                prefix.truncate(len);
            }
            value => {
                let name = if prefix.is_empty() {
                    key
                } else {
                    Cow::Owned(format!("{prefix}{key}"))
                };
                if let Some((name, value)) = assign(ev, st, name, value, ctx) {
                    ev.extra.push((name, to_value(value)));
                }
            }
        }
    }
}

/// The event member a known key goes to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Member {
    /// A timestamp, with its rank (lower wins) and whether a numeric
    /// string is microseconds (journald).
    Time(u8, bool),
    Level,
    Priority,
    Message,
    SourceIp,
    SourceAddress,
    ForwardedFor,
    SourcePort,
    DestinationIp,
    DestinationPort,
    User,
    UserTarget,
    Group,
    Host,
    Process,
    Pid,
    CommandLine,
    Method,
    Url,
    Request,
    Status,
    UserAgent,
    Referrer,
    Bytes,
    HttpVersion,
    UrlDomain,
    Action,
    Category,
    Outcome,
    /// A boolean saying success (`true`) or, when the flag is set, failure.
    Flag(bool),
    Code,
    Provider,
    Reason,
    Duration,
}

fn member(name: &str) -> Option<Member> {
    use Member::*;
    Some(match name {
        "@timestamp" => Time(0, false),
        "_source_realtime_timestamp" => Time(1, true),
        "timestamp" | "time" | "ts" | "datetime" | "date" | "@t" | "eventtime" | "event_time"
        | "asctime" | "time_iso8601" | "time_local" | "logtime" | "log_time" | "timegenerated"
        | "time_generated" => Time(2, false),
        "__realtime_timestamp" => Time(3, true),
        "level" | "severity" | "log.level" | "lvl" | "loglevel" | "log_level" | "levelname"
        | "level_name" | "@l" | "severitytext" | "severity_text" => Level,
        "priority" => Priority,
        "message" | "msg" | "@m" | "log" | "full_message" | "short_message" | "textpayload" => {
            Message
        }
        "ip"
        | "client_ip"
        | "clientip"
        | "remote_addr"
        | "src_ip"
        | "source_ip"
        | "remote_ip"
        | "remoteip"
        | "srcip"
        | "source.ip"
        | "client.ip"
        | "client_addr"
        | "c_ip"
        | "real_ip"
        | "x_real_ip"
        | "httprequest.remoteip"
        | "ipaddress"
        | "ip_address" => SourceIp,
        "source.address" | "client.address" | "source.domain" | "remote_host" | "rhost" | "src" => {
            SourceAddress
        }
        "x_forwarded_for" | "http_x_forwarded_for" | "forwarded_for" | "xff" => ForwardedFor,
        "src_port" | "source_port" | "source.port" | "client.port" | "remote_port" | "srcport"
        | "sport" | "client_port" | "spt" | "ipport" => SourcePort,
        "destination.ip" | "dst_ip" | "dest_ip" | "dstip" | "server.ip" | "dst" => DestinationIp,
        "destination.port" | "dst_port" | "dest_port" | "dstport" | "dport" | "dpt"
        | "server.port" => DestinationPort,
        "user" | "username" | "user_name" | "login" | "user.name" | "usr.name" | "usr"
        | "remote_user" | "uname" | "targetusername" | "cs_username" => User,
        "user.target.name" | "target_user" | "target_username" => UserTarget,
        "group" | "group.name" => Group,
        "host" | "hostname" | "host.name" | "_hostname" | "host.hostname" | "computer"
        | "computer_name" | "computername" => Host,
        "process.name" | "program" | "syslog_identifier" | "appname" | "app_name" | "_comm"
        | "process" | "proc" => Process,
        "pid" | "process.pid" | "_pid" | "syslog_pid" | "process_id" | "processid" => Pid,
        "process.command_line"
        | "cmdline"
        | "_cmdline"
        | "command_line"
        | "commandline"
        | "cmd"
        | "command" => CommandLine,
        "method"
        | "http_method"
        | "request_method"
        | "http.request.method"
        | "httprequest.requestmethod"
        | "verb"
        | "cs_method" => Method,
        "path"
        | "url"
        | "uri"
        | "request_uri"
        | "url.original"
        | "url.full"
        | "url.path"
        | "httprequest.requesturl"
        | "cs_uri_stem" => Url,
        "request" => Request,
        "status"
        | "status_code"
        | "statuscode"
        | "http_status"
        | "response_code"
        | "response_status"
        | "http.response.status_code"
        | "httprequest.status"
        | "sc_status" => Status,
        "user_agent"
        | "useragent"
        | "http_user_agent"
        | "user_agent.original"
        | "httprequest.useragent"
        | "ua"
        | "agent" => UserAgent,
        "referer"
        | "referrer"
        | "http_referer"
        | "http_referrer"
        | "http.request.referrer"
        | "httprequest.referer" => Referrer,
        "bytes"
        | "body_bytes_sent"
        | "bytes_sent"
        | "response_size"
        | "size"
        | "http.response.body.bytes"
        | "httprequest.responsesize"
        | "sc_bytes" => Bytes,
        "http_version" | "http.version" | "protocol" | "server_protocol" => HttpVersion,
        "url.domain" | "vhost" | "server_name" | "http_host" | "virtual_host" => UrlDomain,
        "action" | "event.action" | "event" | "event_type" => Action,
        "event.category" | "category" => Category,
        "event.outcome" | "outcome" | "result" => Outcome,
        "success" | "successful" | "succeeded" | "ok" | "allowed" | "authenticated" => Flag(false),
        "failed" | "failure" | "denied" | "blocked" => Flag(true),
        "event.code" | "event_id" | "eventid" => Code,
        "event.provider" | "provider" | "providername" | "provider_name" | "sourcename"
        | "source_name" => Provider,
        "event.reason" | "reason" | "failure_reason" => Reason,
        "event.duration" => Duration,
        _ => return None,
    })
}

/// `name` lowercased with `-` as `_`, in `buf` (None when longer than it).
fn normalize<'b>(name: &str, buf: &'b mut [u8; 64]) -> Option<&'b str> {
    let b = name.as_bytes();
    let out = buf.get_mut(..b.len())?;
    for (o, &c) in out.iter_mut().zip(b) {
        *o = if c == b'-' {
            b'_'
        } else {
            c.to_ascii_lowercase()
        };
    }
    std::str::from_utf8(out).ok()
}

/// Maps one field; returns it back when it does not map onto the event (or
/// its member is already set).
fn assign<'a>(
    ev: &mut Event<'a>,
    st: &mut State<'a>,
    name: Cow<'a, str>,
    v: J<'a>,
    ctx: &ParseCtx,
) -> Option<(Cow<'a, str>, J<'a>)> {
    let mut buf = [0u8; 64];
    let Some(t) = normalize(&name, &mut buf).and_then(member) else {
        return Some((name, v));
    };
    if let Member::Time(rank, micros) = t {
        let Some(ts) = timestamp(&v, micros, ctx) else {
            return Some((name, v));
        };
        if st.ts.as_ref().is_some_and(|(r, _, _)| *r <= rank) {
            return Some((name, v));
        }
        ev.timestamp = ts;
        return st.ts.replace((rank, name, v)).map(|(_, n, v)| (n, v));
    }
    if apply(ev, t, &v) {
        None
    } else {
        Some((name, v))
    }
}

/// Sets the member `t` from `v` when it is unset and `v` fits; whether it
/// did. `v` is cloned only where a string is kept (cheap when borrowed).
fn apply<'a>(ev: &mut Event<'a>, t: Member, v: &J<'a>) -> bool {
    use Member as T;
    let s = match v {
        J::Str(s) => Some(s),
        _ => None,
    };
    let text = s.map(|s| s.as_ref().trim());
    fn put<'a>(slot: &mut Option<Cow<'a, str>>, s: Option<&Cow<'a, str>>) -> bool {
        match s {
            Some(s) if slot.is_none() && !s.is_empty() && s.as_ref() != "-" => {
                *slot = Some(s.clone());
                true
            }
            _ => false,
        }
    }
    match t {
        T::Time(..) => false,
        T::Level => {
            if ev.log_level.is_some() {
                return false;
            }
            if let Some(n) = int(v).filter(|_| s.is_none()) {
                return match bunyan_level(n) {
                    Some(l) => {
                        ev.log_level = Some(Cow::Borrowed(l));
                        true
                    }
                    None => false,
                };
            }
            put(&mut ev.log_level, s)
        }
        T::Priority => match int(v).and_then(syslog_level) {
            Some(l) if ev.log_level.is_none() => {
                ev.log_level = Some(Cow::Borrowed(l));
                true
            }
            _ => false,
        },
        T::Message => put(&mut ev.message, s),
        T::SourceIp | T::ForwardedFor => {
            let Some(text) = text else { return false };
            let first = if t == T::ForwardedFor {
                text.split(',').next().unwrap_or("").trim()
            } else {
                text
            };
            match parse_ip(first) {
                Some(ip) if ev.source_ip.is_none() => {
                    ev.source_ip = Some(ip);
                    true
                }
                _ => false,
            }
        }
        T::SourceAddress => {
            let (Some(s), Some(text)) = (s, text) else {
                return false;
            };
            if ev.source_ip.is_some() || ev.source_domain.is_some() {
                return false;
            }
            if let Some(ip) = parse_ip(text) {
                ev.source_ip = Some(ip);
                true
            } else if looks_like_hostname(text) {
                ev.source_domain = Some(s.clone());
                true
            } else {
                false
            }
        }
        T::SourcePort => set_once(&mut ev.source_port, port(v)),
        T::DestinationIp => set_once(&mut ev.destination_ip, text.and_then(parse_ip)),
        T::DestinationPort => set_once(&mut ev.destination_port, port(v)),
        T::User => put(&mut ev.user_name, s),
        T::UserTarget => put(&mut ev.user_target_name, s),
        T::Group => put(&mut ev.group_name, s),
        T::Host => put(&mut ev.host_name, s),
        T::Process => put(&mut ev.process_name, s),
        T::Pid => set_once(
            &mut ev.process_pid,
            int(v).and_then(|n| u32::try_from(n).ok()),
        ),
        T::CommandLine => put(&mut ev.process_command_line, s),
        T::Method => put(&mut ev.http_method, s),
        T::Url => put(&mut ev.url_original, s),
        T::Request => {
            let Some(s) = s else { return false };
            if ev.http_method.is_some() || ev.url_original.is_some() {
                return false;
            }
            request_line(ev, s.clone())
        }
        T::Status => {
            if let Some(code) = int(v).filter(|n| (100..=999).contains(n)) {
                return set_once(&mut ev.http_status, u16::try_from(code).ok());
            }
            set_outcome(ev, text.and_then(outcome_word))
        }
        T::UserAgent => put(&mut ev.user_agent, s),
        T::Referrer => put(&mut ev.http_referrer, s),
        T::Bytes => set_once(
            &mut ev.http_bytes,
            int(v).and_then(|n| u64::try_from(n).ok()),
        ),
        T::HttpVersion => {
            let Some(s) = s else { return false };
            let v = sub(s, |t| t.strip_prefix("HTTP/").unwrap_or(t));
            put(&mut ev.http_version, Some(&v))
        }
        T::UrlDomain => put(&mut ev.url_domain, s),
        T::Action => {
            if !put(&mut ev.action, s) {
                return false;
            }
            if ev.outcome.is_none() {
                ev.outcome = text.and_then(outcome_word);
            }
            true
        }
        T::Category => {
            if ev.category.is_some() {
                return false;
            }
            let found = match v {
                J::Str(s) => category(s),
                J::Arr(items) => items.iter().find_map(|i| match i {
                    J::Str(s) => category(s),
                    _ => None,
                }),
                _ => None,
            };
            set_once(&mut ev.category, found)
        }
        T::Outcome => match v {
            J::Bool(b) => set_outcome(
                ev,
                Some(if *b {
                    Outcome::Success
                } else {
                    Outcome::Failure
                }),
            ),
            _ => set_outcome(ev, text.and_then(outcome_word)),
        },
        T::Flag(negated) => match v {
            J::Bool(b) => set_outcome(
                ev,
                Some(if *b != negated {
                    Outcome::Success
                } else {
                    Outcome::Failure
                }),
            ),
            _ => false,
        },
        T::Code => {
            if ev.code.is_some() {
                return false;
            }
            match v {
                J::Str(s) if !s.is_empty() => ev.code = Some(s.clone()),
                J::Num(n) => ev.code = Some(Cow::Owned(n.to_string())),
                _ => return false,
            }
            true
        }
        T::Provider => put(&mut ev.provider, s),
        T::Reason => put(&mut ev.reason, s),
        T::Duration => set_once(
            &mut ev.duration_ns,
            int(v).and_then(|n| u64::try_from(n).ok()),
        ),
    }
}

fn set_once<T>(slot: &mut Option<T>, v: Option<T>) -> bool {
    if slot.is_some() || v.is_none() {
        return false;
    }
    *slot = v;
    true
}

fn set_outcome(ev: &mut Event<'_>, o: Option<Outcome>) -> bool {
    set_once(&mut ev.outcome, o)
}

/// A part of a string value, borrowed when the value was.
fn sub<'a>(s: &Cow<'a, str>, f: impl for<'x> Fn(&'x str) -> &'x str) -> Cow<'a, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(f(b)),
        Cow::Owned(o) => Cow::Owned(f(o).to_owned()),
    }
}

/// `GET /path HTTP/1.1` into method, URL and version.
fn request_line<'a>(ev: &mut Event<'a>, s: Cow<'a, str>) -> bool {
    let mut parts = s.split(' ').filter(|p| !p.is_empty());
    let (Some(method), Some(_url)) = (parts.next(), parts.next()) else {
        return false;
    };
    if !method.bytes().all(|c| c.is_ascii_uppercase()) {
        return false;
    }
    let nth = |n: usize| {
        sub(&s, move |t| {
            t.split(' ').filter(|p| !p.is_empty()).nth(n).unwrap_or("")
        })
    };
    ev.http_method = Some(nth(0));
    ev.url_original = Some(nth(1));
    let version = sub(&nth(2), |t| t.strip_prefix("HTTP/").unwrap_or(t));
    if !version.is_empty() && ev.http_version.is_none() {
        ev.http_version = Some(version);
    }
    true
}

fn category(s: &str) -> Option<Category> {
    Category::parse(s).or_else(|| Category::parse(&s.to_ascii_lowercase()))
}

/// An integer from a number or a numeric string.
fn int(v: &J<'_>) -> Option<i64> {
    match v {
        J::Num(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9e18)
                .map(|f| f as i64)
        }),
        J::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn port(v: &J<'_>) -> Option<u16> {
    int(v)
        .and_then(|n| u16::try_from(n).ok())
        .filter(|&p| p != 0)
}

/// Words that say how something went.
fn outcome_word(w: &str) -> Option<Outcome> {
    const SUCCESS: [&str; 15] = [
        "success",
        "succeeded",
        "successful",
        "ok",
        "true",
        "allowed",
        "allow",
        "accepted",
        "accept",
        "permitted",
        "permit",
        "pass",
        "passed",
        "granted",
        "authenticated",
    ];
    const FAILURE: [&str; 19] = [
        "failure",
        "failed",
        "fail",
        "false",
        "error",
        "denied",
        "deny",
        "rejected",
        "reject",
        "refused",
        "blocked",
        "block",
        "drop",
        "dropped",
        "invalid",
        "unauthorized",
        "forbidden",
        "login_failed",
        "auth_failed",
    ];
    let is = |list: &[&str]| list.iter().any(|x| x.eq_ignore_ascii_case(w));
    if is(&SUCCESS) {
        Some(Outcome::Success)
    } else if is(&FAILURE) {
        Some(Outcome::Failure)
    } else if w.eq_ignore_ascii_case("unknown") {
        Some(Outcome::Unknown)
    } else {
        None
    }
}

fn bunyan_level(n: i64) -> Option<&'static str> {
    Some(match n {
        10 => "trace",
        20 => "debug",
        30 => "info",
        40 => "warn",
        50 => "error",
        60 => "fatal",
        _ => return syslog_level(n),
    })
}

fn syslog_level(n: i64) -> Option<&'static str> {
    Some(match n {
        0 => "emergency",
        1 => "alert",
        2 => "critical",
        3 => "error",
        4 => "warning",
        5 => "notice",
        6 => "informational",
        7 => "debug",
        _ => return None,
    })
}

/// A timestamp value: a string stamp, or epoch seconds / ms / µs / ns by
/// magnitude (`micros`: journald's µs, also as a string).
fn timestamp(v: &J<'_>, micros: bool, ctx: &ParseCtx) -> Option<Timestamp> {
    match v {
        J::Str(s) => {
            let s = s.trim();
            if micros {
                return s
                    .parse::<i64>()
                    .ok()
                    .and_then(|us| from_scaled(us, 1_000_000));
            }
            if let Some((ts, _)) = Timestamp::parse_rfc3339_prefix(s.as_bytes(), Some(&ctx.zone)) {
                return Some(ts);
            }
            if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
                return s.parse::<i64>().ok().and_then(epoch);
            }
            heuristic::timestamp_at_start(s, ctx)
        }
        J::Num(n) => {
            if micros {
                return n.as_i64().and_then(|us| from_scaled(us, 1_000_000));
            }
            if let Some(i) = n.as_i64() {
                return epoch(i);
            }
            let f = n.as_f64()?;
            if !(0.0..1e11).contains(&f) {
                return n.as_f64().and_then(|f| epoch(f as i64));
            }
            let secs = f.trunc();
            let nanos = ((f - secs) * 1e9).round().min(999_999_999.0) as u32;
            Some(Timestamp {
                secs: secs as i64,
                nanos,
            })
        }
        _ => None,
    }
}

/// Epoch seconds, milliseconds, microseconds or nanoseconds, by magnitude.
fn epoch(n: i64) -> Option<Timestamp> {
    match n {
        ..0 => None,
        0..100_000_000_000 => Some(Timestamp::from_secs(n)),
        100_000_000_000..100_000_000_000_000 => Some(Timestamp::from_millis(n)),
        100_000_000_000_000..100_000_000_000_000_000 => from_scaled(n, 1_000_000),
        _ => from_scaled(n, 1_000_000_000),
    }
}

fn from_scaled(n: i64, per_sec: i64) -> Option<Timestamp> {
    if n < 0 {
        return None;
    }
    Some(Timestamp {
        secs: n / per_sec,
        nanos: ((n % per_sec) * (1_000_000_000 / per_sec)) as u32,
    })
}

/// Facts the fields did not state: Windows event ids, journald program
/// messages, security keywords.
fn finish<'a>(ev: &mut Event<'a>) {
    if ev.category.is_none()
        && let (Some(code), Some(provider)) = (&ev.code, &ev.provider)
        && let Ok(id) = code.parse::<u32>()
        && let Some((cat, action, outcome)) = windows_event_text::event_facts(id, provider)
    {
        ev.category = Some(cat);
        ev.action.get_or_insert(Cow::Borrowed(action));
        if ev.outcome.is_none() {
            ev.outcome = outcome;
        }
    }
    if ev.category.is_none()
        && let (Some(Cow::Borrowed(program)), Some(Cow::Borrowed(msg))) =
            (&ev.process_name, &ev.message)
    {
        let (program, msg): (&'a str, &'a str) = (*program, *msg);
        crate::programs::enrich(ev, program, msg);
    }
    if ev.category.is_none() {
        let texts = [ev.action.as_deref(), ev.message.as_deref()];
        for text in texts.into_iter().flatten() {
            let facts = heuristic::classify(text);
            if facts.category.is_some() && (ev.outcome.is_none() || facts.outcome == ev.outcome) {
                ev.category = facts.category;
                ev.outcome = ev.outcome.or(facts.outcome);
                break;
            }
            if facts.authentication && ev.outcome.is_some() {
                ev.category = Some(Category::Authentication);
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Zone;

    fn ctx() -> ParseCtx {
        ParseCtx::utc(Timestamp::from_secs(1_705_400_000))
    }

    fn p(line: &str) -> Event<'_> {
        parse(line, &ctx()).unwrap_or_else(|| panic!("no parse: {line}"))
    }

    fn extra<'e>(ev: &'e Event<'_>, name: &str) -> Option<&'e Value> {
        ev.extra.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    #[test]
    fn example_line() {
        let ev = p(Format::Json.example());
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(ev.log_level.as_deref(), Some("warn"));
        assert_eq!(ev.message.as_deref(), Some("login failed"));
        assert_eq!(ev.user_name.as_deref(), Some("bob"));
        assert_eq!(
            ev.source_ip.map(|i| i.to_string()).as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(ev.category, Some(Category::Authentication));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert!(ev.extra.is_empty());
        assert!(matches!(ev.message, Some(Cow::Borrowed(_))));
    }

    #[test]
    fn ecs_nested_and_dotted() {
        let ev = p(
            r#"{"@timestamp":"2024-01-15T10:30:45.5Z","source":{"ip":"203.0.113.7","port":52144},"user":{"name":"bob","id":"1001"},"event":{"category":["authentication"],"outcome":"failure","action":"ssh_login","dataset":"system.auth"},"labels":{"env":"prod"},"service.name":"sshd","tags":["a","b"],"host":{"name":"web1"}}"#,
        );
        assert_eq!(ev.timestamp.nanos, 500_000_000);
        assert_eq!(ev.source_port, Some(52144));
        assert_eq!(ev.user_name.as_deref(), Some("bob"));
        assert_eq!(ev.category, Some(Category::Authentication));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.action.as_deref(), Some("ssh_login"));
        assert_eq!(ev.host_name.as_deref(), Some("web1"));
        assert_eq!(extra(&ev, "user.id"), Some(&Value::from("1001")));
        assert_eq!(
            extra(&ev, "event.dataset"),
            Some(&Value::from("system.auth"))
        );
        assert_eq!(extra(&ev, "labels.env"), Some(&Value::from("prod")));
        assert_eq!(extra(&ev, "service.name"), Some(&Value::from("sshd")));
        assert_eq!(extra(&ev, "tags"), Some(&serde_json::json!(["a", "b"])));
        let ev = p(
            r#"{"source.ip":"2001:db8::7","user.name":"eve","event.outcome":"success","event.category":"authentication"}"#,
        );
        assert_eq!(
            ev.source_ip.map(|i| i.to_string()).as_deref(),
            Some("2001:db8::7")
        );
        assert_eq!(
            (ev.user_name.as_deref(), ev.outcome),
            (Some("eve"), Some(Outcome::Success))
        );
    }

    #[test]
    fn web_access_json() {
        let ev = p(
            r#"{"time_local":"15/Jan/2024:10:30:45 +0000","remote_addr":"10.0.0.1","http_x_forwarded_for":"203.0.113.7, 10.0.0.1","request":"GET /wp-login.php?x=1 HTTP/1.1","status":"404","body_bytes_sent":"153","http_referer":"-","http_user_agent":"curl/8.0"}"#,
        );
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(
            ev.source_ip.map(|i| i.to_string()).as_deref(),
            Some("10.0.0.1")
        );
        assert_eq!(
            extra(&ev, "http_x_forwarded_for"),
            Some(&Value::from("203.0.113.7, 10.0.0.1"))
        );
        assert_eq!(ev.http_method.as_deref(), Some("GET"));
        assert_eq!(ev.url_original.as_deref(), Some("/wp-login.php?x=1"));
        assert_eq!(ev.http_version.as_deref(), Some("1.1"));
        assert_eq!(ev.http_status, Some(404));
        assert_eq!(ev.http_bytes, Some(153));
        assert_eq!(ev.http_referrer, None);
        assert_eq!(ev.user_agent.as_deref(), Some("curl/8.0"));
        let ev = p(
            r#"{"ts":1705314645.25,"level":30,"x_forwarded_for":"198.51.100.2, 10.0.0.1","method":"POST","path":"/login","status":401,"user-agent":"Mozilla/5.0 \"quoted\""}"#,
        );
        assert_eq!(
            (ev.timestamp.secs, ev.timestamp.nanos),
            (1_705_314_645, 250_000_000)
        );
        assert_eq!(ev.log_level.as_deref(), Some("info"));
        assert_eq!(
            ev.source_ip.map(|i| i.to_string()).as_deref(),
            Some("198.51.100.2")
        );
        assert_eq!(ev.user_agent.as_deref(), Some("Mozilla/5.0 \"quoted\""));
        assert!(matches!(ev.user_agent, Some(Cow::Owned(_))));
    }

    #[test]
    fn timestamps_and_outcomes() {
        for (line, secs) in [
            (r#"{"time":1705314645}"#, 1_705_314_645),
            (r#"{"time":1705314645123}"#, 1_705_314_645),
            (r#"{"time":"1705314645"}"#, 1_705_314_645),
            (r#"{"date":"2024-01-15 10:30:45,123"}"#, 1_705_314_645),
            (r#"{"Timestamp":"Jan 15 10:30:45"}"#, 1_705_314_645),
            (
                r#"{"time":"x","@timestamp":"2024-01-15T10:30:45Z","timestamp":"2020-01-01T00:00:00Z"}"#,
                1_705_314_645,
            ),
        ] {
            assert_eq!(p(line).timestamp.secs, secs, "{line}");
        }
        let ev = p(r#"{"timestamp":"2020-01-01T00:00:00Z","@timestamp":"2024-01-15T10:30:45Z"}"#);
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(
            extra(&ev, "timestamp"),
            Some(&Value::from("2020-01-01T00:00:00Z"))
        );
        let c = ParseCtx::new(Zone::fixed(3600), Timestamp::from_secs(1_705_400_000));
        assert_eq!(
            parse(r#"{"time":"2024-01-15 11:30:45"}"#, &c)
                .unwrap()
                .timestamp
                .secs,
            1_705_314_645
        );

        assert_eq!(
            p(r#"{"event":"login","result":"denied"}"#).outcome,
            Some(Outcome::Failure)
        );
        assert_eq!(
            p(r#"{"event":"login","result":"denied"}"#).category,
            Some(Category::Authentication)
        );
        assert_eq!(p(r#"{"action":"blocked"}"#).outcome, Some(Outcome::Failure));
        assert_eq!(p(r#"{"success":true}"#).outcome, Some(Outcome::Success));
        assert_eq!(p(r#"{"failed":true}"#).outcome, Some(Outcome::Failure));
        assert_eq!(
            p(r#"{"status":"failed","msg":"password check"}"#).category,
            Some(Category::Authentication)
        );
        let ev = p(r#"{"result":"maybe"}"#);
        assert_eq!(ev.outcome, None);
        assert_eq!(extra(&ev, "result"), Some(&Value::from("maybe")));
    }

    #[test]
    fn journald_and_windows() {
        let ev = p(
            r#"{"__REALTIME_TIMESTAMP":"1705314645123456","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"sshd","_PID":"1234","PRIORITY":"6","MESSAGE":"Failed password for root from 203.0.113.7 port 52144 ssh2","__CURSOR":"s=abc"}"#,
        );
        assert_eq!(
            (ev.timestamp.secs, ev.timestamp.nanos),
            (1_705_314_645, 123_456_000)
        );
        assert_eq!(ev.host_name.as_deref(), Some("web1"));
        assert_eq!(ev.process_name.as_deref(), Some("sshd"));
        assert_eq!(ev.process_pid, Some(1234));
        assert_eq!(ev.log_level.as_deref(), Some("informational"));
        assert_eq!(ev.category, Some(Category::Authentication));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(extra(&ev, "__CURSOR"), Some(&Value::from("s=abc")));

        let ev = p(
            r#"{"EventTime":"2024-01-15 10:30:45","Hostname":"DC01","SourceName":"Microsoft-Windows-Security-Auditing","EventID":4625,"TargetUserName":"bob","IpAddress":"203.0.113.7","IpPort":"52144","LogonType":3}"#,
        );
        assert_eq!(ev.code.as_deref(), Some("4625"));
        assert_eq!(ev.action.as_deref(), Some("logon_failed"));
        assert_eq!(
            (ev.category, ev.outcome),
            (Some(Category::Authentication), Some(Outcome::Failure))
        );
        assert_eq!(ev.user_name.as_deref(), Some("bob"));
        assert_eq!(ev.source_port, Some(52144));
        assert_eq!(extra(&ev, "LogonType"), Some(&Value::from(3)));
    }

    #[test]
    fn malformed() {
        for l in [
            "",
            "{",
            "}",
            "{\"a\":1",
            "{\"a\":}",
            "{\"a\":1} trailing",
            "[1,2,3]",
            "\"str\"",
            "42",
            "null",
            "not json {\"a\":1}",
            "{'single':'quotes'}",
            "{\"a\":\"\\ud800\"}",
            "Jan 15 10:30:45 web1 sshd[1]: {\"a\":1}",
        ] {
            assert!(parse(l, &ctx()).is_none(), "{l}");
        }
        // Odd but valid input never panics.
        let deep = format!("{}1{}", "{\"a\":".repeat(100), "}".repeat(100));
        let ev = p(&deep);
        assert_eq!(ev.extra.len(), 1);
        let too_deep = format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200));
        assert!(parse(&too_deep, &ctx()).is_none());
        for l in [
            r#"{}"#,
            r#"{"a":{}}"#,
            r#"{"time":-5,"status":99999,"pid":-1,"src_port":70000,"bytes":-3,"level":{"x":1}}"#,
            r#"{"time":1e300,"ts":"9999999999999999999999"}"#,
            r#"{"ip":"not-an-ip","user":42,"message":null,"event.category":"nonsense"}"#,
            r#"{"\u00e9\u00e9":"\u00e9","request":"\u00e9 \u00e9","protocol":"HTTP/"}"#,
            r#"{"a":1,"a":2}"#,
        ] {
            let _ = p(l);
        }
        let ev = p(r#"{"ip":"not-an-ip","user":42}"#);
        assert_eq!(ev.source_ip, None);
        assert_eq!(ev.extra.len(), 2);
    }
}
