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
//! stays small enough to be a DFA.)

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

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

    /// One scanner per field that has literals.
    pub fn scanners(&self) -> Result<Vec<Scanner>, String> {
        let mut by_field: Vec<(u16, Vec<u32>)> = Vec::new();
        for (id, lit) in self.list.iter().enumerate() {
            match by_field.iter_mut().find(|(f, _)| *f == lit.field) {
                Some((_, ids)) => ids.push(id as u32),
                None => by_field.push((lit.field, vec![id as u32])),
            }
        }
        by_field.sort_unstable_by_key(|(f, _)| *f);
        by_field
            .into_iter()
            .map(|(field, ids)| {
                let patterns = ids.iter().map(|&i| self.list[i as usize].text.as_str());
                // A DFA for the usual small sets; the automatic choice for
                // very large ones (memory).
                let kind = (ids.len() <= 500).then_some(AhoCorasickKind::DFA);
                let ac = AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(kind)
                    .build(patterns)
                    .map_err(|e| format!("cannot build the literal automaton: {e}"))?;
                Ok(Scanner { field, ac, ids })
            })
            .collect()
    }
}

/// The automaton of one field.
#[derive(Debug, Clone)]
pub(crate) struct Scanner {
    pub field: u16,
    ac: AhoCorasick,
    /// Automaton pattern index → literal id.
    ids: Vec<u32>,
}

impl Scanner {
    /// Sets the flags of every literal found in `text`; `touched` gets each
    /// literal whose flags went from zero to non-zero.
    #[inline]
    pub fn scan(&self, text: &str, flags: &mut [u8], touched: &mut Vec<u32>) {
        let len = text.len();
        for m in self.ac.find_overlapping_iter(text) {
            let Some(&id) = self.ids.get(m.pattern().as_usize()) else {
                continue;
            };
            let mut bits = ANY;
            if m.start() == 0 {
                bits |= PREFIX;
            }
            if m.end() == len {
                bits |= SUFFIX;
                if m.start() == 0 {
                    bits |= EQUALS;
                }
            }
            if let Some(f) = flags.get_mut(id as usize) {
                if *f == 0 {
                    touched.push(id);
                }
                *f |= bits;
            }
        }
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
        let scanners = lits.scanners().unwrap();
        assert_eq!(scanners.len(), 2);
        let mut flags = vec![0u8; lits.list.len()];
        let mut touched = Vec::new();
        scanners[0].scan("failed", &mut flags, &mut touched);
        assert_eq!(flags[fail as usize], ANY | PREFIX);
        assert_eq!(flags[ed as usize], ANY | SUFFIX);
        assert_eq!(flags[other_field as usize], 0);
        assert_eq!(touched, vec![fail, ed]);
        flags.iter_mut().for_each(|f| *f = 0);
        touched.clear();
        scanners[0].scan("FAIL", &mut flags, &mut touched);
        assert_eq!(flags[fail as usize], ANY | PREFIX | SUFFIX | EQUALS);
        // Overlapping and repeated occurrences are all seen.
        flags.iter_mut().for_each(|f| *f = 0);
        scanners[0].scan("ed fail ed", &mut flags, &mut touched);
        assert_eq!(flags[ed as usize], ANY | PREFIX | SUFFIX);
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
