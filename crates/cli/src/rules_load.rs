//! Loading rule sets for the commands: the built-in rules plus the user's
//! files, and the configuration applied on top.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use logsentinel_detect::loader::{RuleSet, RuleSource};
use logsentinel_detect::mapping::FieldMapping;

use crate::cli::RuleArgs;
use crate::config::Config;

/// Reads rule files from paths (directories recursively: *.yml, *.yaml).
pub fn read_sources(paths: &[PathBuf]) -> anyhow::Result<Vec<RuleSource>> {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files)
            .with_context(|| format!("cannot read rules from '{}'", p.display()))?;
    }
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f)
                .with_context(|| format!("cannot read rule file '{}'", f.display()))?;
            Ok(RuleSource {
                name: f.display().to_string(),
                text,
            })
        })
        .collect()
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(path)? {
        let p = entry?.path();
        if p.is_dir() {
            collect(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml")
            && p.file_name().is_some_and(|n| n != "mapping.yml")
        {
            out.push(p);
        }
    }
    Ok(())
}

/// Loads built-in + user rules; every error is printed (file:line: reason)
/// before failing.
pub fn load_rules(extra: &[PathBuf]) -> anyhow::Result<RuleSet> {
    let mut sources = RuleSet::builtin_sources();
    sources.extend(read_sources(extra)?);
    match RuleSet::load(&sources, &FieldMapping::builtin()) {
        Ok(set) => Ok(set),
        Err(errors) => {
            for e in &errors {
                eprintln!("logsentinel: error: {e}");
            }
            bail!("{} rule error(s); nothing was analysed", errors.len())
        }
    }
}

/// The configuration (or defaults) and the rule set with it applied.
pub fn rules_and_config(args: &RuleArgs) -> anyhow::Result<(Arc<RuleSet>, Config)> {
    let config = match &args.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let mut rules = load_rules(&args.rules)?;
    config
        .detection
        .apply(&mut rules)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| match &args.config {
            Some(p) => format!("config '{}'", p.display()),
            None => "config".to_string(),
        })?;
    Ok((Arc::new(rules), config))
}
