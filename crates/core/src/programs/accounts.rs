//! Account management tools (shadow-utils: useradd, groupadd, usermod,
//! userdel, groupdel, groupmod, passwd, chpasswd, gpasswd, chage).
//!
//! Everything is category iam. `user.target.name` is the account acted on,
//! `group.name` the group, `user.name` the actor when the line names it
//! (`password for 'bob' changed by 'root'`, gpasswd's `by root`).
//!
//! | message | action |
//! |---|---|
//! | `new user: name=bob, UID=1001, ...` | `user_created` |
//! | `new group: name=devs, GID=1002`, `group added to /etc/group: name=devs, ...` | `group_created` |
//! | `add 'bob' to group 'sudo'`, `user bob added by root to group sudo` | `user_added_to_group` |
//! | `delete 'bob' from group 'sudo'`, `user bob removed by root from group sudo` | `user_removed_from_group` |
//! | `change user 'bob' shell ...`, `lock user 'bob' password`, `changed password expiry for bob` | `user_modified` |
//! | `delete user 'bob'` | `user_deleted` |
//! | `group 'devs' removed`, `removed group 'bob' owned by 'bob'` | `group_deleted` |
//! | `group changed in /etc/group (...)`, `members of group devs set by root to ...` | `group_modified` |
//! | `password for 'bob' changed by 'root'` | `password_changed` |
//! | `failed adding user 'bob', data deleted` | `user_created`, failure |

use std::borrow::Cow;

use crate::event::{Category, Event, Outcome};

use super::{after, kv, mark, set_target, set_user, token};

pub(super) fn enrich<'a>(ev: &mut Event<'a>, family: &str, msg: &'a str) {
    let m = msg.trim_end();
    if let Some(r) = m.strip_prefix("new user: ") {
        if let Some(name) = kv(r, "name=") {
            done(ev, "user_created");
            set_target(ev, name);
        }
    } else if let Some(r) = m
        .strip_prefix("new group: ")
        .or_else(|| after(m, "group added to "))
    {
        if let Some(name) = kv(r, "name=").or_else(|| after(r, "name=")) {
            done(ev, "group_created");
            set_group(ev, name.trim_end_matches(','));
        }
    } else if let Some(r) = m.strip_prefix("add '") {
        // `add 'bob' to group 'sudo'` / `add 'bob' to shadow group 'sudo'`
        if let Some((user, group)) = quoted_pair(r, "group '") {
            done(ev, "user_added_to_group");
            set_target(ev, user);
            set_group(ev, group);
        }
    } else if let Some(r) = m.strip_prefix("delete user '") {
        if let Some(user) = r.strip_suffix('\'') {
            done(ev, "user_deleted");
            set_target(ev, user);
        }
    } else if let Some(r) = m.strip_prefix("delete '") {
        if let Some((user, group)) = quoted_pair(r, "group '") {
            done(ev, "user_removed_from_group");
            set_target(ev, user);
            set_group(ev, group);
        }
    } else if let Some(r) = m.strip_prefix("user ") {
        // gpasswd: `user bob added by root to group sudo`
        let (user, rest) = token(r);
        let (action, rest) = if let Some(x) = rest.strip_prefix("added by ") {
            ("user_added_to_group", x)
        } else if let Some(x) = rest.strip_prefix("removed by ") {
            ("user_removed_from_group", x)
        } else {
            return;
        };
        let (actor, rest) = token(rest);
        let group = rest
            .strip_prefix("to group ")
            .or_else(|| rest.strip_prefix("from group "))
            .unwrap_or("");
        done(ev, action);
        set_target(ev, user);
        set_user(ev, actor);
        set_group(ev, group);
    } else if let Some(r) = m
        .strip_prefix("change user '")
        .or_else(|| m.strip_prefix("lock user '"))
        .or_else(|| m.strip_prefix("unlock user '"))
    {
        if let Some(end) = r.find('\'') {
            done(ev, "user_modified");
            set_target(ev, r.get(..end).unwrap_or(""));
        }
    } else if let Some(r) = m.strip_prefix("change user name '") {
        if let Some(end) = r.find('\'') {
            done(ev, "user_modified");
            set_target(ev, r.get(..end).unwrap_or(""));
        }
    } else if let Some(r) = m.strip_prefix("changed password expiry for ") {
        done(ev, "user_modified");
        set_target(ev, r);
    } else if let Some(r) = m.strip_prefix("group '") {
        if let Some(end) = r.find("' removed") {
            done(ev, "group_deleted");
            set_group(ev, r.get(..end).unwrap_or(""));
        }
    } else if let Some(r) = m
        .strip_prefix("removed group '")
        .or_else(|| m.strip_prefix("removed shadow group '"))
    {
        if let Some(end) = r.find('\'') {
            done(ev, "group_deleted");
            set_group(ev, r.get(..end).unwrap_or(""));
        }
    } else if let Some(r) = m.strip_prefix("group changed in ") {
        // `group changed in /etc/group (group devs/1002, new name: ops)`
        if let Some(g) = after(r, "(group ") {
            done(ev, "group_modified");
            set_group(ev, g.split(['/', ',', ')']).next().unwrap_or(""));
        }
    } else if let Some(r) = m.strip_prefix("members of group ") {
        let (group, rest) = token(r);
        done(ev, "group_modified");
        set_group(ev, group);
        if let Some(actor) = rest.strip_prefix("set by ") {
            set_user(ev, token(actor).0);
        }
    } else if let Some(r) = m.strip_prefix("password for '") {
        // `password for 'bob' changed by 'root'`
        if let Some((user, actor)) = quoted_pair(r, "by '") {
            done(ev, "password_changed");
            set_target(ev, user);
            set_user(ev, actor);
        }
    } else if let Some(r) = m.strip_prefix("failed adding user '") {
        if let Some(end) = r.find('\'') {
            mark(ev, Category::Iam, "user_created", Some(Outcome::Failure));
            set_target(ev, r.get(..end).unwrap_or(""));
        }
    } else if family == "chpasswd" || family == "passwd" {
        // `password changed for bob` without a PAM prefix.
        if let Some(user) = m.strip_prefix("password changed for ") {
            done(ev, "password_changed");
            set_target(ev, user);
        }
    }
}

fn done<'a>(ev: &mut Event<'a>, action: &'static str) {
    mark(ev, Category::Iam, action, Some(Outcome::Success));
}

fn set_group<'a>(ev: &mut Event<'a>, group: &'a str) {
    let g = group.trim_matches(['\'', ' ']);
    if !g.is_empty() {
        ev.group_name = Some(Cow::Borrowed(g));
    }
}

/// `first' ... KEY'second'` → (`first`, `second`).
fn quoted_pair<'a>(r: &'a str, key: &str) -> Option<(&'a str, &'a str)> {
    let end = r.find('\'')?;
    let first = r.get(..end)?;
    let second = after(r.get(end + 1..)?, key)?;
    let second = second.get(..second.find('\'')?)?;
    Some((first, second))
}

#[cfg(test)]
mod tests {
    use super::super::tests::run;

    /// (program, message, action, outcome, target, group, actor)
    const TABLE: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
        (
            "useradd",
            "new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash, from=/dev/pts/0",
            "user_created",
            "success",
            "bob",
            "-",
            "-",
        ),
        (
            "useradd",
            "new group: name=bob, GID=1001",
            "group_created",
            "success",
            "-",
            "bob",
            "-",
        ),
        (
            "groupadd",
            "group added to /etc/group: name=devs, GID=1002",
            "group_created",
            "success",
            "-",
            "devs",
            "-",
        ),
        (
            "groupadd",
            "group added to /etc/gshadow: name=devs",
            "group_created",
            "success",
            "-",
            "devs",
            "-",
        ),
        (
            "usermod",
            "add 'bob' to group 'sudo'",
            "user_added_to_group",
            "success",
            "bob",
            "sudo",
            "-",
        ),
        (
            "useradd",
            "add 'bob' to shadow group 'wheel'",
            "user_added_to_group",
            "success",
            "bob",
            "wheel",
            "-",
        ),
        (
            "gpasswd",
            "user bob added by root to group docker",
            "user_added_to_group",
            "success",
            "bob",
            "docker",
            "root",
        ),
        (
            "gpasswd",
            "user bob removed by root from group docker",
            "user_removed_from_group",
            "success",
            "bob",
            "docker",
            "root",
        ),
        (
            "usermod",
            "delete 'bob' from group 'sudo'",
            "user_removed_from_group",
            "success",
            "bob",
            "sudo",
            "-",
        ),
        (
            "usermod",
            "change user 'bob' shell from '/bin/sh' to '/bin/bash'",
            "user_modified",
            "success",
            "bob",
            "-",
            "-",
        ),
        (
            "usermod",
            "lock user 'bob' password",
            "user_modified",
            "success",
            "bob",
            "-",
            "-",
        ),
        (
            "usermod",
            "change user name 'bob' to 'robert'",
            "user_modified",
            "success",
            "bob",
            "-",
            "-",
        ),
        (
            "chage",
            "changed password expiry for bob",
            "user_modified",
            "success",
            "bob",
            "-",
            "-",
        ),
        (
            "userdel",
            "delete user 'bob'",
            "user_deleted",
            "success",
            "bob",
            "-",
            "-",
        ),
        (
            "userdel",
            "removed group 'bob' owned by 'bob'",
            "group_deleted",
            "success",
            "-",
            "bob",
            "-",
        ),
        (
            "groupdel",
            "group 'devs' removed",
            "group_deleted",
            "success",
            "-",
            "devs",
            "-",
        ),
        (
            "groupmod",
            "group changed in /etc/group (group devs/1002, new name: ops)",
            "group_modified",
            "success",
            "-",
            "devs",
            "-",
        ),
        (
            "gpasswd",
            "members of group devs set by root to a,b",
            "group_modified",
            "success",
            "-",
            "devs",
            "root",
        ),
        (
            "passwd",
            "password for 'bob' changed by 'root'",
            "password_changed",
            "success",
            "bob",
            "-",
            "root",
        ),
        (
            "chpasswd",
            "password changed for carol",
            "password_changed",
            "success",
            "carol",
            "-",
            "-",
        ),
        (
            "useradd",
            "failed adding user 'bob', data deleted",
            "user_created",
            "failure",
            "bob",
            "-",
            "-",
        ),
    ];

    #[test]
    fn table() {
        for (prog, msg, action, outcome, target, group, actor) in TABLE {
            let ev = run(prog, msg);
            let got = [
                ev.category.map(|c| c.as_str()).unwrap_or("-"),
                ev.action.as_deref().unwrap_or("-"),
                ev.outcome.map(|o| o.as_str()).unwrap_or("-"),
                ev.user_target_name.as_deref().unwrap_or("-"),
                ev.group_name.as_deref().unwrap_or("-"),
                ev.user_name.as_deref().unwrap_or("-"),
            ];
            assert_eq!(
                got,
                ["iam", *action, *outcome, *target, *group, *actor],
                "{prog}: {msg}"
            );
        }
    }

    #[test]
    fn not_account_changes() {
        for (prog, msg) in [
            ("useradd", "new user: nothing"),
            ("usermod", "add 'bob"),
            ("usermod", "add 'bob' to nowhere"),
            ("passwd", "password for 'bob"),
            ("gpasswd", "user bob did something"),
            ("userdel", "delete user 'bob"),
            ("groupdel", "group 'devs"),
            ("useradd", ""),
        ] {
            assert_eq!(run(prog, msg).category, None, "{prog}: {msg}");
        }
    }
}
