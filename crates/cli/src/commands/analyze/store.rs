//! Where `analyze` keeps its alerts until the end of the run, so that
//! memory does not grow with the input.
//!
//! The ranking and the incidents need every alert, but only a little of
//! each. Each alert's full JSON report is written to an anonymous
//! temporary file as the alert closes; memory keeps its slim form
//! (`Alert::without_detail`) and where its report is. Reports are read
//! back one at a time when output is written.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};

use logsentinel_detect::alert::Alert;
use serde_json::{Value, json};

/// Alerts being collected.
pub struct AlertStore {
    file: BufWriter<File>,
    written: u64,
    alerts: Vec<Alert>,
    spans: Vec<(u64, usize)>,
    buf: Vec<u8>,
}

impl AlertStore {
    /// A store over a new anonymous temporary file (removed on exit).
    pub fn new() -> io::Result<AlertStore> {
        Ok(AlertStore {
            file: BufWriter::new(tempfile::tempfile()?),
            written: 0,
            alerts: Vec::new(),
            spans: Vec::new(),
            buf: Vec::new(),
        })
    }

    /// Keeps `alert`: its report on disk, its slim form in memory.
    pub fn add(&mut self, alert: Alert) -> io::Result<()> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, &alert.to_json()).map_err(io::Error::other)?;
        self.file.write_all(&self.buf)?;
        self.spans.push((self.written, self.buf.len()));
        self.written += self.buf.len() as u64;
        self.alerts.push(alert.without_detail());
        Ok(())
    }

    /// Every alert kept, ready for reading back.
    pub fn into_alerts(self) -> io::Result<StoredAlerts> {
        let file = self.file.into_inner().map_err(|e| e.into_error())?;
        Ok(StoredAlerts {
            file,
            alerts: self.alerts,
            spans: self.spans,
        })
    }
}

/// The alerts of a run: slim forms (`alerts`, in the order they were
/// added) and their full reports on disk.
pub struct StoredAlerts {
    file: File,
    /// Slim alerts; `incident::link` may set their `incident_id`.
    pub alerts: Vec<Alert>,
    spans: Vec<(u64, usize)>,
}

impl StoredAlerts {
    /// The full JSON report of alert `i` (the alert contract), with its
    /// `incident.id` as it is now on the slim alert.
    pub fn report(&self, i: usize) -> io::Result<Value> {
        let (Some(&(offset, len)), Some(alert)) = (self.spans.get(i), self.alerts.get(i)) else {
            return Err(io::Error::other(format!("no stored alert {i}")));
        };
        let mut bytes = vec![0; len];
        let mut file = &self.file;
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(&mut bytes)?;
        let mut v: Value = serde_json::from_slice(&bytes).map_err(io::Error::other)?;
        if let (Some(id), Some(m)) = (&alert.incident_id, v.as_object_mut()) {
            m.insert("incident".into(), json!({ "id": id }));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logsentinel_core::Timestamp;
    use logsentinel_detect::alert::{Evidence, Severity};
    use logsentinel_detect::rule::{Level, RuleCategory};
    use logsentinel_detect::score::Responses;

    fn alert(n: u64) -> Alert {
        let at = Timestamp::from_secs(1_700_000_000 + n as i64);
        Alert {
            id: format!("id{n}"),
            rule_index: 0,
            rule_id: "r".into(),
            rule_name: "rule".into(),
            rule_title: "Rule".into(),
            category: RuleCategory::BruteForce,
            level: Level::High,
            risk_score: 60,
            severity: Severity::High,
            techniques: vec![("T1110".into(), "Brute Force".into())],
            tactics: vec![("TA0006".into(), "Credential Access".into())],
            description: "many failures".into(),
            first_seen: at,
            last_seen: at,
            source_ip: Some("203.0.113.7".into()),
            user_name: Some("<script>".into()),
            users: vec!["<script>".into()],
            distinct_users: 1,
            source_ips: vec!["203.0.113.7".into()],
            distinct_source_ips: 1,
            host_name: None,
            group: vec![("source.ip".into(), "203.0.113.7".into())],
            count: n,
            evidence: vec![Evidence {
                file: Some("auth.log".into()),
                line: Some(n),
                message: format!("line {n} \u{1b}[31m"),
                timestamp: at,
            }],
            responses: Responses::default(),
            incident_id: None,
        }
    }

    #[test]
    fn reports_read_back_equal_the_alerts_and_memory_keeps_them_slim() {
        let mut store = AlertStore::new().unwrap();
        let originals: Vec<Alert> = (1..=50).map(alert).collect();
        for a in originals.iter().cloned() {
            store.add(a).unwrap();
        }
        let mut stored = store.into_alerts().unwrap();
        assert_eq!(stored.alerts.len(), 50);
        assert!(stored.alerts.iter().all(|a| a.evidence.is_empty()));
        stored.alerts[3].incident_id = Some("inc".into());
        // Out of order, to exercise the seeks.
        for i in [49, 0, 3, 17] {
            let mut want = originals[i].clone();
            want.incident_id = stored.alerts[i].incident_id.clone();
            assert_eq!(stored.report(i).unwrap(), want.to_json());
        }
        assert!(stored.report(50).is_err());
    }
}
