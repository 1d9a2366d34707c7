//! Incident linking, stages and scores, on synthetic alerts.

use super::*;
use crate::score::Responses;

const T0: i64 = 1_705_314_600;
const MIN: i64 = 60;
const HOUR: i64 = 3600;

/// An alert of `category` scoring `score`, from `start` to `end` seconds
/// after T0.
fn alert(name: &str, category: RuleCategory, score: u8, start: i64, end: i64) -> Alert {
    let first = Timestamp::from_secs(T0 + start);
    Alert {
        id: alert_id(name, &format!("{start}"), first),
        rule_index: 0,
        rule_id: format!("id-{name}"),
        rule_name: name.to_string(),
        rule_title: name.replace('_', " "),
        category,
        level: Level::High,
        risk_score: score,
        severity: Severity::from_score(score),
        techniques: vec![("T1190".into(), "Exploit Public-Facing Application".into())],
        tactics: Vec::new(),
        description: String::new(),
        first_seen: first,
        last_seen: Timestamp::from_secs(T0 + end),
        source_ip: None,
        user_name: None,
        users: Vec::new(),
        distinct_users: 0,
        source_ips: Vec::new(),
        distinct_source_ips: 0,
        host_name: None,
        group: Vec::new(),
        count: 1,
        evidence: Vec::new(),
        responses: Responses::default(),
        incident_id: None,
    }
}

fn ip(mut a: Alert, v: &str) -> Alert {
    a.source_ip = Some(v.into());
    a
}

fn user(mut a: Alert, v: &str) -> Alert {
    a.user_name = Some(v.into());
    a
}

fn host(mut a: Alert, v: &str) -> Alert {
    a.host_name = Some(v.into());
    a
}

fn answered(mut a: Alert) -> Alert {
    a.responses.success = 1;
    a.responses.refused = 3;
    a
}

fn link2h(alerts: &mut [Alert]) -> Vec<Incident> {
    link(alerts, DEFAULT_WINDOW)
}

fn names(i: &Incident) -> Vec<&str> {
    i.alerts.iter().map(|a| a.rule_name.as_str()).collect()
}

fn stage_names(i: &Incident) -> Vec<&str> {
    i.stages.iter().map(|s| s.as_str()).collect()
}

#[test]
fn stage_mapping() {
    use RuleCategory as C;
    let of = |c| stages_of(&alert("x", c, 50, 0, 0)).to_vec();
    assert_eq!(of(C::Scanner), [Stage::Reconnaissance]);
    assert_eq!(of(C::PortScan), [Stage::Reconnaissance]);
    assert_eq!(of(C::UserEnumeration), [Stage::Reconnaissance]);
    assert_eq!(of(C::SensitiveFileAccess), [Stage::Reconnaissance]);
    assert_eq!(of(C::BruteForce), [Stage::InitialAccess]);
    assert_eq!(of(C::PasswordSpraying), [Stage::InitialAccess]);
    assert_eq!(of(C::SqlInjection), [Stage::InitialAccess]);
    assert_eq!(of(C::AccountCompromise), [Stage::Compromise]);
    assert_eq!(of(C::PrivilegeEscalation), [Stage::PrivilegeEscalation]);
    assert_eq!(of(C::Persistence), [Stage::PrivilegeEscalation]);
    assert_eq!(of(C::DefenseEvasion), [Stage::PrivilegeEscalation]);
    assert!(of(C::Policy).is_empty() && of(C::Other).is_empty());
    // A web attack answered 2xx is also a compromise...
    for c in [
        C::SqlInjection,
        C::PathTraversal,
        C::CommandInjection,
        C::CodeInjection,
        C::Ssrf,
    ] {
        let a = answered(alert("x", c, 50, 0, 0));
        assert_eq!(stages_of(&a), [Stage::InitialAccess, Stage::Compromise]);
    }
    let served = answered(alert("x", C::SensitiveFileAccess, 50, 0, 0));
    assert_eq!(
        stages_of(&served),
        [Stage::Reconnaissance, Stage::Compromise]
    );
    // ... when its rule is at least medium (`alert` makes High ones).
    let mut weak = answered(alert("x", C::SqlInjection, 12, 0, 0));
    weak.level = Level::Low;
    assert_eq!(stages_of(&weak), [Stage::InitialAccess]);
    // Not a reflected XSS, nor a brute force with 200s.
    assert_eq!(
        stages_of(&answered(alert("x", C::Xss, 50, 0, 0))),
        [Stage::InitialAccess]
    );
    assert_eq!(
        stages_of(&answered(alert("x", C::BruteForce, 50, 0, 0))),
        [Stage::InitialAccess]
    );
    // A web shell: probed in vain (every answer 4xx) is reconnaissance;
    // answered 2xx, a compromise and an action on the host.
    let mut probe = alert("web_shell", C::Persistence, 37, 0, 0);
    probe.responses.refused = 5;
    assert_eq!(stages_of(&probe), [Stage::Reconnaissance]);
    let mut shell = answered(alert("web_shell", C::Persistence, 77, 0, 0));
    assert_eq!(
        stages_of(&shell),
        [Stage::Compromise, Stage::PrivilegeEscalation]
    );
    shell.level = Level::Low;
    assert_eq!(stages_of(&shell), [Stage::PrivilegeEscalation]);
    // Every category has a stage decision (no panic), and the order holds.
    for c in RuleCategory::ALL {
        let s = stages_of(&alert("x", c, 1, 0, 0));
        assert!(s.windows(2).all(|w| w[0] < w[1]));
    }
    assert!(Stage::ALL.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn alerts_alone_are_no_incident() {
    let mut alerts = vec![
        ip(
            alert("sqli", RuleCategory::SqlInjection, 62, 0, 60),
            "203.0.113.9",
        ),
        ip(
            alert("scan", RuleCategory::Scanner, 35, 0, 60),
            "198.51.100.1",
        ),
    ];
    alerts[0].incident_id = Some("stale".into());
    assert!(link2h(&mut alerts).is_empty());
    assert!(alerts.iter().all(|a| a.incident_id.is_none()));
    assert!(link2h(&mut []).is_empty());
}

#[test]
fn linked_by_source_ip() {
    let mut alerts = vec![
        ip(
            alert("scan", RuleCategory::Scanner, 35, 0, 5 * MIN),
            "203.0.113.9",
        ),
        ip(
            alert("other", RuleCategory::Scanner, 35, MIN, 2 * MIN),
            "198.51.100.1",
        ),
        ip(
            answered(alert(
                "sqli",
                RuleCategory::SqlInjection,
                78,
                10 * MIN,
                12 * MIN,
            )),
            "203.0.113.9",
        ),
    ];
    let incidents = link2h(&mut alerts);
    assert_eq!(incidents.len(), 1);
    let inc = &incidents[0];
    assert_eq!(names(inc), ["scan", "sqli"]);
    assert_eq!(
        stage_names(inc),
        ["reconnaissance", "initial_access", "compromise"]
    );
    assert_eq!(inc.chain(), "reconnaissance → initial_access → compromise");
    // 78 + 2 stages × 10.
    assert_eq!(inc.risk_score, 98);
    assert_eq!(inc.severity, Severity::Critical);
    assert_eq!(inc.ips, ["203.0.113.9"]);
    assert_eq!(inc.first_seen, Timestamp::from_secs(T0));
    assert_eq!(inc.last_seen, Timestamp::from_secs(T0 + 12 * MIN));
    assert_eq!(alerts[0].incident_id.as_deref(), Some(inc.id.as_str()));
    assert_eq!(alerts[2].incident_id.as_deref(), Some(inc.id.as_str()));
    assert_eq!(alerts[1].incident_id, None);
    assert_eq!(inc.id.len(), 32);
    assert_ne!(inc.id, alerts[0].id);
}

#[test]
fn linked_by_user_and_host_only_after_access() {
    // Two attackers guessing root's password are two stories, not one.
    let mut alerts = vec![
        user(
            host(
                ip(
                    alert("bf1", RuleCategory::BruteForce, 65, 0, MIN),
                    "203.0.113.1",
                ),
                "web1",
            ),
            "root",
        ),
        user(
            host(
                ip(
                    alert("bf2", RuleCategory::BruteForce, 65, 0, MIN),
                    "203.0.113.2",
                ),
                "web1",
            ),
            "root",
        ),
    ];
    assert!(link2h(&mut alerts).is_empty());
    // The account that logged in is the one that opened a root shell.
    let mut alerts = vec![
        ip(
            alert("bf", RuleCategory::BruteForce, 65, 0, 2 * MIN),
            "203.0.113.7",
        ),
        user(
            host(
                ip(
                    alert(
                        "login_after_bf",
                        RuleCategory::AccountCompromise,
                        90,
                        2 * MIN,
                        2 * MIN,
                    ),
                    "203.0.113.7",
                ),
                "web1",
            ),
            "mallory",
        ),
        user(
            host(
                alert(
                    "sudo_root_shell",
                    RuleCategory::PrivilegeEscalation,
                    12,
                    5 * MIN,
                    5 * MIN,
                ),
                "web1",
            ),
            "Mallory",
        ),
        // Another account's root shell on another host: unrelated.
        user(
            host(
                alert(
                    "sudo_root_shell",
                    RuleCategory::PrivilegeEscalation,
                    12,
                    6 * MIN,
                    6 * MIN,
                ),
                "db1",
            ),
            "alice",
        ),
    ];
    let incidents = link2h(&mut alerts);
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let inc = &incidents[0];
    assert_eq!(names(inc), ["bf", "login_after_bf", "sudo_root_shell"]);
    assert_eq!(
        stage_names(inc),
        ["initial_access", "compromise", "privilege_escalation"]
    );
    assert_eq!(inc.risk_score, 100);
    assert_eq!(inc.severity, Severity::Critical);
    assert_eq!(inc.users, ["mallory", "Mallory"]);
    assert_eq!(inc.hosts, ["web1"]);
    assert_eq!(alerts[3].incident_id, None);
    // The same account name on another host is another account.
    let mut alerts = vec![
        user(
            host(
                alert("shell", RuleCategory::PrivilegeEscalation, 12, 0, 0),
                "web1",
            ),
            "admin",
        ),
        user(
            host(
                alert("shell", RuleCategory::PrivilegeEscalation, 12, MIN, MIN),
                "db1",
            ),
            "admin",
        ),
    ];
    assert!(link2h(&mut alerts).is_empty());
}

#[test]
fn host_only_alerts_join_the_latest_access_on_their_host() {
    let login = |name: &str, at: i64, from: &str, account: &str| {
        user(
            host(
                ip(
                    alert(name, RuleCategory::AccountCompromise, 90, at, at),
                    from,
                ),
                "web1",
            ),
            account,
        )
    };
    let uid0 = |name: &str, at: i64, on: &str| {
        host(alert(name, RuleCategory::Persistence, 85, at, at), on)
    };
    let mut alerts = vec![
        login("login_a", 0, "203.0.113.1", "git"),
        login("login_b", 5 * MIN, "203.0.113.2", "deploy"),
        // After both logins: the latest one's.
        uid0("uid0_after_b", 6 * MIN, "WEB1"),
        // Between them: the first one's.
        uid0("uid0_after_a", 2 * MIN, "web1"),
        // Another host, and before any access: alone.
        uid0("uid0_db1", 6 * MIN, "db1"),
        uid0("uid0_early", -MIN, "web1"),
        // A brute force is no access: nothing joins it.
        host(
            ip(
                alert("bf", RuleCategory::BruteForce, 65, -3 * MIN, -2 * MIN),
                "198.51.100.1",
            ),
            "web1",
        ),
    ];
    let incidents = link2h(&mut alerts);
    assert_eq!(incidents.len(), 2, "{incidents:?}");
    assert_eq!(names(&incidents[0]), ["login_a", "uid0_after_a"]);
    assert_eq!(names(&incidents[1]), ["login_b", "uid0_after_b"]);
    for lone in [4, 5, 6] {
        assert_eq!(alerts[lone].incident_id, None, "{}", alerts[lone].rule_name);
    }
    // Too long after the access: alone.
    let mut alerts = vec![
        login("login", 0, "203.0.113.1", "git"),
        uid0("uid0_late", 3 * HOUR, "web1"),
    ];
    assert!(link2h(&mut alerts).is_empty());
    // Host-only alerts never bridge two accesses.
    let mut alerts = vec![
        login("login_a", 0, "203.0.113.1", "git"),
        uid0("uid0_1", MIN, "web1"),
        login("login_b", 2 * MIN, "203.0.113.2", "deploy"),
        uid0("uid0_2", 3 * MIN, "web1"),
    ];
    assert_eq!(link2h(&mut alerts).len(), 2);
}

#[test]
fn links_are_transitive() {
    // scan (ip A) — login (ip A, user u) — root shell (user u): one incident
    // although the scan and the shell share nothing.
    let mut alerts = vec![
        ip(
            alert("portscan", RuleCategory::PortScan, 40, 0, MIN),
            "203.0.113.7",
        ),
        user(
            ip(
                alert(
                    "login",
                    RuleCategory::AccountCompromise,
                    90,
                    10 * MIN,
                    10 * MIN,
                ),
                "203.0.113.7",
            ),
            "deploy",
        ),
        user(
            alert(
                "root_shell",
                RuleCategory::PrivilegeEscalation,
                12,
                20 * MIN,
                20 * MIN,
            ),
            "deploy",
        ),
    ];
    let incidents = link2h(&mut alerts);
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].alerts.len(), 3);
    assert!(
        alerts
            .iter()
            .all(|a| a.incident_id.as_deref() == Some(&incidents[0].id))
    );
    // Two separate incidents merge when an alert bridges them.
    let mut alerts = vec![
        ip(alert("a1", RuleCategory::Scanner, 30, 0, 0), "203.0.113.1"),
        ip(
            alert("a2", RuleCategory::Scanner, 30, MIN, MIN),
            "203.0.113.1",
        ),
        user(
            ip(
                alert("b1", RuleCategory::AccountCompromise, 90, 0, 0),
                "198.51.100.2",
            ),
            "eve",
        ),
        user(alert("b2", RuleCategory::Persistence, 50, MIN, MIN), "eve"),
    ];
    assert_eq!(link2h(&mut alerts).len(), 2);
    alerts.push(user(
        ip(
            alert(
                "bridge",
                RuleCategory::AccountCompromise,
                90,
                2 * MIN,
                2 * MIN,
            ),
            "203.0.113.1",
        ),
        "eve",
    ));
    let incidents = link2h(&mut alerts);
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].alerts.len(), 5);
}

#[test]
fn the_window_expires_and_splits() {
    let a = |name: &str, start: i64, end: i64| {
        ip(
            alert(name, RuleCategory::Scanner, 30, start, end),
            "203.0.113.9",
        )
    };
    // Within 2 h of the previous alert's end: linked, even 5 h after the first.
    let mut alerts = vec![
        a("s1", 0, 10 * MIN),
        a("s2", 2 * HOUR + 10 * MIN, 2 * HOUR + 20 * MIN),
        a("s3", 4 * HOUR, 5 * HOUR),
    ];
    assert_eq!(link2h(&mut alerts).len(), 1);
    // A gap longer than the window: two incidents.
    let mut alerts = vec![
        a("s1", 0, 10 * MIN),
        a("s2", 20 * MIN, 30 * MIN),
        a("s3", 2 * HOUR + 31 * MIN, 2 * HOUR + 40 * MIN),
        a("s4", 2 * HOUR + 50 * MIN, 3 * HOUR),
    ];
    let incidents = link2h(&mut alerts);
    assert_eq!(incidents.len(), 2);
    assert_eq!(names(&incidents[0]), ["s1", "s2"]);
    assert_eq!(names(&incidents[1]), ["s3", "s4"]);
    assert_ne!(incidents[0].id, incidents[1].id);
    // A long alert keeps the entity active over its whole span.
    let mut alerts = vec![a("long", 0, 6 * HOUR), a("late", 7 * HOUR, 7 * HOUR)];
    assert_eq!(link2h(&mut alerts).len(), 1);
    // A shorter window splits what 2 h joined.
    let mut alerts = vec![a("s1", 0, 0), a("s2", 30 * MIN, 30 * MIN)];
    assert!(link(&mut alerts, Duration::from_secs(10 * 60)).is_empty());
    assert_eq!(link(&mut alerts, Duration::from_secs(30 * 60)).len(), 1);
    // Exactly at the window: linked.
    let mut alerts = vec![a("s1", 0, 0), a("s2", 2 * HOUR, 2 * HOUR)];
    assert_eq!(link2h(&mut alerts).len(), 1);
}

#[test]
fn score_rises_per_stage() {
    use Stage::*;
    assert_eq!(incident_score(40, &[]), 40);
    assert_eq!(incident_score(40, &[Reconnaissance]), 40);
    assert_eq!(incident_score(40, &[Reconnaissance, Reconnaissance]), 40);
    assert_eq!(incident_score(40, &[Reconnaissance, InitialAccess]), 50);
    assert_eq!(incident_score(40, &[InitialAccess, Reconnaissance]), 50);
    // Without getting in, stages alone stop short of CRITICAL...
    assert_eq!(incident_score(75, &[Reconnaissance, InitialAccess]), 79);
    assert_eq!(incident_score(79, &[Reconnaissance, InitialAccess]), 79);
    // ... a CRITICAL alert stays CRITICAL.
    assert_eq!(incident_score(85, &[Reconnaissance, InitialAccess]), 85);
    // Reaching compromise from an earlier stage is CRITICAL.
    assert_eq!(incident_score(40, &[Reconnaissance, Compromise]), 80);
    assert_eq!(
        incident_score(60, &[Reconnaissance, InitialAccess, Compromise]),
        80
    );
    assert_eq!(
        incident_score(70, &[Reconnaissance, InitialAccess, Compromise]),
        90
    );
    assert_eq!(incident_score(90, &Stage::ALL), 100);
    assert_eq!(incident_score(255, &Stage::ALL), 100);
    // Actions after access without the way in: stage points only.
    assert_eq!(incident_score(35, &[Compromise, PrivilegeEscalation]), 45);
    // Never below the worst alert.
    for worst in [0u8, 19, 50, 79, 100] {
        for n in 0..=Stage::ALL.len() {
            assert!(incident_score(worst, &Stage::ALL[..n]) >= worst);
        }
    }
    // Through `link`: each new stage adds 10.
    let scan = || {
        ip(
            alert("scan", RuleCategory::Scanner, 30, 0, 0),
            "203.0.113.9",
        )
    };
    let more = |c| ip(alert("x", c, 30, MIN, MIN), "203.0.113.9");
    let mut two = vec![scan(), more(RuleCategory::Scanner)];
    assert_eq!(link2h(&mut two)[0].risk_score, 30);
    let mut two = vec![scan(), more(RuleCategory::SqlInjection)];
    assert_eq!(link2h(&mut two)[0].risk_score, 40);
}

#[test]
fn deterministic_whatever_the_order() {
    let make = || {
        vec![
            ip(
                alert("scan", RuleCategory::Scanner, 35, 0, 5 * MIN),
                "203.0.113.9",
            ),
            ip(
                alert("sqli", RuleCategory::SqlInjection, 62, 10 * MIN, 12 * MIN),
                "203.0.113.9",
            ),
            ip(
                alert("bf", RuleCategory::BruteForce, 65, 0, MIN),
                "198.51.100.3",
            ),
            user(
                ip(
                    alert(
                        "login",
                        RuleCategory::AccountCompromise,
                        90,
                        2 * MIN,
                        2 * MIN,
                    ),
                    "198.51.100.3",
                ),
                "bob",
            ),
            user(
                alert(
                    "shell",
                    RuleCategory::PrivilegeEscalation,
                    12,
                    3 * MIN,
                    3 * MIN,
                ),
                "bob",
            ),
            ip(alert("lone", RuleCategory::Scanner, 35, 0, 0), "192.0.2.1"),
        ]
    };
    let mut a = make();
    let expected = link2h(&mut a);
    assert_eq!(expected.len(), 2);
    let expected_ids: Vec<Option<String>> = a.iter().map(|x| x.incident_id.clone()).collect();
    for rotation in 1..6 {
        let mut b = make();
        b.rotate_left(rotation);
        b.reverse();
        let got = link2h(&mut b);
        assert_eq!(got, expected);
        for x in &b {
            let orig = a.iter().position(|y| y.id == x.id).unwrap();
            assert_eq!(x.incident_id, expected_ids[orig]);
        }
    }
    // Ids do not change when a later alert joins.
    let mut c = make();
    c.push(ip(
        alert("late", RuleCategory::Scanner, 35, HOUR, HOUR),
        "203.0.113.9",
    ));
    let more = link2h(&mut c);
    assert_eq!(more[0].id, expected[0].id);
    assert_eq!(more[1].id, expected[1].id);
}

#[test]
fn json_shape() {
    let mut alerts = vec![
        ip(
            alert("scan", RuleCategory::Scanner, 35, 0, 5 * MIN),
            "203.0.113.9",
        ),
        host(
            ip(
                answered(alert(
                    "sqli",
                    RuleCategory::SqlInjection,
                    78,
                    10 * MIN,
                    12 * MIN,
                )),
                "203.0.113.9",
            ),
            "shop",
        ),
    ];
    let incidents = link2h(&mut alerts);
    let j = incidents[0].to_json();
    assert_eq!(j["id"], incidents[0].id.as_str());
    assert_eq!(j["risk_score"], 98);
    assert_eq!(j["severity"], "critical");
    assert_eq!(
        j["stages"],
        json!(["reconnaissance", "initial_access", "compromise"])
    );
    assert_eq!(j["entities"]["ip"], json!(["203.0.113.9"]));
    assert_eq!(j["entities"]["user"], json!([]));
    assert_eq!(j["entities"]["host"], json!(["shop"]));
    assert_eq!(j["first_seen"], "2024-01-15T10:30:00Z");
    assert_eq!(j["last_seen"], "2024-01-15T10:42:00Z");
    assert_eq!(j["alerts"], json!([alerts[0].id, alerts[1].id]));
    assert_eq!(j["techniques"], json!(["T1190"]));
    let t = &j["timeline"][1];
    assert_eq!(t["id"], alerts[1].id.as_str());
    assert_eq!(t["sigma_name"], "sqli");
    assert_eq!(t["rule"], "sqli");
    assert_eq!(t["category"], "sql_injection");
    assert_eq!(t["stages"], json!(["initial_access", "compromise"]));
    assert_eq!(t["risk_score"], 78);
    assert_eq!(t["severity"], "high");
    assert_eq!(t["source_ip"], "203.0.113.9");
    assert_eq!(
        j["message"],
        "reconnaissance → initial_access → compromise from 203.0.113.9 on shop (2 alerts)"
    );
    // The alerts point back.
    assert_eq!(alerts[1].to_json()["incident"]["id"], j["id"]);
}

#[test]
fn hostile_values_and_times_do_not_panic() {
    let mut alerts = vec![
        ip(alert("a", RuleCategory::Scanner, 30, 0, 0), " "),
        ip(alert("b", RuleCategory::Scanner, 30, 0, 0), " "),
        user(alert("c", RuleCategory::PrivilegeEscalation, 30, 0, 0), "-"),
        user(alert("d", RuleCategory::PrivilegeEscalation, 30, 0, 0), "-"),
        user(
            alert("e", RuleCategory::PrivilegeEscalation, 30, 0, 0),
            "ÄDMİN日本",
        ),
        user(
            alert("f", RuleCategory::PrivilegeEscalation, 30, 0, 0),
            "ädmi̇n日本",
        ),
    ];
    // Blank and "-" entities link nothing.
    let incidents = link2h(&mut alerts);
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(names(&incidents[0]), ["e", "f"]);
    // Time going backwards inside an alert, extreme times, a huge window.
    let mut x = ip(alert("x", RuleCategory::Scanner, 30, 0, 0), "192.0.2.1");
    x.first_seen = Timestamp::from_secs(i64::MAX);
    x.last_seen = Timestamp::from_secs(i64::MIN);
    let mut alerts = vec![
        x,
        ip(alert("y", RuleCategory::Scanner, 30, 0, 0), "192.0.2.1"),
    ];
    let _ = link(&mut alerts, Duration::MAX);
    let _ = link(&mut alerts, Duration::ZERO);
}
