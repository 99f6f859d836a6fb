//! The app process (P2): the last steps before the program's `main`.

use super::{channel, run_steps};
use crate::error::{Context, Facility, Result};
use crate::plan::Step;
use crate::policy::AbsPath;
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow};
use std::os::fd::OwnedFd;

/// Run the app's steps. On success: restore the program's signal mask, close the report
/// pipe (the monitor sees EOF: setup done) and return, so the caller enters `main`.
/// On failure: report to the monitor and exit 125; `main` never runs.
pub fn run(steps: &[Step], report: OwnedFd, mask: &SigSet) {
    let result = run_steps(steps).and_then(|()| {
        sigprocmask(SigmaskHow::SIG_SETMASK, Some(mask), None).ctx(Facility::Process, || "restore the signal mask")
    });
    if let Err(e) = result {
        channel::send_error(&report, &e);
        crate::sys::exit_now(125);
    }
    drop(report);
}

pub fn die_with_init() -> Result<()> {
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL).ctx(Facility::Process, || "set the parent-death signal")?;
    // The init may have died between fork and prctl: then our parent is no longer it.
    if nix::unistd::getppid().as_raw() == 1 {
        return Err(crate::error::SetupError::reason(Facility::Process, "start the app", "the init process died during setup"));
    }
    Ok(())
}

pub fn chdir(path: &AbsPath, fallback_to_root: bool) -> Result<()> {
    match nix::unistd::chdir(path.as_path()) {
        Err(_) if fallback_to_root => nix::unistd::chdir("/").ctx(Facility::Process, || "chdir /"),
        r => r.ctx(Facility::Process, || format!("chdir to filesystem.cwd {path}")),
    }
}

pub fn new_session() -> Result<()> {
    nix::unistd::setsid().map(drop).ctx(Facility::Process, || "setsid (process.new_session)")
}
