//! Format auto-detection: per input, the format that parses a sample of
//! lines best; per line, a fallback when a line does not fit (mixed files
//! are real). Every line becomes an event: the heuristic parser is last and
//! never fails.

use crate::event::{Event, Flags};
use crate::format::{Format, FormatState, ParseCtx, parse_as, parse_as_into};
use crate::time::Timestamp;

/// How many sample lines auto-detection looks at.
pub const SAMPLE_LINES: usize = 200;

/// The outcome of looking at a sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub format: Format,
    /// Sample lines the chosen format parsed.
    pub matched: usize,
    /// Non-blank sample lines looked at.
    pub sampled: usize,
}

/// Picks the format that parses the most sample lines; ties go to the more
/// specific format (the order of `Format::ALL`). Blank lines are ignored.
/// An empty sample detects as `heuristic`.
pub fn detect_format<S: AsRef<str>>(sample: &[S], ctx: &ParseCtx) -> Detection {
    let mut counts = [0usize; Format::ALL.len()];
    let mut state = FormatState::default();
    let mut sampled = 0;
    for line in sample.iter().take(SAMPLE_LINES) {
        let line = line.as_ref();
        state.observe(line);
        if line.trim().is_empty() {
            continue;
        }
        sampled += 1;
        for (i, f) in Format::ALL.iter().enumerate() {
            if *f == Format::Heuristic {
                continue;
            }
            if parse_as(*f, line, ctx, &state).is_some_and(|e| e.format == *f) {
                counts[i] += 1;
            }
        }
    }
    let mut best = (Format::Heuristic, 0);
    for (i, f) in Format::ALL.iter().enumerate() {
        if counts[i] > best.1 {
            best = (*f, counts[i]);
        }
    }
    Detection {
        format: best.0,
        matched: if best.0 == Format::Heuristic {
            sampled
        } else {
            best.1
        },
        sampled,
    }
}

/// Turns lines into events: the primary format first, then every other
/// format in order of specificity, then the heuristic.
#[derive(Debug, Clone)]
pub struct LineParser {
    primary: Format,
    /// Fall back to other formats when the primary does not fit. Off when
    /// the user forced a format: then a line that does not fit goes straight
    /// to the heuristic.
    fallback: bool,
    ctx: ParseCtx,
}

impl LineParser {
    /// A parser that tries `primary` first and falls back per line.
    pub fn auto(primary: Format, ctx: ParseCtx) -> Self {
        LineParser {
            primary,
            fallback: true,
            ctx,
        }
    }

    /// A parser forced to `format`; lines that do not fit it are read by the
    /// heuristic (and so counted as not understood).
    pub fn forced(format: Format, ctx: ParseCtx) -> Self {
        LineParser {
            primary: format,
            fallback: false,
            ctx,
        }
    }

    pub fn primary(&self) -> Format {
        self.primary
    }

    pub fn ctx(&self) -> &ParseCtx {
        &self.ctx
    }

    /// Parses one line (without its line terminator). Never fails. Stamps
    /// stamp-less lines with the reference time and flags them.
    pub fn parse<'a>(&self, line: &'a str, state: &FormatState) -> Event<'a> {
        let mut ev = Event::new(self.primary, line, Timestamp::default());
        self.parse_into(line, state, &mut ev);
        ev
    }

    /// [`LineParser::parse`] into `ev` (whatever it held is replaced):
    /// spares copying the event out of each parsing layer.
    pub fn parse_into<'a>(&self, line: &'a str, state: &FormatState, ev: &mut Event<'a>) {
        self.parse_inner(line, state, ev);
        if ev.timestamp == Default::default() && !ev.flags.contains(Flags::NO_TIMESTAMP) {
            ev.timestamp = self.ctx.reference;
            ev.flags.insert(Flags::NO_TIMESTAMP);
        }
    }

    fn parse_inner<'a>(&self, line: &'a str, state: &FormatState, ev: &mut Event<'a>) {
        if parse_as_into(self.primary, line, &self.ctx, state, ev) {
            return;
        }
        if self.fallback {
            for f in Format::ALL {
                if f == self.primary || f == Format::Heuristic {
                    continue;
                }
                if parse_as_into(f, line, &self.ctx, state, ev) {
                    return;
                }
            }
        }
        *ev = crate::formats::heuristic::parse(line, &self.ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn ctx() -> ParseCtx {
        ParseCtx::utc(Timestamp::from_secs(1_705_400_000))
    }

    #[test]
    fn detects_each_format_from_its_example() {
        for f in Format::ALL {
            if f == Format::IisW3c {
                continue; // needs its directive; covered below
            }
            let sample = vec![f.example(); 5];
            assert_eq!(detect_format(&sample, &ctx()).format, f, "{}", f.name());
        }
        let iis = [
            "#Software: Microsoft Internet Information Services 10.0",
            "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
            Format::IisW3c.example(),
            Format::IisW3c.example(),
        ];
        assert_eq!(detect_format(&iis, &ctx()).format, Format::IisW3c);
    }

    #[test]
    fn empty_sample_is_heuristic() {
        let sample: [&str; 0] = [];
        assert_eq!(detect_format(&sample, &ctx()).format, Format::Heuristic);
    }

    #[test]
    fn mixed_lines_fall_back_per_line() {
        let parser = LineParser::auto(Format::SyslogRfc3164, ctx());
        let state = FormatState::default();
        let ev = parser.parse(Format::ApacheCombined.example(), &state);
        assert_eq!(ev.format, Format::ApacheCombined);
        let ev = parser.parse("garbage \u{0} line", &state);
        assert_eq!(ev.format, Format::Heuristic);
        assert!(ev.flags.contains(Flags::NO_TIMESTAMP));
    }

    #[test]
    fn forced_format_does_not_fall_back() {
        let parser = LineParser::forced(Format::SyslogRfc3164, ctx());
        let ev = parser.parse(Format::ApacheCombined.example(), &FormatState::default());
        assert_eq!(ev.format, Format::Heuristic);
    }
}
