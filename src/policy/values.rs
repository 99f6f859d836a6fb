//! Value types of the policy file: sizes, durations, absolute paths, seccomp actions.
//!
//! Each one validates itself while it is deserialized, so a bad value is reported by the
//! TOML parser together with the key's line (see `policy::parse`).

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;
use std::path::{Component, Path, PathBuf};

/// A number of bytes: an integer, or a string with a K/M/G/T suffix (powers of 1024).
/// Zero is allowed here; positions where zero makes no sense check it themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Size(pub u64);

const MAX_SIZE: u128 = 1 << 63;

impl Size {
    pub fn parse(text: &str) -> Result<Size, String> {
        let t = text.trim();
        let (digits, mult): (&str, u128) = match t.char_indices().last() {
            Some((i, c)) if c.is_ascii_alphabetic() => {
                let m = match c.to_ascii_uppercase() {
                    'K' => 1 << 10,
                    'M' => 1 << 20,
                    'G' => 1 << 30,
                    'T' => 1 << 40,
                    _ => return Err(format!("invalid size {text:?}: the suffix must be K, M, G or T")),
                };
                (&t[..i], m)
            }
            _ => (t, 1),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "invalid size {text:?}: expected a whole number of bytes, optionally with a K, M, G or T suffix (\"64M\")"
            ));
        }
        let n: u128 = digits
            .parse()
            .map_err(|_| format!("invalid size {text:?}: the number is too large (at most 2^63 bytes)"))?;
        let bytes = n.checked_mul(mult).filter(|b| *b <= MAX_SIZE);
        match bytes {
            Some(b) => Ok(Size(b as u64)),
            None => Err(format!("invalid size {text:?}: more than 2^63 bytes")),
        }
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size: a number of bytes or a string such as \"64M\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Size, E> {
                if v < 0 {
                    return Err(E::custom(format!("invalid size {v}: a size cannot be negative")));
                }
                Ok(Size(v as u64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Size, E> {
                if v as u128 > MAX_SIZE {
                    return Err(E::custom(format!("invalid size {v}: more than 2^63 bytes")));
                }
                Ok(Size(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Size, E> {
                Size::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let n = self.0;
        for (suffix, unit) in [("T", 1u64 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)] {
            if n >= unit && n % unit == 0 {
                return write!(f, "{}{}", n / unit, suffix);
            }
        }
        write!(f, "{n}")
    }
}

/// A wall-clock duration: integer seconds, or a string with ms/s/m/h.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration(pub std::time::Duration);

impl Duration {
    pub fn parse(text: &str) -> Result<Duration, String> {
        let t = text.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (digits, unit) = t.split_at(split);
        let bad = || {
            format!("invalid duration {text:?}: expected a whole number with ms, s, m or h (\"500ms\", \"30s\", \"5m\")")
        };
        if digits.is_empty() {
            return Err(bad());
        }
        let n: u64 = digits.parse().map_err(|_| bad())?;
        let ms_per = match unit {
            "ms" => 1,
            "" | "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            _ => return Err(bad()),
        };
        let ms = n.checked_mul(ms_per).ok_or_else(|| format!("invalid duration {text:?}: too long"))?;
        if ms == 0 {
            return Err(format!("invalid duration {text:?}: must be more than zero"));
        }
        Ok(Duration(std::time::Duration::from_millis(ms)))
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration: seconds, or a string such as \"500ms\", \"30s\", \"5m\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
                if v <= 0 {
                    return Err(E::custom(format!("invalid duration {v}: must be more than zero")));
                }
                Ok(Duration(std::time::Duration::from_secs(v as u64)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
                Duration::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms % 1000 == 0 {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

/// An absolute path without `..` components; `~` and `$VAR` are not expanded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AbsPath(PathBuf);

impl AbsPath {
    pub fn parse(text: &str) -> Result<AbsPath, String> {
        if text.is_empty() {
            return Err("the path is empty".into());
        }
        if text.as_bytes().contains(&0) {
            return Err(format!("the path {text:?} contains a NUL byte"));
        }
        let p = Path::new(text);
        if !p.is_absolute() {
            return Err(format!("the path {text:?} is relative: paths in a policy must be absolute"));
        }
        if p.components().any(|c| c == Component::ParentDir) {
            return Err(format!("the path {text:?} has a `..` component, which is not allowed"));
        }
        // Normalise "//usr/./lib/" to "/usr/lib".
        let clean: PathBuf = p.components().filter(|c| *c != Component::CurDir).collect();
        Ok(AbsPath(clean))
    }
    pub fn as_path(&self) -> &Path {
        &self.0
    }
    pub fn is_root(&self) -> bool {
        self.0 == Path::new("/")
    }
}

impl From<&str> for AbsPath {
    /// For paths written in the code (the built-in policy); panics on a bad literal.
    fn from(s: &str) -> AbsPath {
        AbsPath::parse(s).expect("built-in path literal")
    }
}

impl fmt::Display for AbsPath {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.display().fmt(f)
    }
}

impl<'de> Deserialize<'de> for AbsPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        AbsPath::parse(&s).map_err(de::Error::custom)
    }
}

/// What seccomp does with a syscall: the policy's spelling, not libseccomp's constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Allow,
    KillProcess,
    KillThread,
    Trap,
    Log,
    Errno(i32),
}

impl Action {
    pub fn parse(text: &str) -> Result<Action, String> {
        Ok(match text {
            "allow" => Action::Allow,
            "kill_process" => Action::KillProcess,
            "kill_thread" => Action::KillThread,
            "trap" => Action::Trap,
            "log" => Action::Log,
            _ => match text.strip_prefix("errno:") {
                Some(e) => Action::Errno(parse_errno(e)?),
                None => {
                    return Err(format!(
                        "invalid action {text:?}: expected allow, kill_process, kill_thread, trap, log or errno:NAME (errno:EPERM)"
                    ))
                }
            },
        })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Action::Allow => f.write_str("allow"),
            Action::KillProcess => f.write_str("kill_process"),
            Action::KillThread => f.write_str("kill_thread"),
            Action::Trap => f.write_str("trap"),
            Action::Log => f.write_str("log"),
            Action::Errno(n) => match errno_name(*n) {
                Some(name) => write!(f, "errno:{name}"),
                None => write!(f, "errno:{n}"),
            },
        }
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Action::parse(&s).map_err(de::Error::custom)
    }
}

/// errno names accepted in `errno:NAME` (and numbers 1..=4095).
const ERRNO_NAMES: &[(&str, i32)] = &[
    ("EPERM", libc::EPERM),
    ("ENOENT", libc::ENOENT),
    ("ESRCH", libc::ESRCH),
    ("EINTR", libc::EINTR),
    ("EIO", libc::EIO),
    ("ENXIO", libc::ENXIO),
    ("E2BIG", libc::E2BIG),
    ("ENOEXEC", libc::ENOEXEC),
    ("EBADF", libc::EBADF),
    ("ECHILD", libc::ECHILD),
    ("EAGAIN", libc::EAGAIN),
    ("ENOMEM", libc::ENOMEM),
    ("EACCES", libc::EACCES),
    ("EFAULT", libc::EFAULT),
    ("EBUSY", libc::EBUSY),
    ("EEXIST", libc::EEXIST),
    ("EXDEV", libc::EXDEV),
    ("ENODEV", libc::ENODEV),
    ("ENOTDIR", libc::ENOTDIR),
    ("EISDIR", libc::EISDIR),
    ("EINVAL", libc::EINVAL),
    ("ENFILE", libc::ENFILE),
    ("EMFILE", libc::EMFILE),
    ("ENOTTY", libc::ENOTTY),
    ("ETXTBSY", libc::ETXTBSY),
    ("EFBIG", libc::EFBIG),
    ("ENOSPC", libc::ENOSPC),
    ("ESPIPE", libc::ESPIPE),
    ("EROFS", libc::EROFS),
    ("EMLINK", libc::EMLINK),
    ("EPIPE", libc::EPIPE),
    ("EDOM", libc::EDOM),
    ("ERANGE", libc::ERANGE),
    ("ENOSYS", libc::ENOSYS),
    ("ENOTSUP", libc::ENOTSUP),
    ("EOPNOTSUPP", libc::EOPNOTSUPP),
    ("EAFNOSUPPORT", libc::EAFNOSUPPORT),
    ("EADDRINUSE", libc::EADDRINUSE),
    ("ECONNREFUSED", libc::ECONNREFUSED),
    ("ENETUNREACH", libc::ENETUNREACH),
    ("ETIMEDOUT", libc::ETIMEDOUT),
    ("ENOTCONN", libc::ENOTCONN),
    ("ENOTSOCK", libc::ENOTSOCK),
    ("EPROTONOSUPPORT", libc::EPROTONOSUPPORT),
    ("ECANCELED", libc::ECANCELED),
    ("ENODATA", libc::ENODATA),
    ("EOVERFLOW", libc::EOVERFLOW),
];

pub fn parse_errno(text: &str) -> Result<i32, String> {
    if let Ok(n) = text.parse::<i32>() {
        if (1..=4095).contains(&n) {
            return Ok(n);
        }
        return Err(format!("invalid errno {text:?}: a number must be between 1 and 4095"));
    }
    ERRNO_NAMES
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, n)| *n)
        .ok_or_else(|| format!("unknown errno name {text:?} (use a name such as EPERM, or a number)"))
}

pub fn errno_name(n: i32) -> Option<&'static str> {
    ERRNO_NAMES.iter().find(|(_, v)| *v == n).map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(Size::parse("64M"), Ok(Size(64 << 20)));
        assert_eq!(Size::parse("1g"), Ok(Size(1 << 30)));
        assert_eq!(Size::parse("2T"), Ok(Size(2 << 40)));
        assert_eq!(Size::parse("512"), Ok(Size(512)));
        assert_eq!(Size::parse("8388608T"), Ok(Size(1 << 63)));
        assert!(Size::parse("8388609T").is_err());
        assert!(Size::parse("-1M").is_err());
        assert!(Size::parse("1.5G").is_err());
        assert!(Size::parse("M").is_err());
        assert!(Size::parse("10X").is_err());
        assert!(Size::parse("99999999999999999999999").is_err());
        assert_eq!(Size(64 << 20).to_string(), "64M");
    }

    #[test]
    fn durations() {
        assert_eq!(Duration::parse("500ms").unwrap().0.as_millis(), 500);
        assert_eq!(Duration::parse("30s").unwrap().0.as_secs(), 30);
        assert_eq!(Duration::parse("5m").unwrap().0.as_secs(), 300);
        assert_eq!(Duration::parse("2h").unwrap().0.as_secs(), 7200);
        for bad in ["", "s", "1.5s", "10d", "-3s", "0s", "ten"] {
            assert!(Duration::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths() {
        assert_eq!(AbsPath::parse("/usr//lib/./x").unwrap().to_string(), "/usr/lib/x");
        assert!(AbsPath::parse("usr").is_err());
        assert!(AbsPath::parse("/usr/../etc").is_err());
        assert!(AbsPath::parse("~/x").is_err());
        assert!(AbsPath::parse("").is_err());
    }

    #[test]
    fn actions() {
        assert_eq!(Action::parse("errno:EPERM"), Ok(Action::Errno(libc::EPERM)));
        assert_eq!(Action::parse("errno:38"), Ok(Action::Errno(38)));
        assert_eq!(Action::parse("kill_process"), Ok(Action::KillProcess));
        assert!(Action::parse("errno:EWHAT").is_err());
        assert!(Action::parse("errno:0").is_err());
        assert!(Action::parse("deny").is_err());
        assert_eq!(Action::Errno(1).to_string(), "errno:EPERM");
    }
}
