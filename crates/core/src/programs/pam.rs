//! PAM module messages, whichever program loaded the module:
//!
//! - `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0
//!   tty=ssh ruser= rhost=203.0.113.7  user=root` (also `pam_sss`,
//!   `pam_ldap`, ..., the old `(pam_unix) authentication failure; ...`,
//!   `pam_unix: ...`, `pam_unix(auth): ...`, and a bare `authentication
//!   failure; ... rhost=...` from daemons that drop the module prefix):
//!   authentication failure, `action = pam_auth` (`sudo` / `su` for those
//!   services, whose own lines do not always record the failure). sshd
//!   logs its own `Failed password` for the same attempt, with `action =
//!   ssh_login`: rules that count attempts per program should count one
//!   action or the other.
//! - `pam_unix(sshd:auth): check pass; user unknown`: failure,
//!   `invalid_user`.
//! - `pam_unix(sshd:session): session opened for user bob(uid=1000) by
//!   (uid=0)` / `session closed for user bob`: session events.
//! - `pam_unix(passwd:chauthtok): password changed for bob`: IAM.
//! - `pam_faillock(sshd:auth): Consecutive login failures for user root
//!   account temporarily locked`: failure, `account_locked`.
//!
//! For `su` and `sudo`, `user.name` is the one asking (`ruser`/`logname`,
//! or the `by` user of a session) and `user.target.name` the account asked
//! for; elsewhere `user.name` is the account logging in.
//!
//! `ruser` and `user` are chosen by the client, so `rhost=` is taken at the
//! position PAM writes it: the first `rhost=` whose value is followed by
//! the end or by ` user=`.

use std::borrow::Cow;

use crate::event::{Category, Event, Outcome};

use super::{auth_failure, kv, mark, reason, set_target, set_user, token};

/// Whether a message is a PAM module's (cheap: first bytes only).
pub(super) fn looks_like_pam(msg: &str) -> bool {
    let b = msg.as_bytes();
    match b.first() {
        Some(b'p') => msg.starts_with("pam_"),
        Some(b'(') => msg.starts_with("(pam_"),
        Some(b'a') => msg.starts_with("authentication failure;"),
        _ => false,
    }
}

/// Enriches from a PAM message; `family` is the program's family, used when
/// the message does not name the PAM service.
pub(super) fn enrich<'a>(ev: &mut Event<'a>, family: &str, msg: &'a str) {
    // Without a service in the message (`(pam_unix) ...`, or the old
    // `vsftpd(pam_unix)` tag), the program's family stands for it.
    let (service, body) = split_module(msg);
    let service = service.unwrap_or(family);
    let body = body.trim_start_matches(' ');
    let elevates = matches!(service, "su" | "su-l" | "sudo" | "sudo-i");
    if let Some(fields) = body.strip_prefix("authentication failure;") {
        auth_failure(ev, action_for(service));
        let ruser = kv(fields, "ruser=").unwrap_or("");
        let logname = kv(fields, "logname=").unwrap_or("");
        let user = user_field(fields);
        if elevates {
            set_user(ev, if ruser.is_empty() { logname } else { ruser });
            if let Some(u) = user {
                set_target(ev, u);
            }
        } else {
            match user {
                Some(u) if !u.is_empty() => set_user(ev, u),
                _ => set_user(ev, ruser),
            }
        }
        if let Some(host) = rhost(fields) {
            ev.set_source(host);
        }
    } else if body.starts_with("Authentication failure") {
        // `pam_authenticate: Authentication failure` (su, login).
        auth_failure(ev, action_for(service));
    } else if let Some(r) = body.strip_prefix("auth could not identify password for [") {
        // sudo/su without a password typed (e.g. no TTY).
        auth_failure(ev, action_for(service));
        reason(ev, "no_password");
        set_user(ev, r.split(']').next().unwrap_or(""));
    } else if body.starts_with("check pass; user unknown") {
        auth_failure(ev, action_for(service));
        reason(ev, "invalid_user");
    } else if let Some(rest) = body.strip_prefix("session opened for user ") {
        mark(
            ev,
            Category::Session,
            "session_opened",
            Some(Outcome::Success),
        );
        session_users(ev, rest, elevates);
    } else if let Some(rest) = body.strip_prefix("session closed for user ") {
        mark(
            ev,
            Category::Session,
            "session_closed",
            Some(Outcome::Success),
        );
        session_users(ev, rest, elevates);
    } else if let Some(rest) = body.strip_prefix("password changed for ") {
        mark(
            ev,
            Category::Iam,
            "password_changed",
            Some(Outcome::Success),
        );
        set_target(ev, token(rest).0);
    } else if let Some(rest) = body.strip_prefix("Consecutive login failures for user ") {
        auth_failure(ev, action_for(service));
        reason(ev, "account_locked");
        set_user(ev, token(rest).0);
    } else if body.starts_with("user ")
        && let Some(u) = body
            .strip_prefix("user ")
            .and_then(|r| r.strip_suffix(" does not exist"))
    {
        auth_failure(ev, action_for(service));
        reason(ev, "invalid_user");
        set_user(ev, u);
    }
}

/// `pam_unix(sshd:auth): rest` → (`sshd`, `rest`); `(pam_unix) rest` and
/// `pam_unix: rest` → (None, `rest`); a bare message → (None, msg).
fn split_module(msg: &str) -> (Option<&str>, &str) {
    if let Some(rest) = msg.strip_prefix("(pam_") {
        let body = rest.find(')').and_then(|i| rest.get(i + 1..)).unwrap_or("");
        return (None, body);
    }
    if msg.starts_with("pam_") {
        let end = msg.find([' ', '(', ':']).unwrap_or(msg.len());
        let rest = msg.get(end..).unwrap_or("");
        if let Some(inner) = rest.strip_prefix('(') {
            let close = inner.find(')').unwrap_or(inner.len());
            let svc = inner.get(..close).unwrap_or("");
            let body = inner.get(close + 1..).unwrap_or("");
            let body = body.strip_prefix(':').unwrap_or(body);
            // `pam_unix(sshd:auth)`: the service before the colon;
            // `pam_unix(auth)`: no service.
            let svc = svc.split_once(':').map(|(s, _)| s);
            return (svc.filter(|s| !s.is_empty()), body);
        }
        return (None, rest.strip_prefix(':').unwrap_or(rest));
    }
    (None, msg)
}

/// The action for an authentication through PAM service `service`.
fn action_for(service: &str) -> &'static str {
    match service {
        "sudo" | "sudo-i" => "sudo",
        "su" | "su-l" => "su",
        _ => "pam_auth",
    }
}

/// `rhost=`'s value at the position PAM writes it (see the module doc).
fn rhost(fields: &str) -> Option<&str> {
    let mut from = 0;
    let mut first = None;
    while let Some(i) = fields.get(from..).and_then(|t| t.find("rhost=")) {
        let at = from + i;
        from = at + 6;
        if at > 0 && fields.as_bytes().get(at - 1) != Some(&b' ') {
            continue;
        }
        let rest = fields.get(at + 6..).unwrap_or("");
        let (value, after) = token(rest);
        let after = after.trim_start_matches(' ');
        first.get_or_insert(value);
        if after.is_empty() || after.starts_with("user=") || after.starts_with("msg=") {
            return Some(value).filter(|v| !v.is_empty());
        }
    }
    first.filter(|v| !v.is_empty())
}

/// `user=`'s value: PAM writes it last, so it runs to the end of the line
/// (it may hold spaces when the client chose so).
fn user_field(fields: &str) -> Option<&str> {
    let mut from = 0;
    let mut first = None;
    while let Some(i) = fields.get(from..).and_then(|t| t.find("user=")) {
        let at = from + i;
        from = at + 5;
        // `ruser=` is another field.
        if at > 0 && fields.as_bytes().get(at - 1) != Some(&b' ') {
            continue;
        }
        first = Some(at);
        break;
    }
    let at = first?;
    let v = fields.get(at + 5..)?.trim_end();
    // Proxmox adds ` msg=...` after the user.
    let v = match v.find(" msg=") {
        Some(i) => v.get(..i).unwrap_or(v),
        None => v,
    };
    Some(v)
}

/// `bob(uid=1000) by alice(uid=1000)` / `bob by (uid=0)`.
fn session_users<'a>(ev: &mut Event<'a>, rest: &'a str, elevates: bool) {
    let (who, after) = token(rest);
    let who = who.split('(').next().unwrap_or(who);
    let by = after
        .strip_prefix("by ")
        .map(|b| token(b).0.split('(').next().unwrap_or(""))
        .unwrap_or("");
    if elevates {
        set_target(ev, who);
        set_user(ev, by);
        if ev.user_name.is_none() {
            ev.user_name = Some(Cow::Borrowed(who));
        }
    } else {
        set_user(ev, who);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, run};

    #[test]
    fn table() {
        check(&[
            (
                "sshd",
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root",
                [
                    "authentication",
                    "pam_auth",
                    "failure",
                    "root",
                    "203.0.113.7",
                    "-",
                ],
            ),
            (
                "sshd",
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=scanner.example.net",
                [
                    "authentication",
                    "pam_auth",
                    "failure",
                    "-",
                    "scanner.example.net",
                    "-",
                ],
            ),
            (
                "dovecot-auth",
                "pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=rhost=6.6.6.6 rhost=198.51.100.9",
                [
                    "authentication",
                    "pam_auth",
                    "failure",
                    "rhost=6.6.6.6",
                    "198.51.100.9",
                    "-",
                ],
            ),
            (
                "login",
                "pam_unix(login:auth): authentication failure; logname= uid=0 euid=0 tty=xxx ruser=eve rhost=6.6.6.6 rhost=198.51.100.10",
                [
                    "authentication",
                    "pam_auth",
                    "failure",
                    "eve",
                    "198.51.100.10",
                    "-",
                ],
            ),
            (
                "login",
                "pam_unix(auth): authentication failure; logname= uid=0 euid=0 tty=xxx ruser= rhost=198.51.100.11 user=eve rhost=6.6.6.6",
                [
                    "authentication",
                    "pam_auth",
                    "failure",
                    "eve rhost=6.6.6.6",
                    "198.51.100.11",
                    "-",
                ],
            ),
            (
                "vsftpd",
                "(pam_unix) authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=198.51.100.12",
                [
                    "authentication",
                    "pam_auth",
                    "failure",
                    "-",
                    "198.51.100.12",
                    "-",
                ],
            ),
            (
                "vsftpd",
                "pam_unix: authentication failure; logname= uid=0 euid=0 tty=ftp ruser=carol rhost=ftp.example.org",
                [
                    "authentication",
                    "pam_auth",
                    "failure",
                    "carol",
                    "ftp.example.org",
                    "-",
                ],
            ),
            (
                "vsftpd(pam_unix)",
                "authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=198.51.100.13 user=dave",
                [
                    "authentication",
                    "pam_auth",
                    "failure",
                    "dave",
                    "198.51.100.13",
                    "-",
                ],
            ),
            (
                "sudo",
                "pam_unix(sudo:auth): authentication failure; logname=bob uid=1000 euid=0 tty=/dev/pts/0 ruser=bob rhost=  user=bob",
                ["authentication", "sudo", "failure", "bob", "-", "-"],
            ),
            (
                "su",
                "pam_unix(su:auth): authentication failure; logname=alice uid=1000 euid=0 tty=pts/1 ruser=alice rhost=  user=root",
                ["authentication", "su", "failure", "alice", "-", "-"],
            ),
            (
                "sudo",
                "pam_unix(sudo:auth): auth could not identify password for [alice]",
                [
                    "authentication",
                    "sudo",
                    "failure",
                    "alice",
                    "-",
                    "no_password",
                ],
            ),
            (
                "sshd",
                "pam_unix(sshd:auth): check pass; user unknown",
                [
                    "authentication",
                    "pam_auth",
                    "failure",
                    "-",
                    "-",
                    "invalid_user",
                ],
            ),
            (
                "sshd",
                "pam_unix(sshd:session): session opened for user bob(uid=1000) by (uid=0)",
                ["session", "session_opened", "success", "bob", "-", "-"],
            ),
            (
                "CRON",
                "pam_unix(cron:session): session closed for user root",
                ["session", "session_closed", "success", "root", "-", "-"],
            ),
            (
                "su",
                "pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=1000)",
                ["session", "session_opened", "success", "alice", "-", "-"],
            ),
            (
                "passwd",
                "pam_unix(passwd:chauthtok): password changed for bob",
                ["iam", "password_changed", "success", "-", "-", "-"],
            ),
            (
                "sshd",
                "pam_faillock(sshd:auth): Consecutive login failures for user root account temporarily locked",
                [
                    "authentication",
                    "pam_auth",
                    "failure",
                    "root",
                    "-",
                    "account_locked",
                ],
            ),
            (
                "sshd",
                "pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=2001:db8::7 user=eve",
                [
                    "authentication",
                    "pam_auth",
                    "failure",
                    "eve",
                    "2001:db8::7",
                    "-",
                ],
            ),
            (
                "pvedaemon",
                "authentication failure; rhost=198.51.100.14 user=root@pam msg=Authentication failure",
                [
                    "authentication",
                    "pam_auth",
                    "failure",
                    "root@pam",
                    "198.51.100.14",
                    "-",
                ],
            ),
            // Not failures.
            (
                "sshd",
                "pam_unix(sshd:auth): some other text",
                ["-", "-", "-", "-", "-", "-"],
            ),
            ("sshd", "pam_", ["-", "-", "-", "-", "-", "-"]),
            ("sshd", "(pam_unix", ["-", "-", "-", "-", "-", "-"]),
            ("sshd", "pam_unix(sshd:auth", ["-", "-", "-", "-", "-", "-"]),
        ]);
    }

    #[test]
    fn su_target() {
        let ev = run(
            "su",
            "pam_unix(su:auth): authentication failure; logname=alice uid=1000 euid=0 tty=pts/1 ruser=alice rhost=  user=root",
        );
        assert_eq!(ev.user_target_name.as_deref(), Some("root"));
        let ev = run(
            "su",
            "pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=1000)",
        );
        assert_eq!(ev.user_target_name.as_deref(), Some("root"));
    }
}
