//! Correlation: the stateful part of detection, fed signals in input order.
//!
//! Semantics (Sigma correlation rules, in event time):
//!
//! - `event_count`: per group key, the events of the referenced rules
//!   within `timespan` (sliding) meet the condition.
//! - `value_count`: the distinct values of `field` within `timespan` meet
//!   the condition (events without the field add no value).
//! - `temporal`: every referenced rule matched within `timespan`, any order.
//! - `temporal_ordered`: they matched in the listed order within `timespan`
//!   (events of later stages count only when they follow an earlier one).
//!
//! The temporal types ignore `condition` (all referenced rules must match).
//!
//! A condition is evaluated each time a signal reaches the correlation;
//! when it holds, the correlation *fires*: it becomes a signal of the
//! correlation rule itself (so another correlation may reference it:
//! chaining), and, when the rule is `enabled`, feeds its alert.
//!
//! Group keys: the values of `group-by` (detection rules: `suppress-by`).
//! An absent field is part of the key as "absent"; an event lacking every
//! `group-by` field is not counted by that correlation.
//!
//! Alerts and suppression: one alert per (rule, group key). It opens when
//! the rule matches (detection) or fires (correlation) and no alert of the
//! key is open; while further events of the key keep coming within the
//! suppression window of its latest event (for a correlation: the larger
//! of the window and its timespan), they join it: `count` is the exact
//! number of log events behind it (for a correlation, the events of its
//! window when it opened, then every further event of its referenced rules
//! for the key, whether or not the condition still holds), `last_seen`
//! and the evidence move on. After a quiet window a new alert may open.
//!
//! Time: per key, "now" is the latest event time seen for the key, so one
//! file lagging another does not disturb the other's windows, and events
//! slightly out of order (within the timespan) count as usual. An event
//! older than its key's whole window (an older rotated file read after the
//! newer one: `auth.log auth.log.1`) restarts the key's window in that
//! earlier time, and opens its own alert rather than joining one from much
//! later (an alert takes events within the suppression window of its span,
//! on either side).
//!
//! State is bounded: idle keys are swept (their window has passed and no
//! alert is open), and each rule tracks at most `max_keys_per_rule` keys,
//! evicting the least recently seen beyond.

mod book;
mod keymap;
mod window;

use std::sync::Arc;
use std::time::Duration;

use logsentinel_core::Timestamp;

use crate::alert::{Alert, alert_id};
use crate::rule::{CorrelationType, Rule, Threshold};
use crate::signal::{FieldId, FieldTable, SOURCE_IP, Signal, USER_NAME, millis};
use book::{AlertBook, AlertState};
use keymap::{KeyMap, Slot};
use window::{Buckets, Chain, Distinct, Ring, granule};

/// Chained correlations deeper than this are ignored (the loader refuses
/// cycles; this only guards against a bug turning into a hang).
const MAX_DEPTH: u8 = 16;

/// What is known about the rule set before any event: which fields to
/// capture, which rules matter, who consumes whose signals.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) fields: FieldTable,
    /// Whether signals of the rule matter: it raises alerts, or a live
    /// correlation references it.
    pub(crate) live: Vec<bool>,
    /// The live correlation rules that reference the rule.
    consumers: Vec<Vec<usize>>,
    /// Detection rules that raise their own alerts.
    alerting: Vec<bool>,
    /// A correlation's `group-by`; a detection rule's `suppress-by`.
    key_fields: Vec<Box<[FieldId]>>,
    /// For correlations with `aliases`: the key fields of the events of
    /// each referenced rule (which replace `key_fields` for them).
    alias_keys: Vec<Vec<(usize, Box<[FieldId]>)>>,
    /// A `value_count` correlation's field.
    value_field: Vec<Option<FieldId>>,
    /// The rule's id (or name) for alert ids.
    ids: Vec<Box<str>>,
}

impl Plan {
    pub(crate) fn new(rules: &[Rule]) -> Plan {
        let n = rules.len();
        let mut live: Vec<bool> = rules.iter().map(|r| r.enabled).collect();
        // A live correlation makes its references live; each pass settles
        // at least one more rule, so at most n passes.
        for _ in 0..=n {
            let mut changed = false;
            for (c, r) in rules.iter().enumerate() {
                let Some(spec) = &r.correlation else { continue };
                if !live.get(c).copied().unwrap_or(false) {
                    continue;
                }
                for &x in &spec.rules {
                    if let Some(l) = live.get_mut(x)
                        && !*l
                    {
                        *l = true;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let mut consumers = vec![Vec::new(); n];
        let mut fields = FieldTable::new();
        let mut key_fields = Vec::with_capacity(n);
        let mut alias_keys = Vec::with_capacity(n);
        let mut value_field = Vec::with_capacity(n);
        for (i, r) in rules.iter().enumerate() {
            let is_live = live.get(i).copied().unwrap_or(false);
            let names: &[String] = match &r.correlation {
                Some(spec) => &spec.group_by,
                None => &r.suppress_by,
            };
            let keys: Box<[FieldId]> = if is_live {
                names.iter().map(|f| fields.intern(f)).collect()
            } else {
                Box::new([])
            };
            key_fields.push(keys);
            let per_rule: Vec<(usize, Box<[FieldId]>)> = match &r.correlation {
                Some(spec) if is_live && !spec.aliases.is_empty() => spec
                    .rules
                    .iter()
                    .map(|&j| {
                        let ids = spec
                            .group_by
                            .iter()
                            .map(|g| {
                                let field = spec
                                    .aliases
                                    .iter()
                                    .find(|a| &a.name == g)
                                    .map_or(g.as_str(), |a| a.field_for(j));
                                fields.intern(field)
                            })
                            .collect();
                        (j, ids)
                    })
                    .collect(),
                _ => Vec::new(),
            };
            alias_keys.push(per_rule);
            let vf = match &r.correlation {
                Some(spec) if is_live && spec.kind == CorrelationType::ValueCount => {
                    spec.field.as_deref().map(|f| fields.intern(f))
                }
                _ => None,
            };
            value_field.push(vf);
            if let Some(spec) = &r.correlation
                && is_live
            {
                for &x in &spec.rules {
                    if let Some(list) = consumers.get_mut(x)
                        && !list.contains(&i)
                    {
                        list.push(i);
                    }
                }
            }
        }
        Plan {
            fields,
            live,
            consumers,
            alerting: rules
                .iter()
                .map(|r| r.enabled && r.correlation.is_none())
                .collect(),
            key_fields,
            alias_keys,
            value_field,
            ids: rules
                .iter()
                .map(|r| {
                    let id = if r.id.is_empty() { &r.name } else { &r.id };
                    id.as_str().into()
                })
                .collect(),
        }
    }
}

impl Plan {
    /// The key fields of correlation `c` for a signal of rule `from`.
    fn keys(&self, c: usize, from: usize) -> &[FieldId] {
        if let Some((_, ids)) = self
            .alias_keys
            .get(c)
            .and_then(|list| list.iter().find(|(r, _)| *r == from))
        {
            return ids;
        }
        self.key_fields.get(c).map_or(&[][..], |f| &f[..])
    }
}

/// Settings of the correlator (from `DetectConfig`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub(crate) suppression: Duration,
    pub(crate) max_keys: usize,
}

/// A correlation rule, ready to run.
#[derive(Debug)]
struct Spec {
    rule: usize,
    kind: CorrelationType,
    span: i64,
    granule: i64,
    threshold: Threshold,
    /// Referenced rules, each once, and for each its stages (positions in
    /// the listed order).
    uniq: Box<[usize]>,
    stages_of: Box<[Box<[usize]>]>,
    stages: usize,
    distinct_cap: usize,
    enabled: bool,
    /// How long an alert stays open after its latest event.
    alert_window: i64,
}

impl Spec {
    fn window(&self) -> Window {
        match self.kind {
            CorrelationType::EventCount => Window::Count(Buckets::default()),
            CorrelationType::ValueCount => {
                Window::Values(Buckets::default(), Distinct::new(self.distinct_cap))
            }
            CorrelationType::Temporal => {
                Window::Temporal(self.uniq.iter().map(|_| Buckets::default()).collect())
            }
            CorrelationType::TemporalOrdered => Window::Ordered(
                self.uniq.iter().map(|_| Buckets::default()).collect(),
                Chain::new(self.stages),
            ),
        }
    }
}

#[derive(Debug)]
enum Window {
    Count(Buckets),
    Values(Buckets, Distinct),
    Temporal(Box<[Buckets]>),
    Ordered(Box<[Buckets]>, Chain),
}

/// The state of one group key of one correlation rule.
#[derive(Debug)]
struct KeyState {
    /// The time the window ends at: the latest event time of the key's
    /// current timeline.
    now: i64,
    window: Window,
    ring: Ring,
    /// Whether the condition held at the previous signal.
    firing: bool,
    /// The key's alert (open or last), by sequence number.
    alert: Option<usize>,
}

struct CorrState {
    spec: Spec,
    keys: KeyMap<KeyState>,
}

/// Counters of the correlator.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counters {
    pub(crate) signals: u64,
    pub(crate) evicted: u64,
}

/// Windows, correlations (chained), suppression and alerts.
pub(crate) struct Correlator {
    plan: Arc<Plan>,
    suppression: i64,
    max_keys: usize,
    corr: Vec<Option<CorrState>>,
    /// Per detection rule: suppression key → alert.
    detect: Vec<KeyMap<usize>>,
    book: AlertBook,
    tick: u64,
    last_sweep: Option<i64>,
    sweep_every: i64,
    key: String,
    stack: Vec<(Signal, u8)>,
    pub(crate) counters: Counters,
}

fn to_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// How many distinct values a `value_count` needs to track to decide its
/// condition (a couple above its largest bound).
fn distinct_cap(t: &Threshold) -> usize {
    let bound = match *t {
        Threshold::Gt(v)
        | Threshold::Gte(v)
        | Threshold::Lt(v)
        | Threshold::Lte(v)
        | Threshold::Eq(v) => v,
        Threshold::Range(_, b) => b,
    };
    usize::try_from(bound.saturating_add(2).min(10_000)).unwrap_or(10_000)
}

/// Writes the group key of `sig` over `fields` into `out` (each value
/// length-prefixed, so keys cannot collide). False when `require_one` and
/// every field is absent.
fn build_key(out: &mut String, fields: &[FieldId], sig: &Signal, require_one: bool) -> bool {
    use std::fmt::Write;
    out.clear();
    let mut any = false;
    for &f in fields {
        match sig.value(f) {
            Some(v) => {
                any = true;
                let _ = write!(out, "{}:", v.len());
                out.push_str(v);
            }
            None => out.push('-'),
        }
    }
    any || !require_one || fields.is_empty()
}

/// The (field, value) pairs of a group, absent fields left out.
fn group_of(plan: &Plan, fields: &[FieldId], sig: &Signal) -> Vec<(String, String)> {
    fields
        .iter()
        .filter_map(|&f| {
            sig.value(f)
                .map(|v| (plan.fields.name(f).to_string(), v.to_string()))
        })
        .collect()
}

impl Correlator {
    pub(crate) fn new(rules: &[Rule], plan: Arc<Plan>, settings: Settings) -> Correlator {
        let suppression = to_ms(settings.suppression);
        let mut shortest = suppression;
        let corr: Vec<Option<CorrState>> = rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let c = r.correlation.as_ref()?;
                if !plan.live.get(i).copied().unwrap_or(false) {
                    return None;
                }
                let span = to_ms(c.timespan);
                shortest = shortest.min(span);
                let mut uniq: Vec<usize> = Vec::new();
                for &x in &c.rules {
                    if !uniq.contains(&x) {
                        uniq.push(x);
                    }
                }
                let stages_of = uniq
                    .iter()
                    .map(|&u| {
                        c.rules
                            .iter()
                            .enumerate()
                            .filter(|(_, x)| **x == u)
                            .map(|(p, _)| p)
                            .collect()
                    })
                    .collect();
                Some(CorrState {
                    spec: Spec {
                        rule: i,
                        kind: c.kind,
                        span,
                        granule: granule(span),
                        threshold: c.threshold,
                        uniq: uniq.into_boxed_slice(),
                        stages_of,
                        stages: c.rules.len(),
                        distinct_cap: distinct_cap(&c.threshold),
                        enabled: r.enabled,
                        alert_window: span.max(suppression),
                    },
                    keys: KeyMap::default(),
                })
            })
            .collect();
        Correlator {
            detect: rules.iter().map(|_| KeyMap::default()).collect(),
            plan,
            suppression,
            max_keys: settings.max_keys.max(1),
            corr,
            book: AlertBook::default(),
            tick: 0,
            last_sweep: None,
            sweep_every: shortest.max(1000),
            key: String::new(),
            stack: Vec::new(),
            counters: Counters::default(),
        }
    }

    /// One signal, in input order.
    pub(crate) fn push(&mut self, signal: Signal) {
        self.counters.signals += 1;
        let t = millis(signal.timestamp);
        match self.last_sweep {
            None => self.last_sweep = Some(t),
            // Time went backwards (another file): restart the sweep clock.
            Some(last) if t < last => self.last_sweep = Some(t),
            Some(last) if t.saturating_sub(last) >= self.sweep_every => self.sweep(t),
            Some(_) => {}
        }
        let plan = Arc::clone(&self.plan);
        self.stack.push((signal, 0));
        while let Some((sig, depth)) = self.stack.pop() {
            self.tick += 1;
            if plan.alerting.get(sig.rule).copied().unwrap_or(false) {
                self.detection_alert(&plan, &sig);
            }
            let Some(consumers) = plan.consumers.get(sig.rule) else {
                continue;
            };
            for &c in consumers {
                if let Some(fired) = self.correlate(&plan, c, &sig)
                    && depth < MAX_DEPTH
                {
                    self.stack.push((fired, depth + 1));
                }
            }
        }
    }

    /// A detection rule matched: open its alert, or add to the open one.
    fn detection_alert(&mut self, plan: &Plan, sig: &Signal) {
        let r = sig.rule;
        let fields = plan.key_fields.get(r).map_or(&[][..], |f| &f[..]);
        build_key(&mut self.key, fields, sig, false);
        let t = millis(sig.timestamp);
        let tick = self.tick;
        let window = self.suppression;
        let Some(map) = self.detect.get_mut(r) else {
            return;
        };
        let book = &mut self.book;
        let open_new = |book: &mut AlertBook, key: &str| {
            let id = alert_id(plan.ids.get(r).map_or("", |s| s), key, sig.timestamp);
            let mut a = AlertState::new(r, id, sig.timestamp, group_of(plan, fields, sig));
            a.absorb(sig.captured(), sig.timestamp, sig.weight);
            book.open(a)
        };
        if let Some(slot) = map.get_mut(&self.key) {
            slot.tick = tick;
            slot.latest = slot.latest.max(t);
            if book.takes(slot.v, t, window) {
                if let Some(a) = book.get_mut(slot.v) {
                    a.absorb(sig.captured(), sig.timestamp, sig.weight);
                }
            } else {
                book.close(slot.v);
                slot.v = open_new(book, &self.key);
            }
            return;
        }
        if map.len() >= self.max_keys {
            map.sweep(
                |s| s.latest.saturating_add(window) < t,
                |seq| book.close(*seq),
            );
            if map.len() >= self.max_keys {
                self.counters.evicted +=
                    map.evict_lru(self.max_keys, |seq| book.close(*seq)) as u64;
            }
        }
        let seq = open_new(book, &self.key);
        map.insert(
            &self.key,
            Slot {
                latest: t,
                tick,
                v: seq,
            },
        );
    }

    /// Feeds `sig` to correlation `c`; returns its signal when it fires.
    fn correlate(&mut self, plan: &Plan, c: usize, sig: &Signal) -> Option<Signal> {
        let cs = self.corr.get_mut(c)?.as_mut()?;
        let fields = plan.keys(c, sig.rule);
        if !build_key(&mut self.key, fields, sig, true) {
            return None;
        }
        let t = millis(sig.timestamp);
        let tick = self.tick;
        let book = &mut self.book;
        let ctx = Ctx {
            plan,
            spec: &cs.spec,
            key: &self.key,
            fields,
        };
        if let Some(slot) = cs.keys.get_mut(&self.key) {
            slot.tick = tick;
            slot.latest = slot.latest.max(t);
            return ctx.step(slot, sig, t, book);
        }
        if cs.keys.len() >= self.max_keys {
            let (span, alert_window) = (cs.spec.span, cs.spec.alert_window);
            cs.keys.sweep(
                |s| key_expired(s, span, alert_window, t),
                |st| close_key_alert(book, st),
            );
            if cs.keys.len() >= self.max_keys {
                self.counters.evicted += cs
                    .keys
                    .evict_lru(self.max_keys, |st| close_key_alert(book, st))
                    as u64;
            }
        }
        let mut slot = Slot {
            latest: t,
            tick,
            v: KeyState {
                now: t,
                window: cs.spec.window(),
                ring: Ring::default(),
                firing: false,
                alert: None,
            },
        };
        let fired = ctx.step(&mut slot, sig, t, book);
        cs.keys.insert(&self.key, slot);
        fired
    }

    /// Drops idle keys and closes alerts whose window has passed, as of
    /// event time `now` (ms).
    pub(crate) fn sweep(&mut self, now: i64) {
        self.last_sweep = Some(now);
        let book = &mut self.book;
        for cs in self.corr.iter_mut().flatten() {
            let (span, alert_window) = (cs.spec.span, cs.spec.alert_window);
            cs.keys.sweep(
                |s| key_expired(s, span, alert_window, now),
                |st| close_key_alert(book, st),
            );
        }
        let window = self.suppression;
        for map in &mut self.detect {
            map.sweep(
                |s| s.latest.saturating_add(window) < now,
                |seq| book.close(*seq),
            );
        }
    }

    pub(crate) fn take_new(&mut self, rules: &[Rule]) -> Vec<Alert> {
        self.book.take_new(rules)
    }

    pub(crate) fn take_closed(&mut self, rules: &[Rule]) -> Vec<Alert> {
        self.book.take_closed(rules)
    }

    pub(crate) fn alerts_opened(&self) -> u64 {
        self.book.opened()
    }

    /// Every alert still held, final counts, in order of first event.
    pub(crate) fn finish(mut self, rules: &[Rule]) -> Vec<Alert> {
        self.close_all(rules)
    }

    /// Closes every alert and drops every key, leaving the correlator
    /// empty but usable; returns the alerts not taken yet, final counts,
    /// in order of first event (then rule and id).
    pub(crate) fn close_all(&mut self, rules: &[Rule]) -> Vec<Alert> {
        for cs in self.corr.iter_mut().flatten() {
            for (_, mut slot) in cs.keys.drain() {
                close_key_alert(&mut self.book, &mut slot.v);
            }
        }
        for map in &mut self.detect {
            for (_, slot) in map.drain() {
                self.book.close(slot.v);
            }
        }
        self.book.close_open();
        let mut out = self.book.take_closed(rules);
        out.sort_by(|a, b| {
            (a.first_seen, a.rule_index, &a.id).cmp(&(b.first_seen, b.rule_index, &b.id))
        });
        out
    }

    #[cfg(test)]
    fn book_len(&self) -> usize {
        self.book.len()
    }

    #[cfg(test)]
    fn keys_held(&self) -> usize {
        self.corr
            .iter()
            .flatten()
            .map(|c| c.keys.len())
            .sum::<usize>()
            + self.detect.iter().map(KeyMap::len).sum::<usize>()
    }
}

fn key_expired(s: &Slot<KeyState>, span: i64, alert_window: i64, now: i64) -> bool {
    let ttl = if s.v.alert.is_some() {
        alert_window
    } else {
        span
    };
    s.latest.saturating_add(ttl) < now
}

fn close_key_alert(book: &mut AlertBook, st: &mut KeyState) {
    if let Some(seq) = st.alert.take() {
        book.close(seq);
    }
}

/// What one correlation step needs besides the key's state.
struct Ctx<'a> {
    plan: &'a Plan,
    spec: &'a Spec,
    key: &'a str,
    fields: &'a [FieldId],
}

impl Ctx<'_> {
    /// Feeds `sig` (at `t` ms) to one key's state; returns the
    /// correlation's signal when its condition holds.
    fn step(
        &self,
        slot: &mut Slot<KeyState>,
        sig: &Signal,
        t: i64,
        book: &mut AlertBook,
    ) -> Option<Signal> {
        let spec = self.spec;
        let st = &mut slot.v;
        if t >= st.now {
            st.now = t;
        } else if t < st.now.saturating_sub(spec.span) {
            // Much older than the key's window (an older file read after a
            // newer one): start the key's window again in that time.
            st.now = t;
            st.window = spec.window();
            st.ring = Ring::default();
            st.firing = false;
        }
        let cutoff = st.now.saturating_sub(spec.span);
        let slot_of = spec.uniq.iter().position(|&u| u == sig.rule);
        // `counted`: the event is part of the window (its evidence may open
        // the alert).
        let mut counted = true;
        let (met, total, earliest) = match &mut st.window {
            Window::Count(b) => {
                b.expire(cutoff);
                b.add(t, sig.weight, spec.granule);
                (spec.threshold.is_met(b.total()), b.total(), b.earliest())
            }
            Window::Values(b, d) => {
                b.expire(cutoff);
                d.expire(cutoff);
                b.add(t, sig.weight, spec.granule);
                let field = self.plan.value_field.get(spec.rule).copied().flatten();
                if let Some(v) = field.and_then(|f| sig.value(f)) {
                    d.add(v, t);
                }
                let n = u64::try_from(d.len()).unwrap_or(u64::MAX);
                (spec.threshold.is_met(n), b.total(), b.earliest())
            }
            Window::Temporal(bs) => {
                for b in bs.iter_mut() {
                    b.expire(cutoff);
                }
                if let Some(b) = slot_of.and_then(|i| bs.get_mut(i)) {
                    b.add(t, sig.weight, spec.granule);
                }
                let (total, earliest) = sum(bs);
                (bs.iter().all(|b| !b.is_empty()), total, earliest)
            }
            Window::Ordered(bs, chain) => {
                for b in bs.iter_mut() {
                    b.expire(cutoff);
                }
                chain.expire(cutoff);
                // Only events that take part in a sequence count (a success
                // before any failure is not behind the alert).
                counted = slot_of
                    .and_then(|i| spec.stages_of.get(i))
                    .is_some_and(|stages| chain.advance(stages, t, spec.span));
                if counted && let Some(b) = slot_of.and_then(|i| bs.get_mut(i)) {
                    b.add(t, sig.weight, spec.granule);
                }
                let (total, earliest) = sum(bs);
                (chain.complete(), total, earliest)
            }
        };
        let was_firing = st.firing;
        st.firing = met;

        if spec.enabled {
            let open = st
                .alert
                .filter(|&seq| book.takes(seq, t, spec.alert_window));
            if let Some(a) = open.and_then(|seq| book.get_mut(seq)) {
                a.absorb(sig.captured(), sig.timestamp, sig.weight);
            } else if met {
                if let Some(old) = st.alert.take() {
                    book.close(old);
                }
                let first = earliest.map_or(sig.timestamp, Timestamp::from_millis);
                let first = first.min(sig.timestamp);
                let id = alert_id(
                    self.plan.ids.get(spec.rule).map_or("", |s| s),
                    self.key,
                    first,
                );
                let group = group_of(self.plan, self.fields, sig);
                let mut a = AlertState::new(spec.rule, id, first, group);
                for c in st.ring.since(cutoff) {
                    a.absorb(c, c.evidence.timestamp, 0);
                }
                a.absorb(sig.captured(), sig.timestamp, 0);
                a.set_count(total.max(sig.weight));
                if spec.kind == CorrelationType::TemporalOrdered {
                    // The account of the event that completed the sequence
                    // (the successful login after the guessing).
                    a.set_primary_user(sig.value(USER_NAME));
                }
                if let Window::Values(_, d) = &st.window {
                    match self.plan.value_field.get(spec.rule).copied().flatten() {
                        Some(USER_NAME) => d.values().into_iter().for_each(|v| a.add_user(v)),
                        Some(SOURCE_IP) => d.values().into_iter().for_each(|v| a.add_ip(v)),
                        _ => {}
                    }
                }
                st.alert = Some(book.open(a));
            } else if let Some(old) = st.alert
                && book.ended_before(old, t, spec.alert_window)
            {
                st.alert = None;
                book.close(old);
            }
        }
        if counted {
            st.ring.push(sig.captured());
        }
        if !met {
            return None;
        }
        let weight = if was_firing {
            sig.weight
        } else {
            total.max(sig.weight)
        };
        Some(sig.chained(spec.rule, weight))
    }
}

/// Total weight and earliest time over several windows.
fn sum(bs: &[Buckets]) -> (u64, Option<i64>) {
    bs.iter().fold((0u64, None), |(total, earliest), b| {
        let e = match (earliest, b.earliest()) {
            (Some(a), Some(x)) => Some(a.min(x)),
            (a, x) => a.or(x),
        };
        (total.saturating_add(b.total()), e)
    })
}

#[cfg(test)]
mod tests;
