//! What the monitor holds for `[cgroup]` during one run: the cgroup guard and the stats
//! file. `process::monitor` calls, in order: `start` (before the clone), `disown` (in the
//! init, right after the clone), `attach` (the init's pid, before "go"), `kill` (time
//! limit), `finish` (after the init was reaped).

use super::stats::{Stats, StatsFile};
use super::{Guard, Setup};
use crate::error::Result;
use crate::policy::{Policy, Size};
use std::time::Instant;

/// How the run ended, as the monitor saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Killed(i32),
    TimedOut,
}

pub struct Session {
    guard: Guard,
    stats: Option<StatsFile>,
    memory_max: Option<Size>,
    started: Instant,
}

impl Session {
    /// Validate the stats file's directory and create the cgroup (limits and all).
    pub fn start(policy: &Policy, setup: Option<&Setup>) -> Result<Session> {
        let section = policy.cgroup.as_ref();
        let stats = match section.and_then(|c| c.stats_file.as_ref().map(|p| (p, c.line))) {
            Some((path, line)) => Some(StatsFile::open(path, &format!("{} line {line}", policy.source))?),
            None => None,
        };
        let guard = Guard::create(setup)?;
        Ok(Session { guard, stats, memory_max: section.and_then(|c| c.memory_max), started: Instant::now() })
    }

    /// In the init right after the clone: close our copy of the stats directory (the
    /// sandbox must not hold it) and forget the cgroup (the monitor owns it).
    pub fn disown(self) {
        let Session { guard, stats, .. } = self;
        guard.disown();
        drop(stats);
    }

    pub fn attach(&mut self, init: libc::pid_t) -> Result<()> {
        self.guard.attach(init)
    }

    /// Kill everything in the cgroup (time limit). False when there is no cgroup.
    pub fn kill(&self) -> bool {
        self.guard.kill();
        self.guard.version().is_some()
    }

    /// After the init was reaped: kill what is left, read the usage, remove the cgroup,
    /// write the stats file. Returns the memory limit's text when the OOM killer ended
    /// the program.
    pub fn finish(self, end: Ending) -> Option<String> {
        let wall_ms = self.started.elapsed().as_millis() as u64;
        let mut usage = self.guard.finish();
        if usage.cpu_user_us.is_none() || usage.cpu_system_us.is_none() {
            // No cgroup (or no cpuacct): the init's rusage, which holds every descendant it
            // reaped, and it reaped all of them.
            if let Ok(r) = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN) {
                let us = |t: nix::sys::time::TimeVal| (t.tv_sec() as u64) * 1_000_000 + t.tv_usec() as u64;
                usage.cpu_user_us = usage.cpu_user_us.or(Some(us(r.user_time())));
                usage.cpu_system_us = usage.cpu_system_us.or(Some(us(r.system_time())));
            }
        }
        let oom = usage.oom_kills.is_some_and(|n| n > 0);
        let (code, signal) = match end {
            Ending::Exited(c) => (Some(c), None),
            Ending::Killed(s) => (None, Some(s)),
            Ending::TimedOut => (None, Some(libc::SIGKILL)),
        };
        if let Some(f) = &self.stats {
            let json = Stats::new(code, signal, wall_ms, &usage, end == Ending::TimedOut).to_json();
            if let Err(e) = f.write(&json) {
                crate::warn!("cgroup.stats_file {}: not written: {} ({e})", f.path, e.desc());
            }
        }
        (oom && end == Ending::Killed(libc::SIGKILL)).then(|| match self.memory_max {
            Some(m) => m.to_string(),
            None => "of a cgroup above the sandbox, or the host's memory".into(),
        })
    }
}
