//! Fuzz the `syslog_rfc3339` parser: arbitrary bytes must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logsentinel_core::Format;

fuzz_target!(|data: &[u8]| {
    logsentinel_fuzz::fuzz_format(Format::from_name("syslog_rfc3339").expect("known format"), data);
});
