//! Sigma `condition` expressions: selection names combined with `and`,
//! `or`, `not` and parentheses, plus `1 of sel_*`, `all of sel_*`,
//! `1 of them`, `all of them` (`them` leaves out names starting with `_`).
//! Precedence: `not` > `and` > `or`. Aggregations (`| count() > 5`) are
//! refused: counting is what correlation rules are for.

/// A parsed condition over selections (by index in the rule's list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Sel(usize),
}

const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok<'s> {
    Open,
    Close,
    Word(&'s str),
}

fn tokenize(src: &str) -> Result<Vec<Tok<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = src;
    loop {
        rest = rest.trim_start();
        let Some(c) = rest.chars().next() else {
            return Ok(out);
        };
        match c {
            '(' => {
                out.push(Tok::Open);
                rest = &rest[1..];
            }
            ')' => {
                out.push(Tok::Close);
                rest = &rest[1..];
            }
            '|' => {
                return Err(
                    "aggregations in conditions (`| count() ...`) are not supported; write a correlation rule instead"
                        .into(),
                );
            }
            _ => {
                let end = rest
                    .find(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '|')
                    .unwrap_or(rest.len());
                let word = &rest[..end];
                if let Some(bad) = word
                    .chars()
                    .find(|&c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '*')))
                {
                    return Err(format!("unexpected character `{bad}` in condition"));
                }
                out.push(Tok::Word(word));
                rest = &rest[end..];
            }
        }
    }
}

struct Parser<'a, 's> {
    toks: Vec<Tok<'s>>,
    pos: usize,
    names: &'a [&'a str],
}

fn is_kw(w: &str, kw: &str) -> bool {
    w.eq_ignore_ascii_case(kw)
}

impl<'s> Parser<'_, 's> {
    fn peek_word(&self) -> Option<&'s str> {
        match self.toks.get(self.pos) {
            Some(Tok::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn or(&mut self, depth: usize) -> Result<Cond, String> {
        let mut items = vec![self.and(depth)?];
        while self.peek_word().is_some_and(|w| is_kw(w, "or")) {
            self.pos += 1;
            items.push(self.and(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Cond, String> {
        let mut items = vec![self.not(depth)?];
        while self.peek_word().is_some_and(|w| is_kw(w, "and")) {
            self.pos += 1;
            items.push(self.not(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn not(&mut self, depth: usize) -> Result<Cond, String> {
        if depth > MAX_DEPTH {
            return Err("condition is nested too deeply".into());
        }
        if self.peek_word().is_some_and(|w| is_kw(w, "not")) {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not(depth + 1)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Cond, String> {
        match self.toks.get(self.pos).cloned() {
            None => Err("condition ends too early".into()),
            Some(Tok::Close) => Err("unexpected `)` in condition".into()),
            Some(Tok::Open) => {
                self.pos += 1;
                let inner = self.or(depth + 1)?;
                if self.toks.get(self.pos) != Some(&Tok::Close) {
                    return Err("missing `)` in condition".into());
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Tok::Word(w)) => {
                self.pos += 1;
                let quantifier = if w == "1" || is_kw(w, "any") {
                    Some(false)
                } else if is_kw(w, "all") {
                    Some(true)
                } else if w.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!(
                        "`{w} of` is not supported (only `1 of` and `all of`)"
                    ));
                } else {
                    None
                };
                if let Some(all) = quantifier {
                    if !self.peek_word().is_some_and(|w| is_kw(w, "of")) {
                        return Err(format!("expected `of` after `{w}` in condition"));
                    }
                    self.pos += 1;
                    let Some(target) = self.peek_word() else {
                        return Err(format!(
                            "expected a selection name or `them` after `{w} of`"
                        ));
                    };
                    self.pos += 1;
                    let picked = self.pick(target)?;
                    let items: Vec<Cond> = picked.into_iter().map(Cond::Sel).collect();
                    return Ok(match (items.len(), all) {
                        (1, _) => items.into_iter().next().unwrap_or(Cond::Sel(0)),
                        (_, true) => Cond::And(items),
                        (_, false) => Cond::Or(items),
                    });
                }
                if ["and", "or", "of", "them"].iter().any(|k| is_kw(w, k)) {
                    return Err(format!("unexpected `{w}` in condition"));
                }
                if w.contains('*') {
                    return Err(format!("wildcard `{w}` needs `1 of` or `all of` in front"));
                }
                self.names
                    .iter()
                    .position(|n| *n == w)
                    .map(Cond::Sel)
                    .ok_or_else(|| format!("condition references undefined selection `{w}`"))
            }
        }
    }

    /// Selections named by `them` or a (wildcard) name.
    fn pick(&self, target: &str) -> Result<Vec<usize>, String> {
        let picked: Vec<usize> = if is_kw(target, "them") {
            (0..self.names.len())
                .filter(|&i| !self.names.get(i).is_some_and(|n| n.starts_with('_')))
                .collect()
        } else {
            let pat = super::glob::Pattern::sigma(target);
            (0..self.names.len())
                .filter(|&i| self.names.get(i).is_some_and(|n| pat.matches(n, true)))
                .collect()
        };
        if picked.is_empty() {
            return Err(format!("`{target}` in condition matches no selection"));
        }
        Ok(picked)
    }
}

/// Parses `src` over the selection `names`.
pub(crate) fn parse(src: &str, names: &[&str]) -> Result<Cond, String> {
    let toks = tokenize(src)?;
    if toks.is_empty() {
        return Err("condition is empty".into());
    }
    let mut p = Parser {
        toks,
        pos: 0,
        names,
    };
    let cond = p.or(0)?;
    match p.toks.get(p.pos) {
        None => Ok(cond),
        Some(Tok::Close) => Err("unexpected `)` in condition".into()),
        Some(Tok::Open) => Err("unexpected `(` in condition".into()),
        Some(Tok::Word(w)) => Err(format!(
            "unexpected `{w}` in condition (missing `and`/`or`?)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Cond::*;

    const NAMES: &[&str] = &["selection", "filter", "sel_a", "sel_b", "_helper"];

    #[test]
    fn forms() {
        let table: &[(&str, Cond)] = &[
            ("selection", Sel(0)),
            (
                "selection and not filter",
                And(vec![Sel(0), Not(Box::new(Sel(1)))]),
            ),
            (
                "selection or filter and sel_a",
                Or(vec![Sel(0), And(vec![Sel(1), Sel(2)])]),
            ),
            (
                "(selection or filter) and sel_a",
                And(vec![Or(vec![Sel(0), Sel(1)]), Sel(2)]),
            ),
            ("not not selection", Not(Box::new(Not(Box::new(Sel(0)))))),
            ("1 of sel_*", Or(vec![Sel(2), Sel(3)])),
            ("any of sel_*", Or(vec![Sel(2), Sel(3)])),
            ("all of sel_*", And(vec![Sel(2), Sel(3)])),
            ("1 of them", Or(vec![Sel(0), Sel(1), Sel(2), Sel(3)])),
            ("all of them", And(vec![Sel(0), Sel(1), Sel(2), Sel(3)])),
            ("1 of _h*", Sel(4)),
            (
                "selection AND NOT filter",
                And(vec![Sel(0), Not(Box::new(Sel(1)))]),
            ),
            (
                "all of sel_* and not 1 of filter",
                And(vec![And(vec![Sel(2), Sel(3)]), Not(Box::new(Sel(1)))]),
            ),
            ("((selection))", Sel(0)),
        ];
        for (src, want) in table {
            assert_eq!(&parse(src, NAMES).unwrap(), want, "{src}");
        }
    }

    #[test]
    fn malformed() {
        for (src, msg) in [
            ("", "empty"),
            ("selection and", "ends too early"),
            ("selection filter", "missing `and`/`or`"),
            ("(selection", "missing `)`"),
            ("selection)", "unexpected `)`"),
            ("nope", "undefined selection `nope`"),
            ("1 of nope*", "matches no selection"),
            ("2 of sel_*", "not supported"),
            ("1 sel_*", "expected `of`"),
            ("selection | count() > 5", "aggregations"),
            ("sel_*", "needs `1 of`"),
            ("selection and or filter", "unexpected `or`"),
            ("selection = 1", "unexpected character `=`"),
            ("1 of", "expected a selection name"),
        ] {
            let e = parse(src, NAMES).unwrap_err();
            assert!(e.contains(msg), "{src:?}: {e}");
        }
        let deep = format!("{}selection{}", "(".repeat(500), ")".repeat(500));
        assert!(parse(&deep, NAMES).unwrap_err().contains("too deeply"));
        let nots = format!("{}selection", "not ".repeat(500));
        assert!(parse(&nots, NAMES).unwrap_err().contains("too deeply"));
    }
}
