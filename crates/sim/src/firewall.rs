//! `firewall.log`: Cisco ASA syslog of `fw01`, guarding an inside LAN
//! (`10.0.1.0/24`, PAT to `192.0.2.1`) and a DMZ web server (`10.0.0.5`,
//! published as `192.0.2.80`).
//!
//! Benign traffic: outbound TCP with dynamic translations (302013/305011, then
//! 302014/305012 teardowns with duration and bytes), DNS over UDP
//! (302015/302016), inbound HTTPS to the web server (106100 permitted,
//! 302013/302014), isolated denies (a stray 106015 after a teardown, a single
//! 106023 from an internet host; at most one per host per 15 minutes), and an
//! administrator's SSH session on the firewall (605005, 111008).
//!
//! Attacks: port scans from one address: vertical TCP scans of one host (106023,
//! 106001 or 106100 denied; 302013/302014 for open ports; 733101 "is
//! attacking"), horizontal sweeps of one port across hosts (or ICMP echo), and
//! UDP scans.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::pick::{Deferred, Weighted, chance, one};
use crate::pool::{
    AttackerIps, CLIENT_BLOCKS, FW_OUTSIDE, RESOLVER, SERVER_BLOCKS, WEB_SERVER, WEB_VIP,
    draw_hosts,
};
use crate::scenario::{AttackCategory, Plan, Step};
use crate::text::{Alphabet, ip, ip_string, push_hms_duration, push_ip, push_num, push_token};

const HOST: &str = "fw01";
const MIN: i64 = 60_000;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Later {
    /// A connection's "built" line that follows a translation or ACL line.
    Built {
        conn: u32,
        outside: u32,
        oport: u16,
        inside: u32,
        iport: u16,
        inbound: bool,
    },
    TcpTeardown {
        conn: u32,
        outside: u32,
        oport: u16,
        inside: u32,
        iport: u16,
        inbound: bool,
        secs: u32,
        bytes: u32,
        reason: u8,
        xlate: bool,
    },
    XlateTeardown {
        inside: u32,
        iport: u16,
        secs: u32,
    },
    UdpTeardown {
        conn: u32,
        inside: u32,
        iport: u16,
        bytes: u32,
    },
}

const REASONS: &[&str] = &[
    "TCP FINs",
    "TCP FINs",
    "TCP FINs",
    "TCP Reset-I",
    "TCP Reset-O",
    "Idle Timeout",
];

#[derive(Debug, Clone, Copy)]
enum Action {
    Outbound,
    Dns,
    Inbound,
    Stray,
    Admin,
}

const ACTIONS: &[(Action, u64)] = &[
    (Action::Outbound, 400),
    (Action::Dns, 200),
    (Action::Inbound, 300),
    (Action::Stray, 15),
    (Action::Admin, 2),
];

const ADMIN_COMMANDS: &[&str] = &[
    "show running-config",
    "show conn count",
    "show access-list outside_in",
    "show interface",
    "write memory",
];

/// The benign firewall model and the port scan planner.
pub(crate) struct FwModel {
    conn: u32,
    servers: Vec<u32>,
    server_activity: Weighted,
    server_last_deny: Vec<i64>,
    peers: Vec<u32>,
    peer_activity: Weighted,
    peer_last_deny: Vec<i64>,
    later: Deferred<Later>,
    actions: Weighted,
}

fn push_head(out: &mut Vec<u8>, stamp: &[u8], id: &str) {
    out.extend_from_slice(stamp);
    out.extend_from_slice(b" fw01 : %ASA-");
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(b": ");
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
}

fn push_addr(out: &mut Vec<u8>, a: u32, port: u16) {
    push_ip(out, a);
    out.push(b'/');
    push_num(out, u64::from(port));
}

impl FwModel {
    pub(crate) fn new(rng: &mut ChaCha8Rng) -> Self {
        let servers = draw_hosts(rng, SERVER_BLOCKS, 300);
        let peers = draw_hosts(rng, CLIENT_BLOCKS, 600);
        FwModel {
            conn: rng.random_range(1_000_000..90_000_000),
            server_activity: Weighted::zipf(servers.len(), 3.0),
            server_last_deny: vec![i64::MIN / 2; servers.len()],
            servers,
            peer_activity: Weighted::zipf(peers.len(), 5.0),
            peer_last_deny: vec![i64::MIN / 2; peers.len()],
            peers,
            later: Deferred::new(),
            actions: Weighted::new(ACTIONS.iter().map(|a| a.1)),
        }
    }

    fn next_conn(&mut self, rng: &mut ChaCha8Rng) -> u32 {
        self.conn = self.conn.wrapping_add(rng.random_range(1..4));
        self.conn
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
            return self.write_later(line, l, stamp, out);
        }
        match ACTIONS[self.actions.sample(rng)].0 {
            Action::Outbound => {
                let inside = ip(10, 0, 1, rng.random_range(10..=250));
                let iport: u16 = rng.random_range(49_152..65_535);
                let server = self.servers[self.server_activity.sample(rng)];
                let oport = if chance(rng, 0.85) { 443 } else { 80 };
                let xlate = chance(rng, 0.3);
                if xlate {
                    push_head(out, stamp, "6-305011");
                    push_str(out, "Built dynamic TCP translation from inside:");
                    push_addr(out, inside, iport);
                    push_str(out, " to outside:");
                    push_addr(out, FW_OUTSIDE, iport);
                    out.push(b'\n');
                }
                let conn = self.next_conn(rng);
                if xlate {
                    let built = Later::Built {
                        conn,
                        outside: server,
                        oport,
                        inside,
                        iport,
                        inbound: false,
                    };
                    self.later.push(line + 1, built);
                } else {
                    write_built(out, stamp, conn, server, oport, inside, iport, false);
                }
                let secs = rng.random_range(0..600);
                let t = Later::TcpTeardown {
                    conn,
                    outside: server,
                    oport,
                    inside,
                    iport,
                    inbound: false,
                    secs,
                    bytes: rng.random_range(600..2_000_000),
                    reason: rng.random_range(0..REASONS.len() as u8),
                    xlate,
                };
                self.later.push(line + rng.random_range(2..3_000), t);
            }
            Action::Dns => {
                let inside = ip(10, 0, 1, rng.random_range(2..=4));
                let iport: u16 = rng.random_range(1_024..65_535);
                let conn = self.next_conn(rng);
                push_head(out, stamp, "6-302015");
                push_str(out, "Built outbound UDP connection ");
                push_num(out, u64::from(conn));
                push_str(out, " for outside:");
                push_addr(out, RESOLVER, 53);
                push_str(out, " (");
                push_addr(out, RESOLVER, 53);
                push_str(out, ") to inside:");
                push_addr(out, inside, iport);
                push_str(out, " (");
                push_addr(out, FW_OUTSIDE, iport);
                push_str(out, ")\n");
                let t = Later::UdpTeardown {
                    conn,
                    inside,
                    iport,
                    bytes: rng.random_range(60..600),
                };
                self.later.push(line + rng.random_range(1..30), t);
            }
            Action::Inbound => {
                let peer = self.peers[self.peer_activity.sample(rng)];
                let pport: u16 = rng.random_range(1_024..65_535);
                let conn = self.next_conn(rng);
                if chance(rng, 0.2) {
                    push_head(out, stamp, "6-106100");
                    push_str(out, "access-list outside_in permitted tcp outside/");
                    push_ip(out, peer);
                    out.push(b'(');
                    push_num(out, u64::from(pport));
                    push_str(out, ") -> dmz/");
                    push_ip(out, WEB_SERVER);
                    push_str(out, "(443) hit-cnt 1 first hit [0x");
                    push_token(out, rng, Alphabet::Hex, 8);
                    push_str(out, ", 0x0]\n");
                    let built = Later::Built {
                        conn,
                        outside: peer,
                        oport: pport,
                        inside: WEB_SERVER,
                        iport: 443,
                        inbound: true,
                    };
                    self.later.push(line + 1, built);
                } else {
                    write_built(out, stamp, conn, peer, pport, WEB_SERVER, 443, true);
                }
                let t = Later::TcpTeardown {
                    conn,
                    outside: peer,
                    oport: pport,
                    inside: WEB_SERVER,
                    iport: 443,
                    inbound: true,
                    secs: rng.random_range(0..120),
                    bytes: rng.random_range(2_000..900_000),
                    reason: rng.random_range(0..REASONS.len() as u8),
                    xlate: false,
                };
                self.later.push(line + rng.random_range(2..2_000), t);
            }
            Action::Stray => {
                if chance(rng, 0.6) {
                    let i = self.server_activity.sample(rng);
                    if now - self.server_last_deny[i] < 15 * MIN {
                        return self.benign(rng, line, now, stamp, out);
                    }
                    self.server_last_deny[i] = now;
                    push_head(out, stamp, "6-106015");
                    push_str(out, "Deny TCP (no connection) from ");
                    push_addr(out, self.servers[i], 443);
                    push_str(out, " to ");
                    push_addr(
                        out,
                        ip(10, 0, 1, rng.random_range(10..=250)),
                        rng.random_range(49_152..65_535),
                    );
                    push_str(
                        out,
                        if chance(rng, 0.5) {
                            " flags RST ACK"
                        } else {
                            " flags FIN ACK"
                        },
                    );
                    push_str(out, " on interface outside\n");
                } else {
                    let i = self.peer_activity.sample(rng);
                    if now - self.peer_last_deny[i] < 15 * MIN {
                        return self.benign(rng, line, now, stamp, out);
                    }
                    self.peer_last_deny[i] = now;
                    push_head(out, stamp, "4-106023");
                    push_str(out, "Deny tcp src outside:");
                    push_addr(out, self.peers[i], rng.random_range(1_024..65_535));
                    push_str(out, " dst dmz:");
                    push_addr(out, WEB_SERVER, one(rng, &[8080u16, 8443, 21, 22]));
                    push_str(out, " by access-group \"outside_in\" [0x0, 0x0]\n");
                }
            }
            Action::Admin => {
                if chance(rng, 0.3) {
                    push_head(out, stamp, "6-605005");
                    push_str(out, "Login permitted from ");
                    push_addr(out, ip(10, 0, 1, 5), rng.random_range(49_152..65_535));
                    push_str(out, " to inside:10.0.1.1/ssh for user \"netadmin\"\n");
                } else {
                    push_head(out, stamp, "5-111008");
                    push_str(out, "User 'netadmin' executed the '");
                    push_str(out, one(rng, ADMIN_COMMANDS));
                    push_str(out, "' command.\n");
                }
            }
        }
    }

    pub(crate) const SCENARIOS: usize = 3;

    /// Plans attack scenario number `ty` (0..SCENARIOS).
    pub(crate) fn plan(&mut self, ty: usize, rng: &mut ChaCha8Rng, ips: &mut AttackerIps) -> Plan {
        let addr = ips.alloc();
        let (scenario, steps, intensity) = match ty {
            0 => (
                "port_scan_vertical",
                self.vertical(rng, addr),
                rng.random_range(0.1..0.6),
            ),
            1 => (
                "port_scan_horizontal",
                horizontal(rng, addr),
                rng.random_range(0.05..0.3),
            ),
            _ => (
                "port_scan_udp",
                udp_scan(rng, addr),
                rng.random_range(0.05..0.3),
            ),
        };
        Plan {
            scenario,
            category: AttackCategory::PortScan,
            ips: vec![addr],
            users: Vec::new(),
            intensity,
            steps,
        }
    }

    fn vertical(&mut self, rng: &mut ChaCha8Rng, addr: u32) -> Vec<Step> {
        let src = ip_string(addr);
        let target = if chance(rng, 0.6) {
            WEB_SERVER
        } else {
            ip(10, 0, 0, rng.random_range(6..=12))
        };
        let dst = ip_string(target);
        let n = rng.random_range(60..1000usize);
        let mut ports: Vec<u16> = TOP_PORTS.to_vec();
        ports.shuffle(rng);
        let mut more: Vec<u16> = (1..=1024u16)
            .chain(1025..=9999)
            .filter(|p| !TOP_PORTS.contains(p))
            .collect();
        more[..1024 - 1].shuffle(rng);
        ports.extend(more);
        let fixed_sport: Option<u16> = chance(rng, 0.7).then(|| rng.random_range(30_000..65_000));
        let style = rng.random_range(0..3);
        let mut steps = Vec::with_capacity(n + 8);
        let mut count = rng.random_range(100..5_000u32);
        for (i, &port) in ports.iter().take(n).enumerate() {
            let sport = fixed_sport.unwrap_or_else(|| rng.random_range(1_024..65_535));
            if target == WEB_SERVER && (port == 80 || port == 443) {
                let conn = self.next_conn(rng);
                let vip_port = port;
                steps.push(asa(&format!(
                    "6-302013: Built inbound TCP connection {conn} for outside:{src}/{sport} ({src}/{sport}) to dmz:{dst}/{port} ({}/{vip_port})",
                    ip_string(WEB_VIP)
                )));
                steps.push(asa(&format!(
                    "6-302014: Teardown TCP connection {conn} for outside:{src}/{sport} to dmz:{dst}/{port} duration 0:00:00 bytes 0 TCP Reset-O"
                )));
                continue;
            }
            let msg = match (style + usize::from(chance(rng, 0.1))) % 3 {
                0 => format!(
                    "4-106023: Deny tcp src outside:{src}/{sport} dst dmz:{dst}/{port} by access-group \"outside_in\" [0x0, 0x0]"
                ),
                1 => format!(
                    "2-106001: Inbound TCP connection denied from {src}/{sport} to {dst}/{port} flags SYN on interface outside"
                ),
                _ => format!(
                    "6-106100: access-list outside_in denied tcp outside/{src}({sport}) -> dmz/{dst}({port}) hit-cnt 1 first hit [0x91c26a3a, 0x0]"
                ),
            };
            steps.push(asa(&msg));
            if i > 0 && i % 150 == 0 {
                count += 150 + rng.random_range(0..400);
                steps.push(asa(&format!(
                    "4-733101: Host {src} is attacking. Current burst rate is {} per second, max configured rate is 10; Current average rate is {} per second, max configured rate is 5; Cumulative total count is {count}",
                    rng.random_range(11..60),
                    rng.random_range(6..30)
                )));
            }
        }
        steps
    }
}

fn asa(msg: &str) -> Step {
    let mut text = String::with_capacity(msg.len() + 16);
    text.push(' ');
    text.push_str(HOST);
    text.push_str(" : %ASA-");
    text.push_str(msg);
    Step { text, split: 0 }
}

const TOP_PORTS: &[u16] = &[
    21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1433, 1521, 1723, 2049,
    3306, 3389, 5432, 5900, 5985, 6379, 8000, 8080, 8443, 8888, 9200, 11211, 27017,
];

const SWEEP_PORTS: &[u16] = &[22, 23, 445, 3389, 5900, 6379, 8080, 1433];

fn horizontal(rng: &mut ChaCha8Rng, addr: u32) -> Vec<Step> {
    let src = ip_string(addr);
    let n = rng.random_range(30..250usize);
    let mut hosts: Vec<u8> = (1..=254).collect();
    if chance(rng, 0.5) {
        hosts.shuffle(rng);
    }
    let icmp = chance(rng, 0.25);
    let port = one(rng, SWEEP_PORTS);
    let sport: u16 = rng.random_range(30_000..65_000);
    let net = one(rng, &[0u8, 1]);
    let iface = if net == 0 { "dmz" } else { "inside" };
    let mut steps = Vec::with_capacity(n);
    for &h in hosts.iter().take(n) {
        let dst = format!("10.0.{net}.{h}");
        let msg = if icmp {
            format!(
                "4-106023: Deny icmp src outside:{src} dst {iface}:{dst} (type 8, code 0) by access-group \"outside_in\" [0x0, 0x0]"
            )
        } else {
            format!(
                "4-106023: Deny tcp src outside:{src}/{sport} dst {iface}:{dst}/{port} by access-group \"outside_in\" [0x0, 0x0]"
            )
        };
        steps.push(asa(&msg));
    }
    steps
}

const UDP_PORTS: &[u16] = &[
    53, 67, 69, 123, 137, 161, 500, 514, 520, 1900, 4500, 5060, 5353, 11211, 1434, 47808,
];

fn udp_scan(rng: &mut ChaCha8Rng, addr: u32) -> Vec<Step> {
    let src = ip_string(addr);
    let dst = ip_string(if chance(rng, 0.5) {
        WEB_SERVER
    } else {
        ip(10, 0, 0, rng.random_range(6..=12))
    });
    let n = rng.random_range(30..300usize);
    let mut ports: Vec<u16> = UDP_PORTS.to_vec();
    ports.shuffle(rng);
    let mut rest: Vec<u16> = (1..=2000u16).filter(|p| !UDP_PORTS.contains(p)).collect();
    rest.shuffle(rng);
    ports.extend(rest);
    let sport: u16 = rng.random_range(30_000..65_000);
    let mut steps = Vec::with_capacity(n);
    for &port in ports.iter().take(n) {
        let msg = if chance(rng, 0.8) {
            format!(
                "4-106023: Deny udp src outside:{src}/{sport} dst dmz:{dst}/{port} by access-group \"outside_in\" [0x0, 0x0]"
            )
        } else {
            format!(
                "6-106100: access-list outside_in denied udp outside/{src}({sport}) -> dmz/{dst}({port}) hit-cnt 1 first hit [0x91c26a3a, 0x0]"
            )
        };
        steps.push(asa(&msg));
    }
    steps
}

#[allow(clippy::too_many_arguments)]
fn write_built(
    out: &mut Vec<u8>,
    stamp: &[u8],
    conn: u32,
    outside: u32,
    oport: u16,
    inside: u32,
    iport: u16,
    inbound: bool,
) {
    push_head(out, stamp, "6-302013");
    push_str(
        out,
        if inbound {
            "Built inbound TCP connection "
        } else {
            "Built outbound TCP connection "
        },
    );
    push_num(out, u64::from(conn));
    push_str(out, " for outside:");
    push_addr(out, outside, oport);
    push_str(out, " (");
    push_addr(out, outside, oport);
    push_str(out, if inbound { ") to dmz:" } else { ") to inside:" });
    push_addr(out, inside, iport);
    push_str(out, " (");
    push_addr(out, if inbound { WEB_VIP } else { FW_OUTSIDE }, iport);
    push_str(out, ")\n");
}

impl FwModel {
    fn write_later(&mut self, line: u64, l: Later, stamp: &[u8], out: &mut Vec<u8>) {
        match l {
            Later::Built {
                conn,
                outside,
                oport,
                inside,
                iport,
                inbound,
            } => {
                write_built(out, stamp, conn, outside, oport, inside, iport, inbound);
            }
            Later::TcpTeardown {
                conn,
                outside,
                oport,
                inside,
                iport,
                inbound,
                secs,
                bytes,
                reason,
                xlate,
            } => {
                push_head(out, stamp, "6-302014");
                push_str(out, "Teardown TCP connection ");
                push_num(out, u64::from(conn));
                push_str(out, " for outside:");
                push_addr(out, outside, oport);
                push_str(out, if inbound { " to dmz:" } else { " to inside:" });
                push_addr(out, inside, iport);
                push_str(out, " duration ");
                push_hms_duration(out, secs);
                push_str(out, " bytes ");
                push_num(out, u64::from(bytes));
                out.push(b' ');
                push_str(out, REASONS[reason as usize % REASONS.len()]);
                out.push(b'\n');
                if xlate {
                    // The translation outlives its connection by the xlate timeout.
                    self.later.push(
                        line + 1,
                        Later::XlateTeardown {
                            inside,
                            iport,
                            secs: secs + 30,
                        },
                    );
                }
            }
            Later::XlateTeardown {
                inside,
                iport,
                secs,
            } => {
                push_head(out, stamp, "6-305012");
                push_str(out, "Teardown dynamic TCP translation from inside:");
                push_addr(out, inside, iport);
                push_str(out, " to outside:");
                push_addr(out, FW_OUTSIDE, iport);
                push_str(out, " duration ");
                push_hms_duration(out, secs);
                out.push(b'\n');
            }
            Later::UdpTeardown {
                conn,
                inside,
                iport,
                bytes,
            } => {
                push_head(out, stamp, "6-302016");
                push_str(out, "Teardown UDP connection ");
                push_num(out, u64::from(conn));
                push_str(out, " for outside:");
                push_addr(out, RESOLVER, 53);
                push_str(out, " to inside:");
                push_addr(out, inside, iport);
                push_str(out, " duration 0:00:00 bytes ");
                push_num(out, u64::from(bytes));
                out.push(b'\n');
            }
        }
    }
}
