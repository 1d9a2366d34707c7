//! The literal prefilter: every literal of every rule, one Aho-Corasick
//! automaton per field, one pass over each field value per event.
//!
//! A literal is a (field, ASCII-lowercased text) pair with an id. Scanning
//! a field value reports every occurrence of every literal of that field;
//! each occurrence sets bits in the per-event flags of its literal: found
//! somewhere, found at the start, found at the end, found as the whole
//! value. Equality, `contains`, `startswith` and `endswith` tests are then
//! one bit test each, and a rule none of whose necessary literals was found
//! is not evaluated at all.
//!
//! (One automaton per field rather than one for all literals: a field is
//! scanned only for its own literals, so a long `event.original` is not
//! searched for the short values of `event.outcome`, and each automaton
//! stays small enough to be a DFA. One exception: `url.decoded`,
//! `url.path.decoded` and `url.query.decoded` share one automaton run over
//! the decoded target once; a find counts for the path or the query when
//! it lies inside that part, with position bits relative to the part.)

use std::collections::HashMap;

use aho_corasick::automaton::Automaton;
use aho_corasick::{Anchored, MatchKind, dfa, nfa};

/// The literal occurs somewhere in the value.
pub(crate) const ANY: u8 = 1;
/// ... at the start.
pub(crate) const PREFIX: u8 = 2;
/// ... at the end.
pub(crate) const SUFFIX: u8 = 4;
/// ... and is the whole value.
pub(crate) const EQUALS: u8 = 8;

/// A literal: which field it is searched in, and its (lowercase) text.
#[derive(Debug, Clone)]
pub(crate) struct Literal {
    pub field: u16,
    pub text: String,
    /// How rare a find is likely to be, to pick the best necessary set:
    /// the text length, or 0 in fields with a handful of values
    /// (`event.outcome: failure` is found in half the events).
    pub rarity: usize,
}

/// Fields with so few distinct values that their literals make poor
/// prefilters.
const COMMON_FIELDS: &[&str] = &[
    "event.outcome",
    "event.category",
    "log.level",
    "log.format",
    "http.request.method",
    "http.version",
    "network.transport",
];

/// Which part of the scanned text a literal's field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// The whole text: the field is scanned on its own.
    Whole,
    /// The decoded request target, scanned together with its parts.
    Url,
    /// Its path: before the query's `?`.
    Path,
    /// Its query: after the `?` (absent without one).
    Query,
}

/// Literal ids with the part of the text each is searched in.
type PartLiterals = Vec<(u32, Part)>;

/// Collects literals while rules compile.
#[derive(Debug, Default)]
pub(crate) struct Literals {
    ids: HashMap<(u16, String), u32>,
    pub list: Vec<Literal>,
}

impl Literals {
    /// The id of `text` in `field` (named `field_name`; ASCII case is
    /// ignored).
    pub fn intern(&mut self, field: u16, field_name: &str, text: &str) -> u32 {
        let key = (field, text.to_ascii_lowercase());
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.list.len() as u32;
        let rarity = if COMMON_FIELDS.contains(&field_name) {
            0
        } else {
            text.len()
        };
        self.list.push(Literal {
            field,
            text: key.1.clone(),
            rarity,
        });
        self.ids.insert(key, id);
        id
    }

    /// One scanner per field that has literals (`part_of` tells which
    /// fields are parts of the decoded target: those share one scanner).
    pub fn scanners(&self, part_of: impl Fn(u16) -> Part) -> Result<Vec<Scanner>, String> {
        // Group key: the field, or None for the decoded target's group.
        let mut by_field: Vec<(Option<u16>, PartLiterals)> = Vec::new();
        for (id, lit) in self.list.iter().enumerate() {
            let part = part_of(lit.field);
            let key = (part == Part::Whole).then_some(lit.field);
            match by_field.iter_mut().find(|(f, _)| *f == key) {
                Some((_, ids)) => ids.push((id as u32, part)),
                None => by_field.push((key, vec![(id as u32, part)])),
            }
        }
        by_field.sort_unstable_by_key(|(f, _)| f.map_or(u32::MAX, u32::from));
        by_field
            .into_iter()
            .map(|(key, ids)| {
                let field = key.or_else(|| {
                    ids.first()
                        .and_then(|(i, _)| self.list.get(*i as usize))
                        .map(|l| l.field)
                });
                let field = field.unwrap_or(0);
                let patterns = ids
                    .iter()
                    .map(|&(i, _)| self.list[i as usize].text.as_str());
                let ac = Ac::build(patterns, ids.len())
                    .map_err(|e| format!("cannot build the literal automaton: {e}"))?;
                Ok(Scanner {
                    field,
                    url_group: key.is_none(),
                    ac,
                    ids,
                })
            })
            .collect()
    }
}

/// Literal sets larger than this get a (slower, smaller) NFA instead of a
/// DFA.
const DFA_MAX_LITERALS: usize = 500;

/// An Aho-Corasick automaton walked byte by byte here: field values are
/// short and a scan reports every occurrence, so the per-call set-up and
/// per-match re-entry of the crate's overlapping iterator would cost more
/// than the walk itself.
#[derive(Debug, Clone)]
enum Ac {
    Dfa(dfa::DFA),
    Nfa(nfa::contiguous::NFA),
}

impl Ac {
    fn build<'p>(
        patterns: impl IntoIterator<Item = &'p str>,
        count: usize,
    ) -> Result<Ac, aho_corasick::BuildError> {
        if count <= DFA_MAX_LITERALS {
            dfa::DFA::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .start_kind(aho_corasick::StartKind::Unanchored)
                .build(patterns)
                .map(Ac::Dfa)
        } else {
            nfa::contiguous::NFA::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .build(patterns)
                .map(Ac::Nfa)
        }
    }

    /// Calls `found(pattern, start, end)` for every occurrence of every
    /// pattern in `hay`, overlapping ones included, in order of their end.
    #[inline]
    fn each_match(&self, hay: &[u8], found: impl FnMut(usize, usize, usize)) {
        match self {
            Ac::Dfa(a) => walk(a, hay, found),
            Ac::Nfa(a) => walk(a, hay, found),
        }
    }
}

/// The overlapping search of `aut` over `hay` (Standard semantics, no
/// prefilter: only dead and match states are special).
#[inline]
fn walk<A: Automaton>(aut: &A, hay: &[u8], mut found: impl FnMut(usize, usize, usize)) {
    let Ok(mut sid) = aut.start_state(Anchored::No) else {
        return;
    };
    let mut report = |sid, end: usize| {
        for i in 0..aut.match_len(sid) {
            let pid = aut.match_pattern(sid, i);
            let len = aut.pattern_len(pid);
            found(pid.as_usize(), end.saturating_sub(len), end);
        }
    };
    // An empty literal matches before the first byte too.
    if aut.is_match(sid) {
        report(sid, 0);
    }
    for (at, &b) in hay.iter().enumerate() {
        sid = aut.next_state(Anchored::No, sid, b);
        if aut.is_special(sid) {
            if aut.is_dead(sid) {
                return;
            }
            if aut.is_match(sid) {
                report(sid, at + 1);
            }
        }
    }
}

/// The automaton of one field (or of the decoded target and its parts).
#[derive(Debug, Clone)]
pub(crate) struct Scanner {
    /// The field scanned (for the decoded target's group: one of its
    /// fields; the text scanned is the whole decoded target).
    pub field: u16,
    /// Scans the decoded target for it and its path and query.
    pub url_group: bool,
    ac: Ac,
    /// Automaton pattern index → literal id and the part it belongs to.
    ids: Vec<(u32, Part)>,
}

impl Scanner {
    /// Sets the flags of every literal found in `text`; `touched` gets each
    /// literal whose flags went from zero to non-zero. `query_at`: the
    /// position of the query's `?` in `text` (for the target's group).
    #[inline]
    /// `record`, when given, gets every (literal, bits) found, for the
    /// memo (`Memo`).
    pub fn scan(
        &self,
        text: &str,
        query_at: Option<usize>,
        flags: &mut [u8],
        touched: &mut Vec<u32>,
        mut record: Option<&mut Vec<(u32, u8)>>,
    ) {
        let len = text.len();
        let path_end = query_at.unwrap_or(len);
        self.ac
            .each_match(text.as_bytes(), |pattern, m_start, m_end| {
                let Some(&(id, part)) = self.ids.get(pattern) else {
                    return;
                };
                // The span of the part the literal is searched in.
                let (start, end) = match part {
                    Part::Whole | Part::Url => (0, len),
                    Part::Path => (0, path_end),
                    Part::Query => match query_at {
                        Some(q) => (q + 1, len),
                        None => return,
                    },
                };
                if m_start < start || m_end > end {
                    return;
                }
                let mut bits = ANY;
                if m_start == start {
                    bits |= PREFIX;
                }
                if m_end == end {
                    bits |= SUFFIX;
                    if m_start == start {
                        bits |= EQUALS;
                    }
                }
                if let Some(r) = record.as_deref_mut() {
                    r.push((id, bits));
                }
                set_flags(flags, touched, id, bits);
            });
    }
}

#[inline]
fn set_flags(flags: &mut [u8], touched: &mut Vec<u32>, id: u32, bits: u8) {
    if let Some(f) = flags.get_mut(id as usize) {
        if *f == 0 {
            touched.push(id);
        }
        *f |= bits;
    }
}

/// Memo of one scanner's recent results: field values repeat a lot in
/// real logs (the same user agents, asset paths, referrers), so a value
/// seen recently is not scanned again; its finds are replayed. A small
/// direct-mapped table whose entries keep their buffers (no allocation
/// once warm).
#[derive(Debug, Default, Clone)]
pub(crate) struct Memo {
    slots: Vec<MemoSlot>,
}

#[derive(Debug, Default, Clone)]
struct MemoSlot {
    used: bool,
    query_at: Option<usize>,
    key: String,
    finds: Vec<(u32, u8)>,
}

/// Entries per scanner.
const MEMO_SLOTS: usize = 1024;
/// Values outside this length range are always scanned (short ones are
/// cheap, long ones rarely repeat).
pub(crate) const MEMO_LEN: std::ops::RangeInclusive<usize> = 12..=512;

pub(crate) fn memo_hash(text: &[u8], query_at: Option<usize>) -> usize {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = query_at.map_or(0, |q| q as u64 + 1).wrapping_mul(K);
    let mut chunks = text.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    (h >> 32) as usize
}

impl Memo {
    /// Sets the flags for `text` through `scanner`, from the memo when the
    /// value was seen recently.
    #[inline]
    pub fn scan(
        &mut self,
        scanner: &Scanner,
        text: &str,
        query_at: Option<usize>,
        flags: &mut [u8],
        touched: &mut Vec<u32>,
    ) {
        if !MEMO_LEN.contains(&text.len()) {
            scanner.scan(text, query_at, flags, touched, None);
            return;
        }
        if self.slots.len() != MEMO_SLOTS {
            self.slots = vec![MemoSlot::default(); MEMO_SLOTS];
        }
        let i = memo_hash(text.as_bytes(), query_at) % MEMO_SLOTS;
        let Some(slot) = self.slots.get_mut(i) else {
            scanner.scan(text, query_at, flags, touched, None);
            return;
        };
        if slot.used && slot.query_at == query_at && slot.key == text {
            for &(id, bits) in &slot.finds {
                set_flags(flags, touched, id, bits);
            }
            return;
        }
        slot.finds.clear();
        scanner.scan(text, query_at, flags, touched, Some(&mut slot.finds));
        slot.key.clear();
        slot.key.push_str(text);
        slot.query_at = query_at;
        slot.used = true;
    }
}

/// A set of literal ids at least one of which must be found for something
/// to match; `None` when no such set is known (then: always evaluate).
pub(crate) type Necessary = Option<Vec<u32>>;

/// Necessary set of an AND: any one child's set will do. Take the one
/// most likely to be absent: its least rare literal the rarest, then the
/// smallest.
pub(crate) fn all_of(children: impl IntoIterator<Item = Necessary>, lits: &[Literal]) -> Necessary {
    let weakest = |s: &Vec<u32>| {
        s.iter()
            .map(|&i| lits.get(i as usize).map_or(0, |l| l.rarity))
            .min()
            .unwrap_or(0)
    };
    children
        .into_iter()
        .flatten()
        .min_by_key(|s| (std::cmp::Reverse(weakest(s)), s.len()))
}

/// Necessary set of an OR: every child must have one; their union.
pub(crate) fn any_of(children: impl IntoIterator<Item = Necessary>) -> Necessary {
    let mut out = Vec::new();
    for c in children {
        out.extend(c?);
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_sets_position_bits() {
        let mut lits = Literals::default();
        let fail = lits.intern(0, "message", "Fail");
        let ed = lits.intern(0, "message", "ed");
        let other_field = lits.intern(1, "event.reason", "fail");
        assert_eq!(lits.intern(0, "message", "FAIL"), fail);
        assert_ne!(other_field, fail);
        let scanners = lits.scanners(|_| Part::Whole).unwrap();
        assert_eq!(scanners.len(), 2);
        let mut flags = vec![0u8; lits.list.len()];
        let mut touched = Vec::new();
        scanners[0].scan("failed", None, &mut flags, &mut touched, None);
        assert_eq!(flags[fail as usize], ANY | PREFIX);
        assert_eq!(flags[ed as usize], ANY | SUFFIX);
        assert_eq!(flags[other_field as usize], 0);
        assert_eq!(touched, vec![fail, ed]);
        flags.iter_mut().for_each(|f| *f = 0);
        touched.clear();
        scanners[0].scan("FAIL", None, &mut flags, &mut touched, None);
        assert_eq!(flags[fail as usize], ANY | PREFIX | SUFFIX | EQUALS);
        // Overlapping and repeated occurrences are all seen.
        flags.iter_mut().for_each(|f| *f = 0);
        scanners[0].scan("ed fail ed", None, &mut flags, &mut touched, None);
        assert_eq!(flags[ed as usize], ANY | PREFIX | SUFFIX);
    }

    /// Every (pattern, start, end) the crate's own overlapping search
    /// reports, sorted.
    fn reference(patterns: &[String], hay: &str) -> Vec<(usize, usize, usize)> {
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(patterns)
            .unwrap();
        let mut v: Vec<_> = ac
            .find_overlapping_iter(hay)
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        v.sort_unstable();
        v
    }

    fn walked(ac: &Ac, hay: &str) -> Vec<(usize, usize, usize)> {
        let mut v = Vec::new();
        ac.each_match(hay.as_bytes(), |p, s, e| v.push((p, s, e)));
        v.sort_unstable();
        v
    }

    proptest::proptest! {
        /// The byte-by-byte walk finds exactly what the crate's
        /// overlapping iterator finds, for the DFA and for the NFA.
        #[test]
        fn walk_equals_the_overlapping_iterator(
            patterns in proptest::collection::vec("[abAB'%<]{1,4}", 1..12),
            hay in "[abcAB'%< ]{0,40}",
        ) {
            let dfa = Ac::build(patterns.iter().map(String::as_str), 1).unwrap();
            let nfa = Ac::build(patterns.iter().map(String::as_str), DFA_MAX_LITERALS + 1).unwrap();
            proptest::prop_assert!(matches!(dfa, Ac::Dfa(_)) && matches!(nfa, Ac::Nfa(_)));
            let want = reference(&patterns, &hay);
            proptest::prop_assert_eq!(&walked(&dfa, &hay), &want);
            proptest::prop_assert_eq!(&walked(&nfa, &hay), &want);
        }
    }

    #[test]
    fn walk_reports_an_empty_literal_everywhere_like_the_crate() {
        let patterns = vec![String::new(), "ab".to_string()];
        for hay in ["", "ab", "xaby"] {
            for count in [1, DFA_MAX_LITERALS + 1] {
                let ac = Ac::build(patterns.iter().map(String::as_str), count).unwrap();
                assert_eq!(walked(&ac, hay), reference(&patterns, hay), "{hay:?}");
            }
        }
    }

    #[test]
    fn the_target_and_its_parts_share_one_scan() {
        let mut lits = Literals::default();
        // Fields 0, 1, 2: the target, its path, its query.
        let whole = lits.intern(0, "url.decoded", "/a?b");
        let path = lits.intern(1, "url.path.decoded", "/a");
        let path_b = lits.intern(1, "url.path.decoded", "b");
        let query = lits.intern(2, "url.query.decoded", "b");
        let query_a = lits.intern(2, "url.query.decoded", "/a");
        let other = lits.intern(3, "user.name", "b");
        let parts = |f: u16| match f {
            0 => Part::Url,
            1 => Part::Path,
            2 => Part::Query,
            _ => Part::Whole,
        };
        let scanners = lits.scanners(parts).unwrap();
        assert_eq!(scanners.len(), 2);
        let sc = scanners.iter().find(|s| s.url_group).unwrap();
        let mut flags = vec![0u8; lits.list.len()];
        let mut touched = Vec::new();
        sc.scan("/a?b", Some(2), &mut flags, &mut touched, None);
        assert_eq!(flags[whole as usize], ANY | PREFIX | SUFFIX | EQUALS);
        assert_eq!(flags[path as usize], ANY | PREFIX | SUFFIX | EQUALS);
        assert_eq!(flags[query as usize], ANY | PREFIX | SUFFIX | EQUALS);
        assert_eq!(flags[path_b as usize], 0);
        assert_eq!(flags[query_a as usize], 0);
        assert_eq!(flags[other as usize], 0);
        // Without a query: the path is everything, the query finds nothing.
        flags.iter_mut().for_each(|f| *f = 0);
        sc.scan("/ab", None, &mut flags, &mut touched, None);
        assert_eq!(flags[path as usize], ANY | PREFIX);
        assert_eq!(flags[path_b as usize], ANY | SUFFIX);
        assert_eq!(flags[query as usize], 0);
    }

    #[test]
    fn memo_replays_the_same_finds() {
        let mut lits = Literals::default();
        let a = lits.intern(0, "user_agent.original", "nikto");
        let b = lits.intern(0, "user_agent.original", "o/2");
        let sc = &lits.scanners(|_| Part::Whole).unwrap()[0];
        let mut memo = Memo::default();
        let mut flags = vec![0u8; 2];
        let mut touched = Vec::new();
        let texts = [
            "Mozilla/5.00 (Nikto/2.1.6)",
            "curl/8.5.0 and more text",
            "Mozilla/5.00 (Nikto/2.1.6)",
        ];
        for t in texts.iter().chain(&texts) {
            flags.iter_mut().for_each(|f| *f = 0);
            touched.clear();
            memo.scan(sc, t, None, &mut flags, &mut touched);
            let mut direct = vec![0u8; 2];
            sc.scan(t, None, &mut direct, &mut Vec::new(), None);
            assert_eq!(flags, direct, "{t}");
        }
        assert!(flags[a as usize] != 0 && flags[b as usize] != 0);
        // Same text, another query position: not a memo hit.
        flags.iter_mut().for_each(|f| *f = 0);
        memo.scan(sc, texts[0], Some(3), &mut flags, &mut touched);
        assert!(flags[a as usize] != 0);
    }

    #[test]
    fn necessary_sets() {
        let mut lits = Literals::default();
        let a = lits.intern(0, "user.name", "a");
        let long = lits.intern(0, "user.name", "longer");
        let b = lits.intern(1, "user.name", "b");
        let failure = lits.intern(2, "event.outcome", "failure");
        let l = &lits.list;
        assert_eq!(all_of([None, Some(vec![a])], l), Some(vec![a]));
        assert_eq!(
            all_of([Some(vec![a]), Some(vec![long])], l),
            Some(vec![long])
        );
        assert_eq!(
            all_of([Some(vec![a, b]), Some(vec![long])], l),
            Some(vec![long])
        );
        assert_eq!(all_of([Some(vec![a, b]), Some(vec![b])], l), Some(vec![b]));
        // A short literal beats one of a field with few values.
        assert_eq!(
            all_of([Some(vec![failure]), Some(vec![a])], l),
            Some(vec![a])
        );
        assert_eq!(all_of([None, None], l), None);
        assert_eq!(any_of([Some(vec![b]), Some(vec![a, b])]), Some(vec![a, b]));
        assert_eq!(any_of([Some(vec![a]), None]), None);
    }
}
