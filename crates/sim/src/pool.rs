//! The address plan: which ranges benign hosts and attackers come from
//! (the table is in the crate documentation). Benign and attacker ranges are
//! disjoint, so any address in a line tells whether it belongs to an attack.

use std::collections::HashSet;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::Kind;
use crate::text::ip;

pub(crate) const CLIENT_BLOCKS: &[(u8, u8)] = &[
    (24, 114),
    (68, 180),
    (71, 205),
    (76, 88),
    (81, 152),
    (86, 21),
    (92, 40),
    (98, 210),
    (109, 76),
    (151, 44),
    (174, 62),
    (178, 19),
    (188, 120),
    (2, 30),
];

pub(crate) const SERVER_BLOCKS: &[(u8, u8)] = &[
    (13, 107),
    (20, 42),
    (34, 120),
    (35, 186),
    (52, 85),
    (99, 84),
];

pub(crate) const WEB_ATTACKER_BLOCKS: &[(u8, u8)] = &[(45, 134), (185, 191), (193, 32)];
pub(crate) const AUTH_ATTACKER_BLOCKS: &[(u8, u8)] = &[(61, 177), (218, 92), (141, 98)];
pub(crate) const FW_ATTACKER_BLOCKS: &[(u8, u8)] = &[(89, 248), (194, 26), (80, 66)];

/// Firewall outside interface (PAT address).
pub(crate) const FW_OUTSIDE: u32 = ip(192, 0, 2, 1);
/// Public address of the web server in the DMZ.
pub(crate) const WEB_VIP: u32 = ip(192, 0, 2, 80);
/// Upstream DNS resolver.
pub(crate) const RESOLVER: u32 = ip(192, 0, 2, 53);
/// Mail relay that delivers to us.
pub(crate) const MAIL_RELAY: u32 = ip(192, 0, 2, 25);
/// The web server in the DMZ.
pub(crate) const WEB_SERVER: u32 = ip(10, 0, 0, 5);

/// Addresses whose first two octets are one of `blocks`.
fn in_blocks(addr: u32, blocks: &[(u8, u8)]) -> bool {
    let [a, b, _, _] = addr.to_be_bytes();
    blocks.iter().any(|&(x, y)| x == a && y == b)
}

/// Whether `addr` is in one of the attacker ranges (of any kind) or `203.0.113.0/24`.
pub(crate) fn is_attacker(addr: u32) -> bool {
    in_blocks(addr, WEB_ATTACKER_BLOCKS)
        || in_blocks(addr, AUTH_ATTACKER_BLOCKS)
        || in_blocks(addr, FW_ATTACKER_BLOCKS)
        || addr >> 8 == ip(203, 0, 113, 0) >> 8
}

/// `n` distinct random host addresses (last octet 1..=254) from `blocks`.
pub(crate) fn draw_hosts(rng: &mut ChaCha8Rng, blocks: &[(u8, u8)], n: usize) -> Vec<u32> {
    let mut seen = HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let (a, b) = blocks[rng.random_range(0..blocks.len())];
        let addr = ip(a, b, rng.random(), rng.random_range(1..=254));
        if seen.insert(addr) {
            out.push(addr);
        }
    }
    out
}

/// Hands out distinct attacker addresses for one kind: a seed-keyed bijection
/// of a counter onto the host part, spread over the kind's blocks.
#[derive(Debug)]
pub(crate) struct AttackerIps {
    blocks: &'static [(u8, u8)],
    next: u32,
    key: [u16; 3],
}

impl AttackerIps {
    pub(crate) fn new(kind: Kind, rng: &mut ChaCha8Rng) -> Self {
        let blocks = match kind {
            Kind::ApacheCombined => WEB_ATTACKER_BLOCKS,
            Kind::AuthSyslog => AUTH_ATTACKER_BLOCKS,
            Kind::CiscoAsa => FW_ATTACKER_BLOCKS,
        };
        AttackerIps {
            blocks,
            next: 0,
            key: [
                rng.random(),
                rng.random::<u16>() | 1,
                rng.random::<u16>() | 1,
            ],
        }
    }

    /// A permutation of u16 (xor-shifts and odd multipliers are bijections).
    fn permute(&self, x: u16) -> u16 {
        let mut x = x ^ self.key[0];
        x = x.wrapping_mul(self.key[1]);
        x ^= x >> 7;
        x = x.wrapping_mul(self.key[2]);
        x ^= x >> 9;
        x.wrapping_mul(0x9e37 | 1)
    }

    /// A fresh address, never handed out before by this allocator (for the
    /// first 3 × 65,536 calls, far more than any corpus needs).
    pub(crate) fn alloc(&mut self) -> u32 {
        loop {
            let n = self.next;
            self.next = self.next.wrapping_add(1);
            let low = (n & 0xffff) as u16;
            let host = self.permute(low);
            // Same low counter bits → same host; the high bits pick another block.
            let pick =
                (usize::from(self.permute(host ^ 0x5bd1)) + (n >> 16) as usize) % self.blocks.len();
            let block = self.blocks[pick];
            let [c, d] = host.to_be_bytes();
            if d != 0 && d != 255 {
                return ip(block.0, block.1, c, d);
            }
        }
    }

    /// A host in `203.0.113.0/24`, used as a payload download server.
    pub(crate) fn download_host(rng: &mut ChaCha8Rng) -> u32 {
        ip(203, 0, 113, rng.random_range(2..=254))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn attacker_addresses_are_distinct_and_attacker() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut a = AttackerIps::new(Kind::AuthSyslog, &mut rng);
        let mut seen = HashSet::new();
        for _ in 0..100_000 {
            let x = a.alloc();
            assert!(is_attacker(x));
            assert!(seen.insert(x));
        }
    }

    #[test]
    fn benign_hosts_are_not_attacker() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for x in draw_hosts(&mut rng, CLIENT_BLOCKS, 2000)
            .into_iter()
            .chain(draw_hosts(&mut rng, SERVER_BLOCKS, 500))
        {
            assert!(!is_attacker(x));
        }
        for x in [
            FW_OUTSIDE,
            WEB_VIP,
            RESOLVER,
            MAIL_RELAY,
            WEB_SERVER,
            ip(198, 51, 100, 10),
        ] {
            assert!(!is_attacker(x));
        }
    }
}
