//! namespaces(7): creating the namespaces. Most come with the clone of the init process
//! (`process::monitor`); cgroup and time are unshared by the init itself.

use crate::error::{Context, Facility, Result};
use nix::sched::{unshare, CloneFlags};

/// cgroup_namespaces(7): after the monitor moved us into the sandbox cgroup.
pub fn unshare_cgroup() -> Result<()> {
    unshare(CloneFlags::CLONE_NEWCGROUP).ctx(Facility::Namespaces, || "unshare the cgroup namespace")
}

/// time_namespaces(7): CLONE_NEWTIME shares the CSIGNAL bits of clone(2), so it cannot be
/// passed there; unsharing it puts the init's future children (the app) into it.
pub fn unshare_time() -> Result<()> {
    unshare(CloneFlags::from_bits_retain(libc::CLONE_NEWTIME)).ctx(Facility::Namespaces, || "unshare the time namespace")
}
