//! Apache/Nginx combined access log (Nginx's default `access_log` format):
//! the common format plus ` "referer" "user-agent"`.
//!
//! Accepted around it: a leading virtual host (`example.com:443 host ident
//! user [...]`, Apache's `vhost_combined`) mapped to `url.domain`; any
//! trailing fields after the user agent (Nginx's `"$http_x_forwarded_for"`,
//! request times, Traefik's extra columns), ignored. `-` values are absent.
//!
//! Maps everything `apache_common` does plus `http.request.referrer` and
//! `user_agent.original`. The scanning is shared in `access_log`.

use std::borrow::Cow;

use crate::event::Event;
use crate::format::{Format, ParseCtx};
use crate::formats::access_log::{parse_prefix_into, quoted};
use crate::time::Timestamp;

pub fn parse<'a>(line: &'a str, ctx: &ParseCtx) -> Option<Event<'a>> {
    let mut ev = Event::new(Format::ApacheCombined, line, Timestamp::default());
    parse_into(line, ctx, &mut ev).then_some(ev)
}

/// [`parse`] into `ev` (replaced when the line fits; see
/// `access_log::parse_prefix_into`).
pub fn parse_into<'a>(line: &'a str, ctx: &ParseCtx, ev: &mut Event<'a>) -> bool {
    let Some(rest) = parse_prefix_into(line, ctx, Format::ApacheCombined, ev) else {
        return false;
    };
    let Some(rest) = rest else {
        return true; // cut short before the combined part
    };
    let tail = rest.trim_start_matches(' ');
    if tail.len() == rest.len() {
        return false;
    }
    let at = line.len() - tail.len();
    let Some(referrer) = quoted(line, at) else {
        return false;
    };
    if referrer.value != "-" && !referrer.value.is_empty() {
        ev.http_referrer = Some(Cow::Borrowed(referrer.value));
    }
    if !referrer.closed {
        return true;
    }
    let b = line.as_bytes();
    if b.get(referrer.next) == Some(&b' ')
        && let Some(ua) = quoted(line, referrer.next + 1)
        && ua.value != "-"
        && !ua.value.is_empty()
    {
        ev.user_agent = Some(Cow::Borrowed(ua.value));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Category, Outcome};
    use crate::time::Timestamp;

    fn ctx() -> ParseCtx {
        ParseCtx::utc(Timestamp::from_secs(1_705_400_000))
    }

    fn ip(ev: &Event<'_>) -> Option<String> {
        ev.source_ip.map(|i| i.to_string())
    }

    #[test]
    fn basic_line() {
        let ev = parse(
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET /index.php?id=1%27%20OR%201=1 HTTP/1.1" 200 5120 "https://example.com/" "sqlmap/1.7""#,
            &ctx(),
        )
        .unwrap();
        assert_eq!(ev.format, Format::ApacheCombined);
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(ip(&ev).as_deref(), Some("203.0.113.7"));
        assert_eq!(ev.user_name, None);
        assert_eq!(ev.http_method.as_deref(), Some("GET"));
        assert_eq!(
            ev.url_original.as_deref(),
            Some("/index.php?id=1%27%20OR%201=1")
        );
        assert_eq!(ev.http_version.as_deref(), Some("1.1"));
        assert_eq!(ev.http_status, Some(200));
        assert_eq!(ev.http_bytes, Some(5120));
        assert_eq!(ev.http_referrer.as_deref(), Some("https://example.com/"));
        assert_eq!(ev.user_agent.as_deref(), Some("sqlmap/1.7"));
        assert_eq!(ev.category, Some(Category::Web));
        assert_eq!(ev.action.as_deref(), Some("http_request"));
        assert_eq!(ev.outcome, Some(Outcome::Success));
        assert!(matches!(ev.user_agent, Some(Cow::Borrowed(_))));
    }

    #[test]
    fn nginx_and_vhost_variants() {
        let c = ctx();
        // Nginx with $http_x_forwarded_for and a request time.
        let ev = parse(
            r#"10.0.0.9 - alice [15/Jan/2024:10:30:45 +0000] "POST /api/login HTTP/2.0" 403 19 "-" "Mozilla/5.0 (X11; Linux x86_64)" "203.0.113.7, 10.0.0.1" 0.004"#,
            &c,
        )
        .unwrap();
        assert_eq!(ev.user_name.as_deref(), Some("alice"));
        assert_eq!(ev.http_referrer, None);
        assert_eq!(
            ev.user_agent.as_deref(),
            Some("Mozilla/5.0 (X11; Linux x86_64)")
        );
        assert_eq!(ev.outcome, Some(Outcome::Failure));

        // Apache vhost_combined.
        let ev = parse(
            r#"example.com:443 203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 10 "-" "curl/8.5.0""#,
            &c,
        )
        .unwrap();
        assert_eq!(ev.url_domain.as_deref(), Some("example.com"));
        assert_eq!(ip(&ev).as_deref(), Some("203.0.113.7"));
        let ev = parse(
            r#"www.sitename.com 192.0.2.222 - - [18/Aug/2024:21:08:39 +0100] "GET /filename.jpg HTTP/1.1" 403 332 "-" "TrackBack/1.02""#,
            &c,
        )
        .unwrap();
        assert_eq!(ev.url_domain.as_deref(), Some("www.sitename.com"));
        assert_eq!(ip(&ev).as_deref(), Some("192.0.2.222"));

        // A custom format with an extra dash column and a host after the stamp.
        let ev = parse(
            r#"66.249.66.1 - - - [31/Jan/2015:14:29:44 ] fail2ban.org "GET / HTTP/1.1" 200 814 "-" "Mozilla/5.0 (compatible; Googlebot/2.1)" + 293 1149 546"#,
            &c,
        )
        .unwrap();
        assert_eq!(ip(&ev).as_deref(), Some("66.249.66.1"));
        assert_eq!(ev.user_name, None);
        assert_eq!(ev.url_domain.as_deref(), Some("fail2ban.org"));
        assert_eq!(
            ev.user_agent.as_deref(),
            Some("Mozilla/5.0 (compatible; Googlebot/2.1)")
        );

        // Traefik: extra trailing columns.
        let ev = parse(
            r#"10.0.0.2 - username [18/Nov/2018:21:34:30 +0000] "GET /dashboard/ HTTP/2.0" 401 17 "-" "Mozilla/5.0" 72 "Auth for frontend-Host-traefik-0" "/dashboard/" 0ms"#,
            &c,
        )
        .unwrap();
        assert_eq!(ev.user_name.as_deref(), Some("username"));
        assert_eq!(ev.http_status, Some(401));

        // Escaped quotes inside the user agent and referrer.
        let ev = parse(
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 10 "http://x/\"a\"" "() { :; }; echo \"pwn\"""#,
            &c,
        )
        .unwrap();
        assert_eq!(ev.http_referrer.as_deref(), Some(r#"http://x/\"a\""#));
        assert_eq!(ev.user_agent.as_deref(), Some(r#"() { :; }; echo \"pwn\""#));

        // Only a referrer.
        let ev = parse(
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 10 "http://r/""#,
            &c,
        )
        .unwrap();
        assert_eq!(
            (ev.http_referrer.as_deref(), ev.user_agent),
            (Some("http://r/"), None)
        );

        // IPv6 client, non-ASCII user agent.
        let ev = parse(
            "2001:db8::80da:af6b:8b2c - - [15/Jan/2024:10:30:45 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"Браузер/1.0 ☃\"",
            &c,
        )
        .unwrap();
        assert_eq!(ip(&ev).as_deref(), Some("2001:db8::80da:af6b:8b2c"));
        assert_eq!(ev.user_agent.as_deref(), Some("Браузер/1.0 ☃"));
    }

    #[test]
    fn garbage_requests() {
        let c = ctx();
        for (l, url) in [
            (
                r#"12.34.56.78 - - [20/Jan/2015:19:53:28 +0100] "" 400 47 "-" "-" "-""#,
                None,
            ),
            (
                r#"12.34.56.78 - - [20/Jan/2015:19:53:28 +0100] "\x03\x00\x00/*\xE0\x00\x00\x00\x00\x00Cookie: mstshash=Administr" 400 47 "-" "-" "-""#,
                Some(r"\x03\x00\x00/*\xE0\x00\x00\x00\x00\x00Cookie: mstshash=Administr"),
            ),
            (
                r#"12.34.56.78 - - [20/Jan/2015:19:55:28 +0100] "batman" 400 47 "-" "-" "-""#,
                Some("batman"),
            ),
            (
                r#"7.8.9.10 - root [20/Jan/2015:01:17:07 +0100] "CONNECT 123.123.123.123 HTTP/1.1" 400 162 "-" "-" "-""#,
                Some("123.123.123.123"),
            ),
        ] {
            let ev = parse(l, &c).unwrap_or_else(|| panic!("{l}"));
            assert_eq!(ev.url_original.as_deref(), url, "{l}");
            assert_eq!(ev.http_status, Some(400));
            assert_eq!(ev.user_agent, None);
            assert_eq!(ev.outcome, Some(Outcome::Failure));
        }
    }

    #[test]
    fn truncated() {
        let c = ctx();
        let ev = parse(r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 10 "-" "Mozilla/5.0 (Win"#, &c).unwrap();
        assert_eq!(ev.user_agent.as_deref(), Some("Mozilla/5.0 (Win"));
        let ev = parse(
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 10 "https://exa"#,
            &c,
        )
        .unwrap();
        assert_eq!(ev.http_referrer.as_deref(), Some("https://exa"));
        let ev = parse(
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET /abc"#,
            &c,
        )
        .unwrap();
        assert_eq!(ev.url_original.as_deref(), Some("/abc"));
    }

    #[test]
    fn malformed() {
        let c = ctx();
        for l in [
            "",
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 10"#,
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 10 0.003"#,
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 10 - -"#,
            r#"203.0.113.7 - - [15/Jan/2024:99:30:45 +0000] "GET / HTTP/1.1" 200 10 "-" "x""#,
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] 'GET / HTTP/1.1' 200 10 "-" "x""#,
            r#"203.0.113.7 - - 15/Jan/2024:10:30:45 +0000 "GET / HTTP/1.1" 200 10 "-" "x""#,
            r#"{"remote_addr":"203.0.113.7","time":"[15/Jan/2024:10:30:45 +0000]"}"#,
            "\u{0}\u{1}\u{2} [15/Jan/2024:10:30:45 +0000] \"\" 200 1 \"-\" \"-\"",
            "[Mon Jan 15 10:30:45.123456 2024] [auth_basic:error] [pid 1234] [client 203.0.113.7:52144] AH01617: x",
            "2024/01/15 10:30:45 [error] 1234#1234: *5 user \"admin\": password mismatch, client: 203.0.113.7",
        ] {
            assert!(parse(l, &c).is_none(), "{l}");
        }
    }
}
