//! Program parsers: turn the message of a syslog line from a known program
//! (sshd, sudo, su, FTP and mail daemons, account tools) into security facts
//! (`event.category`, `event.action`, `event.outcome`, `event.reason`,
//! `user.name`, `user.target.name`, `source.ip`, `source.port`, ...).
//!
//! `enrich` is called by every syslog format once the header is split. It
//! dispatches on the program's family (`postfix/submission/smtpd` is
//! `postfix`, `sshd-session` is `sshd`, `vsftpd(pam_unix)` is `vsftpd`)
//! with one `match`, and each family lives in its own module:
//!
//! - `sshd`: OpenSSH (`sshd`, `sshd-session`); `dropbear`: Dropbear SSH.
//! - `pam`: PAM module messages (`pam_unix(svc:auth): ...`) from any program.
//! - `sudo`, `su`: privilege changes; `accounts`: useradd, groupadd, passwd...
//! - `ftp`: vsftpd, ProFTPD, Pure-FTPd, wu-ftpd, gssftpd.
//! - `mail`: MTAs (Postfix SASL, Sendmail AUTH); `mailbox`: IMAP/POP3
//!   servers (Dovecot, Courier, Cyrus and its sieve, UW-IMAP, solid-pop3d,
//!   the Perdition proxy).
//! - `misc`: small daemons with one or two login messages (xinetd, Webmin,
//!   phpMyAdmin, macOS screen sharing, xrdp, MySQL, login, systemd-logind).
//!
//! Messages are read with byte search and prefix checks, never regexes.
//! Attackers choose user names, so where a user name precedes the peer
//! (`Invalid user X from HOST`), the peer is the candidate whose tail has
//! the shape the program writes, not simply the first `from`.
//! Unknown programs and unknown messages leave the event unchanged.

use std::borrow::Cow;

use crate::event::{Category, Event, Outcome};

mod accounts;
mod dropbear;
mod ftp;
mod mail;
mod mailbox;
mod misc;
mod pam;
mod sshd;
mod su;
mod sudo;

/// Enriches `ev` from the message `msg` written by `program` (the syslog
/// tag, e.g. `sshd`, `postfix/smtpd`). Unknown programs leave it as is.
pub fn enrich<'a>(ev: &mut Event<'a>, program: &'a str, msg: &'a str) {
    let msg = unwrap_repeated(msg.trim_end_matches(['\r', '\n']));
    let family = family(program);
    if pam::looks_like_pam(msg) {
        pam::enrich(ev, family, msg);
        return;
    }
    match family {
        "sshd" => sshd::enrich(ev, msg),
        "dropbear" => dropbear::enrich(ev, msg),
        "sudo" => sudo::enrich(ev, msg),
        "su" => su::enrich(ev, msg),
        "vsftpd" => ftp::vsftpd(ev, msg),
        "proftpd" => ftp::proftpd(ev, msg),
        "pure-ftpd" => ftp::pure_ftpd(ev, msg),
        "wu-ftpd" | "ftpd" | "in.ftpd" => ftp::ftpd(ev, msg),
        "postfix" => mail::postfix(ev, msg),
        "sendmail" | "sm-mta" | "sm-acceptingconnections" => mail::sendmail(ev, msg),
        "dovecot" | "auth" | "auth-worker" | "imap-login" | "pop3-login" | "managesieve-login"
        | "submission-login" | "lmtp" => mailbox::dovecot(ev, program, msg),
        "imapd" | "imapd-ssl" | "pop3d" | "pop3d-ssl" | "ipop3d" | "imap" | "imaps" | "pop3"
        | "pop3s" | "courierpop3login" | "courierimaplogin" | "cyrus" | "sieve" | "timsieved"
        | "solid-pop3d" => mailbox::imap_pop(ev, msg),
        "useradd" | "groupadd" | "usermod" | "userdel" | "groupdel" | "groupmod" | "passwd"
        | "chpasswd" | "gpasswd" | "chage" => accounts::enrich(ev, family, msg),
        "xinetd" => misc::xinetd(ev, msg),
        "webmin" => misc::webmin(ev, msg),
        "phpMyAdmin" | "phpmyadmin" => misc::phpmyadmin(ev, msg),
        "screensharingd" => misc::screensharingd(ev, msg),
        "xrdp-sesman" => misc::xrdp_sesman(ev, msg),
        "mysqld" => misc::mysqld(ev, msg),
        "login" => misc::login(ev, msg),
        "systemd-logind" => misc::logind(ev, msg),
        "perdition" => mailbox::perdition(ev, msg),
        _ => {}
    }
}

/// The family a syslog tag belongs to: the first path component
/// (`postfix/smtpd`, `cyrus/imap`), without a `(module)` suffix
/// (`vsftpd(pam_unix)`, `auth-worker(123)`), and for the daemons known to
/// use them, without `-suffix` (`postfix-incoming`, `sshd-session`,
/// `dovecot-auth`) or `.suffix` (`perdition.imaps`).
fn family(program: &str) -> &str {
    let end = program
        .bytes()
        .position(|b| b == b'/' || b == b'(' || b == b'[')
        .unwrap_or(program.len());
    let p = program.get(..end).unwrap_or(program);
    if let Some(base) = p.split_once('-').map(|(a, _)| a)
        && matches!(base, "postfix" | "sshd" | "dovecot")
    {
        return base;
    }
    if let Some(base) = p.split_once('.').map(|(a, _)| a)
        && matches!(base, "perdition")
    {
        return base;
    }
    p
}

/// rsyslog's de-duplication wraps the message:
/// `message repeated 3 times: [ Failed password for root from ...]`.
fn unwrap_repeated(msg: &str) -> &str {
    if let Some(rest) = msg.strip_prefix("message repeated ")
        && let Some(i) = rest.find(": [")
    {
        let inner = rest.get(i + 3..).unwrap_or("");
        let inner = inner.trim_start_matches(' ');
        return inner.strip_suffix(']').unwrap_or(inner);
    }
    msg
}

// ---- helpers shared by the program modules ----

/// Sets category, action and outcome in one go.
fn mark<'a>(
    ev: &mut Event<'a>,
    category: Category,
    action: &'static str,
    outcome: Option<Outcome>,
) {
    ev.category = Some(category);
    ev.action = Some(Cow::Borrowed(action));
    if outcome.is_some() {
        ev.outcome = outcome;
    }
}

/// An authentication failure with `action`.
fn auth_failure<'a>(ev: &mut Event<'a>, action: &'static str) {
    mark(ev, Category::Authentication, action, Some(Outcome::Failure));
}

/// An authentication success with `action`.
fn auth_success<'a>(ev: &mut Event<'a>, action: &'static str) {
    mark(ev, Category::Authentication, action, Some(Outcome::Success));
}

fn reason<'a>(ev: &mut Event<'a>, reason: &'static str) {
    ev.reason = Some(Cow::Borrowed(reason));
}

/// Sets `user.name` unless the value is empty or a placeholder.
fn set_user<'a>(ev: &mut Event<'a>, user: &'a str) {
    let u = user.trim_matches([' ', '\'', '"', '<', '>']);
    if !u.is_empty() && u != "?" && u != "-" && u != "(unknown)" && u != "unknown" {
        ev.user_name = Some(Cow::Borrowed(u));
    }
}

/// Sets `user.target.name` unless the value is empty.
fn set_target<'a>(ev: &mut Event<'a>, user: &'a str) {
    let u = user.trim_matches([' ', '\'', '"']);
    if !u.is_empty() {
        ev.user_target_name = Some(Cow::Borrowed(u));
    }
}

/// The text after the first occurrence of `pat`.
fn after<'a>(s: &'a str, pat: &str) -> Option<&'a str> {
    s.find(pat).and_then(|i| s.get(i + pat.len()..))
}

/// The first space-delimited token of `s` and what follows it (without the
/// space).
fn token(s: &str) -> (&str, &str) {
    match s.find(' ') {
        Some(i) => (s.get(..i).unwrap_or(s), s.get(i + 1..).unwrap_or("")),
        None => (s, ""),
    }
}

/// The value of `key` (e.g. `rhost=`) in a `k=v k=v` or `k=v, k=v` list:
/// the key must start the text or follow a space or comma; the value runs
/// to the next space or comma.
fn kv<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = s.get(from..).and_then(|t| t.find(key)) {
        let at = from + i;
        let boundary = at == 0 || matches!(s.as_bytes().get(at - 1), Some(b' ' | b','));
        let rest = s.get(at + key.len()..).unwrap_or("");
        if boundary {
            let end = rest.find([' ', ',']).unwrap_or(rest.len());
            return rest.get(..end);
        }
        from = at + key.len();
    }
    None
}

/// Parses a decimal port.
fn port(s: &str) -> Option<u16> {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    s.get(..end)?.parse().ok()
}

/// Whether `tok` names a peer: an IP address (leniently) or a host name.
fn is_host(tok: &str) -> bool {
    if crate::net::parse_ip(tok).is_some() {
        return true;
    }
    let t = tok.trim_end_matches([',', ';', ')', ']', ':', '\'', '"']);
    let t = t.trim_start_matches(['(', '[', '\'', '"']);
    crate::net::looks_like_hostname(t)
}

/// Sets the source from an `IP:PORT` / `[IP]:PORT` / `::ffff:IP:PORT` /
/// `IP` token, port included. Returns whether a source was set.
fn set_source_port<'a>(ev: &mut Event<'a>, tok: &'a str) -> bool {
    let t = tok
        .trim_start_matches(['<', '(', '"'])
        .trim_end_matches(['>', ')', ',', ';', ':', '"']);
    if let Some((host, p)) = t.rsplit_once(':')
        && let Some(p) = port(p).filter(|_| p.bytes().all(|b| b.is_ascii_digit()))
        && crate::net::parse_ip(host).is_some()
    {
        // `1.2.3.4:22`, `[::1]:22`, `::ffff:1.2.3.4:22`. A bare IPv6
        // address also splits this way, so prefer the whole when it
        // parses as IPv6 and the host part is not an IPv4-mapped form.
        let whole_v6 = !host.contains('.') && t.parse::<std::net::Ipv6Addr>().is_ok();
        if !whole_v6 {
            ev.set_source(host);
            ev.source_port = Some(p);
            return true;
        }
    }
    ev.set_source(t)
}

/// `HOST[ port N]` at the start of `s`: the host token, the port, and the
/// rest after them. The host token ends at a space (a trailing `:` stays
/// on it; `parse_ip` ignores it).
fn host_port(s: &str) -> Option<(&str, Option<u16>, &str)> {
    let (host, rest) = token(s);
    if !is_host(host) {
        return None;
    }
    if let Some(p) = rest.strip_prefix("port ") {
        let n = port(p)?;
        let used = p.bytes().take_while(u8::is_ascii_digit).count();
        return Some((host, Some(n), p.get(used..).unwrap_or("")));
    }
    // `token` dropped the separating space; give it back so that callers
    // see the rest as it was written.
    let rest_with_space = s.get(host.len()..).unwrap_or("");
    Some((host, None, rest_with_space))
}

/// Finds ` from HOST...` in `s` such that `tail_ok` accepts what follows the
/// host (and port); the first such candidate wins, so user names that
/// themselves contain ` from X` (attacker text) are skipped. Returns the
/// text before the candidate, the host, the port and the tail.
fn from_host(s: &str, tail_ok: impl Fn(&str) -> bool) -> Option<(&str, &str, Option<u16>, &str)> {
    let mut from = 0;
    while let Some(i) = s.get(from..).and_then(|t| t.find(" from ")) {
        let at = from + i;
        let rest = s.get(at + 6..).unwrap_or("");
        if let Some((host, p, tail)) = host_port(rest)
            && tail_ok(tail)
        {
            return Some((s.get(..at).unwrap_or(""), host, p, tail));
        }
        from = at + 6;
    }
    None
}

/// Applies a peer found by `from_host`/`host_port`.
fn set_peer<'a>(ev: &mut Event<'a>, host: &'a str, p: Option<u16>) -> bool {
    let ok = ev.set_source(host);
    if ok && p.is_some() {
        ev.source_port = p;
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use crate::time::Timestamp;

    /// Enriches `msg` from `program` and returns the event.
    pub(super) fn run<'a>(program: &'a str, msg: &'a str) -> Event<'a> {
        let mut ev = Event::new(Format::SyslogRfc3164, msg, Timestamp::from_secs(0));
        enrich(&mut ev, program, msg);
        ev
    }

    /// The facts a test checks, as strings, `-` for absent.
    pub(super) fn facts(ev: &Event<'_>) -> [String; 6] {
        let s = |v: Option<&str>| v.unwrap_or("-").to_string();
        [
            s(ev.category.map(Category::as_str)),
            s(ev.action.as_deref()),
            s(ev.outcome.map(Outcome::as_str)),
            s(ev.user_name.as_deref()),
            ev.source_ip
                .map(|i| i.to_string())
                .or_else(|| ev.source_domain.as_deref().map(str::to_string))
                .unwrap_or_else(|| "-".into()),
            s(ev.reason.as_deref()),
        ]
    }

    /// Checks a table of `(program, message, [category, action, outcome,
    /// user, source, reason])`.
    pub(super) fn check(table: &[(&str, &str, [&str; 6])]) {
        for (program, msg, want) in table {
            let ev = run(program, msg);
            assert_eq!(facts(&ev), want.map(str::to_string), "{program}: {msg}");
        }
    }

    #[test]
    fn families() {
        for (tag, fam) in [
            ("sshd", "sshd"),
            ("sshd-session", "sshd"),
            ("postfix/smtpd", "postfix"),
            ("postfix-incoming/smtpd", "postfix"),
            ("postfix/submission/smtpd", "postfix"),
            ("cyrus/imaps", "cyrus"),
            ("vsftpd(pam_unix)", "vsftpd"),
            ("auth-worker(123)", "auth-worker"),
            ("wu-ftpd", "wu-ftpd"),
            ("perdition.imaps", "perdition"),
            ("", ""),
        ] {
            assert_eq!(family(tag), fam, "{tag}");
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(kv("a=1 rhost=h  user=x", "user="), Some("x"));
        assert_eq!(kv("ruser=x rhost=", "rhost="), Some(""));
        assert_eq!(kv("xuser=1", "user="), None);
        assert_eq!(
            kv("user=<bob>, rip=1.2.3.4, lip=5", "rip="),
            Some("1.2.3.4")
        );
        assert_eq!(port("22:"), Some(22));
        assert_eq!(port("x"), None);
        assert_eq!(port("99999"), None);
        assert_eq!(
            unwrap_repeated("message repeated 2 times: [ Failed password for root]"),
            "Failed password for root"
        );
        let (before, host, p, tail) =
            from_host("x from y from 1.2.3.4 port 5 ssh2", |t| t == " ssh2").unwrap();
        assert_eq!(
            (before, host, p, tail),
            ("x from y", "1.2.3.4", Some(5), " ssh2")
        );
    }

    #[test]
    fn source_with_port() {
        let mut ev = Event::default();
        for (tok, ip, p) in [
            ("1.2.3.4:5543", "1.2.3.4", Some(5543)),
            ("::ffff:1.2.3.4:60495", "1.2.3.4", Some(60495)),
            ("[2001:db8::1]:22", "2001:db8::1", Some(22)),
            ("2001:db8::1", "2001:db8::1", None),
            ("<192.0.2.3:52289>:", "192.0.2.3", Some(52289)),
        ] {
            ev.source_port = None;
            assert!(set_source_port(&mut ev, tok), "{tok}");
            assert_eq!(
                ev.source_ip.map(|i| i.to_string()).as_deref(),
                Some(ip),
                "{tok}"
            );
            assert_eq!(ev.source_port, p, "{tok}");
        }
    }

    /// Programs with a parser, and message starts that reach deep into them.
    const PROGRAMS: &[&str] = &[
        "sshd",
        "sshd-session",
        "dropbear",
        "sudo",
        "su",
        "vsftpd",
        "proftpd",
        "pure-ftpd",
        "wu-ftpd",
        "postfix/smtpd",
        "sendmail",
        "dovecot",
        "auth(x,1.2.3.4,sasl",
        "imap-login",
        "imapd",
        "cyrus/imap",
        "solid-pop3d",
        "useradd",
        "usermod",
        "gpasswd",
        "passwd",
        "xinetd",
        "webmin",
        "phpMyAdmin",
        "screensharingd",
        "xrdp-sesman",
        "mysqld",
        "perdition.imaps",
        "CRON",
        "login",
        "systemd-logind",
    ];
    const SEEDS: &[&str] = &[
        "Failed password for invalid user \u{e9}\u{e9} from 1.2.3.4 port 22 ssh2: RSA x",
        "PAM 2 more authentication failures; rhost=1.2.3.4  user=\u{e9}",
        "drop connection #1 from [1.2.3.4]:5 on [5.6.7.8]:22 past MaxStartups",
        "FAILED LOGIN (1) on '/dev/tty1' from '\u{e9}' FOR '\u{e9}', x",
        "New session 1 of user \u{e9}.",
        "Accepted publickey for a from ::ffff:1.2.3.4 port 1 ssh2",
        "Invalid user  from 1.2.3.4 port 5",
        "User r from h.example not allowed because x",
        "Connection closed by authenticating user a b 1.2.3.4 port 5 [preauth]",
        "Disconnecting invalid user a 1.2.3.4 port 5: Too many authentication failures [preauth]",
        "Received disconnect from 1.2.3.4 port 5:3: x: Auth fail [preauth]",
        "refused connect from a@1.2.3.4 (1.2.3.4)",
        "error: PAM: Authentication failure for a from h.example via 1.2.3.4",
        "pam_unix(sshd:auth): authentication failure; logname= ruser= rhost=1.2.3.4  user=\u{1F600}",
        "(pam_unix) authentication failure; rhost=h.example",
        "alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/\u{e9}",
        "FAILED su for root by \u{e9}",
        "(to root) a on pts/0",
        "[pid 1] [u] FAIL LOGIN: Client \"1.2.3.4\"",
        "s (n[1.2.3.4]): USER \u{e9} (Login failed): x",
        "(?@1.2.3.4) [WARNING] Authentication failed for user [\u{e9}]",
        "warning: unknown[1.2.3.4]:25: SASL LOGIN authentication failed: x, sasl_username=\u{e9}",
        "ID: AUTH failure (LOGIN): x, user=\u{e9}, relay=h [1.2.3.4]",
        "imap-login: Disconnected (auth failed, 1 attempts): user=<\u{e9}>, rip=1.2.3.4, lip=5.6.7.8",
        "auth-worker(1): pam(\u{e9},1.2.3.4,<s>): unknown user",
        "LOGIN FAILED, user=\u{e9}, ip=[::ffff:1.2.3.4]",
        "badlogin: h [1.2.3.4] plain \u{e9} SASL(-13): x",
        "Login failed user=\u{e9} auth=x host=h [1.2.3.4]",
        "authentication failed for user \u{e9} - 1.2.3.4",
        "add '\u{e9}' to group '\u{e9}'",
        "new user: name=\u{e9}, UID=1",
        "FAIL: telnet address from=1.2.3.4",
        "Authentication: FAILED :: User Name: \u{e9} :: Viewer Address: 1.2.3.4 :: Type: DH",
        "[INFO ] AUTHFAIL: user=\u{e9} ip=1.2.3.4 time=1",
        "1 [Warning] Access denied for user '\u{e9}'@'1.2.3.4'",
        "Auth: 1.2.3.4:1->5.6.7.8:993 authentication_id=\"\u{e9}\" status=\"failed: x\"",
        "message repeated 2 times: [ Failed password for a from 1.2.3.4 port 1 ssh2]",
    ];

    /// Every prefix (at every char boundary) of every seed, through every
    /// program: hostile truncations must not panic.
    #[test]
    fn truncated_messages_never_panic() {
        for seed in SEEDS {
            let cuts = (0..=seed.len()).filter(|&i| seed.is_char_boundary(i));
            for cut in cuts {
                let msg = &seed[..cut];
                for prog in PROGRAMS {
                    let _ = run(prog, msg);
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_messages_never_panic(
            prog in proptest::sample::select(PROGRAMS),
            seed in proptest::sample::select(SEEDS),
            tail in ".{0,40}",
            cut in 0usize..120,
        ) {
            let mut msg: String = seed.chars().take(cut).collect();
            msg.push_str(&tail);
            let _ = run(prog, &msg);
        }
    }

    #[test]
    fn unknown_programs_and_garbage_are_left_alone() {
        for (p, m) in [
            ("cron", "(root) CMD (run-parts /etc/cron.hourly)"),
            ("kernel", "[  970.699396] eth0: link up"),
            ("sshd", ""),
            ("sshd", "\u{1F600}\u{0} from \u{00e9}"),
            ("postfix/smtpd", "connect from unknown[1.2.3.4]"),
            ("", "Failed password for root from 1.2.3.4 port 22 ssh2"),
        ] {
            let ev = run(p, m);
            assert_eq!(ev.outcome, None, "{p}: {m}");
        }
    }
}
