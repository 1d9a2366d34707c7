//! Checks across all loaded rules: unique names and ids, correlation
//! references (by name or id; chains allowed, cycles refused), and which
//! detection rules alert on their own (`enabled`).

use std::collections::{HashMap, HashSet};

use super::Pending;
use crate::error::DetectError;
use crate::rule::Rule;

/// Checks across rules: unique names and ids, correlation references,
/// cycles; sets `enabled`.
pub(super) fn resolve<'s>(
    rules: &mut [Rule],
    pending: &[Pending],
    failed: &HashSet<String>,
    file_of: impl Fn(usize) -> &'s str,
    errors: &mut Vec<DetectError>,
) {
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (i, (r, p)) in rules.iter().zip(pending).enumerate() {
        for (key, map, line, what) in [
            (&r.name, &mut by_name, p.name_line, "name"),
            (&r.id, &mut by_id, p.id_line, "id"),
        ] {
            if key.is_empty() {
                continue;
            }
            if let Some(&first) = map.get(key.as_str()) {
                let f = &rules[first];
                errors.push(DetectError::rule(
                    file_of(p.file),
                    line,
                    format!(
                        "duplicate rule {what} `{key}` (first defined at {}:{})",
                        f.origin.file, f.origin.line
                    ),
                ));
            } else {
                map.insert(key.as_str(), i);
            }
        }
    }
    // Resolve references.
    let mut resolved: Vec<Option<Vec<usize>>> = vec![None; rules.len()];
    // (correlation, alias, referenced rule, field).
    let mut alias_fields: Vec<(usize, usize, usize, String)> = Vec::new();
    for (i, p) in pending.iter().enumerate() {
        let Some(c) = &p.corr else { continue };
        let mut idx = Vec::new();
        for (name, line) in &c.refs {
            match by_name
                .get(name.as_str())
                .or_else(|| by_id.get(name.as_str()))
            {
                Some(&j) => {
                    if !idx.contains(&j) {
                        idx.push(j);
                    }
                }
                None if failed.contains(name) => {}
                None => errors.push(DetectError::rule(
                    file_of(p.file),
                    *line,
                    format!("correlation references unknown rule `{name}`"),
                )),
            }
        }
        for a in &c.alias_refs {
            match by_name
                .get(a.rule.as_str())
                .or_else(|| by_id.get(a.rule.as_str()))
            {
                Some(&j) if idx.contains(&j) => alias_fields.push((i, a.alias, j, a.field.clone())),
                Some(_) => errors.push(DetectError::rule(
                    file_of(p.file),
                    a.line,
                    format!(
                        "alias entry names rule `{}`, which this correlation does not reference",
                        a.rule
                    ),
                )),
                None if failed.contains(&a.rule) => {}
                None => errors.push(DetectError::rule(
                    file_of(p.file),
                    a.line,
                    format!("alias entry names unknown rule `{}`", a.rule),
                )),
            }
        }
        resolved[i] = Some(idx);
    }
    // Cycles among correlations.
    let mut reported: HashSet<usize> = HashSet::new();
    find_cycles(&resolved, |cycle: &[usize]| {
        let Some(&first) = cycle.first() else { return };
        if !reported.insert(first) {
            return;
        }
        let label = |k: usize| {
            rules.get(k).map_or("?", |r| {
                if r.name.is_empty() {
                    r.id.as_str()
                } else {
                    r.name.as_str()
                }
            })
        };
        let mut names: Vec<&str> = cycle.iter().chain([&first]).map(|&k| label(k)).collect();
        if names.len() > 12 {
            names.splice(6..names.len() - 3, ["..."]);
        }
        if let Some(p) = pending.get(first) {
            errors.push(DetectError::rule(
                file_of(p.file),
                p.corr.as_ref().map_or(1, |c| c.rules_line),
                format!("correlation cycle: {}", names.join(" -> ")),
            ));
        }
    });
    // Fill the specs and decide `enabled`.
    let mut referenced = vec![false; rules.len()];
    let mut wanted = vec![false; rules.len()];
    for (i, idx) in resolved.iter().enumerate() {
        let Some(idx) = idx else { continue };
        let generate = rules[i].correlation.as_ref().is_some_and(|c| c.generate);
        for &j in idx {
            referenced[j] = true;
            wanted[j] |= generate;
        }
        if let Some(c) = rules[i].correlation.as_mut() {
            c.rules = idx.clone();
        }
    }
    for (i, alias, j, field) in alias_fields {
        if let Some(a) = rules
            .get_mut(i)
            .and_then(|r| r.correlation.as_mut())
            .and_then(|c| c.aliases.get_mut(alias))
        {
            a.fields.push((j, field));
        }
    }
    for (i, r) in rules.iter_mut().enumerate() {
        r.enabled = r.correlation.is_some() || !referenced[i] || wanted[i];
    }
}

/// Depth-first search (iterative: chains may be long) for cycles in the
/// reference graph; calls `report` with each cycle found.
fn find_cycles(edges: &[Option<Vec<usize>>], mut report: impl FnMut(&[usize])) {
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; edges.len()];
    for start in 0..edges.len() {
        if state.get(start) != Some(&NEW) {
            continue;
        }
        state[start] = ON_PATH;
        // (node, index of its next edge to follow)
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        while let Some(&(node, i)) = path.last() {
            let next = edges
                .get(node)
                .and_then(Option::as_ref)
                .and_then(|e| e.get(i))
                .copied();
            let Some(m) = next else {
                state[node] = DONE;
                path.pop();
                continue;
            };
            if let Some(top) = path.last_mut() {
                top.1 += 1;
            }
            match state.get(m) {
                Some(&NEW) => {
                    state[m] = ON_PATH;
                    path.push((m, 0));
                }
                Some(&ON_PATH) => {
                    let nodes: Vec<usize> = path.iter().map(|&(k, _)| k).collect();
                    if let Some(pos) = nodes.iter().position(|&k| k == m) {
                        report(&nodes[pos..]);
                    }
                }
                _ => {}
            }
        }
    }
}
