//! Property tests: no parser panics, whatever the bytes, and whatever a
//! parser returns renders as valid JSON. Besides random bytes, the example
//! line of every format is mutated (bytes replaced, inserted, cut) to reach
//! the deeper paths of each parser.

use logsentinel_core::{
    Format, FormatState, LineParser, ParseCtx, Timestamp, Zone, detect_format, ecs_json, parse_as,
};
use proptest::prelude::*;

fn ctx() -> ParseCtx {
    ParseCtx::new(Zone::fixed(-5 * 3600), Timestamp::from_secs(1_705_400_000))
}

fn iis_state() -> FormatState {
    let mut s = FormatState::default();
    s.observe("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken");
    s
}

fn check_all(line: &str) {
    let ctx = ctx();
    for state in [FormatState::default(), iis_state()] {
        for f in Format::ALL {
            if let Some(ev) = parse_as(f, line, &ctx, &state) {
                let mut out = Vec::new();
                ecs_json::write_event(&ev, &mut out);
                let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
                assert!(v.is_object());
            }
        }
    }
    let parser = LineParser::auto(detect_format(&[line], &ctx).format, ctx.clone());
    let _ = parser.parse(line, &FormatState::default());
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, Vec<u8>),
    Cut(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (
            any::<usize>(),
            proptest::collection::vec(
                prop_oneof![
                    Just(b' '),
                    Just(b'"'),
                    Just(b'['),
                    Just(b']'),
                    Just(b':'),
                    Just(b'\\'),
                    Just(b'{'),
                    Just(b'}'),
                    Just(b'='),
                    Just(b'#'),
                    Just(0xff),
                    Just(0xc3),
                    Just(b'\t'),
                    any::<u8>(),
                ],
                1..8
            )
        )
            .prop_map(|(i, v)| Edit::Insert(i, v)),
        any::<usize>().prop_map(Edit::Cut),
    ]
}

fn apply(base: &str, edits: &[Edit]) -> String {
    let mut b = base.as_bytes().to_vec();
    for e in edits {
        let n = b.len().max(1);
        match e {
            Edit::Replace(i, c) => {
                if !b.is_empty() {
                    b[i % n] = *c;
                }
            }
            Edit::Insert(i, v) => {
                let at = i % (b.len() + 1);
                b.splice(at..at, v.iter().copied());
            }
            Edit::Cut(i) => b.truncate(i % n),
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_all(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_examples_never_panic(which in 0usize..Format::ALL.len(), edits in proptest::collection::vec(edit(), 1..6)) {
        check_all(&apply(Format::ALL[which].example(), &edits));
    }
}

#[test]
fn pathological_lines() {
    for line in [
        String::new(),
        " ".repeat(70_000),
        "\0".repeat(1000),
        "[".repeat(10_000),
        "\"".repeat(10_000),
        "{".repeat(5_000),
        format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200)),
        "<".to_string() + &"9".repeat(100),
        "Jan 15 10:30:45 ".to_string() + &"x".repeat(65_000),
        "#Fields: ".to_string() + &"a ".repeat(5000),
        "é".repeat(20_000),
    ] {
        check_all(&line);
    }
}
