//! Derived fields: the normal forms of the HTTP values attackers control
//! (`crate::normalize`), which rules can match besides the raw values.
//!
//! | field | what |
//! |---|---|
//! | `url.decoded` | `url.original` (the request target) decoded and canonicalised |
//! | `url.path.decoded` | its path (before the first raw `?`) |
//! | `url.query.decoded` | its query (after the first raw `?`; absent without one), `+` read as a space |
//! | `user_agent.decoded` | `user_agent.original`, decoded (no `+` rule) |
//! | `http.request.referrer.decoded` | `http.request.referrer`, decoded like a URL |
//!
//! They are not members of `Event`: the matcher computes them once per
//! event into [`DecodedFields`] (part of the match scratch), only for the
//! sources some rule uses and only when the event has them. A value that
//! is already normal is not copied. Off the hot path (naive evaluation,
//! explanations) [`compute`] makes them on demand.
//!
//! Only detections can use them: signals capture event members, so the
//! loader refuses them in `group-by`, `suppress-by` and `field`.

use logsentinel_core::Event;

use crate::normalize::{Decoder, Mode};

/// Names of the derived fields.
pub(crate) const DECODED_FIELDS: &[&str] = &[
    "url.decoded",
    "url.path.decoded",
    "url.query.decoded",
    "user_agent.decoded",
    "http.request.referrer.decoded",
];

/// A derived field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Derived {
    Url,
    UrlPath,
    UrlQuery,
    UserAgent,
    Referrer,
}

/// The raw field a derived field comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Url = 0,
    UserAgent = 1,
    Referrer = 2,
}

const SOURCES: usize = 3;

impl Source {
    fn raw<'e>(self, ev: &'e Event<'_>) -> Option<&'e str> {
        match self {
            Source::Url => ev.url_original.as_deref(),
            Source::UserAgent => ev.user_agent.as_deref(),
            Source::Referrer => ev.http_referrer.as_deref(),
        }
    }

    fn mode(self) -> Mode {
        match self {
            Source::UserAgent => Mode::Text,
            Source::Url | Source::Referrer => Mode::Url,
        }
    }
}

impl Derived {
    pub fn from_name(name: &str) -> Option<Derived> {
        Some(match name {
            "url.decoded" => Derived::Url,
            "url.path.decoded" => Derived::UrlPath,
            "url.query.decoded" => Derived::UrlQuery,
            "user_agent.decoded" => Derived::UserAgent,
            "http.request.referrer.decoded" => Derived::Referrer,
            _ => return None,
        })
    }

    pub fn source(self) -> Source {
        match self {
            Derived::Url | Derived::UrlPath | Derived::UrlQuery => Source::Url,
            Derived::UserAgent => Source::UserAgent,
            Derived::Referrer => Source::Referrer,
        }
    }

    /// This field's part of the normal form `text` of its source.
    fn part(self, text: &str, query_at: Option<usize>) -> Option<&str> {
        match (self, query_at) {
            (Derived::UrlPath, Some(q)) => text.get(..q),
            (Derived::UrlQuery, Some(q)) => text.get(q + 1..),
            (Derived::UrlQuery, None) => None,
            _ => Some(text),
        }
    }
}

/// Whether `name` is a derived field.
pub(crate) fn is_derived(name: &str) -> bool {
    DECODED_FIELDS.contains(&name)
}

/// One source's normal form for the current event.
#[derive(Debug, Default, Clone)]
struct Slot {
    /// The event has the source field.
    present: bool,
    /// `buf` holds the normal form (else the raw value is normal).
    changed: bool,
    query_at: Option<usize>,
    buf: String,
}

/// The derived values of one event, with reusable buffers.
#[derive(Debug, Default, Clone)]
pub(crate) struct DecodedFields {
    decoder: Decoder,
    slots: [Slot; SOURCES],
    /// Per source: recently decoded values.
    memo: [DecodeMemo; SOURCES],
}

/// Recently decoded values of one source and their normal forms: request
/// targets, referrers and user agents repeat a lot in real traffic, and a
/// hit costs a hash and a comparison instead of the decoding passes. A
/// small direct-mapped table whose entries keep their buffers.
#[derive(Debug, Default, Clone)]
struct DecodeMemo {
    entries: Vec<MemoEntry>,
}

#[derive(Debug, Default, Clone)]
struct MemoEntry {
    used: bool,
    raw: String,
    changed: bool,
    query_at: Option<usize>,
    /// The normal form when `changed`.
    out: String,
}

/// Entries per source.
const DECODE_MEMO_SLOTS: usize = 1024;
/// Values outside this length range are always decoded (short ones are
/// cheap, long ones rarely repeat).
const DECODE_MEMO_LEN: std::ops::RangeInclusive<usize> = 8..=512;

impl DecodeMemo {
    /// Normalises `raw` into `slot`, from the memo when it was seen
    /// recently.
    fn fill(&mut self, decoder: &mut Decoder, raw: &str, mode: Mode, slot: &mut Slot) {
        slot.present = true;
        let remembered = DECODE_MEMO_LEN.contains(&raw.len()).then(|| {
            if self.entries.len() != DECODE_MEMO_SLOTS {
                self.entries = vec![MemoEntry::default(); DECODE_MEMO_SLOTS];
            }
            super::prefilter::memo_hash(raw.as_bytes(), None) % DECODE_MEMO_SLOTS
        });
        let Some(e) = remembered.and_then(|i| self.entries.get_mut(i)) else {
            let n = decoder.normalize(raw, mode, &mut slot.buf);
            slot.changed = n.changed;
            slot.query_at = n.query_at;
            return;
        };
        if !(e.used && e.raw == raw) {
            let n = decoder.normalize(raw, mode, &mut e.out);
            e.used = true;
            e.raw.clear();
            e.raw.push_str(raw);
            e.changed = n.changed;
            e.query_at = n.query_at;
        }
        slot.changed = e.changed;
        slot.query_at = e.query_at;
        if e.changed {
            slot.buf.clear();
            slot.buf.push_str(&e.out);
        }
    }
}

/// Which sources a rule set needs decoded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Needed([bool; SOURCES]);

impl Needed {
    pub fn add(&mut self, d: Derived) {
        if let Some(n) = self.0.get_mut(d.source() as usize) {
            *n = true;
        }
    }

    pub fn any(self) -> bool {
        self.0.iter().any(|&b| b)
    }
}

impl DecodedFields {
    /// Decodes the `needed` sources of `ev` (the others read as absent).
    pub fn fill(&mut self, ev: &Event<'_>, needed: Needed) {
        let DecodedFields {
            decoder,
            slots,
            memo,
        } = self;
        for (i, (slot, memo)) in slots.iter_mut().zip(memo.iter_mut()).enumerate() {
            let source = match i {
                0 => Source::Url,
                1 => Source::UserAgent,
                _ => Source::Referrer,
            };
            slot.present = false;
            if !needed.0.get(i).copied().unwrap_or(false) {
                continue;
            }
            let Some(raw) = source.raw(ev) else {
                continue;
            };
            memo.fill(decoder, raw, source.mode(), slot);
        }
    }

    /// The value of `d` for the event last filled (which must be `ev`).
    #[inline]
    pub fn get<'a>(&'a self, d: Derived, ev: &'a Event<'_>) -> Option<&'a str> {
        let source = d.source();
        let slot = self.slots.get(source as usize)?;
        if !slot.present {
            return None;
        }
        let text = if slot.changed {
            slot.buf.as_str()
        } else {
            source.raw(ev)?
        };
        d.part(text, slot.query_at)
    }
}

impl DecodedFields {
    /// The whole decoded target of the event last filled (which must be
    /// `ev`) and the position of its query's `?`.
    #[inline]
    pub fn url<'a>(&'a self, ev: &'a Event<'_>) -> Option<(&'a str, Option<usize>)> {
        let slot = self.slots.get(Source::Url as usize)?;
        if !slot.present {
            return None;
        }
        let text = if slot.changed {
            slot.buf.as_str()
        } else {
            Source::Url.raw(ev)?
        };
        Some((text, slot.query_at))
    }
}

/// The value of `d` for `ev`, computed on its own (allocates).
pub(crate) fn compute(d: Derived, ev: &Event<'_>) -> Option<String> {
    let source = d.source();
    let raw = source.raw(ev)?;
    let mut buf = String::new();
    let n = Decoder::new().normalize(raw, source.mode(), &mut buf);
    let text = if n.changed { buf.as_str() } else { raw };
    d.part(text, n.query_at).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use logsentinel_core::{Format, Timestamp};

    fn ev(url: Option<&'static str>, ua: Option<&'static str>) -> Event<'static> {
        let mut ev = Event::new(Format::Json, "x", Timestamp::from_secs(0));
        ev.url_original = url.map(Into::into);
        ev.user_agent = ua.map(Into::into);
        ev
    }

    #[test]
    fn parts_of_the_url() {
        let e = ev(Some("/A%2fB?Q=1+2&x=%27"), Some("Mozilla/5.0"));
        let mut d = DecodedFields::default();
        let mut need = Needed::default();
        need.add(Derived::Url);
        need.add(Derived::UserAgent);
        d.fill(&e, need);
        assert_eq!(d.get(Derived::Url, &e), Some("/a/b?q=1 2&x='"));
        assert_eq!(d.get(Derived::UrlPath, &e), Some("/a/b"));
        assert_eq!(d.get(Derived::UrlQuery, &e), Some("q=1 2&x='"));
        assert_eq!(d.get(Derived::UserAgent, &e), Some("mozilla/5.0"));
        assert_eq!(d.get(Derived::Referrer, &e), None);
        for der in [
            Derived::Url,
            Derived::UrlPath,
            Derived::UrlQuery,
            Derived::UserAgent,
        ] {
            assert_eq!(compute(der, &e).as_deref(), d.get(der, &e));
        }
    }

    #[test]
    fn memo_hits_give_what_decoding_gives() {
        let urls = [
            "/index.php?id=1%27%20OR%201=1",
            "/static/js/app.8b2d4e.js",
            "/A%2fB?Q=1+2&x=%27",
            "/search?q=men%27s+shoes",
            "/products/5028",
            "/x",
            "/%252e%252e/%252e%252e/etc/passwd",
        ];
        let mut d = DecodedFields::default();
        let mut need = Needed::default();
        need.add(Derived::Url);
        need.add(Derived::UserAgent);
        need.add(Derived::Referrer);
        for round in 0..3 {
            for (i, u) in urls.iter().enumerate() {
                let mut e = ev(Some(u), Some("Mozilla/5.0 (X11; Linux x86_64) Gecko"));
                e.http_referrer = Some(urls[(i + round) % urls.len()].into());
                d.fill(&e, need);
                for der in [
                    Derived::Url,
                    Derived::UrlPath,
                    Derived::UrlQuery,
                    Derived::UserAgent,
                    Derived::Referrer,
                ] {
                    assert_eq!(d.get(der, &e), compute(der, &e).as_deref(), "{u} {der:?}");
                }
            }
        }
    }

    #[test]
    fn borrowed_when_normal_and_absent_parts() {
        let e = ev(Some("/products/12"), None);
        let mut d = DecodedFields::default();
        let mut need = Needed::default();
        need.add(Derived::UrlQuery);
        d.fill(&e, need);
        assert!(!d.slots[0].changed);
        assert_eq!(d.get(Derived::Url, &e), Some("/products/12"));
        assert_eq!(d.get(Derived::UrlPath, &e), Some("/products/12"));
        assert_eq!(d.get(Derived::UrlQuery, &e), None);
        assert_eq!(d.get(Derived::UserAgent, &e), None);
        // Not needed: absent even though the event has it.
        let e2 = ev(Some("/x"), Some("curl/8"));
        d.fill(&e2, need);
        assert_eq!(d.get(Derived::UserAgent, &e2), None);
        assert_eq!(d.get(Derived::Url, &e2), Some("/x"));
    }
}
