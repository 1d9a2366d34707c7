//! Auth attack scenarios: SSH guessing in its several shapes, and what an
//! intruder does on the host (sudo, su, a backdoor account).

use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::{AuthModel, HOST, LOGIND_PID};
use crate::pick::{chance, one};
use crate::pool::AttackerIps;
use crate::scenario::{AttackCategory, Plan, Step};
use crate::text::ip_string;

impl AuthModel {
    pub(crate) const SCENARIOS: usize = 7;

    /// Plans attack scenario number `ty` (0..SCENARIOS).
    pub(crate) fn plan(&mut self, ty: usize, rng: &mut ChaCha8Rng, ips: &mut AttackerIps) -> Plan {
        let addr = ips.alloc();
        let mut b = Builder {
            model: self,
            rng,
            ip: ip_string(addr),
            steps: Vec::new(),
            users: Vec::new(),
        };
        let (scenario, category, intensity, extra) = match ty {
            0 => {
                b.brute_force();
                (
                    "ssh_brute_force",
                    AttackCategory::BruteForce,
                    b.rng.random_range(0.05..0.3),
                    Vec::new(),
                )
            }
            1 => {
                b.spraying();
                (
                    "ssh_password_spraying",
                    AttackCategory::PasswordSpraying,
                    b.rng.random_range(0.03..0.15),
                    Vec::new(),
                )
            }
            2 => {
                let more = b.distributed(ips);
                (
                    "ssh_distributed_brute_force",
                    AttackCategory::BruteForce,
                    b.rng.random_range(0.03..0.1),
                    more,
                )
            }
            3 => {
                b.enumeration();
                (
                    "ssh_user_enumeration",
                    AttackCategory::UserEnumeration,
                    b.rng.random_range(0.05..0.2),
                    Vec::new(),
                )
            }
            4 => {
                b.compromise();
                (
                    "ssh_compromise_after_failures",
                    AttackCategory::AccountCompromise,
                    b.rng.random_range(0.05..0.2),
                    Vec::new(),
                )
            }
            5 => {
                b.sudo_denied();
                (
                    "sudo_privilege_escalation",
                    AttackCategory::PrivilegeEscalation,
                    b.rng.random_range(0.01..0.05),
                    Vec::new(),
                )
            }
            _ => {
                b.root_shell_backdoor();
                (
                    "root_shell_backdoor_user",
                    AttackCategory::PrivilegeEscalation,
                    b.rng.random_range(0.01..0.05),
                    Vec::new(),
                )
            }
        };
        let mut all_ips = vec![addr];
        all_ips.extend(extra);
        Plan {
            scenario,
            category,
            ips: all_ips,
            users: b.users,
            intensity,
            steps: b.steps,
        }
    }
}

/// Accounts that exist on the host besides staff (attackers' guesses may hit them).
const SYSTEM_USERS: &[&str] = &[
    "root", "ubuntu", "deploy", "backup", "git", "postgres", "www-data", "mysql", "jenkins",
];

const BRUTE_USERS: &[&str] = &[
    "root", "admin", "test", "ubuntu", "oracle", "postgres", "user", "guest",
];

const SPRAY_USERS: &[&str] = &[
    "admin",
    "test",
    "user",
    "oracle",
    "postgres",
    "ubuntu",
    "pi",
    "guest",
    "ftpuser",
    "git",
    "jenkins",
    "deploy",
    "backup",
    "support",
    "mysql",
    "nagios",
    "hadoop",
    "minecraft",
    "tomcat",
    "ansible",
    "vagrant",
    "ec2-user",
    "centos",
    "debian",
    "administrator",
    "webmaster",
    "info",
    "sales",
    "dev",
    "temp",
    "demo",
    "server",
    "teamspeak",
    "ts3",
    "steam",
    "usuario",
    "test1",
    "user1",
    "admin1",
    "odoo",
    "elastic",
    "kafka",
    "redis",
    "zabbix",
    "docker",
    "oracle1",
    "www",
    "web",
    "ftp",
    "student",
    "training",
    "office",
    "scanner",
    "printer",
    "camera",
    "operator",
    "service",
    "sysadmin",
    "apache",
    "nginx",
];

const COMPROMISE_USERS: &[(&str, u32)] = &[
    ("deploy", 1100),
    ("git", 1101),
    ("jenkins", 1102),
    ("ubuntu", 1000),
    ("backup", 34),
];

const PRIVESC_USERS: &[(&str, u32)] = &[
    ("bob", 1010),
    ("mallory", 1011),
    ("webdev", 1012),
    ("intern", 1013),
    ("svc_app", 1014),
];

const BACKDOORS: &[&str] = &["backdoor", "sysadm", "support1", "systemd-helper", "toor"];

struct Builder<'a> {
    model: &'a mut AuthModel,
    rng: &'a mut ChaCha8Rng,
    ip: String,
    steps: Vec<Step>,
    users: Vec<String>,
}

fn is_valid(user: &str) -> bool {
    SYSTEM_USERS.contains(&user)
}

impl Builder<'_> {
    fn line(&mut self, prog: &str, pid: Option<u32>, msg: &str) {
        let body = match pid {
            Some(pid) => format!("{prog}[{pid}]: {msg}"),
            None => format!("{prog}: {msg}"),
        };
        self.steps.push(Step::after_stamp(HOST, &body));
    }

    fn add_user(&mut self, user: &str) {
        if !self.users.iter().any(|u| u == user) {
            self.users.push(user.to_string());
        }
    }

    fn port(&mut self) -> u16 {
        self.rng.random_range(30_000..65_000)
    }

    /// One SSH connection from `ip` with `attempts` failed passwords for `user`.
    fn failed_connection(&mut self, ip: &str, user: &str, attempts: u32, pam: bool) {
        let pid = self.model.next_pid(self.rng);
        let port = self.port();
        let valid = is_valid(user);
        let who = if valid {
            user.to_string()
        } else {
            format!("invalid user {user}")
        };
        let authn = if valid {
            "authenticating user"
        } else {
            "invalid user"
        };
        if !valid {
            self.line(
                "sshd",
                Some(pid),
                &format!("Invalid user {user} from {ip} port {port}"),
            );
        }
        for a in 0..attempts {
            if a == 0 && pam {
                let suffix = if valid {
                    format!("  user={user}")
                } else {
                    String::new()
                };
                self.line(
                    "sshd",
                    Some(pid),
                    &format!("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}{suffix}"),
                );
            }
            self.line(
                "sshd",
                Some(pid),
                &format!("Failed password for {who} from {ip} port {port} ssh2"),
            );
        }
        if attempts >= 6 {
            self.line(
                "sshd",
                Some(pid),
                &format!("error: maximum authentication attempts exceeded for {who} from {ip} port {port} ssh2 [preauth]"),
            );
            self.line(
                "sshd",
                Some(pid),
                &format!("Disconnecting {authn} {user} {ip} port {port}: Too many authentication failures [preauth]"),
            );
        } else {
            let msg = match self.rng.random_range(0..3) {
                0 => format!("Connection closed by {authn} {user} {ip} port {port} [preauth]"),
                1 => format!("Disconnected from {authn} {user} {ip} port {port} [preauth]"),
                _ => format!("Received disconnect from {ip} port {port}:11: Bye Bye [preauth]"),
            };
            self.line("sshd", Some(pid), &msg);
        }
        if pam && valid && attempts > 1 {
            self.line(
                "sshd",
                Some(pid),
                &format!(
                    "PAM {} more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}",
                    attempts - 1
                ),
            );
        }
    }

    fn attempts(&mut self) -> u32 {
        match self.rng.random_range(0..10) {
            0..=3 => 1,
            4..=6 => 2,
            7 => 3,
            8 => 4,
            _ => 6,
        }
    }

    fn brute_force(&mut self) {
        let target = self.rng.random_range(30..400);
        let single = chance(self.rng, 0.6);
        let pam = chance(self.rng, 0.5);
        let ip = self.ip.clone();
        while self.steps.len() < target {
            let user = if single {
                "root"
            } else {
                one(self.rng, BRUTE_USERS)
            };
            self.add_user(user);
            let attempts = self.attempts();
            self.failed_connection(&ip, user, attempts, pam);
        }
    }

    fn spraying(&mut self) {
        let n = self.rng.random_range(15..60);
        let mut users: Vec<&str> = SPRAY_USERS.to_vec();
        users.shuffle(self.rng);
        let ip = self.ip.clone();
        for &user in users.iter().take(n) {
            self.add_user(user);
            let attempts = if chance(self.rng, 0.7) { 1 } else { 2 };
            self.failed_connection(&ip, user, attempts, false);
        }
    }

    /// Many addresses, one account, a few attempts each; returns the extra addresses.
    fn distributed(&mut self, ips: &mut AttackerIps) -> Vec<u32> {
        let k = self.rng.random_range(10..40);
        let user = one(self.rng, &["root", "root", "admin", "ubuntu"]);
        self.add_user(user);
        let mut addrs = vec![self.ip.clone()];
        let mut extra = Vec::with_capacity(k);
        for _ in 1..k {
            let a = ips.alloc();
            extra.push(a);
            addrs.push(ip_string(a));
        }
        // Each address connects 1-3 times, in random order.
        let mut conns: Vec<usize> = Vec::new();
        for i in 0..addrs.len() {
            for _ in 0..self.rng.random_range(1..4) {
                conns.push(i);
            }
        }
        conns.shuffle(self.rng);
        for i in conns {
            let attempts = self.rng.random_range(1..3);
            let ip = addrs[i].clone();
            self.failed_connection(&ip, user, attempts, false);
        }
        extra
    }

    fn enumeration(&mut self) {
        let n = self.rng.random_range(20..100);
        let mut users: Vec<&str> = SPRAY_USERS
            .iter()
            .copied()
            .filter(|u| !is_valid(u))
            .collect();
        users.shuffle(self.rng);
        let ip = self.ip.clone();
        for i in 0..n {
            let base = users[i % users.len()];
            let user = if i < users.len() {
                base.to_string()
            } else {
                format!("{base}{}", i / users.len())
            };
            self.add_user(&user);
            let pid = self.model.next_pid(self.rng);
            let port = self.port();
            self.line(
                "sshd",
                Some(pid),
                &format!("Invalid user {user} from {ip} port {port}"),
            );
            let msg = if chance(self.rng, 0.7) {
                format!("Connection closed by invalid user {user} {ip} port {port} [preauth]")
            } else {
                format!("Disconnected from invalid user {user} {ip} port {port} [preauth]")
            };
            self.line("sshd", Some(pid), &msg);
        }
    }

    fn login(&mut self, user: &str, uid: u32, method: &str) {
        let pid = self.model.next_pid(self.rng);
        let port = self.port();
        let ip = self.ip.clone();
        self.line(
            "sshd",
            Some(pid),
            &format!("Accepted {method} for {user} from {ip} port {port} ssh2"),
        );
        self.line(
            "sshd",
            Some(pid),
            &format!(
                "pam_unix(sshd:session): session opened for user {user}(uid={uid}) by (uid=0)"
            ),
        );
        let session = self.model.next_session();
        self.line(
            "systemd-logind",
            Some(LOGIND_PID),
            &format!("New session {session} of user {user}."),
        );
    }

    fn compromise(&mut self) {
        let (user, uid) = one(self.rng, COMPROMISE_USERS);
        self.add_user(user);
        let fails = self.rng.random_range(8..40);
        let ip = self.ip.clone();
        let mut n = 0;
        while n < fails {
            let attempts = self.rng.random_range(1..4);
            n += attempts;
            self.failed_connection(&ip, user, attempts, false);
        }
        self.login(user, uid, "password");
    }

    fn sudo_line(&mut self, user: &str, what: &str, pwd: &str, cmd: &str) {
        let padded = format!("{user:>8}");
        self.line(
            "sudo",
            None,
            &format!("{padded} : {what}TTY=pts/1 ; PWD={pwd} ; USER=root ; COMMAND={cmd}"),
        );
    }

    fn sudo_denied(&mut self) {
        let (user, uid) = one(self.rng, PRIVESC_USERS);
        self.add_user(user);
        self.login(user, uid, "password");
        let pwd = format!("/home/{user}");
        let tries = self.rng.random_range(2..6);
        for _ in 0..tries {
            let cmd = one(
                self.rng,
                &[
                    "/bin/bash",
                    "/bin/bash",
                    "/usr/bin/cat /etc/shadow",
                    "/bin/su -",
                    "/usr/bin/passwd root",
                    "/usr/bin/vim /etc/sudoers",
                ],
            );
            match self.rng.random_range(0..4) {
                0 | 1 => self.sudo_line(user, "user NOT in sudoers ; ", &pwd, cmd),
                2 => {
                    self.line(
                        "sudo",
                        None,
                        &format!("pam_unix(sudo:auth): authentication failure; logname={user} uid={uid} euid=0 tty=/dev/pts/1 ruser={user} rhost=  user={user}"),
                    );
                    self.sudo_line(user, "3 incorrect password attempts ; ", &pwd, cmd);
                }
                _ => {
                    let pid = self.model.next_pid(self.rng);
                    self.line(
                        "su",
                        Some(pid),
                        &format!("pam_unix(su:auth): authentication failure; logname={user} uid={uid} euid=0 tty=/dev/pts/1 ruser={user} rhost=  user=root"),
                    );
                    self.line(
                        "su",
                        Some(pid),
                        &format!("FAILED SU (to root) {user} on pts/1"),
                    );
                }
            }
        }
    }

    fn root_shell_backdoor(&mut self) {
        let (user, uid) = one(self.rng, PRIVESC_USERS);
        let backdoor = one(self.rng, BACKDOORS);
        self.add_user(user);
        self.add_user(backdoor);
        let method = if chance(self.rng, 0.5) {
            "password"
        } else {
            "publickey"
        };
        self.login(user, uid, method);
        let shell = one(
            self.rng,
            &["/bin/bash", "/bin/bash", "/bin/sh", "/usr/bin/su -"],
        );
        self.sudo_line(user, "", "/tmp", shell);
        self.line(
            "sudo",
            None,
            &format!(
                "pam_unix(sudo:session): session opened for user root(uid=0) by {user}(uid={uid})"
            ),
        );
        let root_uid = chance(self.rng, 0.6);
        let (nuid, ngid) = if root_uid { (0, 0) } else { (1050, 1050) };
        if !root_uid {
            let pid = self.model.next_pid(self.rng);
            self.line(
                "groupadd",
                Some(pid),
                &format!("group added to /etc/group: name={backdoor}, GID={ngid}"),
            );
        }
        let pid = self.model.next_pid(self.rng);
        self.line(
            "useradd",
            Some(pid),
            &format!("new user: name={backdoor}, UID={nuid}, GID={ngid}, home=/home/{backdoor}, shell=/bin/bash, from=/dev/pts/1"),
        );
        let pid = self.model.next_pid(self.rng);
        self.line(
            "passwd",
            Some(pid),
            &format!("pam_unix(passwd:chauthtok): password changed for {backdoor}"),
        );
        if !root_uid {
            let pid = self.model.next_pid(self.rng);
            self.line(
                "usermod",
                Some(pid),
                &format!("add '{backdoor}' to group 'sudo'"),
            );
            self.line(
                "usermod",
                Some(pid),
                &format!("add '{backdoor}' to shadow group 'sudo'"),
            );
        }
        if chance(self.rng, 0.5) {
            self.login(backdoor, nuid, "password");
        }
    }
}
