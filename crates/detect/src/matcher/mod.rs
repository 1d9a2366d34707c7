//! Compiled detection rules: selections, modifiers and conditions, matched
//! with one literal prefilter for the whole rule set.
//!
//! How an event is matched (`Matcher::matching_rules`):
//! 0. the derived fields some rule uses (`url.decoded`, ...: `decoded`)
//!    are computed into the scratch buffers, once;
//! 1. every field that some rule has literals for is read once and scanned
//!    once by that field's Aho-Corasick automaton (`prefilter`), which sets
//!    per-literal position flags in the scratch buffers (a value seen
//!    recently, such as a common user agent, replays its finds from a
//!    per-thread memo instead; the decoded target and its path and query
//!    share one scan);
//! 2. the candidate rules are those with no necessary literal set (always
//!    evaluated: e.g. a lone regex or CIDR) plus those one of whose
//!    necessary literals was found;
//! 3. each candidate's condition is evaluated (`eval`): literal tests are
//!    bit tests, and the tests that must look at the value (wildcards,
//!    regexes, CIDR, numbers) run last within each AND, so a regex runs only
//!    when the rest of its selection still holds.
//!
//! No allocation per event once the scratch buffers have grown.
//!
//! Layout: `field` (event access), `decoded` (derived, normalised
//! fields), `selection` (YAML → tree), `condition`, `modifier` (the `|mod`
//! chain), one file per modifier family (`glob`, `regex`, `cidr`, `number`,
//! `encoding`, `inject`), `prefilter`, `eval`.

mod cidr;
mod condition;
pub(crate) mod decoded;
mod encoding;
mod eval;
pub(crate) mod field;
mod glob;
mod inject;
mod modifier;
mod number;
mod prefilter;
mod regex;
mod selection;
#[cfg(test)]
mod tests;

use logsentinel_core::{Event, FieldValue};

use self::condition::Cond;
use self::decoded::Derived;
use self::decoded::{DecodedFields, Needed};
use self::eval::Ctx;
use self::field::Text;
use self::prefilter::{Literals, Memo, Necessary, Part, Scanner};
use self::selection::{Compiler, FieldTable, LineError, Node};
use crate::loader::yaml::{Kind, Node as Yaml};
use crate::mapping::FieldMapping;

/// Reusable per-thread buffers for `RuleSet::matching_rules`.
#[derive(Debug, Default, Clone)]
pub struct MatchScratch {
    /// Per literal: position bits found in this event.
    flags: Vec<u8>,
    /// Literals whose flags are non-zero (to reset only those).
    touched: Vec<u32>,
    /// Bitset over compiled rules.
    candidates: Vec<u64>,
    /// The event's derived (decoded) fields.
    decoded: DecodedFields,
    /// Per scanner: recent values and their finds.
    memo: Vec<Memo>,
    /// The matcher the memo belongs to (`Matcher::id`).
    memo_owner: u64,
    /// Recent `sqli`/`xss` verdicts.
    verdicts: inject::Verdicts,
}

/// One compiled detection rule.
#[derive(Debug, Clone)]
struct CompiledRule {
    /// Index in `RuleSet::rules`.
    rule: usize,
    selections: Vec<(String, Node)>,
    cond: Cond,
    cond_src: String,
}

/// Builds a [`Matcher`] rule by rule.
#[derive(Debug, Default)]
pub(crate) struct MatcherBuilder {
    fields: FieldTable,
    lits: Literals,
    rules: Vec<CompiledRule>,
}

impl MatcherBuilder {
    /// Compiles the `detection:` block of rule `rule`; problems go to
    /// `errors` as (line, reason).
    pub fn add_detection(
        &mut self,
        rule: usize,
        detection: &Yaml,
        mapping: &FieldMapping,
        errors: &mut Vec<LineError>,
    ) {
        let Some(pairs) = detection.as_map() else {
            errors.push((
                detection.line,
                format!(
                    "`detection` must be a mapping, found {}",
                    detection.type_name()
                ),
            ));
            return;
        };
        let before = errors.len();
        let mut compiler = Compiler {
            mapping,
            fields: &mut self.fields,
            lits: &mut self.lits,
        };
        let mut selections = Vec::new();
        let mut condition = None;
        for (key, value) in pairs {
            match key.text.as_str() {
                "condition" => condition = Some((key, value)),
                "timeframe" => errors.push((
                    key.line,
                    "`timeframe` is not supported; use a correlation rule with `timespan`".into(),
                )),
                name => {
                    if let Some(node) = compiler.selection(value, errors) {
                        selections.push((name.to_string(), node));
                    } else {
                        // Keep the name so the condition does not also
                        // complain that it is undefined.
                        selections.push((name.to_string(), Node::Any(Vec::new())));
                    }
                }
            }
        }
        let Some((ckey, cvalue)) = condition else {
            errors.push((detection.line, "`detection` has no `condition`".into()));
            return;
        };
        let sources: Vec<&str> = match &cvalue.kind {
            Kind::Scalar { text, .. } if !cvalue.is_null() => vec![text.as_str()],
            Kind::Seq(items) if !items.is_empty() => {
                let texts: Vec<&str> = items.iter().filter_map(Yaml::as_str).collect();
                if texts.len() != items.len() {
                    errors.push((cvalue.line, "`condition` list must hold strings".into()));
                    return;
                }
                texts
            }
            _ => {
                errors.push((ckey.line, "`condition` must be a string".into()));
                return;
            }
        };
        let names: Vec<&str> = selections.iter().map(|(n, _)| n.as_str()).collect();
        let mut conds = Vec::new();
        for src in &sources {
            match condition::parse(src, &names) {
                Ok(c) => conds.push(c),
                Err(e) => errors.push((cvalue.line, e)),
            }
        }
        if errors.len() != before {
            return;
        }
        let mut cond = if conds.len() == 1 {
            conds.remove(0)
        } else {
            Cond::Or(conds)
        };
        cheap_first(&mut cond, &selections);
        self.rules.push(CompiledRule {
            rule,
            selections,
            cond,
            cond_src: sources.join(" | "),
        });
    }

    pub fn build(mut self) -> Result<Matcher, String> {
        let access = &self.fields.access;
        let scanners = self.lits.scanners(|f| match access.get(f as usize) {
            Some(field::Access::Decoded(Derived::Url)) => Part::Url,
            Some(field::Access::Decoded(Derived::UrlPath)) => Part::Path,
            Some(field::Access::Decoded(Derived::UrlQuery)) => Part::Query,
            _ => Part::Whole,
        })?;
        self.rules.sort_by_key(|r| r.rule);
        let mut needed = Needed::default();
        for a in &self.fields.access {
            if let field::Access::Decoded(d) = a {
                needed.add(*d);
            }
        }
        let words = self.rules.len().div_ceil(64);
        let mut always = vec![0u64; words];
        let mut activates: Vec<Vec<u32>> = vec![Vec::new(); self.lits.list.len()];
        for (pos, r) in self.rules.iter().enumerate() {
            match necessary(&r.cond, &r.selections, &self.lits.list) {
                Some(set) if !set.is_empty() => {
                    for lit in set {
                        if let Some(a) = activates.get_mut(lit as usize) {
                            a.push(pos as u32);
                        }
                    }
                }
                _ => {
                    if let Some(w) = always.get_mut(pos / 64) {
                        *w |= 1 << (pos % 64);
                    }
                }
            }
        }
        Ok(Matcher {
            fields: self.fields,
            lits: self.lits.list,
            scanners,
            rules: self.rules,
            always,
            activates,
            needed,
            id: NEXT_MATCHER_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }
}

/// Orders the operands of every AND/OR cheapest first (a selection with a
/// regex is looked at only when the rest of the condition still allows a
/// match); returns the cost of `c`.
fn cheap_first(c: &mut Cond, sels: &[(String, Node)]) -> u32 {
    match c {
        Cond::Sel(i) => sels.get(*i).map_or(0, |(_, n)| n.cost()),
        Cond::Not(inner) => cheap_first(inner, sels),
        Cond::And(v) | Cond::Or(v) => {
            let mut costed: Vec<(u32, Cond)> = v
                .drain(..)
                .map(|mut c| (cheap_first(&mut c, sels), c))
                .collect();
            costed.sort_by_key(|(cost, _)| *cost);
            let total = costed.iter().map(|(cost, _)| cost).sum();
            v.extend(costed.into_iter().map(|(_, c)| c));
            total
        }
    }
}

fn necessary(c: &Cond, sels: &[(String, Node)], lits: &[prefilter::Literal]) -> Necessary {
    match c {
        Cond::Sel(i) => sels.get(*i).and_then(|(_, n)| n.necessary(lits)),
        Cond::And(v) => prefilter::all_of(v.iter().map(|c| necessary(c, sels, lits)), lits),
        Cond::Or(v) => prefilter::any_of(v.iter().map(|c| necessary(c, sels, lits))),
        Cond::Not(_) => None,
    }
}

/// Every detection rule of a rule set, compiled.
#[derive(Debug, Clone, Default)]
pub(crate) struct Matcher {
    fields: FieldTable,
    lits: Vec<prefilter::Literal>,
    scanners: Vec<Scanner>,
    /// Ordered by rule index.
    rules: Vec<CompiledRule>,
    /// Bitset of compiled rules that have no necessary literals.
    always: Vec<u64>,
    /// Literal id → compiled rules that it may make match.
    activates: Vec<Vec<u32>>,
    /// Which derived fields' sources to decode per event.
    needed: Needed,
    /// Identifies this matcher to scratch memos (which hold literal ids).
    id: u64,
}

/// Source of `Matcher::id`.
static NEXT_MATCHER_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Matcher {
    /// Indexes (in `RuleSet::rules`) of the detection rules matching `ev`,
    /// ascending, into `out` (cleared first).
    pub fn matching_rules(&self, ev: &Event<'_>, scratch: &mut MatchScratch, out: &mut Vec<usize>) {
        out.clear();
        let MatchScratch {
            flags,
            touched,
            candidates,
            decoded,
            memo,
            memo_owner,
            verdicts: verdict_memo,
        } = scratch;
        if *memo_owner != self.id || memo.len() != self.scanners.len() {
            memo.clear();
            memo.resize(self.scanners.len(), Memo::default());
            *memo_owner = self.id;
        }
        if flags.len() != self.lits.len() {
            flags.clear();
            flags.resize(self.lits.len(), 0);
            touched.clear();
        }
        for &t in touched.iter() {
            if let Some(f) = flags.get_mut(t as usize) {
                *f = 0;
            }
        }
        touched.clear();
        // 0. Decode what the rules look at.
        if self.needed.any() {
            decoded.fill(ev, self.needed);
        }
        let decoded = &*decoded;
        // 1. Scan each field with literals once.
        for (sc, memo) in self.scanners.iter().zip(memo.iter_mut()) {
            if sc.url_group {
                // Request targets rarely repeat (ids, queries): no memo.
                if let Some((text, query_at)) = decoded.url(ev) {
                    sc.scan(text, query_at, flags, touched, None);
                }
            } else {
                match self
                    .fields
                    .access
                    .get(sc.field as usize)
                    .and_then(|a| a.value_with(ev, decoded))
                {
                    Some(FieldValue::Str(text)) => memo.scan(sc, text, None, flags, touched),
                    Some(other) => memo.scan(sc, &Text::of(other), None, flags, touched),
                    None => {}
                }
            }
        }
        // 2. Candidates.
        candidates.clear();
        candidates.extend_from_slice(&self.always);
        for &lit in touched.iter() {
            for &pos in self
                .activates
                .get(lit as usize)
                .map_or(&[][..], Vec::as_slice)
            {
                if let Some(w) = candidates.get_mut(pos as usize / 64) {
                    *w |= 1 << (pos % 64);
                }
            }
        }
        // 3. Evaluate them, in rule order.
        let verdicts = std::cell::RefCell::new(std::mem::take(verdict_memo));
        let ctx = Ctx {
            fields: &self.fields,
            lits: &self.lits,
            ev,
            flags: Some(flags),
            decoded: Some(decoded),
            verdicts: Some(&verdicts),
        };
        for (wi, &word) in candidates.iter().enumerate() {
            let mut w = word;
            while w != 0 {
                let pos = wi * 64 + w.trailing_zeros() as usize;
                w &= w - 1;
                if let Some(r) = self.rules.get(pos)
                    && ctx.cond(&r.cond, &r.selections)
                {
                    out.push(r.rule);
                }
            }
        }
        *verdict_memo = verdicts.into_inner();
    }

    fn compiled(&self, rule: usize) -> Option<&CompiledRule> {
        self.rules
            .binary_search_by_key(&rule, |r| r.rule)
            .ok()
            .and_then(|i| self.rules.get(i))
    }

    /// The reference evaluation (no prefilter): `None` if `rule` is not a
    /// compiled detection rule.
    pub fn matches_naive(&self, rule: usize, ev: &Event<'_>) -> Option<bool> {
        let r = self.compiled(rule)?;
        let ctx = Ctx {
            fields: &self.fields,
            lits: &self.lits,
            ev,
            flags: None,
            decoded: None,
            verdicts: None,
        };
        Some(ctx.cond(&r.cond, &r.selections))
    }

    /// Why `rule` matches `ev` or not, line by line; empty if `rule` is
    /// not a compiled detection rule.
    pub fn explain(&self, rule: usize, ev: &Event<'_>) -> Vec<String> {
        let Some(r) = self.compiled(rule) else {
            return Vec::new();
        };
        let ctx = Ctx {
            fields: &self.fields,
            lits: &self.lits,
            ev,
            flags: None,
            decoded: None,
            verdicts: None,
        };
        let result = ctx.cond(&r.cond, &r.selections);
        let mut out = vec![format!(
            "condition `{}`: {}",
            r.cond_src,
            eval::yes_no(result)
        )];
        for (name, node) in &r.selections {
            let at = out.len();
            out.push(String::new());
            let held = ctx.explain_node(node, 1, &mut out);
            if let Some(line) = out.get_mut(at) {
                *line = format!("selection `{name}`: {}", eval::yes_no(held));
            }
        }
        out
    }

    /// Number of distinct literals in the prefilter.
    pub fn literal_count(&self) -> usize {
        self.lits.len()
    }
}
