//! The canonical form of folded text (valid UTF-8, lower case, spaces
//! already mapped): SQL block comments, space runs, odd dot segments.
//!
//! - `/* ... */` → one space, when it closes within [`MAX_COMMENT`] bytes
//!   and holds no `/` (so `/a/*/b/*/c` path globs stay); MySQL's executable
//!   comment `/*!50000 union*/` keeps its content: ` union `.
//! - Runs of spaces → one space.
//! - Two or more dots, optionally Tomcat path parameters (`..;x=y`), then
//!   one or more slashes → `../` (`....//` is what a naive `../` filter
//!   turns into `../`; `..;/` is `..` to Tomcat).
//! - `/./` → `/`.
//!
//! Only ASCII bytes are looked at; other bytes are copied, whole
//! sequences at a time, so the output stays valid UTF-8.

/// Longest SQL comment that is removed.
pub(super) const MAX_COMMENT: usize = 256;

/// Appends the canonical form of `s` to `out`.
pub(super) fn canon(s: &[u8], out: &mut Vec<u8>) {
    let start_len = out.len();
    let mut in_versioned = false;
    let mut i = 0;
    let push_space = |out: &mut Vec<u8>| {
        if out.len() > start_len && out.last() == Some(&b' ') {
            return;
        }
        out.push(b' ');
    };
    while let Some(&b) = s.get(i) {
        match b {
            b' ' => {
                push_space(out);
                i += 1;
            }
            b'/' if s.get(i + 1) == Some(&b'*') => {
                let body = s.get(i + 2..).unwrap_or_default();
                let end = body.windows(2).take(MAX_COMMENT).position(|w| w == b"*/");
                match end {
                    Some(e) if !body.get(..e).unwrap_or_default().contains(&b'/') => {
                        push_space(out);
                        if body.first() == Some(&b'!') {
                            // Executable comment: drop `/*!` and the version.
                            let digits = body
                                .get(1..)
                                .unwrap_or_default()
                                .iter()
                                .take_while(|c| c.is_ascii_digit())
                                .count();
                            in_versioned = true;
                            i += 3 + digits;
                        } else {
                            i += 2 + e + 2;
                        }
                    }
                    _ => {
                        out.push(b);
                        i += 1;
                    }
                }
            }
            b'*' if in_versioned && s.get(i + 1) == Some(&b'/') => {
                in_versioned = false;
                push_space(out);
                i += 2;
            }
            b'.' if s.get(i + 1) == Some(&b'.') => {
                let dots = s
                    .get(i..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|&&c| c == b'.')
                    .count();
                let mut j = i + dots;
                // Tomcat path parameters: `..;jsessionid=x/`.
                if s.get(j) == Some(&b';') {
                    let params = s
                        .get(j..)
                        .unwrap_or_default()
                        .iter()
                        .take(64)
                        .take_while(|&&c| c != b'/' && c != b'?' && c != b' ')
                        .count();
                    j += params;
                }
                let slashes = s
                    .get(j..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|&&c| c == b'/')
                    .count();
                if slashes > 0 {
                    out.extend_from_slice(b"../");
                    i = j + slashes;
                    // `.././` → `../`.
                    while s.get(i) == Some(&b'.') && s.get(i + 1) == Some(&b'/') {
                        i += 2;
                        while s.get(i) == Some(&b'/') {
                            i += 1;
                        }
                    }
                } else {
                    out.extend_from_slice(s.get(i..i + dots).unwrap_or_default());
                    i += dots;
                }
            }
            b'/' if s.get(i + 1) == Some(&b'.') && s.get(i + 2) == Some(&b'/') => {
                // `/./` → `/` (the second slash is read next).
                i += 2;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> String {
        let mut out = Vec::new();
        canon(s.as_bytes(), &mut out);
        String::from_utf8(out).expect("valid UTF-8")
    }

    #[test]
    fn sql_comments() {
        assert_eq!(c("1/**/union/**/select/**/1"), "1 union select 1");
        assert_eq!(c("1/*foo bar*/or/*x*/1=1"), "1 or 1=1");
        assert_eq!(c("1 /*!50000union*/ /*!select*/ 2"), "1 union select 2");
        assert_eq!(c("/a/*/b/*/c"), "/a/*/b/*/c");
        assert_eq!(c("/static/*.js"), "/static/*.js");
        assert_eq!(c("1/*unclosed"), "1/*unclosed");
    }

    #[test]
    fn spaces() {
        assert_eq!(c("1    or  1=1"), "1 or 1=1");
        assert_eq!(c("  a"), " a");
    }

    #[test]
    fn dot_segments() {
        assert_eq!(c("....//....//etc/passwd"), "../../etc/passwd");
        assert_eq!(c("..;/..;/manager/html"), "../../manager/html");
        assert_eq!(c("..;jsessionid=1/x"), "../x");
        assert_eq!(c("..//..///x"), "../../x");
        assert_eq!(c("..././..././etc"), "../../etc");
        assert_eq!(c("/a/./b/./c"), "/a/b/c");
        assert_eq!(c("wait..."), "wait...");
        assert_eq!(c("/x/.."), "/x/..");
        assert_eq!(c("mozilla/5.0 (x11)"), "mozilla/5.0 (x11)");
        assert_eq!(c("http://a.b/c"), "http://a.b/c");
    }

    #[test]
    fn non_ascii_is_copied() {
        assert_eq!(c("東京  /*é*/ ..é"), "東京 ..é");
    }
}
