//! What a match carries on to correlation: a `Signal`.
//!
//! Matching runs on worker threads over borrowed events; correlation runs
//! later, in input order, on one thread. A signal is the owned part of an
//! event that correlation and alerts need: the rule that matched, the
//! event time, the values of the fields some rule groups or counts by
//! (plus a fixed set that alerts always show), and the evidence line.
//!
//! The fields are captured once per event into a shared `Captured`, so an
//! event matching several rules costs one capture. Which fields are
//! captured is decided once, from the rule set, in a `FieldTable`.

use std::sync::Arc;

use logsentinel_core::{Event, Timestamp};

use crate::alert::Evidence;

/// Index of a field in a `FieldTable`.
pub type FieldId = u32;

/// Fields always captured (alerts show them), with fixed ids.
pub const SOURCE_IP: FieldId = 0;
pub const USER_NAME: FieldId = 1;
pub const HOST_NAME: FieldId = 2;
pub const USER_TARGET_NAME: FieldId = 3;
pub const DESTINATION_PORT: FieldId = 4;
pub const URL_ORIGINAL: FieldId = 5;
pub const HTTP_STATUS: FieldId = 6;

const ALWAYS: [&str; 7] = [
    "source.ip",
    "user.name",
    "host.name",
    "user.target.name",
    "destination.port",
    "url.original",
    "http.response.status_code",
];

/// The raw line kept as evidence is cut to this many bytes.
pub const MAX_EVIDENCE_BYTES: usize = 4096;
/// A captured field value is cut to this many bytes (group keys of hostile
/// input stay small).
pub const MAX_VALUE_BYTES: usize = 1024;

/// The ECS fields signals capture, each with a `FieldId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldTable {
    names: Vec<String>,
}

impl Default for FieldTable {
    fn default() -> Self {
        FieldTable::new()
    }
}

impl FieldTable {
    /// The table with the always-captured fields only.
    pub fn new() -> FieldTable {
        FieldTable {
            names: ALWAYS.iter().map(|s| (*s).to_string()).collect(),
        }
    }

    /// The id of `name`, adding it when new.
    pub fn intern(&mut self, name: &str) -> FieldId {
        if let Some(id) = self.id(name) {
            return id;
        }
        self.names.push(name.to_string());
        (self.names.len() - 1) as FieldId
    }

    pub fn id(&self, name: &str) -> Option<FieldId> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| i as FieldId)
    }

    pub fn name(&self, id: FieldId) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Captures the fields and the evidence of `ev`.
    pub fn capture(&self, ev: &Event<'_>) -> Arc<Captured> {
        let values = self
            .names
            .iter()
            .map(|name| {
                ev.field(name).map(|v| {
                    let text = v.to_text();
                    Box::<str>::from(truncate(&text, MAX_VALUE_BYTES))
                })
            })
            .collect();
        Arc::new(Captured {
            values,
            evidence: Evidence {
                file: ev.file_path.as_deref().map(str::to_owned),
                line: ev.file_line,
                message: truncate(&ev.original, MAX_EVIDENCE_BYTES).to_owned(),
                timestamp: ev.timestamp,
            },
        })
    }

    /// A capture from (field, value) pairs and a line, for tests and for
    /// callers that build signals without an `Event`. Unknown fields are
    /// ignored.
    pub fn capture_values(&self, values: &[(&str, &str)], evidence: Evidence) -> Arc<Captured> {
        let mut v: Vec<Option<Box<str>>> = vec![None; self.names.len()];
        for (name, value) in values {
            if let Some(slot) = self.id(name).and_then(|id| v.get_mut(id as usize)) {
                *slot = Some(truncate(value, MAX_VALUE_BYTES).into());
            }
        }
        Arc::new(Captured {
            values: v.into_boxed_slice(),
            evidence,
        })
    }
}

/// The owned part of one event: captured field values (indexed by
/// `FieldId`) and the evidence line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    values: Box<[Option<Box<str>>]>,
    pub evidence: Evidence,
}

impl Captured {
    pub fn value(&self, id: FieldId) -> Option<&str> {
        self.values.get(id as usize).and_then(|v| v.as_deref())
    }
}

/// A rule matched (or, for correlation rules, fired) at `timestamp`.
#[derive(Debug, Clone)]
pub struct Signal {
    /// Index of the rule in `RuleSet::rules`.
    pub rule: usize,
    /// Event time.
    pub timestamp: Timestamp,
    /// Number of log events this signal stands for: 1 for a detection
    /// match; for a correlation that starts firing, the events of its
    /// window; then 1 per further event.
    pub weight: u64,
    data: Arc<Captured>,
}

impl Signal {
    pub fn new(rule: usize, timestamp: Timestamp, data: Arc<Captured>) -> Signal {
        Signal {
            rule,
            timestamp,
            weight: 1,
            data,
        }
    }

    /// The same event, standing for another rule (a correlation that fired).
    pub(crate) fn chained(&self, rule: usize, weight: u64) -> Signal {
        Signal {
            rule,
            timestamp: self.timestamp,
            weight,
            data: Arc::clone(&self.data),
        }
    }

    pub fn value(&self, id: FieldId) -> Option<&str> {
        self.data.value(id)
    }

    pub fn evidence(&self) -> &Evidence {
        &self.data.evidence
    }

    pub fn captured(&self) -> &Arc<Captured> {
        &self.data
    }
}

/// `s` cut to at most `max` bytes, at a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// Milliseconds since the epoch, saturating (timestamps come from input).
pub fn millis(ts: Timestamp) -> i64 {
    ts.secs
        .saturating_mul(1000)
        .saturating_add(i64::from(ts.nanos / 1_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use logsentinel_core::Format;

    #[test]
    fn captures_fields_and_evidence() {
        let mut t = FieldTable::new();
        let code = t.intern("event.code");
        assert_eq!(t.intern("event.code"), code);
        assert_eq!(t.id("source.ip"), Some(SOURCE_IP));
        assert_eq!(t.name(code), "event.code");
        let line = "Jan 15 10:31:02 web1 sshd[1]: Failed password for root from 203.0.113.7";
        let mut ev = Event::new(Format::SyslogRfc3164, line, Timestamp::from_secs(7));
        ev.source_ip = "203.0.113.7".parse().ok();
        ev.user_name = Some("root".into());
        ev.http_status = Some(401);
        ev.file_path = Some("auth.log".into());
        ev.file_line = Some(9);
        let c = t.capture(&ev);
        assert_eq!(c.value(SOURCE_IP), Some("203.0.113.7"));
        assert_eq!(c.value(USER_NAME), Some("root"));
        assert_eq!(c.value(HTTP_STATUS), Some("401"));
        assert_eq!(c.value(HOST_NAME), None);
        assert_eq!(c.value(code), None);
        assert_eq!(c.value(999), None);
        assert_eq!(c.evidence.file.as_deref(), Some("auth.log"));
        assert_eq!(c.evidence.line, Some(9));
        assert_eq!(c.evidence.message, line);
        let s = Signal::new(2, ev.timestamp, c);
        let chained = s.chained(5, 3);
        assert_eq!((chained.rule, chained.weight), (5, 3));
        assert_eq!(chained.value(USER_NAME), Some("root"));
    }

    #[test]
    fn long_and_multibyte_input_is_cut_at_char_boundaries() {
        let long = "é".repeat(5000);
        let cut = truncate(&long, MAX_EVIDENCE_BYTES);
        assert!(cut.len() <= MAX_EVIDENCE_BYTES && cut.len() >= MAX_EVIDENCE_BYTES - 1);
        assert!(cut.chars().all(|c| c == 'é'));
        assert_eq!(truncate("abc", 10), "abc");
        assert_eq!(truncate("日本", 2), "");
        let t = FieldTable::new();
        let mut ev = Event::new(Format::Json, &long, Timestamp::from_secs(0));
        ev.user_name = Some(long.as_str().into());
        let c = t.capture(&ev);
        assert!(c.value(USER_NAME).unwrap().len() <= MAX_VALUE_BYTES);
        assert!(c.evidence.message.len() <= MAX_EVIDENCE_BYTES);
    }

    #[test]
    fn millis_saturates() {
        assert_eq!(millis(Timestamp::from_secs(2)), 2000);
        assert_eq!(millis(Timestamp::from_secs(i64::MAX)), i64::MAX);
        assert_eq!(millis(Timestamp::from_secs(i64::MIN)), i64::MIN);
    }
}
