//! Sliding-window state of one group key of one correlation rule, in event
//! time (milliseconds). Every structure is bounded whatever the input:
//!
//! - `Buckets`: weighted event counts over the window. Events closer than
//!   a granule (timespan / 64) share a bucket, so a flood costs at most
//!   ~66 buckets; an event leaves the window with its bucket, when the
//!   bucket's latest event is older than the window (so a count can be
//!   high by the events of one granule at the window's edge, never low).
//! - `Distinct`: distinct values with the time each was last seen, capped
//!   just above what the rule's threshold needs to decide.
//! - `Chain`: progress through an ordered list of rules.
//! - `Ring`: the last few evidence lines, for the alert's first lines.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::signal::{Captured, millis};

/// Hard bound on buckets per window (normally ≤ 66).
const MAX_BUCKETS: usize = 80;

/// Granule of a window: events this close share a bucket.
pub(crate) fn granule(timespan_ms: i64) -> i64 {
    timespan_ms / 64
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    first: i64,
    last: i64,
    weight: u64,
}

/// Weighted event counts over a sliding window.
#[derive(Debug, Default)]
pub(crate) struct Buckets {
    q: VecDeque<Bucket>,
    total: u64,
}

impl Buckets {
    /// Adds `weight` events at time `t`. Late events (time going backwards)
    /// join the bucket that covers their time.
    pub(crate) fn add(&mut self, t: i64, weight: u64, granule: i64) {
        self.total = self.total.saturating_add(weight);
        let Some(back) = self.q.back_mut() else {
            self.q.push_back(Bucket {
                first: t,
                last: t,
                weight,
            });
            return;
        };
        if t >= back.first {
            if t.saturating_sub(back.first) <= granule {
                back.last = back.last.max(t);
                back.weight = back.weight.saturating_add(weight);
            } else {
                self.q.push_back(Bucket {
                    first: t,
                    last: t,
                    weight,
                });
            }
        } else {
            let i = self.q.partition_point(|b| b.first <= t);
            if let Some(b) = self.q.get_mut(i.saturating_sub(1)) {
                if i == 0 {
                    b.first = t;
                }
                b.last = b.last.max(t);
                b.weight = b.weight.saturating_add(weight);
            }
        }
        if self.q.len() > MAX_BUCKETS
            && let (Some(a), Some(b)) = (self.q.pop_front(), self.q.pop_front())
        {
            self.q.push_front(Bucket {
                first: a.first,
                last: a.last.max(b.last),
                weight: a.weight.saturating_add(b.weight),
            });
        }
    }

    /// Drops the buckets whose events are all older than `cutoff`.
    pub(crate) fn expire(&mut self, cutoff: i64) {
        while let Some(front) = self.q.front() {
            if front.last >= cutoff {
                break;
            }
            self.total = self.total.saturating_sub(front.weight);
            self.q.pop_front();
        }
    }

    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.q.is_empty()
    }

    /// Time of the earliest event in the window.
    pub(crate) fn earliest(&self) -> Option<i64> {
        self.q.front().map(|b| b.first)
    }
}

/// Distinct values seen within a window, with the time each was last seen.
#[derive(Debug)]
pub(crate) struct Distinct {
    seen: HashMap<Box<str>, i64>,
    /// A lower bound of the oldest time in `seen` (exact after `expire`).
    oldest: i64,
    /// At most this many values are kept (the most recent).
    cap: usize,
}

impl Distinct {
    pub(crate) fn new(cap: usize) -> Distinct {
        Distinct {
            seen: HashMap::new(),
            oldest: i64::MAX,
            cap: cap.max(1),
        }
    }

    /// Forgets the values last seen before `cutoff`.
    pub(crate) fn expire(&mut self, cutoff: i64) {
        if self.oldest >= cutoff {
            return;
        }
        self.seen.retain(|_, t| *t >= cutoff);
        self.oldest = self.seen.values().copied().min().unwrap_or(i64::MAX);
    }

    pub(crate) fn add(&mut self, value: &str, t: i64) {
        if let Some(last) = self.seen.get_mut(value) {
            *last = (*last).max(t);
            return;
        }
        if self.seen.len() >= self.cap {
            // Full: forget the least recently seen value (ties broken by
            // value, so that runs are reproducible).
            let oldest = self
                .seen
                .iter()
                .min_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)))
                .map(|(v, _)| v.clone());
            if let Some(v) = oldest {
                self.seen.remove(&v);
            }
        }
        self.seen.insert(value.into(), t);
        self.oldest = self.oldest.min(t);
    }

    pub(crate) fn len(&self) -> usize {
        self.seen.len()
    }

    /// The values, in order of last sighting (then by value): a stable
    /// order whatever the hash map's.
    pub(crate) fn values(&self) -> Vec<&str> {
        let mut v: Vec<(i64, &str)> = self.seen.iter().map(|(k, t)| (*t, &**k)).collect();
        v.sort_unstable();
        v.into_iter().map(|(_, k)| k).collect()
    }
}

/// Progress through the stages of a `temporal_ordered` correlation:
/// `start[i]` is the start time of the latest sequence that has matched
/// stages `0..=i` in order (the latest start leaves the most room in the
/// window).
#[derive(Debug)]
pub(crate) struct Chain {
    start: Box<[Option<i64>]>,
}

impl Chain {
    pub(crate) fn new(stages: usize) -> Chain {
        Chain {
            start: vec![None; stages].into_boxed_slice(),
        }
    }

    pub(crate) fn expire(&mut self, cutoff: i64) {
        for s in self.start.iter_mut() {
            if s.is_some_and(|t| t < cutoff) {
                *s = None;
            }
        }
    }

    /// A match of the stages `positions` (ascending) at time `t`, in a
    /// window of `span` ms. Stages advance from the back so one event
    /// never completes two consecutive stages. Returns whether the event
    /// took part in a sequence (matched the first stage, or followed one).
    pub(crate) fn advance(&mut self, positions: &[usize], t: i64, span: i64) -> bool {
        let mut advanced = false;
        for &i in positions.iter().rev() {
            if i == 0 {
                if let Some(s) = self.start.get_mut(0) {
                    *s = Some(s.map_or(t, |old| old.max(t)));
                    advanced = true;
                }
                continue;
            }
            let Some(prev) = self.start.get(i - 1).copied().flatten() else {
                continue;
            };
            if t.saturating_sub(prev) > span {
                continue;
            }
            if let Some(s) = self.start.get_mut(i) {
                *s = Some(s.map_or(prev, |old| old.max(prev)));
                advanced = true;
            }
        }
        advanced
    }

    /// Whether every stage has matched, in order, within the window.
    pub(crate) fn complete(&self) -> bool {
        self.start.last().is_some_and(Option::is_some)
    }
}

/// The last few evidence lines of a key, for the first lines of an alert
/// that opens: at most `RING_LINES` lines and `RING_BYTES` bytes of text
/// (a longer line is not kept here), so per-key memory stays small.
#[derive(Debug, Default)]
pub(crate) struct Ring {
    q: VecDeque<Arc<Captured>>,
    bytes: usize,
}

const RING_LINES: usize = 4;
const RING_BYTES: usize = 2048;

impl Ring {
    pub(crate) fn push(&mut self, c: &Arc<Captured>) {
        let n = c.evidence.message.len();
        if n > RING_BYTES {
            return;
        }
        self.q.push_back(Arc::clone(c));
        self.bytes += n;
        while self.q.len() > RING_LINES || self.bytes > RING_BYTES {
            match self.q.pop_front() {
                Some(old) => self.bytes -= old.evidence.message.len(),
                None => break,
            }
        }
    }

    /// The kept lines at or after `cutoff`, oldest first.
    pub(crate) fn since(&self, cutoff: i64) -> impl Iterator<Item = &Arc<Captured>> {
        self.q
            .iter()
            .filter(move |c| millis(c.evidence.timestamp) >= cutoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::Evidence;
    use crate::signal::FieldTable;
    use logsentinel_core::Timestamp;

    #[test]
    fn buckets_slide_and_stay_bounded() {
        let mut b = Buckets::default();
        let span = 300_000;
        let g = granule(span);
        for i in 0..5 {
            b.expire(i * 60_000 - span);
            b.add(i * 60_000, 1, g);
        }
        assert_eq!(b.total(), 5);
        b.expire(360_000 - span);
        assert_eq!(b.total(), 4, "the event at 0 left the window");
        assert_eq!(b.earliest(), Some(60_000));
        // A flood at one millisecond each: bounded buckets, exact total.
        let mut f = Buckets::default();
        for t in 0..1_000_000i64 {
            f.expire(t - span);
            f.add(t, 1, g);
        }
        assert!(f.q.len() <= 66, "{}", f.q.len());
        let in_window = f.total();
        assert!(
            (300_000..=300_000 + g as u64 + 1).contains(&in_window),
            "{in_window}"
        );
    }

    #[test]
    fn buckets_take_late_events() {
        let mut b = Buckets::default();
        b.add(100_000, 1, 10);
        b.add(200_000, 1, 10);
        b.add(150_000, 1, 10); // late: joins the bucket at 100 000
        b.add(50_000, 1, 10); // earlier than everything: joins the front
        assert_eq!(b.total(), 4);
        assert_eq!(b.earliest(), Some(50_000));
        b.expire(160_000);
        assert_eq!(b.total(), 1);
        b.expire(i64::MAX);
        assert!(b.is_empty());
        assert_eq!(b.total(), 0);
        // Extreme times do not overflow.
        b.add(i64::MIN, 1, 10);
        b.add(i64::MAX, 1, 10);
        b.add(0, u64::MAX, 10);
        assert_eq!(b.total(), u64::MAX);
    }

    #[test]
    fn distinct_counts_recent_values_capped() {
        let mut d = Distinct::new(3);
        d.add("a", 0);
        d.add("b", 10);
        d.add("a", 20);
        assert_eq!(d.len(), 2);
        d.expire(15);
        assert_eq!(d.len(), 1, "b was last seen at 10");
        d.add("c", 30);
        d.add("d", 40);
        d.add("e", 50); // full: forgets a (20)
        assert_eq!(d.len(), 3);
        assert_eq!(d.values(), ["c", "d", "e"]);
        d.add("b", 30); // full: forgets c (30), the oldest
        assert_eq!(d.values(), ["b", "d", "e"]);
        // Ties are broken by value: the same input, the same result.
        let mut t = Distinct::new(2);
        t.add("y", 5);
        t.add("x", 5);
        assert_eq!(t.values(), ["x", "y"]);
        t.add("z", 6);
        assert_eq!(t.values(), ["y", "z"]);
        d.expire(i64::MAX);
        assert_eq!(d.len(), 0);
    }

    #[test]
    fn chain_needs_order_and_window() {
        let span = 100;
        let mut c = Chain::new(2);
        assert!(!c.advance(&[1], 0, span)); // second stage first: nothing
        assert!(!c.complete());
        assert!(c.advance(&[0], 10, span));
        assert!(!c.complete());
        c.advance(&[1], 200, span); // too late
        assert!(!c.complete());
        c.advance(&[0], 250, span);
        c.advance(&[1], 300, span);
        assert!(c.complete());
        c.expire(251);
        assert!(!c.complete());
        // One rule at two stages: one event advances one stage only.
        let mut c = Chain::new(2);
        c.advance(&[0, 1], 0, span);
        assert!(!c.complete());
        c.advance(&[0, 1], 5, span);
        assert!(c.complete());
    }

    #[test]
    fn ring_keeps_last_lines_within_budget() {
        let t = FieldTable::new();
        let cap = |msg: &str, secs: i64| {
            t.capture_values(
                &[],
                Evidence {
                    file: None,
                    line: None,
                    message: msg.to_string(),
                    timestamp: Timestamp::from_secs(secs),
                },
            )
        };
        let mut r = Ring::default();
        for i in 0..6 {
            r.push(&cap(&format!("line {i}"), i));
        }
        let kept: Vec<&str> = r.since(0).map(|c| c.evidence.message.as_str()).collect();
        assert_eq!(kept, ["line 2", "line 3", "line 4", "line 5"]);
        assert_eq!(r.since(4000).count(), 2);
        r.push(&cap(&"x".repeat(3000), 9)); // too long to keep
        assert_eq!(r.since(0).count(), 4);
        r.push(&cap(&"y".repeat(2000), 10));
        assert_eq!(r.since(0).count(), 4);
        r.push(&cap(&"z".repeat(2048), 11));
        assert_eq!(r.since(0).count(), 1);
        assert!(r.bytes <= RING_BYTES);
    }
}
