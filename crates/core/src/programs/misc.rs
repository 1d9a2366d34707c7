//! Small daemons with one or two login messages each.
//!
//! - xinetd: `FAIL: telnet address from=203.0.113.7` (a connection refused
//!   by access control: category network, `action = xinetd_connection`,
//!   failure, `access_denied`); `START: telnet pid=123 from=IP` (no
//!   outcome).
//! - Webmin: `Invalid login as root from IP`, `Non-existent login as bob
//!   from IP` (failure, `invalid_user`), `Successful login as root from IP`
//!   (`action = webmin_login`).
//! - phpMyAdmin: `user denied: root (mysql-denied) from IP` (`action =
//!   phpmyadmin_login`).
//! - macOS screen sharing: `Authentication: FAILED :: User Name: bob ::
//!   Viewer Address: IP :: Type: DH` (`action = vnc_login`); `SUCCEEDED`.
//! - xrdp-sesman: `[INFO ] AUTHFAIL: user=bob ip=::ffff:IP time=N`
//!   (`action = rdp_login`); the user is the client's text, so the last
//!   ` ip=` wins.
//! - login(1): `FAILED LOGIN (1) on '/dev/tty1' [from 'HOST' ]FOR 'root',
//!   Authentication failure`, `FAILED LOGIN 1 FROM tty1 FOR root, ...`
//!   (failure), `ROOT LOGIN  on '/dev/tty1'`, `LOGIN ON tty1 BY bob`
//!   (success); `action = console_login`.
//! - systemd-logind: `New session 12 of user bob.` / `Removed session
//!   12.` (category session, `session_opened` / `session_closed`).
//! - MySQL/MariaDB (`mysqld`): `[Warning] Access denied for user
//!   'bob'@'IP' (using password: YES)` (`action = mysql_login`), after the
//!   server's own stamp.

use crate::event::{Category, Event, Outcome};

use super::{after, auth_failure, auth_success, kv, mark, reason, set_user};

pub(super) fn xinetd<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let (failed, rest) = if let Some(r) = msg.strip_prefix("FAIL: ") {
        (true, r)
    } else if let Some(r) = msg.strip_prefix("START: ") {
        (false, r)
    } else {
        return;
    };
    let Some(from) = kv(rest, "from=") else {
        return;
    };
    if !ev.set_source(from) {
        return;
    }
    if failed {
        mark(
            ev,
            Category::Network,
            "xinetd_connection",
            Some(Outcome::Failure),
        );
        reason(ev, "access_denied");
    } else {
        mark(ev, Category::Network, "xinetd_connection", None);
    }
}

pub(super) fn webmin<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let m = msg.trim_end();
    let (outcome, why, rest) = if let Some(r) = m.strip_prefix("Invalid login as ") {
        (Outcome::Failure, None, r)
    } else if let Some(r) = m.strip_prefix("Non-existent login as ") {
        (Outcome::Failure, Some("invalid_user"), r)
    } else if let Some(r) = m.strip_prefix("Successful login as ") {
        (Outcome::Success, None, r)
    } else {
        return;
    };
    // The user is the client's text: the peer is after the last ` from `.
    let Some(i) = rest.rfind(" from ") else {
        return;
    };
    if !ev.set_source(rest.get(i + 6..).unwrap_or("")) {
        return;
    }
    if outcome == Outcome::Success {
        auth_success(ev, "webmin_login");
    } else {
        auth_failure(ev, "webmin_login");
    }
    if let Some(w) = why {
        reason(ev, w);
    }
    set_user(ev, rest.get(..i).unwrap_or(""));
}

pub(super) fn phpmyadmin<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let Some(r) = msg.strip_prefix("user denied: ") else {
        return;
    };
    let r = r.trim_end();
    let Some(i) = r.rfind(" from ") else {
        return;
    };
    if !ev.set_source(r.get(i + 6..).unwrap_or("")) {
        return;
    }
    auth_failure(ev, "phpmyadmin_login");
    let who = r.get(..i).unwrap_or("");
    set_user(ev, who.split(" (").next().unwrap_or(who));
}

pub(super) fn screensharingd<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let Some(r) = msg.strip_prefix("Authentication: ") else {
        return;
    };
    let ok = r.starts_with("SUCCEEDED");
    if !ok && !r.starts_with("FAILED") {
        return;
    }
    // The user name is the client's text: take the last address field.
    let Some(i) = r.rfind(":: Viewer Address: ") else {
        return;
    };
    let addr = r.get(i + 19..).unwrap_or("");
    let addr = addr.split(" ::").next().unwrap_or(addr).trim();
    if !ev.set_source(addr) {
        return;
    }
    if ok {
        auth_success(ev, "vnc_login");
    } else {
        auth_failure(ev, "vnc_login");
    }
    if let Some(u) = after(r, ":: User Name: ") {
        let end = u.rfind(" :: Viewer Address: ").unwrap_or(0);
        set_user(ev, u.get(..end).unwrap_or("").trim_end_matches([' ', ':']));
    }
}

pub(super) fn xrdp_sesman<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let Some(r) = after(msg, "AUTHFAIL: user=") else {
        return;
    };
    let Some(i) = r.rfind(" ip=") else {
        return;
    };
    let ip = r
        .get(i + 4..)
        .and_then(|v| v.split(' ').next())
        .unwrap_or("");
    if ev.set_source(ip) {
        auth_failure(ev, "rdp_login");
        set_user(ev, r.get(..i).unwrap_or(""));
    }
}

pub(super) fn login<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let m = msg.trim_end();
    if let Some(r) = m.strip_prefix("FAILED LOGIN ") {
        // `(1) on '/dev/tty1' from 'host' FOR 'root', why` or
        // `1 FROM tty1 FOR root, why`: the user is after the last ` FOR `.
        let Some(i) = r.rfind(" FOR ") else {
            return;
        };
        auth_failure(ev, "console_login");
        let user = r.get(i + 5..).unwrap_or("");
        let user = user.rsplit_once(", ").map(|(u, _)| u).unwrap_or(user);
        set_user(ev, user.trim_matches('\''));
        let head = r.get(..i).unwrap_or("");
        if let Some(host) = after(head, " from '").and_then(|h| h.split('\'').next()) {
            ev.set_source(host);
        }
    } else if let Some(r) = m.strip_prefix("ROOT LOGIN ") {
        auth_success(ev, "console_login");
        set_user(ev, "root");
        if let Some(host) = after(r, " FROM ").or_else(|| after(r, " from '")) {
            ev.set_source(host.trim_matches('\''));
        }
    } else if let Some(r) = m.strip_prefix("LOGIN ON ")
        && let Some(user) = after(r, " BY ")
    {
        auth_success(ev, "console_login");
        let (user, rest) = super::token(user);
        set_user(ev, user);
        if let Some(host) = rest.strip_prefix("FROM ") {
            ev.set_source(host);
        }
    }
}

pub(super) fn logind<'a>(ev: &mut Event<'a>, msg: &'a str) {
    if let Some(r) = msg.strip_prefix("New session ")
        && let Some(user) = after(r, " of user ")
    {
        mark(
            ev,
            Category::Session,
            "session_opened",
            Some(Outcome::Success),
        );
        set_user(ev, user.trim_end().trim_end_matches('.'));
    } else if msg.starts_with("Removed session ") {
        mark(
            ev,
            Category::Session,
            "session_closed",
            Some(Outcome::Success),
        );
    }
}

pub(super) fn mysqld<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let Some(r) = after(msg, "] Access denied for user '") else {
        return;
    };
    // `'user'@'host'`: the user is the client's text, so split at the last
    // `'@'`.
    let Some(i) = r.rfind("'@'") else {
        return;
    };
    let host = r
        .get(i + 3..)
        .and_then(|h| h.split('\'').next())
        .unwrap_or("");
    if ev.set_source(host) || host == "localhost" {
        auth_failure(ev, "mysql_login");
        set_user(ev, r.get(..i).unwrap_or(""));
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;

    const F: &str = "failure";
    const A: &str = "authentication";
    const N: [&str; 6] = ["-", "-", "-", "-", "-", "-"];

    #[test]
    fn table() {
        check(&[
            (
                "xinetd",
                "FAIL: telnet address from=203.0.113.120",
                [
                    "network",
                    "xinetd_connection",
                    F,
                    "-",
                    "203.0.113.120",
                    "access_denied",
                ],
            ),
            (
                "xinetd",
                "START: ftp pid=1234 from=203.0.113.121",
                [
                    "network",
                    "xinetd_connection",
                    "-",
                    "-",
                    "203.0.113.121",
                    "-",
                ],
            ),
            ("xinetd", "EXIT: ftp status=0 pid=1234 duration=5(sec)", N),
            (
                "webmin",
                "Invalid login as root from 203.0.113.122 ",
                [A, "webmin_login", F, "root", "203.0.113.122", "-"],
            ),
            (
                "webmin",
                "Non-existent login as a from 6.6.6.6 from 203.0.113.123",
                [
                    A,
                    "webmin_login",
                    F,
                    "a from 6.6.6.6",
                    "203.0.113.123",
                    "invalid_user",
                ],
            ),
            (
                "webmin",
                "Successful login as admin from 203.0.113.124",
                [A, "webmin_login", "success", "admin", "203.0.113.124", "-"],
            ),
            ("webmin", "Invalid login as root", N),
            (
                "phpMyAdmin",
                "user denied: root (mysql-denied) from 203.0.113.125",
                [A, "phpmyadmin_login", F, "root", "203.0.113.125", "-"],
            ),
            (
                "screensharingd",
                "Authentication: FAILED :: User Name: brown @! s:: :: Viewer Address: 203.0.113.126 :: Type: DH",
                [A, "vnc_login", F, "brown @! s", "203.0.113.126", "-"],
            ),
            (
                "screensharingd",
                "Authentication: SUCCEEDED :: User Name: simon :: Viewer Address: 203.0.113.127 :: Type: DH",
                [A, "vnc_login", "success", "simon", "203.0.113.127", "-"],
            ),
            (
                "screensharingd",
                "Authentication: FAILED :: User Name: x",
                N,
            ),
            (
                "xrdp-sesman",
                "[INFO ] AUTHFAIL: user=203.0.113.1 ip=::ffff:203.0.113.128 time=1649351484",
                [A, "rdp_login", F, "203.0.113.1", "203.0.113.128", "-"],
            ),
            (
                "xrdp-sesman",
                "[INFO ] AUTHFAIL: user=x ip=6.6.6.6 time=1\\n[INFO ] AUTHFAIL: user=y ip=203.0.113.129 time=2",
                [
                    A,
                    "rdp_login",
                    F,
                    "x ip=6.6.6.6 time=1\\n[INFO ] AUTHFAIL: user=y",
                    "203.0.113.129",
                    "-",
                ],
            ),
            ("xrdp-sesman", "[INFO ] AUTHFAIL: user=x", N),
            (
                "mysqld",
                "130916 21:30:26 [Warning] Access denied for user 'hacker'@'203.0.113.130' (using password: YES)",
                [A, "mysql_login", F, "hacker", "203.0.113.130", "-"],
            ),
            (
                "mysqld",
                "2019-09-24 13:16:50 8756 [Warning] Access denied for user 'root'@'localhost' (using password: NO)",
                [A, "mysql_login", F, "root", "-", "-"],
            ),
            ("mysqld", "[Note] Access denied for user 'x", N),
            (
                "login",
                "FAILED LOGIN (1) on '/dev/pts/1' from 'dialup.example.net' FOR 'root', Authentication failure",
                [A, "console_login", F, "root", "dialup.example.net", "-"],
            ),
            (
                "login",
                "FAILED LOGIN 2 FROM tty1 FOR bob, Authentication failure",
                [A, "console_login", F, "bob", "-", "-"],
            ),
            (
                "login",
                "ROOT LOGIN  on '/dev/tty1'",
                [A, "console_login", "success", "root", "-", "-"],
            ),
            (
                "login",
                "LOGIN ON tty2 BY carol",
                [A, "console_login", "success", "carol", "-", "-"],
            ),
            ("login", "FAILED LOGIN 2", N),
            (
                "systemd-logind",
                "New session 12 of user dave.",
                ["session", "session_opened", "success", "dave", "-", "-"],
            ),
            (
                "systemd-logind",
                "Removed session 12.",
                ["session", "session_closed", "success", "-", "-", "-"],
            ),
            (
                "systemd-logind",
                "Watching system buttons on /dev/input/event0",
                N,
            ),
        ]);
    }
}
