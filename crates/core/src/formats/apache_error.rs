//! Apache HTTP Server error log, 2.4 and 2.2 styles:
//!
//! ```text
//! [Mon Jan 15 10:30:45.123456 2024] [auth_basic:error] [pid 1234:tid 5678] [client 1.2.3.4:5555] AH01617: message
//! [Mon Jan 15 10:30:45 2024] [error] [client 1.2.3.4] message
//! ```
//!
//! The stamp is local time (`ctx.zone`). After it the `[module:level]` (or
//! `[level]`) group is required; `[pid ...]` and `[client ...]` /
//! `[remote ...]` are optional, as is an APR error prefix before the client
//! (`(13)Permission denied: [client ...]`). `ErrorLog syslog` lines
//! (`Jan 15 10:30:45 host httpd[1]: [core:error] [pid 1] ...`) are accepted
//! too. Maps `log.level`, `event.provider` (the module), `process.pid`,
//! `source.ip` / `source.port`, `event.code` (`AHnnnnn`), `message`,
//! `http.request.referrer` (`, referer: ...`).
//!
//! Messages that are security facts are classified (`classify`): failed
//! Basic/Digest logins and authorisation failures become `event.category`
//! `authentication`, `event.action` `http_auth`, `event.outcome` `failure`,
//! with `user.name` and `event.reason`; requests denied by configuration,
//! malformed requests, TLS SNI mismatches and ModSecurity blocks are web or
//! intrusion-detection failures.

use std::borrow::Cow;

use crate::event::{Category, Event, Outcome};
use crate::format::{Format, ParseCtx};
use crate::formats::syslog_header::{parse_pri, parse_tail};
use crate::formats::syslog_rfc3164::parse_bsd_stamp;
use crate::time::{CivilDateTime, digits, month_from_abbrev, parse_hms};

pub fn parse<'a>(line: &'a str, ctx: &ParseCtx) -> Option<Event<'a>> {
    let b = line.as_bytes();
    if b.first() != Some(&b'[') {
        return parse_syslog(line, ctx);
    }
    let (civil, after) = parse_stamp(b)?;
    let ts = ctx.zone.to_utc(&civil)?;
    let mut ev = Event::new(Format::ApacheError, line, ts);
    parse_body(&mut ev, line.get(after..)?)?;
    Some(ev)
}

/// `[Www Mmm dd hh:mm:ss[.frac] yyyy]` at the start of `b`: the wall-clock
/// time and the index after `]`.
fn parse_stamp(b: &[u8]) -> Option<(CivilDateTime, usize)> {
    if !b.get(1..4)?.iter().all(u8::is_ascii_alphabetic) || b.get(4) != Some(&b' ') {
        return None;
    }
    let month = month_from_abbrev(b.get(5..8)?)?;
    if b.get(8) != Some(&b' ') {
        return None;
    }
    let mut i = 9;
    if b.get(i) == Some(&b' ') {
        i += 1;
    }
    let (day, n) = digits(b, i, 2)?;
    i += n;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let (hour, minute, second, nanos, n) = parse_hms(b, i + 1)?;
    i += 1 + n;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let (year, n) = digits(b, i + 1, 4)?;
    i += 1 + n;
    if n != 4 || b.get(i) != Some(&b']') {
        return None;
    }
    let civil = CivilDateTime {
        year: year as i32,
        month,
        day: day as u8,
        hour,
        minute,
        second,
        nanos,
    };
    civil.is_valid().then_some((civil, i + 1))
}

/// `ErrorLog syslog`: a BSD syslog header, an httpd tag, then the groups.
fn parse_syslog<'a>(line: &'a str, ctx: &ParseCtx) -> Option<Event<'a>> {
    let b = line.as_bytes();
    let first = *b.first()?;
    if !(first.is_ascii_uppercase() || first == b'<') {
        return None;
    }
    let start = parse_pri(b).map_or(0, |(_, n)| n);
    let (civil, used) = parse_bsd_stamp(b.get(start..)?, ctx)?;
    let rest = line.get(start + used..)?;
    if !rest.starts_with(' ') {
        return None;
    }
    let tail = parse_tail(rest);
    let program = tail.program?;
    if !(program.starts_with("httpd") || program.starts_with("apache"))
        || !tail.message.starts_with('[')
    {
        return None;
    }
    let ts = ctx.zone.to_utc(&civil)?;
    let mut ev = Event::new(Format::ApacheError, line, ts);
    parse_body(&mut ev, tail.message)?;
    ev.host_name = tail.host.map(Cow::Borrowed);
    ev.process_name = Some(Cow::Borrowed(program));
    if ev.process_pid.is_none() {
        ev.process_pid = tail.pid;
    }
    Some(ev)
}

const LEVELS: [&str; 16] = [
    "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug", "trace1", "trace2",
    "trace3", "trace4", "trace5", "trace6", "trace7", "trace8",
];

/// Fills an event from what follows the stamp: `[module:level]`, optional
/// `[pid ...]`, `[client ...]`, then the message. `None` when the level
/// group is missing. Usable for Apache messages found inside other formats
/// (syslog program parsers).
pub fn parse_body<'a>(ev: &mut Event<'a>, body: &'a str) -> Option<()> {
    let b = body.as_bytes();
    let mut i = 0;
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let close = memchr::memchr(b']', b.get(i..(i + 64).min(b.len()))?)? + i;
    let group = body.get(i + 1..close)?;
    let (module, level) = group.split_once(':').unwrap_or(("", group));
    if !LEVELS.contains(&level) {
        return None;
    }
    ev.log_level = Some(Cow::Borrowed(level));
    if !module.is_empty() {
        ev.provider = Some(Cow::Borrowed(module));
    }
    i = close + 1;

    // Known groups; the first other `[` starts the message.
    loop {
        let mut j = i;
        while b.get(j) == Some(&b' ') {
            j += 1;
        }
        if b.get(j) != Some(&b'[') {
            break;
        }
        let inner = body.get(j + 1..)?;
        if let Some(p) = inner.strip_prefix("pid ") {
            let (pid, _) = digits(p.as_bytes(), 0, 9)?;
            ev.process_pid = Some(pid);
            i = j + 1 + memchr::memchr(b']', inner.as_bytes())? + 1;
        } else if inner.starts_with("tid ") {
            i = j + 1 + memchr::memchr(b']', inner.as_bytes())? + 1;
        } else if let Some(used) = client_group(ev, inner) {
            i = j + 1 + used;
        } else {
            break;
        }
    }

    let mut message = body.get(i..)?.trim_start_matches(' ');
    // `, referer: ...` is appended by Apache after the message.
    if let Some(k) = message.rfind(", referer: ") {
        let r = &message[k + 11..];
        if !r.is_empty() {
            ev.http_referrer = Some(Cow::Borrowed(r));
        }
        message = &message[..k];
    }
    ev.message = Some(Cow::Borrowed(message));
    // An APR error or source-file prefix before the client group.
    let mut text = message;
    if ev.source_ip.is_none() && ev.source_domain.is_none() {
        for pat in ["[client ", "[remote "] {
            if let Some(k) = message
                .get(..200.min(message.len()))
                .and_then(|m| m.find(pat))
                && message[..k].ends_with(": ")
                && !message[..k].contains(['[', '"'])
                && let Some(used) = client_group(ev, &message[k + 1..])
            {
                text = message[k + 1 + used..].trim_start_matches(' ');
                break;
            }
        }
    }
    let tb = text.as_bytes();
    if tb.starts_with(b"AH")
        && digits(tb, 2, 5).is_some_and(|(_, n)| n == 5)
        && tb.get(7) == Some(&b':')
    {
        ev.code = Some(Cow::Borrowed(&text[..7]));
        text = text[8..].trim_start_matches(' ');
    }
    ev.category = Some(Category::Web);
    classify(ev, module, text);
    Some(())
}

/// `client 1.2.3.4:5555]`, `client [2001:db8::1]:5555]`, `remote ...]` at the
/// start of `inner`: sets the source (the first one wins) and returns the
/// bytes used including `]`.
fn client_group<'a>(ev: &mut Event<'a>, inner: &'a str) -> Option<usize> {
    if !(inner.starts_with("client ") || inner.starts_with("remote ")) {
        return None;
    }
    let addr_at = 7;
    let rest = inner.get(addr_at..)?;
    let (addr, port, used) = if let Some(v6) = rest.strip_prefix('[') {
        let end = v6.find(']')?;
        let after = &v6[end + 1..];
        let (port, extra) = match after.strip_prefix(':') {
            Some(p) => {
                let e = p.find(']')?;
                (p[..e].parse::<u16>().ok(), 1 + e)
            }
            None => (None, 0),
        };
        if after.as_bytes().get(extra) != Some(&b']') {
            return None;
        }
        (&v6[..end], port, 1 + end + 1 + extra + 1)
    } else {
        let end = rest.find(']')?;
        let tok = &rest[..end];
        let port = match tok.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => p.parse::<u16>().ok(),
            _ => None,
        };
        (tok, port, end + 1)
    };
    if ev.source_ip.is_none() && ev.source_domain.is_none() {
        let host = match port {
            Some(_) if !addr.contains("::") && addr.matches(':').count() == 1 => {
                addr.rsplit_once(':').map_or(addr, |(h, _)| h)
            }
            _ => addr,
        };
        if ev.set_source(host) {
            ev.source_port = port;
        }
    }
    Some(addr_at + used)
}

fn set(
    ev: &mut Event<'_>,
    category: Category,
    action: &'static str,
    outcome: Option<Outcome>,
    reason: &'static str,
) {
    ev.category = Some(category);
    ev.action = Some(Cow::Borrowed(action));
    ev.outcome = outcome;
    ev.reason = Some(Cow::Borrowed(reason));
}

fn auth_failure<'a>(ev: &mut Event<'a>, user: Option<&'a str>, reason: &'static str) {
    set(
        ev,
        Category::Authentication,
        "http_auth",
        Some(Outcome::Failure),
        reason,
    );
    ev.user_name = user
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(Cow::Borrowed);
}

/// Turns known messages (after the `AHnnnnn:` code) into security facts.
fn classify<'a>(ev: &mut Event<'a>, module: &str, text: &'a str) {
    let t = text.strip_prefix("Digest: ").unwrap_or(text);
    if let Some(r) = t.strip_prefix("user ") {
        classify_user(ev, r);
        return;
    }
    if let Some(r) = t.strip_prefix("Authorization of user ") {
        if let Some(k) = r.find(" to access ")
            && r[k..].contains(" failed")
        {
            auth_failure(ev, Some(&r[..k]), "authorization_failure");
        }
        return;
    }
    let web_fail = |ev: &mut Event<'a>, action, reason| {
        set(ev, Category::Web, action, Some(Outcome::Failure), reason)
    };
    if t.starts_with("client used wrong authentication scheme") {
        auth_failure(ev, None, "wrong_auth_scheme");
    } else if t.starts_with("invalid qop `") {
        auth_failure(ev, None, "digest_invalid_qop");
    } else if t.starts_with("invalid nonce ") && t.contains(" received - ") {
        // `hash is not ...`: a nonce from before a restart; browsers retry.
        if !t.contains("received - hash is not") {
            auth_failure(ev, None, "digest_invalid_nonce");
        }
    } else if t.starts_with("realm mismatch - got `") {
        auth_failure(ev, None, "digest_realm_mismatch");
    } else if t.starts_with("unknown algorithm `") {
        auth_failure(ev, None, "digest_unknown_algorithm");
    } else if t.starts_with("uri mismatch - <") {
        auth_failure(ev, None, "digest_uri_mismatch");
    } else if t.starts_with("client denied by server configuration") {
        if module.starts_with("evasive") {
            set(ev, Category::Web, "http_rate_limited", None, "mod_evasive");
        } else {
            web_fail(ev, "http_access_denied", "denied_by_configuration");
        }
    } else if (t.starts_with("Hostname ") && t.contains(" provided via SNI"))
        || t.starts_with("No hostname was provided via SNI")
    {
        set(
            ev,
            Category::Network,
            "tls_sni_mismatch",
            Some(Outcome::Failure),
            "sni_mismatch",
        );
    } else if t.starts_with("Invalid URI in request")
        || t.starts_with("invalid URI path")
        || t.starts_with("Invalid method in request")
        || t.starts_with("request failed: ")
    {
        web_fail(ev, "http_bad_request", "invalid_request");
    } else if let Some(r) = t.strip_prefix("ModSecurity: ") {
        if r.contains("Access denied with code ") {
            set(
                ev,
                Category::IntrusionDetection,
                "waf_block",
                Some(Outcome::Failure),
                "modsecurity",
            );
        } else {
            ev.category = Some(Category::IntrusionDetection);
            ev.action = Some(Cow::Borrowed("waf_alert"));
        }
    } else if t.starts_with("File does not exist: ")
        || t.contains("script not found or unable to stat")
        || t.starts_with("Got error 'Primary script unknown")
    {
        ev.action = Some(Cow::Borrowed("http_not_found"));
    } else if t.contains("ignoring function definition attempt")
        || t.contains("error importing function definition for")
    {
        set(
            ev,
            Category::IntrusionDetection,
            "shellshock_attempt",
            Some(Outcome::Failure),
            "shellshock",
        );
    } else if let Some(k) = t.find("[Login denied for user \"") {
        // Web applications logging through PHP (ZoneMinder and the like).
        let r = &t[k + 24..];
        auth_failure(ev, r.find("\"]").map(|e| &r[..e]), "login_denied");
    } else if let Some(k) = t.find("[Could not retrieve user ") {
        let r = &t[k + 25..];
        auth_failure(ev, r.find(" details]").map(|e| &r[..e]), "user_not_found");
    }
}

/// The `user ...` messages of mod_auth_basic, mod_auth_digest and
/// mod_authz_core (`r` is what follows `user `).
fn classify_user<'a>(ev: &mut Event<'a>, r: &'a str) {
    // Digest: user `bob' in realm `private' not found: /uri
    if let Some(q) = r.strip_prefix('`') {
        if let Some(k) = q.find("' in realm `")
            && q[k..].contains("' not found")
        {
            auth_failure(ev, Some(&q[..k]), "user_not_found");
        }
        return;
    }
    if let Some(k) = r.find(": authentication failure for \"") {
        let reason = if r[k..].contains("Password Mismatch") {
            "password_mismatch"
        } else {
            "authentication_failure"
        };
        auth_failure(ev, Some(&r[..k]), reason);
    } else if let Some(k) = r.find(": authorization failure for \"") {
        auth_failure(ev, Some(&r[..k]), "authorization_failure");
    } else if let Some(k) = r.find(": password mismatch") {
        auth_failure(ev, Some(&r[..k]), "password_mismatch");
    } else if let Some(k) = r.find(" not found") {
        let after = &r[k + 10..];
        if after.is_empty() || after.starts_with(':') {
            auth_failure(ev, Some(&r[..k]), "user_not_found");
        }
    }
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
    fn apache_24_line() {
        let ev = parse(
            r#"[Mon Jan 15 10:30:45.123456 2024] [auth_basic:error] [pid 1234:tid 5678] [client 203.0.113.7:52144] AH01617: user bob: authentication failure for "/private": Password Mismatch"#,
            &ctx(),
        )
        .unwrap();
        assert_eq!(ev.format, Format::ApacheError);
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(ev.timestamp.nanos, 123_456_000);
        assert_eq!(ev.log_level.as_deref(), Some("error"));
        assert_eq!(ev.provider.as_deref(), Some("auth_basic"));
        assert_eq!(ev.process_pid, Some(1234));
        assert_eq!(ip(&ev).as_deref(), Some("203.0.113.7"));
        assert_eq!(ev.source_port, Some(52144));
        assert_eq!(ev.code.as_deref(), Some("AH01617"));
        assert_eq!(
            ev.message.as_deref(),
            Some(r#"AH01617: user bob: authentication failure for "/private": Password Mismatch"#)
        );
        assert_eq!(ev.category, Some(Category::Authentication));
        assert_eq!(ev.action.as_deref(), Some("http_auth"));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.user_name.as_deref(), Some("bob"));
        assert_eq!(ev.reason.as_deref(), Some("password_mismatch"));
    }

    #[test]
    fn apache_22_line() {
        let ev = parse(
            "[Thu Jul 11 01:21:43 2013] [error] [client 194.228.20.113] user dsfasdf not found: /, referer: http://x/a.html",
            &ctx(),
        )
        .unwrap();
        assert_eq!(ev.log_level.as_deref(), Some("error"));
        assert_eq!(ev.provider, None);
        assert_eq!(ev.process_pid, None);
        assert_eq!(ip(&ev).as_deref(), Some("194.228.20.113"));
        assert_eq!(ev.source_port, None);
        assert_eq!(ev.user_name.as_deref(), Some("dsfasdf"));
        assert_eq!(ev.reason.as_deref(), Some("user_not_found"));
        assert_eq!(ev.http_referrer.as_deref(), Some("http://x/a.html"));
        assert_eq!(ev.message.as_deref(), Some("user dsfasdf not found: /"));
    }

    #[test]
    fn auth_messages() {
        let c = ctx();
        let cases: &[(&str, Option<&str>, &str)] = &[
            (
                "[Thu Jul 11 01:21:41 2013] [error] [client 194.228.20.113] user  not found: /",
                None,
                "user_not_found",
            ),
            (
                "[Sat Jun 01 02:17:42 2013] [error] [client 192.168.0.2] user root not found",
                Some("root"),
                "user_not_found",
            ),
            (
                "[Sat Jul 20 21:37:32.266605 2013] [auth_basic:error] [pid 17512:tid 1] [client 127.0.0.1:51386] AH01618: user wrongusername not found: /basic/file",
                Some("wrongusername"),
                "user_not_found",
            ),
            (
                "[Wed Jul 17 23:50:37 2013] [error] [client 127.0.0.1] Digest: user username: password mismatch: /digest/x.html",
                Some("username"),
                "password_mismatch",
            ),
            (
                "[Sat Jul 20 21:45:28.890523 2013] [auth_digest:error] [pid 1:tid 2] [client 127.0.0.1:51408] AH01790: user `username' in realm `digest private area' not found: /digest_wrongrelm/x",
                Some("username"),
                "user_not_found",
            ),
            (
                "[Sat Jul 20 22:11:43.147674 2013] [authz_owner:error] [pid 1:tid 2] [client 127.0.0.1:51548] AH01637: Authorization of user username to access /basic/x failed, reason: file owner dan does not match",
                Some("username"),
                "authorization_failure",
            ),
            (
                r#"[Sat Jul 20 21:42:44.304159 2013] [authz_core:error] [pid 1:tid 2] [client 127.0.0.1:51397] AH01631: user username: authorization failure for "/basic/x": "#,
                Some("username"),
                "authorization_failure",
            ),
            (
                "[Sat Jul 20 21:41:52.523931 2013] [auth_basic:error] [pid 1:tid 2] [client 127.0.0.1:51396] AH01614: client used wrong authentication scheme: /basic/file",
                None,
                "wrong_auth_scheme",
            ),
            (
                "[Sun Jul 28 21:12:44 2013] [error] [client 127.0.0.1] Digest: invalid nonce JDiBAA=db9372522295196b7ac31db99e10cd1106c received - length is not 52",
                None,
                "digest_invalid_nonce",
            ),
            (
                "[Sun Jul 28 21:27:56.549667 2013] [auth_digest:error] [pid 1:tid 2] [client 127.0.0.1:57052] AH01788: realm mismatch - got `so far away' but expected `digest private area'",
                None,
                "digest_realm_mismatch",
            ),
            (
                "[Sun Jul 28 21:42:03.930190 2013] [auth_digest:error] [pid 1:tid 2] [client 127.0.0.1:57115] AH01789: unknown algorithm `super funky chicken' received: /digest/",
                None,
                "digest_unknown_algorithm",
            ),
            (
                "[Sun Jul 28 21:05:31.178340 2013] [auth_digest:error] [pid 1:tid 2] [client 127.0.0.1:56906] AH01793: invalid qop `auth' received: /digest/qop_none/",
                None,
                "digest_invalid_qop",
            ),
            (
                "[Mon Nov 06 13:39:56.637868 2023] [auth_basic:error] [pid 3175001:tid 1] [remote 192.0.2.111:35924] AH01618: user whatever not found: /admin",
                Some("whatever"),
                "user_not_found",
            ),
            (
                r#"[Mon Mar 28 16:50:49.522240 2016] [:error] [pid 1795] [client 10.1.1.1:50700] WAR [Login denied for user "username1"], referer: https://zoneminder/"#,
                Some("username1"),
                "login_denied",
            ),
        ];
        for (l, user, reason) in cases {
            let ev = parse(l, &c).unwrap_or_else(|| panic!("{l}"));
            assert_eq!(ev.category, Some(Category::Authentication), "{l}");
            assert_eq!(ev.outcome, Some(Outcome::Failure), "{l}");
            assert_eq!(ev.user_name.as_deref(), *user, "{l}");
            assert_eq!(ev.reason.as_deref(), Some(*reason), "{l}");
            assert!(ev.source_ip.is_some(), "{l}");
        }
    }

    #[test]
    fn not_login_failures() {
        let c = ctx();
        for l in [
            "[Sat Jun 01 02:17:42 2013] [error] [client 192.168.33.1] File does not exist: /srv/http/site/[client 192.168.0.1] user root not found",
            "[Sun Jul 28 21:16:37 2013] [error] [client 127.0.0.1] Digest: invalid nonce l19lgpDiBAZZZf1ec3d9613f3b3ef43660e3628d78455fd8b937 received - hash is not 6fda8bbcbcf85ff1ebfe7d1c43faba583bc53a02",
            "[Thu Oct 17 18:43:40.160521 2019] [evasive20:error] [pid 22589] [client 192.0.2.1:56175] client denied by server configuration: /path/index.php, referer: https://hostname/path/",
            "[Mon Jan 15 10:30:45.123456 2024] [mpm_event:notice] [pid 1:tid 2] AH00489: Apache/2.4.58 (Ubuntu) configured -- resuming normal operations",
        ] {
            let ev = parse(l, &c).unwrap_or_else(|| panic!("{l}"));
            assert_ne!(ev.outcome, Some(Outcome::Failure), "{l}");
        }
        let ev = parse("[Sat Jun 01 02:17:42 2013] [error] [client 192.168.33.1] File does not exist: /srv/http/site/[client 192.168.0.1] user root not found", &c).unwrap();
        assert_eq!(ip(&ev).as_deref(), Some("192.168.33.1"));
        assert_eq!(ev.action.as_deref(), Some("http_not_found"));
    }

    #[test]
    fn other_failures() {
        let c = ctx();
        let ev = parse("[Sat Jul 20 21:34:49.453232 2013] [access_compat:error] [pid 17512:tid 1] [client 127.0.0.1:51380] AH01797: client denied by server configuration: /var/www/html/x", &c).unwrap();
        assert_eq!(
            (ev.category, ev.action.as_deref(), ev.outcome),
            (
                Some(Category::Web),
                Some("http_access_denied"),
                Some(Outcome::Failure)
            )
        );
        let ev = parse("[Wed Mar 28 01:31:42.355210 2018] [ssl:error] [pid 6586] [client 91.49.82.139:58028] AH02033: No hostname was provided via SNI for a name based virtual host", &c).unwrap();
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        let ev = parse("[Sat Mar 15 16:04:06.105212 2010] [core:error] [pid 17408] [client 192.0.2.1:55280] AH00126: Invalid URI in request GET /static/../../../a/../../../../etc/passwd HTTP/1.1", &c).unwrap();
        assert_eq!(ev.action.as_deref(), Some("http_bad_request"));
        let ev = parse(r#"[Sat May 09 00:35:52.389262 2020] [:error] [pid 22406:tid 1] [client 192.0.2.2:47762] [client 192.0.2.2] ModSecurity: Access denied with code 401 (phase 2). [file "/x.conf"] [id "500000"] [hostname "example.com"] [uri "/wp-login.php"], referer: https://example.com/wp-login.php"#, &c).unwrap();
        assert_eq!(
            (ev.category, ev.outcome),
            (Some(Category::IntrusionDetection), Some(Outcome::Failure))
        );
        assert_eq!(ip(&ev).as_deref(), Some("192.0.2.2"));
        assert_eq!(ev.source_port, Some(47762));
        assert_eq!(
            ev.http_referrer.as_deref(),
            Some("https://example.com/wp-login.php")
        );
    }

    #[test]
    fn group_variants() {
        let c = ctx();
        // IPv6 client with brackets and port; 2.2 IPv6 without.
        let ev = parse("[Sat Jul 20 22:11:44.147674 2013] [authz_owner:error] [pid 1:tid 2] [client [2001:db8::80da:af6b:8b2c]:51548] AH01637: Authorization of user test-ipv6 to access /x failed, reason: y", &c).unwrap();
        assert_eq!(ip(&ev).as_deref(), Some("2001:db8::80da:af6b:8b2c"));
        assert_eq!(ev.source_port, Some(51548));
        assert_eq!(ev.user_name.as_deref(), Some("test-ipv6"));
        let ev = parse("[Thu Jul 11 01:21:44 2013] [error] [client 2001:db8::80da:af6b:8b2c] user test-ipv6 not found: /", &c).unwrap();
        assert_eq!(ip(&ev).as_deref(), Some("2001:db8::80da:af6b:8b2c"));
        // No pid, no client.
        let ev = parse("[Mon Jan 15 10:30:45 2024] [notice] Apache/2.2.22 (Debian) configured -- resuming normal operations", &c).unwrap();
        assert_eq!(
            ev.message.as_deref(),
            Some("Apache/2.2.22 (Debian) configured -- resuming normal operations")
        );
        // APR error before the client.
        let ev = parse("[Mon Jan 15 10:30:45.5 2024] [core:error] [pid 9] (13)Permission denied: [client 203.0.113.9:4444] AH00035: access to /x denied", &c).unwrap();
        assert_eq!(ip(&ev).as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.code.as_deref(), Some("AH00035"));
        // Space-padded day, local zone.
        let lc = ParseCtx::new(Zone::fixed(3600), Timestamp::from_secs(1_705_400_000));
        let ev = parse("[Mon Jan  5 11:30:45 2024] [error] x", &lc).unwrap();
        assert_eq!(ev.timestamp.secs, 1_705_314_645 - 10 * 86_400);
    }

    #[test]
    fn syslog_wrapped() {
        let c = ctx();
        let ev = parse("Jan 15 16:23:00 srv httpd[22034]: [authz_core:error] [pid 22034] [client 192.0.2.1:58585] AH01630: client denied by server configuration: /home/www/", &c).unwrap();
        assert_eq!(ev.format, Format::ApacheError);
        assert_eq!(ev.host_name.as_deref(), Some("srv"));
        assert_eq!(ev.process_name.as_deref(), Some("httpd"));
        assert_eq!(ip(&ev).as_deref(), Some("192.0.2.1"));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        let ev = parse("Jan 16 22:32:48 srv httpd/backend1[22034]: [error] [client 127.0.0.1] user wrongusername not found: /basic/file", &c).unwrap();
        assert_eq!(ev.user_name.as_deref(), Some("wrongusername"));
        assert_eq!(ev.process_pid, Some(22034));
        assert!(
            parse(
                "Jan 15 16:23:00 srv myapp[1]: [error] [client 192.0.2.1] x",
                &c
            )
            .is_none()
        );
        assert!(
            parse(
                "Jan 15 16:23:00 srv sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2",
                &c
            )
            .is_none()
        );
    }

    #[test]
    fn malformed() {
        let c = ctx();
        for l in [
            "",
            "[",
            "[Mon Jan 15 10:30:45 2024]",
            "[Mon Jan 15 10:30:45 2024] x",
            "[Mon Jan 15 10:30:45 2024] [bogus] x",
            "[Mon Jan 15 10:30:45 2024] [core:bogus] x",
            "[Mon Foo 15 10:30:45 2024] [error] x",
            "[Mon Jan 32 10:30:45 2024] [error] x",
            "[Mon Jan 15 10:30:45 24] [error] x",
            "[Mon Jan 15 10:30 2024] [error] x",
            "[15/Jan/2024:10:30:45 +0000] [error] x",
            "[2024-01-15 10:30:45] [error] x",
            "[Mon Jan 15 10:30:45 2024] [error x",
            "[Mon Jan 15 10:30:45 2024] [error] [pid x] y",
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 5"#,
            "2024/01/15 10:30:45 [error] 1#1: x",
        ] {
            assert!(parse(l, &c).is_none(), "{l}");
        }
        for l in [
            "[Mon Jan 15 10:30:45 2024] [error] [client [::1",
            "[Mon Jan 15 10:30:45 2024] [error] [client [::1]:x",
            "[Mon Jan 15 10:30:45 2024] [error] [client ",
            "[Mon Jan 15 10:30:45 2024] [error] [client é] user é not found",
            "[Mon Jan 15 10:30:45 2024] [error] [client 1.2.3.4] AH0161",
            "[Mon Jan 15 10:30:45 2024] [error] [client 1.2.3.4] user `x",
            "[Mon Jan 15 10:30:45 2024] [error] [client 1.2.3.4] x, referer: ",
            "[Mon Jan 15 10:30:45 2024] [error] [client 1.2.3.4] WAR [Login denied for user \"",
            "[Mon Jan 15 10:30:45 2024] [error] \u{1}\u{2}\u{fffd}",
        ] {
            let _ = parse(l, &c);
        }
    }
}
