//! OpenSSH server messages (`sshd`, and `sshd-session` since OpenSSH 9.8).
//!
//! Three kinds of events come out:
//!
//! - `ssh_login` (category authentication): `Failed password|publickey|
//!   keyboard-interactive|hostbased|none for [invalid user ]USER from HOST
//!   port N ssh2[: info]`, `Accepted ...` (success), `Invalid user`,
//!   `User X from HOST not allowed because ...`, `ROOT LOGIN REFUSED`,
//!   `PAM: Authentication failure for ...`, `maximum authentication attempts
//!   exceeded`, `Disconnecting: Too many authentication failures`,
//!   `Disconnecting invalid user ...`, `PAM 2 more authentication
//!   failures` (`repeated_failures`), and client disconnects that report a
//!   failed login (`Received disconnect ...: 3: ...: Auth fail`, `14: No
//!   supported authentication methods available`).
//! - `ssh_connection` (category network): failures before authentication
//!   starts (`Did not receive identification string`, `Bad protocol version
//!   identification`, `Unable to negotiate`, `Timeout before
//!   authentication`, `kex_exchange_identification`, `drop connection ...
//!   past MaxStartups`, tcp-wrappers' `refused connect`), and the plain
//!   `Connection from` and reverse-mapping warnings (no outcome).
//! - `ssh_disconnect` (category network): `Connection closed|reset by`,
//!   `Disconnected from`, `Received disconnect`; no outcome, `reason =
//!   preauth_disconnect` when it happened before authentication.
//!
//! `error: `/`fatal: ` and Solaris' `[ID 800047 auth.info] ` prefixes are
//! skipped. User names are chosen by the client and may contain ` from
//! 1.2.3.4 port 22`; the peer is the first ` from HOST` whose tail has the
//! shape sshd writes (see `super::from_host`).

use crate::event::{Category, Event, Outcome};

use super::{
    after, auth_failure, auth_success, from_host, host_port, mark, port, reason, set_peer,
    set_user, token,
};

pub(super) fn enrich<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let m = strip_noise(msg);
    let Some(&first) = m.as_bytes().first() else {
        return;
    };
    match first {
        b'F' => {
            if let Some(r) = m.strip_prefix("Failed ") {
                login(ev, r, Outcome::Failure);
            }
        }
        b'A' => {
            if let Some(r) = m.strip_prefix("Accepted ") {
                login(ev, r, Outcome::Success);
            } else if let Some(r) = m.strip_prefix("Address ") {
                // `Address 1.2.3.4 maps to x.example, but this does not map
                // back to the address - POSSIBLE BREAK-IN ATTEMPT!`
                if r.contains("POSSIBLE BREAK-IN") {
                    connection_note(ev, token(r).0, "reverse_mapping_mismatch");
                }
            }
        }
        b'I' => {
            if let Some(r) = m
                .strip_prefix("Invalid user ")
                .or_else(|| m.strip_prefix("Illegal user "))
            {
                invalid_user(ev, r);
            }
        }
        b'i' => {
            // `input_userauth_request: invalid user root [preauth]`
            if let Some(r) = m.strip_prefix("input_userauth_request: invalid user ") {
                auth_failure(ev, "ssh_login");
                reason(ev, "invalid_user");
                set_user(ev, token(r).0);
            }
        }
        b'U' => {
            if let Some(r) = m.strip_prefix("User ") {
                not_allowed(ev, r);
            } else if let Some(r) = m.strip_prefix("Unable to negotiate") {
                let peer = r.strip_prefix(" with ").and_then(host_port);
                handshake_failure(ev, peer, "negotiation_failed");
            }
        }
        b'R' => {
            if let Some(r) = m.strip_prefix("ROOT LOGIN REFUSED FROM ") {
                if let Some((host, p, _)) = host_port(r) {
                    auth_failure(ev, "ssh_login");
                    reason(ev, "root_login_refused");
                    set_user(ev, "root");
                    set_peer(ev, host, p);
                }
            } else if let Some(r) = m.strip_prefix("Received disconnect from ") {
                received_disconnect(ev, r);
            }
        }
        b'r' => {
            if let Some(r) = m.strip_prefix("refused connect from ") {
                refused_connect(ev, r);
            } else if let Some(r) = m.strip_prefix("reverse mapping checking getaddrinfo for ") {
                // `... for NAME [1.2.3.4] failed - POSSIBLE BREAK-IN ATTEMPT!`
                if let Some(ip) = after(r, " [").and_then(|s| s.split(']').next()) {
                    connection_note(ev, ip, "reverse_mapping_mismatch");
                }
            }
        }
        b'P' => {
            if let Some(r) = m.strip_prefix("PAM: ") {
                pam_failure(ev, r);
            } else if let Some(r) = m.strip_prefix("PAM ") {
                more_failures(ev, r);
            }
        }
        b'm' => {
            if let Some(r) = m.strip_prefix("maximum authentication attempts exceeded for ") {
                let (_, r) = strip_invalid(r);
                if let Some((user, host, p, _)) = from_host(r, login_tail) {
                    auth_failure(ev, "ssh_login");
                    reason(ev, "max_auth_attempts");
                    set_user(ev, user);
                    set_peer(ev, host, p);
                }
            }
        }
        b'D' => disconnecting(ev, m),
        b'C' => connection(ev, m),
        b'B' => {
            // `Bad protocol version identification 'X' from HOST port N`:
            // the quoted text is the client's, so take the last peer.
            if let Some(r) = m.strip_prefix("Bad protocol version identification ") {
                let peer = last_from_host(r);
                handshake_failure(ev, peer, "bad_protocol");
            }
        }
        b'T' => {
            if let Some(r) = m.strip_prefix("Timeout before authentication for ") {
                let r = r.strip_prefix("connection from ").unwrap_or(r);
                handshake_failure(ev, host_port(r), "auth_timeout");
            }
        }
        b'b' => {
            if let Some(r) = m.strip_prefix("banner exchange: Connection from ") {
                handshake_failure(ev, host_port(r), "bad_protocol");
            }
        }
        b's' => {
            if let Some(r) = m.strip_prefix("ssh_dispatch_run_fatal: Connection from ") {
                handshake_failure(ev, host_port(r), "protocol_error");
            }
        }
        b'k' if m.starts_with("kex_exchange_identification: ") => {
            handshake_failure(ev, None, "bad_protocol");
        }
        b'n' if m.starts_with("no matching ") => {
            handshake_failure(ev, None, "negotiation_failed");
        }
        b'd' => {
            // `drop connection #3 from [1.2.3.4]:5 on [10.0.0.1]:22 past
            // MaxStartups`
            if let Some(r) = m.strip_prefix("drop connection #")
                && r.contains("past MaxStartups")
                && let Some(peer) = after(r, " from ")
            {
                handshake_failure(ev, None, "max_startups");
                super::set_source_port(ev, token(peer).0);
            }
        }
        _ => {}
    }
}

/// Skips `error: `, `fatal: ` and `[ID 800047 auth.info] ` prefixes.
fn strip_noise(msg: &str) -> &str {
    let mut m = msg;
    loop {
        if let Some(r) = m
            .strip_prefix("error: ")
            .or_else(|| m.strip_prefix("fatal: "))
        {
            m = r;
        } else if m.starts_with("[ID ")
            && let Some(r) = after(m, "] ")
        {
            m = r;
        } else {
            return m;
        }
    }
}

/// `invalid user ` after `for `: whether it was there, and the rest.
fn strip_invalid(r: &str) -> (bool, &str) {
    match r
        .strip_prefix("invalid user ")
        .or_else(|| r.strip_prefix("illegal user "))
    {
        Some(rest) => (true, rest),
        None => (false, r),
    }
}

/// What may follow `from HOST port N` in a login line: ` ssh2`, then the
/// end, `: info` or ` [preauth]`.
fn login_tail(t: &str) -> bool {
    let t = match t.strip_prefix(" ssh") {
        Some(v) => v.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => t,
    };
    t.trim().is_empty() || t.starts_with(": ") || t.trim() == "[preauth]"
}

/// `METHOD for [invalid user ]USER from HOST port N ssh2[: info]`.
fn login<'a>(ev: &mut Event<'a>, r: &'a str, outcome: Outcome) {
    let (_method, rest) = token(r);
    let Some(rest) = rest.strip_prefix("for ") else {
        return;
    };
    let (invalid, rest) = strip_invalid(rest);
    // `invalid user  from` (empty name): the candidate starts at 0.
    let Some((user, host, p, _)) = from_host(rest, login_tail) else {
        return;
    };
    if outcome == Outcome::Success {
        auth_success(ev, "ssh_login");
    } else {
        auth_failure(ev, "ssh_login");
    }
    // Solaris writes `<invalid username>` for unknown accounts.
    if invalid || user == "<invalid username>" {
        reason(ev, "invalid_user");
    }
    if user != "<invalid username>" {
        set_user(ev, user);
    }
    set_peer(ev, host, p);
}

/// `USER from HOST[ port N]` after `Invalid user `.
fn invalid_user<'a>(ev: &mut Event<'a>, r: &'a str) {
    let tail_ok = |t: &str| t.trim().is_empty() || t.trim() == "[preauth]";
    // An empty name leaves ` from` at the very start.
    let found = match r.strip_prefix("from ") {
        Some(rest) if host_port(rest).is_some_and(|(_, _, t)| tail_ok(t)) => {
            host_port(rest).map(|(h, p, t)| ("", h, p, t))
        }
        _ => from_host(r, tail_ok),
    };
    if let Some((user, host, p, _)) = found {
        auth_failure(ev, "ssh_login");
        reason(ev, "invalid_user");
        set_user(ev, user);
        set_peer(ev, host, p);
    }
}

/// `USER from HOST not allowed because ...` or `USER not allowed because
/// account is locked`.
fn not_allowed<'a>(ev: &mut Event<'a>, r: &'a str) {
    if let Some((user, host, p, _)) = from_host(r, |t| t.starts_with(" not allowed because ")) {
        auth_failure(ev, "ssh_login");
        reason(ev, "user_not_allowed");
        set_user(ev, user);
        set_peer(ev, host, p);
    } else if let Some(i) = r.find(" not allowed because ") {
        auth_failure(ev, "ssh_login");
        let why = r.get(i + 21..).unwrap_or("");
        reason(
            ev,
            if why.starts_with("account is locked") {
                "account_locked"
            } else {
                "user_not_allowed"
            },
        );
        set_user(ev, r.get(..i).unwrap_or(""));
    }
}

/// `Authentication failure for USER from HOST[ via IP]`,
/// `authentication error for ...`, `User not known to the underlying
/// authentication module for illegal user USER from HOST`.
fn pam_failure<'a>(ev: &mut Event<'a>, r: &'a str) {
    let lower_start = r
        .get(..1)
        .map(|c| c.eq_ignore_ascii_case("a"))
        .unwrap_or(false);
    let known = (lower_start
        && (r
            .get(1..)
            .is_some_and(|s| s.starts_with("uthentication failure for "))
            || r.get(1..)
                .is_some_and(|s| s.starts_with("uthentication error for "))))
        || r.starts_with("User not known to the underlying authentication module for ");
    if !known {
        return;
    }
    let Some(rest) = after(r, " for ") else {
        return;
    };
    let (invalid, rest) = strip_invalid(rest);
    let tail_ok =
        |t: &str| t.trim().is_empty() || t.starts_with(" via ") || t.trim() == "[preauth]";
    if let Some((user, host, p, _)) = from_host(rest, tail_ok) {
        auth_failure(ev, "ssh_login");
        if invalid || r.starts_with("User not known") {
            reason(ev, "invalid_user");
        }
        set_user(ev, user);
        set_peer(ev, host, p);
    }
}

/// `N more authentication failures; logname= ... rhost=HOST  user=USER`
/// after `PAM `: the summary sshd writes when a connection ends after
/// several failed attempts (each was also logged on its own).
fn more_failures<'a>(ev: &mut Event<'a>, r: &'a str) {
    let digits = r.bytes().take_while(u8::is_ascii_digit).count();
    let Some(fields) = r.get(digits..).and_then(|t| {
        t.strip_prefix(" more authentication failures;")
            .or_else(|| t.strip_prefix(" more authentication failure;"))
    }) else {
        return;
    };
    if digits == 0 {
        return;
    }
    auth_failure(ev, "ssh_login");
    reason(ev, "repeated_failures");
    if let Some(host) = super::kv(fields, "rhost=") {
        ev.set_source(host);
    }
    if let Some(u) = after(fields, " user=") {
        set_user(ev, u.trim_end());
    }
}

/// `HOST[ port N]: CODE: TEXT[ [preauth]]` after `Received disconnect from `.
fn received_disconnect<'a>(ev: &mut Event<'a>, r: &'a str) {
    let Some((host, p, tail)) = host_port(r) else {
        return;
    };
    let t = tail.trim_start_matches([':', ' ']);
    let code = port(t);
    let text = t
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start_matches([':', ' ']);
    let preauth = text.trim_end().ends_with("[preauth]");
    match code {
        // The client gave up after failing: JSch's `Auth fail`.
        Some(3) if text.contains("Auth fail") => {
            auth_failure(ev, "ssh_login");
            reason(ev, "auth_failed");
        }
        Some(14) if text.contains("authentication methods available") => {
            auth_failure(ev, "ssh_login");
            reason(ev, "no_auth_methods");
        }
        _ => disconnect(ev, preauth),
    }
    set_peer(ev, host, p);
}

/// `NAME@IP (IP)` or `NAME (IP)` after tcp-wrappers' `refused connect from `.
fn refused_connect<'a>(ev: &mut Event<'a>, r: &'a str) {
    let r = r.trim_end();
    let ip = match (r.rfind(" ("), r.strip_suffix(')')) {
        (Some(i), Some(_)) => r.get(i + 2..r.len() - 1),
        _ => Some(token(r).0),
    };
    if let Some(ip) = ip
        && ev.set_source(ip)
    {
        mark(
            ev,
            Category::Network,
            "ssh_connection",
            Some(Outcome::Failure),
        );
        reason(ev, "access_denied");
    }
}

/// Messages starting with `D`.
fn disconnecting<'a>(ev: &mut Event<'a>, m: &'a str) {
    if let Some(r) = m.strip_prefix("Disconnecting: Too many authentication failures") {
        auth_failure(ev, "ssh_login");
        reason(ev, "max_auth_attempts");
        if let Some(u) = r.strip_prefix(" for ") {
            set_user(ev, token(u).0);
        }
    } else if let Some(r) = m.strip_prefix("Disconnecting ") {
        // `Disconnecting invalid|authenticating user USER HOST port N: why`
        let (kind, rest) = token(r);
        let Some(rest) = rest.strip_prefix("user ") else {
            return;
        };
        if let Some((user, host, p, tail)) = user_host_port(rest) {
            auth_failure(ev, "ssh_login");
            if tail.contains("Too many authentication failures") {
                reason(ev, "max_auth_attempts");
            } else if kind == "invalid" {
                reason(ev, "invalid_user");
            } else {
                reason(ev, "auth_failed");
            }
            set_user(ev, user);
            set_peer(ev, host, p);
        }
    } else if let Some(r) = m.strip_prefix("Disconnected from ") {
        closed(ev, r);
    } else if let Some(r) = m.strip_prefix("Did not receive identification string from ") {
        handshake_failure(ev, host_port(r), "no_identification");
    }
}

/// Messages starting with `C`.
fn connection<'a>(ev: &mut Event<'a>, m: &'a str) {
    if let Some(r) = m
        .strip_prefix("Connection closed by ")
        .or_else(|| m.strip_prefix("Connection reset by "))
    {
        closed(ev, r);
    } else if let Some(r) = m.strip_prefix("Connection from ") {
        // `Connection from HOST port N on LOCAL port 22[ rdomain ""]`
        if let Some((host, p, _)) = host_port(r) {
            mark(ev, Category::Network, "ssh_connection", None);
            set_peer(ev, host, p);
        }
    }
}

/// `[authenticating |invalid ]user USER HOST port N[ [preauth]]` or `HOST[
/// port N][ [preauth]]` after `Connection closed by `, `Disconnected from `.
fn closed<'a>(ev: &mut Event<'a>, r: &'a str) {
    let preauth = r.trim_end().ends_with("[preauth]");
    let with_user = ["authenticating user ", "invalid user ", "user "]
        .iter()
        .find_map(|p| r.strip_prefix(p));
    if let Some(rest) = with_user
        && let Some((user, host, p, _)) = user_host_port(rest)
    {
        disconnect(ev, preauth);
        if !preauth && r.starts_with("user ") {
            // The end of an authenticated session.
            ev.category = Some(Category::Session);
        }
        set_user(ev, user);
        set_peer(ev, host, p);
    } else if let Some((host, p, tail)) = host_port(r)
        && (tail.trim().is_empty() || tail.trim() == "[preauth]")
    {
        disconnect(ev, preauth);
        set_peer(ev, host, p);
    }
}

fn disconnect<'a>(ev: &mut Event<'a>, preauth: bool) {
    mark(ev, Category::Network, "ssh_disconnect", None);
    if preauth {
        reason(ev, "preauth_disconnect");
    }
}

/// A connection that failed before authentication started.
fn handshake_failure<'a>(
    ev: &mut Event<'a>,
    peer: Option<(&'a str, Option<u16>, &'a str)>,
    why: &'static str,
) {
    mark(
        ev,
        Category::Network,
        "ssh_connection",
        Some(Outcome::Failure),
    );
    reason(ev, why);
    if let Some((host, p, _)) = peer {
        set_peer(ev, host, p);
    }
}

/// A connection fact without an outcome (reverse-mapping warnings).
fn connection_note<'a>(ev: &mut Event<'a>, host: &'a str, why: &'static str) {
    if ev.set_source(host) {
        mark(ev, Category::Network, "ssh_connection", None);
        reason(ev, why);
    }
}

/// `USER HOST port N[: text| [preauth]]`: the user may hold spaces and
/// even ` port N`, so the host is the token before the first ` port N`
/// whose tail has the right shape.
fn user_host_port(s: &str) -> Option<(&str, &str, Option<u16>, &str)> {
    let mut from = 0;
    while let Some(i) = s.get(from..).and_then(|t| t.find(" port ")) {
        let at = from + i;
        from = at + 6;
        let before = s.get(..at)?;
        let (user, host) = match before.rfind(' ') {
            Some(j) => (before.get(..j)?, before.get(j + 1..)?),
            None => ("", before),
        };
        let rest = s.get(at + 6..)?;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let tail = rest.get(digits..)?;
        if super::is_host(host)
            && let Some(p) = port(rest)
            && (tail.trim().is_empty() || tail.starts_with(':') || tail.trim() == "[preauth]")
        {
            return Some((user, host, Some(p), tail));
        }
    }
    None
}

/// The last ` from HOST[ port N]` at the end of `s`.
fn last_from_host(s: &str) -> Option<(&str, Option<u16>, &str)> {
    let mut best = None;
    let mut from = 0;
    while let Some(i) = s.get(from..).and_then(|t| t.find(" from ")) {
        let at = from + i;
        from = at + 6;
        if let Some((host, p, tail)) = s.get(at + 6..).and_then(host_port)
            && (tail.trim().is_empty() || tail.trim() == "[preauth]")
        {
            best = Some((host, p, tail));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, run};

    const F: &str = "failure";

    #[test]
    fn logins() {
        check(&[
            (
                "sshd",
                "Failed password for root from 203.0.113.7 port 52144 ssh2",
                ["authentication", "ssh_login", F, "root", "203.0.113.7", "-"],
            ),
            (
                "sshd-session",
                "Failed password for invalid user admin from 2001:db8::5 port 40000 ssh2",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "admin",
                    "2001:db8::5",
                    "invalid_user",
                ],
            ),
            (
                "sshd",
                "Failed password for invalid user oracle from 198.51.100.20",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "oracle",
                    "198.51.100.20",
                    "invalid_user",
                ],
            ),
            (
                "sshd",
                "Failed publickey for deploy from 198.51.100.21 port 40022 ssh2: RSA SHA256:abcdef",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "deploy",
                    "198.51.100.21",
                    "-",
                ],
            ),
            (
                "sshd",
                "Failed keyboard-interactive/pam for invalid user pi from 198.51.100.22 port 1 ssh2",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "pi",
                    "198.51.100.22",
                    "invalid_user",
                ],
            ),
            (
                "sshd",
                "[ID 800047 auth.info] Failed keyboard-interactive for <invalid username> from 198.51.100.23 port 2 ssh2",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "-",
                    "198.51.100.23",
                    "invalid_user",
                ],
            ),
            (
                "sshd",
                "Failed none for invalid user  from 198.51.100.24 port 3 ssh2",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "-",
                    "198.51.100.24",
                    "invalid_user",
                ],
            ),
            (
                "sshd",
                "Accepted publickey for alice from 198.51.100.4 port 50000 ssh2: ED25519 SHA256:abc",
                [
                    "authentication",
                    "ssh_login",
                    "success",
                    "alice",
                    "198.51.100.4",
                    "-",
                ],
            ),
            (
                "sshd",
                "Failed password for root from 203.0.113.9 port 2 ssh2 \r",
                ["authentication", "ssh_login", F, "root", "203.0.113.9", "-"],
            ),
            (
                "sshd",
                "message repeated 2 times: [ Failed password for root from 203.0.113.8 port 1 ssh2]",
                ["authentication", "ssh_login", F, "root", "203.0.113.8", "-"],
            ),
        ]);
    }

    #[test]
    fn injection_in_user_names_does_not_move_the_peer() {
        check(&[
            (
                "sshd",
                "Failed password for invalid user from 6.6.6.6 from 198.51.100.30 port 58946 ssh2",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "from 6.6.6.6",
                    "198.51.100.30",
                    "invalid_user",
                ],
            ),
            (
                "sshd",
                "Failed password for invalid user x from 6.6.6.6 port 1 ssh2 from 198.51.100.31 port 2 ssh2",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "x from 6.6.6.6 port 1 ssh2",
                    "198.51.100.31",
                    "invalid_user",
                ],
            ),
            (
                "sshd",
                "Failed password for bob from 198.51.100.32 port 3 ssh2: from 6.6.6.6 port 4 ssh2",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "bob",
                    "198.51.100.32",
                    "-",
                ],
            ),
            (
                "sshd",
                "Invalid user a from 6.6.6.6 port 1 from 198.51.100.33 port 5",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "a from 6.6.6.6 port 1",
                    "198.51.100.33",
                    "invalid_user",
                ],
            ),
            (
                "sshd",
                "Connection closed by authenticating user t 6.6.6.6 port 7 198.51.100.34 port 8 [preauth]",
                [
                    "network",
                    "ssh_disconnect",
                    "-",
                    "t 6.6.6.6 port 7",
                    "198.51.100.34",
                    "preauth_disconnect",
                ],
            ),
            (
                "sshd",
                "Bad protocol version identification 'x from 6.6.6.6' from 198.51.100.35 port 9",
                [
                    "network",
                    "ssh_connection",
                    F,
                    "-",
                    "198.51.100.35",
                    "bad_protocol",
                ],
            ),
        ]);
    }

    #[test]
    fn refusals() {
        check(&[
            (
                "sshd",
                "Invalid user ftp from 192.0.2.1",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "ftp",
                    "192.0.2.1",
                    "invalid_user",
                ],
            ),
            (
                "sshd",
                "Invalid user  from 192.0.2.68 port 34916",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "-",
                    "192.0.2.68",
                    "invalid_user",
                ],
            ),
            (
                "sshd",
                "Illegal user test from 192.0.2.9",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "test",
                    "192.0.2.9",
                    "invalid_user",
                ],
            ),
            (
                "sshd",
                "User root from scanner.example.net not allowed because not listed in AllowUsers",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "root",
                    "scanner.example.net",
                    "user_not_allowed",
                ],
            ),
            (
                "sshd",
                "User root not allowed because account is locked",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "root",
                    "-",
                    "account_locked",
                ],
            ),
            (
                "sshd",
                "ROOT LOGIN REFUSED FROM ::ffff:192.0.2.40 port 12345 [preauth]",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "root",
                    "192.0.2.40",
                    "root_login_refused",
                ],
            ),
            (
                "sshd",
                "error: PAM: Authentication failure for bob from mail.example.org via 10.0.0.1",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "bob",
                    "mail.example.org",
                    "-",
                ],
            ),
            (
                "sshd",
                "error: PAM: User not known to the underlying authentication module for illegal user eve from 192.0.2.41 ",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "eve",
                    "192.0.2.41",
                    "invalid_user",
                ],
            ),
            (
                "sshd",
                "error: maximum authentication attempts exceeded for invalid user xxx from 192.0.2.7 port 49941 ssh2 [preauth]",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "xxx",
                    "192.0.2.7",
                    "max_auth_attempts",
                ],
            ),
            (
                "sshd",
                "Disconnecting: Too many authentication failures for git [preauth]",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "git",
                    "-",
                    "max_auth_attempts",
                ],
            ),
            (
                "sshd",
                "Disconnecting invalid user admin 192.0.2.117 port 44004: Change of username or service not allowed: (admin,ssh-connection) -> (user,ssh-connection) [preauth]",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "admin",
                    "192.0.2.117",
                    "invalid_user",
                ],
            ),
            (
                "sshd",
                "Disconnecting authenticating user root 192.0.2.118 port 1: Too many authentication failures [preauth]",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "root",
                    "192.0.2.118",
                    "max_auth_attempts",
                ],
            ),
            (
                "sshd",
                "input_userauth_request: invalid user root [preauth]",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "root",
                    "-",
                    "invalid_user",
                ],
            ),
            (
                "sshd",
                "Received disconnect from 192.0.2.42 port 7736:3: com.jcraft.jsch.JSchException: Auth fail [preauth]",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "-",
                    "192.0.2.42",
                    "auth_failed",
                ],
            ),
            (
                "sshd",
                "error: Received disconnect from 192.0.2.43: 14: No supported authentication methods available [preauth]",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "-",
                    "192.0.2.43",
                    "no_auth_methods",
                ],
            ),
            (
                "sshd",
                "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.45  user=root",
                [
                    "authentication",
                    "ssh_login",
                    F,
                    "root",
                    "192.0.2.45",
                    "repeated_failures",
                ],
            ),
            (
                "sshd",
                "drop connection #10 from [192.0.2.46]:40000 on [10.0.0.1]:22 past MaxStartups",
                [
                    "network",
                    "ssh_connection",
                    F,
                    "-",
                    "192.0.2.46",
                    "max_startups",
                ],
            ),
            (
                "sshd",
                "refused connect from _U2FsdGVk_@::ffff:192.0.2.44 (::ffff:192.0.2.44)",
                [
                    "network",
                    "ssh_connection",
                    F,
                    "-",
                    "192.0.2.44",
                    "access_denied",
                ],
            ),
        ]);
    }

    #[test]
    fn handshakes_and_disconnects() {
        check(&[
            (
                "sshd",
                "Did not receive identification string from 192.0.2.50 port 35836",
                [
                    "network",
                    "ssh_connection",
                    F,
                    "-",
                    "192.0.2.50",
                    "no_identification",
                ],
            ),
            (
                "sshd",
                "fatal: Unable to negotiate with 192.0.2.51 port 55419: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1",
                [
                    "network",
                    "ssh_connection",
                    F,
                    "-",
                    "192.0.2.51",
                    "negotiation_failed",
                ],
            ),
            (
                "sshd",
                "Timeout before authentication for connection from 192.0.2.52 to 10.0.0.1, pid = 29098",
                [
                    "network",
                    "ssh_connection",
                    F,
                    "-",
                    "192.0.2.52",
                    "auth_timeout",
                ],
            ),
            (
                "sshd",
                "error: kex_exchange_identification: Connection closed by remote host",
                ["network", "ssh_connection", F, "-", "-", "bad_protocol"],
            ),
            (
                "sshd",
                "Connection closed by 192.0.2.53 port 4 [preauth]",
                [
                    "network",
                    "ssh_disconnect",
                    "-",
                    "-",
                    "192.0.2.53",
                    "preauth_disconnect",
                ],
            ),
            (
                "sshd",
                "Connection closed by 192.0.2.54",
                ["network", "ssh_disconnect", "-", "-", "192.0.2.54", "-"],
            ),
            (
                "sshd",
                "Disconnected from user bob 192.0.2.55 port 22222",
                ["session", "ssh_disconnect", "-", "bob", "192.0.2.55", "-"],
            ),
            (
                "sshd",
                "Connection closed by invalid user  192.0.2.56 port 34916 [preauth]",
                [
                    "network",
                    "ssh_disconnect",
                    "-",
                    "-",
                    "192.0.2.56",
                    "preauth_disconnect",
                ],
            ),
            (
                "sshd",
                "Received disconnect from 192.0.2.57 port 58846:11: Bye Bye [preauth]",
                [
                    "network",
                    "ssh_disconnect",
                    "-",
                    "-",
                    "192.0.2.57",
                    "preauth_disconnect",
                ],
            ),
            (
                "sshd",
                "Connection from 192.0.2.58 port 51280 on 10.0.0.2 port 22 rdomain \"\"",
                ["network", "ssh_connection", "-", "-", "192.0.2.58", "-"],
            ),
            (
                "sshd",
                "Address 192.0.2.59 maps to x.example.com, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!",
                [
                    "network",
                    "ssh_connection",
                    "-",
                    "-",
                    "192.0.2.59",
                    "reverse_mapping_mismatch",
                ],
            ),
        ]);
    }

    #[test]
    fn not_security_facts() {
        for m in [
            "Server listening on 0.0.0.0 port 22.",
            "Postponed publickey for git from 192.0.2.1 port 57904 ssh2 [preauth]",
            "Failed password",
            "Failed password for",
            "Failed password for root from",
            "Failed password for root from nothing-here port x",
            "Invalid user",
            "User child is on pid 1234",
            "Received disconnect from",
            "Connection closed by",
            "Disconnecting invalid user",
            "refused connect from",
            "PAM: something else",
            "SSH: Server;Ltype: Version;Remote: 127.0.0.1-1780;Protocol: 2.0",
            "[ID 800047",
            "error: ",
            "Failed password for r\u{f6}\u{f6}t from \u{1F600} port 1",
        ] {
            let ev = run("sshd", m);
            assert_eq!(ev.outcome, None, "{m}");
            assert_eq!(ev.source_ip, None, "{m}");
        }
    }
}
