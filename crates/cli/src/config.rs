//! `logsentinel.toml`: the configuration file. Each section belongs to one
//! part of the product and is handed to it as a typed struct; unknown keys
//! are refused so that a typo does not silently do nothing.

use std::path::{Path, PathBuf};

use anyhow::Context;
use logsentinel_detect::config::DetectConfig;
use logsentinel_notify::config::NotifyConfig;
use serde::Deserialize;

/// The whole file. Every section is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Rule thresholds, allow-lists and noise control (`[detection]`).
    pub detection: DetectConfig,
    /// Stream mode: what `watch` follows and may read (`[watch]`).
    pub watch: WatchConfig,
    /// Email and webhook notifications of `watch` (`[notify]`).
    pub notify: NotifyConfig,
}

/// `[watch]`: stream mode. Paths listed here are always checked against
/// the allowed directories (only a file named on the command line is
/// trusted without the check; see README "Allowed directories").
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchConfig {
    /// Directories `watch` may read, besides the built-in `~/logs`,
    /// `/var/log/app` and `/opt/logsentinel`.
    pub allow_dirs: Vec<PathBuf>,
    /// Files or glob patterns to follow, besides the command line's.
    pub paths: Vec<String>,
    /// Syslog listeners, e.g. `udp://127.0.0.1:5514`, `tcp://127.0.0.1:5514`.
    pub listen: Vec<String>,
    /// State directory: checkpoints (file offsets) in `logsentinel.db`.
    pub state_dir: Option<PathBuf>,
    /// Check files named on the command line against the allowed
    /// directories too (recommended for a daemon).
    pub strict_paths: bool,
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

    /// The smtp-sink example is complete and valid as it stands.
    #[test]
    fn notify_example_is_valid() {
        let text = include_str!("../../../examples/notify.toml");
        let config = Config::parse(text).expect("example parses");
        assert!(config.notify.is_enabled());
        config.notify.validate().expect("example is valid");
        let full = Config::parse(include_str!("../../../logsentinel.example.toml")).unwrap();
        assert!(full.notify.email.is_some());
        assert_eq!(full.notify.webhook.len(), 2);
    }

    #[test]
    fn watch_section() {
        let c = Config::parse(
            "[watch]\nallow_dirs = [\"/srv/logs\"]\npaths = [\"/srv/logs/*.log\"]\nstate_dir = \"/var/lib/ls\"\nstrict_paths = true\nlisten = [\"udp://127.0.0.1:5514\"]\n",
        )
        .unwrap();
        assert_eq!(c.watch.allow_dirs, vec![PathBuf::from("/srv/logs")]);
        assert!(c.watch.strict_paths);
        assert!(Config::parse("[watch]\nallow_dir = []\n").is_err());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = Config::parse("[detection]\nsupression_window = \"5m\"\n").unwrap_err();
        assert!(format!("{err:#}").contains("supression_window"), "{err:#}");
        assert!(Config::parse("[nope]\n").is_err());
    }
}
