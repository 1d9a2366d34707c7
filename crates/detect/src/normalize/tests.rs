//! The whole pipeline, one test per evasion trick, plus the fast paths and
//! a property test that it is total and idempotent enough.

use proptest::prelude::*;

use super::*;

fn url(s: &str) -> String {
    normalize(s, Mode::Url)
}

fn text(s: &str) -> String {
    normalize(s, Mode::Text)
}

#[test]
fn url_encoding_levels() {
    assert_eq!(url("/p?id=1%27%20OR%20%271%27=%271"), "/p?id=1' or '1'='1");
    // Double and triple encoding.
    assert_eq!(url("/p?id=%2527%2520OR%25201%253D1--"), "/p?id=' or 1=1--");
    assert_eq!(url("/p?f=%25252e%25252e%25252fetc"), "/p?f=../etc");
    // Four levels are decoded, a fifth is left.
    assert_eq!(url("/%252525252e"), "/%2e");
    // %uHHHH (IIS).
    assert_eq!(url("/s?q=%u003Cscript%u003E"), "/s?q=<script>");
    assert_eq!(url("/s?q=%uFF1Cscript%uFF1E"), "/s?q=<script>");
}

#[test]
fn plus_is_a_space_in_the_query_only() {
    assert_eq!(url("/a+b/c?q=union+select+1"), "/a+b/c?q=union select 1");
    assert_eq!(url("/s?q=c%2B%2B+book"), "/s?q=c++ book");
    assert_eq!(
        text("Mozilla/5.0+(compatible; UptimeRobot/2.0)"),
        "mozilla/5.0+(compatible; uptimerobot/2.0)"
    );
}

#[test]
fn html_entities() {
    assert_eq!(url("/s?q=&lt;script&gt;"), "/s?q=<script>");
    assert_eq!(url("/s?q=&#x3c;img&#32;src=x&#62;"), "/s?q=<img src=x>");
    assert_eq!(url("/s?q=%26%2360%3Bsvg"), "/s?q=<svg");
    assert_eq!(url("/s?q=%26lt%3Bb%26gt%3B"), "/s?q=<b>");
    assert_eq!(url("/list?price=1&lt=5&gt=2"), "/list?price=1&lt=5&gt=2");
}

#[test]
fn case_folding() {
    assert_eq!(url("/P?Q=UnIoN SeLeCt"), "/p?q=union select");
    assert_eq!(text("SQLMAP/1.7"), "sqlmap/1.7");
}

#[test]
fn sql_comments_and_whitespace() {
    assert_eq!(
        url("/p?id=1/**/UNION/**/SELECT/**/1"),
        "/p?id=1 union select 1"
    );
    assert_eq!(url("/p?id=1%09OR%0a1=1"), "/p?id=1 or 1=1");
    assert_eq!(url("/p?id=1%0d%0aOR%0b%0c1=1"), "/p?id=1 or 1=1");
    assert_eq!(url("/p?id=1%20%20%20OR%a01=1"), "/p?id=1 or 1=1");
    assert_eq!(url("/p?id=1/*!50000UNION*/SELECT"), "/p?id=1 union select");
    assert_eq!(url("/p?id=1%2F%2A%2A%2FOR%2F%2A%2A%2F1"), "/p?id=1 or 1");
}

#[test]
fn backslashes_and_dot_segments() {
    assert_eq!(
        url("/v?t=..%5c..%5cwindows%5cwin.ini"),
        "/v?t=../../windows/win.ini"
    );
    assert_eq!(
        url("/d?file=....//....//etc/passwd"),
        "/d?file=../../etc/passwd"
    );
    assert_eq!(url("/..;/..;/manager/html"), "/../../manager/html");
    assert_eq!(
        url("/cgi-bin/.%2e/.%2e/etc/passwd"),
        "/cgi-bin/../../etc/passwd"
    );
    assert_eq!(url("/a/./b/.%2fc"), "/a/b/c");
    assert_eq!(
        url("/x/..%c0%af..%c0%afetc%c0%afpasswd"),
        "/x/../../etc/passwd"
    );
    assert_eq!(url("/%c0%ae%c0%ae/%c0%ae%c0%ae/etc"), "/../../etc");
    assert_eq!(url("/%c1%9c..%c1%9cboot.ini"), "//../boot.ini");
}

#[test]
fn nul_bytes() {
    assert_eq!(url("/d?file=/etc/passwd%00.png"), "/d?file=/etc/passwd.png");
    assert_eq!(url("/d?f=a%2500b"), "/d?f=ab");
}

#[test]
fn log_writer_escapes() {
    assert_eq!(url(r#"/s?q=\"><script>"#), r#"/s?q="><script>"#);
    assert_eq!(url(r"/s?q=\x22\x3e"), r#"/s?q=">"#);
    assert_eq!(
        text(r#"() { :; }; /bin/bash -c \"id\""#),
        r#"() { :; }; /bin/bash -c "id""#
    );
}

#[test]
fn query_position() {
    let mut d = Decoder::new();
    let mut out = String::new();
    // Plain: borrowed, position in the raw value.
    let n = d.normalize("/a/b?x=1", Mode::Url, &mut out);
    assert_eq!(
        n,
        Normalized {
            changed: false,
            query_at: Some(4)
        }
    );
    // Encoded path: position in the output.
    let n = d.normalize("/%61%62?x=%31", Mode::Url, &mut out);
    assert_eq!((out.as_str(), n.query_at), ("/ab?x=1", Some(3)));
    // An encoded `?` does not start the query.
    let n = d.normalize("/a%3fb", Mode::Url, &mut out);
    assert_eq!((out.as_str(), n.query_at), ("/a?b", None));
    let n = d.normalize("/a%3fb?c", Mode::Url, &mut out);
    assert_eq!((out.as_str(), n.query_at), ("/a?b?c", Some(4)));
    assert_eq!(d.normalize("q?x", Mode::Text, &mut out).query_at, None);
}

#[test]
fn fast_paths() {
    let mut d = Decoder::new();
    let mut out = String::from("stale");
    for plain in [
        "/products/1234?ref=home&utm_source=newsletter",
        "/static/js/app.8b2d4e.js",
        "https://www.google.com/",
        "/a+b",
        "/x?a=1&b=2",
        "",
    ] {
        let n = d.normalize(plain, Mode::Url, &mut out);
        assert!(!n.changed, "{plain}");
        assert_eq!(out, "stale", "untouched");
    }
    let n = d.normalize("Mozilla/5.0 (X11; Linux x86_64)", Mode::Text, &mut out);
    assert!(n.changed);
    assert_eq!(out, "mozilla/5.0 (x11; linux x86_64)");
    for encoded in [
        "/a%20b",
        "/x?q=a+b",
        "/a/../b",
        "/a\\b",
        "/x?a=&lt;",
        "/a  b",
        "/é",
        "/a/*b*/",
    ] {
        assert!(
            d.normalize(encoded, Mode::Url, &mut out).changed,
            "{encoded}"
        );
    }
}

#[test]
fn benign_values_keep_their_meaning() {
    assert_eq!(url("/search?q=caf%C3%A9+table"), "/search?q=café table");
    assert_eq!(url("/search?q=%E6%9C%BA%E6%A2%B0"), "/search?q=机械");
    assert_eq!(url("/search?q=50%25+off"), "/search?q=50% off");
    assert_eq!(
        url("/search?q=O%27Brien+jacket"),
        "/search?q=o'brien jacket"
    );
    assert_eq!(
        url("/cb?redirect_uri=https%3A%2F%2Fshop.example.com%2Fauth&state=a%2Bb"),
        "/cb?redirect_uri=https://shop.example.com/auth&state=a+b"
    );
}

proptest! {
    #[test]
    fn total_and_stable(s in "\\PC{0,80}", bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let mut d = Decoder::new();
        let mut out = String::new();
        for mode in [Mode::Url, Mode::Text] {
            let once = d.normalize_to_string(&s, mode);
            // The normal form has no upper case ASCII, NUL or control bytes.
            prop_assert!(!once.bytes().any(|b| b.is_ascii_uppercase() || b < 0x20 || b == 0x7f));
            let n = d.normalize(&s, mode, &mut out);
            if let Some(q) = n.query_at {
                let text = if n.changed { out.as_str() } else { s.as_str() };
                prop_assert_eq!(text.as_bytes().get(q), Some(&b'?'));
            }
            let lossy = String::from_utf8_lossy(&bytes);
            let _ = d.normalize_to_string(&lossy, mode);
        }
    }

    #[test]
    fn percent_encoding_is_undone(s in "[a-z0-9 '<>();=/.-]{0,40}") {
        let encoded: String = s.bytes().map(|b| format!("%{b:02x}")).collect();
        let twice: String = encoded.bytes().map(|b| format!("%{b:02X}")).collect();
        let expect = normalize(&s, Mode::Text);
        prop_assert_eq!(normalize(&encoded, Mode::Text), expect.clone());
        prop_assert_eq!(normalize(&twice, Mode::Text), expect);
    }
}
