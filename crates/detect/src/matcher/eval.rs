//! Evaluating compiled rules on one event, three ways:
//!
//! - `fast`: from the prefilter's literal flags, touching the event only
//!   for tests the flags cannot decide (wildcards, regexes, CIDR, numbers);
//! - `naive`: straight from the field values, ignoring the prefilter (the
//!   reference semantics: tests check `fast == naive`);
//! - `explain`: the naive evaluation, narrated.

use std::cell::RefCell;

use logsentinel_core::Event;

use super::condition::Cond;
use super::decoded::DecodedFields;
use super::field::{Access, Text};
use super::glob::{contains_ci, ends_ci, starts_ci};
use super::prefilter::{ANY, EQUALS, Literal, PREFIX, SUFFIX};
use super::selection::{FieldTable, Leaf, Node, Test};
use super::{cidr, inject, number};

/// What leaf evaluation needs besides the leaf.
pub(crate) struct Ctx<'m, 'e, 'x> {
    pub fields: &'m FieldTable,
    pub lits: &'m [Literal],
    pub ev: &'e Event<'x>,
    /// Prefilter flags; `None` for the naive evaluation.
    pub flags: Option<&'m [u8]>,
    /// The event's derived fields; `None`: computed when needed.
    pub decoded: Option<&'m DecodedFields>,
    /// Recent injection verdicts; `None`: always judged afresh.
    pub verdicts: Option<&'m RefCell<inject::Verdicts>>,
}

impl Ctx<'_, '_, '_> {
    pub fn cond(&self, c: &Cond, sels: &[(String, Node)]) -> bool {
        match c {
            Cond::And(v) => v.iter().all(|c| self.cond(c, sels)),
            Cond::Or(v) => v.iter().any(|c| self.cond(c, sels)),
            Cond::Not(c) => !self.cond(c, sels),
            Cond::Sel(i) => sels.get(*i).is_some_and(|(_, n)| self.node(n)),
        }
    }

    pub fn node(&self, n: &Node) -> bool {
        match n {
            Node::All(v) => v.iter().all(|n| self.node(n)),
            Node::Any(v) => v.iter().any(|n| self.node(n)),
            // Most leaves are literal tests: one bit test, right here.
            Node::Leaf(Leaf {
                test: Test::Lit { lit, need },
                ..
            }) if self.flags.is_some() => self
                .flags
                .and_then(|f| f.get(*lit as usize))
                .is_some_and(|f| f & need != 0),
            Node::Leaf(l) => self.leaf(l),
        }
    }

    fn text(&self, l: &Leaf) -> Option<Text<'_>> {
        self.fields
            .access
            .get(l.field as usize)?
            .text_with(self.ev, self.decoded)
    }

    fn present(&self, l: &Leaf) -> bool {
        match self.fields.access.get(l.field as usize) {
            Some(Access::Decoded(_)) => self.text(l).is_some(),
            Some(a) => a.get(self.ev).is_some(),
            None => false,
        }
    }

    #[inline]
    pub fn leaf(&self, l: &Leaf) -> bool {
        let value = || {
            self.fields
                .access
                .get(l.field as usize)
                .and_then(|a| a.get(self.ev))
        };
        match &l.test {
            Test::Lit { lit, need } => match self.flags {
                Some(flags) => flags.get(*lit as usize).is_some_and(|f| f & need != 0),
                None => {
                    let (Some(text), Some(p)) = (self.text(l), self.lits.get(*lit as usize)) else {
                        return false;
                    };
                    let p = p.text.as_str();
                    match *need {
                        EQUALS => text.eq_ignore_ascii_case(p),
                        PREFIX => starts_ci(&text, p),
                        SUFFIX => ends_ci(&text, p),
                        ANY => contains_ci(&text, p),
                        _ => false,
                    }
                }
            },
            Test::Glob { pat, cased, lit } => {
                if let (Some(flags), Some(lit)) = (self.flags, lit)
                    && flags.get(*lit as usize).is_none_or(|&f| f == 0)
                {
                    return false;
                }
                self.text(l).is_some_and(|t| pat.matches(&t, *cased))
            }
            Test::Empty => self.text(l).is_some_and(|t| t.is_empty()),
            Test::Present => self.present(l),
            Test::Absent => !self.present(l),
            Test::Null => self.text(l).is_none_or(|t| t.is_empty()),
            Test::Regex(re) => self.text(l).is_some_and(|t| re.is_match(&t)),
            Test::Cidr(net) => value().is_some_and(|v| cidr::contains(net, v)),
            Test::Num(cmp, n) => value()
                .and_then(number::of)
                .is_some_and(|v| cmp.holds(v, *n)),
            Test::Inject { kind, split, want } => {
                self.text(l).is_some_and(|t| {
                    match self.verdicts.and_then(|v| v.try_borrow_mut().ok()) {
                        Some(mut memo) => memo.holds(*kind, *split, &t),
                        None => inject::holds(*kind, *split, &t),
                    }
                }) == *want
            }
        }
    }

    /// Narrates the naive evaluation of a selection tree into `out`.
    pub fn explain_node(&self, n: &Node, depth: usize, out: &mut Vec<String>) -> bool {
        let pad = "  ".repeat(depth);
        match n {
            Node::All(v) | Node::Any(v) => {
                let all = matches!(n, Node::All(_));
                let at = out.len();
                out.push(String::new());
                let results: Vec<bool> = v
                    .iter()
                    .map(|c| self.explain_node(c, depth + 1, out))
                    .collect();
                let r = if all {
                    results.iter().all(|&b| b)
                } else {
                    results.iter().any(|&b| b)
                };
                if let Some(line) = out.get_mut(at) {
                    *line = format!(
                        "{pad}{} ({}):",
                        if all { "all of" } else { "any of" },
                        yes_no(r)
                    );
                }
                r
            }
            Node::Leaf(l) => {
                let r = self.leaf(l);
                let name = self
                    .fields
                    .names
                    .get(l.field as usize)
                    .map_or("?", String::as_str);
                let seen = match self
                    .fields
                    .access
                    .get(l.field as usize)
                    .and_then(|a| a.text_with(self.ev, self.decoded))
                {
                    Some(t) => format!("{name} = {}", quote(&t)),
                    None => format!("{name} is absent"),
                };
                out.push(format!("{pad}{} => {} ({seen})", l.src, yes_no(r)));
                r
            }
        }
    }
}

pub(crate) fn yes_no(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// A value for display: quoted, control characters escaped, capped.
pub(crate) fn quote(s: &str) -> String {
    const CAP: usize = 200;
    let mut out = String::with_capacity(s.len().min(CAP) + 2);
    out.push('"');
    for (n, c) in s.chars().enumerate() {
        if n == CAP {
            out.push_str("...");
            break;
        }
        out.extend(c.escape_debug());
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\n"), r#""a\"b\n""#);
        let long = "é".repeat(300);
        let q = quote(&long);
        assert!(q.ends_with("...\"") && q.chars().count() == 200 + 5);
    }
}
