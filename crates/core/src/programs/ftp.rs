//! FTP servers. All logins are category authentication, `action =
//! ftp_login`.
//!
//! - vsftpd: `[bob] FAIL LOGIN: Client "203.0.113.7"`, `[bob] OK LOGIN:
//!   Client "::ffff:203.0.113.7"`, optionally after `[pid 123] ` (its own
//!   log file's form); `CONNECT: Client "..."` is a connection.
//! - ProFTPD: `SERVER (NAME[IP]): USER bob (Login failed): Incorrect
//!   password.`, `USER bob: no such user found from ...`, `SECURITY
//!   VIOLATION: root login attempted`, `Maximum login attempts (3)
//!   exceeded`, `USER bob: Login successful.` (`: ` or ` - ` after the
//!   peer). The peer is the first `(NAME[IP])`: the user name comes later
//!   and is the client's text.
//! - Pure-FTPd: `(?@203.0.113.7) [WARNING] Authentication failed for user
//!   [bob]`, `(bob@203.0.113.7) [INFO] bob is now logged in`.
//! - wu-ftpd, gssftpd and BSD ftpd: `failed login from NAME [IP]`,
//!   `repeated login failures from IP (NAME)`, `FTP LOGIN FAILED FROM IP,
//!   bob`, `FTP LOGIN FROM IP [IP], bob`.
//!
//! PAM lines (`pam_unix(vsftpd:auth): ...`) are read by `pam`.

use crate::event::{Category, Event, Outcome};

use super::{after, auth_failure, auth_success, mark, reason, set_source_port, set_user, token};

/// vsftpd, in syslog or in its own log (`[pid N] [user] FAIL LOGIN: ...`).
pub(super) fn vsftpd<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let mut m = msg.trim_start_matches(' ');
    if m.starts_with("[pid ")
        && let Some(r) = after(m, "] ")
    {
        m = r;
    }
    let mut user = "";
    if m.starts_with('[')
        && let Some(i) = m.find("] ")
    {
        user = m.get(1..i).unwrap_or("");
        m = m.get(i + 2..).unwrap_or("");
    }
    let (outcome, rest) = if let Some(r) = m.strip_prefix("FAIL LOGIN: Client ") {
        (Some(Outcome::Failure), r)
    } else if let Some(r) = m.strip_prefix("OK LOGIN: Client ") {
        (Some(Outcome::Success), r)
    } else if let Some(r) = m.strip_prefix("CONNECT: Client ") {
        (None, r)
    } else {
        return;
    };
    let client = rest
        .strip_prefix('"')
        .and_then(|r| r.split('"').next())
        .unwrap_or("");
    if !ev.set_source(client) {
        return;
    }
    match outcome {
        Some(Outcome::Failure) => {
            auth_failure(ev, "ftp_login");
            if rest.contains("not in the allow user list") {
                reason(ev, "user_not_allowed");
            }
        }
        Some(_) => auth_success(ev, "ftp_login"),
        None => mark(ev, Category::Network, "ftp_connection", None),
    }
    if outcome.is_some() {
        set_user(ev, user);
    }
}

/// ProFTPD: `SERVER (NAME[IP]): MESSAGE` or `SERVER (NAME[IP]) - MESSAGE`.
pub(super) fn proftpd<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let Some(open) = msg.find(" (") else {
        return;
    };
    let peer = msg.get(open + 2..).unwrap_or("");
    let Some(lb) = peer.find('[') else {
        return;
    };
    let Some(rb) = peer.find("])") else {
        return;
    };
    if rb < lb {
        return;
    }
    let ip = peer.get(lb + 1..rb).unwrap_or("");
    let rest = peer.get(rb + 2..).unwrap_or("");
    let Some(text) = rest.strip_prefix(": ").or_else(|| rest.strip_prefix(" - ")) else {
        return;
    };
    let text = text.trim_end();
    if let Some(u) = text.strip_prefix("USER ") {
        if let Some(i) = u.rfind(" (Login failed)") {
            auth_failure(ev, "ftp_login");
            if u.get(i..).is_some_and(|t| t.contains("ftpusers")) {
                reason(ev, "user_not_allowed");
            }
            set_user(ev, u.get(..i).unwrap_or(""));
        } else if let Some(i) = u.rfind(": no such user found") {
            auth_failure(ev, "ftp_login");
            reason(ev, "invalid_user");
            set_user(ev, u.get(..i).unwrap_or(""));
        } else if let Some(name) = u.strip_suffix(": Login successful.") {
            auth_success(ev, "ftp_login");
            set_user(ev, name);
        } else {
            return;
        }
    } else if let Some(v) = text.strip_prefix("SECURITY VIOLATION: ") {
        auth_failure(ev, "ftp_login");
        reason(ev, "root_login_refused");
        let (who, _) = token(v);
        set_user(
            ev,
            if who.eq_ignore_ascii_case("root") {
                who
            } else {
                ""
            },
        );
    } else if text.starts_with("Maximum login attempts") {
        auth_failure(ev, "ftp_login");
        reason(ev, "max_auth_attempts");
    } else {
        return;
    }
    ev.set_source(ip);
}

/// Pure-FTPd: `(USER@HOST) [LEVEL] MESSAGE`.
pub(super) fn pure_ftpd<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let Some(inner) = msg.strip_prefix('(') else {
        return;
    };
    let Some(close) = inner.find(") [") else {
        return;
    };
    let who = inner.get(..close).unwrap_or("");
    let Some((user, host)) = who.rsplit_once('@') else {
        return;
    };
    let rest = inner.get(close + 3..).unwrap_or("");
    let Some(text) = after(rest, "] ") else {
        return;
    };
    if let Some(u) = text.strip_prefix("Authentication failed for user ") {
        auth_failure(ev, "ftp_login");
        set_user(
            ev,
            u.trim_end().trim_start_matches('[').trim_end_matches(']'),
        );
    } else if text.trim_end().ends_with(" is now logged in") {
        auth_success(ev, "ftp_login");
        set_user(ev, if user == "?" { "" } else { user });
    } else if text.starts_with("New connection from ") {
        mark(ev, Category::Network, "ftp_connection", None);
    } else {
        return;
    }
    ev.set_source(host);
}

/// wu-ftpd, gssftpd (`ftpd`) and BSD ftpd.
pub(super) fn ftpd<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let m = msg.trim_end();
    if let Some(r) = m.strip_prefix("failed login from ") {
        if set_peer_bracketed(ev, r) {
            auth_failure(ev, "ftp_login");
        }
    } else if let Some(r) = m.strip_prefix("repeated login failures from ") {
        if ev.set_source(token(r).0) {
            auth_failure(ev, "ftp_login");
            reason(ev, "max_auth_attempts");
        }
    } else if let Some(r) = m.strip_prefix("FTP LOGIN FAILED FROM ") {
        if let Some((peer, user)) = r.rsplit_once(", ")
            && set_peer_bracketed(ev, peer)
        {
            auth_failure(ev, "ftp_login");
            set_user(ev, user);
        }
    } else if let Some(r) = m
        .strip_prefix("FTP LOGIN FROM ")
        .or_else(|| m.strip_prefix("ANONYMOUS FTP LOGIN FROM "))
        && let Some((peer, user)) = r.rsplit_once(", ")
        && set_peer_bracketed(ev, peer)
    {
        auth_success(ev, "ftp_login");
        set_user(ev, user);
    }
}

/// `NAME [IP]` (the IP wins) or `IP`.
fn set_peer_bracketed<'a>(ev: &mut Event<'a>, s: &'a str) -> bool {
    if let Some(i) = s.rfind(" [")
        && let Some(ip) = s.get(i + 2..).and_then(|r| r.split(']').next())
        && ev.set_source(ip)
    {
        return true;
    }
    set_source_port(ev, token(s).0)
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;

    const F: &str = "failure";
    const A: &str = "authentication";

    #[test]
    fn vsftpd() {
        check(&[
            (
                "vsftpd",
                "[bob] FAIL LOGIN: Client \"203.0.113.7\"",
                [A, "ftp_login", F, "bob", "203.0.113.7", "-"],
            ),
            (
                "vsftpd",
                "[pid 27202] [anonymous] FAIL LOGIN: Client \"203.0.113.8\"",
                [A, "ftp_login", F, "anonymous", "203.0.113.8", "-"],
            ),
            (
                "vsftpd",
                "[guest] FAIL LOGIN: Client \"::ffff:203.0.113.9\", \"User is not in the allow user list.\"",
                [
                    A,
                    "ftp_login",
                    F,
                    "guest",
                    "203.0.113.9",
                    "user_not_allowed",
                ],
            ),
            (
                "vsftpd",
                "[alice] OK LOGIN: Client \"203.0.113.10\"",
                [A, "ftp_login", "success", "alice", "203.0.113.10", "-"],
            ),
            (
                "vsftpd",
                "CONNECT: Client \"203.0.113.11\"",
                ["network", "ftp_connection", "-", "-", "203.0.113.11", "-"],
            ),
            (
                "vsftpd",
                "[bob] OK UPLOAD: Client \"203.0.113.7\", \"/f\", 12 bytes",
                ["-", "-", "-", "-", "-", "-"],
            ),
            (
                "vsftpd",
                "[bob] FAIL LOGIN: Client \"nothing\"",
                ["-", "-", "-", "-", "-", "-"],
            ),
            ("vsftpd", "[bob", ["-", "-", "-", "-", "-", "-"]),
        ]);
    }

    #[test]
    fn proftpd() {
        check(&[
            (
                "proftpd",
                "ftp.example.com (client.example.net[203.0.113.20]): USER bob (Login failed): Incorrect password.",
                [A, "ftp_login", F, "bob", "203.0.113.20", "-"],
            ),
            (
                "proftpd",
                "ftp.example.com (203.0.113.21[203.0.113.21]): USER root (Login failed): User in /etc/ftpusers",
                [
                    A,
                    "ftp_login",
                    F,
                    "root",
                    "203.0.113.21",
                    "user_not_allowed",
                ],
            ),
            (
                "proftpd",
                "ftp (::ffff:203.0.113.22[::ffff:203.0.113.22]): USER x (evil[6.6.6.6]): no such user found from 6.6.6.6 [6.6.6.6] to 10.0.0.1:21",
                [
                    A,
                    "ftp_login",
                    F,
                    "x (evil[6.6.6.6])",
                    "203.0.113.22",
                    "invalid_user",
                ],
            ),
            (
                "proftpd",
                "ftp01 (203.0.113.23[203.0.113.23]) - SECURITY VIOLATION: Root login attempted",
                [
                    A,
                    "ftp_login",
                    F,
                    "Root",
                    "203.0.113.23",
                    "root_login_refused",
                ],
            ),
            (
                "proftpd",
                "mail (::ffff:203.0.113.24[::ffff:203.0.113.24]) - Maximum login attempts (3) exceeded ",
                [A, "ftp_login", F, "-", "203.0.113.24", "max_auth_attempts"],
            ),
            (
                "proftpd",
                "ftp (h[203.0.113.25]) - USER carol: Login successful.",
                [A, "ftp_login", "success", "carol", "203.0.113.25", "-"],
            ),
            (
                "proftpd",
                "ftp (h[203.0.113.25]) - FTP session opened.",
                ["-", "-", "-", "-", "-", "-"],
            ),
            (
                "proftpd",
                "ftp (h]203.0.113.25[) - USER x: Login successful.",
                ["-", "-", "-", "-", "-", "-"],
            ),
        ]);
    }

    #[test]
    fn pure_and_others() {
        check(&[
            (
                "pure-ftpd",
                "(?@203.0.113.30) [WARNING] Authentication failed for user [Administrator]",
                [A, "ftp_login", F, "Administrator", "203.0.113.30", "-"],
            ),
            (
                "pure-ftpd",
                "(dave@203.0.113.31) [INFO] dave is now logged in",
                [A, "ftp_login", "success", "dave", "203.0.113.31", "-"],
            ),
            (
                "pure-ftpd",
                "(?@203.0.113.30) [INFO] Logout.",
                ["-", "-", "-", "-", "-", "-"],
            ),
            (
                "wu-ftpd",
                "failed login from dsl.example.net [203.0.113.32]",
                [A, "ftp_login", F, "-", "203.0.113.32", "-"],
            ),
            (
                "ftpd",
                "repeated login failures from 203.0.113.33 (scanner.example.org)",
                [A, "ftp_login", F, "-", "203.0.113.33", "max_auth_attempts"],
            ),
            (
                "ftpd",
                "FTP LOGIN FAILED FROM 203.0.113.34, erin",
                [A, "ftp_login", F, "erin", "203.0.113.34", "-"],
            ),
            (
                "ftpd",
                "FTP LOGIN FROM 203.0.113.35 [203.0.113.35], frank",
                [A, "ftp_login", "success", "frank", "203.0.113.35", "-"],
            ),
            ("ftpd", "failed login from", ["-", "-", "-", "-", "-", "-"]),
        ]);
    }
}
