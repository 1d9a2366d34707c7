//! Who is told what, and how often: per channel, the minimum severity, the
//! de-duplication of an incident (or rule and group key) already notified,
//! and the rate limit. What is not sent individually is folded into the
//! channel's digest, so nothing is dropped, and an attack of a thousand
//! alerts makes a handful of messages.
//!
//! Pure: the clock is passed in, nothing is stored; the notifier persists
//! the digests being collected (`collecting`) and queues the closed ones.
//!
//! Rules, per channel:
//! - below the channel's minimum severity: skipped;
//! - the same incident (or, without one, the same `dedup_key`) sent
//!   individually within `dedup_window`: folded, unless the risk score is
//!   higher than any sent for it (an escalation is news);
//! - more than `rate_limit` individual messages in the current rate window
//!   (a fixed window opened by the first alert after the last one ended):
//!   folded;
//! - a digest is closed at the end of the rate window in which its first
//!   alert was folded (or at shutdown).

use std::collections::HashMap;

use logsentinel_core::Timestamp;
use logsentinel_detect::alert::Severity;

use crate::config::NotifyConfig;
use crate::error::NotifyError;
use crate::message::{AlertNote, DIGEST_MAX_ITEMS, Digest, PendingDigest};

/// Most de-duplication keys remembered per channel; beyond, the oldest go.
pub const MAX_KEYS: usize = 100_000;
/// How often (at most) expired keys are pruned.
const PRUNE_EVERY_MS: i64 = 1_000;

/// The numbers of the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicySettings {
    pub dedup_window_ms: i64,
    pub rate_limit: u32,
    pub rate_window_ms: i64,
}

impl PolicySettings {
    pub fn from_config(c: &NotifyConfig) -> Result<PolicySettings, NotifyError> {
        let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        if c.rate_limit == 0 {
            return Err(NotifyError::Config(
                "notify.rate_limit: must be at least 1".into(),
            ));
        }
        Ok(PolicySettings {
            dedup_window_ms: ms(c.dedup_window()?),
            rate_limit: c.rate_limit,
            rate_window_ms: ms(c.rate_window()?).max(1),
        })
    }
}

/// What to do with an alert on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Offer {
    /// Send it on its own.
    Send,
    /// Fold it into the channel's digest.
    Fold,
    /// Below the channel's minimum severity.
    Skip,
}

/// The last individual message of a de-duplication group.
#[derive(Debug, Clone, Copy)]
struct Sent {
    at_ms: i64,
    max_score: u8,
}

struct ChannelState {
    name: String,
    min: Severity,
    /// Start of the current rate window, if one is open.
    window_start_ms: Option<i64>,
    sent_in_window: u32,
    sent: HashMap<String, Sent>,
    collecting: Option<PendingDigest>,
}

/// The notification policy of every channel.
pub struct Policy {
    settings: PolicySettings,
    channels: Vec<ChannelState>,
    /// Digests closed by `offer` (their window ended), not yet handed out.
    closed: Vec<Digest>,
    last_prune_ms: i64,
}

fn rfc3339(ms: i64) -> String {
    Timestamp::from_millis(ms).to_string()
}

fn close(mut p: PendingDigest, at_ms: i64) -> Digest {
    p.digest.to = rfc3339(at_ms.max(p.from_ms));
    p.digest
}

impl Policy {
    /// A policy for channels given as (name, minimum severity), indexed in
    /// that order.
    pub fn new(settings: PolicySettings, channels: Vec<(String, Severity)>) -> Policy {
        Policy {
            settings,
            channels: channels
                .into_iter()
                .map(|(name, min)| ChannelState {
                    name,
                    min,
                    window_start_ms: None,
                    sent_in_window: 0,
                    sent: HashMap::new(),
                    collecting: None,
                })
                .collect(),
            closed: Vec::new(),
            last_prune_ms: i64::MIN,
        }
    }

    /// The index of a channel by name.
    pub fn channel_index(&self, name: &str) -> Option<usize> {
        self.channels.iter().position(|c| c.name == name)
    }

    /// Decides what `channel_idx` does with `note` at `now_ms`, and records
    /// it (a send counts against the limits; a fold goes into the digest).
    pub fn offer(&mut self, channel_idx: usize, note: &AlertNote, now_ms: i64) -> Offer {
        if now_ms.saturating_sub(self.last_prune_ms) >= PRUNE_EVERY_MS {
            self.prune(now_ms);
        }
        let s = self.settings;
        let Some(c) = self.channels.get_mut(channel_idx) else {
            return Offer::Skip;
        };
        let severity = Severity::parse(&note.severity)
            .unwrap_or_else(|| Severity::from_score(note.risk_score));
        if severity < c.min {
            return Offer::Skip;
        }
        if let Some(p) = c.collecting.take_if(|p| p.due_ms <= now_ms) {
            let due = p.due_ms;
            self.closed.push(close(p, due));
        }
        let window_over = c
            .window_start_ms
            .is_none_or(|start| now_ms < start || now_ms.saturating_sub(start) >= s.rate_window_ms);
        if window_over {
            c.window_start_ms = Some(now_ms);
            c.sent_in_window = 0;
        }
        let score = note
            .incident
            .as_ref()
            .map_or(note.risk_score, |i| i.risk_score.max(note.risk_score));
        let group = note.dedup_group();
        let recent = c
            .sent
            .get(group)
            .filter(|m| now_ms >= m.at_ms && now_ms - m.at_ms < s.dedup_window_ms);
        let duplicate = recent.is_some_and(|m| score <= m.max_score);
        if duplicate || c.sent_in_window >= s.rate_limit {
            let start = c.window_start_ms.unwrap_or(now_ms);
            let p = c.collecting.get_or_insert_with(|| PendingDigest {
                digest: Digest {
                    channel: c.name.clone(),
                    items: Vec::new(),
                    total: 0,
                    from: rfc3339(now_ms),
                    to: String::new(),
                },
                from_ms: now_ms,
                due_ms: start.saturating_add(s.rate_window_ms),
            });
            if p.digest.items.len() < DIGEST_MAX_ITEMS {
                p.digest.items.push(note.digest_item());
            }
            p.digest.total = p.digest.total.saturating_add(1);
            return Offer::Fold;
        }
        c.sent_in_window += 1;
        let max_score = recent.map_or(score, |m| m.max_score.max(score));
        c.sent.insert(
            group.to_string(),
            Sent {
                at_ms: now_ms,
                max_score,
            },
        );
        if c.sent.len() > MAX_KEYS {
            evict_oldest(&mut c.sent);
        }
        Offer::Send
    }

    /// The digest `channel_idx` is collecting, if any (to be saved).
    pub fn collecting(&self, channel_idx: usize) -> Option<&PendingDigest> {
        self.channels.get(channel_idx)?.collecting.as_ref()
    }

    /// Puts a digest back into collection (saved before a restart, or not
    /// queued because of an error), merged with what the channel collects
    /// now. `false` when there is no such channel.
    pub fn restore(&mut self, channel_idx: usize, p: PendingDigest) -> bool {
        let Some(c) = self.channels.get_mut(channel_idx) else {
            return false;
        };
        match &mut c.collecting {
            None => c.collecting = Some(p),
            Some(cur) => {
                let (mut first, second) = if p.from_ms <= cur.from_ms {
                    (p, cur.clone())
                } else {
                    (cur.clone(), p)
                };
                let room = DIGEST_MAX_ITEMS.saturating_sub(first.digest.items.len());
                first
                    .digest
                    .items
                    .extend(second.digest.items.into_iter().take(room));
                first.digest.total = first.digest.total.saturating_add(second.digest.total);
                first.due_ms = first.due_ms.min(second.due_ms);
                *cur = first;
            }
        }
        if let Some(cur) = &mut c.collecting {
            cur.digest.channel = c.name.clone();
        }
        true
    }

    /// Digests whose window has ended at `now_ms`, closed.
    pub fn due_digests(&mut self, now_ms: i64) -> Vec<Digest> {
        let mut out = std::mem::take(&mut self.closed);
        for c in &mut self.channels {
            if let Some(p) = c.collecting.take_if(|p| p.due_ms <= now_ms) {
                let due = p.due_ms;
                out.push(close(p, due));
            }
        }
        out
    }

    /// When the next digest is due, if one is being collected.
    pub fn next_digest_due_ms(&self) -> Option<i64> {
        if !self.closed.is_empty() {
            return Some(i64::MIN);
        }
        self.channels
            .iter()
            .filter_map(|c| c.collecting.as_ref().map(|p| p.due_ms))
            .min()
    }

    /// Every digest, closed now (at shutdown).
    pub fn flush_all(&mut self, now_ms: i64) -> Vec<Digest> {
        let mut out = std::mem::take(&mut self.closed);
        for c in &mut self.channels {
            if let Some(p) = c.collecting.take() {
                let at = now_ms.min(p.due_ms);
                out.push(close(p, at));
            }
        }
        out
    }

    /// Forgets de-duplication keys older than the window.
    fn prune(&mut self, now_ms: i64) {
        self.last_prune_ms = now_ms;
        let window = self.settings.dedup_window_ms;
        for c in &mut self.channels {
            c.sent
                .retain(|_, m| now_ms < m.at_ms || now_ms - m.at_ms < window);
        }
    }

    /// De-duplication keys remembered, over all channels.
    pub fn keys(&self) -> usize {
        self.channels.iter().map(|c| c.sent.len()).sum()
    }
}

/// Drops the oldest tenth of the keys.
fn evict_oldest(sent: &mut HashMap<String, Sent>) {
    let mut times: Vec<i64> = sent.values().map(|m| m.at_ms).collect();
    let cut = times.len() / 10;
    let (_, &mut threshold, _) = times.select_nth_unstable(cut);
    sent.retain(|_, m| m.at_ms > threshold);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::tests::sample_note;
    use crate::message::{AlertNote, IncidentRef};

    const MIN: i64 = 60_000;

    fn settings() -> PolicySettings {
        PolicySettings {
            dedup_window_ms: 60 * MIN,
            rate_limit: 5,
            rate_window_ms: MIN,
        }
    }

    fn policy(min: Severity) -> Policy {
        Policy::new(
            settings(),
            vec![("email".into(), min), ("ops".into(), Severity::Low)],
        )
    }

    fn note(id: usize, score: u8, incident: Option<&str>) -> AlertNote {
        let mut n = sample_note();
        n.alert_id = format!("alert-{id}");
        n.dedup_key = format!("rule|source.ip=10.0.0.{}", id % 250);
        n.risk_score = score;
        n.severity = Severity::from_score(score).as_str().into();
        n.incident = incident.map(|i| IncidentRef {
            id: i.into(),
            chain: "initial_access".into(),
            risk_score: score,
            severity: n.severity.clone(),
            alerts: 1,
        });
        n
    }

    #[test]
    fn one_incident_of_a_thousand_alerts_is_two_messages() {
        let mut p = policy(Severity::High);
        let mut offers = HashMap::new();
        let mut digests = Vec::new();
        for i in 0..1000 {
            let now = i as i64 * 59; // 1000 alerts in 59 s
            *offers
                .entry(p.offer(0, &note(i, 70, Some("inc-1")), now))
                .or_insert(0) += 1;
            digests.extend(p.due_digests(now));
        }
        assert_eq!(offers[&Offer::Send], 1);
        assert_eq!(offers[&Offer::Fold], 999);
        assert!(digests.is_empty());
        assert_eq!(p.next_digest_due_ms(), Some(MIN));
        assert!(p.due_digests(MIN - 1).is_empty());
        let d = p.due_digests(MIN);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].channel, "email");
        assert_eq!(d[0].total, 999);
        assert_eq!(d[0].items.len(), DIGEST_MAX_ITEMS);
        assert_eq!(d[0].items[0].alert_id, "alert-1");
        assert_eq!(d[0].from, "1970-01-01T00:00:00.059Z");
        assert_eq!(d[0].to, "1970-01-01T00:01:00Z");
        assert!(p.due_digests(10 * MIN).is_empty());
        assert!(p.flush_all(10 * MIN).is_empty());
    }

    #[test]
    fn an_escalation_is_sent_and_the_window_expires() {
        let mut p = policy(Severity::Low);
        assert_eq!(p.offer(0, &note(1, 60, Some("inc")), 0), Offer::Send);
        assert_eq!(p.offer(0, &note(2, 60, Some("inc")), 1_000), Offer::Fold);
        assert_eq!(p.offer(0, &note(3, 90, Some("inc")), 2_000), Offer::Send);
        assert_eq!(p.offer(0, &note(4, 80, Some("inc")), 3_000), Offer::Fold);
        // Same incident after the de-duplication window: news again.
        assert_eq!(
            p.offer(0, &note(5, 60, Some("inc")), 3_000 + 60 * MIN),
            Offer::Send
        );
        // Without an incident, the dedup key groups.
        let mut a = note(6, 60, None);
        a.dedup_key = "k".into();
        assert_eq!(p.offer(0, &a, 70 * MIN), Offer::Send);
        a.alert_id = "other".into();
        assert_eq!(p.offer(0, &a, 70 * MIN + 1), Offer::Fold);
        // The other channel has its own state.
        assert_eq!(p.offer(1, &a, 70 * MIN + 2), Offer::Send);
    }

    #[test]
    fn rate_limit_with_distinct_keys() {
        let mut p = policy(Severity::Low);
        let mut sends = 0;
        for i in 0..20 {
            if p.offer(1, &note(i, 60, None), i as i64 * 100) == Offer::Send {
                sends += 1;
            }
        }
        assert_eq!(sends, 5);
        // The digest closes at the end of the window of its first fold.
        assert!(p.due_digests(MIN - 1).is_empty());
        let d = p.due_digests(MIN);
        assert_eq!((d.len(), d[0].total, d[0].channel.as_str()), (1, 15, "ops"));
        assert_eq!(d[0].items[0].alert_id, "alert-5");
        // A new window: five more individual messages.
        let sends = (20..30)
            .filter(|&i| p.offer(1, &note(i, 60, None), MIN + i as i64) == Offer::Send)
            .count();
        assert_eq!(sends, 5);
        // Still the same window: folded.
        assert_eq!(p.offer(1, &note(40, 60, None), 2 * MIN + 5), Offer::Fold);
        // An offer after the window ended closes the digest first.
        assert_eq!(p.offer(1, &note(41, 60, None), 2 * MIN + 25), Offer::Send);
        let all = p.flush_all(2 * MIN + 30);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].total, 6);
        assert_eq!(all[0].to, "1970-01-01T00:02:00.020Z");
    }

    #[test]
    fn min_severity_and_unknown_channels() {
        let mut p = policy(Severity::High);
        assert_eq!(p.offer(0, &note(1, 49, None), 0), Offer::Skip);
        assert_eq!(p.offer(0, &note(2, 50, None), 0), Offer::Send);
        assert_eq!(p.offer(1, &note(3, 10, None), 0), Offer::Send);
        let mut odd = note(4, 95, None);
        odd.severity = "weird".into();
        assert_eq!(p.offer(0, &odd, 0), Offer::Send, "falls back to the score");
        assert_eq!(p.offer(7, &note(5, 95, None), 0), Offer::Skip);
        assert_eq!(p.channel_index("ops"), Some(1));
        assert_eq!(p.channel_index("x"), None);
    }

    #[test]
    fn restore_merges_and_state_stays_bounded() {
        let mut p = policy(Severity::Low);
        for i in 0..8 {
            p.offer(0, &note(i, 60, None), 10);
        }
        let saved = p.collecting(0).unwrap().clone();
        assert_eq!(saved.digest.total, 3);
        assert_eq!(saved.due_ms, 10 + MIN);
        let mut fresh = policy(Severity::Low);
        assert!(fresh.restore(0, saved.clone()));
        assert!(!fresh.restore(9, saved.clone()));
        for i in 8..10 {
            fresh.offer(0, &note(i, 60, None), 20);
        }
        // The fresh window allows five sends: three more, then folds.
        for i in 10..16 {
            fresh.offer(0, &note(i, 60, None), 30);
        }
        let d = fresh.due_digests(10 + MIN);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].total, 6);
        assert!(fresh.restore(0, saved.clone()));
        assert!(fresh.restore(0, saved));
        assert_eq!(fresh.collecting(0).unwrap().digest.total, 6);

        let mut p = Policy::new(
            PolicySettings {
                dedup_window_ms: 60 * MIN,
                rate_limit: u32::MAX,
                rate_window_ms: MIN,
            },
            vec![("email".into(), Severity::Low)],
        );
        let mut n = note(0, 60, None);
        for i in 0..(MAX_KEYS + 10) {
            n.dedup_key = format!("k{i}");
            p.offer(0, &n, i as i64 / 1000);
        }
        assert!(p.keys() <= MAX_KEYS, "{}", p.keys());
        // Expired keys are pruned.
        p.offer(0, &n, 200 * MIN);
        assert_eq!(p.keys(), 1);
    }
}
