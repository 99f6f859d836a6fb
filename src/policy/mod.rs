//! The policy: the TOML file of `policy-contract.md`, parsed and resolved.
//!
//! Two layers. `raw` mirrors the file exactly (every struct `deny_unknown_fields`, every
//! optional key an `Option`, the keys that take part in conflicts `Spanned` so an error can
//! name their line). `resolve` turns it into [`Policy`]: every default filled in, every
//! conflict reported naming both keys. Nothing here knows about mount flags, clone flags
//! or libseccomp: each facility translates its own section (see `plan`).

mod builtin;
mod raw;
pub mod values;

pub use values::{Action, AbsPath, Duration, Size};

use std::collections::BTreeMap;
use std::fmt;

/// Who started the program: the defaults of `[identity]` and `cwd` come from here.
#[derive(Debug, Clone)]
pub struct Caller {
    pub uid: u32,
    pub gid: u32,
}

/// Where the policy came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Builtin,
    File(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Source::Builtin => f.write_str("the built-in default policy"),
            Source::File(p) => write!(f, "policy {p}"),
        }
    }
}

/// A value with the line of the policy file it came from (0 for the built-in policy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub source: Source,
    pub namespaces: Namespaces,
    pub identity: Identity,
    pub filesystem: Filesystem,
    pub mounts: Vec<Mount>,
    pub network: NetworkMode,
    pub process: Process,
    pub rlimits: Rlimits,
    pub cgroup: Option<Cgroup>,
    pub seccomp: Option<Seccomp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Namespaces {
    pub user: bool,
    pub mount: bool,
    pub pid: bool,
    pub net: bool,
    pub ipc: bool,
    pub uts: bool,
    pub cgroup: bool,
    pub time: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub uid: u32,
    pub gid: u32,
    /// `None` without a UTS namespace: the host's name stays.
    pub hostname: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filesystem {
    pub proc: bool,
    pub dev: bool,
    /// `None`: the caller's cwd if it is visible inside, else "/".
    pub cwd: Option<AbsPath>,
    /// Added field: remount the tmpfs root read-only once it is built (default true).
    pub readonly_root: bool,
    /// Added field `bind_cwd = "ro" | "rw"`: the caller's working directory bound at the
    /// same path, on top of the policy's mounts (the shipped profiles use it for tools
    /// that work on the files where they are started). None: not bound.
    pub bind_cwd: Option<BindCwd>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindCwd {
    ReadOnly,
    Writable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mount {
    Bind {
        source: AbsPath,
        target: AbsPath,
        writable: bool,
        optional: bool,
        /// Added field: a source that is a symlink becomes the same symlink inside.
        keep_symlink: bool,
    },
    Tmpfs { target: AbsPath, size: Option<Size>, mode: u32 },
    Dir { target: AbsPath, mode: u32 },
    Symlink { text: String, target: AbsPath },
}

impl Mount {
    pub fn target(&self) -> &AbsPath {
        match self {
            Mount::Bind { target, .. }
            | Mount::Tmpfs { target, .. }
            | Mount::Dir { target, .. }
            | Mount::Symlink { target, .. } => target,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkMode {
    /// New network namespace with only loopback, up.
    None,
    /// The host's network namespace.
    Host,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub new_session: bool,
    pub die_with_parent: bool,
    pub time_limit: Option<Duration>,
    pub clear_env: bool,
    pub keep_env: Vec<String>,
    pub set_env: BTreeMap<String, String>,
    pub keep_fds: Vec<i32>,
}

/// `[rlimits]`: each value is both the soft and the hard limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rlimits {
    pub nofile: Option<u64>,
    pub nproc: Option<u64>,
    pub fsize: Option<u64>,
    pub core: Option<u64>,
    /// seconds
    pub cpu: Option<u64>,
    pub r#as: Option<u64>,
}

impl Rlimits {
    pub fn is_empty(&self) -> bool {
        *self == Rlimits::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    Auto,
    V2,
    V1,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cgroup {
    pub line: usize,
    pub version: CgroupVersion,
    /// Added field: the cgroup under which the sandbox's is made (default: the caller's).
    pub parent: Option<Located<AbsPath>>,
    pub memory_max: Option<Size>,
    pub memory_swap_max: Option<Size>,
    pub pids_max: Option<u64>,
    /// CPU bandwidth in CPUs (0.5 = half of one CPU).
    pub cpus: Option<Located<f64>>,
    pub cpuset_cpus: Option<Located<String>>,
    pub stats_file: Option<AbsPath>,
}

impl Cgroup {
    /// True when a cgroup must be created (any limit, or stats wanted).
    pub fn wants_cgroup(&self) -> bool {
        self.memory_max.is_some()
            || self.memory_swap_max.is_some()
            || self.pids_max.is_some()
            || self.cpus.is_some()
            || self.cpuset_cpus.is_some()
            || self.stats_file.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArgOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    MaskedEq,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgCondition {
    pub index: u32,
    pub op: ArgOp,
    pub value: u64,
    pub mask: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeccompRule {
    pub syscall: Located<String>,
    pub action: Action,
    pub args: Vec<ArgCondition>,
}

/// `[seccomp]` as written: names are resolved to numbers (and checked) by `seccomp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seccomp {
    pub line: usize,
    pub default_action: Action,
    pub allow: Vec<Located<String>>,
    pub deny: Vec<Located<String>>,
    pub deny_action: Action,
    pub rules: Vec<SeccompRule>,
}

/// A policy that could not be read: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub source: Source,
    /// 1-based line of the offending key, when known.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{} line {}: {}", self.source, l, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

impl Policy {
    /// The built-in default policy of the contract (used when `SANDBOX_POLICY` is unset).
    pub fn builtin(caller: &Caller) -> Policy {
        builtin::policy(caller)
    }

    /// Parse and resolve a policy file's text.
    pub fn from_toml(text: &str, path: &str, caller: &Caller) -> Result<Policy, PolicyError> {
        raw::parse(text, Source::File(path.to_string()), caller)
    }

    /// Read a policy file (no symlink games: it is only read).
    pub fn from_file(path: &str, caller: &Caller) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError {
            source: Source::File(path.to_string()),
            line: None,
            message: format!("cannot read the file: {e}"),
        })?;
        Policy::from_toml(&text, path, caller)
    }
}

#[cfg(test)]
mod tests;
