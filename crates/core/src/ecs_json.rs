//! Events as nested ECS JSON (one object per line), written by hand for
//! speed: fields come out of `Event::fields` already grouped by prefix, so
//! dotted names become nested objects in one pass with no map building.

use std::io::Write as _;

use crate::event::{Event, FieldValue};

/// Appends `ev` as one line of nested ECS JSON (with a trailing newline).
pub fn write_event(ev: &Event<'_>, out: &mut Vec<u8>) {
    let mut w = Nested::new(out);
    // Tags from the input (JSON) are merged with ours into one array.
    let mut input_tags: Option<&serde_json::Value> = None;
    if ev.extra.is_empty() {
        ev.fields(|name, value| w.field(name, value));
    } else {
        // JSON input can carry any names: sort so that shared prefixes are
        // adjacent (segment-wise order keeps every object contiguous).
        let mut all: Vec<(&str, FieldValue<'_>)> = Vec::with_capacity(48);
        ev.fields(|name, value| match value {
            FieldValue::Json(v) if name == "tags" && !ev.flags.is_empty() => input_tags = Some(v),
            _ => all.push((name, value)),
        });
        all.sort_by(|a, b| a.0.split('.').cmp(b.0.split('.')));
        for (name, value) in all {
            w.field(name, value);
        }
    }
    w.close_to(0);
    if !ev.flags.is_empty() {
        w.comma();
        w.out.extend_from_slice(b"\"tags\":[");
        let mut first = true;
        let mut item = |out: &mut Vec<u8>, v: FieldValue<'_>| {
            if !first {
                out.push(b',');
            }
            first = false;
            write_value(out, v);
        };
        match input_tags {
            Some(serde_json::Value::Array(items)) => {
                for v in items {
                    item(w.out, FieldValue::Json(v));
                }
            }
            Some(v) => item(w.out, FieldValue::Json(v)),
            None => {}
        }
        for name in ev.flags.names() {
            item(w.out, FieldValue::Str(name));
        }
        w.out.push(b']');
    }
    w.out.extend_from_slice(b"}\n");
}

const MAX_DEPTH: usize = 8;

struct Nested<'o, 'n> {
    out: &'o mut Vec<u8>,
    open: [&'n str; MAX_DEPTH],
    depth: usize,
    need_comma: bool,
    /// The last leaf written at the current depth, to drop a later object
    /// of the same name (which would be a duplicate key).
    last_leaf: &'n str,
}

impl<'o, 'n> Nested<'o, 'n> {
    fn new(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        Nested {
            out,
            open: [""; MAX_DEPTH],
            depth: 0,
            need_comma: false,
            last_leaf: "",
        }
    }

    fn comma(&mut self) {
        if self.need_comma {
            self.out.push(b',');
        }
        self.need_comma = true;
    }

    fn close_to(&mut self, depth: usize) {
        while self.depth > depth {
            self.out.push(b'}');
            self.depth -= 1;
            self.need_comma = true;
            self.last_leaf = "";
        }
    }

    fn field(&mut self, name: &'n str, value: FieldValue<'_>) {
        // Split into parent segments and the leaf; beyond MAX_DEPTH - 1
        // levels the rest of the name stays dotted in the leaf.
        let mut segs: [&'n str; MAX_DEPTH] = [""; MAX_DEPTH];
        let mut n = 0;
        let mut rest = name;
        while n < MAX_DEPTH - 1 {
            match rest.find('.') {
                Some(i) if i > 0 && i + 1 < rest.len() => {
                    segs[n] = &rest[..i];
                    n += 1;
                    rest = &rest[i + 1..];
                }
                _ => break,
            }
        }
        let leaf = rest;
        let mut common = 0;
        while common < n && common < self.depth && self.open[common] == segs[common] {
            common += 1;
        }
        self.close_to(common);
        for seg in &segs[common..n] {
            if self.depth == common && *seg == self.last_leaf {
                return; // a leaf of this name was written: skip the object
            }
            self.comma();
            write_str(self.out, seg);
            self.out.extend_from_slice(b":{");
            self.open[self.depth] = seg;
            self.depth += 1;
            self.need_comma = false;
            self.last_leaf = "";
        }
        if leaf == self.last_leaf {
            return; // duplicate key
        }
        self.comma();
        write_str(self.out, leaf);
        self.out.push(b':');
        write_value(self.out, value);
        self.last_leaf = leaf;
    }
}

fn write_value(out: &mut Vec<u8>, value: FieldValue<'_>) {
    match value {
        FieldValue::Str(s) => write_str(out, s),
        FieldValue::Int(i) => {
            let mut b = itoa::Buffer::new();
            out.extend_from_slice(b.format(i).as_bytes());
        }
        FieldValue::Ip(ip) => {
            out.push(b'"');
            let _ = write!(out, "{ip}");
            out.push(b'"');
        }
        FieldValue::Time(t) => {
            out.push(b'"');
            t.write_rfc3339(out);
            out.push(b'"');
        }
        FieldValue::Json(v) => {
            if serde_json::to_writer(&mut *out, v).is_err() {
                out.extend_from_slice(b"null");
            }
        }
    }
}

/// Which bytes need escaping in a JSON string.
static ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[0x7f] = true;
    t
};

/// Appends `s` as a quoted JSON string.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !ESCAPE[b as usize] {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Flags;
    use crate::format::Format;
    use crate::time::Timestamp;

    fn render(ev: &Event<'_>) -> serde_json::Value {
        let mut out = Vec::new();
        write_event(ev, &mut out);
        assert_eq!(out.last(), Some(&b'\n'));
        serde_json::from_slice(&out).expect("valid JSON")
    }

    #[test]
    fn nested_ecs() {
        let mut ev = Event::new(
            Format::SyslogRfc3164,
            "a \"quoted\"\tline\u{1b}",
            Timestamp::from_secs(1_705_314_645),
        );
        ev.user_name = Some("root".into());
        ev.user_target_name = Some("admin".into());
        ev.source_ip = "203.0.113.7".parse().ok();
        ev.source_port = Some(22);
        ev.http_status = Some(401);
        ev.file_path = Some("/var/log/auth.log".into());
        ev.file_line = Some(3);
        ev.flags.insert(Flags::TRUNCATED);
        let v = render(&ev);
        assert_eq!(v["@timestamp"], "2024-01-15T10:30:45Z");
        assert_eq!(v["log"]["format"], "syslog_rfc3164");
        assert_eq!(v["log"]["file"]["line"], 3);
        assert_eq!(v["user"]["name"], "root");
        assert_eq!(v["user"]["target"]["name"], "admin");
        assert_eq!(v["source"]["ip"], "203.0.113.7");
        assert_eq!(v["source"]["port"], 22);
        assert_eq!(v["http"]["response"]["status_code"], 401);
        assert_eq!(v["event"]["original"], "a \"quoted\"\tline\u{1b}");
        assert_eq!(v["tags"][0], "truncated");
    }

    #[test]
    fn extras_merge_into_objects_without_duplicates() {
        let mut ev = Event::new(Format::Json, "{}", Timestamp::from_secs(0));
        ev.action = Some("login".into());
        ev.extra
            .push(("event.dataset".into(), serde_json::json!("app")));
        ev.extra
            .push(("labels.env".into(), serde_json::json!("prod")));
        ev.extra
            .push(("a.b.c.d.e.f.g.h.i".into(), serde_json::json!(1)));
        ev.extra
            .push(("event.action".into(), serde_json::json!("dup")));
        let mut out = Vec::new();
        write_event(&ev, &mut out);
        let text = String::from_utf8(out.clone()).unwrap();
        assert_eq!(text.matches("\"event\"").count(), 1, "{text}");
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["event"]["dataset"], "app");
        assert_eq!(v["event"]["action"], "login");
        assert_eq!(v["labels"]["env"], "prod");
        assert_eq!(v["a"]["b"]["c"]["d"]["e"]["f"]["g"]["h.i"], 1);
    }

    #[test]
    fn input_tags_merge_with_flags() {
        let mut ev = Event::new(Format::Json, "{}", Timestamp::from_secs(0));
        ev.extra
            .push(("tags".into(), serde_json::json!(["a", "b"])));
        ev.flags.insert(Flags::TRUNCATED);
        let mut out = Vec::new();
        write_event(&ev, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("\"tags\"").count(), 1, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["tags"], serde_json::json!(["a", "b", "truncated"]));
    }
}
