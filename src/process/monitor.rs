//! The monitor (P0): the original process, whose pid the caller sees. It validates and
//! plans (nothing irreversible), clones the init into the new namespaces, writes the id
//! maps, waits for the setup to finish, then waits for the end of the run: forwards
//! signals, enforces `time_limit`, and exits with the app's status or dies from its signal.

use super::channel::{self, AppStatus};
use super::init::{self, forwarded_set, Pipes};
use super::{run_steps, Context, FORWARDED};
use crate::error::{Context as _, Facility, Result, SetupError};
use crate::plan::Plan;
use crate::sys::{self, Forked};
use crate::{cgroup, userns};
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, sigprocmask, SigSet, SigmaskHow, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Instant;

/// Set up the sandbox. Returns only in the app process, right before `main`; every other
/// process of the sandbox ends inside (the monitor with the app's status).
pub fn launch(cx: &Context, plan: &Plan) -> Result<()> {
    let policy = cx.policy;
    run_steps(&plan.before_clone)?;
    if policy.process.die_with_parent {
        let parent = nix::unistd::getppid();
        nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).ctx(Facility::Process, || "set the parent-death signal (process.die_with_parent)")?;
        if nix::unistd::getppid() != parent {
            return Err(SetupError::reason(Facility::Process, "start the sandbox", "the launching process already exited"));
        }
    }
    // [cgroup] before the clone: made and limited now (and removed by its guard on every way
    // out); the init is moved in before it goes on, so its cgroup namespace is rooted there.
    let mut cgroup = cgroup::Session::start(policy, plan.cgroup.as_ref())?;
    let (report_r, report_w) = channel::pipe()?;
    let (sync_r, sync_w) = channel::pipe()?;
    let (status_r, status_w) = channel::pipe()?;
    let net = if plan.clone.net_helper { Some(crate::net::handover()?) } else { None };

    // Block the forwarded signals until someone is there to receive them: the init
    // unblocks them once the app exists; we once we know the init's pid.
    let mut mask = SigSet::empty();
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&forwarded_set()), Some(&mut mask)).ctx(Facility::Process, || "block signals")?;

    let started = Instant::now();
    let init_pid = match sys::clone_fork(plan.clone.flags) {
        Ok(Forked::Child) => {
            cgroup.disown();
            if let Some(net) = net {
                net.into_init();
            }
            drop((report_r, sync_w, status_r));
            init::run(plan, Pipes { sync: sync_r, report: report_w, status: status_w }, &mask, plan.clone.flags & libc::CLONE_NEWPID != 0);
            return Ok(());
        }
        Ok(Forked::Parent(pid)) => pid,
        Err(e) => {
            let facility = if plan.clone.flags & libc::CLONE_NEWUSER != 0 { Facility::UserNs } else { Facility::Namespaces };
            return Err(SetupError::errno(facility, format!("create the namespaces ({})", crate::plan::clone_flag_names(plan.clone.flags)), e));
        }
    };
    drop((sync_r, report_w, status_w));
    let _ = sys::forward_signals(FORWARDED, init_pid, policy.process.new_session);
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&mask), None);

    let abort = |e: SetupError| -> SetupError {
        let _ = kill(Pid::from_raw(init_pid), Signal::SIGKILL);
        let _ = waitpid(Pid::from_raw(init_pid), None);
        e
    };
    // The network namespace is made alongside the init's work (see `net`).
    let net_helper = match net {
        Some(net) => Some(net.start_helper(init_pid, plan.clone.flags & libc::CLONE_NEWUSER != 0).map_err(abort)?),
        None => None,
    };
    cgroup.attach(init_pid).map_err(abort)?;
    if let (Some(u), Some(g)) = (plan.clone.uid_map, plan.clone.gid_map) {
        userns::write_maps(init_pid, u, g).map_err(abort)?;
    }
    channel::send_go(&sync_w).map_err(abort)?;
    drop(sync_w);

    // Setup errors of the init and the app arrive here; EOF means the app is entering main.
    let msg = channel::read_to_end(&report_r);
    drop(report_r);
    // Setup over: the helper has handed the namespace over and is gone or going.
    if let Some(helper) = net_helper {
        helper.reap();
    }
    if !msg.is_empty() {
        let e = SetupError::decode(&msg)
            .unwrap_or_else(|| SetupError::reason(Facility::Process, "set up the sandbox", String::from_utf8_lossy(&msg).into_owned()));
        return Err(abort(e));
    }
    crate::debug!("setup done in {:?}; waiting for the app", started.elapsed());
    let end = wait(cx, init_pid, status_r, started, &cgroup);
    finish(cx, end, cgroup)
}

/// How the run ended.
enum End {
    App(AppStatus),
    TimedOut,
}

fn wait(cx: &Context, init_pid: libc::pid_t, status: OwnedFd, started: Instant, cgroup: &cgroup::Session) -> End {
    let deadline = cx.policy.process.time_limit.map(|d| started + d.0);
    let pidfd = sys::pidfd_open(init_pid).ok();
    let mut app_status = None;
    let mut status_open = true;
    let mut timed_out = false;
    // Each round handles an event or an interruption; the loop ends when the init is gone.
    loop {
        let timeout = match deadline {
            Some(d) if !timed_out => {
                let left = d.saturating_duration_since(Instant::now());
                PollTimeout::try_from(left.as_millis().min(i32::MAX as u128) as i32).unwrap_or(PollTimeout::MAX)
            }
            _ => PollTimeout::NONE,
        };
        let mut fds = Vec::with_capacity(2);
        if status_open {
            fds.push(PollFd::new(status.as_fd(), PollFlags::POLLIN));
        }
        if let Some(p) = &pidfd {
            fds.push(PollFd::new(p.as_fd(), PollFlags::POLLIN));
        }
        match poll(&mut fds, timeout) {
            Err(Errno::EINTR) => continue,
            Err(_) => break,
            Ok(0) => {
                crate::debug!("time limit reached: killing the sandbox");
                cgroup.kill();
                let _ = kill(Pid::from_raw(init_pid), Signal::SIGKILL);
                timed_out = true;
                continue;
            }
            Ok(_) => {}
        }
        let status_ready = status_open && fds[0].revents().is_some_and(|r| !r.is_empty());
        let init_gone = pidfd.is_some() && fds.last().and_then(|f| f.revents()).is_some_and(|r| !r.is_empty());
        drop(fds);
        if status_ready {
            match AppStatus::recv(&status) {
                Ok(Some(AppStatus::Stopped(_))) => {
                    // Job control: the app stopped, so does the monitor (the shell waits on
                    // us); SIGCONT from the shell wakes both.
                    let _ = kill(Pid::this(), Signal::SIGSTOP);
                }
                Ok(Some(s)) => app_status = Some(s),
                Ok(None) => status_open = false,
                Err(Errno::EINTR) => {}
                Err(_) => status_open = false,
            }
        }
        if init_gone || (pidfd.is_none() && !status_open) {
            break;
        }
    }
    let init_status = loop {
        match waitpid(Pid::from_raw(init_pid), None) {
            Err(Errno::EINTR) => continue,
            r => break r,
        }
    };
    // A final record may still be in the pipe.
    if app_status.is_none() {
        while let Ok(Some(s)) = AppStatus::recv(&status) {
            if !matches!(s, AppStatus::Stopped(_)) {
                app_status = Some(s);
                break;
            }
        }
    }
    if timed_out {
        return End::TimedOut;
    }
    End::App(app_status.unwrap_or(match init_status {
        Ok(WaitStatus::Exited(_, c)) => AppStatus::Exited(c),
        Ok(WaitStatus::Signaled(_, s, core)) => AppStatus::Killed { signal: s as i32, core, syscall: None },
        _ => AppStatus::Exited(125),
    }))
}

fn finish(cx: &Context, end: End, cgroup: cgroup::Session) -> ! {
    // Kill what is left in the cgroup, remove it, write stats_file: before any way out.
    let oom = cgroup.finish(match end {
        End::TimedOut => cgroup::Ending::TimedOut,
        End::App(AppStatus::Exited(code)) => cgroup::Ending::Exited(code),
        End::App(AppStatus::Killed { signal, .. }) => cgroup::Ending::Killed(signal),
        End::App(AppStatus::Stopped(_)) => cgroup::Ending::Exited(125),
    });
    if let Some(limit) = oom {
        crate::log::notice(&format!("out of memory: {} was killed by the memory limit ({limit})", cx.program));
        sys::exit_now(137)
    }
    match end {
        End::TimedOut => {
            let limit = cx.policy.process.time_limit.map(|d| d.to_string()).unwrap_or_default();
            crate::log::notice(&format!("time limit: {} was killed after {limit} (process.time_limit)", cx.program));
            sys::exit_now(137)
        }
        End::App(AppStatus::Exited(code)) => sys::exit_now(code),
        End::App(AppStatus::Killed { signal, syscall, .. }) => {
            if signal == libc::SIGSYS {
                crate::log::notice(&crate::seccomp::kill_message(cx.policy, cx.program, syscall));
            }
            die_by(signal)
        }
        End::App(AppStatus::Stopped(_)) => sys::exit_now(125),
    }
}

/// Die from the same signal as the app, so the caller sees the same wait status. No core
/// file: the monitor's memory is not the app's. Where that fails, exit 128+N.
fn die_by(signal: i32) -> ! {
    if let Ok(sig) = Signal::try_from(signal) {
        let _ = nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0);
        sys::default_signals(&[signal]);
        let mut set = SigSet::empty();
        set.add(sig);
        let _ = sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&set), None);
        let _ = kill(Pid::this(), sig);
    }
    sys::exit_now(128 + signal)
}
