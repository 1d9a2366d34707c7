//! Sigma selections → compiled trees.
//!
//! A selection is a mapping (every field must match: AND), a list of
//! mappings (any: OR), or a list of keywords (any keyword found anywhere in
//! `event.original`, case-insensitively). A field's list of values is an OR,
//! or an AND with `|all`. `field: null` means the field is absent or empty.
//! Field names go through the mapping and must be known. Each value becomes
//! a leaf [`Test`]; string tests of simple shape become literal bit tests
//! of the prefilter.

use std::net::IpAddr;

use ipnet::IpNet;
use regex::Regex;

use super::field::{self, Access};
use super::glob::{Anchor, Pattern, Shape};
use super::inject::{Kind as InjectKind, Split};
use super::modifier::{self, Op, Transform, Utf16};
use super::number::Cmp;
use super::prefilter::{self, ANY, EQUALS, Literals, Necessary, PREFIX, SUFFIX};
use super::{cidr, encoding, regex as re};
use crate::loader::yaml::{Key, Kind, Node as Yaml};
use crate::mapping::FieldMapping;

/// A compiled selection (or part of one).
#[derive(Debug, Clone)]
pub(crate) enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Leaf(Leaf),
}

/// One test of one field.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    /// Index in the matcher's field table.
    pub field: u16,
    pub test: Test,
    /// What the rule said, for explanations (`url.original|contains: 'x'`).
    pub src: Box<str>,
}

#[derive(Debug, Clone)]
pub(crate) enum Test {
    /// Decided by the prefilter: literal `lit` found with any of `need`'s
    /// position bits.
    Lit {
        lit: u32,
        need: u8,
    },
    /// A wildcard or case-sensitive pattern, checked on the value once the
    /// prefilter has found its longest literal (if it has one).
    Glob {
        pat: Pattern,
        cased: bool,
        lit: Option<u32>,
    },
    /// Present with an empty value.
    Empty,
    /// Present (`*`, `exists: true`).
    Present,
    /// Absent (`exists: false`).
    Absent,
    /// Absent or empty (`null`).
    Null,
    Regex(Regex),
    Cidr(IpNet),
    Num(Cmp, f64),
    /// `sqli`/`xss`: the tokenizer's verdict must be `want`.
    Inject {
        kind: InjectKind,
        split: Split,
        want: bool,
    },
}

impl Node {
    /// Rough evaluation cost, to test cheap things first.
    pub fn cost(&self) -> u32 {
        match self {
            Node::All(v) | Node::Any(v) => v.iter().map(Node::cost).sum(),
            Node::Leaf(l) => match l.test {
                Test::Lit { .. } => 1,
                Test::Empty | Test::Present | Test::Absent | Test::Null => 2,
                Test::Num(..) | Test::Cidr(_) => 3,
                Test::Glob { .. } => 5,
                Test::Regex(_) => 20,
                Test::Inject { .. } => 30,
            },
        }
    }

    /// Literal ids at least one of which must be found for this to match.
    pub fn necessary(&self, lits: &[prefilter::Literal]) -> Necessary {
        match self {
            Node::All(v) => prefilter::all_of(v.iter().map(|n| n.necessary(lits)), lits),
            Node::Any(v) => prefilter::any_of(v.iter().map(|n| n.necessary(lits))),
            Node::Leaf(l) => match &l.test {
                Test::Lit { lit, .. } => Some(vec![*lit]),
                Test::Glob { lit: Some(lit), .. } => Some(vec![*lit]),
                _ => None,
            },
        }
    }

    fn group(all: bool, mut items: Vec<Node>) -> Node {
        if items.len() == 1 {
            return items.remove(0);
        }
        items.sort_by_key(Node::cost);
        if all {
            Node::All(items)
        } else {
            Node::Any(items)
        }
    }
}

/// The fields rules refer to, each with its accessor.
#[derive(Debug, Default, Clone)]
pub(crate) struct FieldTable {
    pub names: Vec<String>,
    pub access: Vec<Access>,
}

impl FieldTable {
    pub fn id(&mut self, name: &str) -> Result<u16, String> {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return Ok(i as u16);
        }
        let id =
            u16::try_from(self.names.len()).map_err(|_| "too many distinct fields".to_string())?;
        self.names.push(name.to_string());
        self.access.push(Access::new(name));
        Ok(id)
    }
}

/// A rule value as YAML would show it: bare when unambiguous, else in
/// single quotes.
fn yaml_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text.trim() == text
        && !text.starts_with(['*', '&', '!', '|', '>', '[', '{', '@', '`', '-', '?', '%'])
        && !text.contains(['\'', '"', '#', '\n', '\t'])
        && !text.contains(": ");
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// A compile error: line and reason.
pub(crate) type LineError = (usize, String);

/// Compiles selections, sharing the field table and literals across rules.
pub(crate) struct Compiler<'a> {
    pub mapping: &'a FieldMapping,
    pub fields: &'a mut FieldTable,
    pub lits: &'a mut Literals,
}

impl Compiler<'_> {
    /// Compiles one selection; errors are collected, not stopped at.
    pub fn selection(&mut self, node: &Yaml, errors: &mut Vec<LineError>) -> Option<Node> {
        match &node.kind {
            Kind::Map(pairs) => self.map(node.line, pairs, errors),
            Kind::Seq(items) if items.is_empty() => {
                errors.push((node.line, "empty selection".into()));
                None
            }
            Kind::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    match &item.kind {
                        Kind::Map(pairs) => out.extend(self.map(item.line, pairs, errors)),
                        Kind::Scalar { .. } if !item.is_null() => {
                            out.extend(self.keyword(item, errors));
                        }
                        _ => errors.push((
                            item.line,
                            format!(
                                "a selection list holds mappings or keywords, found {}",
                                item.type_name()
                            ),
                        )),
                    }
                }
                (out.len() == items.len()).then(|| Node::group(false, out))
            }
            Kind::Scalar { .. } if !node.is_null() => self.keyword(node, errors),
            _ => {
                errors.push((node.line, "empty selection".into()));
                None
            }
        }
    }

    fn map(
        &mut self,
        line: usize,
        pairs: &[(Key, Yaml)],
        errors: &mut Vec<LineError>,
    ) -> Option<Node> {
        if pairs.is_empty() {
            errors.push((line, "empty selection".into()));
            return None;
        }
        let before = errors.len();
        let mut out = Vec::new();
        for (key, value) in pairs {
            match self.field(key, value) {
                Ok(n) => out.push(n),
                Err(e) => errors.push(e),
            }
        }
        (errors.len() == before).then(|| Node::group(true, out))
    }

    /// A keyword: found anywhere in the raw line.
    fn keyword(&mut self, item: &Yaml, errors: &mut Vec<LineError>) -> Option<Node> {
        let key = Key {
            text: String::new(),
            line: item.line,
        };
        match self.field(&key, item) {
            Ok(n) => Some(n),
            Err(e) => {
                errors.push(e);
                None
            }
        }
    }

    /// `field|mods: value(s)`.
    fn field(&mut self, key: &Key, value: &Yaml) -> Result<Node, LineError> {
        let at_key = |m: String| (key.line, m);
        let (name, mut mods) = modifier::parse(&key.text).map_err(at_key)?;
        // No field: a keyword search of the raw line.
        let ecs = if name.is_empty() {
            if mods.op == Op::Eq {
                mods.op = Op::Contains;
            }
            "event.original"
        } else {
            let ecs = self.mapping.map(name);
            if !field::is_known(ecs, self.mapping) {
                let shown = if ecs == name {
                    format!("`{name}`")
                } else {
                    format!("`{name}` (mapped to `{ecs}`)")
                };
                return Err(at_key(format!(
                    "unknown field {shown}: not an ECS field LogSentinel produces, not under labels./winlog./json., and not in the field mapping"
                )));
            }
            ecs
        };
        let field = self.fields.id(ecs).map_err(at_key)?;
        let access = self.fields.access.get(field as usize);
        if matches!(access, Some(Access::Decoded(_))) && matches!(mods.op, Op::Cidr | Op::Cmp(_)) {
            return Err(at_key(format!(
                "`{ecs}` is decoded text: `cidr`, `lt`, `lte`, `gt`, `gte` do not apply"
            )));
        }
        if let Op::Inject(k) = mods.op
            && access.is_some_and(Access::is_never_text)
        {
            return Err(at_key(format!(
                "`{}` needs a text field (a URL, user agent, query...), and `{ecs}` is not text",
                k.as_str()
            )));
        }
        let suffix = key.text.find('|').map_or("", |i| &key.text[i..]);
        let values: Vec<&Yaml> = match &value.kind {
            Kind::Seq(items) if items.is_empty() => {
                return Err((
                    value.line,
                    format!("`{}` has an empty list of values", key.text),
                ));
            }
            Kind::Seq(items) => items.iter().collect(),
            Kind::Map(_) => {
                return Err((
                    value.line,
                    format!(
                        "`{}` must have a value or a list of values, not a mapping",
                        key.text
                    ),
                ));
            }
            Kind::Scalar { .. } => vec![value],
        };
        if mods.op == Op::Exists && values.len() != 1 {
            return Err((value.line, "`exists` takes one value: true or false".into()));
        }
        if let Op::Inject(k) = mods.op
            && values.len() != 1
        {
            return Err((
                value.line,
                format!("`{}` takes one value: true or false", k.as_str()),
            ));
        }
        let mut leaves = Vec::with_capacity(values.len());
        for v in values {
            let text = match &v.kind {
                Kind::Scalar { text, .. } => text.as_str(),
                _ => {
                    return Err((
                        v.line,
                        format!(
                            "values of `{}` must be scalars, found {}",
                            key.text,
                            v.type_name()
                        ),
                    ));
                }
            };
            let shown = if v.is_null() {
                "null".to_string()
            } else {
                yaml_quote(text)
            };
            let src: Box<str> = format!("{ecs}{suffix}: {shown}").into();
            let at = |m: String| (v.line, m);
            let leaf = |test| {
                Node::Leaf(Leaf {
                    field,
                    test,
                    src: src.clone(),
                })
            };
            let node = match mods.op {
                Op::Exists => match v.as_bool() {
                    Some(true) => leaf(Test::Present),
                    Some(false) => leaf(Test::Absent),
                    None => return Err(at(format!("`exists` takes true or false, not `{text}`"))),
                },
                Op::Inject(kind) => match v.as_bool() {
                    Some(want) => leaf(Test::Inject {
                        kind,
                        split: Split::for_field(ecs),
                        want,
                    }),
                    None => {
                        return Err(at(format!(
                            "`{}` takes true or false, not `{text}`",
                            kind.as_str()
                        )));
                    }
                },
                _ if v.is_null() => {
                    if mods.op != Op::Eq || mods.transform != Transform::None {
                        return Err(at(format!(
                            "null only makes sense as a plain value, in `{}`",
                            key.text
                        )));
                    }
                    leaf(Test::Null)
                }
                Op::Re => leaf(Test::Regex(re::compile(text, mods.re).map_err(at)?)),
                Op::Cidr => leaf(Test::Cidr(cidr::parse(text).map_err(at)?)),
                Op::Cmp(c) => {
                    let n = super::number::parse(text).ok_or_else(|| {
                        at(format!("`{}` needs a number, not `{text}`", c.as_str()))
                    })?;
                    leaf(Test::Num(c, n))
                }
                Op::Eq | Op::Contains | Op::StartsWith | Op::EndsWith => {
                    let anchor = match mods.op {
                        Op::Contains => Anchor::Contains,
                        Op::StartsWith => Anchor::StartsWith,
                        Op::EndsWith => Anchor::EndsWith,
                        _ => Anchor::Whole,
                    };
                    let patterns = self
                        .patterns(text, (mods.transform, mods.utf16), anchor, field)
                        .map_err(at)?;
                    let variants: Vec<Node> = patterns
                        .into_iter()
                        .map(|p| leaf(self.string_test(field, p, mods.cased)))
                        .collect();
                    Node::group(false, variants)
                }
            };
            leaves.push(node);
        }
        Ok(Node::group(mods.all, leaves))
    }

    /// The patterns a string value stands for, after its transform.
    fn patterns(
        &self,
        text: &str,
        (transform, utf16): (Transform, Utf16),
        anchor: Anchor,
        field: u16,
    ) -> Result<Vec<Pattern>, String> {
        let literal_only = |what: &str| {
            if text.contains(['*', '?']) {
                Err(format!(
                    "wildcards cannot be used with `{what}` (in `{text}`)"
                ))
            } else {
                Ok(())
            }
        };
        Ok(match transform {
            Transform::None => {
                let is_ip_field = self
                    .fields
                    .access
                    .get(field as usize)
                    .is_some_and(Access::is_ip);
                // IP fields are compared as text: write rule addresses the
                // way the event prints them (`2001:DB8:0::1` → `2001:db8::1`).
                let canonical = (is_ip_field && anchor == Anchor::Whole)
                    .then(|| text.trim().parse::<IpAddr>().ok())
                    .flatten();
                match canonical {
                    Some(ip) => vec![Pattern::literal(&ip.to_string())],
                    None => vec![Pattern::sigma(text).anchored(anchor)],
                }
            }
            Transform::Base64 => {
                literal_only("base64")?;
                vec![
                    Pattern::literal(&encoding::base64(&encoding::encode(text, utf16)))
                        .anchored(anchor),
                ]
            }
            Transform::Base64Offset => {
                literal_only("base64offset")?;
                if anchor != Anchor::Contains {
                    return Err("`base64offset` must be followed by `contains`".into());
                }
                encoding::base64_offsets(&encoding::encode(text, utf16))
                    .iter()
                    .map(|s| Pattern::literal(s).anchored(anchor))
                    .collect()
            }
            Transform::Windash => encoding::windash(text)
                .iter()
                .map(|s| Pattern::sigma(s).anchored(anchor))
                .collect(),
        })
    }

    fn string_test(&mut self, field: u16, pat: Pattern, cased: bool) -> Test {
        let simple = |s: &str, need: u8| (s.to_string(), need);
        let lit = match pat.shape() {
            Shape::Any => return Test::Present,
            Shape::Equals("") => return Test::Empty,
            _ if cased => None,
            Shape::Equals(s) => Some(simple(s, EQUALS)),
            Shape::Contains(s) => Some(simple(s, ANY)),
            Shape::StartsWith(s) => Some(simple(s, PREFIX)),
            Shape::EndsWith(s) => Some(simple(s, SUFFIX)),
            Shape::General => None,
        };
        let name = self
            .fields
            .names
            .get(field as usize)
            .map_or("", String::as_str);
        match lit {
            Some((s, need)) => Test::Lit {
                lit: self.lits.intern(field, name, &s),
                need,
            },
            None => {
                let lit = pat
                    .longest_literal()
                    .map(|s| self.lits.intern(field, name, s));
                Test::Glob { pat, cased, lit }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::yaml_quote;

    #[test]
    fn values_are_shown_unambiguously() {
        assert_eq!(yaml_quote("ssh_login"), "ssh_login");
        assert_eq!(yaml_quote("/etc/passwd"), "/etc/passwd");
        assert_eq!(yaml_quote("Invalid user "), "'Invalid user '");
        assert_eq!(yaml_quote(""), "''");
        assert_eq!(yaml_quote("*admin*"), "'*admin*'");
        assert_eq!(yaml_quote("it's"), "'it''s'");
        assert_eq!(yaml_quote("a: b"), "'a: b'");
    }
}
