//! Apache/NCSA common log format (CLF):
//! `host ident authuser [15/Jan/2024:10:30:45 +0000] "GET /x HTTP/1.1" 200 512`.
//!
//! Maps `source.ip` (or `source.domain`), `user.name` (authuser),
//! `@timestamp` (with its offset; local time when the stamp has none),
//! `http.request.method`, `url.original`, `http.version`,
//! `http.response.status_code`, `http.response.body.bytes`; `event.category`
//! `web`, `event.action` `http_request`, `event.outcome` from the status.
//!
//! A line with quoted fields after the bytes (referrer, user agent) is the
//! combined format and is left to `apache_combined`; unquoted extra columns
//! (`%D`, `%T`) are accepted and ignored. The scanning itself is shared in
//! `access_log`.

use crate::event::Event;
use crate::format::{Format, ParseCtx};
use crate::formats::access_log::parse_prefix_into;
use crate::time::Timestamp;

pub fn parse<'a>(line: &'a str, ctx: &ParseCtx) -> Option<Event<'a>> {
    let mut ev = Event::new(Format::ApacheCommon, line, Timestamp::default());
    parse_into(line, ctx, &mut ev).then_some(ev)
}

/// [`parse`] into `ev` (replaced when the line fits; see
/// `access_log::parse_prefix_into`).
pub fn parse_into<'a>(line: &'a str, ctx: &ParseCtx, ev: &mut Event<'a>) -> bool {
    match parse_prefix_into(line, ctx, Format::ApacheCommon, ev) {
        Some(Some(rest)) => !rest.trim_start_matches(' ').starts_with('"'),
        Some(None) => true,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Category, Outcome};
    use crate::time::{Timestamp, Zone};

    fn ctx() -> ParseCtx {
        ParseCtx::utc(Timestamp::from_secs(1_705_400_000))
    }

    #[test]
    fn basic_line() {
        let ev = parse(
            r#"203.0.113.7 - bob [15/Jan/2024:10:30:45 +0000] "GET /admin HTTP/1.1" 401 381"#,
            &ctx(),
        )
        .unwrap();
        assert_eq!(ev.format, Format::ApacheCommon);
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(
            ev.source_ip.map(|i| i.to_string()).as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(ev.user_name.as_deref(), Some("bob"));
        assert_eq!(ev.http_method.as_deref(), Some("GET"));
        assert_eq!(ev.url_original.as_deref(), Some("/admin"));
        assert_eq!(ev.http_version.as_deref(), Some("1.1"));
        assert_eq!(ev.http_status, Some(401));
        assert_eq!(ev.http_bytes, Some(381));
        assert_eq!(ev.category, Some(Category::Web));
        assert_eq!(ev.action.as_deref(), Some("http_request"));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
    }

    #[test]
    fn variants() {
        let c = ctx();
        let ev = parse(
            r#"2001:db8::7 - - [15/Jan/2024:11:30:45 +0100] "POST /login HTTP/2.0" 302 -"#,
            &c,
        )
        .unwrap();
        assert_eq!(
            ev.source_ip.map(|i| i.to_string()).as_deref(),
            Some("2001:db8::7")
        );
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(ev.user_name, None);
        assert_eq!(ev.http_bytes, None);
        assert_eq!(ev.http_version.as_deref(), Some("2.0"));
        assert_eq!(ev.outcome, Some(Outcome::Success));

        let ev = parse(r#"crawl-66-249-66-1.googlebot.com - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 10"#, &c).unwrap();
        assert_eq!(
            ev.source_domain.as_deref(),
            Some("crawl-66-249-66-1.googlebot.com")
        );
        assert_eq!(ev.source_ip, None);

        let ev = parse(
            r#"localhost - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 10"#,
            &c,
        )
        .unwrap();
        assert_eq!(ev.source_domain.as_deref(), Some("localhost"));

        // Garbage request lines keep the line.
        let ev = parse(
            r#"198.51.100.4 - - [15/Jan/2024:10:30:45 +0000] "-" 408 -"#,
            &c,
        )
        .unwrap();
        assert_eq!(
            (ev.http_method, ev.url_original, ev.http_status),
            (None, None, Some(408))
        );
        let ev = parse(r#"198.51.100.4 - - [15/Jan/2024:10:30:45 +0000] "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" 400 226"#, &c).unwrap();
        assert_eq!(ev.http_method, None);
        assert_eq!(
            ev.url_original.as_deref(),
            Some(r"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
        );
        let ev = parse(r#"198.51.100.4 - - [15/Jan/2024:10:30:45 +0000] "GET /a b/../etc/passwd HTTP/1.1" 400 226"#, &c).unwrap();
        assert_eq!(ev.url_original.as_deref(), Some("/a b/../etc/passwd"));
        let ev = parse(
            r#"198.51.100.4 - - [15/Jan/2024:10:30:45 +0000] "GET /?q=\"x\" HTTP/1.1" 200 5"#,
            &c,
        )
        .unwrap();
        assert_eq!(ev.url_original.as_deref(), Some(r#"/?q=\"x\""#));
        assert_eq!(ev.http_status, Some(200));

        // Unquoted extra columns (%D) are fine.
        let ev = parse(
            r#"198.51.100.4 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 5 1234"#,
            &c,
        )
        .unwrap();
        assert_eq!(ev.http_bytes, Some(5));

        // A user name with a space.
        let ev = parse(
            r#"198.51.100.4 - john smith [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 5"#,
            &c,
        )
        .unwrap();
        assert_eq!(ev.user_name.as_deref(), Some("john smith"));

        // No offset: local time.
        let lc = ParseCtx::new(Zone::fixed(3600), Timestamp::from_secs(1_705_400_000));
        let ev = parse(
            r#"192.0.2.12 - user1 [15/Jan/2024:11:30:45] "GET /knocking/ HTTP/1.1" 200 266"#,
            &lc,
        )
        .unwrap();
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
    }

    #[test]
    fn combined_lines_are_not_common() {
        let c = ctx();
        assert!(parse(r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 5120 "-" "curl/8.0""#, &c).is_none());
        assert!(
            parse(
                r#"12.34.56.78 - - [20/Jan/2015:19:53:28 +0100] "" 400 47 "-" "-" "-""#,
                &c
            )
            .is_none()
        );
    }

    #[test]
    fn truncated_lines_keep_what_is_there() {
        let c = ctx();
        let ev = parse(
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET /very/long/path?x=aaaa"#,
            &c,
        )
        .unwrap();
        assert_eq!(ev.url_original.as_deref(), Some("/very/long/path?x=aaaa"));
        assert_eq!(ev.http_status, None);
        let ev = parse(
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 404"#,
            &c,
        )
        .unwrap();
        assert_eq!(ev.http_status, Some(404));
    }

    #[test]
    fn malformed() {
        let c = ctx();
        for l in [
            "",
            "-",
            "203.0.113.7",
            "203.0.113.7 - - [15/Jan/2024:10:30:45 +0000]",
            "203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] GET / HTTP/1.1 200 5",
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" abc 5"#,
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 2000 5"#,
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 5x"#,
            r#"203.0.113.7 - - [32/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 5"#,
            r#"203.0.113.7 - - [15/Jan/2024:10:30:45 +0000 "GET / HTTP/1.1" 200 5"#,
            r#"203.0.113.7 [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 5"#,
            r#"Jan 15 10:30:45 web1 app: 203.0.113.7 - - [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 5"#,
            r#"a "q" b [15/Jan/2024:10:30:45 +0000] "GET / HTTP/1.1" 200 5"#,
            "\u{fffd}\u{fffd} - - [15/Jan/2024:10:30:45 +0000] \"GET / HTTP/1.1\" 200 5",
            "203.0.113.7 - é [15/Jan/2024:10:30:45 +0000] \"GET /é HTTP/1.1\" 2\u{e9}",
            "2024-01-15 10:30:45 10.0.0.5 POST /owa/auth.owa - 443 bob 203.0.113.7 Mozilla/5.0 - 401 1 1326 15",
            "Jan 15 10:30:45 web1 sshd[1234]: Failed password for root from 203.0.113.7 port 52144 ssh2",
        ] {
            assert!(parse(l, &c).is_none(), "{l}");
        }
        // Non-ASCII in the request or user still parses.
        let ev = parse(
            "203.0.113.7 - jürgen [15/Jan/2024:10:30:45 +0000] \"GET /straße HTTP/1.1\" 200 5",
            &c,
        )
        .unwrap();
        assert_eq!(ev.user_name.as_deref(), Some("jürgen"));
        assert_eq!(ev.url_original.as_deref(), Some("/straße"));
    }
}
