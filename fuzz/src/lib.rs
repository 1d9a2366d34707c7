//! Shared bodies of the fuzz targets.

use logsentinel_core::{Format, FormatState, LineParser, ParseCtx, Timestamp, Zone, detect_format, ecs_json, parse_as};
use logsentinel_ingest::{LineBatch, LineReader, decode_line};

fn ctx() -> ParseCtx {
    ParseCtx::new(Zone::fixed(3600), Timestamp::from_secs(1_705_400_000))
}

/// Runs one parser over each line of `data`, with an IIS `#Fields:` state
/// taken from the data itself, and renders what parses.
pub fn fuzz_format(format: Format, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let ctx = ctx();
    let mut state = FormatState::default();
    let mut out = Vec::new();
    for line in text.split('\n') {
        state.observe(line);
        if let Some(ev) = parse_as(format, line, &ctx, &state) {
            out.clear();
            ecs_json::write_event(&ev, &mut out);
            assert!(serde_json_valid(&out));
        }
    }
}

/// Frames, detects and parses like `logsentinel parse` does.
pub fn fuzz_pipeline(data: &[u8]) {
    let mut reader = LineReader::new(data).max_line(256).batch_bytes(1024);
    let mut batch = LineBatch::default();
    let mut parser: Option<LineParser> = None;
    let mut state = FormatState::default();
    let mut out = Vec::new();
    while let Ok(true) = reader.next_batch(&mut batch) {
        let parser = parser.get_or_insert_with(|| {
            let sample: Vec<String> = batch.iter().map(|(_, b, _)| String::from_utf8_lossy(b).into_owned()).collect();
            LineParser::auto(detect_format(&sample, &ctx()).format, ctx())
        });
        for (_, bytes, truncated) in batch.iter() {
            let (text, flags) = decode_line(bytes, truncated);
            state.observe(&text);
            let mut ev = parser.parse(&text, &state);
            ev.flags.insert(flags);
            out.clear();
            ecs_json::write_event(&ev, &mut out);
            assert!(serde_json_valid(&out));
        }
    }
}

fn serde_json_valid(out: &[u8]) -> bool {
    out.ends_with(b"\n") && serde_json::from_slice::<serde_json::Value>(out).is_ok_and(|v| v.is_object())
}
