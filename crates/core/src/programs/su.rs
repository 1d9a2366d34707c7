//! su's messages, from the shadow-utils, util-linux and BSD versions:
//!
//! - `Successful su for root by alice`, `FAILED su for root by alice`
//! - `(to root) alice on pts/0` (success), `FAILED SU (to root) alice on
//!   pts/0`
//! - `+ pts/0 alice:root` (success), `- pts/0 alice:root` (failure)
//!
//! All are category authentication, `action = su`; `user.name` is the
//! caller, `user.target.name` the account switched to. PAM's
//! `pam_unix(su:auth)` and `pam_authenticate: Authentication failure`
//! lines are read by `pam`.

use crate::event::{Event, Outcome};

use super::{auth_failure, auth_success, set_target, set_user, token};

pub(super) fn enrich<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let m = msg.trim_start_matches(' ');
    let b = m.as_bytes();
    match b.first() {
        Some(b'S') => {
            if let Some(r) = m.strip_prefix("Successful su for ") {
                for_by(ev, r, Outcome::Success);
            }
        }
        Some(b'F') => {
            if let Some(r) = m.strip_prefix("FAILED su for ") {
                for_by(ev, r, Outcome::Failure);
            } else if let Some(r) = m.strip_prefix("FAILED SU (to ") {
                to_on(ev, r, Outcome::Failure);
            }
        }
        Some(b'(') => {
            if let Some(r) = m.strip_prefix("(to ") {
                to_on(ev, r, Outcome::Success);
            }
        }
        Some(&sign @ (b'+' | b'-')) if b.get(1) == Some(&b' ') => {
            // `+ pts/0 alice:root`
            let (_tty, users) = token(m.get(2..).unwrap_or(""));
            if let Some((from, to)) = users.trim_end().split_once(':')
                && !from.is_empty()
                && !to.contains(' ')
            {
                set(
                    ev,
                    if sign == b'+' {
                        Outcome::Success
                    } else {
                        Outcome::Failure
                    },
                );
                set_user(ev, from);
                set_target(ev, to);
            }
        }
        _ => {}
    }
}

fn set<'a>(ev: &mut Event<'a>, outcome: Outcome) {
    if outcome == Outcome::Success {
        auth_success(ev, "su");
    } else {
        auth_failure(ev, "su");
    }
}

/// `TARGET by USER`.
fn for_by<'a>(ev: &mut Event<'a>, r: &'a str, outcome: Outcome) {
    if let Some((target, user)) = r.trim_end().split_once(" by ") {
        set(ev, outcome);
        set_target(ev, target);
        set_user(ev, user);
    }
}

/// `TARGET) USER on TTY`.
fn to_on<'a>(ev: &mut Event<'a>, r: &'a str, outcome: Outcome) {
    if let Some((target, rest)) = r.split_once(") ") {
        let user = match rest.rfind(" on ") {
            Some(i) => rest.get(..i).unwrap_or(rest),
            None => rest.trim_end(),
        };
        set(ev, outcome);
        set_target(ev, target);
        set_user(ev, user);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, run};

    #[test]
    fn table() {
        check(&[
            (
                "su",
                "Successful su for root by alice",
                ["authentication", "su", "success", "alice", "-", "-"],
            ),
            (
                "su",
                "FAILED su for root by mallory",
                ["authentication", "su", "failure", "mallory", "-", "-"],
            ),
            (
                "su",
                "(to root) alice on pts/0",
                ["authentication", "su", "success", "alice", "-", "-"],
            ),
            (
                "su",
                "FAILED SU (to postgres) bob on pts/3",
                ["authentication", "su", "failure", "bob", "-", "-"],
            ),
            (
                "su",
                "+ pts/1 carol:root",
                ["authentication", "su", "success", "carol", "-", "-"],
            ),
            (
                "su",
                "- pts/1 carol:root",
                ["authentication", "su", "failure", "carol", "-", "-"],
            ),
            (
                "su",
                "pam_authenticate: Authentication failure",
                ["authentication", "su", "failure", "-", "-", "-"],
            ),
            (
                "su",
                "No passwd entry for user 'x'",
                ["-", "-", "-", "-", "-", "-"],
            ),
            ("su", "FAILED su for root", ["-", "-", "-", "-", "-", "-"]),
            ("su", "(to root", ["-", "-", "-", "-", "-", "-"]),
            ("su", "+", ["-", "-", "-", "-", "-", "-"]),
            ("su", "- x", ["-", "-", "-", "-", "-", "-"]),
        ]);
    }

    #[test]
    fn targets() {
        for (m, target) in [
            ("Successful su for root by alice", "root"),
            ("(to postgres) bob on pts/0", "postgres"),
            ("- pts/1 carol:root", "root"),
        ] {
            assert_eq!(
                run("su", m).user_target_name.as_deref(),
                Some(target),
                "{m}"
            );
        }
    }
}
