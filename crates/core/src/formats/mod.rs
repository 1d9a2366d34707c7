//! One module per log format. Each exposes `parse(line, ctx) -> Option<Event>`
//! (`None`: the line is not in this format) and carries its own tests
//! written from sample lines.

pub mod access_log;
pub mod apache_combined;
pub mod apache_common;
pub mod apache_error;
pub mod cisco_asa;
pub mod heuristic;
pub mod iis_w3c;
pub mod json;
pub mod nginx_error;
pub mod syslog_header;
pub mod syslog_rfc3164;
pub mod syslog_rfc3339;
pub mod syslog_rfc5424;
pub mod windows_event_text;
