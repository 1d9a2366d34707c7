//! A small YAML tree with line numbers, built from `saphyr-parser` events.
//!
//! Rules need two things a generic YAML value does not keep: the line of
//! every key and value (errors say `file:line`), and the scalar's text as
//! written (`0xC000006D` must stay a string, not become an integer). So
//! scalars are kept as text plus whether they were plain (unquoted); the
//! few plain words YAML gives a meaning (`null`, `~`, `true`, `false`) are
//! recognised on demand. Aliases are refused (rules do not need them and
//! they are how "billion laughs" documents blow up); duplicate keys are
//! refused.

use saphyr_parser::{Event, Parser, ScalarStyle};

/// One YAML node and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub line: usize,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// A scalar as written; `plain` when it was not quoted nor a block.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    /// Keys in document order, each with its own line.
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    pub text: String,
    pub line: usize,
}

/// A YAML syntax error: line and reason.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    pub line: usize,
    pub message: String,
}

impl Node {
    /// The scalar's text when this is a non-null scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, .. } if !self.is_null() => Some(text),
            _ => None,
        }
    }

    /// Plain `null`, `~` or nothing at all.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, plain: true }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// Plain `true`/`false` (YAML 1.2 core schema spellings).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Kind::Scalar { text, plain: true } => match text.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    #[cfg(test)]
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(_, v)| v)
    }

    /// A short name of the node's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar { .. } if self.is_null() => "null",
            Kind::Scalar { .. } => "a scalar",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }
}

/// Deeper nesting than any rule needs is refused (it would only cost
/// stack).
const MAX_DEPTH: usize = 32;

/// Parses every document of `text`. Empty documents (a lone `---`, a file
/// of comments) are skipped.
pub(crate) fn parse_documents(text: &str) -> Result<Vec<Node>, SyntaxError> {
    let mut docs = Vec::new();
    // Open containers; a map collects (key, value) pairs and holds a key
    // while its value is being built.
    enum Open {
        Seq(usize, Vec<Node>),
        Map(usize, Vec<(Key, Node)>, Option<Key>),
    }
    let mut stack: Vec<Open> = Vec::new();
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| SyntaxError {
            line: e.marker().line().max(1),
            message: format!("invalid YAML: {}", e.info()),
        })?;
        let line = span.start.line().max(1);
        let done = match event {
            Event::Scalar(value, style, _, _) => Node {
                line,
                kind: Kind::Scalar {
                    text: value.into_owned(),
                    plain: style == ScalarStyle::Plain,
                },
            },
            Event::SequenceStart(..) | Event::MappingStart(..) if stack.len() >= MAX_DEPTH => {
                return Err(SyntaxError {
                    line,
                    message: format!("YAML nested more than {MAX_DEPTH} levels deep"),
                });
            }
            Event::SequenceStart(..) => {
                stack.push(Open::Seq(line, Vec::new()));
                continue;
            }
            Event::MappingStart(..) => {
                stack.push(Open::Map(line, Vec::new(), None));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Seq(l, items)) => Node {
                    line: l,
                    kind: Kind::Seq(items),
                },
                Some(Open::Map(l, pairs, _)) => Node {
                    line: l,
                    kind: Kind::Map(pairs),
                },
                None => continue,
            },
            Event::Alias(_) => {
                return Err(SyntaxError {
                    line,
                    message: "YAML aliases (`*name`) are not supported in rules".into(),
                });
            }
            _ => continue,
        };
        match stack.last_mut() {
            None => {
                if !done.is_null() {
                    docs.push(done);
                }
            }
            Some(Open::Seq(_, items)) => items.push(done),
            Some(Open::Map(_, pairs, pending)) => match pending.take() {
                None => {
                    let Kind::Scalar { text, .. } = done.kind else {
                        return Err(SyntaxError {
                            line: done.line,
                            message: "mapping keys must be plain strings".into(),
                        });
                    };
                    if pairs.iter().any(|(k, _)| k.text == text) {
                        return Err(SyntaxError {
                            line: done.line,
                            message: format!("duplicate key `{text}`"),
                        });
                    }
                    *pending = Some(Key {
                        text,
                        line: done.line,
                    });
                }
                Some(key) => pairs.push((key, done)),
            },
        }
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(n: &Node) -> (&str, bool) {
        match &n.kind {
            Kind::Scalar { text, plain } => (text, *plain),
            _ => panic!("not a scalar: {n:?}"),
        }
    }

    #[test]
    fn keys_and_values_have_lines() {
        let docs = parse_documents(
            "title: SSH\n\
             detection:\n  sel:\n    EventID: 0xC000006D\n    user: 'root'\n  condition: sel\n",
        )
        .unwrap();
        assert_eq!(docs.len(), 1);
        let map = docs[0].as_map().unwrap();
        assert_eq!(map[0].0.text, "title");
        assert_eq!(map[0].0.line, 1);
        assert_eq!(map[1].0.line, 2);
        let sel = docs[0].get("detection").unwrap().get("sel").unwrap();
        let pairs = sel.as_map().unwrap();
        assert_eq!(pairs[0].0.line, 4);
        // Kept as written, not turned into an integer.
        assert_eq!(scalar(&pairs[0].1), ("0xC000006D", true));
        assert_eq!(scalar(&pairs[1].1), ("root", false));
        assert_eq!(pairs[1].1.line, 5);
    }

    #[test]
    fn several_documents_and_empty_ones() {
        let docs = parse_documents("a: 1\n---\n---\nb: [x, y]\n...\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].line, 4);
        assert_eq!(docs[1].get("b").unwrap().as_seq().unwrap().len(), 2);
        assert!(parse_documents("# only a comment\n").unwrap().is_empty());
    }

    #[test]
    fn nulls_bools_and_blocks() {
        let docs =
            parse_documents("a: ~\nb: null\nc: 'null'\nd: true\ne: |\n  l1\n  l2\nf:\n").unwrap();
        let d = &docs[0];
        assert!(d.get("a").unwrap().is_null());
        assert!(d.get("b").unwrap().is_null());
        assert!(!d.get("c").unwrap().is_null());
        assert_eq!(d.get("d").unwrap().as_bool(), Some(true));
        assert_eq!(d.get("e").unwrap().as_str(), Some("l1\nl2\n"));
        assert!(d.get("f").unwrap().is_null());
        assert_eq!(d.get("e").unwrap().type_name(), "a scalar");
    }

    #[test]
    fn malformed() {
        let e = parse_documents("a: 1\nb: [x,\n").unwrap_err();
        assert!(e.message.starts_with("invalid YAML"), "{e:?}");
        let e = parse_documents("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (3, "duplicate key `a`"));
        let e = parse_documents("a: &x 1\nb: *x\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse_documents("? [a, b]\n: 1\n").unwrap_err();
        assert!(e.message.contains("plain strings"));
        // Deep nesting is refused, not a stack overflow.
        let deep = format!("{}x\n", "- ".repeat(100_000));
        assert!(
            parse_documents(&deep)
                .unwrap_err()
                .message
                .contains("nested more than")
        );
        let deep = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_documents(&deep).is_err());
        // Garbage never panics.
        for s in ["\u{0}", "\t- :", "{{{{", "- - - -\n  ]", "a: \"\\u{zz}\""] {
            let _ = parse_documents(s);
        }
    }
}
