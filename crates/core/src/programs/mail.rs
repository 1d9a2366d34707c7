//! Mail transfer agents: SMTP AUTH outcomes and rejections.
//!
//! Postfix (`postfix/smtpd`, `postfix/submission/smtpd`, ...):
//! - `warning: NAME[IP]: SASL LOGIN authentication failed: why` (optionally
//!   `[IP]:PORT`, `, sasl_username=bob`): category authentication, `action
//!   = mail_login`, failure. When the reason is the server's (`Connection
//!   lost to authentication server`) the outcome is `unknown`: no
//!   credentials were judged.
//! - `QUEUEID: client=NAME[IP], sasl_method=PLAIN, sasl_username=bob`:
//!   success.
//! - `NOQUEUE: reject: RCPT from NAME[IP]: 554 ...`: category network,
//!   `action = smtp_reject`, failure.
//! - `connect from NAME[IP]`: a connection (no outcome).
//!
//! Sendmail (`sendmail`, `sm-mta`, `sm-acceptingconnections`):
//! - `QUEUEID: AUTH failure (LOGIN): ... user=bob, relay=NAME [IP]`:
//!   failure. The user is the client's text, so the last `relay=` wins.
//! - `QUEUEID: NAME [IP]: possible SMTP attack: command=AUTH, count=5`:
//!   failure, `too_many_auth_commands`.
//! - `AUTH=server, relay=NAME [IP], authid=bob, mech=LOGIN, bits=0`:
//!   success.

use crate::event::{Category, Event, Outcome};

use super::{
    after, auth_failure, auth_success, kv, mark, reason, set_source_port, set_user, token,
};

pub(super) fn postfix<'a>(ev: &mut Event<'a>, msg: &'a str) {
    if let Some(r) = msg.strip_prefix("warning: ") {
        // `NAME[IP]: SASL LOGIN authentication failed: why`
        let Some(close) = r.find("]: ").or_else(|| r.find("]:")) else {
            return;
        };
        let Some(peer) = bracketed_ip(r.get(..close + 1).unwrap_or("")) else {
            return;
        };
        let rest = r.get(close + 2..).unwrap_or("");
        // An optional `PORT:` after the bracket.
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == ':' || c == ' ');
        if !(rest.starts_with("SASL ") && rest.contains(" authentication failed")) {
            return;
        }
        let why = after(rest, "authentication failed").unwrap_or("");
        if why.contains("Connection lost to authentication server") {
            mark(
                ev,
                Category::Authentication,
                "mail_login",
                Some(Outcome::Unknown),
            );
            reason(ev, "auth_backend_unavailable");
        } else {
            auth_failure(ev, "mail_login");
            if why.contains("Invalid authentication mechanism") {
                reason(ev, "invalid_mechanism");
            }
        }
        if let Some(u) = kv(why, "sasl_username=") {
            set_user(ev, u);
        }
        ev.set_source(peer);
        if let Some(p) = r.get(close + 2..).and_then(super::port) {
            ev.source_port = Some(p);
        }
        return;
    }
    // `QUEUEID: ...` or `NOQUEUE: ...`
    let (first, rest) = token(msg);
    if first.ends_with(':') && !first.is_empty() {
        if let Some(r) = rest.strip_prefix("client=") {
            if let Some(user) = kv(r, "sasl_username=")
                && let Some(peer) = bracketed_ip(token(r).0.trim_end_matches(','))
            {
                auth_success(ev, "mail_login");
                set_user(ev, user);
                ev.set_source(peer);
            }
        } else if let Some(r) = rest
            .strip_prefix("reject: ")
            .or_else(|| rest.strip_prefix("milter-reject: "))
        {
            // `RCPT from NAME[IP]: 554 5.7.1 ...`
            if let Some(from) = after(r, " from ")
                && let Some(peer) = bracketed_ip(token(from).0.trim_end_matches(':'))
            {
                mark(ev, Category::Network, "smtp_reject", Some(Outcome::Failure));
                ev.set_source(peer);
            }
        }
    } else if let Some(r) = msg.strip_prefix("connect from ")
        && let Some(peer) = bracketed_ip(r.trim_end())
    {
        mark(ev, Category::Network, "smtp_connection", None);
        ev.set_source(peer);
    }
}

/// The IP inside the last `[...]` of `NAME[IP]` / `[IP]:PORT`.
fn bracketed_ip(s: &str) -> Option<&str> {
    let open = s.rfind('[')?;
    let rest = s.get(open + 1..)?;
    let close = rest.find(']')?;
    let ip = rest.get(..close)?;
    crate::net::parse_ip(ip).map(|_| ip)
}

pub(super) fn sendmail<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let (qid, rest) = token(msg);
    let rest = if qid.ends_with(':') { rest } else { msg };
    if let Some(r) = rest.strip_prefix("AUTH failure (") {
        let Some(i) = r.rfind("relay=") else {
            return;
        };
        let relay = r.get(i + 6..).unwrap_or("");
        if !set_relay(ev, relay) {
            return;
        }
        auth_failure(ev, "mail_login");
        if r.contains("user not found") {
            reason(ev, "invalid_user");
        }
        // `user=X, relay=` where X is the client's text.
        if let Some(u) = after(r, ", user=").or_else(|| after(r, " user="))
            && let Some(end) = u.rfind(", relay=")
        {
            set_user(ev, u.get(..end).unwrap_or(""));
        }
    } else if let Some(i) = rest.find(": possible SMTP attack: command=AUTH") {
        if set_relay(ev, rest.get(..i).unwrap_or("")) {
            auth_failure(ev, "mail_login");
            reason(ev, "too_many_auth_commands");
        }
    } else if let Some(r) = rest.strip_prefix("AUTH=server, relay=")
        && let Some(id) = after(r, "authid=")
        && set_relay(ev, r)
    {
        auth_success(ev, "mail_login");
        set_user(ev, id.split(',').next().unwrap_or(""));
    }
}

/// `NAME [IP] (may be forged)` / `[IP]` / `NAME [IP], ...`: the IP in the
/// first brackets.
fn set_relay<'a>(ev: &mut Event<'a>, s: &'a str) -> bool {
    let Some(open) = s.find('[') else {
        return false;
    };
    let rest = s.get(open + 1..).unwrap_or("");
    let ip = rest.split(']').next().unwrap_or("");
    set_source_port(ev, ip)
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;

    const F: &str = "failure";
    const A: &str = "authentication";

    #[test]
    fn postfix() {
        check(&[
            (
                "postfix/smtpd",
                "warning: unknown[203.0.113.40]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
                [A, "mail_login", F, "-", "203.0.113.40", "-"],
            ),
            (
                "postfix/submission/smtpd",
                "warning: mail.example.net[203.0.113.41]:55729: SASL PLAIN authentication failed: (reason unavailable), sasl_username=admin",
                [A, "mail_login", F, "admin", "203.0.113.41", "-"],
            ),
            (
                "postfix/smtpd",
                "warning: host[203.0.113.42]: SASL CRAM-MD5 authentication failed: Invalid authentication mechanism",
                [A, "mail_login", F, "-", "203.0.113.42", "invalid_mechanism"],
            ),
            (
                "postfix/smtpd",
                "warning: unknown[203.0.113.43]: SASL LOGIN authentication failed: Connection lost to authentication server",
                [
                    A,
                    "mail_login",
                    "unknown",
                    "-",
                    "203.0.113.43",
                    "auth_backend_unavailable",
                ],
            ),
            (
                "postfix/smtpd",
                "4B2D63F2A1: client=unknown[203.0.113.44], sasl_method=PLAIN, sasl_username=alice@example.org",
                [
                    A,
                    "mail_login",
                    "success",
                    "alice@example.org",
                    "203.0.113.44",
                    "-",
                ],
            ),
            (
                "postfix/smtpd",
                "NOQUEUE: reject: RCPT from unknown[203.0.113.45]: 554 5.7.1 <x@example.org>: Relay access denied; from=<a@b> to=<x@example.org> proto=ESMTP helo=<y>",
                ["network", "smtp_reject", F, "-", "203.0.113.45", "-"],
            ),
            (
                "postfix/smtpd",
                "connect from mail.example.com[203.0.113.46]",
                ["network", "smtp_connection", "-", "-", "203.0.113.46", "-"],
            ),
            // Not auth facts.
            (
                "postfix/smtpd",
                "warning: hostname x.example does not resolve to address 203.0.113.47",
                ["-", "-", "-", "-", "-", "-"],
            ),
            (
                "postfix/smtpd",
                "4B2D63F2A1: client=unknown[203.0.113.44]",
                ["-", "-", "-", "-", "-", "-"],
            ),
            (
                "postfix/qmgr",
                "4B2D63F2A1: removed",
                ["-", "-", "-", "-", "-", "-"],
            ),
            (
                "postfix/smtpd",
                "warning: unknown[",
                ["-", "-", "-", "-", "-", "-"],
            ),
        ]);
    }

    #[test]
    fn sendmail() {
        check(&[
            (
                "sendmail",
                "06I02CNi016764: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user=bob@example.org, relay=mx.example.org [203.0.113.50] (may be forged)",
                [A, "mail_login", F, "bob@example.org", "203.0.113.50", "-"],
            ),
            (
                "sm-mta",
                "06I02CNi016765: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user=x, relay=[6.6.6.6], relay=[203.0.113.51]",
                [
                    A,
                    "mail_login",
                    F,
                    "x, relay=[6.6.6.6]",
                    "203.0.113.51",
                    "-",
                ],
            ),
            (
                "sm-mta",
                "14NNwaRl065696: AUTH failure (DIGEST-MD5): user not found (-20) SASL(-13): user not found: unable to canonify user and get auxprops, user=scanner, relay=[203.0.113.52]",
                [
                    A,
                    "mail_login",
                    F,
                    "scanner",
                    "203.0.113.52",
                    "invalid_user",
                ],
            ),
            (
                "sm-mta",
                "s1GNeNqe005178: cpe.example.com [203.0.113.53]: possible SMTP attack: command=AUTH, count=5",
                [
                    A,
                    "mail_login",
                    F,
                    "-",
                    "203.0.113.53",
                    "too_many_auth_commands",
                ],
            ),
            (
                "sendmail",
                "AUTH=server, relay=client.example.com [203.0.113.54], authid=carol, mech=LOGIN, bits=0",
                [A, "mail_login", "success", "carol", "203.0.113.54", "-"],
            ),
            (
                "sendmail",
                "06I02CNi016764: from=<a@b>, size=1, class=0",
                ["-", "-", "-", "-", "-", "-"],
            ),
            (
                "sendmail",
                "06I02CNi016764: AUTH failure (LOGIN): no relay here",
                ["-", "-", "-", "-", "-", "-"],
            ),
        ]);
    }
}
