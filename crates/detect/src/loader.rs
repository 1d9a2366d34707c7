//! Sigma YAML → [`RuleSet`]: rules, resolved correlations and the compiled
//! matcher.
//!
//! Loading checks everything once, so that matching never has to: required
//! keys (`title`, `level`, `category`, `detection` or `correlation`), known
//! field names (after the mapping), modifiers, regexes, CIDRs, conditions,
//! ATT&CK tags, unique `name`/`id`, correlation references (chains allowed,
//! cycles refused). Every problem found is reported as `file:line: reason`,
//! all of them at once. Several rules may share a file (`---`).
//!
//! Rule file keys: the Sigma ones (`title`, `id`, `name`, `status`,
//! `description`, `author`, `date`, `modified`, `references`, `tags`,
//! `logsource`, `level`, `falsepositives`, `fields`, `related`, `license`,
//! `taxonomy`, `scope`, `detection`, `correlation`) and LogSentinel's
//! (`category`, `suppress-by`, `samples`). Any other key is refused, to
//! catch typos.

mod correlation;
mod resolve;
pub(crate) mod yaml;

use std::collections::HashSet;

use logsentinel_core::Event;

use crate::attack;
use crate::error::DetectError;
use crate::mapping::FieldMapping;
pub use crate::matcher::MatchScratch;
use crate::matcher::decoded::is_derived;
use crate::matcher::field::is_member;
use crate::matcher::{Matcher, MatcherBuilder};
use crate::rule::{Level, Rule, RuleCategory, RuleOrigin, Samples};
use yaml::{Kind, Node};

/// The text of one rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSource {
    /// Shown in errors and `RuleOrigin` (a path, or `builtin:NAME.yml`).
    pub name: String,
    pub text: String,
}

/// Loaded rules and their compiled matcher.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub(crate) matcher: Matcher,
}

const SIGMA_KEYS: &[&str] = &[
    "title",
    "id",
    "name",
    "status",
    "description",
    "author",
    "date",
    "modified",
    "references",
    "tags",
    "logsource",
    "level",
    "falsepositives",
    "fields",
    "related",
    "license",
    "taxonomy",
    "scope",
    "detection",
    "correlation",
    "category",
    "suppress-by",
    "samples",
];

const DEFAULT_SUPPRESS_BY: [&str; 2] = ["source.ip", "user.name"];

type LineError = (usize, String);

/// Loader-only facts about a rule, for the checks across rules.
struct Pending {
    file: usize,
    name_line: usize,
    id_line: usize,
    corr: Option<correlation::PendingCorr>,
}

impl RuleSet {
    /// Loads every rule of `sources`. On failure, every error found, each
    /// `file:line: reason`.
    pub fn load(
        sources: &[RuleSource],
        mapping: &FieldMapping,
    ) -> Result<RuleSet, Vec<DetectError>> {
        let mut errors: Vec<DetectError> = Vec::new();
        let mut rules: Vec<Rule> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        let mut failed: HashSet<String> = HashSet::new();
        let mut builder = MatcherBuilder::default();
        for (fi, src) in sources.iter().enumerate() {
            let docs = match yaml::parse_documents(&src.text) {
                Ok(d) => d,
                Err(e) => {
                    errors.push(DetectError::rule(&src.name, e.line, e.message));
                    continue;
                }
            };
            for doc in &docs {
                let mut errs = Vec::new();
                let parsed = parse_rule(
                    doc,
                    &src.name,
                    fi,
                    mapping,
                    rules.len(),
                    &mut builder,
                    &mut errs,
                );
                match parsed {
                    Some((rule, p)) if errs.is_empty() => {
                        rules.push(rule);
                        pending.push(p);
                    }
                    _ => {
                        for key in ["name", "id"] {
                            if let Some(v) = doc.get(key).and_then(Node::as_str) {
                                failed.insert(v.to_string());
                            }
                        }
                        errors.extend(
                            errs.into_iter()
                                .map(|(l, m)| DetectError::rule(&src.name, l, m)),
                        );
                    }
                }
            }
        }
        let file_of = |i: usize| sources.get(i).map_or("?", |s| s.name.as_str());
        resolve::resolve(&mut rules, &pending, &failed, file_of, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        let matcher = builder
            .build()
            .map_err(|e| vec![DetectError::Config(format!("rule set: {e}"))])?;
        Ok(RuleSet { rules, matcher })
    }

    /// The embedded rule set (`rules/*.yml`) with the embedded mapping.
    pub fn builtin() -> Result<RuleSet, Vec<DetectError>> {
        RuleSet::load(&RuleSet::builtin_sources(), &FieldMapping::builtin())
    }

    /// The embedded rule files, so a caller can load them together with
    /// its own (`load(builtin + user dir)`).
    pub fn builtin_sources() -> Vec<RuleSource> {
        crate::builtin::sources()
    }

    /// A rule by id, name or title (ASCII case-insensitive), in that order
    /// of preference.
    pub fn find(&self, key: &str) -> Option<usize> {
        let key = key.trim();
        if key.is_empty() {
            return None;
        }
        let by = |f: fn(&Rule) -> &str| {
            self.rules
                .iter()
                .position(|r| f(r).eq_ignore_ascii_case(key))
        };
        by(|r| &r.id)
            .or_else(|| by(|r| &r.name))
            .or_else(|| by(|r| &r.title))
    }

    /// Indexes of detection (non-correlation) rules whose detection matches
    /// `ev`, ascending, into `out` (cleared first). Ignores `enabled`.
    pub fn matching_rules(&self, ev: &Event<'_>, scratch: &mut MatchScratch, out: &mut Vec<usize>) {
        self.matcher.matching_rules(ev, scratch, out);
    }

    /// Human-readable reasons a detection rule matches `ev` (or not): the
    /// condition, then each selection and each of its tests with the field
    /// values seen.
    pub fn explain(&self, rule: usize, ev: &Event<'_>) -> Vec<String> {
        let Some(r) = self.rules.get(rule) else {
            return vec![format!("no rule #{rule}")];
        };
        let label = if r.name.is_empty() { &r.title } else { &r.name };
        if let Some(c) = &r.correlation {
            let refs: Vec<&str> = c
                .rules
                .iter()
                .filter_map(|&i| self.rules.get(i))
                .map(Rule::reference)
                .collect();
            return vec![format!(
                "`{label}` is a correlation rule ({:?} over [{}]): it matches sequences of events, not single events",
                c.kind,
                refs.join(", ")
            )];
        }
        let mut lines = self.matcher.explain(rule, ev);
        let verdict = match self.matcher.matches_naive(rule, ev) {
            Some(true) => "matches",
            _ => "does not match",
        };
        lines.insert(0, format!("rule `{label}` {verdict}"));
        lines
    }

    /// The reference (unfiltered) evaluation of a detection rule; for tests
    /// of the prefilter.
    #[doc(hidden)]
    pub fn matches_naive(&self, rule: usize, ev: &Event<'_>) -> Option<bool> {
        self.matcher.matches_naive(rule, ev)
    }

    /// Number of distinct literals in the prefilter (for `rules list`
    /// statistics and benchmarks).
    pub fn literal_count(&self) -> usize {
        self.matcher.literal_count()
    }
}

fn scalar(node: &Node, what: &str) -> Result<String, LineError> {
    match &node.kind {
        Kind::Scalar { text, .. } if !node.is_null() => Ok(text.clone()),
        _ => Err((
            node.line,
            format!("`{what}` must be a string, found {}", node.type_name()),
        )),
    }
}

/// A list of strings, or one string.
fn scalar_list(node: &Node, what: &str) -> Result<Vec<String>, LineError> {
    match &node.kind {
        Kind::Seq(items) => items.iter().map(|i| scalar(i, what)).collect(),
        _ if node.is_null() => Ok(Vec::new()),
        _ => Ok(vec![scalar(node, what)?]),
    }
}

/// Mapped, known field names.
fn field_list(node: &Node, what: &str, mapping: &FieldMapping) -> Result<Vec<String>, LineError> {
    let names = scalar_list(node, what)?;
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        out.push(known_field(&n, node.line, mapping)?);
    }
    Ok(out)
}

/// A field signals can capture (`group-by`, `suppress-by`, `field`):
/// an event member, not a derived field.
fn known_field(name: &str, line: usize, mapping: &FieldMapping) -> Result<String, LineError> {
    let ecs = mapping.map(name.trim());
    if is_member(ecs, mapping) {
        Ok(ecs.to_string())
    } else if is_derived(ecs) {
        Err((
            line,
            format!(
                "`{name}` is a decoded field, which only detections can match; group and count by the raw field (e.g. `url.original`)"
            ),
        ))
    } else {
        Err((line, format!("unknown field `{name}`")))
    }
}

fn is_snake_case(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
}

/// One YAML document → a rule (detection compiled into `builder` as rule
/// number `index`). Errors go to `errs`; the rule is only usable when
/// `errs` stays empty.
fn parse_rule(
    doc: &Node,
    file: &str,
    file_index: usize,
    mapping: &FieldMapping,
    index: usize,
    builder: &mut MatcherBuilder,
    errs: &mut Vec<LineError>,
) -> Option<(Rule, Pending)> {
    let Some(pairs) = doc.as_map() else {
        errs.push((
            doc.line,
            format!("a rule must be a mapping, found {}", doc.type_name()),
        ));
        return None;
    };
    for (key, _) in pairs {
        if !SIGMA_KEYS.contains(&key.text.as_str()) {
            let hint = match key.text.as_str() {
                "action" => {
                    " (Sigma rule collections with `action:` are not supported; write each rule in full)"
                }
                "filter" => " (Sigma filter rules are not supported)",
                "generate" => " (`generate` belongs inside `correlation:`)",
                _ => "",
            };
            errs.push((key.line, format!("unknown key `{}`{hint}", key.text)));
        }
    }
    let key_line = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key.text == k)
            .map(|(key, _)| key.line)
    };
    let text_of = |key: &str, errs: &mut Vec<LineError>| {
        doc.get(key)
            .and_then(|n| scalar(n, key).map_err(|e| errs.push(e)).ok())
    };
    let title = text_of("title", errs).unwrap_or_default();
    if doc.get("title").is_none() {
        errs.push((doc.line, "missing `title`".into()));
    }
    let id = text_of("id", errs).unwrap_or_default();
    let name = text_of("name", errs).unwrap_or_default();
    let description = text_of("description", errs).unwrap_or_default();
    text_of("status", errs);
    if !name.is_empty() && !is_snake_case(&name) {
        errs.push((
            key_line("name").unwrap_or(doc.line),
            format!("`name` must be snake_case (a-z, 0-9, _), not `{name}`"),
        ));
    }
    let level = match doc.get("level") {
        None => {
            errs.push((doc.line, "missing `level`".into()));
            None
        }
        Some(n) => match n.as_str().and_then(Level::parse) {
            Some(l) => Some(l),
            None => {
                errs.push((
                    n.line,
                    format!(
                        "invalid `level` `{}` (informational, low, medium, high, critical)",
                        n.as_str().unwrap_or("")
                    ),
                ));
                None
            }
        },
    };
    // `category` is our extension: a standard Sigma rule has none, and
    // gets one from its ATT&CK tags below.
    let category = match doc.get("category") {
        None => Some(None),
        Some(n) => match n.as_str().and_then(RuleCategory::parse) {
            Some(c) => Some(Some(c)),
            None => {
                let all: Vec<&str> = RuleCategory::ALL.iter().map(|c| c.as_str()).collect();
                errs.push((
                    n.line,
                    format!(
                        "invalid `category` `{}` (one of: {})",
                        n.as_str().unwrap_or(""),
                        all.join(", ")
                    ),
                ));
                None
            }
        },
    };
    let list = |k: &str, errs: &mut Vec<LineError>| match doc.get(k) {
        Some(n) => scalar_list(n, k)
            .map_err(|e| errs.push(e))
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let tags = list("tags", errs);
    let falsepositives = list("falsepositives", errs);
    let references = list("references", errs);
    let (techniques, tactics) = attack_tags(&tags, key_line("tags").unwrap_or(doc.line), errs);
    let category =
        category.map(|c| c.unwrap_or_else(|| RuleCategory::from_attack(&techniques, &tactics)));
    if let Some(n) = doc.get("logsource")
        && n.as_map().is_none()
        && !n.is_null()
    {
        errs.push((n.line, "`logsource` must be a mapping".into()));
    }
    let samples = doc
        .get("samples")
        .map(|n| parse_samples(n, errs))
        .unwrap_or_default();

    let mut pending = Pending {
        file: file_index,
        name_line: key_line("name").unwrap_or(doc.line),
        id_line: key_line("id").unwrap_or(doc.line),
        corr: None,
    };
    let correlation = match (doc.get("detection"), doc.get("correlation")) {
        (Some(_), Some(c)) => {
            errs.push((
                c.line,
                "a rule has either `detection` or `correlation`, not both".into(),
            ));
            None
        }
        (None, None) => {
            errs.push((doc.line, "missing `detection` (or `correlation`)".into()));
            None
        }
        (Some(d), None) => {
            builder.add_detection(index, d, mapping, errs);
            None
        }
        (None, Some(c)) => correlation::parse_correlation(c, mapping, errs).map(|(spec, p)| {
            pending.corr = Some(p);
            spec
        }),
    };
    let suppress_by = match (doc.get("suppress-by"), &correlation) {
        (Some(n), Some(_)) => {
            errs.push((
                n.line,
                "`suppress-by` does not apply to correlation rules (their alerts are keyed by `group-by`)".into(),
            ));
            Vec::new()
        }
        (Some(n), None) => field_list(n, "suppress-by", mapping)
            .map_err(|e| errs.push(e))
            .unwrap_or_default(),
        (None, Some(c)) => c.group_by.clone(),
        (None, None) => DEFAULT_SUPPRESS_BY.iter().map(|s| s.to_string()).collect(),
    };
    let rule = Rule {
        id,
        name,
        title,
        description,
        level: level?,
        category: category?,
        techniques,
        tactics,
        tags,
        falsepositives,
        references,
        samples,
        origin: RuleOrigin {
            file: file.to_string(),
            line: doc.line,
        },
        correlation,
        suppress_by,
        enabled: true,
    };
    Some((rule, pending))
}

/// `attack.tNNNN[.NNN]` → techniques (validated, uppercase); `attack.<tactic>`
/// → tactics; plus each technique's own tactics. Groups and software
/// (`attack.g0016`, `attack.s0002`) are accepted as they are.
fn attack_tags(
    tags: &[String],
    line: usize,
    errs: &mut Vec<LineError>,
) -> (Vec<String>, Vec<String>) {
    let mut techniques: Vec<String> = Vec::new();
    let mut tactics: Vec<String> = Vec::new();
    let mut technique_tactics: Vec<String> = Vec::new();
    for tag in tags {
        let lower = tag.trim().to_ascii_lowercase();
        let Some(rest) = lower.strip_prefix("attack.") else {
            continue;
        };
        let b = rest.as_bytes();
        let numbered = |p: u8| b.first() == Some(&p) && b.get(1).is_some_and(u8::is_ascii_digit);
        if numbered(b't') {
            match attack::technique(rest) {
                Some(t) => {
                    if !techniques.iter().any(|x| x == t.id) {
                        techniques.push(t.id.to_string());
                    }
                    technique_tactics.extend(t.tactics.iter().map(|s| s.to_string()));
                }
                None => errs.push((
                    line,
                    format!(
                        "unknown ATT&CK technique `{}` in tag `{tag}` (ATT&CK {})",
                        rest.to_ascii_uppercase(),
                        attack::ATTACK_VERSION
                    ),
                )),
            }
        } else if numbered(b'g') || numbered(b's') {
            // Groups and software: not mapped.
        } else {
            match attack::tactic(rest) {
                Some(t) => tactics.push(t.id.to_string()),
                None => errs.push((line, format!("unknown ATT&CK tactic in tag `{tag}`"))),
            }
        }
    }
    for t in technique_tactics {
        tactics.push(t);
    }
    let mut seen = HashSet::new();
    tactics.retain(|t| seen.insert(t.clone()));
    (techniques, tactics)
}

fn parse_samples(node: &Node, errs: &mut Vec<LineError>) -> Samples {
    let mut s = Samples::default();
    let Some(pairs) = node.as_map() else {
        errs.push((
            node.line,
            "`samples` must be a mapping with `positive` and `negative` lists".into(),
        ));
        return s;
    };
    for (key, value) in pairs {
        let blocks = match scalar_list(value, &format!("samples.{}", key.text)) {
            Ok(b) => b,
            Err(e) => {
                errs.push(e);
                continue;
            }
        };
        match key.text.as_str() {
            "positive" => s.positive = blocks,
            "negative" => s.negative = blocks,
            other => errs.push((
                key.line,
                format!("unknown key `{other}` in `samples` (positive, negative)"),
            )),
        }
    }
    s
}

#[cfg(test)]
mod tests;
