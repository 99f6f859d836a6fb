//! The thin unsafe layer of the seccomp facility: libseccomp (a context with a `Drop`, and
//! one helper turning its `-errno` returns into `Result`), the raw seccomp(2) load, and the
//! few ptrace(2) requests that name a killed syscall. Every block has a `// SAFETY:` note;
//! the rest of the crate stays `#![deny(unsafe_code)]`.
#![allow(unsafe_code)]

use libseccomp_sys as scmp;
use nix::errno::Errno;
use std::ffi::{CStr, CString};
use std::io::{Read, Seek};
use std::os::fd::AsRawFd;
use std::ptr::NonNull;

/// libseccomp's `-errno` convention to `Result` (the `libseccomp` crate's `cvt`).
fn cvt(rc: libc::c_int) -> Result<libc::c_int, Errno> {
    if rc < 0 {
        Err(Errno::from_raw(-rc))
    } else {
        Ok(rc)
    }
}

/// -1/errno to `Result`.
fn cvt_raw(rc: libc::c_long) -> Result<libc::c_long, Errno> {
    if rc == -1 {
        Err(Errno::last())
    } else {
        Ok(rc)
    }
}

/// One argument comparison of a libseccomp rule.
pub type ArgCmp = scmp::scmp_arg_cmp;
pub use scmp::scmp_compare as Cmp;

/// A libseccomp filter context, released on drop. Lives only in the monitor: it is
/// exported to plain BPF there, and the app loads that BPF with seccomp(2) directly.
pub struct Context(NonNull<libc::c_void>);

impl Context {
    /// `seccomp_init(default_action)`: a filter for the native architecture only.
    pub fn new(default_action: u32) -> Result<Context, Errno> {
        // SAFETY: seccomp_init only reads its integer argument; it returns NULL or a context
        // that we own from here on (released in Drop).
        let ctx = unsafe { scmp::seccomp_init(default_action) };
        NonNull::new(ctx).map(Context).ok_or(Errno::EINVAL)
    }

    pub fn set_attr(&mut self, attr: scmp::scmp_filter_attr, value: u32) -> Result<(), Errno> {
        // SAFETY: the context is valid (owned by self); attr and value are plain integers.
        cvt(unsafe { scmp::seccomp_attr_set(self.0.as_ptr(), attr, value) }).map(drop)
    }

    /// `seccomp_rule_add_exact_array`: the rule exactly as given, for the native arch.
    pub fn add_rule(&mut self, action: u32, nr: i32, args: &[ArgCmp]) -> Result<(), Errno> {
        let ptr = if args.is_empty() { std::ptr::null() } else { args.as_ptr() };
        // SAFETY: the context is valid; `ptr` points to `args.len()` initialised comparisons
        // that outlive the call (libseccomp copies them).
        cvt(unsafe { scmp::seccomp_rule_add_exact_array(self.0.as_ptr(), action, nr, args.len() as libc::c_uint, ptr) })
            .map(drop)
    }

    /// The filter as BPF instructions, each `struct sock_filter` kept as its 8 bytes.
    /// libseccomp 2.5 can only export to a descriptor: a memfd is that descriptor.
    pub fn export_bpf(&self) -> Result<Vec<u64>, Errno> {
        let bytes = self.export(|ctx, fd| {
            // SAFETY: valid context and an open descriptor we own for the duration.
            unsafe { scmp::seccomp_export_bpf(ctx, fd) }
        })?;
        if bytes.len() % 8 != 0 {
            return Err(Errno::EINVAL);
        }
        Ok(bytes.chunks_exact(8).map(|c| u64::from_ne_bytes(c.try_into().expect("8 bytes"))).collect())
    }

    /// The filter in libseccomp's readable pseudo filter code (PFC).
    pub fn export_pfc(&self) -> Result<String, Errno> {
        let bytes = self.export(|ctx, fd| {
            // SAFETY: valid context and an open descriptor we own for the duration.
            unsafe { scmp::seccomp_export_pfc(ctx, fd) }
        })?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn export(&self, f: impl FnOnce(scmp::const_scmp_filter_ctx, libc::c_int) -> libc::c_int) -> Result<Vec<u8>, Errno> {
        let fd = nix::sys::memfd::memfd_create(c"libsandbox-seccomp", nix::sys::memfd::MFdFlags::MFD_CLOEXEC)?;
        cvt(f(self.0.as_ptr(), fd.as_raw_fd()))?;
        let mut file = std::fs::File::from(fd);
        let mut out = Vec::new();
        file.rewind().and_then(|_| file.read_to_end(&mut out)).map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))?;
        Ok(out)
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: the context came from seccomp_init and is released exactly once.
        unsafe { scmp::seccomp_release(self.0.as_ptr()) }
    }
}

/// The native (x86_64) number of a syscall name, if libseccomp knows it. Names libseccomp
/// knows only for other architectures (`socketcall`) resolve to negative pseudo numbers:
/// they are reported as `None` too.
pub fn resolve_name(name: &str) -> Option<i32> {
    let c = CString::new(name).ok()?;
    // SAFETY: `c` is a NUL-terminated string that outlives the call.
    let nr = unsafe { scmp::seccomp_syscall_resolve_name_arch(scmp::SCMP_ARCH_NATIVE, c.as_ptr()) };
    (nr >= 0).then_some(nr)
}

/// True when libseccomp knows `name` on some architecture (for a better error message).
pub fn known_elsewhere(name: &str) -> bool {
    let Ok(c) = CString::new(name) else { return false };
    // SAFETY: as above.
    let nr = unsafe { scmp::seccomp_syscall_resolve_name_arch(scmp::SCMP_ARCH_NATIVE, c.as_ptr()) };
    nr < -1
}

/// Which architecture table a number is looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Native,
    X32,
    I386,
}

/// The name of syscall `nr` in `table`, if libseccomp knows it.
pub fn resolve_num(table: Table, nr: i32) -> Option<String> {
    let arch = match table {
        Table::Native => scmp::SCMP_ARCH_NATIVE,
        Table::X32 => scmp::SCMP_ARCH_X32,
        Table::I386 => scmp::SCMP_ARCH_X86,
    };
    // SAFETY: integer arguments; the result is NULL or a malloc'ed NUL-terminated string
    // that the caller must free, which we do after copying it.
    unsafe {
        let p = scmp::seccomp_syscall_resolve_num_arch(arch, nr);
        if p.is_null() {
            return None;
        }
        let name = CStr::from_ptr(p).to_string_lossy().into_owned();
        libc::free(p as *mut libc::c_void);
        Some(name)
    }
}

/// `seccomp(SECCOMP_SET_MODE_FILTER, 0, prog)`: install a BPF program on the calling thread.
/// The caller has set no_new_privs. Makes no allocation: it runs right before `main`.
pub fn install(insns: &[u64]) -> Result<(), Errno> {
    if insns.is_empty() || insns.len() > u16::MAX as usize {
        return Err(Errno::EINVAL);
    }
    let prog = libc::sock_fprog { len: insns.len() as libc::c_ushort, filter: insns.as_ptr() as *mut libc::sock_filter };
    // SAFETY: `prog` points to `len` 8-byte instructions laid out as `struct sock_filter`
    // (each u64 holds one instruction's bytes as exported); the kernel copies them during
    // the call and keeps no pointer.
    cvt_raw(unsafe { libc::syscall(libc::SYS_seccomp, libc::SECCOMP_SET_MODE_FILTER, 0, &prog as *const libc::sock_fprog) })?;
    Ok(())
}

/// Call syscall `nr` without arguments and return the errno it failed with (0 if it
/// succeeded). Used with a number no kernel implements, to probe the installed filters.
pub fn probe(nr: i32) -> i32 {
    // SAFETY: `nr` is not a syscall the kernel implements (ENOSYS without a filter); no
    // pointer is passed.
    let r = unsafe { libc::syscall(nr as libc::c_long, 0, 0, 0, 0, 0, 0) };
    if r == -1 {
        Errno::last_raw()
    } else {
        0
    }
}

/// `dup3(fd, to, O_CLOEXEC)`: the same open file on descriptor `to`, which must differ
/// from `fd`. The caller makes sure no `OwnedFd` of this process holds `to` (whatever else
/// is open there is closed by dup3).
pub fn dup_to(fd: &std::os::fd::OwnedFd, to: libc::c_int) -> Result<std::os::fd::OwnedFd, Errno> {
    use std::os::fd::FromRawFd;
    // SAFETY: dup3 with two descriptor numbers and a flag; `fd` stays owned by its OwnedFd.
    cvt_raw(unsafe { libc::dup3(fd.as_raw_fd(), to, libc::O_CLOEXEC) } as libc::c_long)?;
    // SAFETY: `to` is now a new descriptor that nobody else owns (see above).
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(to) })
}

/// close(2), exactly one system call. `OwnedFd`'s drop is not that in debug builds: std
/// first checks the descriptor with fcntl(F_GETFD), a call the policy need not allow.
pub fn close_exactly(fd: std::os::fd::OwnedFd) {
    use std::os::fd::IntoRawFd;
    let raw = fd.into_raw_fd();
    // SAFETY: `raw` came out of an OwnedFd, so it is open and owned by nobody else now.
    unsafe { libc::close(raw) };
}

// ---------------------------------------------------------------------------------------
// ptrace(2), used by the init on the app only to read its registers when it exits.

fn ptrace(req: libc::c_uint, pid: libc::pid_t, addr: usize, data: usize) -> Result<libc::c_long, Errno> {
    Errno::clear();
    // SAFETY: the requests used here (SEIZE, CONT, LISTEN, GETEVENTMSG, GETREGS, PEEKDATA)
    // either take integers or write into the buffer `data` points to, which the callers
    // below size for the request.
    let r = unsafe { libc::ptrace(req, pid, addr as *mut libc::c_void, data as *mut libc::c_void) };
    // PEEKDATA returns the word itself, so -1 is an error only with errno set.
    if r == -1 && Errno::last_raw() != 0 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

pub fn ptrace_seize(pid: libc::pid_t, options: libc::c_int) -> Result<(), Errno> {
    ptrace(libc::PTRACE_SEIZE, pid, 0, options as usize).map(drop)
}

/// Restart a stopped tracee, delivering `signal` (0: none).
pub fn ptrace_cont(pid: libc::pid_t, signal: libc::c_int) -> Result<(), Errno> {
    ptrace(libc::PTRACE_CONT, pid, 0, signal as usize).map(drop)
}

/// Leave a tracee in group-stop (job control) without keeping it in a ptrace-stop.
pub fn ptrace_listen(pid: libc::pid_t) -> Result<(), Errno> {
    ptrace(libc::PTRACE_LISTEN, pid, 0, 0).map(drop)
}

pub fn ptrace_geteventmsg(pid: libc::pid_t) -> Result<libc::c_ulong, Errno> {
    let mut msg: libc::c_ulong = 0;
    ptrace(libc::PTRACE_GETEVENTMSG, pid, 0, &mut msg as *mut libc::c_ulong as usize)?;
    Ok(msg)
}

/// The registers that matter for naming a syscall: (orig_rax, rax, rip, cs).
#[cfg(target_arch = "x86_64")]
pub fn ptrace_syscall_regs(pid: libc::pid_t) -> Result<(u64, u64, u64, u64), Errno> {
    // SAFETY: user_regs_struct is plain old data; zeroed is a valid value.
    let mut regs: libc::user_regs_struct = unsafe { std::mem::zeroed() };
    ptrace(libc::PTRACE_GETREGS, pid, 0, &mut regs as *mut libc::user_regs_struct as usize)?;
    Ok((regs.orig_rax, regs.rax, regs.rip, regs.cs))
}

/// One word of the tracee's memory.
pub fn ptrace_peek(pid: libc::pid_t, addr: u64) -> Result<u64, Errno> {
    ptrace(libc::PTRACE_PEEKDATA, pid, addr as usize, 0).map(|w| w as u64)
}
