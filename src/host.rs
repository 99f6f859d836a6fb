//! Host facts, probed once before anything irreversible, then passed to the (pure)
//! planner. Tests build `HostFacts` by hand to plan for hosts they are not running on.

use crate::error::{Facility, Result, SetupError};
use crate::policy::{AbsPath, Mount, Policy};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a path is on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathFact {
    Missing,
    /// A directory; `real` is the path with every symlink resolved.
    Dir { real: PathBuf },
    /// Anything that is not a directory (file, device, socket...); `real` as above.
    File { real: PathBuf },
    /// The path itself is a symlink with this text (used with `keep_symlink`), pointing to `to`.
    Symlink { text: String, to: Box<PathFact> },
    /// lstat/realpath failed for another reason (EACCES...).
    Unreadable { errno: i32 },
}

#[derive(Debug, Clone)]
pub struct HostFacts {
    pub uid: u32,
    pub gid: u32,
    pub euid: u32,
    pub egid: u32,
    /// AT_SECURE: setuid/setgid or file capabilities.
    pub secure: bool,
    pub threads: u32,
    pub cwd: Option<PathBuf>,
    /// Every bind source of the policy.
    pub paths: BTreeMap<AbsPath, PathFact>,
    /// Existing directory on which the setup tmpfs is mounted (in our own mount namespace).
    pub setup_dir: PathBuf,
    /// /proc entries that exist and must be made read-only inside.
    pub proc_protect: Vec<&'static str>,
    /// Device nodes of the minimal /dev that exist on the host.
    pub dev_nodes: Vec<&'static str>,
    /// cgroup mounts and the caller's cgroups; None when the policy needs no cgroup.
    pub cgroup: Option<crate::cgroup::Facts>,
}

pub const PROC_READONLY: &[&str] = &["sys", "sysrq-trigger", "irq", "bus"];
pub const DEV_NODES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

impl HostFacts {
    /// Probe what the policy needs to know about this host.
    pub fn probe(policy: &Policy) -> Result<HostFacts> {
        let ids = nix::unistd::getresuid().map_err(|e| SetupError::errno(Facility::Host, "read the process's user ids", e))?;
        let gids = nix::unistd::getresgid().map_err(|e| SetupError::errno(Facility::Host, "read the process's group ids", e))?;
        let mut paths = BTreeMap::new();
        for m in &policy.mounts {
            if let Mount::Bind { source, keep_symlink, .. } = m {
                paths.insert(source.clone(), probe_path(source.as_path(), *keep_symlink));
            }
        }
        let needs_root = policy.namespaces.mount;
        Ok(HostFacts {
            uid: ids.real.as_raw(),
            gid: gids.real.as_raw(),
            euid: ids.effective.as_raw(),
            egid: gids.effective.as_raw(),
            secure: crate::sys::at_secure(),
            threads: thread_count()?,
            cwd: std::env::current_dir().ok(),
            paths,
            setup_dir: ["/tmp", "/mnt", "/run", "/var/tmp", "/dev"]
                .iter()
                .map(PathBuf::from)
                .find(|p| !needs_root || p.is_dir())
                .unwrap_or_else(|| PathBuf::from("/tmp")),
            proc_protect: if policy.filesystem.proc {
                PROC_READONLY.iter().copied().filter(|p| Path::new("/proc").join(p).exists()).collect()
            } else {
                vec![]
            },
            dev_nodes: if policy.filesystem.dev {
                DEV_NODES.iter().copied().filter(|d| Path::new("/dev").join(d).exists()).collect()
            } else {
                vec![]
            },
            cgroup: crate::cgroup::Facts::probe(policy)?,
        })
    }
}

fn probe_path(p: &Path, keep_symlink: bool) -> PathFact {
    let meta = match std::fs::symlink_metadata(p) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return PathFact::Missing,
        Err(e) => return PathFact::Unreadable { errno: e.raw_os_error().unwrap_or(libc::EIO) },
    };
    let resolved = || match std::fs::canonicalize(p) {
        Ok(real) if real.is_dir() => PathFact::Dir { real },
        Ok(real) => PathFact::File { real },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => PathFact::Missing,
        Err(e) => PathFact::Unreadable { errno: e.raw_os_error().unwrap_or(libc::EIO) },
    };
    if keep_symlink && meta.file_type().is_symlink() {
        let text = std::fs::read_link(p).map(|t| t.to_string_lossy().into_owned()).unwrap_or_default();
        return PathFact::Symlink { text, to: Box::new(resolved()) };
    }
    resolved()
}

/// Threads of this process, from /proc/self/stat (field 20).
fn thread_count() -> Result<u32> {
    let stat = std::fs::read_to_string("/proc/self/stat").map_err(|e| {
        SetupError::reason(Facility::Host, "read /proc/self/stat", e.to_string())
            .hint("the sandbox needs /proc mounted to check that the process is single-threaded")
    })?;
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    after
        .split_whitespace()
        .nth(17)
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| SetupError::reason(Facility::Host, "read /proc/self/stat", "unexpected format"))
}
