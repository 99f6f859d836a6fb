//! cgroup v1 (Documentation/admin-guide/cgroup-v1/): one directory per hierarchy, the
//! same name in each. Limits: memory.limit_in_bytes, memory.memsw.limit_in_bytes,
//! pids.max, cpu.cfs_quota_us/cpu.cfs_period_us, cpuset.cpus (+ cpuset.mems). End: freeze
//! (freezer.state), SIGKILL every process, thaw. Usage: cpuacct.usage_user/usage_sys,
//! memory.max_usage_in_bytes, memory.oom_control (oom_kill), pids.peak.

use super::guard::{remove_stale, Usage};
use super::{fs, Controller, Place, Setup, Version};
use crate::error::{Context, Facility, Result, SetupError};
use nix::errno::Errno;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Group {
    /// The directories made, with the controllers used in each.
    dirs: Vec<(Vec<Controller>, PathBuf)>,
    removed: bool,
}

/// Does this host have swap at all? (/proc/meminfo SwapTotal.) Without swap, a swap limit
/// the kernel cannot express has nothing to limit.
pub fn host_has_swap() -> bool {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().find(|l| l.starts_with("SwapTotal:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()))
        .map_or(true, |kb| kb > 0)
}

impl Group {
    pub fn create(s: &Setup) -> Result<Group> {
        let Place::V1 { dirs } = &s.place else { unreachable!("a v1 group from a v2 plan") };
        let at = |what: String| format!("{}: {what}", s.at);
        let mut g = Group { dirs: Vec::new(), removed: false };
        for d in dirs {
            remove_stale(&d.parent, Version::V1);
            let dir = d.parent.join(&s.name);
            fs::mkdir(&dir).ctx(Facility::Cgroup, || at(format!("create the cgroup {} ({})", dir.display(), names(&d.controllers))))?;
            g.dirs.push((d.controllers.clone(), dir));
        }
        let l = &s.limits;
        let set = |c: Controller, file: &str, value: String, key: &str| -> Result<()> {
            let dir = g.dir(c).expect("the plan made a directory for every limit's controller");
            fs::write(&dir.join(file), &value).ctx(Facility::Cgroup, || at(format!("set {file} = {value} ({key})")))
        };
        if let Some(cpus) = &l.cpuset_cpus {
            // A v1 cpuset takes no task before both cpus and mems are set; the memory nodes
            // are the parent's (the policy limits CPUs only).
            let dir = g.dir(Controller::Cpuset).expect("planned");
            let parent = dir.parent().unwrap_or(Path::new("/"));
            let mems = fs::read(&parent.join("cpuset.mems")).ctx(Facility::Cgroup, || at(format!("read {}/cpuset.mems", parent.display())))?;
            set(Controller::Cpuset, "cpuset.cpus", cpus.clone(), "cgroup.cpuset_cpus")
                .map_err(|e| e.hint("the CPUs must be among those of the parent cpuset (cpuset.effective_cpus)"))?;
            set(Controller::Cpuset, "cpuset.mems", mems.trim().to_string(), "cgroup.cpuset_cpus")?;
        }
        if let Some(m) = l.memory_max {
            set(Controller::Memory, "memory.limit_in_bytes", m.0.to_string(), "cgroup.memory_max")?;
            if let Some(sw) = l.memory_swap_max {
                // memsw counts memory + swap together (and must not be below the memory limit).
                let total = m.0.checked_add(sw.0).unwrap_or(i64::MAX as u64).min(i64::MAX as u64);
                let dir = g.dir(Controller::Memory).expect("planned");
                match fs::write(&dir.join("memory.memsw.limit_in_bytes"), &total.to_string()) {
                    Ok(()) => {}
                    Err(Errno::ENOENT) if !host_has_swap() => {
                        crate::debug!("cgroup: no memory.memsw.* (no swap accounting) and no swap on this host: nothing to limit")
                    }
                    Err(e) => {
                        return Err(SetupError::errno(
                            Facility::Cgroup,
                            at(format!("set memory.memsw.limit_in_bytes = {total} (cgroup.memory_max + cgroup.memory_swap_max)")),
                            e,
                        )
                        .hint("this kernel does not account swap: boot with swapaccount=1, or remove cgroup.memory_swap_max"))
                    }
                }
            }
        }
        if let Some(p) = l.pids_max {
            set(Controller::Pids, "pids.max", p.to_string(), "cgroup.pids_max")?;
        }
        if let Some(c) = l.cpu_max {
            set(Controller::Cpu, "cpu.cfs_period_us", c.period_us.to_string(), "cgroup.cpus")?;
            set(Controller::Cpu, "cpu.cfs_quota_us", c.quota_us.to_string(), "cgroup.cpus")?;
        }
        Ok(g)
    }

    fn dir(&self, c: Controller) -> Option<&Path> {
        self.dirs.iter().find(|(cs, _)| cs.contains(&c)).map(|(_, d)| d.as_path())
    }

    pub fn attach(&self, pid: libc::pid_t) -> Result<()> {
        for (cs, dir) in &self.dirs {
            fs::write(&dir.join("cgroup.procs"), &pid.to_string())
                .ctx(Facility::Cgroup, || format!("move the sandbox's init (pid {pid}) into {} ({})", dir.display(), names(cs)))?;
        }
        Ok(())
    }

    /// Freeze, so that nothing forks while we kill; SIGKILL everything; thaw, so that the
    /// killed processes can die. Without a freezer hierarchy: SIGKILL until none is left
    /// (the caller repeats `kill` until the cgroup is empty).
    pub fn kill(&self) {
        let Some(freezer) = self.dir(Controller::Freezer) else {
            if let Some((_, d)) = self.dirs.first() {
                fs::kill_all(&fs::procs_below(d));
            }
            return;
        };
        let state = freezer.join("freezer.state");
        if fs::write(&state, "FROZEN").is_ok() {
            fs::wait_until(Duration::from_secs(1), || fs::read(&state).is_ok_and(|s| s.trim() == "FROZEN"));
        }
        fs::kill_all(&fs::procs_below(freezer));
        let _ = fs::write(&state, "THAWED");
    }

    pub fn is_empty(&self) -> bool {
        self.dirs.iter().all(|(_, d)| fs::procs_below(d).is_empty())
    }

    pub fn usage(&self) -> Usage {
        let file = |c: Controller, name: &str| self.dir(c).map(|d| d.join(name));
        let ns_to_us = |ns: Option<u64>| ns.map(|n| n / 1000);
        Usage {
            version: Some(Version::V1),
            cpu_user_us: ns_to_us(file(Controller::Cpuacct, "cpuacct.usage_user").and_then(|f| fs::read_u64(&f))),
            cpu_system_us: ns_to_us(file(Controller::Cpuacct, "cpuacct.usage_sys").and_then(|f| fs::read_u64(&f))),
            memory_peak: file(Controller::Memory, "memory.max_usage_in_bytes").and_then(|f| fs::read_u64(&f)),
            // memory.oom_control has "oom_kill N" since Linux 4.13.
            oom_kills: file(Controller::Memory, "memory.oom_control").and_then(|f| fs::read_key(&f, "oom_kill")),
            pids_peak: file(Controller::Pids, "pids.peak").and_then(|f| fs::read_u64(&f)),
        }
    }

    pub fn remove(mut self, limit: Duration) -> Result<()> {
        self.remove_dirs(limit)
    }

    fn remove_dirs(&mut self, limit: Duration) -> Result<()> {
        self.removed = true;
        let mut result = Ok(());
        for (_, dir) in &self.dirs {
            if let Err(e) = fs::remove_tree(dir, limit) {
                result = Err(SetupError::errno(Facility::Cgroup, format!("remove the sandbox's cgroup {}", dir.display()), e));
            }
        }
        result
    }
}

impl Drop for Group {
    /// A group dropped half-made (a setup error in `create`): take it apart quietly.
    fn drop(&mut self) {
        if !self.removed {
            self.kill();
            fs::wait_until(Duration::from_secs(2), || self.is_empty() || {
                self.kill();
                false
            });
            let _ = self.remove_dirs(Duration::from_secs(2));
        }
    }
}

fn names(cs: &[Controller]) -> String {
    cs.iter().map(|c| c.name()).collect::<Vec<_>>().join(",")
}
