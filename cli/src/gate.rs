//! The handshake gate: `sandbox run` lets the program go only once libsandbox.so is in
//! control of it.
//!
//! The program is started under ptrace (PTRACE_TRACEME, then execve) and held at three
//! points:
//!
//! 1. right after execve: a breakpoint is put on its entry point (AT_ENTRY);
//! 2. at the entry point: the dynamic loader has loaded and relocated every library and
//!    run the libraries' constructors; nothing of the program's own code has run. The
//!    breakpoint is removed and the program continues system call by system call;
//! 3. at its first system call: this must be the library's answer, `write(N, ANSWER)`
//!    on the handshake descriptor (the hook writes it before anything else: see
//!    src/handshake.rs). Then the gate detaches: from here on the library either
//!    sandboxes `main` or exits 125. Anything else is the program running without the
//!    library (it was not loaded, or the program does not start through glibc's
//!    `__libc_start_main`): it is killed on the spot, before that system call runs.
//!
//! Only memory management calls that cannot reach outside the process (brk, anonymous
//! mmap, munmap, mprotect) may come before the answer. So when the library does not
//! take control, the program is killed having made no system call of its own: the
//! remaining window is computation inside the process, with no effect outside it.
//! What runs before the entry point (the loader, and the constructors of the shared
//! libraries) runs before the sandbox in every case, as with a plain LD_PRELOAD.
//!
//! PTRACE_O_EXITKILL: if the command dies while holding the program, the kernel kills it.
//!
//! Cost, measured on a 2-core host (best of 1000 fork+exec of /bin/true): 0.48 ms plain,
//! 0.55 ms held this way; from the entry point to the answer, ~30 µs (the hook's own code).

use nix::errno::Errno;
use nix::sys::ptrace;
use nix::sys::signal::Signal;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use std::time::{Duration, Instant};

/// Why the program was not let go.
#[derive(Debug)]
pub enum Refusal {
    /// execve failed in the child (errno reported over the exec pipe by the caller).
    NotStarted,
    /// The program ended (or was killed by someone) before the gate opened.
    Ended(WaitStatus),
    /// A system call that is not the answer came first.
    SyscallBeforeAnswer { nr: i64, library_mapped: bool },
    /// The answer came, but not the one this command speaks.
    WrongAnswer(String),
    /// ptrace itself failed.
    Trace(&'static str, Errno),
}

/// Timing of a successful gate, for `--log debug`.
pub struct Passed {
    pub at_entry: Duration,
    pub answered: Duration,
}

/// Hold `child` (which called PTRACE_TRACEME and then execve) until the library answers
/// on descriptor `fd`. On Ok, the child is detached and runs; on Err the caller kills it.
pub fn hold(child: Pid, fd: i32, answer: &[u8], lib_name: &str) -> Result<Passed, Refusal> {
    let started = Instant::now();
    // 1. The SIGTRAP of a successful execve under PTRACE_TRACEME.
    loop {
        match wait(child)? {
            WaitStatus::Stopped(_, Signal::SIGTRAP) => break,
            // A signal that came before the execve: deliver it (it may end the child).
            WaitStatus::Stopped(_, sig) => ptrace::cont(child, sig).map_err(|e| Refusal::Trace("continue the program", e))?,
            WaitStatus::Exited(..) => return Err(Refusal::NotStarted),
            other => return Err(Refusal::Ended(other)),
        }
    }
    let options = ptrace::Options::PTRACE_O_EXITKILL | ptrace::Options::PTRACE_O_TRACESYSGOOD;
    ptrace::setoptions(child, options).map_err(|e| Refusal::Trace("set ptrace options", e))?;
    let entry = entry_point(child).map_err(|e| Refusal::Trace("read the program's entry point (/proc/PID/auxv)", e))?;
    let original = ptrace::read(child, entry as ptrace::AddressType).map_err(|e| Refusal::Trace("read the entry point", e))?;
    let trap = (original & !0xff) | 0xcc;
    ptrace::write(child, entry as ptrace::AddressType, trap).map_err(|e| Refusal::Trace("set a breakpoint", e))?;

    // 2. Run the loader up to the entry point.
    let mut pending: Option<Signal> = None;
    loop {
        ptrace::cont(child, pending.take()).map_err(|e| Refusal::Trace("continue the program", e))?;
        match wait(child)? {
            WaitStatus::Stopped(_, Signal::SIGTRAP) => {
                let mut regs = ptrace::getregs(child).map_err(|e| Refusal::Trace("read registers", e))?;
                if regs.rip == entry + 1 {
                    ptrace::write(child, entry as ptrace::AddressType, original).map_err(|e| Refusal::Trace("remove the breakpoint", e))?;
                    regs.rip = entry;
                    ptrace::setregs(child, regs).map_err(|e| Refusal::Trace("write registers", e))?;
                    break;
                }
            }
            // Any other signal is delivered as it would have been.
            WaitStatus::Stopped(_, sig) => pending = Some(sig),
            other => return Err(Refusal::Ended(other)),
        }
    }
    let at_entry = started.elapsed();

    // 3. System call by system call until the answer.
    let mut at_syscall_exit = false;
    loop {
        ptrace::syscall(child, pending.take()).map_err(|e| Refusal::Trace("continue the program", e))?;
        match wait(child)? {
            WaitStatus::PtraceSyscall(_) if at_syscall_exit => at_syscall_exit = false,
            WaitStatus::PtraceSyscall(_) => {
                let regs = ptrace::getregs(child).map_err(|e| Refusal::Trace("read registers", e))?;
                let nr = regs.orig_rax as i64;
                if nr == libc::SYS_write && regs.rdi as i64 == i64::from(fd) {
                    let said = read_memory(child, regs.rsi, (regs.rdx as usize).min(256));
                    if said != answer {
                        return Err(Refusal::WrongAnswer(String::from_utf8_lossy(&said).trim_end().to_string()));
                    }
                    // The write runs once detached.
                    ptrace::detach(child, None).map_err(|e| Refusal::Trace("let the program go", e))?;
                    return Ok(Passed { at_entry, answered: started.elapsed() });
                }
                if !harmless(nr, &regs) {
                    return Err(Refusal::SyscallBeforeAnswer { nr, library_mapped: library_mapped(child, lib_name) });
                }
                at_syscall_exit = true;
            }
            WaitStatus::Stopped(_, sig) => pending = Some(sig),
            other => return Err(Refusal::Ended(other)),
        }
    }
}

fn wait(child: Pid) -> Result<WaitStatus, Refusal> {
    loop {
        match waitpid(child, None) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(Refusal::Trace("wait for the program", e)),
            Ok(s) => return Ok(s),
        }
    }
}

/// Memory management that has no effect outside the process (the first `malloc` may
/// call brk or mmap before the hook's answer, depending on the libraries).
fn harmless(nr: i64, regs: &libc::user_regs_struct) -> bool {
    match nr {
        libc::SYS_brk | libc::SYS_munmap | libc::SYS_mprotect => true,
        // mmap(addr, len, prot, flags, fd, off): anonymous only (a shared mapping of an
        // inherited file could write to it without a write call).
        libc::SYS_mmap => regs.r10 as i32 & libc::MAP_ANONYMOUS != 0,
        _ => false,
    }
}

/// AT_ENTRY from /proc/PID/auxv: the program's entry point, load bias included.
fn entry_point(child: Pid) -> Result<u64, Errno> {
    let auxv = std::fs::read(format!("/proc/{child}/auxv")).map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))?;
    auxv.chunks_exact(16)
        .map(|c| (u64::from_ne_bytes(c[..8].try_into().expect("8 bytes")), u64::from_ne_bytes(c[8..].try_into().expect("8 bytes"))))
        .find(|(key, _)| *key == libc::AT_ENTRY)
        .map(|(_, value)| value)
        .ok_or(Errno::ENOENT)
}

/// `len` bytes of the child's memory at `addr` (shorter if unreadable).
fn read_memory(child: Pid, addr: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    let mut at = addr;
    while out.len() < len {
        match ptrace::read(child, at as ptrace::AddressType) {
            Ok(word) => out.extend_from_slice(&word.to_ne_bytes()),
            Err(_) => break,
        }
        at += 8;
    }
    out.truncate(len);
    out
}

/// Is a file of this name mapped into the child? (Only to word the error.)
fn library_mapped(child: Pid, lib_name: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{child}/maps"))
        .map(|maps| maps.lines().any(|l| l.rsplit('/').next() == Some(lib_name)))
        .unwrap_or(false)
}

/// A system call's name, for messages.
pub fn syscall_name(nr: i64) -> String {
    i32::try_from(nr).ok().and_then(libsandbox::seccomp::syscall_name).unwrap_or_else(|| format!("system call {nr}"))
}
