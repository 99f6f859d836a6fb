//! cgroups(7): the sandbox's own cgroup, its limits, its usage, and its removal.
//!
//! - `probe`  host facts: cgroup mounts, the caller's cgroups, what they offer and allow
//! - this file: the pure planning, from `[cgroup]` + facts to a [`Setup`]: validation of the
//!   values, the version (v2 first, v1 on hybrid hosts), where the cgroup goes
//! - `guard`  the monitor's handle on the live cgroup: create, attach the init, kill,
//!   read usage, remove — on every exit path; stale cgroups of dead monitors
//! - `v2`, `v1` the two kernel interfaces (in the spirit of youki's libcgroups and nsjail's
//!   cgroup2.cc)
//! - `stats`  the `stats_file` JSON, written without following anything the sandbox planted
//! - `fs`     reading and writing cgroupfs files
//!
//! Lifecycle, all in the monitor (P0): validate and plan (nothing irreversible) -> remove
//! stale `libsandbox-*` cgroups of dead monitors -> create `libsandbox-<pid>-<start>` under
//! the caller's cgroup (or `cgroup.parent`) with its limits -> clone the init -> move the
//! init into the cgroup -> send "go": the init unshares its cgroup namespace, which is
//! therefore rooted at the sandbox's cgroup -> ... -> the init is reaped -> kill whatever is
//! left in the cgroup -> read usage -> remove the directories -> write `stats_file` -> exit.
//!
//! Where: as root, under the caller's own cgroup; as a plain user, under the caller's own
//! cgroup when it is a writable (delegated) sub-tree, else under `cgroup.parent`, else a 125
//! error whose hint is the `systemd-run` command that gives one. Limits are never written
//! into a cgroup we did not create. A policy whose `[cgroup]` section only asks for
//! `stats_file` needs no cgroup: without one, usage comes from getrusage(2).

pub mod fs;
mod guard;
pub mod probe;
mod session;
pub mod stats;
mod v1;
mod v2;

pub use guard::{Guard, Usage};
pub use probe::Facts;
pub use session::{Ending, Session};

use crate::error::{Facility, Result, SetupError};
use crate::policy::{CgroupVersion, Policy, Size};
use probe::{ParentKind, V2Dir};
use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;

/// Prefix of every cgroup directory the sandbox creates: `libsandbox-<pid>-<start time>`,
/// and `libsandbox-<pid>-<start time>-monitor` for the monitor's own leaf (v2, see `Place`).
pub const NAME_PREFIX: &str = "libsandbox-";

/// cpu.max / cpu.cfs_period_us: 100 ms, the kernel's default period.
const CPU_PERIOD_US: u64 = 100_000;
/// The kernel refuses a quota below 1 ms.
const CPU_MIN_QUOTA_US: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Controller {
    Memory,
    Pids,
    Cpu,
    Cpuset,
    /// v1 only: CPU time per cgroup (v2 has it in cpu.stat without any controller).
    Cpuacct,
    /// v1 only: freezing the cgroup so that killing its processes cannot race with forks.
    Freezer,
}

impl Controller {
    pub fn name(self) -> &'static str {
        match self {
            Controller::Memory => "memory",
            Controller::Pids => "pids",
            Controller::Cpu => "cpu",
            Controller::Cpuset => "cpuset",
            Controller::Cpuacct => "cpuacct",
            Controller::Freezer => "freezer",
        }
    }
    const ALL: [Controller; 6] =
        [Controller::Memory, Controller::Pids, Controller::Cpu, Controller::Cpuset, Controller::Cpuacct, Controller::Freezer];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V2,
    V1,
}

/// The limits, resolved to what the kernel files take.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Limits {
    pub memory_max: Option<Size>,
    pub memory_swap_max: Option<Size>,
    pub pids_max: Option<u64>,
    pub cpu_max: Option<CpuMax>,
    /// Canonical CPU list ("0-2,5").
    pub cpuset_cpus: Option<String>,
}

/// CPU bandwidth: `quota_us` of CPU time per `period_us` of wall time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuMax {
    pub quota_us: u64,
    pub period_us: u64,
}

impl Limits {
    /// The controllers these limits need.
    pub fn controllers(&self) -> Vec<Controller> {
        let mut c = Vec::new();
        if self.memory_max.is_some() || self.memory_swap_max.is_some() {
            c.push(Controller::Memory);
        }
        if self.pids_max.is_some() {
            c.push(Controller::Pids);
        }
        if self.cpu_max.is_some() {
            c.push(Controller::Cpu);
        }
        if self.cpuset_cpus.is_some() {
            c.push(Controller::Cpuset);
        }
        c
    }
}

/// The cgroup part of the plan: made by the monitor before the clone.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    /// `libsandbox-<pid>-<start time>`.
    pub name: String,
    /// False when the section only asks for stats: if the cgroup cannot be made after all,
    /// the run goes on without one (and getrusage's numbers).
    pub required: bool,
    pub limits: Limits,
    pub place: Place,
    /// "policy /p.toml line 12", for messages.
    pub at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    V2 {
        /// The cgroup the sandbox's goes under.
        parent: PathBuf,
        /// Controllers to enable in the parent's `cgroup.subtree_control`; `true` when a
        /// limit needs it (else it is only for stats, and failing to enable it is no error).
        enable: Vec<(Controller, bool)>,
        /// The parent holds the monitor (and nothing else) and is not the root: cgroup v2's
        /// no-internal-processes rule forbids enabling controllers in it while the monitor
        /// is there, so the monitor first moves into a leaf of its own,
        /// `<name>-monitor`, and moves back (undoing what it enabled) at the end.
        move_self: bool,
    },
    V1 {
        /// One directory per hierarchy, each made under `parent`.
        dirs: Vec<V1Place>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct V1Place {
    /// The controllers of the hierarchy we use.
    pub controllers: Vec<Controller>,
    pub parent: PathBuf,
}

impl Setup {
    pub fn version(&self) -> Version {
        match self.place {
            Place::V2 { .. } => Version::V2,
            Place::V1 { .. } => Version::V1,
        }
    }
}

/// Plan the cgroup: None when the policy needs none. Validates every value first.
pub fn plan(policy: &Policy, facts: Option<&Facts>) -> Result<Option<Setup>> {
    let Some(c) = policy.cgroup.as_ref().filter(|c| c.wants_cgroup()) else { return Ok(None) };
    let at = |line: usize| format!("{} line {line}", policy.source);
    let Some(f) = facts else {
        return Err(SetupError::reason(Facility::Cgroup, at(c.line), "the host's cgroups were not probed").hint("this is a bug in libsandbox"));
    };
    let limits = resolve_limits(policy, f)?;
    let needed = limits.controllers();
    let planned = Planner { policy, f, at: at(c.line), needed: &needed }.place();
    let place = match planned {
        Ok(p) => p,
        Err(e) if needed.is_empty() => {
            crate::debug!("no cgroup for stats_file (usage comes from getrusage): {}", e.line());
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    Ok(Some(Setup { name: format!("{NAME_PREFIX}{}-{}", f.pid, f.start_time), required: !needed.is_empty(), limits, place, at: at(c.line) }))
}

/// Check and convert the values against the host: CPUs that exist and are enough.
fn resolve_limits(policy: &Policy, f: &Facts) -> Result<Limits> {
    let c = policy.cgroup.as_ref().expect("checked by the caller");
    let bad = |line: usize, why: String| SetupError::reason(Facility::Policy, format!("{} line {line}", policy.source), why);
    let online: BTreeSet<u32> = f.online_cpus.iter().copied().collect();
    let cpuset = match &c.cpuset_cpus {
        None => None,
        Some(s) => {
            let set = parse_cpu_list(&s.value).map_err(|why| bad(s.line, format!("cgroup.cpuset_cpus = {:?}: {why}", s.value)))?;
            if let Some(cpu) = set.iter().find(|c| !online.contains(c)) {
                return Err(bad(
                    s.line,
                    format!("cgroup.cpuset_cpus = {:?}: CPU {cpu} is not online on this host (online: {})", s.value, format_cpu_list(&online)),
                ));
            }
            Some((set, s.line))
        }
    };
    let cpu_max = match &c.cpus {
        None => None,
        Some(cpus) => {
            let v = cpus.value;
            let quota = (v * CPU_PERIOD_US as f64).round();
            if quota < CPU_MIN_QUOTA_US as f64 {
                return Err(bad(cpus.line, format!("cgroup.cpus = {v} is less than the smallest CPU bandwidth the kernel takes (0.01: 1 ms per 100 ms)")));
            }
            if v > online.len() as f64 {
                return Err(bad(cpus.line, format!("cgroup.cpus = {v} is more than the {} CPUs of this host", online.len())));
            }
            if let Some((set, line)) = &cpuset {
                if v > set.len() as f64 {
                    let l = cpus.line.max(*line);
                    return Err(bad(
                        l,
                        format!(
                            "cgroup.cpus (line {}) conflicts with cgroup.cpuset_cpus (line {line}): {v} CPUs of bandwidth cannot be used on the {} CPU(s) of {:?}",
                            cpus.line,
                            set.len(),
                            format_cpu_list(set)
                        ),
                    ));
                }
            }
            Some(CpuMax { quota_us: quota as u64, period_us: CPU_PERIOD_US })
        }
    };
    Ok(Limits {
        memory_max: c.memory_max,
        memory_swap_max: c.memory_swap_max,
        pids_max: c.pids_max,
        cpu_max,
        cpuset_cpus: cpuset.map(|(s, _)| format_cpu_list(&s)),
    })
}

/// A cpuset list: "0-3,5,7". Each item a CPU number or an ascending range.
pub fn parse_cpu_list(text: &str) -> std::result::Result<BTreeSet<u32>, String> {
    let mut set = BTreeSet::new();
    if text.trim().is_empty() {
        return Err("the list is empty (expected CPU numbers and ranges such as \"0-3,5\")".into());
    }
    for item in text.trim().split(',') {
        let item = item.trim();
        let num = |s: &str| -> std::result::Result<u32, String> {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{item:?} is not a CPU number or range (expected e.g. \"0-3,5\")"));
            }
            s.parse::<u32>().ok().filter(|n| *n < 65536).ok_or_else(|| format!("CPU {s} is out of range"))
        };
        match item.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (num(a)?, num(b)?);
                if a > b {
                    return Err(format!("the range {item:?} goes backwards"));
                }
                set.extend(a..=b);
            }
            None => {
                set.insert(num(item)?);
            }
        }
    }
    Ok(set)
}

/// The canonical text of a CPU set: "0-2,5".
pub fn format_cpu_list(set: &BTreeSet<u32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut it = set.iter().copied().peekable();
    while let Some(start) = it.next() {
        let mut end = start;
        while it.peek() == Some(&(end + 1)) {
            end = it.next().unwrap_or(end);
        }
        parts.push(if start == end { start.to_string() } else { format!("{start}-{end}") });
    }
    parts.join(",")
}

/// The hint for a plain user without a delegated cgroup: how to get one.
fn delegation_hint(policy: &Policy) -> String {
    format!("run the program in a cgroup delegated to you: {}, or set cgroup.parent to a cgroup directory you own", systemd_run(policy))
}

/// The exact command that runs this program in a delegated cgroup v2 sub-tree. `env` sets
/// LD_PRELOAD so that systemd-run itself is not sandboxed.
fn systemd_run(policy: &Policy) -> String {
    let policy_path = match &policy.source {
        crate::policy::Source::File(p) => p.clone(),
        crate::policy::Source::Builtin => "/path/policy.toml".into(),
    };
    format!(
        "`systemd-run --user --scope -p Delegate=yes -- env LD_PRELOAD={} SANDBOX_POLICY={policy_path} PROGRAM ARGS...`",
        own_library().unwrap_or_else(|| "/path/libsandbox.so".into())
    )
}

/// The path of the file this code is mapped from (libsandbox.so), from /proc/self/maps.
fn own_library() -> Option<String> {
    let here = own_library as *const () as usize;
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        let (lo, hi) = f.next()?.split_once('-')?;
        let (lo, hi) = (usize::from_str_radix(lo, 16).ok()?, usize::from_str_radix(hi, 16).ok()?);
        let path = f.nth(4)?;
        (lo <= here && here < hi && path.starts_with('/')).then(|| path.to_string())
    })
}

struct Planner<'a> {
    policy: &'a Policy,
    f: &'a Facts,
    at: String,
    needed: &'a [Controller],
}

impl Planner<'_> {
    fn err(&self, why: impl Into<String>) -> SetupError {
        SetupError::reason(Facility::Cgroup, self.at.clone(), why)
    }

    /// "policy /p.toml line N" of `cgroup.parent`.
    fn parent_at(&self) -> String {
        let c = self.policy.cgroup.as_ref().expect("checked by the caller");
        match &c.parent {
            Some(p) => format!("{} line {}", self.policy.source, p.line),
            None => self.at.clone(),
        }
    }

    fn names(list: &[Controller]) -> String {
        list.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
    }

    fn place(&self) -> Result<Place> {
        let c = self.policy.cgroup.as_ref().expect("checked by the caller");
        if let Some(p) = &self.f.parent {
            if let ParentKind::NotCgroup(why) = &p.kind {
                return Err(SetupError::reason(Facility::Policy, self.parent_at(), format!("cgroup.parent {} is not a cgroup directory: {why}", p.path.display()))
                    .hint("name a directory under a cgroup2 (or, on hybrid hosts, cgroup v1) mount, e.g. /sys/fs/cgroup/<delegated cgroup>"));
            }
        }
        match c.version {
            CgroupVersion::V2 => self.v2(),
            CgroupVersion::V1 => self.v1(),
            CgroupVersion::Auto => match self.f.parent.as_ref().map(|p| &p.kind) {
                Some(ParentKind::V2 { .. }) => self.v2(),
                Some(ParentKind::V1 { .. }) => self.v1(),
                _ => {
                    // cgroup v2 when the caller's cgroup offers what the limits need (and, for
                    // stats only, memory unless v1 has no memory either); else v1.
                    let own = self.f.v2.as_ref().and_then(|h| h.own.as_ref());
                    let v1_memory = self.f.v1.iter().any(|h| h.controllers.iter().any(|c| c == "memory"));
                    let v2_fits = own.is_some_and(|o| {
                        self.needed.iter().all(|c| o.controllers.iter().any(|x| x == c.name()))
                            && (!self.needed.is_empty() || o.controllers.iter().any(|x| x == "memory") || !v1_memory)
                    });
                    let v1_fits = !self.f.v1.is_empty() && self.needed.iter().all(|c| self.f.v1.iter().any(|h| h.controllers.iter().any(|x| x == c.name())));
                    if v2_fits || (!v1_fits && self.f.v2.is_some()) {
                        self.v2()
                    } else {
                        self.v1()
                    }
                }
            },
        }
    }

    fn v2(&self) -> Result<Place> {
        let f = self.f;
        let Some(host) = &f.v2 else {
            return Err(self.err("cgroup v2 is not mounted on this host").hint("remove `version = \"v2\"` to use cgroup v1, or mount cgroup2"));
        };
        let from_parent = match &f.parent {
            Some(p) => match &p.kind {
                ParentKind::V2 { dir, attach } => Some((dir, attach)),
                _ => {
                    return Err(SetupError::reason(
                        Facility::Policy,
                        self.parent_at(),
                        format!("cgroup.parent {} is a cgroup v1 directory, but the cgroup is made on v2", p.path.display()),
                    )
                    .hint("name a directory under the cgroup2 mount, or set version = \"v1\""))
                }
            },
            None => None,
        };
        let loc: &V2Dir = match (from_parent, &host.own) {
            (Some((dir, _)), _) => dir,
            (None, Some(own)) => own,
            (None, None) => {
                return Err(self.err(format!("the caller's cgroup is not visible under the cgroup2 mount {}", host.mount.display()))
                    .hint("set cgroup.parent to a cgroup directory the caller may write"))
            }
        };
        let missing: Vec<Controller> = self.needed.iter().copied().filter(|c| !loc.controllers.iter().any(|x| x == c.name())).collect();
        if !missing.is_empty() {
            let on_v1: Vec<Controller> = missing.iter().copied().filter(|c| f.v1.iter().any(|h| h.controllers.iter().any(|x| x == c.name()))).collect();
            let hint = if !on_v1.is_empty() {
                format!("this host runs the {} controller(s) on cgroup v1: remove `version = \"v2\"`", Self::names(&on_v1))
            } else if f.euid != 0 {
                "a delegated cgroup gets only the controllers the service manager delegates: systemd gives users memory and pids by default; for cpu and cpuset add `Delegate=cpu cpuset io memory pids` to user@.service (`systemctl edit user@.service`)".to_string()
            } else {
                "enable them in cgroup.subtree_control of every cgroup above it".to_string()
            };
            return Err(self
                .err(format!(
                    "cgroup v2 at {} does not offer the {} controller(s) the limits need (cgroup.controllers: {:?})",
                    loc.path.display(),
                    Self::names(&missing),
                    loc.controllers.join(" ")
                ))
                .hint(hint));
        }
        if let Err(e) = loc.writable {
            let what = format!("{}: create the sandbox's cgroup under {}", self.at, loc.path.display());
            let err = SetupError::errno(Facility::Cgroup, what, e);
            return Err(match (from_parent.is_some(), f.euid) {
                (true, _) => err.hint(
                    "cgroup.parent must be writable by the caller: chown the directory and its cgroup.procs, cgroup.subtree_control and cgroup.threads to the user (what systemd's Delegate=yes does)",
                ),
                (false, 0) => err.hint("the cgroup filesystem is not writable here (read-only in a container?): mount it read-write, or set cgroup.parent"),
                (false, _) => err.hint(delegation_hint(self.policy)),
            });
        }
        if let Some((_, Err(e))) = from_parent {
            let own = host.own.as_ref().map(|o| o.path.display().to_string()).unwrap_or_else(|| "?".into());
            return Err(SetupError::errno(
                Facility::Cgroup,
                format!("{}: move the sandbox from the caller's cgroup {own} into cgroup.parent {}", self.at, loc.path.display()),
                *e,
            )
            .hint("cgroup v2 lets a user move a process only within a sub-tree it owns: start the program inside cgroup.parent's sub-tree, or use a parent that contains the caller's cgroup"));
        }
        // Controllers for the limits, and memory + pids for the stats when the cgroup has them.
        let mut enable: Vec<(Controller, bool)> = Vec::new();
        for c in Controller::ALL {
            let required = self.needed.contains(&c);
            let for_stats = matches!(c, Controller::Memory | Controller::Pids) && loc.controllers.iter().any(|x| x == c.name());
            if (required || for_stats) && !loc.subtree_control.iter().any(|x| x == c.name()) {
                enable.push((c, required));
            }
        }
        let mut move_self = false;
        if !enable.is_empty() && !loc.is_root && (loc.other_procs > 0 || loc.holds_self) {
            if loc.other_procs == 0 {
                move_self = true;
            } else if enable.iter().any(|(_, required)| *required) {
                let root = f.euid == 0;
                return Err(self
                    .err(format!(
                        "cannot enable the {} controller(s) in {}: {} other process(es) live in that cgroup, and cgroup v2 allows controllers only below a cgroup without processes (the no-internal-processes rule)",
                        Self::names(&enable.iter().map(|(c, _)| *c).collect::<Vec<_>>()),
                        loc.path.display(),
                        loc.other_procs
                    ))
                    .hint(if root {
                        "run the program in a cgroup of its own, e.g. `systemd-run --scope -p Delegate=yes -- PROGRAM ARGS...`, or set cgroup.parent to a cgroup without processes".to_string()
                    } else {
                        delegation_hint(self.policy)
                    }));
            } else {
                enable.clear(); // only the stats would have used them: go without
            }
        }
        Ok(Place::V2 { parent: loc.path.clone(), enable, move_self })
    }

    fn v1(&self) -> Result<Place> {
        let f = self.f;
        let c = self.policy.cgroup.as_ref().expect("checked by the caller");
        if f.v1.is_empty() {
            return Err(self.err("no cgroup v1 hierarchy is mounted on this host").hint("remove `version = \"v1\"`: this host uses cgroup v2"));
        }
        if let Some(p) = &f.parent {
            if let ParentKind::V2 { .. } = p.kind {
                return Err(SetupError::reason(
                    Facility::Policy,
                    self.parent_at(),
                    format!("cgroup.parent {} is a cgroup v2 directory, but the cgroup is made on v1", p.path.display()),
                )
                .hint("name a directory of a cgroup v1 hierarchy, or remove `version = \"v1\"`"));
            }
        }
        if c.memory_swap_max.is_some() && c.memory_max.is_none() {
            return Err(SetupError::reason(
                Facility::Policy,
                self.at.clone(),
                "cgroup.memory_swap_max needs cgroup.memory_max on cgroup v1, which limits memory and swap together (memory.memsw.limit_in_bytes)",
            ));
        }
        let mut dirs: Vec<V1Place> = Vec::new();
        let wanted = [Controller::Memory, Controller::Pids, Controller::Cpu, Controller::Cpuset, Controller::Cpuacct, Controller::Freezer];
        for ctl in wanted {
            let required = self.needed.contains(&ctl);
            // cpu and cpuset only when limited; the rest also serve the stats and the kill.
            if !required && matches!(ctl, Controller::Cpu | Controller::Cpuset) {
                continue;
            }
            let Some(h) = f.v1.iter().find(|h| h.controllers.iter().any(|x| x == ctl.name())) else {
                if required {
                    return Err(self.err(format!("no cgroup v1 hierarchy has the {} controller", ctl.name())).hint("mount it, or remove the limit that needs it"));
                }
                continue;
            };
            let dir = if f.parent.is_some() { h.parent.as_ref() } else { h.own.as_ref() };
            let usable = match dir {
                None => Err(self.err(format!("the caller's cgroup in the {} hierarchy is not visible under {}", ctl.name(), h.mount.display()))),
                Some(d) => match d.writable {
                    Ok(()) => Ok(d.path.clone()),
                    Err(e) => {
                        let err = SetupError::errno(
                            Facility::Cgroup,
                            format!("{}: create the sandbox's cgroup under {} (cgroup v1, {})", self.at, d.path.display(), ctl.name()),
                            e,
                        );
                        Err(if f.parent.is_some() {
                            err.hint("cgroup.parent must exist in every v1 hierarchy the limits use, writable by the caller (chown it and its tasks and cgroup.procs files)")
                        } else if f.euid != 0 {
                            err.hint(format!(
                                "cgroup v1 (this host) is writable only by root: run as root, or set cgroup.parent to a cgroup you own in every v1 hierarchy; on a cgroup v2 host: {}",
                                systemd_run(self.policy)
                            ))
                        } else {
                            err.hint("the cgroup filesystem is not writable here (read-only in a container?)")
                        })
                    }
                },
            };
            let parent = match usable {
                Ok(p) => p,
                Err(e) if required => return Err(e),
                Err(_) => continue, // stats or freezer only: go without
            };
            match dirs.iter_mut().find(|d| d.parent == parent) {
                Some(d) => d.controllers.push(ctl), // co-mounted (cpu,cpuacct): one directory
                None => dirs.push(V1Place { controllers: vec![ctl], parent }),
            }
        }
        if dirs.is_empty() {
            return Err(self.err("no usable cgroup v1 hierarchy"));
        }
        Ok(Place::V1 { dirs })
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let l = &self.limits;
        let mut limits = Vec::new();
        if let Some(m) = l.memory_max {
            limits.push(format!("memory {m}"));
        }
        if let Some(s) = l.memory_swap_max {
            limits.push(format!("swap {s}"));
        }
        if let Some(p) = l.pids_max {
            limits.push(format!("pids {p}"));
        }
        if let Some(c) = l.cpu_max {
            limits.push(format!("cpu {} us per {} us", c.quota_us, c.period_us));
        }
        if let Some(c) = &l.cpuset_cpus {
            limits.push(format!("cpuset {c}"));
        }
        let limits = if limits.is_empty() { "no limits, for stats only".to_string() } else { limits.join(", ") };
        match &self.place {
            Place::V2 { parent, enable, move_self } => {
                write!(f, "cgroup v2 {}/{} ({limits})", parent.display(), self.name)?;
                if *move_self {
                    write!(f, "; the monitor first moves into {}/{}-monitor", parent.display(), self.name)?;
                }
                if !enable.is_empty() {
                    let e: Vec<String> = enable.iter().map(|(c, _)| format!("+{}", c.name())).collect();
                    write!(f, "; enable {} in {}", e.join(" "), parent.display())?;
                }
                Ok(())
            }
            Place::V1 { dirs } => {
                let d: Vec<String> = dirs.iter().map(|d| format!("{}/{}", d.parent.display(), self.name)).collect();
                write!(f, "cgroup v1 {} ({limits})", d.join(" "))
            }
        }
    }
}

#[cfg(test)]
mod tests;
