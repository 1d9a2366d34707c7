//! The `correlation:` block of a rule (Sigma correlation rules v2):
//! `type`, `rules`, `aliases`, `group-by`, `timespan`, `condition`,
//! `generate`. Field names go through the mapping; references (in `rules`
//! and in `aliases`) stay names here and are resolved across all files by
//! `resolve`.

use std::time::Duration;

use super::yaml::{Kind, Node};
use super::{LineError, known_field, scalar, scalar_list};
use crate::mapping::FieldMapping;
use crate::rule::{CorrelationSpec, CorrelationType, FieldAlias, Threshold};

/// The referenced rules, as written, with their lines.
pub(super) struct PendingCorr {
    pub refs: Vec<(String, usize)>,
    pub rules_line: usize,
    /// The rules named in `aliases`, to resolve with the others.
    pub alias_refs: Vec<AliasRef>,
}

/// `<alias>: {<rule>: <field>}`: one entry of `aliases`, its rule still a
/// name.
pub(super) struct AliasRef {
    /// Index in the spec's `aliases`.
    pub alias: usize,
    pub rule: String,
    pub line: usize,
    /// ECS field (after mapping).
    pub field: String,
}

/// `aliases:`: alias name → {rule name or id → field}.
fn parse_aliases(
    n: &Node,
    mapping: &FieldMapping,
    errs: &mut Vec<LineError>,
) -> (Vec<FieldAlias>, Vec<AliasRef>) {
    let mut aliases = Vec::new();
    let mut refs = Vec::new();
    let Some(pairs) = n.as_map() else {
        errs.push((
            n.line,
            "`aliases` must map each alias name to `rule: field` pairs".into(),
        ));
        return (aliases, refs);
    };
    for (key, value) in pairs {
        let name = key.text.trim();
        if name.is_empty() {
            errs.push((key.line, "empty alias name in `aliases`".into()));
            continue;
        }
        let entries = match value.as_map() {
            Some(e) if !e.is_empty() => e,
            _ => {
                errs.push((
                    value.line,
                    format!("alias `{name}` must map rule names to field names"),
                ));
                continue;
            }
        };
        let alias = aliases.len();
        aliases.push(FieldAlias {
            name: name.to_string(),
            fields: Vec::new(),
        });
        for (rule, field) in entries {
            match scalar(field, "alias field").and_then(|f| known_field(&f, field.line, mapping)) {
                Ok(field) => refs.push(AliasRef {
                    alias,
                    rule: rule.text.trim().to_string(),
                    line: rule.line,
                    field,
                }),
                Err(e) => errs.push(e),
            }
        }
    }
    (aliases, refs)
}

/// `5m`, `30s`, `2h`, `1d`.
pub(super) fn parse_timespan(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid timespan `{s}` (e.g. 30s, 5m, 2h, 1d)"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("invalid timespan unit in `{s}` (s, m, h or d)")),
    };
    if n == 0 {
        return Err(format!("timespan `{s}` must be longer than zero"));
    }
    n.checked_mul(secs)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("timespan `{s}` is too long"))
}

pub(super) fn parse_correlation(
    node: &Node,
    mapping: &FieldMapping,
    errs: &mut Vec<LineError>,
) -> Option<(CorrelationSpec, PendingCorr)> {
    let Some(pairs) = node.as_map() else {
        errs.push((
            node.line,
            format!(
                "`correlation` must be a mapping, found {}",
                node.type_name()
            ),
        ));
        return None;
    };
    let before = errs.len();
    for (key, _) in pairs {
        if ![
            "type",
            "rules",
            "group-by",
            "aliases",
            "timespan",
            "condition",
            "generate",
        ]
        .contains(&key.text.as_str())
        {
            errs.push((
                key.line,
                format!("unknown key `{}` in `correlation`", key.text),
            ));
        }
    }
    let kind = match node.get("type") {
        None => {
            errs.push((node.line, "`correlation` needs a `type`".into()));
            None
        }
        Some(n) => {
            let k = match n.as_str() {
                Some("event_count") => Some(CorrelationType::EventCount),
                Some("value_count") => Some(CorrelationType::ValueCount),
                Some("temporal") => Some(CorrelationType::Temporal),
                Some("temporal_ordered") => Some(CorrelationType::TemporalOrdered),
                _ => None,
            };
            if k.is_none() {
                errs.push((
                    n.line,
                    format!(
                        "invalid correlation type `{}` (event_count, value_count, temporal, temporal_ordered)",
                        n.as_str().unwrap_or("")
                    ),
                ));
            }
            k
        }
    };
    let (refs, rules_line) = match node.get("rules") {
        None => {
            errs.push((node.line, "`correlation` needs `rules`".into()));
            (Vec::new(), node.line)
        }
        Some(n) => {
            let refs: Vec<(String, usize)> = match &n.kind {
                Kind::Seq(items) => items
                    .iter()
                    .filter_map(|i| {
                        scalar(i, "rules")
                            .map_err(|e| errs.push(e))
                            .ok()
                            .map(|s| (s, i.line))
                    })
                    .collect(),
                _ => scalar(n, "rules")
                    .map_err(|e| errs.push(e))
                    .ok()
                    .map(|s| vec![(s, n.line)])
                    .unwrap_or_default(),
            };
            if refs.is_empty() {
                errs.push((n.line, "`rules` must name at least one rule".into()));
            }
            (refs, n.line)
        }
    };
    let (aliases, alias_refs) = match node.get("aliases") {
        Some(n) => parse_aliases(n, mapping, errs),
        None => (Vec::new(), Vec::new()),
    };
    // Each name is an alias, or a field.
    let group_by = match node.get("group-by") {
        Some(n) => match scalar_list(n, "group-by") {
            Ok(names) => names
                .iter()
                .filter_map(|g| {
                    let g = g.trim();
                    if aliases.iter().any(|a| a.name == g) {
                        return Some(g.to_string());
                    }
                    known_field(g, n.line, mapping)
                        .map_err(|e| errs.push(e))
                        .ok()
                })
                .collect(),
            Err(e) => {
                errs.push(e);
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    for a in &aliases {
        if !group_by.contains(&a.name)
            && let Some((key, _)) = node
                .get("aliases")
                .and_then(Node::as_map)
                .and_then(|p| p.iter().find(|(k, _)| k.text.trim() == a.name))
        {
            errs.push((
                key.line,
                format!("alias `{}` is not used in `group-by`", a.name),
            ));
        }
    }
    let timespan = match node.get("timespan") {
        None => {
            errs.push((
                node.line,
                "`correlation` needs a `timespan` (e.g. 5m)".into(),
            ));
            None
        }
        Some(n) => match n.as_str().map(parse_timespan) {
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                errs.push((n.line, e));
                None
            }
            None => {
                errs.push((n.line, "`timespan` must be a string like 5m".into()));
                None
            }
        },
    };
    let generate = match node.get("generate") {
        None => false,
        Some(n) => n.as_bool().unwrap_or_else(|| {
            errs.push((n.line, "`generate` must be true or false".into()));
            false
        }),
    };
    let counting = matches!(
        kind,
        Some(CorrelationType::EventCount | CorrelationType::ValueCount)
    );
    let (threshold, field) = match node.get("condition") {
        None if counting => {
            errs.push((
                node.line,
                "`correlation` needs a `condition` (e.g. `gte: 5`)".into(),
            ));
            (None, None)
        }
        None => (Some(Threshold::Gte(refs.len() as u64)), None),
        Some(c) => parse_threshold(c, kind, mapping, errs),
    };
    if matches!(
        kind,
        Some(CorrelationType::Temporal | CorrelationType::TemporalOrdered)
    ) && refs.len() < 2
    {
        errs.push((
            rules_line,
            "temporal correlations need at least two rules".into(),
        ));
    }
    if errs.len() != before {
        return None;
    }
    let spec = CorrelationSpec {
        kind: kind?,
        rules: Vec::new(),
        group_by,
        aliases,
        timespan: timespan?,
        threshold: threshold?,
        field,
        generate,
    };
    Some((
        spec,
        PendingCorr {
            refs,
            rules_line,
            alias_refs,
        },
    ))
}

fn parse_threshold(
    node: &Node,
    kind: Option<CorrelationType>,
    mapping: &FieldMapping,
    errs: &mut Vec<LineError>,
) -> (Option<Threshold>, Option<String>) {
    let Some(pairs) = node.as_map() else {
        errs.push((
            node.line,
            "correlation `condition` must be a mapping like `gte: 5`".into(),
        ));
        return (None, None);
    };
    let before = errs.len();
    let mut field = None;
    let (mut low, mut high, mut eq): (Option<u64>, Option<u64>, Option<u64>) = (None, None, None);
    for (key, value) in pairs {
        if key.text == "field" {
            match scalar(value, "field").and_then(|f| known_field(&f, value.line, mapping)) {
                Ok(f) => field = Some(f),
                Err(e) => errs.push(e),
            }
            continue;
        }
        let Some(n) = value.as_str().and_then(|s| s.trim().parse::<u64>().ok()) else {
            errs.push((
                value.line,
                format!(
                    "`{}` needs a whole number, found `{}`",
                    key.text,
                    value.as_str().unwrap_or("")
                ),
            ));
            continue;
        };
        match key.text.as_str() {
            "gte" => low = Some(n),
            "gt" => low = Some(n.saturating_add(1)),
            "lte" => high = Some(n),
            "lt" => match n.checked_sub(1) {
                Some(h) => high = Some(h),
                None => errs.push((value.line, "`lt: 0` can never hold".into())),
            },
            "eq" => eq = Some(n),
            other => {
                errs.push((
                    key.line,
                    format!("unknown condition `{other}` (gt, gte, lt, lte, eq, field)"),
                ));
            }
        }
    }
    let is_value_count = kind == Some(CorrelationType::ValueCount);
    match (&field, is_value_count) {
        (None, true) => errs.push((
            node.line,
            "value_count needs `field` in its condition".into(),
        )),
        (Some(_), false) => errs.push((node.line, "`field` only applies to value_count".into())),
        _ => {}
    }
    let original = |k: &str| pairs.iter().any(|(key, _)| key.text == k);
    let threshold = match (eq, low, high) {
        (Some(e), None, None) => Some(Threshold::Eq(e)),
        (None, Some(l), None) if original("gt") => Some(Threshold::Gt(l - 1)),
        (None, Some(l), None) => Some(Threshold::Gte(l)),
        (None, None, Some(h)) if original("lt") => Some(Threshold::Lt(h + 1)),
        (None, None, Some(h)) => Some(Threshold::Lte(h)),
        (None, Some(l), Some(h)) if l <= h => Some(Threshold::Range(l, h)),
        (None, Some(_), Some(_)) => {
            errs.push((node.line, "the condition's range is empty".into()));
            None
        }
        _ => {
            if errs.len() == before {
                errs.push((
                    node.line,
                    "correlation `condition` needs one of gt/gte/lt/lte/eq (or a gt/gte with a lt/lte)".into(),
                ));
            }
            None
        }
    };
    (threshold, field)
}
