//! Incidents through the real binary: alerts linked by shared entities into
//! kill-chain incidents (`analyze -o json` lists them; alerts carry
//! `incident.id`; the table shows them first).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{ndjson, run};

fn write(dir: &std::path::Path, name: &str, lines: &[String]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p.display().to_string()
}

/// `analyze -o json` of `files`: the whole document.
fn analyze_json(extra: &[&str], files: &[&str]) -> Value {
    let mut args = vec!["analyze", "-o", "json", "--tz", "UTC", "--quiet"];
    args.extend_from_slice(extra);
    args.extend_from_slice(files);
    let r = run(&args);
    assert!(matches!(r.code, Some(0) | Some(1)), "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn critical(doc: &Value) -> Vec<&Value> {
    doc["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["severity"] == "critical")
        .collect()
}

/// The alerts of `incident`, from the document's alert list.
fn members<'a>(doc: &'a Value, incident: &Value) -> Vec<&'a Value> {
    let ids: BTreeSet<&str> = strs(&incident["alerts"]).into_iter().collect();
    doc["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| ids.contains(a["event"]["id"].as_str().unwrap()))
        .collect()
}

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

fn access(ip: &str, time: &str, target: &str, status: u16, ua: &str) -> String {
    format!(
        "{ip} - - [15/Jan/2024:{time} +0000] \"GET {target} HTTP/1.1\" {status} {} \"-\" \"{ua}\"",
        if status == 200 { 5120 } else { 312 }
    )
}

/// Example (a): a scanner probes the site (404s), then SQL injection from
/// the same address, the last answered 200. Around it: normal visitors
/// (one searching for "union station"), and a second address that scans
/// and injects too, refused every time.
fn scan_then_sqli_log() -> Vec<String> {
    let mut l = vec![
        access("198.51.100.20", "09:59:50", "/", 200, CHROME),
        access(
            "198.51.100.20",
            "09:59:51",
            "/search?q=union+station+parking",
            200,
            CHROME,
        ),
        access(
            "198.51.100.21",
            "09:59:55",
            "/products.php?id=42",
            200,
            CHROME,
        ),
    ];
    let probes = [
        "/admin/",
        "/phpmyadmin/",
        "/.git/HEAD",
        "/backup.zip",
        "/wp-login.php",
        "/server-status",
        "/config.php.bak",
        "/test.php",
        "/cgi-bin/test.cgi",
        "/admin.php",
        "/login.jsp",
        "/old/",
    ];
    for (i, p) in probes.iter().chain(probes.iter()).enumerate() {
        l.push(access(
            "203.0.113.66",
            &format!("10:00:{i:02}"),
            p,
            404,
            "Mozilla/5.0 (compatible; Nikto/2.5.0)",
        ));
    }
    let sqli = [
        ("/products.php?id=1%27", 500),
        ("/products.php?id=1%27%20OR%20%271%27=%271", 500),
        (
            "/products.php?id=1%20AND%201=2%20UNION%20SELECT%201,2,3--",
            500,
        ),
        (
            "/products.php?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--",
            200,
        ),
    ];
    for (i, (target, status)) in sqli.iter().enumerate() {
        l.push(access(
            "203.0.113.66",
            &format!("10:03:{:02}", i * 5),
            target,
            *status,
            "sqlmap/1.7.2#stable (https://sqlmap.org)",
        ));
    }
    // Another attacker, refused throughout (a WAF answers 403).
    for (i, p) in probes.iter().enumerate() {
        l.push(access(
            "192.0.2.99",
            &format!("10:10:{i:02}"),
            p,
            404,
            "Mozilla/5.0 (compatible; Nikto/2.5.0)",
        ));
    }
    for (i, (target, _)) in sqli.iter().enumerate() {
        l.push(access(
            "192.0.2.99",
            &format!("10:11:{:02}", i * 5),
            target,
            403,
            "sqlmap/1.7.2#stable (https://sqlmap.org)",
        ));
    }
    l.push(access("198.51.100.20", "10:12:00", "/cart", 200, CHROME));
    l
}

fn ssh(time: &str, pid: u32, msg: &str) -> String {
    format!("Jan 15 {time} bastion sshd[{pid}]: {msg}")
}

/// Example (b): SSH brute force against `deploy`, a successful login from
/// the same address, then `sudo` to a root shell by `deploy`. Around it: an
/// administrator at work, and another address guessing passwords in vain.
fn brute_force_then_root_log() -> Vec<String> {
    let mut l = vec![
        ssh(
            "10:58:00",
            4001,
            "Accepted publickey for alice from 192.0.2.10 port 50022 ssh2: ED25519 SHA256:Zm9vYmFyYmF6cXV4",
        ),
        "Jan 15 10:58:30 bastion sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt update".to_string(),
    ];
    for i in 0..8u32 {
        l.push(ssh(
            &format!("11:00:{:02}", i * 4 + 1),
            5001 + i,
            &format!(
                "Failed password for deploy from 198.51.100.77 port {} ssh2",
                40001 + i
            ),
        ));
    }
    l.push(ssh(
        "11:00:40",
        5010,
        "Accepted password for deploy from 198.51.100.77 port 40010 ssh2",
    ));
    l.push(ssh(
        "11:00:40",
        5010,
        "pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)",
    ));
    for i in 0..10u32 {
        l.push(ssh(
            &format!("11:01:{:02}", i * 3),
            6001 + i,
            &format!(
                "Failed password for root from 203.0.113.200 port {} ssh2",
                50001 + i
            ),
        ));
    }
    l.push("Jan 15 11:02:10 bastion sudo:   deploy : TTY=pts/1 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/bash".to_string());
    l.push("Jan 15 11:02:10 bastion sudo: pam_unix(sudo:session): session opened for user root(uid=0) by deploy(uid=1001)".to_string());
    l
}

/// Issue acceptance: scan → SQLi → 2xx from one address is exactly one
/// CRITICAL incident, reconnaissance → initial access → compromise.
#[test]
fn scan_sqli_and_a_2xx_answer_make_one_critical_incident() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "access.log", &scan_then_sqli_log());
    let doc = analyze_json(&[], &[&path]);
    let crit = critical(&doc);
    assert_eq!(crit.len(), 1, "{:#}", doc["incidents"]);
    let inc = crit[0];
    assert_eq!(strs(&inc["entities"]["ip"]), ["203.0.113.66"], "{inc:#}");
    let stages = strs(&inc["stages"]);
    for s in ["reconnaissance", "initial_access", "compromise"] {
        assert!(stages.contains(&s), "{stages:?}");
    }
    let alerts = members(&doc, inc);
    let cats: BTreeSet<&str> = alerts
        .iter()
        .map(|a| a["rule"]["category"].as_str().unwrap())
        .collect();
    assert!(cats.contains("scanner"), "{cats:?}");
    assert!(cats.contains("sql_injection"), "{cats:?}");
    // The injection that got a 200 is marked.
    let sqli = alerts
        .iter()
        .find(|a| a["rule"]["category"] == "sql_injection")
        .unwrap();
    assert_eq!(sqli["event"]["outcome"], "success", "{sqli:#}");
    assert!(sqli["http"]["response"]["status_classes"]["2xx"].as_u64() >= Some(1));
    for a in &alerts {
        assert_eq!(a["incident"]["id"], inc["id"]);
        assert_eq!(a["source"]["ip"], "203.0.113.66");
    }
    // The refused attacker is not part of it, and its injection reads
    // as refused.
    let refused: Vec<&Value> = doc["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["source"]["ip"] == "192.0.2.99")
        .collect();
    assert!(!refused.is_empty());
    for a in &refused {
        assert_ne!(a["incident"]["id"], inc["id"]);
        if a["rule"]["category"] == "sql_injection" {
            assert_eq!(a["event"]["outcome"], "failure", "{a:#}");
            assert!(a["event"]["risk_score"].as_u64() < sqli["event"]["risk_score"].as_u64());
        }
    }
    // Benign visitors raise nothing.
    assert!(
        doc["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| !a["source"]["ip"]
                .as_str()
                .unwrap_or("")
                .starts_with("198.51.100.")),
        "{:#}",
        doc["alerts"]
    );
}

/// Issue acceptance: brute force → successful login → sudo to a root shell
/// is exactly one CRITICAL incident, linked by the address and the account.
#[test]
fn brute_force_login_and_root_shell_make_one_critical_incident() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "auth.log", &brute_force_then_root_log());
    let doc = analyze_json(&[], &[&path]);
    let crit = critical(&doc);
    assert_eq!(crit.len(), 1, "{:#}", doc["incidents"]);
    let inc = crit[0];
    assert_eq!(
        strs(&inc["stages"]),
        ["initial_access", "compromise", "privilege_escalation"]
    );
    assert_eq!(strs(&inc["entities"]["ip"]), ["198.51.100.77"]);
    assert!(strs(&inc["entities"]["user"]).contains(&"deploy"));
    assert_eq!(strs(&inc["entities"]["host"]), ["bastion"]);
    let alerts = members(&doc, inc);
    let rules: BTreeSet<&str> = alerts
        .iter()
        .map(|a| a["rule"]["sigma_name"].as_str().unwrap())
        .collect();
    for r in [
        "ssh_brute_force",
        "ssh_login_after_brute_force",
        "sudo_root_shell",
    ] {
        assert!(rules.contains(r), "{r} not in {rules:?}");
    }
    let root_shell = alerts
        .iter()
        .find(|a| a["rule"]["sigma_name"] == "sudo_root_shell")
        .unwrap();
    assert_eq!(root_shell["user"]["name"], "deploy");
    assert_eq!(inc["risk_score"], 100);
    // The other attacker and the administrator are not in it.
    for a in doc["alerts"].as_array().unwrap() {
        let ip = a["source"]["ip"].as_str();
        if ip == Some("203.0.113.200") || a["user"]["name"] == "alice" {
            assert_ne!(a["incident"]["id"], inc["id"], "{a:#}");
        }
    }
}

#[test]
fn outputs_list_incidents_and_alerts_point_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "auth.log", &brute_force_then_root_log());
    let doc = analyze_json(&[], &[&path]);
    let incidents = doc["incidents"].as_array().unwrap();
    assert_eq!(
        doc["summary"]["incidents"].as_u64(),
        Some(incidents.len() as u64)
    );
    assert!(doc["summary"]["incidents_by_severity"]["critical"].as_u64() >= Some(1));
    let alert_ids: BTreeSet<&str> = doc["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["event"]["id"].as_str().unwrap())
        .collect();
    let mut previous = u64::MAX;
    for inc in incidents {
        let id = inc["id"].as_str().unwrap();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        let score = inc["risk_score"].as_u64().unwrap();
        assert!(score <= previous, "incidents are ranked by score");
        previous = score;
        let band = match score {
            80.. => "critical",
            50..=79 => "high",
            20..=49 => "medium",
            _ => "low",
        };
        assert_eq!(inc["severity"], band);
        let known = [
            "reconnaissance",
            "initial_access",
            "compromise",
            "privilege_escalation",
        ];
        let stages = strs(&inc["stages"]);
        assert!(stages.iter().all(|s| known.contains(s)), "{stages:?}");
        let mut sorted = stages.clone();
        sorted.sort_by_key(|s| known.iter().position(|k| k == s));
        assert_eq!(stages, sorted, "stages in kill-chain order");
        for key in ["ip", "user", "host"] {
            assert!(inc["entities"][key].is_array(), "{inc:#}");
        }
        assert!(inc["first_seen"].as_str() <= inc["last_seen"].as_str());
        let ids = strs(&inc["alerts"]);
        assert!(ids.len() >= 2);
        let timeline = inc["timeline"].as_array().unwrap();
        assert_eq!(timeline.len(), ids.len());
        for (t, id) in timeline.iter().zip(&ids) {
            assert_eq!(t["id"], *id);
            assert!(alert_ids.contains(id), "incident lists an unknown alert");
            for key in ["rule", "sigma_name", "category", "risk_score", "severity"] {
                assert!(!t[key].is_null(), "{key} missing in {t:#}");
            }
            assert!(t["stages"].is_array());
        }
        let worst = members(&doc, inc)
            .iter()
            .map(|a| a["event"]["risk_score"].as_u64().unwrap())
            .max()
            .unwrap();
        assert!(score >= worst);
        for a in members(&doc, inc) {
            assert_eq!(a["incident"]["id"], inc["id"]);
        }
    }

    // NDJSON: one alert per line, with its incident id.
    let r = run(&["analyze", "-o", "ndjson", "--tz", "UTC", "--quiet", &path]);
    let lines = ndjson(&r.stdout);
    assert_eq!(lines.len(), alert_ids.len());
    assert!(lines.iter().all(|a| a["event"]["kind"] == "alert"));
    let linked = lines
        .iter()
        .filter(|a| a["incident"]["id"].is_string())
        .count();
    let listed: usize = incidents.iter().map(|i| strs(&i["alerts"]).len()).sum();
    assert_eq!(linked, listed);
    // Text: the incident id on the alert's line.
    let r = run(&["analyze", "-o", "text", "--tz", "UTC", "--quiet", &path]);
    assert!(r.stdout.contains(" incident="), "{}", r.stdout);

    // The table: incidents first, the stage chain, then the other alerts.
    let r = run(&["analyze", "--tz", "UTC", &path]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let out = &r.stdout;
    let inc_at = out.find("INCIDENTS (").expect("incident block");
    assert!(
        out.contains("initial_access → compromise → privilege_escalation"),
        "{out}"
    );
    assert!(out.contains("ip: 198.51.100.77"), "{out}");
    if let Some(other) = out.find("OTHER ALERTS (") {
        assert!(inc_at < other, "{out}");
    }

    // --fail-on considers incidents; --min-severity filters them.
    let r = run(&["analyze", "--quiet", "--fail-on", "critical", &path]);
    assert_eq!(r.code, Some(1));
    let crit = analyze_json(&["--min-severity", "critical"], &[&path]);
    let shown = crit["incidents"].as_array().unwrap();
    assert!(!shown.is_empty());
    assert!(shown.iter().all(|i| i["severity"] == "critical"));
}

/// A shorter `incident_window` splits what the default links.
#[test]
fn incident_window_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    for (hour, base) in [(9, 7000u32), (12, 8000)] {
        for i in 0..8u32 {
            lines.push(format!(
                "Jan 15 {hour:02}:00:{:02} bastion sshd[{}]: Failed password for root from 203.0.113.5 port {} ssh2",
                i * 3,
                base + i,
                40000 + base + i
            ));
        }
    }
    let path = write(dir.path(), "auth.log", &lines);
    let linked = analyze_json(&[], &[&path]);
    assert_eq!(linked["incidents"].as_array().unwrap().len(), 0);
    let cfg = dir.path().join("ls.toml");
    std::fs::write(&cfg, "[detection]\nincident_window = \"4h\"\n").unwrap();
    let cfg = cfg.display().to_string();
    let wide = analyze_json(&["--config", &cfg], &[&path]);
    let incidents = wide["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{:#}", wide["incidents"]);
    assert_eq!(strs(&incidents[0]["entities"]["ip"]), ["203.0.113.5"]);
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[detection]\nincident_window = \"two hours\"\n").unwrap();
    let r = run(&["analyze", "--config", &bad.display().to_string(), &path]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("incident_window"), "{}", r.stderr);
}

/// `watch` links alerts into incidents as they open: the same incident id
/// as `analyze` on the alerts that make the incident, on the opening and
/// the closing lines.
#[test]
fn watch_links_the_same_incident_live() {
    use std::io::Write;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let lines = brute_force_then_root_log();
    let path = write(dir.path(), "auth.log", &lines);
    let doc = analyze_json(&[], &[&path]);
    let inc = critical(&doc)[0];
    let want: BTreeSet<&str> = strs(&inc["alerts"]).into_iter().collect();
    let mut child = crate::common::bin()
        .args(["watch", "-o", "ndjson", "--tz", "UTC", "--quiet", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let text = lines.join("\n") + "\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let out = ndjson(&String::from_utf8_lossy(&o.stdout));
    // The alerts after the first of the incident know it when they open;
    // every one of them (the first too) knows it when it closes.
    let linked: BTreeSet<&str> = out
        .iter()
        .filter(|a| a["event"]["type"][0] == "end" && a["incident"]["id"] == inc["id"])
        .filter_map(|a| a["event"]["id"].as_str())
        .collect();
    let opened_linked = out
        .iter()
        .filter(|a| a["event"]["type"][0] == "start" && a["incident"]["id"] == inc["id"])
        .count();
    assert!(opened_linked >= want.len() - 1, "{out:#?}");
    assert_eq!(
        linked, want,
        "every alert of the incident closes with its id"
    );
}
