//! Cisco ASA / FTD / PIX / FWSM firewall messages: `%ASA-<sev>-<id>: text`,
//! bare or behind a syslog-like header:
//!
//! - `Jan 15 2024 10:30:45 fw01 : %ASA-4-106023: ...` (device stamp and name)
//! - `<166>Jan 15 2024 10:30:45: %ASA-6-302013: ...` (no device name)
//! - `Jan 15 10:30:45 fw01 %ASA-6-302013: ...` (year inferred)
//! - `2024-01-15T10:30:45Z fw01 : %FTD-6-430003: ...`
//! - `%ASA-6-302013: ...`
//!
//! Maps `event.code` (message id), `log.level` and `log.syslog.severity`
//! from the severity digit (facility 20, local4, the ASA default, when the
//! line had no `<PRI>`), `host.name` (the device), and for the messages
//! detection needs (ACL denies, connection build/teardown, ICMP denies,
//! threat detection, AAA and management logins, commands run) the ECS
//! category/action/outcome, `source.*`, `destination.*`,
//! `network.transport`, `user.name` and `event.reason`. Unknown ids still
//! give an event with code, level and message.

use std::borrow::Cow;
use std::net::IpAddr;

use crate::event::{Category, Event, Outcome, SyslogPri};
use crate::format::{Format, ParseCtx};
use crate::formats::syslog_header::parse_pri;
use crate::formats::syslog_rfc3164::parse_bsd_stamp;
use crate::net::parse_ip;
use crate::time::Timestamp;

/// How far into the line the `%ASA-` tag may start.
const MAX_HEADER: usize = 200;

pub fn parse<'a>(line: &'a str, ctx: &ParseCtx) -> Option<Event<'a>> {
    let b = line.as_bytes();
    let (pri, start) = match parse_pri(b) {
        Some((p, n)) => (Some(p), n),
        None => (None, 0),
    };
    let window = b.get(start..b.len().min(start + MAX_HEADER))?;
    let (tag_at, sev, id, text_at) = memchr::memchr_iter(b'%', window)
        .find_map(|p| parse_tag(b, start + p).map(|(s, id, t)| (start + p, s, id, t)))?;
    let header = line.get(start..tag_at)?;
    let (ts, host) = parse_header(header, ctx)?;
    let text = line.get(text_at..)?;

    let mut ev = Event::new(Format::CiscoAsa, line, ts);
    ev.syslog = Some(pri.unwrap_or(SyslogPri {
        facility: 20,
        severity: sev,
    }));
    ev.log_level = Some(Cow::Borrowed(level_name(sev)));
    let code = line.get(id.0..id.1)?;
    ev.code = Some(Cow::Borrowed(code));
    ev.host_name = host.map(Cow::Borrowed);
    ev.message = Some(Cow::Borrowed(text));
    if let Ok(n) = code.parse::<u32>() {
        facts(&mut ev, n, text);
    }
    Some(ev)
}

/// `%ASA-6-302013:` at `b[i]`: (severity, id byte range, message start).
fn parse_tag(b: &[u8], i: usize) -> Option<(u8, (usize, usize), usize)> {
    let rest = b.get(i + 1..)?;
    let name_len = [&b"ASA-"[..], b"FTD-", b"PIX-", b"FWSM-"]
        .iter()
        .find(|p| rest.starts_with(p))?
        .len();
    let mut j = i + 1 + name_len;
    let sev = *b.get(j)?;
    if !(b'0'..=b'7').contains(&sev) || b.get(j + 1) != Some(&b'-') {
        return None;
    }
    j += 2;
    let id_start = j;
    while b.get(j).is_some_and(u8::is_ascii_digit) {
        j += 1;
    }
    if !(4..=7).contains(&(j - id_start)) || b.get(j) != Some(&b':') {
        return None;
    }
    let id = (id_start, j);
    j += 1;
    if b.get(j) == Some(&b' ') {
        j += 1;
    }
    Some((sev - b'0', id, j))
}

/// The part before the tag: optional stamp, then optional device name and
/// `:`; a relay may put its own stamp and name in front (`Jan 15 10:30:46
/// relay Jan 15 2024 10:30:45 fw01 :`). Returns the stamp (default when
/// absent) and the device. None when the header is other text.
fn parse_header<'a>(header: &'a str, ctx: &ParseCtx) -> Option<(Timestamp, Option<&'a str>)> {
    let h = header.trim_start_matches(' ');
    let Some((mut ts, rest)) = read_stamp(h, ctx) else {
        return Some((Timestamp::default(), single_host(h)?));
    };
    let rest = rest.trim_start_matches([' ', ':']);
    if rest.is_empty() {
        return Some((ts, None));
    }
    let (first, after) = rest.split_once(' ').unwrap_or((rest, ""));
    let mut host = Some(first.trim_end_matches(':')).filter(|h| !h.is_empty());
    let after = after.trim_matches(' ');
    if !after.is_empty() && after != ":" {
        let (device_ts, device_rest) = read_stamp(after, ctx)?;
        ts = device_ts;
        if let Some(device) = single_host(device_rest)? {
            host = Some(device);
        }
    }
    Some((ts, host))
}

/// A BSD or RFC 3339 stamp at the start of `h`, ending at a space, a colon
/// or the end; returns it and the rest.
fn read_stamp<'a>(h: &'a str, ctx: &ParseCtx) -> Option<(Timestamp, &'a str)> {
    let hb = h.as_bytes();
    let (ts, n) = match parse_bsd_stamp(hb, ctx) {
        Some((civil, n)) => (ctx.zone.to_utc(&civil)?, n),
        None => Timestamp::parse_rfc3339_prefix(hb, Some(&ctx.zone))?,
    };
    let rest = h.get(n..)?;
    matches!(rest.as_bytes().first(), None | Some(b' ' | b':')).then_some((ts, rest))
}

/// `[NAME][ ][:]`: Some(name or None); None when there is more text.
fn single_host(s: &str) -> Option<Option<&str>> {
    let mut words = s.split(' ').filter(|w| !w.is_empty() && *w != ":");
    let host = words
        .next()
        .map(|w| w.trim_end_matches(':'))
        .filter(|w| !w.is_empty());
    if words.next().is_some() || host.is_some_and(|h| h.contains(':') && parse_ip(h).is_none()) {
        return None;
    }
    Some(host)
}

fn level_name(sev: u8) -> &'static str {
    match sev {
        0 => "emergency",
        1 => "alert",
        2 => "critical",
        3 => "error",
        4 => "warning",
        5 => "notice",
        6 => "informational",
        _ => "debug",
    }
}

fn facts<'a>(ev: &mut Event<'a>, id: u32, text: &'a str) {
    match id {
        106001 | 106002 | 106006 | 106007 | 106010 | 106014 | 106015 | 106016 | 106017 | 106018
        | 106020 | 106021 | 106023 | 313005 | 710003 => {
            deny(ev, text);
            if id == 106023 {
                acl_name(ev, word_after(text, "access-group"));
            }
        }
        106100 => access_list(ev, text),
        302013 | 302015 | 302014 | 302016 | 302020 | 302021 => connection(ev, id, text),
        313001 | 313004 => {
            deny(ev, text);
            ev.network_transport = Some(Cow::Borrowed("icmp"));
            if let Some(ip) = word_after(text, "laddr").and_then(parse_ip) {
                ev.source_ip = Some(ip);
            }
        }
        733100 => {
            threat(ev);
            if let Some(open) = text.find('[')
                && let Some(close) = text[open..].find(']')
            {
                let obj = text[open + 1..open + close].trim();
                match parse_ip(obj) {
                    Some(ip) => ev.source_ip = Some(ip),
                    None if !obj.is_empty() => ev.reason = Some(Cow::Borrowed(obj)),
                    None => {}
                }
            }
        }
        733101 => {
            threat(ev);
            let target = word_after(text, "Host").or_else(|| word_after(text, "Subnet"));
            let ip = target.and_then(parse_ip);
            if text.contains("is targeted") {
                ev.destination_ip = ip;
            } else {
                ev.source_ip = ip;
            }
        }
        113004 | 113005 | 113012 | 113015 => aaa(ev, text),
        605004 | 605005 => {
            auth(ev, id == 605005);
            set_endpoints(ev, word_after(text, "from"), word_after(text, "to"));
            ev.user_name = after(text, "for user ")
                .and_then(first_word)
                .map(unquote)
                .map(Cow::Borrowed);
        }
        109005 | 109006 => {
            auth(ev, id == 109005);
            set_endpoints(ev, word_after(text, "from"), word_after(text, "to"));
            ev.user_name = word_after(text, "user").map(Cow::Borrowed);
        }
        611101 | 611102 => {
            auth(ev, id == 611101);
            if let Some(ip) = after(text, "IP address: ")
                .and_then(first_word)
                .and_then(parse_ip)
            {
                ev.source_ip = Some(ip);
            }
            ev.user_name = after(text, "Uname: ")
                .and_then(first_word)
                .map(Cow::Borrowed);
        }
        716038 | 716039 => {
            auth(ev, id == 716038);
            ev.user_name = angle(text, "User <").map(Cow::Borrowed);
            ev.source_ip = angle(text, "IP <").and_then(parse_ip);
        }
        111008..=111010 => command(ev, text),
        502103 => {
            ev.category = Some(Category::Iam);
            ev.action = Some(Cow::Borrowed("privilege_changed"));
            ev.outcome = Some(Outcome::Success);
            ev.user_name = after(text, "Uname: ")
                .and_then(first_word)
                .map(Cow::Borrowed);
        }
        _ => {}
    }
}

fn deny<'a>(ev: &mut Event<'a>, text: &'a str) {
    ev.category = Some(Category::Network);
    ev.action = Some(Cow::Borrowed("firewall_deny"));
    ev.outcome = Some(Outcome::Failure);
    ev.network_transport = transport(text);
    if word_after(text, "src").is_some() {
        set_endpoints(ev, word_after(text, "src"), word_after(text, "dst"));
    } else {
        set_endpoints(ev, word_after(text, "from"), word_after(text, "to"));
    }
}

/// `access-list NAME {permitted|denied|est-allowed} PROTO IF/IP(PORT) -> IF/IP(PORT) ...`
fn access_list<'a>(ev: &mut Event<'a>, text: &'a str) {
    let mut w = text.split(' ').filter(|w| !w.is_empty());
    if w.next() != Some("access-list") {
        return;
    }
    let name = w.next();
    let verdict = w.next().unwrap_or("");
    ev.category = Some(Category::Network);
    let denied = verdict == "denied";
    ev.action = Some(Cow::Borrowed(if denied {
        "firewall_deny"
    } else {
        "firewall_permit"
    }));
    ev.outcome = Some(if denied {
        Outcome::Failure
    } else {
        Outcome::Success
    });
    ev.network_transport = w.next().and_then(proto_name);
    let src = w.next();
    let _arrow = w.next();
    let dst = w.next();
    let paren = |t: &str| -> (Option<IpAddr>, Option<u16>) {
        let t = t.split_once('/').map_or(t, |(_, r)| r);
        match t.split_once('(') {
            Some((ip, port)) => (parse_ip(ip), port.trim_end_matches(')').parse().ok()),
            None => (parse_ip(t), None),
        }
    };
    if let Some(s) = src {
        (ev.source_ip, ev.source_port) = paren(s);
    }
    if let Some(d) = dst {
        (ev.destination_ip, ev.destination_port) = paren(d);
    }
    acl_name(ev, name);
}

fn acl_name(ev: &mut Event<'_>, name: Option<&str>) {
    if let Some(n) = name.map(|n| n.trim_matches('"')).filter(|n| !n.is_empty()) {
        ev.extra.push((Cow::Borrowed("rule.name"), n.into()));
    }
}

/// Built / Teardown of TCP, UDP and ICMP connections. The `for` side is
/// the foreign (lower-security) one and the `to` side the local one; the
/// direction says which initiated. Teardowns carry no direction: the side
/// with the well-known port is taken as the server.
fn connection<'a>(ev: &mut Event<'a>, id: u32, text: &'a str) {
    ev.category = Some(Category::Network);
    ev.network_transport = transport(text);
    let built = text.starts_with("Built");
    ev.action = Some(Cow::Borrowed(if built {
        "connection_built"
    } else {
        "connection_teardown"
    }));
    if built {
        ev.outcome = Some(Outcome::Success);
    }
    let icmp = id == 302020 || id == 302021;
    let (foreign, local) = if icmp {
        (word_after(text, "faddr"), word_after(text, "laddr"))
    } else {
        (word_after(text, "for"), word_after(text, "to"))
    };
    let f = foreign.and_then(endpoint);
    let l = local.and_then(endpoint);
    let outbound = if built {
        text.starts_with("Built outbound")
    } else {
        match (f, l) {
            (Some((_, Some(fp))), Some((_, Some(lp)))) => fp < lp && fp < 1024,
            _ => icmp,
        }
    };
    let (src, dst) = if outbound { (l, f) } else { (f, l) };
    if let Some((ip, port)) = src {
        ev.source_ip = Some(ip);
        ev.source_port = if icmp { None } else { port };
    }
    if let Some((ip, port)) = dst {
        ev.destination_ip = Some(ip);
        ev.destination_port = if icmp { None } else { port };
    }
    if !built {
        if let Some(d) = word_after(text, "duration").and_then(parse_duration) {
            ev.duration_ns = Some(d);
        }
        // `bytes N <reason>`: the teardown reason, up to a `(user)` suffix.
        if let Some(i) = text.find(" bytes ") {
            let rest = &text[i + 7..];
            if let Some(sp) = rest.find(' ') {
                let reason = rest[sp + 1..].split(" (").next().unwrap_or("").trim();
                if !reason.is_empty() {
                    ev.reason = Some(Cow::Borrowed(reason));
                }
            }
        }
    }
}

fn threat(ev: &mut Event<'_>) {
    ev.category = Some(Category::IntrusionDetection);
    ev.action = Some(Cow::Borrowed("threat_detected"));
}

fn auth(ev: &mut Event<'_>, success: bool) {
    ev.category = Some(Category::Authentication);
    ev.action = Some(Cow::Borrowed(if success {
        "auth_success"
    } else {
        "auth_failure"
    }));
    ev.outcome = Some(if success {
        Outcome::Success
    } else {
        Outcome::Failure
    });
}

/// `AAA user authentication Rejected : reason = X : server = Y : user = Z : user IP = W`
/// (`local database` instead of a server for 113012/113015).
fn aaa<'a>(ev: &mut Event<'a>, text: &'a str) {
    let head = text.split(" : ").next().unwrap_or("");
    let success = head.contains("Successful");
    if head.contains("authentication") {
        auth(ev, success);
    } else if head.contains("authorization") {
        ev.category = Some(Category::Authentication);
        ev.action = Some(Cow::Borrowed(if success {
            "authorization_success"
        } else {
            "authorization_failure"
        }));
        ev.outcome = Some(if success {
            Outcome::Success
        } else {
            Outcome::Failure
        });
    } else {
        return; // accounting
    }
    for part in text.split(" : ").skip(1) {
        let Some((k, v)) = part.split_once(" = ") else {
            continue;
        };
        let v = v.trim();
        match k.trim() {
            "user" if !v.is_empty() => ev.user_name = Some(Cow::Borrowed(v)),
            "user IP" => ev.source_ip = parse_ip(v),
            "reason" if !v.is_empty() => ev.reason = Some(Cow::Borrowed(v)),
            _ => {}
        }
    }
}

/// 111008 `User 'admin' executed the 'configure terminal' command.`,
/// 111009 `User 'enable_15' executed cmd: show running-config`,
/// 111010 `User 'admin', running 'CLI' from IP 10.0.0.2, executed 'write memory'`.
fn command<'a>(ev: &mut Event<'a>, text: &'a str) {
    ev.category = Some(Category::Process);
    ev.action = Some(Cow::Borrowed("command_executed"));
    ev.outcome = Some(Outcome::Success);
    ev.user_name = quoted_after(text, "User '").map(Cow::Borrowed);
    let cmd = quoted_after(text, "executed the '")
        .or_else(|| quoted_after(text, "executed '"))
        .or_else(|| after(text, "executed cmd: ").map(str::trim));
    ev.process_command_line = cmd.filter(|c| !c.is_empty()).map(Cow::Borrowed);
    if let Some(ip) = word_after(text, "IP").and_then(parse_ip) {
        ev.source_ip = Some(ip);
    }
}

fn set_endpoints(ev: &mut Event<'_>, src: Option<&str>, dst: Option<&str>) {
    if let Some((ip, port)) = src.and_then(endpoint) {
        ev.source_ip = Some(ip);
        ev.source_port = port;
    }
    if let Some((ip, port)) = dst.and_then(endpoint) {
        ev.destination_ip = Some(ip);
        ev.destination_port = port;
    }
}

/// `[IF:]IP[/PORT]` (port may be a service name such as `ssh`).
fn endpoint(tok: &str) -> Option<(IpAddr, Option<u16>)> {
    let t = tok.trim_matches(['(', ')', ',', ';', ':', '"']);
    let (addr, port) = match t.rsplit_once('/') {
        Some((a, p)) => (a, p.parse::<u16>().ok().or_else(|| service_port(p))),
        None => (t, None),
    };
    let ip = parse_ip(addr).or_else(|| addr.split_once(':').and_then(|(_, r)| parse_ip(r)))?;
    Some((ip, port))
}

fn service_port(name: &str) -> Option<u16> {
    Some(match name {
        "ssh" => 22,
        "telnet" => 23,
        "http" | "www" => 80,
        "https" => 443,
        _ => return None,
    })
}

/// The IP protocol named among the first words of the message.
fn transport(text: &str) -> Option<Cow<'static, str>> {
    let mut words = text.split(' ').filter(|w| !w.is_empty()).take(6);
    while let Some(w) = words.next() {
        if w == "protocol" {
            return words.next().and_then(proto_name);
        }
        if let Some(p) = proto_name(w).filter(|_| !w.bytes().all(|c| c.is_ascii_digit())) {
            return Some(p);
        }
    }
    None
}

fn proto_name(w: &str) -> Option<Cow<'static, str>> {
    let name = match w {
        "6" => "tcp",
        "17" => "udp",
        "1" => "icmp",
        "58" => "ipv6-icmp",
        "47" => "gre",
        "50" => "esp",
        "51" => "ah",
        _ => {
            const NAMES: [&str; 7] = ["tcp", "udp", "icmp", "icmp6", "gre", "esp", "sctp"];
            return NAMES
                .iter()
                .find(|n| n.eq_ignore_ascii_case(w))
                .map(|n| Cow::Borrowed(*n));
        }
    };
    Some(Cow::Borrowed(name))
}

/// `H:MM:SS` (hours may exceed 24; `1d2h` style is not read) in nanoseconds.
fn parse_duration(s: &str) -> Option<u64> {
    let mut parts = s.split(':');
    let h: u64 = parts.next()?.parse().ok()?;
    let m: u64 = parts.next()?.parse().ok()?;
    let sec: u64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || m > 59 || sec > 59 || h > 1_000_000 {
        return None;
    }
    Some((h * 3600 + m * 60 + sec) * 1_000_000_000)
}

/// The word that follows the whole word `w` (trailing `,;:` dropped).
fn word_after<'t>(text: &'t str, w: &str) -> Option<&'t str> {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(rel) = text.get(from..)?.find(w) {
        let start = from + rel;
        let end = start + w.len();
        let bounded_left = start == 0 || b.get(start - 1) == Some(&b' ');
        if bounded_left && b.get(end) == Some(&b' ') {
            let next = first_word(text.get(end + 1..)?)?;
            let next = next.trim_end_matches([',', ';', ':']);
            return (!next.is_empty()).then_some(next);
        }
        from = end;
    }
    None
}

fn after<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    text.find(prefix).and_then(|i| text.get(i + prefix.len()..))
}

fn first_word(s: &str) -> Option<&str> {
    let w = s.trim_start_matches(' ').split(' ').next()?;
    let w = w.trim_end_matches([',', ';']);
    (!w.is_empty()).then_some(w)
}

fn unquote(s: &str) -> &str {
    s.trim_matches(['"', '\''])
}

/// The text between `prefix` (ending in `'`) and the next `'`.
fn quoted_after<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let rest = after(text, prefix)?;
    let end = rest.find('\'')?;
    Some(&rest[..end])
}

/// The text between `prefix` (ending in `<`) and the next `>`.
fn angle<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let rest = after(text, prefix)?;
    let end = rest.find('>')?;
    let v = &rest[..end];
    (!v.is_empty()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Zone;

    fn ctx() -> ParseCtx {
        ParseCtx::utc(Timestamp::from_secs(1_705_400_000))
    }

    fn p(line: &str) -> Event<'_> {
        parse(line, &ctx()).unwrap_or_else(|| panic!("no parse: {line}"))
    }

    fn s(ip: Option<IpAddr>) -> String {
        ip.map(|i| i.to_string()).unwrap_or_default()
    }

    #[test]
    fn headers() {
        let ev = p(Format::CiscoAsa.example());
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(ev.host_name.as_deref(), Some("fw01"));
        assert_eq!(ev.code.as_deref(), Some("106023"));
        assert_eq!(ev.log_level.as_deref(), Some("warning"));
        assert_eq!(
            ev.syslog,
            Some(SyslogPri {
                facility: 20,
                severity: 4
            })
        );

        let ev = p(
            "<166>Jan 15 2024 10:30:45: %ASA-6-302013: Built inbound TCP connection 1 for outside:203.0.113.7/52144 (203.0.113.7/52144) to inside:10.0.0.5/22 (10.0.0.5/22)",
        );
        assert_eq!(ev.host_name, None);
        assert_eq!(
            ev.syslog,
            Some(SyslogPri {
                facility: 20,
                severity: 6
            })
        );
        assert_eq!(ev.timestamp.secs, 1_705_314_645);

        let ev = p(
            "Jan 15 10:30:45 fw01 %ASA-6-302013: Built inbound TCP connection 1 for outside:203.0.113.7/52144 (203.0.113.7/52144) to inside:10.0.0.5/22 (10.0.0.5/22)",
        );
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(ev.host_name.as_deref(), Some("fw01"));

        let ev = p("2024-01-15T10:30:45Z fw02 : %FTD-6-430003: EventPriority: Low, DeviceUUID: x");
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
        assert_eq!(ev.host_name.as_deref(), Some("fw02"));
        assert_eq!(ev.code.as_deref(), Some("430003"));
        assert_eq!(
            ev.message.as_deref(),
            Some("EventPriority: Low, DeviceUUID: x")
        );

        let ev = p("%ASA-3-999999: something new");
        assert_eq!(ev.timestamp, Timestamp::default());
        assert_eq!(ev.code.as_deref(), Some("999999"));
        assert_eq!(ev.log_level.as_deref(), Some("error"));
        assert_eq!(ev.category, None);

        // A relay's header in front of the device's own.
        let ev = p(
            "Jan 15 10:30:46 10.1.1.1 Jan 15 2024 10:30:45: %ASA-6-611101: User authentication succeeded: IP address: 10.0.0.2, Uname: admin",
        );
        assert_eq!(ev.host_name.as_deref(), Some("10.1.1.1"));

        let c = ParseCtx::new(Zone::fixed(3600), Timestamp::from_secs(1_705_400_000));
        let ev = parse("Jan 15 2024 11:30:45 fw01 : %ASA-6-302016: x", &c).unwrap();
        assert_eq!(ev.timestamp.secs, 1_705_314_645);
    }

    #[test]
    fn acl_denies() {
        let ev = p(Format::CiscoAsa.example());
        assert_eq!(ev.category, Some(Category::Network));
        assert_eq!(ev.action.as_deref(), Some("firewall_deny"));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(s(ev.source_ip), "203.0.113.7");
        assert_eq!(ev.source_port, Some(52144));
        assert_eq!(s(ev.destination_ip), "10.0.0.5");
        assert_eq!(ev.destination_port, Some(22));
        assert_eq!(ev.network_transport.as_deref(), Some("tcp"));
        assert_eq!(ev.extra[0].1, serde_json::json!("outside_in"));

        let ev = p(
            "%ASA-2-106001: Inbound TCP connection denied from 203.0.113.7/52144 to 10.0.0.5/23 flags SYN  on interface outside",
        );
        assert_eq!(
            (s(ev.source_ip).as_str(), ev.destination_port),
            ("203.0.113.7", Some(23))
        );
        let ev = p(
            "%ASA-2-106006: Deny inbound UDP from 203.0.113.7/5353 to 10.0.0.5/161 on interface outside",
        );
        assert_eq!(ev.network_transport.as_deref(), Some("udp"));
        assert_eq!(ev.destination_port, Some(161));
        let ev = p(
            "%ASA-2-106007: Deny inbound UDP from 203.0.113.7/53 to 10.0.0.5/53 due to DNS Query",
        );
        assert_eq!(s(ev.destination_ip), "10.0.0.5");
        let ev = p(
            "%ASA-3-106014: Deny inbound icmp src outside:203.0.113.7 dst inside:10.0.0.5 (type 8, code 0)",
        );
        assert_eq!(
            (s(ev.source_ip).as_str(), s(ev.destination_ip).as_str()),
            ("203.0.113.7", "10.0.0.5")
        );
        assert_eq!(ev.network_transport.as_deref(), Some("icmp"));
        let ev = p(
            "%ASA-6-106015: Deny TCP (no connection) from 203.0.113.7/443 to 10.0.0.5/51000 flags RST  on interface outside",
        );
        assert_eq!(ev.source_port, Some(443));
        let ev = p(
            "%ASA-1-106021: Deny TCP reverse path check from 10.0.0.99 to 10.0.0.5 on interface outside",
        );
        assert_eq!(s(ev.source_ip), "10.0.0.99");
        let ev = p(
            "%ASA-4-106023: Deny protocol 47 src outside:203.0.113.7 dst inside:10.0.0.5 by access-group \"acl_out\" [0x0, 0x0]",
        );
        assert_eq!(ev.network_transport.as_deref(), Some("gre"));
        let ev = p(
            "%ASA-4-106023: Deny udp src outside:2001:db8::7/5000 dst inside:2001:db8::5/53 by access-group \"o\" [0x0, 0x0]",
        );
        assert_eq!(s(ev.source_ip), "2001:db8::7");
        assert_eq!(ev.destination_port, Some(53));
        let ev = p(
            "%ASA-4-106100: access-list outside_in denied tcp outside/203.0.113.7(52144) -> inside/10.0.0.5(3389) hit-cnt 1 first hit [0x91c9a2f0, 0x0]",
        );
        assert_eq!(ev.action.as_deref(), Some("firewall_deny"));
        assert_eq!(
            (s(ev.source_ip).as_str(), ev.source_port),
            ("203.0.113.7", Some(52144))
        );
        assert_eq!(
            (s(ev.destination_ip).as_str(), ev.destination_port),
            ("10.0.0.5", Some(3389))
        );
        let ev = p(
            "%ASA-6-106100: access-list inside_in permitted udp inside/10.0.0.5(5353) -> outside/198.51.100.1(53) hit-cnt 1 300-second interval [0x1, 0x0]",
        );
        assert_eq!(ev.outcome, Some(Outcome::Success));
        assert_eq!(ev.action.as_deref(), Some("firewall_permit"));
        let ev = p(
            "%ASA-3-710003: TCP access denied by ACL from 203.0.113.7/52144 to outside:198.51.100.2/22",
        );
        assert_eq!(
            (s(ev.destination_ip).as_str(), ev.destination_port),
            ("198.51.100.2", Some(22))
        );
        let ev =
            p("%ASA-3-313001: Denied ICMP type=8, code=0 from 203.0.113.7 on interface outside");
        assert_eq!(
            (s(ev.source_ip).as_str(), ev.network_transport.as_deref()),
            ("203.0.113.7", Some("icmp"))
        );
        let ev = p(
            "%ASA-4-313004: Denied ICMP type=0, from laddr 203.0.113.7 on interface outside to 10.0.0.5: no matching session",
        );
        assert_eq!(
            (s(ev.source_ip).as_str(), s(ev.destination_ip).as_str()),
            ("203.0.113.7", "10.0.0.5")
        );
    }

    #[test]
    fn connections() {
        let ev = p(
            "%ASA-6-302013: Built inbound TCP connection 123 for outside:203.0.113.7/52144 (203.0.113.7/52144) to inside:10.0.0.5/22 (10.0.0.5/22)",
        );
        assert_eq!(ev.action.as_deref(), Some("connection_built"));
        assert_eq!(
            (s(ev.source_ip).as_str(), ev.source_port),
            ("203.0.113.7", Some(52144))
        );
        assert_eq!(
            (s(ev.destination_ip).as_str(), ev.destination_port),
            ("10.0.0.5", Some(22))
        );
        let ev = p(
            "%ASA-6-302013: Built outbound TCP connection 124 for outside:198.51.100.9/443 (198.51.100.9/443) to inside:10.0.0.5/51514 (192.0.2.1/51514)",
        );
        assert_eq!(
            (s(ev.source_ip).as_str(), ev.source_port),
            ("10.0.0.5", Some(51514))
        );
        assert_eq!(
            (s(ev.destination_ip).as_str(), ev.destination_port),
            ("198.51.100.9", Some(443))
        );
        let ev = p(
            "%ASA-6-302015: Built outbound UDP connection 125 for outside:198.51.100.53/53 (198.51.100.53/53) to inside:10.0.0.5/40000 (192.0.2.1/40000)",
        );
        assert_eq!(ev.network_transport.as_deref(), Some("udp"));
        assert_eq!(ev.destination_port, Some(53));
        let ev = p(
            "%ASA-6-302014: Teardown TCP connection 124 for outside:198.51.100.9/443 to inside:10.0.0.5/51514 duration 0:01:30 bytes 5120 TCP FINs (bob)",
        );
        assert_eq!(ev.action.as_deref(), Some("connection_teardown"));
        assert_eq!(ev.duration_ns, Some(90_000_000_000));
        assert_eq!(ev.reason.as_deref(), Some("TCP FINs"));
        assert_eq!(s(ev.source_ip), "10.0.0.5");
        let ev = p(
            "%ASA-6-302014: Teardown TCP connection 123 for outside:203.0.113.7/52144 to inside:10.0.0.5/22 duration 0:00:05 bytes 0 SYN Timeout",
        );
        assert_eq!(
            (s(ev.source_ip).as_str(), ev.destination_port),
            ("203.0.113.7", Some(22))
        );
        let ev = p(
            "%ASA-6-302016: Teardown UDP connection 125 for outside:198.51.100.53/53 to inside:10.0.0.5/40000 duration 0:02:01 bytes 84",
        );
        assert_eq!(ev.reason, None);
        let ev = p(
            "%ASA-6-302020: Built inbound ICMP connection for faddr 203.0.113.7/0 gaddr 10.0.0.5/0 laddr 10.0.0.5/0",
        );
        assert_eq!(
            (s(ev.source_ip).as_str(), ev.source_port),
            ("203.0.113.7", None)
        );
    }

    #[test]
    fn auth_and_commands() {
        let ev = p(
            "%ASA-6-113004: AAA user authentication Successful : server = 10.0.0.10 : user = bob",
        );
        assert_eq!(
            (ev.action.as_deref(), ev.outcome),
            (Some("auth_success"), Some(Outcome::Success))
        );
        assert_eq!(ev.user_name.as_deref(), Some("bob"));
        let ev = p(
            "%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.10 : user = bob : user IP = 203.0.113.7",
        );
        assert_eq!(ev.category, Some(Category::Authentication));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.reason.as_deref(), Some("AAA failure"));
        assert_eq!(s(ev.source_ip), "203.0.113.7");
        let ev = p(
            "%ASA-6-113015: AAA user authentication Rejected : reason = Invalid password : local database : user = admin : user IP = 203.0.113.8",
        );
        assert_eq!(
            (ev.user_name.as_deref(), ev.reason.as_deref()),
            (Some("admin"), Some("Invalid password"))
        );
        let ev =
            p("%ASA-6-113004: AAA user authorization Successful : server = 10.0.0.10 : user = bob");
        assert_eq!(ev.action.as_deref(), Some("authorization_success"));
        let ev = p(
            "%ASA-6-605004: Login denied from 203.0.113.7/52144 to outside:10.0.0.1/ssh for user \"admin\"",
        );
        assert_eq!(
            (ev.action.as_deref(), ev.user_name.as_deref()),
            (Some("auth_failure"), Some("admin"))
        );
        assert_eq!(
            (s(ev.source_ip).as_str(), ev.destination_port),
            ("203.0.113.7", Some(22))
        );
        let ev = p(
            "%ASA-6-605005: Login permitted from 10.0.0.2/50000 to inside:10.0.0.1/https for user \"alice\"",
        );
        assert_eq!(ev.outcome, Some(Outcome::Success));
        let ev =
            p("%ASA-5-611102: User authentication failed: IP address: 203.0.113.7, Uname: admin");
        assert_eq!(
            (s(ev.source_ip).as_str(), ev.user_name.as_deref()),
            ("203.0.113.7", Some("admin"))
        );
        let ev = p(
            "%ASA-6-716039: Group <DfltGrpPolicy> User <bob> IP <203.0.113.7> Authentication: rejected, Session Type: WebVPN.",
        );
        assert_eq!(
            (ev.user_name.as_deref(), ev.outcome),
            (Some("bob"), Some(Outcome::Failure))
        );
        let ev = p("%ASA-5-111008: User 'admin' executed the 'configure terminal' command.");
        assert_eq!(
            ev.process_command_line.as_deref(),
            Some("configure terminal")
        );
        assert_eq!(ev.user_name.as_deref(), Some("admin"));
        let ev = p("%ASA-7-111009: User 'enable_15' executed cmd: show running-config");
        assert_eq!(
            ev.process_command_line.as_deref(),
            Some("show running-config")
        );
        let ev = p(
            "%ASA-5-111010: User 'admin', running 'CLI' from IP 10.0.0.2, executed 'write memory'",
        );
        assert_eq!(
            (ev.process_command_line.as_deref(), s(ev.source_ip).as_str()),
            (Some("write memory"), "10.0.0.2")
        );
        let ev = p(
            "%ASA-4-733100: [ Scanning] drop rate-1 exceeded. Current burst rate is 10 per second, max configured rate is 10",
        );
        assert_eq!(
            (ev.category, ev.reason.as_deref()),
            (Some(Category::IntrusionDetection), Some("Scanning"))
        );
        let ev = p("%ASA-4-733100: [ 203.0.113.7] drop rate-1 exceeded.");
        assert_eq!(s(ev.source_ip), "203.0.113.7");
        let ev =
            p("%ASA-4-733101: Host 203.0.113.7 is attacking. Current burst rate is 200 per second");
        assert_eq!(s(ev.source_ip), "203.0.113.7");
    }

    #[test]
    fn malformed() {
        for l in [
            "",
            "%",
            "%ASA",
            "%ASA-",
            "%ASA-9-106023: x",
            "%ASA-4-10: x",
            "%ASA-4-106023 missing colon",
            "%XYZ-4-106023: x",
            "Jan 15 10:30:45 web1 sshd[1]: Failed password for root",
            "Jan 15 10:30:45 web1 app[1]: the user typed a lot of words before %ASA-4-106023: x",
            "2024-01-15 10:30:45 myapp: 100% done",
            "Jan 15 10:30:45x fw %ASA-4-106023: x",
        ] {
            assert!(parse(l, &ctx()).is_none(), "{l}");
        }
        // Truncated or odd bodies still give an event, never a panic.
        for l in [
            "%ASA-4-106023:",
            "%ASA-4-106100: access-list",
            "%ASA-6-302013: Built",
            "%ASA-6-302014: Teardown TCP connection 1 for a: to b: duration x bytes",
            "%ASA-6-113005: AAA user authentication Rejected : user =  : user IP = ",
            "%ASA-5-111008: User '",
            "%ASA-4-733100: [",
            "%ASA-6-716039: Group <x> User <",
            "%ASA-4-106023: Deny tcp src outside:\u{e9}\u{e9}/1 dst \u{1F600}",
        ] {
            assert!(parse(l, &ctx()).is_some(), "{l}");
        }
    }
}
