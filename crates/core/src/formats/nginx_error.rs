//! Nginx error log: `2024/01/15 10:30:45 [error] 1234#1234: *5 message,
//! client: 1.2.3.4, server: example.com, request: "GET / HTTP/1.1", host:
//! "example.com"`.
//!
//! The stamp is local time (`ctx.zone`). Maps `log.level`, `process.pid`,
//! `message` (the text before the `, client:` context), `source.ip` (client),
//! `http.request.method` / `url.original` / `http.version` (request),
//! `url.domain` (the Host header, else the server name),
//! `http.request.referrer`. The same line behind a syslog or journal prefix
//! (`host nginx[983]: 2024/01/15 ...`) is accepted too.
//!
//! Messages that are security facts are classified: Basic-auth and PAM
//! login failures (`event.category` `authentication`, `event.action`
//! `http_auth`, `event.outcome` `failure`, `user.name`, `event.reason`),
//! requests denied by rule, rate limiting, and failed TLS handshakes.
//!
//! Nginx does not escape what it copies into the message (a user name can
//! hold `", client: 127.0.0.1, ...`), so the `, client:` context is found by
//! checking which occurrence is followed by a well-formed context to the end
//! of the line.

use std::borrow::Cow;

use memchr::memmem;

use crate::event::{Category, Event, Outcome};
use crate::format::{Format, ParseCtx};
use crate::formats::access_log::{apply_request, strip_port};
use crate::formats::syslog_header::parse_tail;
use crate::formats::syslog_rfc3164::parse_bsd_stamp;
use crate::time::{CivilDateTime, digits, parse_hms, two_digits};

pub fn parse<'a>(line: &'a str, ctx: &ParseCtx) -> Option<Event<'a>> {
    let b = line.as_bytes();
    if b.first()?.is_ascii_digit() {
        let (civil, level, after) = parse_head(b)?;
        let ts = ctx.zone.to_utc(&civil)?;
        let mut ev = Event::new(Format::NginxError, line, ts);
        ev.log_level = Some(Cow::Borrowed(line.get(level.0..level.1)?));
        parse_body(&mut ev, line.get(after..)?);
        return Some(ev);
    }
    parse_wrapped(line, ctx)
}

/// `YYYY/MM/DD HH:MM:SS [level] ` at the start of `b`: the wall-clock time,
/// the level's byte range and the index after the level.
fn parse_head(b: &[u8]) -> Option<(CivilDateTime, (usize, usize), usize)> {
    let (year, n) = digits(b, 0, 4)?;
    if n != 4 || b.get(4) != Some(&b'/') || b.get(7) != Some(&b'/') || b.get(10) != Some(&b' ') {
        return None;
    }
    let month = two_digits(b, 5)?;
    let day = two_digits(b, 8)?;
    let (hour, minute, second, nanos, used) = parse_hms(b, 11)?;
    let mut i = 11 + used;
    if b.get(i) != Some(&b' ') || b.get(i + 1) != Some(&b'[') {
        return None;
    }
    i += 2;
    let close = memchr::memchr(b']', b.get(i..(i + 8).min(b.len()))?)? + i;
    if !is_level(&b[i..close]) {
        return None;
    }
    let after = match b.get(close + 1) {
        None => close + 1,
        Some(b' ') => close + 2,
        Some(_) => return None,
    };
    let civil = CivilDateTime {
        year: year as i32,
        month: month as u8,
        day: day as u8,
        hour,
        minute,
        second,
        nanos,
    };
    civil.is_valid().then_some((civil, (i, close), after))
}

fn is_level(s: &[u8]) -> bool {
    matches!(
        s,
        b"debug" | b"info" | b"notice" | b"warn" | b"error" | b"crit" | b"alert" | b"emerg"
    )
}

/// The line behind a syslog (`Jan 15 10:30:45 host nginx: `) or journal
/// (`host nginx[983]: `, sometimes twice) prefix.
fn parse_wrapped<'a>(line: &'a str, ctx: &ParseCtx) -> Option<Event<'a>> {
    // Cheap test first: a `: ` followed by the nginx stamp.
    let b = line.as_bytes();
    let hay = b.get(..256.min(b.len()))?;
    let at = memmem::find_iter(hay, b": ")
        .map(|k| k + 2)
        .find(|&k| b.get(k + 4) == Some(&b'/') && b.get(k).is_some_and(u8::is_ascii_digit))?;
    let (civil, level, after) = parse_head(b.get(at..)?)?;
    let ts = ctx.zone.to_utc(&civil)?;
    let prefix = line.get(..at)?;
    let rest = match parse_bsd_stamp(prefix.as_bytes(), ctx) {
        Some((_, used)) => prefix.get(used..)?,
        None => prefix,
    };
    let tail = parse_tail(rest);
    let program = tail.program?;
    if !program.starts_with("nginx")
        && !program.starts_with("openresty")
        && !program.starts_with("angie")
    {
        return None;
    }
    let mut ev = Event::new(Format::NginxError, line, ts);
    ev.host_name = tail.host.map(Cow::Borrowed);
    ev.process_name = Some(Cow::Borrowed(program));
    ev.log_level = Some(Cow::Borrowed(line.get(at + level.0..at + level.1)?));
    parse_body(&mut ev, line.get(at + after..)?);
    if ev.process_pid.is_none() {
        ev.process_pid = tail.pid;
    }
    Some(ev)
}

/// For syslog program parsers: when `msg` (a syslog message from nginx) is
/// an nginx error-log line (`2024/01/15 10:30:45 [error] 1#1: ...`), fills
/// level, pid, source, request and the security facts, keeping the event's
/// own timestamp. Returns whether it was one.
pub fn enrich_message<'a>(ev: &mut Event<'a>, msg: &'a str) -> bool {
    let Some((_, level, after)) = parse_head(msg.as_bytes()) else {
        return false;
    };
    let (Some(level), Some(body)) = (msg.get(level.0..level.1), msg.get(after..)) else {
        return false;
    };
    ev.log_level = Some(Cow::Borrowed(level));
    parse_body(ev, body);
    true
}

/// Fills an event from what follows `[level] `: `pid#tid: *cid message,
/// client: ...`. Also usable for nginx messages found inside other
/// formats.
pub fn parse_body<'a>(ev: &mut Event<'a>, body: &'a str) {
    let b = body.as_bytes();
    let mut i = 0;
    if let Some((pid, n)) = digits(b, 0, 9)
        && b.get(n) == Some(&b'#')
    {
        ev.process_pid = Some(pid);
        i = n + 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if b.get(i) == Some(&b':') {
            i += 1;
        }
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
    }
    if b.get(i) == Some(&b'*') {
        let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n > 0 && b.get(i + 1 + n) == Some(&b' ') {
            i += n + 2;
        }
    }
    let Some(text) = body.get(i..) else {
        return;
    };
    let message = match find_context(text) {
        Some((msg_end, c)) => {
            if let Some(client) = c.client {
                ev.set_source(client);
            }
            if let Some(r) = c.request {
                apply_request(ev, r);
            }
            let domain = c
                .host
                .filter(|h| !h.is_empty())
                .or(c.server.filter(|s| !s.is_empty() && *s != "_"));
            if let Some(d) = domain {
                ev.url_domain = Some(Cow::Borrowed(strip_port(d)));
            }
            if let Some(r) = c.referrer.filter(|r| !r.is_empty() && *r != "-") {
                ev.http_referrer = Some(Cow::Borrowed(r));
            }
            &text[..msg_end]
        }
        None => text,
    };
    ev.message = Some(Cow::Borrowed(message));
    classify(ev, message);
}

/// The `, client: ...` context at the end of a message.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Context<'a> {
    client: Option<&'a str>,
    server: Option<&'a str>,
    request: Option<&'a str>,
    host: Option<&'a str>,
    referrer: Option<&'a str>,
}

/// Context keys in the order nginx writes them.
const KEYS: [&str; 7] = [
    "client",
    "server",
    "request",
    "subrequest",
    "upstream",
    "host",
    "referrer",
];

/// Finds where the message ends and its context starts: the first
/// `, client: ` whose remainder is a well-formed context, else the last one
/// read leniently.
fn find_context(text: &str) -> Option<(usize, Context<'_>)> {
    let mut last = None;
    for k in memmem::find_iter(text.as_bytes(), b", client: ") {
        if let Some(c) = strict_context(text, k + 2) {
            return Some((k, c));
        }
        last = Some(k);
    }
    let k = last?;
    let rest = text.get(k + 10..)?;
    let client = rest.split([',', ' ']).next().filter(|c| !c.is_empty());
    Some((
        k,
        Context {
            client,
            ..Context::default()
        },
    ))
}

/// Reads `client: X, server: Y, request: "...", host: "..."` from `text[at..]`
/// to the end; `None` unless every key is known, in order, and well formed.
fn strict_context(text: &str, at: usize) -> Option<Context<'_>> {
    let b = text.as_bytes();
    let mut c = Context::default();
    let mut i = at;
    let mut last_key = None::<usize>;
    loop {
        // `key: `
        let (key_idx, key) = KEYS.iter().enumerate().find(|(_, k)| {
            b.get(i..).is_some_and(|r| {
                r.starts_with(k.as_bytes()) && r.get(k.len()..k.len() + 2) == Some(b": ")
            })
        })?;
        if last_key.is_some_and(|l| key_idx <= l) || (last_key.is_none() && key_idx != 0) {
            return None;
        }
        last_key = Some(key_idx);
        i += key.len() + 2;
        let value;
        if key_idx <= 1 {
            // Unquoted: up to `, ` or the end; no spaces or quotes inside.
            let end = memmem::find(&b[i..], b", ").map_or(b.len(), |e| e + i);
            value = text.get(i..end)?;
            if value.bytes().any(|c| c == b' ' || c == b'"') {
                return None;
            }
            i = end;
        } else {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let start = i + 1;
            let end = if key_idx == KEYS.len() - 1 {
                // The referrer is last: it runs to the final quote.
                if b.last() != Some(&b'"') || b.len() <= start {
                    return None;
                }
                b.len() - 1
            } else {
                quoted_value_end(b, start, key_idx)?
            };
            value = text.get(start..end)?;
            if matches!(key_idx, 4 | 5) && value.bytes().any(|c| c == b' ' || c == b'"') {
                return None;
            }
            i = end + 1;
        }
        match key_idx {
            0 => c.client = Some(value),
            1 => c.server = Some(value),
            2 => c.request = Some(value),
            5 => c.host = Some(value),
            6 => c.referrer = Some(value),
            _ => {}
        }
        if i >= b.len() {
            return (c.client.is_some_and(|v| !v.is_empty())).then_some(c);
        }
        if b.get(i..i + 2) != Some(b", ") {
            return None;
        }
        i += 2;
    }
}

/// The closing quote of a quoted context value starting at `start`: the
/// first `"` followed by the end of the line or by `, key: ` with a key that
/// may follow `key_idx`.
fn quoted_value_end(b: &[u8], start: usize, key_idx: usize) -> Option<usize> {
    for q in memchr::memchr_iter(b'"', b.get(start..)?) {
        let q = q + start;
        let after = &b[q + 1..];
        if after.is_empty() {
            return Some(q);
        }
        if let Some(r) = after.strip_prefix(b", ")
            && KEYS[key_idx + 1..]
                .iter()
                .any(|k| r.starts_with(k.as_bytes()) && r.get(k.len()..k.len() + 2) == Some(b": "))
        {
            return Some(q);
        }
    }
    None
}

/// Turns known messages into security facts.
fn classify<'a>(ev: &mut Event<'a>, msg: &'a str) {
    // Basic auth: `user "bob" was not found in "/etc/nginx/.htpasswd"`,
    // `user "bob": password mismatch`.
    if let Some(rest) = msg.strip_prefix("user \"") {
        if let Some(user) = rest.strip_suffix("\": password mismatch") {
            auth_failure(ev, Some(user), "password_mismatch");
        } else if let Some(k) = rest.rfind(" was not found in \"")
            && let Some(user) = rest[..k]
                .strip_suffix('"')
                .or_else(|| rest[..k].strip_suffix("\":"))
        {
            auth_failure(ev, Some(user), "user_not_found");
        }
        return;
    }
    // ngx_http_auth_pam: `PAM: user 'bob' - not authenticated: ...`.
    if let Some(rest) = msg.strip_prefix("PAM: user '") {
        if let Some(k) = rest.rfind("' - not authenticated") {
            auth_failure(ev, Some(&rest[..k]), "pam_not_authenticated");
        } else if let Some(k) = rest.rfind("' - invalid account") {
            auth_failure(ev, Some(&rest[..k]), "pam_invalid_account");
        }
        return;
    }
    if msg.starts_with("no user/password was provided for basic authentication") {
        ev.category = Some(Category::Authentication);
        ev.action = Some(Cow::Borrowed("http_auth"));
        ev.reason = Some(Cow::Borrowed("no_credentials"));
        return;
    }
    if msg.starts_with("access forbidden by rule") {
        set(
            ev,
            Category::Web,
            "http_access_denied",
            Some(Outcome::Failure),
        );
    } else if msg.starts_with("limiting requests") || msg.starts_with("limiting connections") {
        set(
            ev,
            Category::Web,
            "http_rate_limited",
            Some(Outcome::Failure),
        );
    } else if msg.starts_with("delaying request") {
        set(ev, Category::Web, "http_rate_delayed", None);
    } else if msg.starts_with("SSL_do_handshake() failed")
        || (msg.starts_with("SSL_read() failed") && msg.contains("SSL alert"))
    {
        set(
            ev,
            Category::Network,
            "tls_handshake",
            Some(Outcome::Failure),
        );
    } else if (msg.starts_with("open() \"") && msg.contains("(2: No such file or directory)"))
        || (msg.starts_with('"') && msg.contains("\" is not found (2:"))
    {
        set(ev, Category::Web, "http_not_found", None);
    } else if msg.starts_with("client sent invalid")
        || msg.starts_with("client sent plain HTTP request to HTTPS port")
    {
        set(
            ev,
            Category::Web,
            "http_bad_request",
            Some(Outcome::Failure),
        );
    } else {
        ev.category = Some(Category::Web);
    }
}

fn set(ev: &mut Event<'_>, category: Category, action: &'static str, outcome: Option<Outcome>) {
    ev.category = Some(category);
    ev.action = Some(Cow::Borrowed(action));
    ev.outcome = outcome;
}

fn auth_failure<'a>(ev: &mut Event<'a>, user: Option<&'a str>, reason: &'static str) {
    set(
        ev,
        Category::Authentication,
        "http_auth",
        Some(Outcome::Failure),
    );
    ev.reason = Some(Cow::Borrowed(reason));
    ev.user_name = user.filter(|u| !u.is_empty()).map(Cow::Borrowed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Timestamp, Zone};

    fn ctx() -> ParseCtx {
        ParseCtx::utc(Timestamp::from_secs(1_705_400_000))
    }

    fn ip(ev: &Event<'_>) -> Option<String> {
        ev.source_ip.map(|i| i.to_string())
    }

    #[test]
    fn basic_line() {
        let ev = parse(
            r#"2024/01/15 10:30:45 [error] 1234#1234: *5 user "admin": password mismatch, client: 203.0.113.7, server: example.com, request: "GET /private HTTP/1.1", host: "example.com""#,
            &ctx(),
        )
        .unwrap();
        assert_eq!(ev.format, Format::NginxError);
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(ev.log_level.as_deref(), Some("error"));
        assert_eq!(ev.process_pid, Some(1234));
        assert_eq!(
            ev.message.as_deref(),
            Some(r#"user "admin": password mismatch"#)
        );
        assert_eq!(ip(&ev).as_deref(), Some("203.0.113.7"));
        assert_eq!(ev.http_method.as_deref(), Some("GET"));
        assert_eq!(ev.url_original.as_deref(), Some("/private"));
        assert_eq!(ev.http_version.as_deref(), Some("1.1"));
        assert_eq!(ev.url_domain.as_deref(), Some("example.com"));
        assert_eq!(ev.category, Some(Category::Authentication));
        assert_eq!(ev.action.as_deref(), Some("http_auth"));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.user_name.as_deref(), Some("admin"));
        assert_eq!(ev.reason.as_deref(), Some("password_mismatch"));
    }

    #[test]
    fn auth_variants() {
        let c = ctx();
        let ev = parse(r#"2012/04/09 11:53:29 [error] 2865#0: *66647 user "xyz" was not found in "/var/www/.htpasswd", client: 192.0.43.10, server: www.myhost.com, request: "GET / HTTP/1.1", host: "www.myhost.com""#, &c).unwrap();
        assert_eq!(
            (ev.user_name.as_deref(), ev.reason.as_deref()),
            (Some("xyz"), Some("user_not_found"))
        );
        assert_eq!(ev.process_pid, Some(2865));

        let ev = parse(r#"2014/04/03 22:20:38 [error] 30708#0: *3 user "scriben dio": password mismatch, client: 192.0.2.1, server: , request: "GET / HTTP/1.1", host: "localhost:8443", referrer: "https://x/a b""#, &c).unwrap();
        assert_eq!(ev.user_name.as_deref(), Some("scriben dio"));
        assert_eq!(ev.url_domain.as_deref(), Some("localhost"));
        assert_eq!(ev.http_referrer.as_deref(), Some("https://x/a b"));

        let ev = parse(r#"2025/09/07 21:20:40 [error] 23141#23141: *24470 PAM: user 'username' - not authenticated: Authentication failure, client: 192.0.2.120, server: webdav.sub.domain, request: "GET / HTTP/2.0", host: "webdav.sub.domain""#, &c).unwrap();
        assert_eq!(ev.user_name.as_deref(), Some("username"));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ip(&ev).as_deref(), Some("192.0.2.120"));

        let ev = parse(r#"2024/01/15 10:30:45 [info] 12#12: *1 no user/password was provided for basic authentication, client: 203.0.113.7, server: x, request: "GET / HTTP/1.1", host: "x""#, &c).unwrap();
        assert_eq!(ev.category, Some(Category::Authentication));
        assert_eq!(ev.outcome, None);
    }

    #[test]
    fn injected_user_name_does_not_spoof_the_client() {
        let ev = parse(
            r#"2014/04/03 22:20:40 [error] 30708#0: *3 user "test": password mismatch, client: 127.0.0.1, server: test, request: "GET / HTTP/1.1", host: "localhost:8443"": was not found in "/etc/nginx/.htpasswd", client: 192.0.2.2, server: , request: "GET / HTTP/1.1", host: "localhost:8443""#,
            &ctx(),
        )
        .unwrap();
        assert_eq!(ip(&ev).as_deref(), Some("192.0.2.2"));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        // And a referrer cannot spoof it the other way.
        let ev = parse(
            r#"2024/01/15 10:30:45 [error] 1#1: *3 user "bob": password mismatch, client: 203.0.113.7, server: x, request: "GET / HTTP/1.1", host: "x", referrer: "http://a/", client: 6.6.6.6, server: y, referrer: "b""#,
            &ctx(),
        )
        .unwrap();
        assert_eq!(ip(&ev).as_deref(), Some("203.0.113.7"));
    }

    #[test]
    fn other_messages() {
        let c = ctx();
        let ev = parse(r#"2020/11/25 14:42:16 [crit] 76952#76952: *2454307 SSL_do_handshake() failed (SSL: error:1408F0C6:SSL routines:ssl3_get_record:packet length too long) while SSL handshaking, client: 142.93.180.14, server: 0.0.0.0:443"#, &c).unwrap();
        assert_eq!(
            (ev.action.as_deref(), ev.outcome),
            (Some("tls_handshake"), Some(Outcome::Failure))
        );
        assert_eq!(ip(&ev).as_deref(), Some("142.93.180.14"));
        assert_eq!(ev.url_domain.as_deref(), Some("0.0.0.0"));

        let ev = parse(r#"2020/11/25 16:02:45 [error] 76952#76952: *5645766 connect() failed (111: Connection refused) while connecting to upstream, client: 5.126.32.148, server: www.google.de, request: "GET /admin/config HTTP/2.0", upstream: "http://127.0.0.1:3000/admin/config", host: "www.google.de""#, &c).unwrap();
        assert_eq!(ev.outcome, None);
        assert_eq!(ev.url_original.as_deref(), Some("/admin/config"));
        assert_eq!(ev.url_domain.as_deref(), Some("www.google.de"));

        let ev = parse(r#"2016/09/30 08:36:06 [error] 22923#0: *4758725916 limiting requests, excess: 15.243 by zone "one", client: 2001:db8::80da:af6b:8b2c, server: example.com, request: "GET / HTTP/1.1", host: "example.com""#, &c).unwrap();
        assert_eq!(ip(&ev).as_deref(), Some("2001:db8::80da:af6b:8b2c"));
        assert_eq!(ev.action.as_deref(), Some("http_rate_limited"));

        let ev = parse(r#"2018/09/14 19:03:05 [error] 2035#2035: *9134 access forbidden by rule, client: 12.34.56.78, server: www.example.net, request: "GET /wp-config.php~ HTTP/1.1", host: "www.example.net", referrer: "http://example.net/foo.php""#, &c).unwrap();
        assert_eq!(ev.action.as_deref(), Some("http_access_denied"));
        assert_eq!(
            ev.http_referrer.as_deref(),
            Some("http://example.net/foo.php")
        );

        // No context at all; no pid.
        let ev = parse(
            "2024/01/15 10:30:45 [notice] 1#1: signal process started",
            &c,
        )
        .unwrap();
        assert_eq!(ev.message.as_deref(), Some("signal process started"));
        assert_eq!(ev.source_ip, None);
        let ev = parse(
            "2024/01/15 10:30:45 [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)",
            &c,
        )
        .unwrap();
        assert_eq!(ev.process_pid, None);
        assert_eq!(ev.log_level.as_deref(), Some("emerg"));
    }

    #[test]
    fn wrapped_lines() {
        let c = ctx();
        let ev = parse(r#"host nginx[983478]: 2023/12/09 21:35:20 [error] 983478#983478: *3 user "fakeusername" was not found in "/var/lib/nginx/htpasswd", client: 192.0.2.3, server: host.example.com, request: "GET / HTTP/2.0", host: "host.example.com""#, &c).unwrap();
        assert_eq!(ip(&ev).as_deref(), Some("192.0.2.3"));
        assert_eq!(ev.host_name.as_deref(), Some("host"));
        assert_eq!(ev.process_name.as_deref(), Some("nginx"));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        let ev = parse(r#"host nginx[23141]: host nginx: 2025/09/07 21:20:40 [error] 23141#23141: *24470 PAM: user 'username' - not authenticated: Authentication failure, client: 192.0.2.120, server: webdav.sub.domain, request: "GET / HTTP/2.0", host: "webdav.sub.domain""#, &c).unwrap();
        assert_eq!(ip(&ev).as_deref(), Some("192.0.2.120"));
        let ev = parse(r#"Jan 15 10:30:45 web1 nginx: 2024/01/15 10:30:45 [warn] 7#7: *1 delaying request, excess: 0.841, by zone "req_limit", client: 206.189.215.97, server: a, request: "GET /ab2h HTTP/1.1", host: "b""#, &c).unwrap();
        assert_eq!(ev.host_name.as_deref(), Some("web1"));
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert!(
            parse(
                "Jan 15 10:30:45 web1 app: 2024/01/15 10:30:45 [error] x",
                &c
            )
            .is_none()
        );
    }

    #[test]
    fn enrich_from_a_syslog_message() {
        let line = "Jan 15 10:30:45 web1 nginx: 2024/01/15 10:30:45 [error] 7#7: *1 user \"bob\": password mismatch, client: 203.0.113.7, server: a";
        let msg = &line[28..];
        let mut ev = Event::new(Format::SyslogRfc3164, line, Timestamp::from_secs(1));
        assert!(enrich_message(&mut ev, msg));
        assert_eq!(ev.timestamp.secs, 1);
        assert_eq!(ev.user_name.as_deref(), Some("bob"));
        assert_eq!(ip(&ev).as_deref(), Some("203.0.113.7"));
        assert_eq!(ev.log_level.as_deref(), Some("error"));
        assert!(!enrich_message(&mut ev, "signal 15 received"));
    }

    #[test]
    fn local_time() {
        let c = ParseCtx::new(Zone::fixed(3600), Timestamp::from_secs(1_705_400_000));
        let ev = parse("2024/01/15 11:30:45 [error] 1#1: x", &c).unwrap();
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
    }

    #[test]
    fn malformed() {
        let c = ctx();
        for l in [
            "",
            "2024/01/15",
            "2024/01/15 10:30:45",
            "2024/01/15 10:30:45 error 1#1: x",
            "2024/01/15 10:30:45 [bogus] 1#1: x",
            "2024/13/15 10:30:45 [error] 1#1: x",
            "2024/01/15 25:30:45 [error] 1#1: x",
            "2024-01-15 10:30:45 [error] 1#1: x",
            "2024/01/15 10:30:45 [error]x",
            "Jan 15 10:30:45 web1 sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2",
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 5"#,
            "\u{0}\u{ff}2024/01/15 10:30:45 [error] 1#1: x",
        ] {
            assert!(parse(l, &c).is_none(), "{l}");
        }
        // Junk after a valid head still parses, without panicking.
        for l in [
            "2024/01/15 10:30:45 [error] 1#1: *5 ü, client: ",
            "2024/01/15 10:30:45 [error] 1#1: *5 x, client: \u{fffd}, server: \"",
            "2024/01/15 10:30:45 [error] 1#1: *5 user \"",
            "2024/01/15 10:30:45 [error] 99999999999#1: *",
            "2024/01/15 10:30:45 [error] 1#1: *5 x, client: 1.2.3.4, server: s, request: \"GET /ä",
        ] {
            assert!(parse(l, &c).is_some(), "{l}");
        }
    }
}
