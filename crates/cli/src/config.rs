//! `logsentinel.toml`: the configuration file. Each section belongs to one
//! part of the product and is handed to it as a typed struct; unknown keys
//! are refused so that a typo does not silently do nothing.

use std::path::Path;

use anyhow::Context;
use logsentinel_detect::config::DetectConfig;
use serde::Deserialize;

/// The whole file. Every section is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Rule thresholds, allow-lists and noise control (`[detection]`).
    pub detection: DetectConfig,
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config '{}'", path.display()))?;
        Config::parse(&text).with_context(|| format!("config '{}'", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Config> {
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented example in the repository parses.
    #[test]
    fn example_config_parses() {
        let text = include_str!("../../../logsentinel.example.toml");
        let config = Config::parse(text).expect("example parses");
        assert!(!config.detection.allow.ips.is_empty());
        assert!(!config.detection.rules.is_empty());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = Config::parse("[detection]\nsupression_window = \"5m\"\n").unwrap_err();
        assert!(format!("{err:#}").contains("supression_window"), "{err:#}");
        assert!(Config::parse("[nope]\n").is_err());
    }
}
