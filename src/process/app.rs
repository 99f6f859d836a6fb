//! The app process (P2): the last steps before the program's `main`.

use super::{channel, run_steps};
use crate::error::{Context, Facility, Result};
use crate::plan::Step;
use crate::policy::AbsPath;
use crate::seccomp;
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow};
use std::os::fd::OwnedFd;

/// Run the app's steps. On success: restore the program's signal mask, close the report
/// pipe (the monitor sees EOF: setup done) and return, so the caller enters `main`.
/// On failure: report to the monitor and exit 125; `main` never runs.
///
/// The seccomp filter, the last step, comes after the signal mask is restored and the init
/// follows us (`traced` closes); after it only the report pipe is closed, on the descriptor
/// the filter lets through, so a policy need allow neither rt_sigprocmask nor close.
pub fn run(steps: &[Step], report: OwnedFd, mask: &SigSet, traced: Option<OwnedFd>) {
    let (setup, filter) = match steps.split_last() {
        Some((last @ Step::Seccomp(_), rest)) => (rest, Some(last)),
        _ => (steps, None),
    };
    let (report, traced) = match filter {
        Some(Step::Seccomp(f)) => seccomp::place_report_fd(report, traced, f).unwrap_or_else(|(report, e)| {
            channel::send_error(&report, &e);
            crate::sys::exit_now(125)
        }),
        _ => (report, traced),
    };
    let result = run_steps(setup)
        .and_then(|()| sigprocmask(SigmaskHow::SIG_SETMASK, Some(mask), None).ctx(Facility::Process, || "restore the signal mask"))
        .and_then(|()| {
            if let Some(traced) = traced {
                seccomp::wait_for_tracer(traced);
            }
            filter.map_or(Ok(()), |f| run_steps(std::slice::from_ref(f)))
        });
    if let Err(e) = result {
        channel::send_error(&report, &e);
        crate::sys::exit_now(125);
    }
    seccomp::close_report(report);
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
