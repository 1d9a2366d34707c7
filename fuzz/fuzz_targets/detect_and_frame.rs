//! Fuzz the whole read path: framing, decoding, auto-detection, parsing
//! with fallback and ECS JSON output. The output must always be valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    logsentinel_fuzz::fuzz_pipeline(data);
});
