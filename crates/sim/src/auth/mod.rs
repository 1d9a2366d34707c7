//! `auth.log`: BSD syslog (RFC 3164) of a Debian/Ubuntu host `web1`.
//!
//! Benign traffic: CRON sessions (opened, then closed), staff SSH logins with
//! public keys from the office (`198.51.100.10-14`) or home, with their
//! `pam_unix` session and `systemd-logind` lines and a later logout sequence;
//! sometimes one mistyped password before a successful login (at most once per
//! user per 15 minutes); admins running sudo commands (never a shell); dovecot
//! IMAP logins and postfix deliveries.
//!
//! Attacks: SSH brute force, password spraying, distributed brute force (many
//! addresses, one user), invalid-user enumeration, a login that succeeds after
//! failures, privilege escalation (sudo denied / wrong passwords / `su`), and a
//! root shell that creates a backdoor account.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::pick::{Deferred, Weighted, chance, one};
use crate::pool::{CLIENT_BLOCKS, MAIL_RELAY, SERVER_BLOCKS, draw_hosts};
use crate::text::{Alphabet, ip, push_ip, push_num, push_right, token};

const HOST: &str = "web1";
const MIN: i64 = 60_000;
const LOGIND_PID: u32 = 612;
const QMGR_PID: u32 = 1187;

struct Staff {
    name: &'static str,
    uid: u32,
    admin: bool,
    office: u32,
    home: u32,
    key: String,
    key_type: &'static str,
    last_fail: i64,
    tty: u32,
}

const STAFF: &[(&str, u32, bool)] = &[
    ("alice", 1001, true),
    ("carol", 1002, true),
    ("dave", 1003, true),
    ("erin", 1004, false),
    ("frank", 1005, false),
    ("grace", 1006, false),
];

const SUDO_COMMANDS: &[(&str, &str)] = &[
    ("/home/{u}", "/usr/bin/apt update"),
    ("/home/{u}", "/usr/bin/apt upgrade -y"),
    ("/srv/app", "/usr/bin/systemctl restart nginx"),
    ("/srv/app", "/usr/bin/systemctl status postgresql"),
    ("/home/{u}", "/usr/bin/journalctl -u nginx --since today"),
    ("/var/www", "/usr/bin/tail -n 100 /var/log/nginx/error.log"),
    ("/srv/app", "/usr/bin/docker ps"),
    ("/home/{u}", "/usr/sbin/ufw status"),
    ("/home/{u}", "/usr/bin/certbot renew"),
    ("/srv/app", "/usr/bin/du -sh /var/lib/docker"),
    ("/srv/app", "/usr/bin/git -C /srv/app pull"),
];

/// Lines scheduled for later (second half of a benign exchange).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Later {
    CronClose {
        pid: u32,
        user: u8,
    },
    SshOpened {
        step: u8,
        pid: u32,
        user: u8,
        session: u32,
    },
    SshAccept {
        pid: u32,
        user: u8,
        ip: u32,
        port: u16,
    },
    SshClose {
        step: u8,
        pid: u32,
        user: u8,
        ip: u32,
        port: u16,
        session: u32,
    },
    SudoOpened {
        user: u8,
    },
    SudoClosed,
    Imap {
        user: u8,
        mpid: u32,
        sess: u64,
        bytes_in: u32,
        bytes_out: u32,
    },
    Postfix {
        step: u8,
        smtpd: u32,
        cleanup: u32,
        local: u32,
        qid: u64,
        remote: u8,
        user: u8,
        size: u32,
    },
}

#[derive(Debug, Clone, Copy)]
enum Action {
    Cron,
    Ssh,
    SshTypo,
    Sudo,
    Imap,
    Mail,
}

const ACTIONS: &[(Action, u64)] = &[
    (Action::Cron, 350),
    (Action::Ssh, 50),
    (Action::SshTypo, 5),
    (Action::Sudo, 80),
    (Action::Imap, 100),
    (Action::Mail, 50),
];

const REMOTES: &[&str] = &[
    "mail-relay.example.net",
    "mx1.partner.example.org",
    "smtp.newsletter.example.com",
    "out.mailer.example.io",
];

/// The benign auth log model and the auth attack planner.
pub(crate) struct AuthModel {
    staff: Vec<Staff>,
    /// Addresses of `REMOTES` (the first is our mail relay).
    remotes: Vec<u32>,
    /// Phones and laptops of mail users.
    mail_ips: Vec<u32>,
    pid: u32,
    session: u32,
    later: Deferred<Later>,
    actions: Weighted,
}

fn push_head(out: &mut Vec<u8>, stamp: &[u8], prog: &str, pid: Option<u32>) {
    out.extend_from_slice(stamp);
    out.push(b' ');
    out.extend_from_slice(HOST.as_bytes());
    out.push(b' ');
    out.extend_from_slice(prog.as_bytes());
    if let Some(pid) = pid {
        out.push(b'[');
        push_num(out, u64::from(pid));
        out.push(b']');
    }
    out.extend_from_slice(b": ");
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
}

/// Dovecot's session id: 16 base64 characters.
fn push_session_id(out: &mut Vec<u8>, mut x: u64) {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for i in 0..16 {
        if i == 10 {
            x = x.rotate_left(17) ^ 0x9e37_79b9_7f4a_7c15;
        }
        out.push(B64[(x & 63) as usize]);
        x >>= 6;
    }
}

/// Postfix queue id: 10 upper-case hex digits.
fn push_qid(out: &mut Vec<u8>, x: u64) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for i in (0..10).rev() {
        out.push(HEX[((x >> (i * 4)) & 15) as usize]);
    }
}

impl AuthModel {
    pub(crate) fn new(rng: &mut ChaCha8Rng) -> Self {
        let homes = draw_hosts(rng, CLIENT_BLOCKS, STAFF.len() + 30);
        let staff = STAFF
            .iter()
            .enumerate()
            .map(|(i, &(name, uid, admin))| Staff {
                name,
                uid,
                admin,
                office: ip(198, 51, 100, 10 + (i % 5) as u8),
                home: homes[i],
                key_type: if i % 3 == 2 { "RSA" } else { "ED25519" },
                key: token(rng, Alphabet::Base64Std, 43),
                last_fail: i64::MIN / 2,
                tty: i as u32,
            })
            .collect();
        let mut remotes = vec![MAIL_RELAY];
        remotes.extend(draw_hosts(rng, SERVER_BLOCKS, REMOTES.len() - 1));
        AuthModel {
            staff,
            remotes,
            mail_ips: homes[STAFF.len()..].to_vec(),
            pid: rng.random_range(2_000..30_000),
            session: rng.random_range(100..2_000),
            later: Deferred::new(),
            actions: Weighted::new(ACTIONS.iter().map(|a| a.1)),
        }
    }

    fn next_pid(&mut self, rng: &mut ChaCha8Rng) -> u32 {
        self.pid += rng.random_range(1..6);
        if self.pid > 4_000_000 {
            self.pid = 1_000;
        }
        self.pid
    }

    fn next_session(&mut self) -> u32 {
        self.session += 1;
        self.session
    }

    /// Writes one benign line.
    pub(crate) fn benign(
        &mut self,
        rng: &mut ChaCha8Rng,
        line: u64,
        now: i64,
        stamp: &[u8],
        out: &mut Vec<u8>,
    ) {
        if let Some(l) = self.later.pop_due(line) {
            return self.write_later(rng, line, l, stamp, out);
        }
        match ACTIONS[self.actions.sample(rng)].0 {
            Action::Cron => {
                let pid = self.next_pid(rng);
                let user = u8::from(chance(rng, 0.15));
                push_head(out, stamp, "CRON", Some(pid));
                push_str(out, "pam_unix(cron:session): session opened for user ");
                if user == 0 {
                    push_str(out, "root(uid=0) by (uid=0)\n");
                } else {
                    push_str(out, "www-data(uid=33) by (uid=0)\n");
                }
                self.later.push(
                    line + rng.random_range(1..5),
                    Later::CronClose { pid, user },
                );
            }
            Action::Ssh => {
                let user = rng.random_range(0..self.staff.len());
                let pid = self.next_pid(rng);
                let port = rng.random_range(32_768..61_000);
                let s = &self.staff[user];
                let from = if chance(rng, 0.7) { s.office } else { s.home };
                push_head(out, stamp, "sshd", Some(pid));
                push_str(out, "Accepted publickey for ");
                push_str(out, s.name);
                push_str(out, " from ");
                push_ip(out, from);
                push_str(out, " port ");
                push_num(out, u64::from(port));
                push_str(out, " ssh2: ");
                push_str(out, s.key_type);
                push_str(out, " SHA256:");
                push_str(out, &s.key);
                out.push(b'\n');
                self.open_session(rng, line, pid, user as u8, from, port);
            }
            Action::SshTypo => {
                let user = rng.random_range(0..self.staff.len());
                if now - self.staff[user].last_fail < 15 * MIN {
                    return self.sudo(rng, line, stamp, out);
                }
                self.staff[user].last_fail = now;
                let pid = self.next_pid(rng);
                let port = rng.random_range(32_768..61_000);
                let s = &self.staff[user];
                let from = s.office;
                push_head(out, stamp, "sshd", Some(pid));
                push_str(out, "Failed password for ");
                push_str(out, s.name);
                push_str(out, " from ");
                push_ip(out, from);
                push_str(out, " port ");
                push_num(out, u64::from(port));
                push_str(out, " ssh2\n");
                let l = Later::SshAccept {
                    pid,
                    user: user as u8,
                    ip: from,
                    port,
                };
                self.later.push(line + rng.random_range(2..20), l);
            }
            Action::Sudo => self.sudo(rng, line, stamp, out),
            Action::Imap => {
                let user = rng.random_range(0..self.staff.len()) as u8;
                let mpid = self.next_pid(rng);
                let sess: u64 = rng.random();
                let from = if chance(rng, 0.5) {
                    self.staff[user as usize].office
                } else {
                    one(rng, &self.mail_ips)
                };
                push_head(out, stamp, "dovecot", None);
                push_str(out, "imap-login: Login: user=<");
                push_str(out, self.staff[user as usize].name);
                push_str(out, ">, method=PLAIN, rip=");
                push_ip(out, from);
                push_str(out, ", lip=10.0.0.5, mpid=");
                push_num(out, u64::from(mpid));
                push_str(out, ", TLS, session=<");
                push_session_id(out, sess);
                push_str(out, ">\n");
                let l = Later::Imap {
                    user,
                    mpid,
                    sess,
                    bytes_in: rng.random_range(100..2_000),
                    bytes_out: rng.random_range(1_000..900_000),
                };
                self.later.push(line + rng.random_range(20..3_000), l);
            }
            Action::Mail => {
                let smtpd = self.next_pid(rng);
                let cleanup = self.next_pid(rng);
                let local = self.next_pid(rng);
                let remote = rng.random_range(0..REMOTES.len()) as u8;
                push_head(out, stamp, "postfix/smtpd", Some(smtpd));
                push_str(out, "connect from ");
                self.push_remote(out, remote);
                out.push(b'\n');
                let l = Later::Postfix {
                    step: 0,
                    smtpd,
                    cleanup,
                    local,
                    qid: rng.random::<u64>() & 0xff_ffff_ffff,
                    remote,
                    user: rng.random_range(0..self.staff.len()) as u8,
                    size: rng.random_range(2_000..90_000),
                };
                self.later.push(line + 1, l);
            }
        }
    }

    fn push_remote(&self, out: &mut Vec<u8>, remote: u8) {
        push_str(out, REMOTES[remote as usize % REMOTES.len()]);
        out.push(b'[');
        push_ip(out, self.remotes[remote as usize % self.remotes.len()]);
        out.push(b']');
    }

    fn open_session(
        &mut self,
        rng: &mut ChaCha8Rng,
        line: u64,
        pid: u32,
        user: u8,
        from: u32,
        port: u16,
    ) {
        let session = self.next_session();
        self.later.push(
            line + 1,
            Later::SshOpened {
                step: 0,
                pid,
                user,
                session,
            },
        );
        let close = Later::SshClose {
            step: 0,
            pid,
            user,
            ip: from,
            port,
            session,
        };
        self.later.push(line + rng.random_range(200..20_000), close);
    }

    fn sudo(&mut self, rng: &mut ChaCha8Rng, line: u64, stamp: &[u8], out: &mut Vec<u8>) {
        let admins = self.staff.iter().filter(|s| s.admin).count();
        let user = rng.random_range(0..admins.max(1)) as u8;
        let s = &self.staff[user as usize];
        let (pwd, cmd) = one(rng, SUDO_COMMANDS);
        push_head(out, stamp, "sudo", None);
        push_right(out, s.name, 8);
        push_str(out, " : TTY=pts/");
        push_num(out, u64::from(s.tty));
        push_str(out, " ; PWD=");
        match pwd.strip_suffix("{u}") {
            Some(p) => {
                push_str(out, p);
                push_str(out, s.name);
            }
            None => push_str(out, pwd),
        }
        push_str(out, " ; USER=root ; COMMAND=");
        push_str(out, cmd);
        out.push(b'\n');
        self.later.push(line + 1, Later::SudoOpened { user });
        self.later
            .push(line + rng.random_range(2..40), Later::SudoClosed);
    }

    fn write_later(
        &mut self,
        rng: &mut ChaCha8Rng,
        line: u64,
        l: Later,
        stamp: &[u8],
        out: &mut Vec<u8>,
    ) {
        match l {
            Later::CronClose { pid, user } => {
                push_head(out, stamp, "CRON", Some(pid));
                push_str(out, "pam_unix(cron:session): session closed for user ");
                push_str(out, if user == 0 { "root\n" } else { "www-data\n" });
            }
            Later::SshOpened {
                step,
                pid,
                user,
                session,
            } => {
                let s = &self.staff[user as usize];
                if step == 0 {
                    push_head(out, stamp, "sshd", Some(pid));
                    push_str(out, "pam_unix(sshd:session): session opened for user ");
                    push_str(out, s.name);
                    push_str(out, "(uid=");
                    push_num(out, u64::from(s.uid));
                    push_str(out, ") by (uid=0)\n");
                    self.later.push(
                        line + 1,
                        Later::SshOpened {
                            step: 1,
                            pid,
                            user,
                            session,
                        },
                    );
                } else {
                    push_head(out, stamp, "systemd-logind", Some(LOGIND_PID));
                    push_str(out, "New session ");
                    push_num(out, u64::from(session));
                    push_str(out, " of user ");
                    push_str(out, s.name);
                    push_str(out, ".\n");
                }
            }
            Later::SshAccept {
                pid,
                user,
                ip,
                port,
            } => {
                let s = &self.staff[user as usize];
                push_head(out, stamp, "sshd", Some(pid));
                push_str(out, "Accepted password for ");
                push_str(out, s.name);
                push_str(out, " from ");
                push_ip(out, ip);
                push_str(out, " port ");
                push_num(out, u64::from(port));
                push_str(out, " ssh2\n");
                self.open_session(rng, line, pid, user, ip, port);
            }
            Later::SshClose {
                step,
                pid,
                user,
                ip,
                port,
                session,
            } => {
                let s = &self.staff[user as usize];
                match step {
                    0 => {
                        push_head(out, stamp, "sshd", Some(pid));
                        push_str(out, "Received disconnect from ");
                        push_ip(out, ip);
                        push_str(out, " port ");
                        push_num(out, u64::from(port));
                        push_str(out, ":11: disconnected by user\n");
                    }
                    1 => {
                        push_head(out, stamp, "sshd", Some(pid));
                        push_str(out, "Disconnected from user ");
                        push_str(out, s.name);
                        out.push(b' ');
                        push_ip(out, ip);
                        push_str(out, " port ");
                        push_num(out, u64::from(port));
                        out.push(b'\n');
                    }
                    2 => {
                        push_head(out, stamp, "sshd", Some(pid));
                        push_str(out, "pam_unix(sshd:session): session closed for user ");
                        push_str(out, s.name);
                        out.push(b'\n');
                    }
                    3 => {
                        push_head(out, stamp, "systemd-logind", Some(LOGIND_PID));
                        push_str(out, "Session ");
                        push_num(out, u64::from(session));
                        push_str(out, " logged out. Waiting for processes to exit.\n");
                    }
                    _ => {
                        push_head(out, stamp, "systemd-logind", Some(LOGIND_PID));
                        push_str(out, "Removed session ");
                        push_num(out, u64::from(session));
                        push_str(out, ".\n");
                    }
                }
                if step < 4 {
                    let next = Later::SshClose {
                        step: step + 1,
                        pid,
                        user,
                        ip,
                        port,
                        session,
                    };
                    self.later.push(line + 1, next);
                }
            }
            Later::SudoOpened { user } => {
                let s = &self.staff[user as usize];
                push_head(out, stamp, "sudo", None);
                push_str(
                    out,
                    "pam_unix(sudo:session): session opened for user root(uid=0) by ",
                );
                push_str(out, s.name);
                push_str(out, "(uid=");
                push_num(out, u64::from(s.uid));
                push_str(out, ")\n");
            }
            Later::SudoClosed => {
                push_head(out, stamp, "sudo", None);
                push_str(
                    out,
                    "pam_unix(sudo:session): session closed for user root\n",
                );
            }
            Later::Imap {
                user,
                mpid,
                sess,
                bytes_in,
                bytes_out,
            } => {
                push_head(out, stamp, "dovecot", None);
                push_str(out, "imap(");
                push_str(out, self.staff[user as usize].name);
                push_str(out, ")<");
                push_num(out, u64::from(mpid));
                push_str(out, "><");
                push_session_id(out, sess);
                push_str(out, ">: Disconnected: Logged out in=");
                push_num(out, u64::from(bytes_in));
                push_str(out, " out=");
                push_num(out, u64::from(bytes_out));
                out.push(b'\n');
            }
            Later::Postfix {
                step,
                smtpd,
                cleanup,
                local,
                qid,
                remote,
                user,
                size,
            } => {
                match step {
                    0 => {
                        push_head(out, stamp, "postfix/smtpd", Some(smtpd));
                        push_qid(out, qid);
                        push_str(out, ": client=");
                        self.push_remote(out, remote);
                        out.push(b'\n');
                    }
                    1 => {
                        push_head(out, stamp, "postfix/cleanup", Some(cleanup));
                        push_qid(out, qid);
                        push_str(out, ": message-id=<");
                        push_num(out, qid);
                        push_str(out, ".");
                        push_qid(out, qid ^ 0x5a5a_5a5a);
                        push_str(out, "@");
                        push_str(out, REMOTES[remote as usize % REMOTES.len()]);
                        push_str(out, ">\n");
                    }
                    2 => {
                        push_head(out, stamp, "postfix/qmgr", Some(QMGR_PID));
                        push_qid(out, qid);
                        push_str(out, ": from=<noreply@");
                        push_str(out, REMOTES[remote as usize % REMOTES.len()]);
                        push_str(out, ">, size=");
                        push_num(out, u64::from(size));
                        push_str(out, ", nrcpt=1 (queue active)\n");
                    }
                    3 => {
                        push_head(out, stamp, "postfix/smtpd", Some(smtpd));
                        push_str(out, "disconnect from ");
                        self.push_remote(out, remote);
                        push_str(out, " ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5\n");
                    }
                    4 => {
                        push_head(out, stamp, "postfix/local", Some(local));
                        push_qid(out, qid);
                        push_str(out, ": to=<");
                        push_str(out, self.staff[user as usize].name);
                        push_str(
                            out,
                            "@shop.example.com>, relay=local, delay=0.12, delays=0.05/0.01/0/0.06, dsn=2.0.0, status=sent (delivered to mailbox)\n",
                        );
                    }
                    _ => {
                        push_head(out, stamp, "postfix/qmgr", Some(QMGR_PID));
                        push_qid(out, qid);
                        push_str(out, ": removed\n");
                    }
                }
                if step < 5 {
                    let next = Later::Postfix {
                        step: step + 1,
                        smtpd,
                        cleanup,
                        local,
                        qid,
                        remote,
                        user,
                        size,
                    };
                    self.later.push(line + rng.random_range(1..4), next);
                }
            }
        }
    }
}

mod attacks;
