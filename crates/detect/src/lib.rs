//! LogSentinel's detection: Sigma rules (detections and correlations) over
//! ECS events, MITRE ATT&CK mapping, scoring and alerts.
//!
//! Pure by design: no I/O, no async, no clock. Windows use event time (the
//! log's own timestamps), so analysing a file and watching it live give the
//! same alerts.
//!
//! # Layout
//!
//! - `rule`: the rule model (levels, categories, correlation specs).
//! - `mapping`: Sigma field names → ECS names, as data (`rules/mapping.yml`).
//! - `loader`: Sigma YAML → `Rule`s and compiled matchers, errors with
//!   `file:line`; `builtin`: the embedded rule set (`rules/*.yml`).
//! - `matcher/`: compiled selections, modifiers and conditions, with one
//!   Aho-Corasick prefilter over all literals of all rules.
//! - `normalize/`: decoding of request targets, referrers and user agents
//!   (URL/HTML decoding, case, comments, dot segments) for the `*.decoded`
//!   fields.
//! - `signal`: what a base-rule match carries on to correlation.
//! - `correlate`: event_count, value_count, temporal(_ordered), chaining,
//!   suppression, bounded per-key state.
//! - `score`: risk score and severity; `alert`: the alert contract.
//! - `config`: thresholds, allow-lists, suppression settings.
//! - `engine`: the whole pipeline, event in, alerts out.
//! - `incident`: alerts linked by shared entities into incidents with
//!   kill-chain stages.
//! - `attack`: the offline ATT&CK table.
//! - `error`: `DetectError`.

pub mod alert;
pub mod attack;
pub mod builtin;
pub mod config;
pub mod correlate;
pub mod engine;
pub mod error;
pub mod incident;
pub mod loader;
pub mod mapping;
pub mod matcher;
pub mod normalize;
pub mod rule;
pub mod score;
pub mod signal;
