//! Pieces shared by the syslog formats: `<PRI>`, the host and program tag
//! that follow the timestamp, and handing the message to the program
//! parsers.

use std::borrow::Cow;

use crate::event::{Event, SyslogPri};

/// `<PRI>` at the start of `b`: the priority and the bytes it used.
pub fn parse_pri(b: &[u8]) -> Option<(SyslogPri, usize)> {
    if b.first() != Some(&b'<') {
        return None;
    }
    let mut v: u32 = 0;
    let mut i = 1;
    while i < 5 {
        match b.get(i) {
            Some(c) if c.is_ascii_digit() => v = v * 10 + u32::from(c - b'0'),
            Some(b'>') if i > 1 => {
                if v > 191 {
                    return None;
                }
                return Some((
                    SyslogPri {
                        facility: (v / 8) as u8,
                        severity: (v % 8) as u8,
                    },
                    i + 1,
                ));
            }
            _ => return None,
        }
        i += 1;
    }
    None
}

/// The part of a syslog line after the timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tail<'a> {
    pub host: Option<&'a str>,
    pub program: Option<&'a str>,
    pub pid: Option<u32>,
    pub message: &'a str,
}

/// Splits `HOST TAG[PID]: MESSAGE` (host and tag each optional).
pub fn parse_tail(rest: &str) -> Tail<'_> {
    let rest = rest.trim_start_matches(' ');
    if let Some((prog, pid, msg)) = parse_tag(rest) {
        // A first token that is already a tag: no host.
        return Tail {
            host: None,
            program: Some(prog),
            pid,
            message: msg,
        };
    }
    let (host, after) = match rest.find(' ') {
        Some(i) => (&rest[..i], rest[i + 1..].trim_start_matches(' ')),
        None => (rest, ""),
    };
    let host = if host.is_empty() || host == "-" {
        None
    } else {
        Some(host)
    };
    if let Some((prog, pid, msg)) = parse_tag(after) {
        return Tail {
            host,
            program: Some(prog),
            pid,
            message: msg,
        };
    }
    Tail {
        host,
        program: None,
        pid: None,
        message: after,
    }
}

/// `prog[pid]: msg` or `prog: msg` at the start of `s`.
fn parse_tag(s: &str) -> Option<(&str, Option<u32>, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && i <= 64 {
        match b[i] {
            b' ' | b'\t' => return None,
            b':' | b'[' => break,
            _ => i += 1,
        }
    }
    if i == 0 || i >= b.len() || i > 64 {
        return None;
    }
    let prog = &s[..i];
    let mut pid = None;
    let mut j = i;
    if b[j] == b'[' {
        let close = s[j..].find(']')? + j;
        pid = s[j + 1..close].parse::<u32>().ok();
        j = close + 1;
    }
    if b.get(j) != Some(&b':') {
        // ProFTPD writes no colon: `proftpd[123] server (peer[ip]): ...`.
        if pid.is_some() && b.get(j) == Some(&b' ') {
            return Some((prog, pid, &s[j + 1..]));
        }
        return None;
    }
    let msg = s[j + 1..].strip_prefix(' ').unwrap_or(&s[j + 1..]);
    Some((prog, pid, msg))
}

/// Whether a syslog message is a Cisco ASA/FTD/PIX message, which the
/// `cisco_asa` format reads instead.
pub fn is_asa_message(msg: &str) -> bool {
    let m = msg.trim_start_matches([' ', ':']);
    m.starts_with("%ASA-")
        || m.starts_with("%FTD-")
        || m.starts_with("%PIX-")
        || m.starts_with("%FWSM-")
}

/// Fills host, process and message from the tail, then lets the program
/// parsers turn the message into security facts.
pub fn apply_tail<'a>(ev: &mut Event<'a>, tail: Tail<'a>) {
    ev.host_name = tail.host.map(Cow::Borrowed);
    ev.process_pid = tail.pid;
    ev.message = Some(Cow::Borrowed(tail.message));
    if let Some(prog) = tail.program {
        ev.process_name = Some(Cow::Borrowed(prog));
        crate::programs::enrich(ev, prog, tail.message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pri() {
        let (p, n) = parse_pri(b"<34>Oct").unwrap();
        assert_eq!((p.facility, p.severity, n), (4, 2, 4));
        assert!(parse_pri(b"<>x").is_none());
        assert!(parse_pri(b"<999>x").is_none());
        assert!(parse_pri(b"<12").is_none());
    }

    #[test]
    fn tails() {
        let t = parse_tail("web1 sshd[123]: Failed password");
        assert_eq!(
            (t.host, t.program, t.pid, t.message),
            (Some("web1"), Some("sshd"), Some(123), "Failed password")
        );
        let t = parse_tail("web1 postfix/smtpd[9]: warning: x");
        assert_eq!(t.program, Some("postfix/smtpd"));
        let t = parse_tail("sudo: alice : TTY=pts/0");
        assert_eq!(
            (t.host, t.program, t.message),
            (None, Some("sudo"), "alice : TTY=pts/0")
        );
        let t = parse_tail("web1 last message repeated 3 times");
        assert_eq!(
            (t.host, t.program, t.message),
            (Some("web1"), None, "last message repeated 3 times")
        );
        let t = parse_tail("web1 dovecot: auth-worker(1234): pam(bob,1.2.3.4): fail");
        assert_eq!(
            (t.program, t.message),
            (Some("dovecot"), "auth-worker(1234): pam(bob,1.2.3.4): fail")
        );
        let t = parse_tail("ftp1 proftpd[12345] ftp1.example.com (h[1.2.3.4]): USER x");
        assert_eq!(
            (t.host, t.program, t.pid, t.message),
            (
                Some("ftp1"),
                Some("proftpd"),
                Some(12345),
                "ftp1.example.com (h[1.2.3.4]): USER x"
            )
        );
        let t = parse_tail("web1 app[x] no colon");
        assert_eq!(t.program, None);
        let t = parse_tail("");
        assert_eq!(t.host, None);
    }
}
