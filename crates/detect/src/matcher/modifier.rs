//! Sigma field modifiers: `field|mod|mod` → the field name and what to do
//! with the values. The modifier families live in their own files (`glob`:
//! plain/contains/startswith/endswith/cased, `regex`, `cidr`, `number`,
//! `encoding`: base64/base64offset/windash, `inject`: the LogSentinel
//! extensions `sqli` and `xss`); this file only reads and checks the chain,
//! so adding a modifier touches the table below and its family.

use super::inject::Kind as InjectKind;
use super::number::Cmp;
use super::regex::ReFlags;

/// What a field's values are compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// Plain value: whole-value match with wildcards.
    Eq,
    Contains,
    StartsWith,
    EndsWith,
    Re,
    Cidr,
    Exists,
    Cmp(Cmp),
    /// `sqli` / `xss`: libinjection finds an injection (value true/false).
    Inject(InjectKind),
}

/// A transform of the value before matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transform {
    None,
    Base64,
    Base64Offset,
    Windash,
}

/// The text encoding a value is turned into before `base64`/`base64offset`
/// (`utf16le`/`wide`, `utf16be`, `utf16`: PowerShell's `-EncodedCommand`
/// is base64 of UTF-16LE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Utf16 {
    /// UTF-8, as written.
    None,
    Le,
    Be,
    /// Little-endian after a byte order mark.
    Bom,
}

/// A parsed modifier chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mods {
    pub op: Op,
    /// `all`: every value must match (default: any).
    pub all: bool,
    /// `cased`: case-sensitive string match.
    pub cased: bool,
    pub transform: Transform,
    pub utf16: Utf16,
    pub re: ReFlags,
}

/// Every modifier name, for error messages.
pub(crate) const SUPPORTED: &str = "contains, startswith, endswith, all, re (with i, m, s), cidr, \
     exists, lt, lte, gt, gte, cased, base64, base64offset, utf16le (wide), utf16be, utf16, windash, \
     sqli, xss";

/// Splits `field|mod|...` and checks the modifiers. The error is the
/// reason, meant to be shown with the key's line.
pub(crate) fn parse(key: &str) -> Result<(&str, Mods), String> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or("").trim();
    let mut mods = Mods {
        op: Op::Eq,
        all: false,
        cased: false,
        transform: Transform::None,
        utf16: Utf16::None,
        re: ReFlags::default(),
    };
    let mut op_name: Option<&str> = None;
    let mut set_op = |mods: &mut Mods, op: Op, name: &str| -> Result<(), String> {
        if let Some(prev) = op_name {
            return Err(format!(
                "conflicting modifiers `{prev}` and `{name}` in `{key}`"
            ));
        }
        op_name = Some(match op {
            Op::Contains => "contains",
            Op::StartsWith => "startswith",
            Op::EndsWith => "endswith",
            Op::Re => "re",
            Op::Cidr => "cidr",
            Op::Exists => "exists",
            Op::Cmp(c) => c.as_str(),
            Op::Inject(k) => k.as_str(),
            Op::Eq => "",
        });
        mods.op = op;
        Ok(())
    };
    let mut re_flag_seen = None;
    for m in parts {
        let m = m.trim();
        match m {
            "contains" => set_op(&mut mods, Op::Contains, m)?,
            "startswith" => set_op(&mut mods, Op::StartsWith, m)?,
            "endswith" => set_op(&mut mods, Op::EndsWith, m)?,
            "re" => set_op(&mut mods, Op::Re, m)?,
            "cidr" => set_op(&mut mods, Op::Cidr, m)?,
            "exists" => set_op(&mut mods, Op::Exists, m)?,
            "lt" => set_op(&mut mods, Op::Cmp(Cmp::Lt), m)?,
            "lte" => set_op(&mut mods, Op::Cmp(Cmp::Lte), m)?,
            "gt" => set_op(&mut mods, Op::Cmp(Cmp::Gt), m)?,
            "gte" => set_op(&mut mods, Op::Cmp(Cmp::Gte), m)?,
            "sqli" => set_op(&mut mods, Op::Inject(InjectKind::Sqli), m)?,
            "xss" => set_op(&mut mods, Op::Inject(InjectKind::Xss), m)?,
            "all" => mods.all = true,
            "cased" => mods.cased = true,
            "i" | "m" | "s" => {
                match m {
                    "i" => mods.re.case_insensitive = true,
                    "m" => mods.re.multi_line = true,
                    _ => mods.re.dot_all = true,
                }
                re_flag_seen = Some(m);
            }
            "base64" | "base64offset" | "windash" => {
                if mods.transform != Transform::None {
                    return Err(format!(
                        "only one of base64, base64offset, windash may be used, in `{key}`"
                    ));
                }
                mods.transform = match m {
                    "base64" => Transform::Base64,
                    "base64offset" => Transform::Base64Offset,
                    _ => Transform::Windash,
                };
            }
            "utf16le" | "wide" | "utf16be" | "utf16" => {
                if mods.utf16 != Utf16::None {
                    return Err(format!(
                        "only one of utf16le, wide, utf16be, utf16 may be used, in `{key}`"
                    ));
                }
                if mods.transform != Transform::None {
                    return Err(format!(
                        "`{m}` must come before base64/base64offset, in `{key}`"
                    ));
                }
                mods.utf16 = match m {
                    "utf16be" => Utf16::Be,
                    "utf16" => Utf16::Bom,
                    _ => Utf16::Le,
                };
            }
            "" => return Err(format!("empty modifier in `{key}`")),
            other => {
                return Err(format!(
                    "unknown modifier `{other}` in `{key}` (supported: {SUPPORTED})"
                ));
            }
        }
    }
    let string_op = matches!(
        mods.op,
        Op::Eq | Op::Contains | Op::StartsWith | Op::EndsWith
    );
    if let Some(flag) = re_flag_seen
        && mods.op != Op::Re
    {
        return Err(format!(
            "modifier `{flag}` only applies to `re`, in `{key}`"
        ));
    }
    if mods.utf16 != Utf16::None
        && !matches!(mods.transform, Transform::Base64 | Transform::Base64Offset)
    {
        return Err(format!(
            "utf16le/wide/utf16be/utf16 only apply before base64 or base64offset, in `{key}`"
        ));
    }
    if mods.cased && !string_op {
        return Err(format!(
            "modifier `cased` only applies to plain, contains, startswith and endswith values, in `{key}`"
        ));
    }
    if mods.transform != Transform::None && !string_op {
        return Err(format!(
            "base64/base64offset/windash only apply to plain, contains, startswith and endswith values, in `{key}`"
        ));
    }
    if mods.all && mods.op == Op::Exists {
        return Err(format!("`all` makes no sense with `exists`, in `{key}`"));
    }
    if let Op::Inject(k) = mods.op
        && mods.all
    {
        return Err(format!(
            "`all` makes no sense with `{}`, in `{key}`",
            k.as_str()
        ));
    }
    Ok((field, mods))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains() {
        let (f, m) = parse("url.original|contains|all").unwrap();
        assert_eq!(f, "url.original");
        assert_eq!((m.op, m.all, m.cased), (Op::Contains, true, false));
        let (_, m) = parse("CommandLine|windash|contains").unwrap();
        assert_eq!((m.op, m.transform), (Op::Contains, Transform::Windash));
        let (_, m) = parse("a|re|i|s").unwrap();
        assert!(m.re.case_insensitive && m.re.dot_all && !m.re.multi_line);
        let (_, m) = parse("a|gte").unwrap();
        assert_eq!(m.op, Op::Cmp(Cmp::Gte));
        let (f, m) = parse("|re").unwrap();
        assert_eq!((f, m.op), ("", Op::Re));
        let (f, m) = parse("user.name").unwrap();
        assert_eq!((f, m.op), ("user.name", Op::Eq));
        assert!(parse("a|startswith|cased").unwrap().1.cased);
        let (f, m) = parse("url.decoded|sqli").unwrap();
        assert_eq!((f, m.op), ("url.decoded", Op::Inject(InjectKind::Sqli)));
        assert_eq!(parse("q|xss").unwrap().1.op, Op::Inject(InjectKind::Xss));
        for (key, want) in [
            ("c|wide|base64offset|contains", Utf16::Le),
            ("c|utf16le|base64", Utf16::Le),
            ("c|utf16be|base64offset|contains", Utf16::Be),
            ("c|utf16|base64", Utf16::Bom),
        ] {
            assert_eq!(parse(key).unwrap().1.utf16, want, "{key}");
        }
    }

    #[test]
    fn refused() {
        for (key, msg) in [
            ("a|contain", "unknown modifier `contain`"),
            (
                "a|contains|endswith",
                "conflicting modifiers `contains` and `endswith`",
            ),
            ("a|re|contains", "conflicting modifiers"),
            ("a|i", "only applies to `re`"),
            ("a|contains|i", "only applies to `re`"),
            ("a|re|cased", "`cased` only applies"),
            ("a|cidr|base64", "only apply to plain"),
            ("a|base64|windash", "only one of"),
            ("a|exists|all", "`all` makes no sense"),
            ("a||contains", "empty modifier"),
            ("a|wide|contains", "only apply before base64"),
            ("a|base64|utf16le|contains", "must come before base64"),
            ("a|wide|utf16be|base64", "only one of utf16le"),
            ("a|utf16|windash|contains", "only apply before base64"),
            ("a|sqli|xss", "conflicting modifiers `sqli` and `xss`"),
            ("a|contains|sqli", "conflicting modifiers"),
            ("a|sqli|all", "`all` makes no sense with `sqli`"),
            ("a|xss|cased", "`cased` only applies"),
            ("a|sqli|base64", "only apply to plain"),
        ] {
            let e = parse(key).unwrap_err();
            assert!(e.contains(msg), "{key}: {e}");
        }
    }
}
