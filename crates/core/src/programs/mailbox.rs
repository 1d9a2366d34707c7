//! IMAP/POP3 servers. Logins are category authentication, `action =
//! mail_login`.
//!
//! Dovecot (tags `dovecot`, `auth`, `auth-worker(N)`, `imap-login`, ...,
//! with the process name repeated in the message or not):
//! - login processes: `imap-login: Disconnected (auth failed, 1 attempts in
//!   2 secs): user=<bob>, method=PLAIN, rip=203.0.113.7, lip=...`,
//!   `Aborted login (tried to use disallowed plaintext auth): rip=...`,
//!   `Login aborted: ... (auth failed, ...) (auth_failed): ...` (2.4):
//!   failure; `Login: user=<bob>, ...`: success; `(no auth attempts in 0
//!   secs)`, `(disconnected before auth was ready ...)`: a disconnect with
//!   no outcome, `reason = no_auth_attempts`. The peer is the last `rip=`
//!   (the user name before it is the client's text).
//! - auth processes: `pam(bob,203.0.113.7): pam_authenticate() failed:
//!   ...`, `sql(bob,203.0.113.7,<session>): Password mismatch`,
//!   `passwd-file(bob,203.0.113.7): unknown user`, `ldap(...): invalid
//!   credentials`, and 2.4's `auth(bob,203.0.113.7,sasl:login)<id>: Info:
//!   sql: Password mismatch` (whose tag syslog splits at the colon).
//!
//! Courier: `LOGIN FAILED, user=bob, ip=[::ffff:203.0.113.7]`, `LOGIN,
//! user=bob, ip=[...]`. Cyrus (imapd, pop3d, timsieved, sieve): `badlogin:
//! NAME [IP] MECH [user] SASL(-13): ...`, `login: NAME [IP] user ...`.
//! UW-IMAP (imapd, ipop3d): `Login failed user=bob auth=bob host=NAME
//! [IP]`, `Login excessive login failures ...`, `Login disabled ...`,
//! `Failed uwmaster override of user=...`, `Login user=bob host=NAME [IP]`.
//! solid-pop3d: `authentication failed for user bob - IP`, `root login not
//! allowed - IP`, `APOP authentication failed ... - IP`. Perdition (an
//! IMAP/POP3 proxy): `Auth: IP:PORT->IP:PORT ... status="failed: ..."`,
//! `Fatal Error reading authentication information from client
//! IP:PORT->IP:PORT: Exiting child`.

use crate::event::{Category, Event};

use super::{after, auth_failure, auth_success, mark, reason, set_user, token};

pub(super) fn dovecot<'a>(ev: &mut Event<'a>, program: &'a str, msg: &'a str) {
    // Dovecot 2.4: `auth(bob,203.0.113.7,sasl:login)<id>: Info: sql: ...`;
    // the tag ends at the colon inside the parentheses.
    if let Some(args) = program.strip_prefix("auth(")
        && args.contains(',')
    {
        if let Some(text) = after(msg, ": ") {
            driver_result(ev, args, text);
        }
        return;
    }
    let mut m = msg;
    let mut login = program.ends_with("-login");
    loop {
        let (first, rest) = token(m);
        if matches!(
            first,
            "dovecot:" | "Info:" | "Warning:" | "Error:" | "auth:" | "Fatal:"
        ) {
            m = rest;
        } else if first.ends_with("-login:") {
            login = true;
            m = rest;
        } else if (first.starts_with("auth(") || first.starts_with("auth-worker("))
            && first.ends_with("):")
        {
            m = rest;
        } else if first == "conn" {
            // `conn unix:auth-worker (uid=143): auth-worker<13247>: ...`
            match after(rest, ">: ") {
                Some(r) => m = r,
                None => return,
            }
        } else {
            break;
        }
    }
    if login {
        login_line(ev, m);
    } else if let Some(open) = m.find('(')
        && m.get(..open).is_some_and(|d| {
            !d.is_empty()
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        && let Some(close) = m.find("): ")
        && close > open
    {
        let args = m.get(open + 1..close).unwrap_or("");
        let text = m.get(close + 3..).unwrap_or("");
        driver_result(ev, args, text);
    }
}

/// `USER,IP[,<session>]` arguments and the result text of a passdb driver.
fn driver_result<'a>(ev: &mut Event<'a>, args: &'a str, text: &str) {
    let why = if text.contains("unknown user") || text.contains("User not known") {
        Some("invalid_user")
    } else if text.contains("assword mismatch")
        || text.contains("pam_authenticate() failed")
        || text.contains("invalid credentials")
        || text.contains("Authentication failure")
    {
        None
    } else {
        return;
    };
    // The IP is the last argument that parses as one: the user (first)
    // is the client's text.
    let Some((ip_at, ip)) = args.match_indices(',').rev().find_map(|(i, _)| {
        let s = args.get(i + 1..)?.split(',').next()?;
        crate::net::parse_ip(s).map(|_| (i + 1, s))
    }) else {
        return;
    };
    auth_failure(ev, "mail_login");
    if let Some(r) = why {
        reason(ev, r);
    }
    set_user(ev, args.get(..ip_at.saturating_sub(1)).unwrap_or(""));
    ev.set_source(ip);
}

/// A login process's line: `STATE (why): user=<u>, method=M, rip=IP, ...`.
fn login_line<'a>(ev: &mut Event<'a>, m: &'a str) {
    // The real `rip=` is the last one.
    let Some(rip_at) = m.rmatch_indices(" rip=").next().map(|(i, _)| i) else {
        return;
    };
    let rip = m.get(rip_at + 5..).unwrap_or("");
    let rip = rip.split([',', ' ']).next().unwrap_or("");
    let before = m.get(..rip_at).unwrap_or("");
    // The state text ends where the fields begin; the fields hold the
    // client's user name, which must not be classified.
    let head_end = [" user=<", " method="]
        .iter()
        .filter_map(|k| before.find(k))
        .min()
        .unwrap_or(before.len());
    let head = before.get(..head_end).unwrap_or(before);
    if head.starts_with("Login:") {
        auth_success(ev, "mail_login");
    } else if head.contains("auth failed") {
        auth_failure(ev, "mail_login");
    } else if head.contains("tried to use disabled") || head.contains("tried to use disallowed") {
        auth_failure(ev, "mail_login");
        reason(ev, "plaintext_disallowed");
    } else if head.contains("no auth attempts")
        || head.contains("before auth was ready")
        || head.contains("didn't finish SASL auth")
        || head.contains("during TLS handshake")
    {
        mark(ev, Category::Network, "mail_disconnect", None);
        reason(ev, "no_auth_attempts");
    } else {
        return;
    }
    if let Some(u) = after(before, "user=<")
        && let Some(end) = u.rfind('>')
    {
        set_user(ev, u.get(..end).unwrap_or(""));
    }
    ev.set_source(rip);
}

/// Courier, Cyrus, UW-IMAP and solid-pop3d (which share daemon names).
pub(super) fn imap_pop<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let m = msg.trim_end();
    match m.as_bytes().first() {
        Some(b'L') => {
            if let Some(r) = m.strip_prefix("LOGIN FAILED, ") {
                courier(ev, r, false);
            } else if let Some(r) = m.strip_prefix("LOGIN, ") {
                courier(ev, r, true);
            } else if let Some(r) = m.strip_prefix("Login failed ") {
                uw(ev, r, Some(""));
            } else if let Some(r) = m.strip_prefix("Login excessive login failures ") {
                uw(ev, r, Some("max_auth_attempts"));
            } else if let Some(r) = m.strip_prefix("Login disabled ") {
                uw(ev, r, Some("login_disabled"));
            } else if let Some(r) = m.strip_prefix("Login user=") {
                uw(ev, r, None);
            }
        }
        Some(b'A') => {
            if let Some(r) = m.strip_prefix("Authenticated user=") {
                uw(ev, r, None);
            } else {
                solid(ev, m);
            }
        }
        Some(b'F') => {
            if let Some(r) = m.strip_prefix("Failed uwmaster override of ") {
                uw(ev, r, Some("override_failed"));
            }
        }
        Some(b'b') => {
            if let Some(r) = m.strip_prefix("badlogin: ") {
                cyrus(ev, r, false);
            }
        }
        Some(b'l') => {
            if let Some(r) = m.strip_prefix("login: ") {
                cyrus(ev, r, true);
            }
        }
        _ => solid(ev, m),
    }
}

/// `user=bob, ip=[::ffff:IP], ...` (the last `ip=[` wins).
fn courier<'a>(ev: &mut Event<'a>, r: &'a str, ok: bool) {
    let Some(i) = r.rfind("ip=[") else {
        return;
    };
    let ip = r
        .get(i + 4..)
        .and_then(|s| s.split(']').next())
        .unwrap_or("");
    if !ev.set_source(ip) {
        return;
    }
    if ok {
        auth_success(ev, "mail_login");
    } else {
        auth_failure(ev, "mail_login");
    }
    if let Some(u) = r.strip_prefix("user=")
        && let Some(end) = u.rfind(", ip=[")
    {
        set_user(ev, u.get(..end).unwrap_or(""));
    }
}

/// `NAME [IP] MECH [user] ...` / `NAME[IP] ...` / `[IP] ...`.
fn cyrus<'a>(ev: &mut Event<'a>, r: &'a str, ok: bool) {
    let Some(open) = r.find('[') else {
        return;
    };
    let rest = r.get(open + 1..).unwrap_or("");
    let Some(close) = rest.find(']') else {
        return;
    };
    if !ev.set_source(rest.get(..close).unwrap_or("")) {
        return;
    }
    let after_ip = rest.get(close + 1..).unwrap_or("").trim_start();
    if ok {
        // `login: NAME [IP] bob plaintext User logged in`
        auth_success(ev, "mail_login");
        set_user(ev, token(after_ip).0);
    } else {
        auth_failure(ev, "mail_login");
        // `badlogin: NAME [IP] plaintext bob SASL(-13): ...`
        let (_mech, more) = token(after_ip);
        let (user, _) = token(more);
        if !user.is_empty()
            && !user.starts_with('[')
            && !user.starts_with("SASL")
            && user != "authentication"
        {
            set_user(ev, user);
        }
    }
}

/// `user=bob auth=bob host=NAME [IP]`: the last brackets hold the peer.
fn uw<'a>(ev: &mut Event<'a>, r: &'a str, failure: Option<&'static str>) {
    let Some(open) = r.rfind('[') else {
        return;
    };
    let ip = r
        .get(open + 1..)
        .and_then(|s| s.split(']').next())
        .unwrap_or("");
    if !ev.set_source(ip) {
        return;
    }
    match failure {
        Some(why) => {
            auth_failure(ev, "mail_login");
            if !why.is_empty() {
                reason(ev, why);
            }
        }
        None => auth_success(ev, "mail_login"),
    }
    let user = r.strip_prefix("user=").or_else(|| after(r, "user="));
    if let Some(u) = user {
        let end = u.find(" auth=").or_else(|| u.find(" host=")).unwrap_or(0);
        set_user(ev, u.get(..end).unwrap_or("").trim());
    }
}

/// solid-pop3d: `... - IP` at the end of a failure message.
fn solid<'a>(ev: &mut Event<'a>, m: &'a str) {
    let failure = m.starts_with("authentication failed")
        || m.starts_with("APOP authentication failed")
        || m.starts_with("can't find APOP secret")
        || m.contains(" login not allowed - ");
    if !failure {
        return;
    }
    let Some(i) = m.rfind(" - ") else {
        return;
    };
    if !ev.set_source(m.get(i + 3..).unwrap_or("")) {
        return;
    }
    auth_failure(ev, "mail_login");
    let head = m.get(..i).unwrap_or("");
    if head.contains("no such user") || head.contains("can't map user") {
        reason(ev, "invalid_user");
    }
    if let Some(u) = after(head, " user ")
        .or_else(|| after(head, "user name: "))
        .or_else(|| after(head, "no such user: "))
    {
        set_user(ev, u);
    } else if head.starts_with("root login") {
        set_user(ev, "root");
    }
}

/// Perdition: `Auth: CLIENT->SERVER ... status="..."`.
pub(super) fn perdition<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let (peer, failed, ok) = if let Some(r) = msg.strip_prefix("Auth: ") {
        let status = r
            .rfind(" status=\"")
            .and_then(|i| r.get(i + 9..))
            .unwrap_or("");
        (
            token(r).0,
            status.starts_with("failed"),
            status.starts_with("ok"),
        )
    } else if let Some(r) =
        msg.strip_prefix("Fatal Error reading authentication information from client ")
    {
        (token(r).0, true, false)
    } else {
        return;
    };
    if !(failed || ok) {
        return;
    }
    let client = peer.split("->").next().unwrap_or("");
    if !super::set_source_port(ev, client.trim_end_matches(':')) {
        return;
    }
    if failed {
        auth_failure(ev, "mail_login");
    } else {
        auth_success(ev, "mail_login");
    }
    if let Some(id) = after(msg, " authentication_id=\"") {
        set_user(ev, id.split('"').next().unwrap_or(""));
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;

    const F: &str = "failure";
    const A: &str = "authentication";
    const N: [&str; 6] = ["-", "-", "-", "-", "-", "-"];

    #[test]
    fn dovecot_login_processes() {
        check(&[
            (
                "dovecot",
                "imap-login: Disconnected (auth failed, 2 attempts): user=<bob>, method=PLAIN, rip=203.0.113.60, lip=10.0.0.1, TLS",
                [A, "mail_login", F, "bob", "203.0.113.60", "-"],
            ),
            (
                "pop3-login",
                "Info: Aborted login (auth failed, 1 attempts in 2 secs): user=<x>, rip=6.6.6.6>, method=PLAIN, rip=203.0.113.61",
                [A, "mail_login", F, "x>, rip=6.6.6.6", "203.0.113.61", "-"],
            ),
            (
                "dovecot",
                "pop3-login: Aborted login (tried to use disallowed plaintext auth): rip=203.0.113.62, lip=10.0.0.1",
                [
                    A,
                    "mail_login",
                    F,
                    "-",
                    "203.0.113.62",
                    "plaintext_disallowed",
                ],
            ),
            (
                "dovecot",
                "imap-login: Login aborted: Connection closed (auth failed, 3 attempts in 16 secs) (auth_failed): user=<t>, method=PLAIN, rip=203.0.113.63, lip=10.0.0.1, TLS",
                [A, "mail_login", F, "t", "203.0.113.63", "-"],
            ),
            (
                "dovecot",
                "imap-login: Login: user=<carol>, method=PLAIN, rip=203.0.113.64, lip=10.0.0.1, mpid=1234, TLS",
                [A, "mail_login", "success", "carol", "203.0.113.64", "-"],
            ),
            (
                "dovecot",
                "imap-login: Disconnected (no auth attempts in 0 secs): user=<>, rip=203.0.113.65, lip=10.0.0.1, TLS handshaking",
                [
                    "network",
                    "mail_disconnect",
                    "-",
                    "-",
                    "203.0.113.65",
                    "no_auth_attempts",
                ],
            ),
            (
                "dovecot",
                "imap-login: Disconnected: a: a: a: test no match",
                N,
            ),
            ("dovecot", "imap(bob): Logged out in=10 out=20", N),
        ]);
    }

    #[test]
    fn dovecot_auth_processes() {
        check(&[
            (
                "dovecot",
                "auth-worker(304): pam(dave,203.0.113.66): pam_authenticate() failed: Authentication failure (password mismatch?)",
                [A, "mail_login", F, "dave", "203.0.113.66", "-"],
            ),
            (
                "dovecot",
                "auth: passwd-file(erin,203.0.113.67): unknown user",
                [A, "mail_login", F, "erin", "203.0.113.67", "invalid_user"],
            ),
            (
                "auth-worker(80180)",
                "Info: conn unix:auth-worker (uid=143): auth-worker<13247>: sql(frank@example.org,203.0.113.68,<Yx7+W8+Io>): Password mismatch",
                [A, "mail_login", F, "frank@example.org", "203.0.113.68", "-"],
            ),
            (
                "auth",
                "Info: ldap(gina,203.0.113.69,): invalid credentials",
                [A, "mail_login", F, "gina", "203.0.113.69", "-"],
            ),
            (
                "dovecot",
                "dovecot: auth(default): pam(hal@example.com,203.0.113.70): pam_authenticate() failed: User not known to the underlying authentication module: 2 Time(s)",
                [
                    A,
                    "mail_login",
                    F,
                    "hal@example.com",
                    "203.0.113.70",
                    "invalid_user",
                ],
            ),
            (
                "auth(ivy@example.com,203.0.113.71,sasl",
                "login)<CvN+E95Uf4e7eEnj>: Info: sql: Password mismatch (given password: x)",
                [A, "mail_login", F, "ivy@example.com", "203.0.113.71", "-"],
            ),
            ("dovecot", "auth: pam(x,203.0.113.72): lookup succeeded", N),
            ("dovecot", "master: Dovecot v2.3 starting up", N),
            ("dovecot", "auth: pam(nobody): unknown user", N),
        ]);
    }

    #[test]
    fn courier_cyrus_uw_solid() {
        check(&[
            (
                "imapd",
                "LOGIN FAILED, user=jack@example.com, ip=[::ffff:203.0.113.80]",
                [A, "mail_login", F, "jack@example.com", "203.0.113.80", "-"],
            ),
            (
                "imapd-ssl",
                "LOGIN FAILED, method=PLAIN, ip=[::ffff:203.0.113.81]",
                [A, "mail_login", F, "-", "203.0.113.81", "-"],
            ),
            (
                "pop3d",
                "LOGIN, user=kim, ip=[::ffff:203.0.113.82], port=[4211], protocol=POP3",
                [A, "mail_login", "success", "kim", "203.0.113.82", "-"],
            ),
            (
                "cyrus",
                "badlogin: client.example.net [203.0.113.83] plaintext lee SASL(-13): authentication failure: checkpass failed",
                [A, "mail_login", F, "lee", "203.0.113.83", "-"],
            ),
            (
                "timsieved",
                "badlogin: client.example.net[203.0.113.84] PLAIN authentication failure",
                [A, "mail_login", F, "-", "203.0.113.84", "-"],
            ),
            (
                "imapd",
                "badlogin: [203.0.113.85] plain [SASL(-13): authentication failure: Password verification failed]",
                [A, "mail_login", F, "-", "203.0.113.85", "-"],
            ),
            (
                "imapd",
                "Login failed user=mia auth=mia host=client.example.net [203.0.113.86]",
                [A, "mail_login", F, "mia", "203.0.113.86", "-"],
            ),
            (
                "ipop3d",
                "Login excessive login failures user=ned auth=ned host=x [203.0.113.87]",
                [
                    A,
                    "mail_login",
                    F,
                    "ned",
                    "203.0.113.87",
                    "max_auth_attempts",
                ],
            ),
            (
                "imapd",
                "Failed uwmaster override of user=pro1  host=r22.example [203.0.113.88] ",
                [
                    A,
                    "mail_login",
                    F,
                    "pro1",
                    "203.0.113.88",
                    "override_failed",
                ],
            ),
            (
                "solid-pop3d",
                "authentication failed: no such user: olga - 203.0.113.89",
                [A, "mail_login", F, "olga", "203.0.113.89", "invalid_user"],
            ),
            (
                "solid-pop3d",
                "root login not allowed - 203.0.113.90",
                [A, "mail_login", F, "root", "203.0.113.90", "-"],
            ),
            (
                "solid-pop3d",
                "APOP authentication failed for user pat - 203.0.113.91",
                [A, "mail_login", F, "pat", "203.0.113.91", "-"],
            ),
            ("imapd", "Logout user=bob host=x [203.0.113.92]", N),
            ("imapd", "LOGIN FAILED, user=x", N),
            ("imapd", "badlogin: nothing", N),
            ("solid-pop3d", "authentication failed - nobody", N),
            (
                "perdition.imaps",
                "Auth: 203.0.113.93:2274->10.0.0.1:993 client-secure=ssl authorisation_id=NONE authentication_id=\"quinn\" server=\"imap.example.org:993\" protocol=IMAP4S server-secure=ssl status=\"failed: Re-Authentication Failure\"",
                [A, "mail_login", F, "quinn", "203.0.113.93", "-"],
            ),
            (
                "perdition.imaps",
                "Fatal Error reading authentication information from client 203.0.113.94:2274->10.0.0.1:993: Exiting child",
                [A, "mail_login", F, "-", "203.0.113.94", "-"],
            ),
            (
                "perdition.imaps",
                "Auth: 203.0.113.95:1->10.0.0.1:993 status=\"pending\"",
                N,
            ),
        ]);
    }
}
