//! IIS W3C extended log: space-separated columns named by the last
//! `#Fields:` directive, e.g.
//!
//! ```text
//! #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken
//! 2024-01-15 10:30:45 10.0.0.5 POST /owa/auth.owa - 443 bob 203.0.113.7 Mozilla/5.0+(Windows+NT+10.0) - 401 1 1326 15
//! ```
//!
//! The directive in force is tracked by `FormatState::observe` (it can
//! change mid-file) and handed to `parse` as precomputed column indexes
//! (`IisFields`). Without one, IIS's default field list is assumed, and only
//! lines that fit it exactly (column count, stamp, addresses, numbers) are
//! accepted. Directive lines (`#Software:`, `#Version:`, `#Date:`,
//! `#Fields:`, ...) are events too, with the directive as `message`.
//!
//! Stamps are UTC (IIS always writes UTC). Maps `source.ip` (c-ip),
//! `user.name`, `http.request.method`, `url.original` (stem, plus `?query`
//! when there is one), `http.response.status_code` and the outcome,
//! `user_agent.original` (`+` read as space, as IIS encodes spaces),
//! `http.request.referrer`, `destination.ip` / `destination.port` (s-ip,
//! s-port), `url.domain` (cs-host), `http.response.body.bytes` (sc-bytes),
//! `http.version`, `host.name` (s-computername), `event.duration`
//! (time-taken, milliseconds, as nanoseconds).

use std::borrow::Cow;
use std::sync::LazyLock;

use crate::event::{Category, Event};
use crate::format::{Format, ParseCtx};
use crate::formats::access_log::{set_status, strip_port};
use crate::time::{CivilDateTime, Timestamp, digits, parse_hms, two_digits};

/// The most columns a line may have.
const MAX_COLUMNS: usize = 64;

/// IIS's default field list, used when no `#Fields:` directive was seen.
pub const DEFAULT_FIELDS: &str = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

static DEFAULT: LazyLock<Option<IisFields>> =
    LazyLock::new(|| IisFields::from_directive(DEFAULT_FIELDS));

/// The columns of a `#Fields:` directive, with the index of each column this
/// parser maps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IisFields {
    /// The column names, as the directive lists them.
    pub names: Vec<String>,
    date: Option<usize>,
    time: Option<usize>,
    c_ip: Option<usize>,
    cs_username: Option<usize>,
    cs_method: Option<usize>,
    cs_uri_stem: Option<usize>,
    cs_uri_query: Option<usize>,
    sc_status: Option<usize>,
    user_agent: Option<usize>,
    referer: Option<usize>,
    s_ip: Option<usize>,
    s_port: Option<usize>,
    cs_host: Option<usize>,
    time_taken: Option<usize>,
    sc_bytes: Option<usize>,
    cs_version: Option<usize>,
    s_computername: Option<usize>,
}

impl IisFields {
    /// Reads a `#Fields:` directive; `None` for any other line.
    pub fn from_directive(line: &str) -> Option<IisFields> {
        let rest = line.strip_prefix("#Fields:")?;
        let names: Vec<String> = rest.split_whitespace().map(str::to_string).collect();
        if names.is_empty() || names.len() > MAX_COLUMNS {
            return None;
        }
        let mut f = IisFields::default();
        for (i, n) in names.iter().enumerate() {
            let slot = match n.to_ascii_lowercase().as_str() {
                "date" => &mut f.date,
                "time" => &mut f.time,
                "c-ip" => &mut f.c_ip,
                "cs-username" => &mut f.cs_username,
                "cs-method" => &mut f.cs_method,
                "cs-uri-stem" => &mut f.cs_uri_stem,
                "cs-uri-query" => &mut f.cs_uri_query,
                "sc-status" => &mut f.sc_status,
                "cs(user-agent)" => &mut f.user_agent,
                "cs(referer)" => &mut f.referer,
                "s-ip" => &mut f.s_ip,
                "s-port" => &mut f.s_port,
                "cs-host" | "cs(host)" => &mut f.cs_host,
                "time-taken" => &mut f.time_taken,
                "sc-bytes" => &mut f.sc_bytes,
                "cs-version" => &mut f.cs_version,
                "s-computername" => &mut f.s_computername,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(i);
            }
        }
        f.names = names;
        Some(f)
    }
}

pub fn parse<'a>(line: &'a str, ctx: &ParseCtx, fields: Option<&IisFields>) -> Option<Event<'a>> {
    let _ = ctx; // IIS stamps are UTC whatever the configured zone
    if line.starts_with('#') {
        return parse_directive(line);
    }
    let (f, strict) = match fields {
        Some(f) => (f, false),
        None => (DEFAULT.as_ref()?, true),
    };
    let text = line.trim_end_matches(['\r', ' ']);
    let b = text.as_bytes();
    // Fast reject: the default layout starts with a date.
    if strict && !b.first()?.is_ascii_digit() {
        return None;
    }
    let mut cols = [(0usize, 0usize); MAX_COLUMNS];
    let mut n = 0;
    let mut start = 0;
    for end in memchr::memchr_iter(b' ', b).chain(std::iter::once(b.len())) {
        if n == MAX_COLUMNS {
            return None;
        }
        cols[n] = (start, end);
        n += 1;
        start = end + 1;
    }
    if n != f.names.len() {
        return None;
    }
    let col = |idx: Option<usize>| -> Option<&'a str> {
        let (s, e) = *cols.get(idx?)?;
        line.get(s..e).filter(|v| *v != "-" && !v.is_empty())
    };

    let ts = match (col(f.date), col(f.time)) {
        (Some(d), Some(t)) => stamp(d, t)?,
        (None, None) if f.date.is_none() && f.time.is_none() => Timestamp::default(),
        _ => return None,
    };
    if strict && !default_layout_fits(f, &col) {
        return None;
    }
    let mut ev = Event::new(Format::IisW3c, line, ts);
    ev.category = Some(Category::Web);
    ev.action = Some(Cow::Borrowed("http_request"));
    if let Some(v) = col(f.sc_status) {
        let (status, used) = digits(v.as_bytes(), 0, 3)?;
        if used != v.len() {
            return None;
        }
        set_status(&mut ev, status as u16);
    }
    if let Some(v) = col(f.c_ip) {
        ev.set_source(v);
    }
    ev.user_name = col(f.cs_username).map(Cow::Borrowed);
    ev.http_method = col(f.cs_method).map(Cow::Borrowed);
    ev.url_original = match (col(f.cs_uri_stem), col(f.cs_uri_query)) {
        (Some(stem), Some(q)) => Some(Cow::Owned(format!("{stem}?{q}"))),
        (Some(stem), None) => Some(Cow::Borrowed(stem)),
        (None, Some(q)) => Some(Cow::Owned(format!("?{q}"))),
        (None, None) => None,
    };
    ev.user_agent = col(f.user_agent).map(plus_as_space);
    ev.http_referrer = col(f.referer).map(Cow::Borrowed);
    ev.destination_ip = col(f.s_ip).and_then(crate::net::parse_ip);
    ev.destination_port = col(f.s_port).and_then(|p| p.parse().ok());
    ev.url_domain = col(f.cs_host).map(|h| Cow::Borrowed(strip_port(h)));
    ev.http_bytes = col(f.sc_bytes).and_then(|v| v.parse().ok());
    ev.duration_ns = col(f.time_taken)
        .and_then(|v| v.parse::<u64>().ok())
        .map(|ms| ms.saturating_mul(1_000_000));
    ev.http_version =
        col(f.cs_version).map(|v| Cow::Borrowed(v.strip_prefix("HTTP/").unwrap_or(v)));
    ev.host_name = col(f.s_computername).map(Cow::Borrowed);
    Some(ev)
}

/// Without a directive, a line must look like the default layout: addresses
/// where addresses go and numbers where numbers go.
fn default_layout_fits<'a>(f: &IisFields, col: &impl Fn(Option<usize>) -> Option<&'a str>) -> bool {
    let is_ip = |i: Option<usize>| col(i).is_some_and(|v| crate::net::parse_ip(v).is_some());
    let is_num = |i: Option<usize>| col(i).is_none_or(|v| v.bytes().all(|c| c.is_ascii_digit()));
    let names = &f.names;
    let by_name = |n: &str| names.iter().position(|x| x == n);
    is_ip(f.c_ip)
        && is_ip(f.s_ip)
        && is_num(f.s_port)
        && col(f.sc_status).is_some()
        && is_num(by_name("sc-substatus"))
        && is_num(by_name("sc-win32-status"))
        && is_num(f.time_taken)
        && col(f.cs_method).is_some_and(|m| m.bytes().all(|c| c.is_ascii_alphabetic() || c == b'-'))
}

/// `YYYY-MM-DD` and `HH:MM:SS[.fff]`, UTC.
fn stamp(date: &str, time: &str) -> Option<Timestamp> {
    let d = date.as_bytes();
    let (year, n) = digits(d, 0, 4)?;
    if n != 4 || d.len() != 10 || d.get(4) != Some(&b'-') || d.get(7) != Some(&b'-') {
        return None;
    }
    let t = time.as_bytes();
    let (hour, minute, second, nanos, used) = parse_hms(t, 0)?;
    if used != t.len() {
        return None;
    }
    CivilDateTime {
        year: year as i32,
        month: two_digits(d, 5)? as u8,
        day: two_digits(d, 8)? as u8,
        hour,
        minute,
        second,
        nanos,
    }
    .assume_utc()
}

fn plus_as_space(v: &str) -> Cow<'_, str> {
    if v.contains('+') {
        Cow::Owned(v.replace('+', " "))
    } else {
        Cow::Borrowed(v)
    }
}

/// `#Software:`, `#Version:`, `#Date:`, `#Fields:`, `#Remark:`,
/// `#Start-Date:`, `#End-Date:`.
fn parse_directive(line: &str) -> Option<Event<'_>> {
    let text = line.trim_end_matches(['\r', ' ']);
    let rest = text.strip_prefix('#')?;
    let colon = rest.find(':')?;
    let name = &rest[..colon];
    if !matches!(
        name,
        "Software" | "Version" | "Date" | "Fields" | "Remark" | "Start-Date" | "End-Date"
    ) {
        return None;
    }
    let value = rest[colon + 1..].trim_start_matches(' ');
    let ts = if matches!(name, "Date" | "Start-Date" | "End-Date") {
        let (d, t) = value.split_once(' ')?;
        stamp(d, t)?
    } else {
        Timestamp::default()
    };
    let mut ev = Event::new(Format::IisW3c, line, ts);
    ev.message = Some(Cow::Borrowed(text));
    Some(ev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Outcome;
    use crate::format::FormatState;

    fn ctx() -> ParseCtx {
        ParseCtx::utc(Timestamp::from_secs(1_705_400_000))
    }

    const LINE: &str = "2024-01-15 10:30:45 10.0.0.5 POST /owa/auth.owa - 443 bob 203.0.113.7 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 401 1 1326 15";

    #[test]
    fn default_fields_without_directive() {
        let ev = parse(LINE, &ctx(), None).unwrap();
        assert_eq!(ev.format, Format::IisW3c);
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(
            ev.destination_ip.map(|i| i.to_string()).as_deref(),
            Some("10.0.0.5")
        );
        assert_eq!(ev.destination_port, Some(443));
        assert_eq!(ev.http_method.as_deref(), Some("POST"));
        assert_eq!(ev.url_original.as_deref(), Some("/owa/auth.owa"));
        assert_eq!(ev.user_name.as_deref(), Some("bob"));
        assert_eq!(
            ev.source_ip.map(|i| i.to_string()).as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(
            ev.user_agent.as_deref(),
            Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
        );
        assert_eq!(ev.http_referrer, None);
        assert_eq!(ev.http_status, Some(401));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.duration_ns, Some(15_000_000));
        assert_eq!(ev.category, Some(Category::Web));
        assert_eq!(ev.action.as_deref(), Some("http_request"));
    }

    #[test]
    fn directive_changes_mid_file() {
        let c = ctx();
        let mut state = FormatState::default();
        let lines = [
            "#Software: Microsoft Internet Information Services 10.0",
            "#Version: 1.0",
            "#Date: 2024-01-15 10:00:00",
            "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
            LINE,
            "#Fields: date time s-sitename s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken",
            "2024-01-15 10:31:00 W3SVC1 WEB01 10.0.0.5 GET /search q=a+b&x=1 443 - 2001:db8::9 HTTP/1.1 curl/8.5.0 https://example.com/ www.example.com:443 200 0 0 5120 300 2",
        ];
        let mut events = Vec::new();
        for l in lines {
            state.observe(l);
            let ev = parse(l, &c, state.iis_fields.as_deref()).unwrap_or_else(|| panic!("{l}"));
            events.push(ev.into_owned());
        }
        assert_eq!(events[0].message.as_deref(), Some(lines[0]));
        assert_eq!(events[2].timestamp.secs, 1_705_312_800);
        assert_eq!(events[4].user_name.as_deref(), Some("bob"));
        let ev = &events[6];
        assert_eq!(ev.host_name.as_deref(), Some("WEB01"));
        assert_eq!(ev.url_original.as_deref(), Some("/search?q=a+b&x=1"));
        assert_eq!(
            ev.source_ip.map(|i| i.to_string()).as_deref(),
            Some("2001:db8::9")
        );
        assert_eq!(ev.http_version.as_deref(), Some("1.1"));
        assert_eq!(ev.user_agent.as_deref(), Some("curl/8.5.0"));
        assert_eq!(ev.http_referrer.as_deref(), Some("https://example.com/"));
        assert_eq!(ev.url_domain.as_deref(), Some("www.example.com"));
        assert_eq!(ev.http_bytes, Some(5120));
        assert_eq!(ev.duration_ns, Some(2_000_000));
        assert_eq!(ev.outcome, Some(Outcome::Success));
        // The old layout no longer fits.
        assert!(parse(LINE, &c, state.iis_fields.as_deref()).is_none());
    }

    #[test]
    fn directive_fields() {
        let f = IisFields::from_directive("#Fields: date time c-ip sc-status").unwrap();
        assert_eq!(f.names, ["date", "time", "c-ip", "sc-status"]);
        assert_eq!(
            (f.date, f.c_ip, f.sc_status, f.time_taken),
            (Some(0), Some(2), Some(3), None)
        );
        assert!(IisFields::from_directive("#Fields:").is_none());
        assert!(IisFields::from_directive("#Software: IIS").is_none());
        let ev = parse("2024-01-15 10:30:45 198.51.100.2 404\r", &ctx(), Some(&f)).unwrap();
        assert_eq!(ev.http_status, Some(404));
        // A layout without date/time still parses (no stamp).
        let f = IisFields::from_directive("#Fields: c-ip cs-method cs-uri-stem sc-status").unwrap();
        let ev = parse("198.51.100.2 GET / 200", &ctx(), Some(&f)).unwrap();
        assert_eq!(ev.timestamp, Timestamp::default());
    }

    #[test]
    fn malformed() {
        let c = ctx();
        for l in [
            "",
            "#",
            "#Comment: hi",
            "#Date: yesterday",
            "2024-01-15 10:30:45 10.0.0.5 POST /owa/auth.owa - 443 bob 203.0.113.7 Mozilla/5.0 - 401 1 1326",
            "2024-01-15 10:30:45 10.0.0.5 POST /owa/auth.owa - 443 bob 203.0.113.7 Mozilla/5.0 - 401 1 1326 15 extra",
            "2024-13-15 10:30:45 10.0.0.5 POST /owa/auth.owa - 443 bob 203.0.113.7 Mozilla/5.0 - 401 1 1326 15",
            "2024-01-15 10:30:4 10.0.0.5 POST /owa/auth.owa - 443 bob 203.0.113.7 Mozilla/5.0 - 401 1 1326 15",
            "2024-01-15 10:30:45 web1 POST /owa/auth.owa - 443 bob 203.0.113.7 Mozilla/5.0 - 401 1 1326 15",
            "2024-01-15 10:30:45 10.0.0.5 POST /owa/auth.owa - https bob 203.0.113.7 Mozilla/5.0 - 401 1 1326 15",
            "2024-01-15 10:30:45 10.0.0.5 POST /owa/auth.owa - 443 bob 203.0.113.7 Mozilla/5.0 - 4x1 1 1326 15",
            "2024-01-15 10:30:45 myapp: authentication failed for user bob from 203.0.113.7",
            "Jan 15 10:30:45 web1 sshd[1234]: Failed password for root from 203.0.113.7 port 52144 ssh2",
            "2024-01-15 10:30:45 10.0.0.5 POST /é - 443 bob 203.0.113.7 Mozilla/5.0+ä - 401 1 1326 ü",
        ] {
            assert!(parse(l, &c, None).is_none(), "{l}");
        }
        let f = IisFields::from_directive("#Fields: date time c-ip sc-status").unwrap();
        for l in [
            "2024-01-15 10:30:45 1.2.3.4",
            "2024-01-15 10:30:45 1.2.3.4 20000",
            "x y 1.2.3.4 200",
            "2024-01-15 10:30:45 1.2.3.4 2é",
        ] {
            assert!(parse(l, &c, Some(&f)).is_none(), "{l}");
        }
        // Non-ASCII in the user agent is kept.
        let ev = parse(
            "2024-01-15 10:30:45 10.0.0.5 GET / - 443 - 203.0.113.7 Браузер+1.0 - 200 0 0 1",
            &c,
            None,
        )
        .unwrap();
        assert_eq!(ev.user_agent.as_deref(), Some("Браузер 1.0"));
    }
}
