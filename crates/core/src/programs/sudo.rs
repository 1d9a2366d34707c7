//! sudo's log line: `USER : [PROBLEM ; ]TTY=pts/0 ; PWD=/home/u ; USER=root
//! ; [ENV=... ; ]COMMAND=/bin/bash args`.
//!
//! Without a problem it is a command run: category process, `action =
//! sudo`, success, `user.name` the caller, `user.target.name` the `USER=`,
//! `process.command_line` the `COMMAND=` (which runs to the end of the line,
//! arguments included). With a problem (`3 incorrect password attempts`,
//! `user NOT in sudoers`, `command not allowed`, `a password is required`)
//! it is an authentication failure with `event.reason` naming it. PAM's
//! `pam_unix(sudo:auth)` lines are read by `pam`.

use std::borrow::Cow;

use crate::event::{Category, Event, Outcome};

use super::{after, auth_failure, mark, reason, set_target, set_user};

pub(super) fn enrich<'a>(ev: &mut Event<'a>, msg: &'a str) {
    let m = msg.trim_start_matches(' ');
    let Some(i) = m.find(" : ") else {
        return;
    };
    let user = m.get(..i).unwrap_or("");
    let rest = m.get(i + 3..).unwrap_or("");
    if user.is_empty() || user.contains(' ') {
        return;
    }
    // `TTY=` is always there; what precedes it is the problem, if any.
    let (problem, fields) = if rest.starts_with("TTY=") {
        ("", rest)
    } else {
        match rest.find(" ; TTY=") {
            Some(j) => (rest.get(..j).unwrap_or(""), rest.get(j + 3..).unwrap_or("")),
            None => return,
        }
    };
    if problem.is_empty() {
        mark(ev, Category::Process, "sudo", Some(Outcome::Success));
    } else {
        auth_failure(ev, "sudo");
        reason(ev, problem_reason(problem));
    }
    set_user(ev, user);
    if let Some(target) = field(fields, "USER=") {
        set_target(ev, target);
    }
    if let Some(cmd) = after(fields, "COMMAND=") {
        let cmd = cmd.trim_end();
        if !cmd.is_empty() {
            ev.process_command_line = Some(Cow::Borrowed(cmd));
        }
    }
}

/// The value of `KEY=` among the ` ; `-separated fields before `COMMAND=`.
fn field<'a>(fields: &'a str, key: &str) -> Option<&'a str> {
    let before_cmd = match fields.find("COMMAND=") {
        Some(i) => fields.get(..i).unwrap_or(fields),
        None => fields,
    };
    before_cmd
        .split(" ; ")
        .find_map(|f| f.trim().strip_prefix(key))
}

fn problem_reason(problem: &str) -> &'static str {
    if problem.contains("incorrect password attempt") {
        "incorrect_password"
    } else if problem.contains("NOT in sudoers") {
        "not_in_sudoers"
    } else if problem.contains("not allowed") {
        "command_not_allowed"
    } else if problem.contains("password is required") {
        "password_required"
    } else {
        "sudo_error"
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, run};

    #[test]
    fn table() {
        check(&[
            (
                "sudo",
                "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash",
                ["process", "sudo", "success", "alice", "-", "-"],
            ),
            (
                "sudo",
                "    bob : TTY=pts/1 ; PWD=/srv ; USER=postgres ; ENV=PGDATA=/x ; COMMAND=/usr/bin/psql -c select 1 ; drop",
                ["process", "sudo", "success", "bob", "-", "-"],
            ),
            (
                "sudo",
                "carol : 3 incorrect password attempts ; TTY=pts/2 ; PWD=/home/carol ; USER=root ; COMMAND=/usr/bin/id",
                [
                    "authentication",
                    "sudo",
                    "failure",
                    "carol",
                    "-",
                    "incorrect_password",
                ],
            ),
            (
                "sudo",
                "dave : user NOT in sudoers ; TTY=pts/3 ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh",
                [
                    "authentication",
                    "sudo",
                    "failure",
                    "dave",
                    "-",
                    "not_in_sudoers",
                ],
            ),
            (
                "sudo",
                "erin : command not allowed ; TTY=pts/4 ; PWD=/ ; USER=root ; COMMAND=/sbin/reboot",
                [
                    "authentication",
                    "sudo",
                    "failure",
                    "erin",
                    "-",
                    "command_not_allowed",
                ],
            ),
            (
                "sudo",
                "frank : a password is required ; TTY=unknown ; PWD=/ ; USER=root ; COMMAND=/bin/true",
                [
                    "authentication",
                    "sudo",
                    "failure",
                    "frank",
                    "-",
                    "password_required",
                ],
            ),
            // Not a sudo log line.
            (
                "sudo",
                "unable to resolve host web1: Name or service not known",
                ["-", "-", "-", "-", "-", "-"],
            ),
            (
                "sudo",
                "alice : something without fields",
                ["-", "-", "-", "-", "-", "-"],
            ),
            (
                "sudo",
                " : TTY=pts/0 ; COMMAND=/bin/sh",
                ["-", "-", "-", "-", "-", "-"],
            ),
            ("sudo", "", ["-", "-", "-", "-", "-", "-"]),
        ]);
    }

    #[test]
    fn target_and_command() {
        let ev = run(
            "sudo",
            "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash",
        );
        assert_eq!(ev.user_target_name.as_deref(), Some("root"));
        assert_eq!(ev.process_command_line.as_deref(), Some("/bin/bash"));
        let ev = run(
            "sudo",
            "bob : TTY=pts/1 ; PWD=/srv ; USER=postgres ; ENV=A=1 ; COMMAND=/usr/bin/psql -c select 1 ; drop",
        );
        assert_eq!(ev.user_target_name.as_deref(), Some("postgres"));
        assert_eq!(
            ev.process_command_line.as_deref(),
            Some("/usr/bin/psql -c select 1 ; drop")
        );
        let ev = run(
            "sudo",
            "carol : 1 incorrect password attempt ; TTY=pts/2 ; PWD=/ ; USER=root ; COMMAND=",
        );
        assert_eq!(ev.process_command_line, None);
        assert_eq!(ev.reason.as_deref(), Some("incorrect_password"));
    }
}
