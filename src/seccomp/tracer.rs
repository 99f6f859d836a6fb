//! Naming the syscall that got the app killed by seccomp: ptrace(2) from the init, used only
//! for the exit event.
//!
//! Why this way. A seccomp kill delivers SIGSYS with `si_syscall` to the dying task only;
//! what the parent's wait sees is "killed by SIGSYS", nothing more. The ways out others use
//! do not work here:
//! - nsjail reads `/proc/PID/syscall` of the zombie after `waitid(WNOWAIT)`: on current
//!   kernels the zombie's stack is gone and the file says `-1 0x0 0x0` (tried on 6.18);
//! - audit records (`SECCOMP_FILTER_FLAG_LOG`, `type=1326 ... syscall=N`) need the kernel
//!   log, which an unprivileged caller cannot read (`dmesg_restrict`);
//! - a SIGSYS handler in the app (RET_TRAP) could be replaced or skipped by the program,
//!   so the kill would no longer be unconditional; user notification makes the kill depend
//!   on a supervisor being alive, and a dead supervisor turns it into ENOSYS.
//!
//! What works unprivileged: the init, the app's parent, seizes it with
//! `PTRACE_O_TRACEEXIT`. The kernel then stops the dying task at `PTRACE_EVENT_EXIT`, before
//! its memory and registers are gone. A seccomp kill (and a trap nobody handles) rolls the
//! registers back so that `rax == orig_rax ==` the syscall number; the ABI follows from
//! `orig_rax`'s x32 bit and from the instruction before `rip` (`int 0x80`) or `cs`.
//! The kill itself is untouched: the kernel forces SIGSYS with SA_IMMUTABLE, no tracer and
//! no handler can turn it into a continue.
//!
//! Costs and limits. No syscall is traced (no PTRACE_SYSCALL, no seccomp RET_TRACE): the
//! app runs at full speed. Signals to the app pass through a signal-delivery-stop, which the
//! init answers at once (two context switches); group-stops are left with PTRACE_LISTEN so
//! job control works as before. The app's `TracerPid` is the init, so nothing else can
//! attach to the app itself (its children are not traced). When seizing fails (another
//! tracer, such as strace, already follows the app; a Yama or LSM rule forbids it), kills
//! are reported as "unknown". Only the main thread is traced: a kill in another thread is
//! reported as "unknown" too (its registers are not ours to read; the main thread's, which
//! the rollback test rejects, would name the wrong call).

use super::sys;
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use std::os::fd::{AsFd, OwnedFd};

/// The ABI a killed syscall was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abi {
    Native,
    X32,
    I386,
}

impl Abi {
    pub fn code(self) -> u8 {
        match self {
            Abi::Native => 0,
            Abi::X32 => 1,
            Abi::I386 => 2,
        }
    }
    pub fn from_code(c: u8) -> Option<Abi> {
        [Abi::Native, Abi::X32, Abi::I386].into_iter().find(|a| a.code() == c)
    }
}

/// The syscall a seccomp kill stopped, as read from the dying task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Killed {
    /// As the task passed it: with the x32 bit for x32, the i386 number for `int 0x80`.
    pub nr: i32,
    pub abi: Abi,
}

/// The init's hold on the app.
pub struct Tracer {
    app: libc::pid_t,
    killed: Option<Killed>,
}

impl Tracer {
    /// Seize the app (it keeps running). `None` when the kernel refuses; the reason is
    /// logged at debug level and kills will be reported as "unknown".
    pub fn seize(app: libc::pid_t) -> Option<Tracer> {
        // EXITKILL: should the init die, the app dies with it (as it does anyway with a pid
        // namespace). TRACEEXIT: the stop this is all for.
        match sys::ptrace_seize(app, libc::PTRACE_O_EXITKILL | libc::PTRACE_O_TRACEEXIT) {
            Ok(()) => Some(Tracer { app, killed: None }),
            Err(e) => {
                crate::debug!("seccomp: cannot trace the app to name a killed syscall ({e}); kills will say \"unknown\"");
                None
            }
        }
    }

    /// Answer the app's ptrace-stops; every other wait status is returned unchanged. A
    /// group-stop (job control) is returned as `Stopped`, as without a tracer.
    pub fn intercept(&mut self, ws: WaitStatus) -> Option<WaitStatus> {
        match ws {
            WaitStatus::PtraceEvent(pid, sig, event) if pid.as_raw() == self.app => {
                if event == libc::PTRACE_EVENT_EXIT {
                    self.inspect_exit();
                    let _ = sys::ptrace_cont(self.app, 0);
                    None
                } else if event == libc::PTRACE_EVENT_STOP && is_stop_signal(sig) {
                    // Group-stop: stay stopped, but let SIGCONT resume it.
                    let _ = sys::ptrace_listen(self.app);
                    Some(WaitStatus::Stopped(pid, sig))
                } else {
                    // The end of a group-stop (SIGTRAP) or an event we did not ask for.
                    let _ = sys::ptrace_cont(self.app, 0);
                    None
                }
            }
            WaitStatus::Stopped(pid, sig) if pid.as_raw() == self.app => {
                // Signal-delivery-stop: deliver the signal as if nobody were tracing.
                let _ = sys::ptrace_cont(self.app, sig as libc::c_int);
                None
            }
            other => Some(other),
        }
    }

    /// The syscall that killed the app, if it died from one and it could be read.
    pub fn killed(&self) -> Option<Killed> {
        self.killed
    }

    fn inspect_exit(&mut self) {
        let Ok(status) = sys::ptrace_geteventmsg(self.app) else { return };
        let status = status as libc::c_int;
        if !(libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGSYS) {
            return;
        }
        self.killed = read_killed(self.app);
        crate::debug!("seccomp: the app dies from SIGSYS; syscall read from its registers: {:?}", self.killed);
    }
}

#[cfg(target_arch = "x86_64")]
fn read_killed(pid: libc::pid_t) -> Option<Killed> {
    const X32_SYSCALL_BIT: u64 = 0x4000_0000;
    const USER32_CS: u64 = 0x23;
    const INT80: u64 = 0x80cd; // the bytes cd 80, little-endian
    let (orig, rax, rip, cs) = sys::ptrace_syscall_regs(pid).ok()?;
    // The seccomp rollback (kill, or a trap with no handler) sets rax back to orig_rax; a
    // task that died elsewhere (in user code: orig_rax = -1; in a syscall: rax = -errno)
    // fails this test, so a SIGSYS from kill(2) is not mistaken for a seccomp kill.
    if rax != orig || orig > i32::MAX as u64 {
        return None;
    }
    let int80 = rip >= 2 && sys::ptrace_peek(pid, rip - 2).is_ok_and(|w| w & 0xffff == INT80);
    let abi = if cs == USER32_CS || int80 {
        Abi::I386
    } else if orig & X32_SYSCALL_BIT != 0 {
        Abi::X32
    } else {
        Abi::Native
    };
    Some(Killed { nr: orig as i32, abi })
}

#[cfg(not(target_arch = "x86_64"))]
fn read_killed(_pid: libc::pid_t) -> Option<Killed> {
    None
}

fn is_stop_signal(sig: Signal) -> bool {
    matches!(sig, Signal::SIGSTOP | Signal::SIGTSTP | Signal::SIGTTIN | Signal::SIGTTOU)
}

/// The app's side of the hand-over: block until the init has seized us (or given up), so
/// that no kill can happen before the tracer is there. The init signals by closing its end.
pub fn wait_for_tracer(fd: OwnedFd) {
    let mut b = [0u8; 1];
    while let Err(nix::errno::Errno::EINTR) = nix::unistd::read(fd.as_fd(), &mut b) {}
}
