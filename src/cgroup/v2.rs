//! cgroup v2 (Documentation/admin-guide/cgroup-v2.rst): one directory in the unified
//! hierarchy. Limits: memory.max, memory.swap.max, pids.max, cpu.max, cpuset.cpus. End:
//! cgroup.kill. Usage: cpu.stat, memory.peak, memory.events (oom_kill), pids.peak.

use super::guard::{remove_stale, Usage};
use super::{fs, Controller, Place, Setup, Version};
use crate::error::{Context, Facility, Result, SetupError};
use nix::errno::Errno;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Group {
    dir: PathBuf,
    parent: PathBuf,
    /// The monitor's own leaf, when it had to leave `parent` (see `Place::V2::move_self`).
    monitor_leaf: Option<PathBuf>,
    /// Controllers this run enabled in the parent (undone when the monitor moved out of it).
    enabled: Vec<Controller>,
    made: bool,
}

fn hint_for_enable(e: Errno, parent: &Path) -> String {
    match e {
        Errno::EBUSY => format!(
            "{} holds processes: cgroup v2 allows controllers only below a cgroup without processes (the no-internal-processes rule); run the program in a cgroup of its own or set cgroup.parent",
            parent.display()
        ),
        Errno::ENOENT | Errno::EINVAL => "the controller is not available there: it must be enabled in cgroup.subtree_control of every cgroup above".into(),
        Errno::EACCES | Errno::EPERM => "the caller may not change that cgroup: use a delegated one (systemd-run --user --scope -p Delegate=yes) or cgroup.parent".into(),
        _ => "see the [cgroup] section of sandbox.toml.example".into(),
    }
}

impl Group {
    pub fn create(s: &Setup) -> Result<Group> {
        let Place::V2 { parent, enable, move_self } = &s.place else { unreachable!("a v2 group from a v1 plan") };
        remove_stale(parent, Version::V2);
        let mut g = Group { dir: parent.join(&s.name), parent: parent.clone(), monitor_leaf: None, enabled: Vec::new(), made: false };
        let at = |what: String| format!("{}: {what}", s.at);
        if *move_self {
            // No internal processes: leave the parent for a leaf of our own before enabling
            // controllers in it. `remove` comes back and removes the leaf.
            let leaf = parent.join(format!("{}-monitor", s.name));
            fs::mkdir(&leaf).ctx(Facility::Cgroup, || at(format!("create the monitor's cgroup {}", leaf.display())))?;
            g.monitor_leaf = Some(leaf.clone());
            fs::write(&leaf.join("cgroup.procs"), &std::process::id().to_string())
                .ctx(Facility::Cgroup, || at(format!("move the monitor into {}", leaf.display())))?;
        }
        for (c, required) in enable {
            let file = parent.join("cgroup.subtree_control");
            match fs::write(&file, &format!("+{}", c.name())) {
                Ok(()) => g.enabled.push(*c),
                Err(e) if !required => crate::debug!("cgroup: cannot enable {} for the stats in {}: {e}", c.name(), file.display()),
                Err(e) => {
                    return Err(SetupError::errno(Facility::Cgroup, at(format!("enable the {} controller in {}", c.name(), file.display())), e)
                        .hint(hint_for_enable(e, parent)))
                }
            }
        }
        fs::mkdir(&g.dir).ctx(Facility::Cgroup, || at(format!("create the cgroup {}", g.dir.display())))?;
        g.made = true;
        let l = &s.limits;
        let set = |file: &str, value: String, key: &str| -> Result<()> {
            fs::write(&g.dir.join(file), &value).ctx(Facility::Cgroup, || at(format!("set {file} = {value} ({key})")))
        };
        if let Some(m) = l.memory_max {
            set("memory.max", m.0.to_string(), "cgroup.memory_max")?;
        }
        if let Some(sw) = l.memory_swap_max {
            match fs::write(&g.dir.join("memory.swap.max"), &sw.0.to_string()) {
                Err(Errno::ENOENT) if !super::v1::host_has_swap() => {
                    crate::debug!("cgroup: no memory.swap.max (no swap accounting) and no swap on this host: nothing to limit")
                }
                Err(e) => {
                    return Err(SetupError::errno(Facility::Cgroup, at(format!("set memory.swap.max = {} (cgroup.memory_swap_max)", sw.0)), e)
                        .hint("this kernel does not account swap: boot with swapaccount=1, or remove cgroup.memory_swap_max"))
                }
                Ok(()) => {}
            }
        }
        if let Some(p) = l.pids_max {
            set("pids.max", p.to_string(), "cgroup.pids_max")?;
        }
        if let Some(c) = l.cpu_max {
            set("cpu.max", format!("{} {}", c.quota_us, c.period_us), "cgroup.cpus")?;
        }
        if let Some(c) = &l.cpuset_cpus {
            set("cpuset.cpus", c.clone(), "cgroup.cpuset_cpus").map_err(|e| {
                e.hint("the CPUs must be among those the caller's cgroup may use (cpuset.cpus.effective of the parent)")
            })?;
        }
        Ok(g)
    }

    pub fn attach(&self, pid: libc::pid_t) -> Result<()> {
        fs::write(&self.dir.join("cgroup.procs"), &pid.to_string())
            .ctx(Facility::Cgroup, || format!("move the sandbox's init (pid {pid}) into {}", self.dir.display()))
    }

    /// cgroup.kill (Linux 5.14) kills every process of the cgroup and below at once, forks
    /// in flight included. Older kernels: freeze (5.2), SIGKILL each process, thaw.
    pub fn kill(&self) {
        match fs::write(&self.dir.join("cgroup.kill"), "1") {
            Ok(()) => {}
            Err(_) => {
                let frozen = fs::write(&self.dir.join("cgroup.freeze"), "1").is_ok();
                fs::kill_all(&fs::procs_below(&self.dir));
                if frozen {
                    let _ = fs::write(&self.dir.join("cgroup.freeze"), "0");
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        match fs::read_key(&self.dir.join("cgroup.events"), "populated") {
            Some(n) => n == 0,
            None => fs::procs_below(&self.dir).is_empty(),
        }
    }

    pub fn usage(&self) -> Usage {
        let d = &self.dir;
        Usage {
            version: Some(Version::V2),
            // cpu.stat is there without the cpu controller (the core's own accounting).
            cpu_user_us: fs::read_key(&d.join("cpu.stat"), "user_usec"),
            cpu_system_us: fs::read_key(&d.join("cpu.stat"), "system_usec"),
            // memory.peak: Linux 5.19; pids.peak: 6.13. Absent files give None (JSON null).
            memory_peak: fs::read_u64(&d.join("memory.peak")),
            oom_kills: fs::read_key(&d.join("memory.events"), "oom_kill"),
            pids_peak: fs::read_u64(&d.join("pids.peak")),
        }
    }

    /// Remove the cgroup; if the monitor moved out of the parent, undo that: disable what we
    /// enabled, move back, remove the leaf. If that cannot be done (someone else started
    /// using the controllers meanwhile) the empty leaf is left to the next run's
    /// stale-cgroup removal.
    pub fn remove(&mut self, limit: Duration) -> Result<()> {
        // Tried once, whatever the result: Drop does not try again.
        if std::mem::replace(&mut self.made, false) {
            fs::remove_tree(&self.dir, limit).ctx(Facility::Cgroup, || format!("remove the sandbox's cgroup {}", self.dir.display()))?;
        }
        let Some(leaf) = self.monitor_leaf.take() else { return Ok(()) };
        let control = self.parent.join("cgroup.subtree_control");
        for c in self.enabled.iter().rev() {
            fs::write(&control, &format!("-{}", c.name()))
                .ctx(Facility::Cgroup, || format!("disable the {} controller again in {}", c.name(), control.display()))?;
        }
        self.enabled.clear();
        fs::write(&self.parent.join("cgroup.procs"), &std::process::id().to_string())
            .ctx(Facility::Cgroup, || format!("move the monitor back into {}", self.parent.display()))?;
        fs::remove_tree(&leaf, limit).ctx(Facility::Cgroup, || format!("remove the monitor's cgroup {}", leaf.display()))
    }
}

impl Drop for Group {
    /// A group dropped half-made (a setup error in `create`): take it apart quietly.
    fn drop(&mut self) {
        if self.made {
            self.kill();
            fs::wait_until(Duration::from_secs(2), || self.is_empty());
        }
        if self.made || self.monitor_leaf.is_some() {
            let _ = self.remove(Duration::from_secs(2));
        }
    }
}
