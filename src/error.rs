//! Setup errors: typed (what failed, the errno or a reason, the path) until the one place
//! that prints them as `sandbox: error: <what failed>: <why> (<hint>)`.

use nix::errno::Errno;
use std::fmt;

/// Why a step failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// A system call failed with this errno.
    Errno(Errno),
    /// A reason in words (bad policy, unsupported host, ...).
    Reason(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupError {
    /// What failed, e.g. "bind mount /usr -> /usr" or "policy /p.toml line 3".
    pub what: String,
    pub cause: Cause,
    /// How to fix it; filled from the table in [`hint_for`] when the step gave none.
    pub hint: Option<String>,
    /// Which facility the step belongs to (for the hint table).
    pub facility: Facility,
}

/// The kernel facility a step belongs to: chooses hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facility {
    Policy,
    Host,
    UserNs,
    Namespaces,
    Rootfs,
    Net,
    Uts,
    Process,
    Rlimit,
    Caps,
    Seccomp,
    Cgroup,
}

pub type Result<T, E = SetupError> = std::result::Result<T, E>;

impl SetupError {
    pub fn errno(facility: Facility, what: impl Into<String>, e: Errno) -> SetupError {
        SetupError { what: what.into(), cause: Cause::Errno(e), hint: None, facility }
    }
    pub fn reason(facility: Facility, what: impl Into<String>, why: impl Into<String>) -> SetupError {
        SetupError { what: what.into(), cause: Cause::Reason(why.into()), hint: None, facility }
    }
    pub fn hint(mut self, hint: impl Into<String>) -> SetupError {
        self.hint = Some(hint.into());
        self
    }

    /// The one line printed on stderr (without the `sandbox: error: ` prefix).
    pub fn line(&self) -> String {
        let hint = self.hint.clone().unwrap_or_else(|| hint_for(self.facility, &self.cause));
        format!("{}: {} ({})", self.what, self.cause, hint)
    }

    /// Serialise for the pipe from the init/app process to the monitor: the typed fields,
    /// separated by NUL bytes.
    pub fn encode(&self) -> Vec<u8> {
        let (kind, cause) = match &self.cause {
            Cause::Errno(e) => ("E", (*e as i32).to_string()),
            Cause::Reason(r) => ("R", r.clone()),
        };
        let fields = [
            format!("{:?}", self.facility),
            self.what.clone(),
            kind.to_string(),
            cause,
            self.hint.clone().unwrap_or_default(),
        ];
        fields.join("\0").into_bytes()
    }

    pub fn decode(bytes: &[u8]) -> Option<SetupError> {
        let text = String::from_utf8_lossy(bytes);
        let f: Vec<&str> = text.split('\0').collect();
        if f.len() != 5 {
            return None;
        }
        let facility = Facility::ALL.iter().copied().find(|x| format!("{x:?}") == f[0])?;
        let cause = match f[2] {
            "E" => Cause::Errno(Errno::from_raw(f[3].parse().ok()?)),
            _ => Cause::Reason(f[3].to_string()),
        };
        let hint = (!f[4].is_empty()).then(|| f[4].to_string());
        Some(SetupError { what: f[1].to_string(), cause, hint, facility })
    }
}

impl Facility {
    const ALL: [Facility; 12] = [
        Facility::Policy,
        Facility::Host,
        Facility::UserNs,
        Facility::Namespaces,
        Facility::Rootfs,
        Facility::Net,
        Facility::Uts,
        Facility::Process,
        Facility::Rlimit,
        Facility::Caps,
        Facility::Seccomp,
        Facility::Cgroup,
    ];
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Cause::Errno(e) => write!(f, "{} ({:?})", e.desc(), e),
            Cause::Reason(r) => f.write_str(r),
        }
    }
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.line())
    }
}

impl std::error::Error for SetupError {}

/// (facility, errno) -> how to fix it. The table the style guide asks for.
pub fn hint_for(facility: Facility, cause: &Cause) -> String {
    use Facility::*;
    let errno = match cause {
        Cause::Errno(e) => Some(*e),
        Cause::Reason(_) => None,
    };
    let h = match (facility, errno) {
        (Policy, _) => "see sandbox.toml.example for every field and its format",
        (UserNs, Some(Errno::EPERM)) | (UserNs, Some(Errno::EACCES)) => {
            "unprivileged user namespaces are forbidden on this host: check `sysctl kernel.unprivileged_userns_clone` (Debian: set it to 1), `sysctl kernel.apparmor_restrict_unprivileged_userns` (Ubuntu 24.04+: set it to 0 or give the program an AppArmor profile with `userns,`), and that no seccomp filter of a container runtime blocks clone(CLONE_NEWUSER)"
        }
        (UserNs, Some(Errno::ENOSPC)) => "the limit of user namespaces is reached: raise `sysctl user.max_user_namespaces`",
        (UserNs, Some(Errno::EINVAL)) => "the kernel was built without user namespaces (CONFIG_USER_NS) or the process is in a chroot",
        (Namespaces, Some(Errno::EPERM)) => {
            "creating namespaces without a user namespace needs CAP_SYS_ADMIN: run as root or keep `namespaces.user = true`"
        }
        (Namespaces, Some(Errno::EINVAL)) => "this kernel lacks one of the requested namespace kinds (time namespaces need Linux 5.6): switch it off in [namespaces]",
        (Namespaces, Some(Errno::ENOSPC)) => "a namespace limit is reached: see /proc/sys/user/max_*_namespaces",
        (Rootfs, Some(Errno::ENOENT)) => "the path does not exist on the host: fix the path, or set `optional = true` on the mount",
        (Rootfs, Some(Errno::EACCES)) => "the calling user cannot read that path: bind something it can read",
        (Rootfs, Some(Errno::EPERM)) => "the kernel refused this mount in the user namespace (locked mount flags or a mount the namespace does not own); try binding a parent directory",
        (Rootfs, Some(Errno::ENOTDIR)) => "a path component is not a directory: check mount.target against the mounts before it",
        (Cgroup, _) => "see the [cgroup] section of sandbox.toml.example",
        (Seccomp, _) => "see the [seccomp] section of sandbox.toml.example",
        (Rlimit, Some(Errno::EPERM)) => "a hard limit can only be lowered: the value is above the caller's current hard limit",
        (Caps, _) => "the kernel refused to drop capabilities; this is a bug in libsandbox, please report it",
        (Host, _) => "run the program without LD_PRELOAD=libsandbox.so, or see the README's limits section",
        (Process, Some(Errno::EAGAIN)) => "the process limit is reached (RLIMIT_NPROC or pids cgroup)",
        _ => "run with SANDBOX_LOG=debug to see the plan of steps",
    };
    h.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_roundtrip() {
        let e = SetupError::errno(Facility::Rootfs, "bind mount /usr -> /usr", Errno::ENOENT);
        assert_eq!(SetupError::decode(&e.encode()), Some(e.clone()));
        let r = SetupError::reason(Facility::Policy, "policy x line 3", "bad").hint("fix it");
        assert_eq!(SetupError::decode(&r.encode()), Some(r));
    }

    #[test]
    fn line_has_hint() {
        let e = SetupError::errno(Facility::UserNs, "create the user namespace", Errno::EPERM);
        let l = e.line();
        assert!(l.starts_with("create the user namespace: Operation not permitted (EPERM) ("), "{l}");
        assert!(l.contains("unprivileged_userns_clone"));
    }
}

/// Attach what failed to a low-level error: `mount(...).ctx(Facility::Rootfs, || "...")`.
pub trait Context<T> {
    fn ctx<S: Into<String>>(self, facility: Facility, what: impl FnOnce() -> S) -> Result<T>;
}

impl<T> Context<T> for std::result::Result<T, Errno> {
    fn ctx<S: Into<String>>(self, facility: Facility, what: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| SetupError::errno(facility, what(), e))
    }
}

impl<T> Context<T> for std::io::Result<T> {
    fn ctx<S: Into<String>>(self, facility: Facility, what: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| match e.raw_os_error() {
            Some(n) => SetupError::errno(facility, what(), Errno::from_raw(n)),
            None => SetupError::reason(facility, what(), e.to_string()),
        })
    }
}
