//! The bytes of a notification, without any I/O: the email (subject, text
//! part, HTML part), the Slack incoming-webhook payload and the generic
//! webhook JSON.
//!
//! Alerts carry attacker-controlled text (user names, request lines, raw log
//! lines). It is shown, never interpreted: HTML-escaped (`& < > " '`) in the
//! HTML part, Slack-escaped (`& < >`) in Slack payloads, and control
//! characters are made visible (`\x1b`) in every human-readable form, or
//! dropped from the subject, which must stay one line.

use std::fmt::Write as _;

use serde_json::{Value, json};

use logsentinel_detect::alert::Severity;

use crate::message::{AlertNote, Digest, IncidentRef, Notification};

/// Longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Slack's limits: header text, section text, field text, fields.
const SLACK_HEADER: usize = 150;
const SLACK_SECTION: usize = 2900;
const SLACK_FIELD: usize = 1900;
/// Longest evidence line shown in Slack.
const SLACK_LINE: usize = 400;
/// Digest lines listed in Slack.
const SLACK_DIGEST_LINES: usize = 20;

/// An email, ready for the SMTP transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    /// One line, no control characters, at most `MAX_SUBJECT_CHARS`.
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// `& < > " '` as entities.
pub fn html_escape(s: &str) -> String {
    escape(s, true)
}

/// `& < >` as Slack wants them in `mrkdwn` text.
pub fn slack_escape(s: &str) -> String {
    escape(s, false)
}

/// `& < >` as entities, and `" '` too with `quotes`.
fn escape(s: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Control characters (ESC, CR, NUL, ...) shown as `\x1b` / `\u{85}`, so a
/// log line cannot drive a terminal or forge lines. Tabs are kept.
pub fn visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\t' {
            let n = u32::from(c);
            if n < 0x80 {
                let _ = write!(out, "\\x{n:02x}");
            } else {
                let _ = write!(out, "\\u{{{n:x}}}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One line: control characters dropped, whitespace runs collapsed, at most
/// `max` characters (an ellipsis marks the cut).
pub fn one_line(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 4));
    let (mut n, mut space) = (0, false);
    for c in s.chars() {
        let c = if c.is_whitespace() {
            ' '
        } else if c.is_control() || is_invisible_format(c) {
            continue;
        } else {
            c
        };
        if c == ' ' && (space || n == 0) {
            continue;
        }
        space = c == ' ';
        if n + 1 >= max {
            out.push('…');
            return out;
        }
        out.push(c);
        n += 1;
    }
    out.trim_end().to_string()
}

/// Bidirectional overrides and zero-width characters, which can make a
/// subject read differently from what it says.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// `s` cut to at most `max` characters, with an ellipsis when cut.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if s.chars().count() > max => {
            let mut out = s.get(..i).unwrap_or("").to_string();
            out.push('…');
            out
        }
        _ => s.to_string(),
    }
}

/// `{dashboard_url}/incidents/{id}`, the id percent-encoded.
pub fn incident_url(dashboard_url: &str, id: &str) -> String {
    let mut url = dashboard_url.trim_end_matches('/').to_string();
    url.push_str("/incidents/");
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            url.push(char::from(b));
        } else {
            let _ = write!(url, "%{b:02X}");
        }
    }
    url
}

fn severity_of(s: &str, score: u8) -> Severity {
    Severity::parse(s).unwrap_or_else(|| Severity::from_score(score))
}

/// Badge colour of a severity (our constants, safe in a style attribute).
fn colour(s: Severity) -> &'static str {
    match s {
        Severity::Low => "#57606a",
        Severity::Medium => "#9a6700",
        Severity::High => "#bc4c00",
        Severity::Critical => "#cf222e",
    }
}

fn or_dash(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

fn techniques(a: &AlertNote) -> String {
    if a.techniques.is_empty() {
        return "-".into();
    }
    a.techniques
        .iter()
        .map(|(id, name)| format!("{id} {name}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn incident_line(i: &IncidentRef) -> String {
    format!(
        "{} ({}, risk score {}, {}, {} alert{})",
        i.id,
        i.chain,
        i.risk_score,
        i.severity,
        i.alerts,
        if i.alerts == 1 { "" } else { "s" }
    )
}

/// The subject template with its placeholders filled in.
fn fill_subject(template: &str, a: &AlertNote) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(rest.get(..open).unwrap_or(""));
        let after = rest.get(open + 1..).unwrap_or("");
        let Some(close) = after.find('}') else {
            out.push_str(rest.get(open..).unwrap_or(""));
            rest = "";
            break;
        };
        let name = after.get(..close).unwrap_or("");
        let value = match name {
            "severity" => a.severity.to_ascii_uppercase(),
            "score" => a.risk_score.to_string(),
            "rule" => a.rule_title.clone(),
            "source" => or_dash(&a.source_ip).to_string(),
            "user" => or_dash(&a.user_name).to_string(),
            "count" => a.count.to_string(),
            "host" => or_dash(&a.host_name).to_string(),
            "incident" => a.incident.as_ref().map_or("-", |i| &i.id).to_string(),
            _ => format!("{{{name}}}"),
        };
        out.push_str(&value);
        rest = after.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn digest_subject(d: &Digest) -> String {
    let top = d.items.iter().max_by_key(|i| i.risk_score);
    let highest = top.map_or(String::new(), |i| {
        format!(
            ", highest {} ({})",
            i.severity.to_ascii_uppercase(),
            i.risk_score
        )
    });
    format!(
        "[LogSentinel] Digest: {} more alert{}{highest}, {} to {}",
        d.total,
        if d.total == 1 { "" } else { "s" },
        d.from,
        d.to
    )
}

/// The email of a notification: subject from `subject_template` (alerts;
/// digests have a fixed subject), a text part and an HTML part with the same
/// content.
pub fn email(
    n: &Notification,
    subject_template: &str,
    dashboard_url: Option<&str>,
) -> RenderedEmail {
    match n {
        Notification::Alert(a) => RenderedEmail {
            subject: one_line(&fill_subject(subject_template, a), MAX_SUBJECT_CHARS),
            text: alert_text(a, dashboard_url),
            html: alert_html(a, dashboard_url),
        },
        Notification::Digest(d) => RenderedEmail {
            subject: one_line(&digest_subject(d), MAX_SUBJECT_CHARS),
            text: digest_text(d, dashboard_url),
            html: digest_html(d, dashboard_url),
        },
    }
}

/// (label, value) rows of an alert, in display order; values raw.
fn alert_rows(a: &AlertNote, dashboard_url: Option<&str>) -> Vec<(&'static str, String)> {
    let sev = severity_of(&a.severity, a.risk_score);
    let mut rows = vec![
        ("Rule", format!("{} ({})", a.rule_title, a.rule_id)),
        (
            "Severity",
            format!(
                "{}, risk score {}/100 ({})",
                a.severity,
                a.risk_score,
                sev.action()
            ),
        ),
        ("ATT&CK", techniques(a)),
        ("Source IP", or_dash(&a.source_ip).to_string()),
        ("User", or_dash(&a.user_name).to_string()),
        ("Host", or_dash(&a.host_name).to_string()),
        (
            "Count",
            format!("{} event{}", a.count, if a.count == 1 { "" } else { "s" }),
        ),
        ("First seen", a.first_seen.clone()),
        ("Last seen", a.last_seen.clone()),
    ];
    if let Some(i) = &a.incident {
        rows.push(("Incident", incident_line(i)));
        if let Some(url) = dashboard_url {
            rows.push(("Incident link", incident_url(url, &i.id)));
        }
    }
    rows.push(("Alert id", a.alert_id.clone()));
    rows
}

fn evidence_place(file: &Option<String>, line: Option<u64>) -> String {
    match (file, line) {
        (Some(f), Some(l)) => format!("{f}:{l}"),
        (Some(f), None) => f.clone(),
        (None, Some(l)) => format!("line {l}"),
        (None, None) => "-".into(),
    }
}

fn alert_text(a: &AlertNote, dashboard_url: Option<&str>) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{} alert: {}\n{}\n",
        a.severity.to_ascii_uppercase(),
        visible(&a.rule_title),
        visible(&a.summary)
    );
    for (label, value) in alert_rows(a, dashboard_url) {
        let _ = writeln!(t, "{:<14}{}", format!("{label}:"), visible(&value));
    }
    if !a.description.is_empty() {
        let _ = writeln!(t, "\n{}", visible(a.description.trim()));
    }
    let _ = writeln!(
        t,
        "\nEvidence ({} line{}):",
        a.evidence.len(),
        if a.evidence.len() == 1 { "" } else { "s" }
    );
    for e in &a.evidence {
        let _ = writeln!(
            t,
            "  {}  {}\n    {}",
            visible(&evidence_place(&e.file, e.line)),
            visible(&e.timestamp),
            visible(&e.message)
        );
    }
    t.push_str("\n-- \nLogSentinel\n");
    t
}

const HTML_HEAD: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n\
<body style=\"font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328;font-size:14px\">\n";
const HTML_FOOT: &str = "<p style=\"color:#57606a;font-size:12px\">Sent by LogSentinel. \
Log lines are shown as text.</p>\n</body></html>\n";

fn badge(sev: Severity) -> String {
    format!(
        "<span style=\"background:{};color:#ffffff;padding:2px 8px;border-radius:3px\">{}</span>",
        colour(sev),
        sev.as_str().to_ascii_uppercase()
    )
}

fn alert_html(a: &AlertNote, dashboard_url: Option<&str>) -> String {
    let sev = severity_of(&a.severity, a.risk_score);
    let mut h = String::from(HTML_HEAD);
    let _ = writeln!(
        h,
        "<h2 style=\"margin:0 0 8px 0\">{} {}</h2>\n<p>{}</p>",
        badge(sev),
        html_escape(&visible(&a.rule_title)),
        html_escape(&visible(&a.summary))
    );
    h.push_str("<table cellpadding=\"4\" style=\"border-collapse:collapse\">\n");
    for (label, value) in alert_rows(a, dashboard_url) {
        let cell = if label == "Incident link" {
            let v = html_escape(&value);
            format!("<a href=\"{v}\">{v}</a>")
        } else {
            html_escape(&visible(&value))
        };
        let _ = writeln!(
            h,
            "<tr><th align=\"left\" valign=\"top\" style=\"color:#57606a;white-space:nowrap\">{}</th><td>{cell}</td></tr>",
            html_escape(label)
        );
    }
    h.push_str("</table>\n");
    if !a.description.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", html_escape(&visible(a.description.trim())));
    }
    let _ = writeln!(h, "<h3>Evidence ({})</h3>", a.evidence.len());
    h.push_str("<table cellpadding=\"4\" style=\"border-collapse:collapse;font-size:12px\">\n");
    for e in &a.evidence {
        let _ = writeln!(
            h,
            "<tr><td valign=\"top\" style=\"color:#57606a;white-space:nowrap\">{}<br>{}</td>\
             <td><pre style=\"margin:0;white-space:pre-wrap;word-break:break-all\">{}</pre></td></tr>",
            html_escape(&visible(&evidence_place(&e.file, e.line))),
            html_escape(&visible(&e.timestamp)),
            html_escape(&visible(&e.message))
        );
    }
    h.push_str("</table>\n");
    h.push_str(HTML_FOOT);
    h
}

fn digest_intro(d: &Digest) -> String {
    let listed = d.items.len() as u64;
    let mut s = format!(
        "{} alert{} of channel {} were folded into this digest (de-duplication and rate limiting), from {} to {}.",
        d.total,
        if d.total == 1 { "" } else { "s" },
        d.channel,
        d.from,
        d.to
    );
    if d.total > listed {
        let _ = write!(s, " The first {listed} are listed.");
    }
    s
}

fn digest_text(d: &Digest, dashboard_url: Option<&str>) -> String {
    let mut t = format!("LogSentinel digest\n{}\n\n", visible(&digest_intro(d)));
    for i in &d.items {
        let _ = writeln!(
            t,
            "{:<8} {:>3}  {}  {}",
            i.severity.to_ascii_uppercase(),
            i.risk_score,
            visible(&i.first_seen),
            visible(&i.summary)
        );
        if let Some(id) = &i.incident_id {
            let link = dashboard_url.map_or(String::new(), |u| format!(" {}", incident_url(u, id)));
            let _ = writeln!(t, "{:14}incident {}{}", "", visible(id), link);
        }
    }
    let more = d.total.saturating_sub(d.items.len() as u64);
    if more > 0 {
        let _ = writeln!(t, "... and {more} more.");
    }
    t.push_str("\n-- \nLogSentinel\n");
    t
}

fn digest_html(d: &Digest, dashboard_url: Option<&str>) -> String {
    let mut h = String::from(HTML_HEAD);
    let _ = writeln!(
        h,
        "<h2 style=\"margin:0 0 8px 0\">LogSentinel digest</h2>\n<p>{}</p>",
        html_escape(&visible(&digest_intro(d)))
    );
    h.push_str("<table cellpadding=\"4\" style=\"border-collapse:collapse\">\n");
    h.push_str("<tr><th align=\"left\">Severity</th><th align=\"left\">Score</th><th align=\"left\">First seen</th><th align=\"left\">Alert</th><th align=\"left\">Incident</th></tr>\n");
    for i in &d.items {
        let incident = match (&i.incident_id, dashboard_url) {
            (Some(id), Some(u)) => {
                let url = html_escape(&incident_url(u, id));
                format!("<a href=\"{url}\">{}</a>", html_escape(&visible(id)))
            }
            (Some(id), None) => html_escape(&visible(id)),
            (None, _) => "-".into(),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td style=\"white-space:nowrap\">{}</td><td>{}</td><td>{incident}</td></tr>",
            badge(severity_of(&i.severity, i.risk_score)),
            i.risk_score,
            html_escape(&visible(&i.first_seen)),
            html_escape(&visible(&i.summary))
        );
    }
    h.push_str("</table>\n");
    let more = d.total.saturating_sub(d.items.len() as u64);
    if more > 0 {
        let _ = writeln!(h, "<p>... and {more} more.</p>");
    }
    h.push_str(HTML_FOOT);
    h
}

fn mrkdwn(text: &str) -> Value {
    json!({"type": "mrkdwn", "text": text})
}

fn field(label: &str, value: &str) -> Value {
    mrkdwn(&cut(
        &format!("*{label}*\n{}", slack_escape(&visible(value))),
        SLACK_FIELD,
    ))
}

/// Text of a Slack code block: escaped, backticks replaced by a look-alike
/// so the text cannot close the block.
fn slack_code(s: &str) -> String {
    slack_escape(&visible(s)).replace('`', "\u{02cb}")
}

/// The Slack incoming-webhook payload: `text` (the notification fallback)
/// and `blocks` (header, summary, fields, evidence, incident link).
pub fn slack(n: &Notification, dashboard_url: Option<&str>) -> Value {
    match n {
        Notification::Alert(a) => slack_alert(a, dashboard_url),
        Notification::Digest(d) => slack_digest(d, dashboard_url),
    }
}

fn slack_alert(a: &AlertNote, dashboard_url: Option<&str>) -> Value {
    let sev = a.severity.to_ascii_uppercase();
    let fallback = format!("{sev} ({}): {}", a.risk_score, a.summary);
    let mut fields = vec![
        field(
            "Severity",
            &format!("{} ({}/100)", a.severity, a.risk_score),
        ),
        field("ATT&CK", &techniques(a)),
        field("Source IP", or_dash(&a.source_ip)),
        field("User", or_dash(&a.user_name)),
        field("Host", or_dash(&a.host_name)),
        field("Count", &a.count.to_string()),
        field("First seen", &a.first_seen),
        field("Last seen", &a.last_seen),
    ];
    if let Some(i) = &a.incident {
        fields.push(field("Incident", &incident_line(i)));
    }
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text",
            "text": cut(&one_line(&format!("{sev}: {}", a.rule_title), SLACK_HEADER), SLACK_HEADER),
            "emoji": false}}),
        json!({"type": "section", "text": mrkdwn(&cut(&slack_escape(&visible(&a.summary)), SLACK_SECTION))}),
        json!({"type": "section", "fields": fields}),
    ];
    if !a.evidence.is_empty() {
        let mut code = String::new();
        for e in &a.evidence {
            let line = format!("{} {}", e.timestamp, cut(&e.message, SLACK_LINE));
            let line = slack_code(&line);
            if code.chars().count() + line.chars().count() + 1 > SLACK_SECTION - 40 {
                code.push_str("…\n");
                break;
            }
            code.push_str(&line);
            code.push('\n');
        }
        blocks.push(json!({"type": "section",
            "text": mrkdwn(&format!("*Evidence*\n```{code}```"))}));
    }
    if let (Some(i), Some(url)) = (&a.incident, dashboard_url) {
        let link = format!(
            "<{}|Open incident {}>",
            incident_url(url, &i.id),
            slack_escape(&visible(&i.id))
        );
        blocks.push(json!({"type": "context", "elements": [mrkdwn(&link)]}));
    }
    json!({"text": slack_escape(&visible(&cut(&fallback, SLACK_SECTION))), "blocks": blocks})
}

fn slack_digest(d: &Digest, dashboard_url: Option<&str>) -> Value {
    let header = format!(
        "LogSentinel digest: {} alert{}",
        d.total,
        if d.total == 1 { "" } else { "s" }
    );
    let mut list = String::new();
    let mut shown = 0u64;
    for i in d.items.iter().take(SLACK_DIGEST_LINES) {
        let mut line = format!(
            "• *{}* ({}) {}",
            i.severity.to_ascii_uppercase(),
            i.risk_score,
            slack_escape(&visible(&cut(&i.summary, SLACK_LINE)))
        );
        if let (Some(id), Some(u)) = (&i.incident_id, dashboard_url) {
            let _ = write!(line, " <{}|incident>", incident_url(u, id));
        }
        if list.chars().count() + line.chars().count() + 1 > SLACK_SECTION - 40 {
            break;
        }
        list.push_str(&line);
        list.push('\n');
        shown += 1;
    }
    let more = d.total.saturating_sub(shown);
    if more > 0 {
        let _ = write!(list, "… and {more} more");
    }
    let intro = slack_escape(&visible(&digest_intro(d)));
    json!({
        "text": header,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": false}},
            {"type": "section", "text": mrkdwn(&cut(&intro, SLACK_SECTION))},
            {"type": "section", "text": mrkdwn(&list)},
        ]
    })
}

/// The generic webhook body. An alert: the alert contract JSON, with
/// `incident` replaced by the full reference when there is one. A digest:
/// `{"kind": "digest", "channel", "total", "from", "to", "alerts": [...]}`.
pub fn webhook_json(n: &Notification) -> Value {
    match n {
        Notification::Alert(a) => {
            let mut v = a.alert.clone();
            if let (Some(i), Some(m)) = (&a.incident, v.as_object_mut()) {
                m.insert(
                    "incident".into(),
                    json!({
                        "id": i.id,
                        "chain": i.chain,
                        "risk_score": i.risk_score,
                        "severity": i.severity,
                        "alerts": i.alerts,
                    }),
                );
            }
            v
        }
        Notification::Digest(d) => json!({
            "kind": "digest",
            "channel": d.channel,
            "total": d.total,
            "from": d.from,
            "to": d.to,
            "alerts": d.items,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::tests::{sample_digest, sample_note};

    const DASH: Option<&str> = Some("https://sentinel.example.com/");

    #[test]
    fn html_escapes_attacker_text_and_text_keeps_it() {
        let n = Notification::Alert(sample_note());
        let m = email(&n, "[LogSentinel] {severity} {rule} from {source}", DASH);
        // Neither the user name nor the log line becomes markup.
        assert!(!m.html.contains("<script>"), "{}", m.html);
        assert!(m.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert_eq!(m.html.matches("&lt;script&gt;").count(), 3, "{}", m.html);
        // The text part shows them literally, control characters visible.
        assert!(
            m.text.contains("User:         <script>alert(1)</script>"),
            "{}",
            m.text
        );
        assert!(
            m.text
                .contains("Invalid user <script>alert(1)</script> from")
        );
        assert!(m.text.contains("\\x1b[31m") && !m.text.contains('\x1b'));
        assert!(!m.html.contains('\x1b'));
        // Every field of the spec is in both parts.
        for part in [&m.text, &m.html] {
            for needle in [
                "SSH brute force",
                "high, risk score 70/100",
                "T1110.001 Password Guessing",
                "203.0.113.7",
                "57 events",
                "2024-01-15T10:31:02Z",
                "2024-01-15T10:32:02Z",
                "https://sentinel.example.com/incidents/inc0123",
                "/var/log/auth.log:1042",
                "inc0123 (reconnaissance → initial_access, risk score 85, critical, 3 alerts)",
            ] {
                assert!(part.contains(needle), "{needle} missing from {part}");
            }
        }
        assert!(
            m.html
                .contains("<a href=\"https://sentinel.example.com/incidents/inc0123\">")
        );
        assert_eq!(
            m.subject,
            "[LogSentinel] HIGH SSH brute force from 203.0.113.7"
        );
    }

    #[test]
    fn subject_is_one_clean_line() {
        let mut a = sample_note();
        a.rule_title = "evil\x1b[2J\r\nBcc: victim@example.com\u{202e}".into();
        a.user_name = Some("x".repeat(500));
        let m = email(
            &Notification::Alert(a.clone()),
            "{severity} {rule} {user}",
            None,
        );
        assert!(
            !m.subject.chars().any(|c| c.is_control()),
            "{:?}",
            m.subject
        );
        assert!(!m.subject.contains('\u{202e}'));
        assert!(
            m.subject
                .starts_with("HIGH evil[2J Bcc: victim@example.com x")
        );
        assert_eq!(m.subject.chars().count(), MAX_SUBJECT_CHARS);
        assert!(m.subject.ends_with('…'));
        // No dashboard: the incident is named, not linked.
        assert!(!m.html.contains("<a href"));
        assert!(m.text.contains("Incident:     inc0123"));
        let m = email(
            &Notification::Alert(a),
            "{score} {count} {host} {incident} {source} {nope} {",
            None,
        );
        assert_eq!(m.subject, "70 57 web1 inc0123 203.0.113.7 {nope} {");
    }

    #[test]
    fn digest_email_lists_items_and_the_rest() {
        let n = Notification::Digest(sample_digest());
        let m = email(&n, "ignored {rule}", DASH);
        assert!(
            m.subject
                .starts_with("[LogSentinel] Digest: 75 more alerts, highest HIGH (70)")
        );
        assert!(m.text.contains("... and 73 more."));
        assert!(m.html.contains("... and 73 more."));
        assert!(
            m.text
                .contains("https://sentinel.example.com/incidents/inc0123")
        );
        assert!(!m.html.contains("<script>"));
        assert!(m.html.contains("&lt;script&gt;"));
    }

    #[test]
    fn slack_payload_shape_and_escaping() {
        let v = slack(&Notification::Alert(sample_note()), DASH);
        let fallback = v["text"].as_str().unwrap();
        assert!(
            fallback
                .starts_with("HIGH (70): SSH brute force from 203.0.113.7 against &lt;script&gt;")
        );
        let blocks = v["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(blocks[0]["text"]["type"], "plain_text");
        assert_eq!(blocks[0]["text"]["text"], "HIGH: SSH brute force");
        assert_eq!(blocks[2]["type"], "section");
        let fields = blocks[2]["fields"].as_array().unwrap();
        assert!(fields.len() <= 10);
        assert!(fields.iter().all(|f| f["type"] == "mrkdwn"));
        let user = fields
            .iter()
            .find(|f| f["text"].as_str().unwrap().starts_with("*User*"))
            .unwrap();
        assert_eq!(
            user["text"],
            "*User*\n&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        let evidence = blocks[3]["text"]["text"].as_str().unwrap();
        assert!(evidence.starts_with("*Evidence*\n```") && evidence.ends_with("```"));
        assert!(evidence.contains("Invalid user &lt;script&gt;") && evidence.contains("\\x1b[31m"));
        assert_eq!(
            blocks[4]["elements"][0]["text"],
            "<https://sentinel.example.com/incidents/inc0123|Open incident inc0123>"
        );
        // Nothing in the payload can open a Slack link or mention but ours.
        let all = v.to_string();
        assert_eq!(all.matches('<').count(), 1, "{all}");

        let mut hostile = sample_note();
        hostile.evidence[0].message = "``` <!channel> &".into();
        let v = slack(&Notification::Alert(hostile), None);
        let evidence = v["blocks"][3]["text"]["text"].as_str().unwrap();
        assert_eq!(evidence.matches("```").count(), 2, "{evidence}");
        assert!(evidence.contains("&lt;!channel&gt; &amp;"));
        assert_eq!(v["blocks"].as_array().unwrap().len(), 4);

        let v = slack(&Notification::Digest(sample_digest()), DASH);
        assert_eq!(v["text"], "LogSentinel digest: 75 alerts");
        assert_eq!(v["blocks"][0]["type"], "header");
        let list = v["blocks"][2]["text"]["text"].as_str().unwrap();
        assert!(list.contains("• *HIGH* (70) SSH brute force"), "{list}");
        assert!(list.ends_with("… and 73 more"), "{list}");
        assert!(!list.contains("<script>"));
    }

    #[test]
    fn webhook_json_is_the_contract() {
        let note = sample_note();
        let v = webhook_json(&Notification::Alert(note.clone()));
        assert_eq!(v["event"]["kind"], "alert");
        assert_eq!(v["event"]["id"], note.alert_id.as_str());
        assert_eq!(v["rule"]["name"], "SSH brute force");
        assert_eq!(v["user"]["name"], "<script>alert(1)</script>");
        assert_eq!(v["incident"]["id"], "inc0123");
        assert_eq!(v["incident"]["chain"], "reconnaissance → initial_access");
        assert_eq!(v["incident"]["alerts"], 3);
        let mut alone = note;
        alone.incident = None;
        alone.alert.as_object_mut().unwrap().remove("incident");
        assert!(
            webhook_json(&Notification::Alert(alone))
                .get("incident")
                .is_none()
        );

        let v = webhook_json(&Notification::Digest(sample_digest()));
        assert_eq!(v["kind"], "digest");
        assert_eq!(v["channel"], "ops");
        assert_eq!(v["total"], 75);
        assert_eq!(v["from"], "2024-01-15T10:31:02.250Z");
        assert_eq!(v["alerts"].as_array().unwrap().len(), 2);
        assert_eq!(v["alerts"][0]["incident_id"], "inc0123");
    }

    #[test]
    fn helpers() {
        assert_eq!(
            html_escape(r#"<a href="x" b='y'>&"#),
            "&lt;a href=&quot;x&quot; b=&#39;y&#39;&gt;&amp;"
        );
        assert_eq!(visible("a\x00b\u{85}c\td"), "a\\x00b\\u{85}c\td");
        assert_eq!(
            incident_url("https://h/", "a b/c"),
            "https://h/incidents/a%20b%2Fc"
        );
        assert_eq!(cut("héllo", 3), "hé…");
        assert_eq!(cut("hé", 3), "hé");
        assert_eq!(one_line("  a \n\n b  ", 10), "a b");
    }
}
