//! Dropbear SSH server messages (category authentication, `action =
//! ssh_login`):
//!
//! - `Bad password attempt for 'root' from 203.0.113.7:5543`: failure.
//! - `Login attempt for nonexistent user from ::ffff:203.0.113.7:60495`:
//!   failure, `invalid_user`.
//! - `Exit before auth (user 'root', 10 fails): Max auth tries reached -
//!   user 'root' from 203.0.113.7:60588` and `Exit before auth from
//!   <203.0.113.7:52289>: (user 'root', 10 fails): Max auth tries reached`:
//!   failure, `max_auth_attempts`.
//! - `Password auth succeeded for 'root' from IP:PORT`, `Pubkey auth
//!   succeeded for 'root' with key ... from IP:PORT`: success.
//! - `Child connection from IP:PORT`: a connection.
//!
//! Some builds repeat `[PID] Mmm dd hh:mm:ss ` inside the message; it is
//! skipped.

use crate::event::{Category, Event};

use super::{after, auth_failure, auth_success, mark, reason, set_source_port, set_user};

pub(super) fn enrich<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let m = skip_inner_stamp(msg).trim_end();
    let lower_first = m.get(..1).map(|c| c.to_ascii_lowercase());
    let rest = m.get(1..).unwrap_or("");
    let first = lower_first.as_deref();
    if first == Some("b") && rest.starts_with("ad password attempt for ") {
        if peer(ev, m) {
            auth_failure(ev, "ssh_login");
            set_user(ev, quoted_user(m).unwrap_or(""));
        }
    } else if first == Some("l") && rest.starts_with("ogin attempt for nonexistent user") {
        if peer(ev, m) {
            auth_failure(ev, "ssh_login");
            reason(ev, "invalid_user");
            set_user(ev, quoted_user(m).unwrap_or(""));
        }
    } else if m.starts_with("Exit before auth") {
        if m.contains("Max auth tries reached") && exit_peer(ev, m) {
            auth_failure(ev, "ssh_login");
            reason(ev, "max_auth_attempts");
            set_user(ev, quoted_user(m).unwrap_or(""));
        }
    } else if m.contains(" auth succeeded for ") {
        if peer(ev, m) {
            auth_success(ev, "ssh_login");
            set_user(ev, quoted_user(m).unwrap_or(""));
        }
    } else if m.starts_with("Child connection from ") && peer(ev, m) {
        mark(ev, Category::Network, "ssh_connection", None);
    }
}

/// Skips `[825] Jul 10 23:53:52 ` that some builds put in the message.
fn skip_inner_stamp(msg: &str) -> &str {
    if msg.starts_with('[')
        && let Some(i) = msg.find("] ")
        && msg
            .get(1..i)
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        let rest = msg.get(i + 2..).unwrap_or("");
        // `Mmm dd hh:mm:ss ` is 16 bytes when it is there.
        let b = rest.as_bytes();
        if b.len() > 16
            && b.get(15) == Some(&b' ')
            && b.get(9) == Some(&b':')
            && b.get(12) == Some(&b':')
        {
            return rest.get(16..).unwrap_or(rest);
        }
        return rest;
    }
    msg
}

/// The client's text in the first `'...'`.
fn quoted_user(m: &str) -> Option<&str> {
    let r = after(m, "'")?;
    r.get(..r.find('\'')?)
}

/// `... from IP:PORT` at the end (the last ` from `).
fn peer<'a>(ev: &mut Event<'a>, m: &'a str) -> bool {
    match m.rfind(" from ") {
        Some(i) => set_source_port(ev, m.get(i + 6..).unwrap_or("")),
        None => false,
    }
}

/// `Exit before auth from <IP:PORT>: ...` or `... from IP:PORT` at the end.
fn exit_peer<'a>(ev: &mut Event<'a>, m: &'a str) -> bool {
    if let Some(r) = m.strip_prefix("Exit before auth from <")
        && let Some(end) = r.find('>')
    {
        return set_source_port(ev, r.get(..end).unwrap_or(""));
    }
    peer(ev, m)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, run};

    const F: &str = "failure";
    const A: &str = "authentication";

    #[test]
    fn table() {
        check(&[
            (
                "dropbear",
                "Bad password attempt for 'root' from 203.0.113.100:5543",
                [A, "ssh_login", F, "root", "203.0.113.100", "-"],
            ),
            (
                "dropbear",
                "bad password attempt for 'admin' from 203.0.113.101:22",
                [A, "ssh_login", F, "admin", "203.0.113.101", "-"],
            ),
            (
                "dropbear",
                "Login attempt for nonexistent user from ::ffff:203.0.113.102:60495",
                [A, "ssh_login", F, "-", "203.0.113.102", "invalid_user"],
            ),
            (
                "dropbear",
                "Exit before auth (user 'root', 10 fails): Max auth tries reached - user 'root' from 203.0.113.103:60588",
                [
                    A,
                    "ssh_login",
                    F,
                    "root",
                    "203.0.113.103",
                    "max_auth_attempts",
                ],
            ),
            (
                "dropbear",
                "[825] Jul 10 23:57:29 Exit before auth from <203.0.113.104:52289>: (user 'root', 10 fails): Max auth tries reached - user 'root'",
                [
                    A,
                    "ssh_login",
                    F,
                    "root",
                    "203.0.113.104",
                    "max_auth_attempts",
                ],
            ),
            (
                "dropbear",
                "[825] Jul 10 23:53:52 Bad password attempt for 'root' from 203.0.113.105:52289",
                [A, "ssh_login", F, "root", "203.0.113.105", "-"],
            ),
            (
                "dropbear",
                "Password auth succeeded for 'alice' from 203.0.113.106:41000",
                [A, "ssh_login", "success", "alice", "203.0.113.106", "-"],
            ),
            (
                "dropbear",
                "Child connection from [2001:db8::9]:41001",
                ["network", "ssh_connection", "-", "-", "2001:db8::9", "-"],
            ),
            (
                "dropbear",
                "Exit (root): Disconnect received",
                ["-", "-", "-", "-", "-", "-"],
            ),
            (
                "dropbear",
                "Bad password attempt for 'root'",
                ["-", "-", "-", "-", "-", "-"],
            ),
            ("dropbear", "[1] x", ["-", "-", "-", "-", "-", "-"]),
        ]);
        assert_eq!(
            run("dropbear", "Child connection from 203.0.113.107:41002").source_port,
            Some(41002)
        );
    }
}
