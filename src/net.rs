//! network_namespaces(7): the sandbox's network namespace, with only `lo`, up.
//!
//! Making a network namespace is the most expensive step of the whole setup: 0.3-0.6 ms of
//! kernel work (every protocol registers its sysctls and /proc files, `lo` is registered),
//! several times the cost of any other namespace. Nothing needs it before the app is
//! forked, so it is made off the critical path: right after the clone (which leaves
//! CLONE_NEWNET out) the monitor forks a short-lived helper that joins the sandbox's user
//! namespace, makes the network namespace, brings `lo` up, passes the namespace to the init
//! as a descriptor (SCM_RIGHTS over a socket pair) and exits. Meanwhile the init builds the
//! root filesystem; it joins the namespace as one of its last steps (`Step::JoinNetwork`).
//! With a second CPU the two overlap (bench/run.sh: about 0.3 ms less per start).
//!
//! The result is the same as with CLONE_NEWNET: a namespace owned by the sandbox's user
//! namespace, made before the id maps are written, holding only `lo`. A failure in the
//! helper reaches the init in place of the descriptor and is reported by it.

use crate::error::{Context, Facility, Result, SetupError};
use crate::sys::{self, Forked};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::signal::{kill, sigprocmask, SigSet, SigmaskHow, Signal};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;
use std::os::fd::OwnedFd;
use std::sync::Mutex;

const F: Facility = Facility::Net;

pub fn loopback_up() -> Result<()> {
    sys::interface_up("lo").ctx(F, || "bring the loopback interface up")
}

/// The two ends of the socket pair, made by the monitor before the clone.
pub struct Handover {
    init: OwnedFd,
    helper: OwnedFd,
}

pub fn handover() -> Result<Handover> {
    let (init, helper) = sys::seqpacket_pair().ctx(F, || "create the socket pair for the network namespace")?;
    Ok(Handover { init, helper })
}

/// The init's end, kept until `Step::JoinNetwork` (a process-wide slot: each process of
/// the sandbox is a fork, and only the init ever fills it).
static JOIN: Mutex<Option<OwnedFd>> = Mutex::new(None);

impl Handover {
    /// In the init, right after the clone.
    pub fn into_init(self) {
        drop(self.helper);
        *JOIN.lock().unwrap_or_else(|e| e.into_inner()) = Some(self.init);
    }

    /// In the monitor, right after the clone: fork the helper for the init `init_pid`
    /// (`user_ns`: whether the init has a user namespace of its own to join first).
    pub fn start_helper(self, init_pid: libc::pid_t, user_ns: bool) -> Result<Helper> {
        let Handover { init, helper } = self;
        drop(init);
        match sys::fork().ctx(F, || "fork the network namespace helper")? {
            Forked::Child => {
                // Nothing of the caller's may reach it: no forwarded signal, no handler.
                let _ = sigprocmask(SigmaskHow::SIG_BLOCK, Some(&SigSet::all()), None);
                let reply = match make(init_pid, user_ns) {
                    Ok(ns) => sys::send_with_fd(&helper, b"+", Some(&ns)),
                    Err(e) => sys::send_with_fd(&helper, &e.encode(), None),
                };
                sys::exit_now(if reply.is_ok() { 0 } else { 125 })
            }
            Forked::Parent(pid) => Ok(Helper { pid }),
        }
    }
}

/// The helper's work, in the sandbox's user namespace: the new network namespace, `lo` up.
fn make(init_pid: libc::pid_t, user_ns: bool) -> Result<OwnedFd> {
    if user_ns {
        let path = format!("/proc/{init_pid}/ns/user");
        let userns = std::fs::File::open(&path).ctx(F, || format!("open {path}"))?;
        setns(&userns, CloneFlags::CLONE_NEWUSER).ctx(F, || "join the sandbox's user namespace (network helper)")?;
    }
    unshare(CloneFlags::CLONE_NEWNET).ctx(F, || "create the network namespace")?;
    loopback_up()?;
    let ns = std::fs::File::open("/proc/self/ns/net").ctx(F, || "open /proc/self/ns/net (network helper)")?;
    Ok(ns.into())
}

/// The helper, owned by the monitor. `reap` once the setup is over (it has exited or is
/// exiting then); dropped unreaped (a setup error), it is killed first.
pub struct Helper {
    pid: libc::pid_t,
}

impl Helper {
    pub fn reap(self) {
        let pid = Pid::from_raw(self.pid);
        std::mem::forget(self);
        while let Err(nix::errno::Errno::EINTR) = waitpid(pid, None) {}
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = kill(Pid::from_raw(self.pid), Signal::SIGKILL);
        while let Err(nix::errno::Errno::EINTR) = waitpid(Pid::from_raw(self.pid), None) {}
    }
}

/// `Step::JoinNetwork`, in the init: wait for the helper's namespace and enter it.
pub fn join() -> Result<()> {
    let sock = JOIN.lock().unwrap_or_else(|e| e.into_inner()).take();
    let sock = sock.ok_or_else(|| SetupError::reason(F, "join the network namespace", "no helper was started"))?;
    let mut buf = [0u8; libc::PIPE_BUF];
    let (n, ns) = sys::recv_with_fd(&sock, &mut buf).ctx(F, || "receive the network namespace from the helper")?;
    match ns {
        Some(ns) => setns(&ns, CloneFlags::CLONE_NEWNET).ctx(F, || "join the network namespace"),
        None if n > 0 => Err(SetupError::decode(&buf[..n])
            .unwrap_or_else(|| SetupError::reason(F, "create the network namespace", String::from_utf8_lossy(&buf[..n]).into_owned()))),
        None => Err(SetupError::reason(F, "create the network namespace", "the helper process ended without sending it")),
    }
}
