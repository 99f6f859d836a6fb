//! The init process (P1): PID 1 of the new pid namespace. Builds the sandbox's world
//! (mounts, hostname, loopback), forks the app, reaps every child and forwards signals.

use super::channel::{self, AppStatus};
use super::{app, run_steps, FORWARDED};
use crate::error::{Context, Facility};
use crate::plan::{Plan, Step};
use crate::seccomp;
use crate::sys::{self, Forked};
use nix::errno::Errno;
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use std::os::fd::OwnedFd;

pub struct Pipes {
    pub sync: OwnedFd,
    pub report: OwnedFd,
    pub status: OwnedFd,
}

/// Returns only in the app process, ready to enter `main`.
pub fn run(plan: &Plan, pipes: Pipes, mask: &SigSet, new_pid_ns: bool) {
    let Pipes { sync, report, status } = pipes;
    // Die with the monitor: nothing would clean up after us otherwise.
    if let Err(e) = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL).ctx(Facility::Process, || "set the parent-death signal") {
        fail(&report, &e);
    }
    // Wait until the monitor wrote our id maps (and put us into the cgroup).
    if !channel::wait_go(&sync) {
        sys::exit_now(125);
    }
    drop(sync);
    if !new_pid_ns {
        // Without a pid namespace we are not PID 1: become the reaper of the app's orphans.
        if let Err(e) = nix::sys::prctl::set_child_subreaper(true).ctx(Facility::Process, || "become a child subreaper") {
            fail(&report, &e);
        }
    }
    if let Err(e) = run_steps(&plan.init) {
        fail(&report, &e);
    }
    // With a seccomp filter the app waits on this pipe, before loading it, until we follow
    // it with ptrace: a kill can then always be named (see seccomp::tracer).
    let traced = match plan.app.iter().any(|s| matches!(s, Step::Seccomp(_))) {
        true => Some(channel::pipe().unwrap_or_else(|e| fail(&report, &e))),
        false => None,
    };
    let app_pid = match sys::fork().ctx(Facility::Process, || "fork the app process") {
        Ok(Forked::Child) => {
            drop(status);
            app::run(&plan.app, report, mask, traced.map(|(r, _)| r));
            return;
        }
        Ok(Forked::Parent(pid)) => pid,
        Err(e) => fail(&report, &e),
    };
    let tracer = traced.and_then(|(_, go)| {
        let t = seccomp::Tracer::seize(app_pid);
        drop(go);
        t
    });
    drop(report);
    // Forward what the monitor passes on; signals the terminal sent reached the app itself.
    let _ = sys::forward_signals(FORWARDED, app_pid, false);
    let _ = sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&forwarded_set()), None);
    reap(app_pid, status, tracer)
}

fn fail(report: &OwnedFd, e: &crate::error::SetupError) -> ! {
    channel::send_error(report, e);
    sys::exit_now(125)
}

pub fn forwarded_set() -> SigSet {
    let mut s = SigSet::empty();
    for &sig in FORWARDED {
        if let Ok(sig) = nix::sys::signal::Signal::try_from(sig) {
            s.add(sig);
        }
    }
    s
}

/// Reap every child (orphans re-parent to us) until the app is gone, then report its end.
fn reap(app_pid: libc::pid_t, status: OwnedFd, mut tracer: Option<seccomp::Tracer>) -> ! {
    let flags = WaitPidFlag::WUNTRACED | WaitPidFlag::__WALL;
    loop {
        let ws = match waitpid(None, Some(flags)) {
            // The app's ptrace-stops are answered by the tracer and not seen below.
            Ok(ws) => match tracer.as_mut().map_or(Some(ws), |t| t.intercept(ws)) {
                Some(ws) => Ok(ws),
                None => continue,
            },
            e => e,
        };
        match ws {
            Ok(WaitStatus::Exited(pid, code)) if pid.as_raw() == app_pid => {
                AppStatus::Exited(code).send(&status);
                sys::exit_now(code);
            }
            Ok(WaitStatus::Signaled(pid, sig, core)) if pid.as_raw() == app_pid => {
                let syscall = tracer.as_ref().and_then(|t| t.killed());
                AppStatus::Killed { signal: sig as i32, core, syscall }.send(&status);
                sys::exit_now(128 + sig as i32);
            }
            Ok(WaitStatus::Stopped(pid, sig)) if pid.as_raw() == app_pid => AppStatus::Stopped(sig as i32).send(&status),
            Ok(_) | Err(Errno::EINTR) => continue,
            // No child left although the app was not seen to end: cannot happen; give up.
            Err(_) => sys::exit_now(125),
        }
    }
}
