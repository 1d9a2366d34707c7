//! What `analyze` prints: the summary, the table (incidents first, then
//! the other alerts), and one-line text alerts.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::time::Duration;

use logsentinel_core::Timestamp;
use logsentinel_detect::alert::{Alert, Severity};
use logsentinel_detect::engine::EngineStats;
use logsentinel_detect::incident::Incident;
use serde_json::{Value, json};

use super::store::StoredAlerts;
use crate::pipeline::ParseStats;
use crate::text::for_terminal;

/// The figures of a run.
pub struct Summary<'a> {
    pub inputs: usize,
    pub parse: &'a ParseStats,
    pub engine: &'a EngineStats,
    pub elapsed: Duration,
    pub alerts: &'a [Alert],
    pub incidents: &'a [Incident],
}

/// Counts of `items` per severity.
fn count_by_severity(items: impl Iterator<Item = Severity>) -> BTreeMap<&'static str, usize> {
    let mut m: BTreeMap<&'static str, usize> =
        Severity::ALL.into_iter().map(|s| (s.as_str(), 0)).collect();
    for sev in items {
        *m.entry(sev.as_str()).or_default() += 1;
    }
    m
}

impl Summary<'_> {
    fn by_severity(&self) -> BTreeMap<&'static str, usize> {
        count_by_severity(self.alerts.iter().map(|a| a.severity))
    }

    fn incidents_by_severity(&self) -> BTreeMap<&'static str, usize> {
        count_by_severity(self.incidents.iter().map(|i| i.severity))
    }

    fn by_category(&self) -> Vec<(String, usize)> {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for a in self.alerts {
            *m.entry(a.category.as_str().to_string()).or_default() += 1;
        }
        let mut v: Vec<_> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// (source, alerts, highest score), most alerts first.
    fn top_sources(&self, n: usize) -> Vec<(String, usize, u8)> {
        let mut m: BTreeMap<String, (usize, u8)> = BTreeMap::new();
        for a in self.alerts {
            if let Some(ip) = &a.source_ip {
                let e = m.entry(ip.clone()).or_default();
                e.0 += 1;
                e.1 = e.1.max(a.risk_score);
            }
        }
        let mut v: Vec<_> = m.into_iter().map(|(k, (c, s))| (k, c, s)).collect();
        v.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }

    fn rate(&self) -> f64 {
        self.parse.lines as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn one_line(&self) -> String {
        let sev = self.by_severity();
        format!(
            "analysed {} lines from {} input(s) in {:.2}s ({:.0} lines/s): {} alerts (critical {}, high {}, medium {}, low {}), {} incident(s); {} lines read only by the heuristic; {} group keys evicted",
            self.parse.lines,
            self.inputs,
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.alerts.len(),
            sev["critical"],
            sev["high"],
            sev["medium"],
            sev["low"],
            self.incidents.len(),
            self.parse.heuristic_only(),
            self.engine.evicted_keys,
        )
    }

    pub fn to_json(&self) -> Value {
        json!({
            "inputs": self.inputs,
            "lines": self.parse.lines,
            "events": self.parse.events(),
            "heuristic_only": self.parse.heuristic_only(),
            "truncated": self.parse.truncated,
            "invalid_utf8": self.parse.invalid_utf8,
            "seconds": self.elapsed.as_secs_f64(),
            "alerts": self.alerts.len(),
            "by_severity": self.by_severity(),
            "incidents": self.incidents.len(),
            "incidents_by_severity": self.incidents_by_severity(),
            "by_category": self.by_category().into_iter().collect::<BTreeMap<_, _>>(),
            "top_sources": self.top_sources(10).into_iter().map(|(ip, n, s)| json!({"ip": ip, "alerts": n, "max_risk_score": s})).collect::<Vec<_>>(),
            "signals": self.engine.signals,
            "allowlisted": self.engine.allowlisted,
            "evicted_keys": self.engine.evicted_keys,
        })
    }
}

/// The summary, then the incidents in `incidents` (each with all its
/// alerts), then the alerts of `shown` (indices into `stored`, in order)
/// that are in none of them.
pub fn write_table(
    out: &mut impl Write,
    s: &Summary<'_>,
    stored: &StoredAlerts,
    incidents: &[&Incident],
    shown: &[usize],
) -> io::Result<()> {
    writeln!(out, "{}", s.one_line())?;
    writeln!(out)?;
    let sev = s.by_severity();
    writeln!(
        out,
        "Alerts by severity: CRITICAL {}  HIGH {}  MEDIUM {}  LOW {}",
        sev["critical"], sev["high"], sev["medium"], sev["low"]
    )?;
    if !s.incidents.is_empty() {
        let isev = s.incidents_by_severity();
        writeln!(
            out,
            "Incidents by severity: CRITICAL {}  HIGH {}  MEDIUM {}  LOW {}",
            isev["critical"], isev["high"], isev["medium"], isev["low"]
        )?;
    }
    let cats = s.by_category();
    if !cats.is_empty() {
        let list: Vec<String> = cats.iter().map(|(c, n)| format!("{c} {n}")).collect();
        writeln!(out, "By category: {}", list.join(", "))?;
    }
    let top = s.top_sources(5);
    if !top.is_empty() {
        let list: Vec<String> = top
            .iter()
            .map(|(ip, n, sc)| format!("{ip} ({n} alerts, max score {sc})"))
            .collect();
        writeln!(out, "Top sources: {}", list.join(", "))?;
    }
    if shown.is_empty() && incidents.is_empty() {
        writeln!(out, "\nNo alerts at or above the chosen severity.")?;
        return Ok(());
    }
    // Every alert by id, for the incidents' blocks (an incident shows all
    // its alerts, whatever their own severity).
    let by_id: BTreeMap<&str, usize> = stored
        .alerts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.as_str(), i))
        .collect();
    let mut in_shown_incident: BTreeSet<&str> = BTreeSet::new();
    if !incidents.is_empty() {
        writeln!(out)?;
        writeln!(out, "INCIDENTS ({})", incidents.len())?;
        for (n, inc) in incidents.iter().enumerate() {
            writeln!(out)?;
            write_incident(out, n + 1, &inc.to_json(), stored, &by_id)?;
            in_shown_incident.extend(inc.alert_ids());
        }
    }
    let rest: Vec<usize> = shown
        .iter()
        .copied()
        .filter(|&i| {
            stored
                .alerts
                .get(i)
                .is_some_and(|a| !in_shown_incident.contains(a.id.as_str()))
        })
        .collect();
    if rest.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    if !incidents.is_empty() {
        writeln!(out, "OTHER ALERTS ({})", rest.len())?;
    }
    writeln!(
        out,
        "{:<9} {:>5}  {:<36} {:<22} {:<16} {:>7}  {:<20}  ATT&CK",
        "SEVERITY", "SCORE", "RULE", "SOURCE", "USER", "COUNT", "FIRST SEEN"
    )?;
    for i in rest {
        write_alert_row(out, &stored.report(i)?, "", "")?;
    }
    Ok(())
}

/// One incident: severity, score and stage chain; id and time span;
/// entities; then its alerts.
fn write_incident(
    out: &mut impl Write,
    n: usize,
    inc: &Value,
    stored: &StoredAlerts,
    by_id: &BTreeMap<&str, usize>,
) -> io::Result<()> {
    let strs = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .map(|x| for_terminal(x, 60))
                    .collect()
            })
            .unwrap_or_default()
    };
    let stages = strs(&inc["stages"]);
    let chain = if stages.is_empty() {
        "-".to_string()
    } else {
        stages.join(" → ")
    };
    writeln!(
        out,
        "#{n} {} {}  {}",
        inc["severity"].as_str().unwrap_or("").to_ascii_uppercase(),
        inc["risk_score"].as_u64().unwrap_or(0),
        chain
    )?;
    let first = inc["first_seen"].as_str().unwrap_or("");
    let last = inc["last_seen"].as_str().unwrap_or("");
    let ids = strs(&inc["alerts"]);
    writeln!(
        out,
        "   incident {}  {first} → {last} ({})  {} alerts",
        for_terminal(inc["id"].as_str().unwrap_or(""), 40),
        span(first, last),
        ids.len()
    )?;
    let list = |key: &str| {
        let v = strs(&inc["entities"][key]);
        match v.len() {
            0 => "-".to_string(),
            1..=5 => v.join(", "),
            n => format!("{} and {} more", v[..5].join(", "), n - 5),
        }
    };
    writeln!(
        out,
        "   ip: {}   user: {}   host: {}",
        list("ip"),
        list("user"),
        list("host")
    )?;
    let stage_of: BTreeMap<&str, String> = inc["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let id = t["id"].as_str()?;
            Some((id, strs(&t["stages"]).join("+")))
        })
        .collect();
    writeln!(
        out,
        "   {:<26}{:<9} {:>5}  {:<36} {:<22} {:<16} {:>7}  {:<20}  ATT&CK",
        "STAGE", "SEVERITY", "SCORE", "RULE", "SOURCE", "USER", "COUNT", "FIRST SEEN"
    )?;
    let blank = " ".repeat(29);
    for id in &ids {
        let Some(&i) = by_id.get(id.as_str()) else {
            continue;
        };
        let a = stored.report(i)?;
        let stage = stage_of.get(id.as_str()).map_or("", String::as_str);
        let first = format!("   {:<26}", for_terminal(stage, 25));
        write_alert_row(out, &a, &first, &blank)?;
    }
    Ok(())
}

/// `12s`, `5m`, `2h05m`, `3d4h` between two RFC 3339 times.
fn span(first: &str, last: &str) -> String {
    let secs = match (
        Timestamp::parse_rfc3339_prefix(first.as_bytes(), None),
        Timestamp::parse_rfc3339_prefix(last.as_bytes(), None),
    ) {
        (Some((a, _)), Some((b, _))) => b.secs.saturating_sub(a.secs).max(0),
        _ => return "?".to_string(),
    };
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d{}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

/// One alert row after `indent`, and its first evidence line after
/// `indent_rest`.
fn write_alert_row(
    out: &mut impl Write,
    a: &Value,
    indent: &str,
    indent_rest: &str,
) -> io::Result<()> {
    let techniques: Vec<&str> = a["threat"]["technique"]
        .as_array()
        .map(|v| v.iter().filter_map(|t| t["id"].as_str()).collect())
        .unwrap_or_default();
    writeln!(
        out,
        "{indent}{:<9} {:>5}  {:<36} {:<22} {:<16} {:>7}  {:<20}  {}",
        a["severity"].as_str().unwrap_or("").to_ascii_uppercase(),
        a["event"]["risk_score"].as_u64().unwrap_or(0),
        for_terminal(a["rule"]["name"].as_str().unwrap_or(""), 36),
        for_terminal(a["source"]["ip"].as_str().unwrap_or("-"), 22),
        for_terminal(a["user"]["name"].as_str().unwrap_or("-"), 16),
        a["count"].as_u64().unwrap_or(0),
        a["event"]["start"].as_str().unwrap_or(""),
        techniques.join(",")
    )?;
    if let Some(ev) = a["evidence"].as_array().and_then(|e| e.first()) {
        let loc = match (ev["file"].as_str(), ev["line"].as_u64()) {
            (Some(f), Some(l)) => format!("{f}:{l}"),
            (None, Some(l)) => format!("-:{l}"),
            _ => String::new(),
        };
        writeln!(
            out,
            "{indent_rest}          {} {}",
            for_terminal(&loc, 60),
            for_terminal(ev["message"].as_str().unwrap_or(""), 140)
        )?;
    }
    Ok(())
}

/// `SEVERITY score rule source=.. user=.. count=.. first=.. last=.. techniques`.
pub fn text_line(a: &Value) -> String {
    let techniques: Vec<&str> = a["threat"]["technique"]
        .as_array()
        .map(|v| v.iter().filter_map(|t| t["id"].as_str()).collect())
        .unwrap_or_default();
    let incident = a["incident"]["id"]
        .as_str()
        .map(|id| format!(" incident={}", for_terminal(id, 40)))
        .unwrap_or_default();
    format!(
        "{} {} {} [{}] source={} user={} count={} first={} last={} attack={}{incident}",
        a["severity"].as_str().unwrap_or("").to_ascii_uppercase(),
        a["event"]["risk_score"].as_u64().unwrap_or(0),
        for_terminal(a["rule"]["id"].as_str().unwrap_or(""), 80),
        for_terminal(a["rule"]["name"].as_str().unwrap_or(""), 80),
        for_terminal(a["source"]["ip"].as_str().unwrap_or("-"), 60),
        for_terminal(a["user"]["name"].as_str().unwrap_or("-"), 60),
        a["count"].as_u64().unwrap_or(0),
        a["event"]["start"].as_str().unwrap_or(""),
        a["event"]["end"].as_str().unwrap_or(""),
        techniques.join(",")
    )
}
