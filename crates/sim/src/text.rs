//! Appending numbers, addresses and random tokens to an output buffer without
//! allocating.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Appends a decimal number.
#[inline]
pub(crate) fn push_num(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends an IPv4 address given as a big-endian `u32`.
#[inline]
pub(crate) fn push_ip(out: &mut Vec<u8>, ip: u32) {
    for (i, octet) in ip.to_be_bytes().into_iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        if octet >= 100 {
            out.push(b'0' + octet / 100);
        }
        if octet >= 10 {
            out.push(b'0' + octet / 10 % 10);
        }
        out.push(b'0' + octet % 10);
    }
}

/// The dotted text of an IPv4 address.
pub(crate) fn ip_string(ip: u32) -> String {
    std::net::Ipv4Addr::from(ip).to_string()
}

/// `a.b.c.d` as a big-endian `u32`.
pub(crate) const fn ip(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX: &[u8; 16] = b"0123456789abcdef";
const ALNUM: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Alphabets for [`push_token`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Alphabet {
    Base64Url,
    /// Standard base64; `+` and `/` are percent-encoded as they would be in a query.
    Base64StdEncoded,
    Base64Std,
    Hex,
    Alnum,
}

/// Appends `len` random characters of `alphabet`.
pub(crate) fn push_token(out: &mut Vec<u8>, rng: &mut ChaCha8Rng, alphabet: Alphabet, len: usize) {
    let mut bits = 0u64;
    let mut left = 0u32;
    for _ in 0..len {
        if left < 8 {
            bits = rng.random();
            left = 64;
        }
        let r = (bits & 0xff) as usize;
        bits >>= 8;
        left -= 8;
        match alphabet {
            Alphabet::Base64Url => out.push(B64URL[r % 64]),
            Alphabet::Base64Std => out.push(B64STD[r % 64]),
            Alphabet::Base64StdEncoded => match B64STD[r % 64] {
                b'+' => out.extend_from_slice(b"%2B"),
                b'/' => out.extend_from_slice(b"%2F"),
                c => out.push(c),
            },
            Alphabet::Hex => out.push(HEX[r % 16]),
            Alphabet::Alnum => out.push(ALNUM[r % 62]),
        }
    }
}

/// A random token as a `String` (for attack steps, which are built once per scenario).
pub(crate) fn token(rng: &mut ChaCha8Rng, alphabet: Alphabet, len: usize) -> String {
    let mut v = Vec::with_capacity(len * 3);
    push_token(&mut v, rng, alphabet, len);
    String::from_utf8(v).unwrap_or_default()
}

/// Appends `s` right-aligned in a field of `width` (like C's `%8s`).
pub(crate) fn push_right(out: &mut Vec<u8>, s: &str, width: usize) {
    for _ in s.len()..width {
        out.push(b' ');
    }
    out.extend_from_slice(s.as_bytes());
}

/// Appends a duration in seconds as ASA's `H:MM:SS`.
pub(crate) fn push_hms_duration(out: &mut Vec<u8>, secs: u32) {
    push_num(out, u64::from(secs / 3600));
    out.push(b':');
    let m = secs / 60 % 60;
    let s = secs % 60;
    out.extend_from_slice(&[
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b':',
        b'0' + (s / 10) as u8,
        b'0' + (s % 10) as u8,
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ip_text() {
        let mut v = Vec::new();
        push_ip(&mut v, ip(203, 0, 113, 7));
        v.push(b' ');
        push_ip(&mut v, ip(10, 100, 255, 0));
        assert_eq!(v, b"203.0.113.7 10.100.255.0");
        assert_eq!(ip_string(ip(198, 51, 100, 10)), "198.51.100.10");
    }

    #[test]
    fn tokens_and_padding() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let t = token(&mut rng, Alphabet::Hex, 40);
        assert_eq!(t.len(), 40);
        assert!(t.bytes().all(|b| b.is_ascii_hexdigit()));
        let mut v = Vec::new();
        push_right(&mut v, "bob", 8);
        push_right(&mut v, "mallory123", 8);
        assert_eq!(v, b"     bobmallory123");
        let mut d = Vec::new();
        push_hms_duration(&mut d, 3 * 3600 + 7 * 60 + 9);
        assert_eq!(d, b"3:07:09");
    }
}
