//! The monitor's handle on the live sandbox cgroup. Whatever way the run ends — normal
//! exit, signal, OOM kill, time limit, a setup error (the guard is dropped on the way out)
//! — every process in the cgroup is killed and the directories are removed. A monitor that
//! is SIGKILLed cannot do that: its cgroup is "stale", and the next run that creates a
//! cgroup in the same place removes it (`remove_stale`).

use super::{fs, v1, v2, Place, Setup, Version, NAME_PREFIX};
use crate::error::Result;
use std::path::Path;
use std::time::Duration;

/// How long the kill may take to empty the cgroup, and rmdir to succeed after that.
const DRAIN: Duration = Duration::from_secs(5);

/// Usage read from the cgroup after the run; None where this host cannot tell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    pub version: Option<Version>,
    pub cpu_user_us: Option<u64>,
    pub cpu_system_us: Option<u64>,
    pub memory_peak: Option<u64>,
    /// Processes the OOM killer killed in the cgroup.
    pub oom_kills: Option<u64>,
    pub pids_peak: Option<u64>,
}

enum Live {
    V2(v2::Group),
    V1(v1::Group),
}

impl Live {
    fn kill(&self) {
        match self {
            Live::V2(g) => g.kill(),
            Live::V1(g) => g.kill(),
        }
    }
    fn is_empty(&self) -> bool {
        match self {
            Live::V2(g) => g.is_empty(),
            Live::V1(g) => g.is_empty(),
        }
    }
    /// Kill, wait until no process is left (killing again what a race let through), remove.
    fn tear_down(self) -> Usage {
        self.kill();
        if !fs::wait_until(DRAIN, || self.is_empty() || {
            self.kill();
            false
        }) {
            crate::warn!("cgroup: processes of the sandbox survived SIGKILL for {DRAIN:?}; removing the cgroup may fail");
        }
        let (usage, removed) = match self {
            Live::V2(mut g) => (g.usage(), g.remove(DRAIN)),
            Live::V1(g) => (g.usage(), g.remove(DRAIN)),
        };
        if let Err(e) = removed {
            crate::warn!("{e}");
        }
        usage
    }
}

/// The sandbox's cgroup, or none (no `[cgroup]`, or stats only and none could be made).
pub struct Guard {
    live: Option<Live>,
    required: bool,
}

impl Guard {
    pub fn none() -> Guard {
        Guard { live: None, required: false }
    }

    /// Create the cgroup with its limits (in the monitor, before the clone). For a stats-only
    /// section, a failure means running without a cgroup.
    pub fn create(setup: Option<&Setup>) -> Result<Guard> {
        let Some(s) = setup else { return Ok(Guard::none()) };
        let made = match &s.place {
            Place::V2 { .. } => v2::Group::create(s).map(Live::V2),
            Place::V1 { .. } => v1::Group::create(s).map(Live::V1),
        };
        match made {
            Ok(live) => {
                crate::debug!("cgroup: created {s}");
                Ok(Guard { live: Some(live), required: s.required })
            }
            Err(e) if !s.required => {
                crate::debug!("cgroup: none for stats_file (usage comes from getrusage): {}", e.line());
                Ok(Guard::none())
            }
            Err(e) => Err(e),
        }
    }

    pub fn version(&self) -> Option<Version> {
        match self.live {
            Some(Live::V2(_)) => Some(Version::V2),
            Some(Live::V1(_)) => Some(Version::V1),
            None => None,
        }
    }

    /// Move the init into the cgroup (before it is told to go on, so that everything it
    /// starts is inside and its cgroup namespace is rooted there).
    pub fn attach(&mut self, pid: libc::pid_t) -> Result<()> {
        let r = match &self.live {
            None => return Ok(()),
            Some(Live::V2(g)) => g.attach(pid),
            Some(Live::V1(g)) => g.attach(pid),
        };
        match r {
            Err(e) if !self.required => {
                crate::debug!("cgroup: stats only, going without: {}", e.line());
                if let Some(live) = self.live.take() {
                    live.tear_down();
                }
                Ok(())
            }
            r => r,
        }
    }

    /// Kill every process in the cgroup now (the time limit).
    pub fn kill(&self) {
        if let Some(live) = &self.live {
            live.kill();
        }
    }

    /// After the init was reaped: kill what is left, read the usage, remove the cgroup.
    pub fn finish(mut self) -> Usage {
        match self.live.take() {
            Some(live) => live.tear_down(),
            None => Usage::default(),
        }
    }

    /// In the init right after the clone: this copy of the guard is not the owner, so
    /// neither it nor the groups inside may run their Drop (which would tear down the
    /// monitor's cgroup). They hold no descriptors: forgetting them leaks nothing.
    pub fn disown(mut self) {
        std::mem::forget(self.live.take());
    }
}

impl Drop for Guard {
    /// The setup-failure path: the monitor returns an error and the guard goes with it.
    fn drop(&mut self) {
        if let Some(live) = self.live.take() {
            live.tear_down();
        }
    }
}

/// `libsandbox-<pid>-<start>[-monitor]` -> (pid, start).
fn parse_name(name: &str) -> Option<(i32, u64)> {
    let rest = name.strip_prefix(NAME_PREFIX)?;
    let rest = rest.strip_suffix("-monitor").unwrap_or(rest);
    let (pid, start) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(pid) && digits(start)).then_some(())?;
    Some((pid.parse().ok()?, start.parse().ok()?))
}

/// Is the monitor that made this cgroup gone? Same pid *and* start time: a reused pid
/// means the owner is dead.
fn owner_dead(pid: i32, start: u64) -> bool {
    super::probe::start_time(pid) != Some(start)
}

/// Remove the sandbox cgroups directly under `parent` whose monitor is dead: kill what is
/// still in them (a v2 `cgroup.kill`, else SIGKILL to each process until none is left),
/// then rmdir. Only names of our own scheme are considered; nothing else is touched.
pub fn remove_stale(parent: &Path, version: Version) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some((pid, start)) = name.to_str().and_then(parse_name) else { continue };
        if !e.file_type().is_ok_and(|t| t.is_dir()) || !owner_dead(pid, start) {
            continue;
        }
        let dir = e.path();
        crate::debug!("cgroup: removing stale {} (its monitor, pid {pid}, is gone)", dir.display());
        if version == Version::V2 {
            let _ = fs::write(&dir.join("cgroup.kill"), "1");
        }
        let emptied = fs::wait_until(Duration::from_secs(2), || {
            let procs = fs::procs_below(&dir);
            fs::kill_all(&procs);
            procs.is_empty()
        });
        if !emptied {
            crate::warn!("cgroup: processes of a dead sandbox survive SIGKILL in {}", dir.display());
        } else if let Err(e) = fs::remove_tree(&dir, Duration::from_secs(1)) {
            // Another user's, in a parent we share: theirs to remove.
            crate::debug!("cgroup: cannot remove the stale cgroup {}: {e}", dir.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse_name("libsandbox-12-345"), Some((12, 345)));
        assert_eq!(parse_name("libsandbox-12-345-monitor"), Some((12, 345)));
        for bad in ["libsandbox-12", "libsandbox--1", "libsandbox-a-1", "sandbox-1-2", "libsandbox-1-2-x", "libsandbox-1-2-monitor-monitor"] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn liveness_uses_the_start_time() {
        let me = std::process::id() as i32;
        let start = super::super::probe::start_time(me).unwrap();
        assert!(!owner_dead(me, start));
        assert!(owner_dead(me, start + 1), "a reused pid is a dead owner");
    }
}
