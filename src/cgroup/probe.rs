//! Host facts about cgroups, probed once before anything irreversible: where the cgroup
//! filesystems are mounted, which cgroup the caller is in (per hierarchy), what those
//! cgroups offer and whether the caller may write them. The planner (`super::plan`) is a
//! pure function of these facts, so tests can fake a v1 host or an undelegated user.

use super::fs;
use crate::error::{Facility, Result, SetupError};
use crate::policy::Policy;
use nix::errno::Errno;
use nix::unistd::AccessFlags;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub euid: u32,
    /// The monitor's pid and start time (clock ticks after boot, /proc/self/stat field 22):
    /// together they name the sandbox cgroup and tell a stale one (dead owner) from a live one.
    pub pid: i32,
    pub start_time: u64,
    pub online_cpus: Vec<u32>,
    pub v2: Option<V2Host>,
    pub v1: Vec<V1Hierarchy>,
    /// `cgroup.parent`, when the policy sets it.
    pub parent: Option<Parent>,
}

/// The cgroup v2 (unified) hierarchy.
#[derive(Debug, Clone, PartialEq)]
pub struct V2Host {
    pub mount: PathBuf,
    /// The caller's own cgroup; None when it is not visible under the mount.
    pub own: Option<V2Dir>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct V2Dir {
    pub path: PathBuf,
    /// The hierarchy's root cgroup: exempt from the no-internal-processes rule.
    pub is_root: bool,
    /// `cgroup.controllers`: what this cgroup can enable for its children.
    pub controllers: Vec<String>,
    /// `cgroup.subtree_control`: what is enabled for its children already.
    pub subtree_control: Vec<String>,
    /// May we make children here, enable controllers and move processes in and out?
    pub writable: std::result::Result<(), Errno>,
    /// Processes in `cgroup.procs` other than the monitor.
    pub other_procs: usize,
    /// Is the monitor itself in this cgroup?
    pub holds_self: bool,
}

/// One cgroup v1 hierarchy (a mount with one or more controllers: "cpu,cpuacct").
#[derive(Debug, Clone, PartialEq)]
pub struct V1Hierarchy {
    pub controllers: Vec<String>,
    pub mount: PathBuf,
    /// The caller's own cgroup in this hierarchy.
    pub own: Option<V1Dir>,
    /// `cgroup.parent` mapped into this hierarchy (same path relative to the mount).
    pub parent: Option<V1Dir>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct V1Dir {
    pub path: PathBuf,
    pub writable: std::result::Result<(), Errno>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parent {
    pub path: PathBuf,
    pub kind: ParentKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParentKind {
    /// Not a cgroup directory: why.
    NotCgroup(String),
    V2 {
        dir: V2Dir,
        /// Moving the init from the caller's cgroup into one below the parent needs write
        /// access to `cgroup.procs` of their nearest common ancestor.
        attach: std::result::Result<(), Errno>,
    },
    /// A directory of a v1 hierarchy: the path below the mount, used in every hierarchy.
    V1 { relative: PathBuf },
}

impl Facts {
    /// Probe what the `[cgroup]` section needs; None when the policy needs no cgroup.
    pub fn probe(policy: &Policy) -> Result<Option<Facts>> {
        let Some(c) = policy.cgroup.as_ref().filter(|c| c.wants_cgroup()) else { return Ok(None) };
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")
            .map_err(|e| SetupError::reason(Facility::Cgroup, "read /proc/self/mountinfo", e.to_string()))?;
        let own = std::fs::read_to_string("/proc/self/cgroup")
            .map_err(|e| SetupError::reason(Facility::Cgroup, "read /proc/self/cgroup", e.to_string()))?;
        let pid = std::process::id() as i32;
        let start_time = start_time(pid).ok_or_else(|| SetupError::reason(Facility::Cgroup, "read /proc/self/stat", "unexpected format"))?;
        let mounts = parse_mountinfo(&mountinfo);
        let own = parse_proc_cgroup(&own);

        let v2 = mounts.iter().filter(|m| m.v2).find_map(|m| {
            let path = own.iter().find(|(ctl, _)| ctl.is_empty()).map(|(_, p)| p.as_str())?;
            Some(V2Host { mount: m.point.clone(), own: m.dir_of(path).map(|d| probe_v2_dir(&d, pid)) })
        });
        let parent = c.parent.as_ref().map(|p| probe_parent(p.value.as_path(), &mounts, v2.as_ref(), pid));
        let relative = match &parent {
            Some(Parent { kind: ParentKind::V1 { relative }, .. }) => Some(relative.clone()),
            _ => None,
        };
        let mut v1 = Vec::new();
        for m in mounts.iter().filter(|m| !m.v2 && !m.controllers.is_empty()) {
            if v1.iter().any(|h: &V1Hierarchy| h.controllers == m.controllers) {
                continue; // the same hierarchy mounted twice
            }
            let own_path = own.iter().find(|(ctl, _)| ctl.split(',').any(|c| m.controllers.iter().any(|x| x == c))).map(|(_, p)| p.clone());
            v1.push(V1Hierarchy {
                controllers: m.controllers.clone(),
                mount: m.point.clone(),
                own: own_path.and_then(|p| m.dir_of(&p)).map(|path| V1Dir { writable: writable(&path, false), path }),
                parent: relative.as_ref().map(|r| {
                    let path = m.point.join(r);
                    let writable = if path.is_dir() { writable(&path, false) } else { Err(Errno::ENOENT) };
                    V1Dir { path, writable }
                }),
            });
        }
        Ok(Some(Facts { euid: nix::unistd::geteuid().as_raw(), pid, start_time, online_cpus: online_cpus(), v2, v1, parent }))
    }
}

/// Field 22 of /proc/<pid>/stat: when the process started, in clock ticks after boot.
pub fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    stat.rsplit_once(')')?.1.split_whitespace().nth(19)?.parse().ok()
}

/// One cgroup filesystem mount of /proc/self/mountinfo.
#[derive(Debug, Clone, PartialEq)]
struct CgroupMount {
    /// The cgroup path the mount shows at its mount point (not "/" inside a cgroup
    /// namespace or for a bind mount of a sub-tree).
    root: String,
    point: PathBuf,
    v2: bool,
    /// v1: the controllers of the hierarchy (named hierarchies such as name=systemd have none).
    controllers: Vec<String>,
}

impl CgroupMount {
    /// Where the cgroup `path` (as in /proc/self/cgroup) is under this mount.
    fn dir_of(&self, path: &str) -> Option<PathBuf> {
        let rest = if self.root == "/" { path } else { path.strip_prefix(self.root.as_str()).filter(|r| r.is_empty() || r.starts_with('/'))? };
        let rest = rest.trim_start_matches('/');
        Some(if rest.is_empty() { self.point.clone() } else { self.point.join(rest) })
    }
}

const V1_CONTROLLERS: &[&str] = &["memory", "pids", "cpu", "cpuacct", "cpuset", "freezer"];

fn parse_mountinfo(text: &str) -> Vec<CgroupMount> {
    let mut out = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let Some(dash) = fields.iter().position(|f| *f == "-") else { continue };
        if fields.len() < dash + 4 || dash < 5 {
            continue;
        }
        let (fstype, super_opts) = (fields[dash + 1], fields[dash + 3]);
        let v2 = fstype == "cgroup2";
        if !v2 && fstype != "cgroup" {
            continue;
        }
        let controllers = if v2 {
            vec![]
        } else {
            super_opts.split(',').filter(|o| V1_CONTROLLERS.contains(o)).map(String::from).collect()
        };
        out.push(CgroupMount { root: unescape(fields[3]), point: PathBuf::from(unescape(fields[4])), v2, controllers });
    }
    out
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// /proc/self/cgroup: (controller list, path); the v2 line has an empty controller list.
fn parse_proc_cgroup(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let mut it = l.splitn(3, ':');
            let (_, ctl, path) = (it.next()?, it.next()?, it.next()?);
            Some((ctl.to_string(), path.to_string()))
        })
        .collect()
}

fn words(path: &Path) -> Vec<String> {
    fs::read(path).map(|t| t.split_whitespace().map(String::from).collect()).unwrap_or_default()
}

/// Can this process make a child cgroup in `dir` and move processes through it? On v2
/// that also means enabling controllers (`cgroup.subtree_control`). access(2) answers for
/// the real ids, which are the effective ones here (setuid programs are refused), and
/// reports a read-only cgroupfs as EROFS, even to root.
fn writable(dir: &Path, v2: bool) -> std::result::Result<(), Errno> {
    nix::unistd::access(dir, AccessFlags::W_OK | AccessFlags::X_OK)?;
    nix::unistd::access(&dir.join("cgroup.procs"), AccessFlags::W_OK)?;
    if v2 {
        nix::unistd::access(&dir.join("cgroup.subtree_control"), AccessFlags::W_OK)?;
    }
    Ok(())
}

fn probe_v2_dir(path: &Path, self_pid: i32) -> V2Dir {
    let procs: Vec<i32> = fs::read(&path.join("cgroup.procs"))
        .map(|t| t.lines().filter_map(|l| l.trim().parse().ok()).collect())
        .unwrap_or_default();
    V2Dir {
        path: path.to_path_buf(),
        // Only non-root cgroups have cgroup.type.
        is_root: !path.join("cgroup.type").exists(),
        controllers: words(&path.join("cgroup.controllers")),
        subtree_control: words(&path.join("cgroup.subtree_control")),
        writable: writable(path, true),
        other_procs: procs.iter().filter(|p| **p != self_pid).count(),
        holds_self: procs.contains(&self_pid),
    }
}

fn probe_parent(path: &Path, mounts: &[CgroupMount], v2: Option<&V2Host>, pid: i32) -> Parent {
    let not = |why: String| Parent { path: path.to_path_buf(), kind: ParentKind::NotCgroup(why) };
    let real = match std::fs::canonicalize(path) {
        Ok(r) => r,
        Err(e) => return not(format!("cannot resolve it: {e}")),
    };
    if !real.is_dir() {
        return not("it is not a directory".into());
    }
    let kind = match nix::sys::statfs::statfs(&real) {
        Ok(s) => s.filesystem_type(),
        Err(e) => return not(format!("statfs failed: {e}")),
    };
    let mount = mounts
        .iter()
        .filter(|m| real.starts_with(&m.point))
        .max_by_key(|m| m.point.components().count());
    if kind == nix::sys::statfs::CGROUP2_SUPER_MAGIC {
        let dir = probe_v2_dir(&real, pid);
        // The init starts in the caller's cgroup: the nearest common ancestor of that and
        // the parent must let us write its cgroup.procs.
        let attach = match v2.and_then(|h| h.own.as_ref()) {
            Some(own) => {
                let mut common = PathBuf::new();
                for (a, _) in own.path.components().zip(real.components()).take_while(|(a, b)| a == b) {
                    common.push(a);
                }
                nix::unistd::access(&common.join("cgroup.procs"), AccessFlags::W_OK)
            }
            None => Err(Errno::ENOENT),
        };
        Parent { path: real, kind: ParentKind::V2 { dir, attach } }
    } else if kind == nix::sys::statfs::CGROUP_SUPER_MAGIC {
        match mount {
            Some(m) if !m.v2 => {
                let relative = real.strip_prefix(&m.point).map(Path::to_path_buf).unwrap_or_default();
                Parent { path: real, kind: ParentKind::V1 { relative } }
            }
            _ => not("it is on a cgroup v1 filesystem this process does not see mounted".into()),
        }
    } else {
        not("it is not on a cgroup filesystem (cgroup2 or cgroup)".into())
    }
}

/// The online CPUs (/sys/devices/system/cpu/online), else 0..nproc.
fn online_cpus() -> Vec<u32> {
    if let Ok(text) = fs::read(Path::new("/sys/devices/system/cpu/online")) {
        if let Ok(set) = super::parse_cpu_list(text.trim()) {
            return set.into_iter().collect();
        }
    }
    let n = nix::unistd::sysconf(nix::unistd::SysconfVar::_NPROCESSORS_ONLN).ok().flatten().unwrap_or(1).max(1);
    (0..n as u32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
35 24 0:30 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
36 35 0:31 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
37 35 0:32 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,xattr,name=systemd
38 35 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:12 - cgroup cgroup rw,cpu,cpuacct
39 35 0:34 /docker/abc /sys/fs/cgroup/memory rw,nosuid shared:13 - cgroup cgroup rw,memory
40 35 0:35 / /sys/fs/cgroup/my\\040dir rw shared:13 - cgroup cgroup rw,pids
";

    #[test]
    fn mountinfo_finds_both_versions() {
        let m = parse_mountinfo(HYBRID);
        assert_eq!(m.len(), 5);
        assert!(m[0].v2 && m[0].point == Path::new("/sys/fs/cgroup/unified"));
        assert!(m[1].controllers.is_empty(), "name=systemd is no controller");
        assert_eq!(m[2].controllers, ["cpu", "cpuacct"]);
        assert_eq!(m[4].point, Path::new("/sys/fs/cgroup/my dir"));
        // A mount of a sub-tree maps paths below its root, and nothing else.
        assert_eq!(m[3].dir_of("/docker/abc/x"), Some(PathBuf::from("/sys/fs/cgroup/memory/x")));
        assert_eq!(m[3].dir_of("/docker/abc"), Some(PathBuf::from("/sys/fs/cgroup/memory")));
        assert_eq!(m[3].dir_of("/docker/abcd"), None);
        assert_eq!(m[2].dir_of("/"), Some(PathBuf::from("/sys/fs/cgroup/cpu,cpuacct")));
    }

    #[test]
    fn proc_cgroup_lines() {
        let own = parse_proc_cgroup("4:memory:/process_api/x\n1:cpu,cpuacct:/\n0::/user.slice/a:b\n");
        assert_eq!(own[0], ("memory".into(), "/process_api/x".into()));
        assert_eq!(own[2], ("".into(), "/user.slice/a:b".into()));
    }

    #[test]
    fn own_start_time_is_readable() {
        assert!(start_time(std::process::id() as i32).is_some());
        assert_eq!(start_time(-1), None);
    }
}
