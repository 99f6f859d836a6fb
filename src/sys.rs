//! The thin unsafe layer: every raw system call or libc call that `nix` does not wrap
//! safely lives here, each behind a safe function with a `// SAFETY:` note. The rest of the
//! crate is `#![deny(unsafe_code)]`.
#![allow(unsafe_code)]

use nix::errno::Errno;
use std::ffi::{CStr, CString};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// -1/errno to `Result`.
fn cvt(ret: libc::c_long) -> Result<libc::c_long, Errno> {
    if ret == -1 {
        Err(Errno::last())
    } else {
        Ok(ret)
    }
}

/// Result of a fork-like call.
pub enum Forked {
    Parent(libc::pid_t),
    Child,
}

/// `clone(flags | SIGCHLD)` without a new stack: fork semantics, plus namespace flags.
/// glibc's `clone()` wrapper wants a function and a stack; the raw syscall with a NULL
/// stack behaves like fork, which is what we need (bubblewrap's `raw_clone` does the same).
pub fn clone_fork(flags: libc::c_int) -> Result<Forked, Errno> {
    // SAFETY: the caller is single-threaded (checked in `host::probe`), so the child is a
    // consistent copy of the parent, exactly as after fork(2). x86_64 argument order:
    // flags, stack, parent_tid, child_tid, tls. No pointers are passed.
    let r = cvt(unsafe {
        libc::syscall(libc::SYS_clone, (flags | libc::SIGCHLD) as libc::c_ulong, 0usize, 0usize, 0usize, 0usize)
    })?;
    Ok(if r == 0 { Forked::Child } else { Forked::Parent(r as libc::pid_t) })
}

/// fork(2).
pub fn fork() -> Result<Forked, Errno> {
    // SAFETY: the process is single-threaded (init process, checked before), so no lock
    // can be held by another thread in the child.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Parent { child } => Ok(Forked::Parent(child.as_raw())),
        nix::unistd::ForkResult::Child => Ok(Forked::Child),
    }
}

/// `pidfd_open(pid, 0)`: a descriptor that becomes readable when the process exits.
pub fn pidfd_open(pid: libc::pid_t) -> Result<OwnedFd, Errno> {
    // SAFETY: plain syscall with integer arguments; on success the fd is new and ours.
    let fd = cvt(unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) })?;
    // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

pub const MOUNT_ATTR_RDONLY: u64 = 0x1;
pub const MOUNT_ATTR_NOSUID: u64 = 0x2;
pub const MOUNT_ATTR_NODEV: u64 = 0x4;
pub const MOUNT_ATTR_NOEXEC: u64 = 0x8;

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// `mount_setattr(AT_FDCWD, path, AT_RECURSIVE?, {attr_set})`: sets flags on a mount (and,
/// with `recursive`, every mount below it) in one call, leaving flags the kernel locked
/// (nosuid, nodev, noexec, atime in a user namespace) untouched.
pub fn mount_setattr(path: &CStr, attr_set: u64, recursive: bool) -> Result<(), Errno> {
    let mut attr = MountAttr { attr_set, attr_clr: 0, propagation: 0, userns_fd: 0 };
    // SAFETY: `path` is NUL-terminated; `attr` is a valid, correctly sized struct that lives
    // across the call.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            path.as_ptr(),
            (if recursive { libc::AT_RECURSIVE } else { 0 } | libc::AT_NO_AUTOMOUNT) as libc::c_uint,
            &mut attr as *mut MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    })?;
    Ok(())
}

/// `close_range(first, last, 0)`.
pub fn close_range(first: u32, last: u32) -> Result<(), Errno> {
    // SAFETY: integer arguments only. Closing descriptors cannot violate memory safety for
    // Rust code here: the caller runs before `main` and owns no `OwnedFd` in that range
    // (the only ones it keeps are passed in the keep list).
    cvt(unsafe { libc::syscall(libc::SYS_close_range, first, last, 0) })?;
    Ok(())
}

/// Capability numbers are dense from 0 and fit the 64-bit sets of every capset(2) ABI;
/// the first number the kernel answers with EINVAL is past its last one. Walking up to
/// that point replaces reading /proc/sys/kernel/cap_last_cap: no file to open in the app
/// (twice, with the check below, 20-40 us in the sandbox's fresh /proc), and no
/// dependency on /proc being mounted at all.
const CAP_SLOTS: u32 = 64;

/// Drop every capability from the bounding set, clear the ambient set, then empty the
/// effective, permitted and inheritable sets with capset(2).
pub fn drop_all_capabilities() -> Result<(), Errno> {
    for cap in 0..CAP_SLOTS {
        // SAFETY: prctl with integer arguments.
        let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
        if r == -1 {
            match Errno::last() {
                // Past the last capability this kernel knows.
                Errno::EINVAL => break,
                e => return Err(e),
            }
        }
    }
    // SAFETY: prctl with integer arguments.
    let r = unsafe { libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong, 0, 0, 0) };
    if r == -1 && Errno::last() != Errno::EINVAL {
        return Err(Errno::last());
    }
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
    let mut hdr = Header { version: LINUX_CAPABILITY_VERSION_3, pid: 0 };
    let data = [Data { effective: 0, permitted: 0, inheritable: 0 }; 2];
    // SAFETY: version 3 takes two data structs; both pointers are valid for the call.
    cvt(unsafe { libc::syscall(libc::SYS_capset, &mut hdr as *mut Header, data.as_ptr()) })?;
    Ok(())
}

/// True when every capability set of this process is empty: effective, permitted,
/// inheritable (capget) and bounding (PR_CAPBSET_READ). The ambient set needs no check of
/// its own: the kernel keeps it a subset of permitted AND inheritable, both seen empty.
pub fn capabilities_all_empty() -> Result<bool, Errno> {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    let mut hdr = Header { version: 0x2008_0522, pid: 0 };
    let mut data = [0u32; 6];
    // SAFETY: version 3 fills two 3-word structs: 6 u32s; both pointers valid.
    cvt(unsafe { libc::syscall(libc::SYS_capget, &mut hdr as *mut Header, data.as_mut_ptr()) })?;
    if data.iter().any(|w| *w != 0) {
        return Ok(false);
    }
    for cap in 0..CAP_SLOTS {
        // SAFETY: prctl with integer arguments.
        match unsafe { libc::prctl(libc::PR_CAPBSET_READ, cap as libc::c_ulong, 0, 0, 0) } {
            0 => {}
            // EINVAL: past the last capability (see CAP_SLOTS).
            -1 if Errno::last() == Errno::EINVAL => break,
            -1 => return Err(Errno::last()),
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// Bring an interface up (SIOCSIFFLAGS |= IFF_UP) through a datagram socket.
pub fn interface_up(name: &str) -> Result<(), Errno> {
    let sock = nix::sys::socket::socket(
        nix::sys::socket::AddressFamily::Inet,
        nix::sys::socket::SockType::Datagram,
        nix::sys::socket::SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    use std::os::fd::AsRawFd;
    // SAFETY: ifreq is plain old data; zeroed is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    let bytes = name.as_bytes();
    if bytes.len() >= req.ifr_name.len() {
        return Err(Errno::ENAMETOOLONG);
    }
    for (d, s) in req.ifr_name.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    // SAFETY: `req` is a valid ifreq for SIOCGIFFLAGS/SIOCSIFFLAGS; the socket is open.
    cvt(unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) } as libc::c_long)?;
    // SAFETY: reading/writing the flags member of the union that SIOCGIFFLAGS filled.
    unsafe { req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short };
    // SAFETY: as above.
    cvt(unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req) } as libc::c_long)?;
    Ok(())
}

/// `getauxval(AT_SECURE)`: non-zero for setuid/setgid/file-capability executables.
pub fn at_secure() -> bool {
    // SAFETY: getauxval is always safe to call.
    unsafe { libc::getauxval(libc::AT_SECURE) != 0 }
}

/// Exit now without running atexit handlers or flushing stdio: every process the sandbox
/// forks, and the monitor, leave this way so nothing of the program runs twice.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(code) }
}

// ---------------------------------------------------------------------------------------
// Environment: the `envp` array given to `main`, edited in place.

/// Read the `NAME=value` strings of a NULL-terminated `envp` array.
///
/// The environment is read from the array itself, never with getenv(): some programs
/// (bash) define their own getenv, which is not usable before their `main` runs.
pub fn env_entries(envp: *const *const libc::c_char) -> Vec<&'static CStr> {
    let mut out = Vec::new();
    if envp.is_null() {
        return out;
    }
    // SAFETY: `envp` is the array the C runtime passed to main: NULL-terminated, each entry
    // a NUL-terminated string that lives as long as the process.
    unsafe {
        let mut p = envp;
        while !(*p).is_null() {
            out.push(CStr::from_ptr(*p));
            p = p.add(1);
        }
    }
    out
}

/// Remove, in place, the entries of `envp` for which `drop` is true; the survivors keep
/// their order and the array stays NULL-terminated. Returns the number removed.
pub fn env_retain(envp: *mut *mut libc::c_char, mut drop: impl FnMut(&CStr) -> bool) -> usize {
    if envp.is_null() {
        return 0;
    }
    let mut removed = 0;
    // SAFETY: as in `env_entries`; we only move pointers within the array and write the
    // terminating NULL at or before its old position.
    unsafe {
        let mut read = envp;
        let mut write = envp;
        while !(*read).is_null() {
            if drop(CStr::from_ptr(*read)) {
                removed += 1;
            } else {
                *write = *read;
                write = write.add(1);
            }
            read = read.add(1);
        }
        *write = std::ptr::null_mut();
    }
    removed
}

/// Build a new NULL-terminated environment array that lives for the rest of the process,
/// make it libc's `environ`, and return it (to pass to `main`).
pub fn env_replace(entries: Vec<CString>) -> *mut *mut libc::c_char {
    let mut ptrs: Vec<*mut libc::c_char> = entries.into_iter().map(CString::into_raw).collect();
    ptrs.push(std::ptr::null_mut());
    let arr = Box::leak(ptrs.into_boxed_slice()).as_mut_ptr();
    extern "C" {
        static mut environ: *mut *mut libc::c_char;
    }
    // SAFETY: single-threaded before main; the leaked array is valid forever.
    unsafe { environ = arr };
    arr
}

/// Point libc's `environ` at `envp` (after editing `envp` in place, when the two differ).
pub fn env_set_environ(envp: *mut *mut libc::c_char) {
    extern "C" {
        static mut environ: *mut *mut libc::c_char;
    }
    // SAFETY: single-threaded before main; `envp` is the array given to main.
    unsafe { environ = envp };
}

/// libc's current `environ` (may differ from `envp` if a constructor called setenv).
pub fn environ() -> *mut *mut libc::c_char {
    extern "C" {
        static mut environ: *mut *mut libc::c_char;
    }
    // SAFETY: reading a pointer-sized global, single-threaded.
    unsafe { environ }
}

// ---------------------------------------------------------------------------------------
// Signal forwarding.
//
// The monitor and the init forward the signals a supervisor sends to the process that
// should act on them. A handler can only use async-signal-safe calls and global state,
// so the target and the rule live in atomics.

static FORWARD_TO: AtomicI32 = AtomicI32::new(0);
/// Forward signals that the kernel generated (terminal keys: SI_KERNEL) too. False when the
/// app shares our process group and so already received them from the terminal itself.
static FORWARD_KERNEL: AtomicBool = AtomicBool::new(false);

extern "C" fn forward(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    let target = FORWARD_TO.load(Ordering::Relaxed);
    if target <= 0 {
        return;
    }
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let code = unsafe { (*info).si_code };
    // si_code > 0: generated by the kernel (e.g. the terminal's ^C); <= 0: sent by a process.
    if code > 0 && !FORWARD_KERNEL.load(Ordering::Relaxed) {
        return;
    }
    let saved = Errno::last_raw();
    // SAFETY: kill is async-signal-safe.
    unsafe { libc::kill(target, sig) };
    Errno::set_raw(saved);
}

/// Install the forwarding handler for `signals`, sending them to `target`.
pub fn forward_signals(signals: &[libc::c_int], target: libc::pid_t, forward_kernel: bool) -> Result<(), Errno> {
    FORWARD_TO.store(target, Ordering::Relaxed);
    FORWARD_KERNEL.store(forward_kernel, Ordering::Relaxed);
    for &sig in signals {
        // SAFETY: zeroed sigaction is valid; we set a handler with the SA_SIGINFO signature.
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = forward as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
        // SAFETY: sa_mask is a valid sigset_t inside `sa`.
        unsafe { libc::sigemptyset(&mut sa.sa_mask) };
        // SAFETY: valid signal number and sigaction struct.
        cvt(unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) } as libc::c_long)?;
    }
    Ok(())
}

/// Restore the default disposition of `signals`.
pub fn default_signals(signals: &[libc::c_int]) {
    for &sig in signals {
        // SAFETY: setting SIG_DFL is always valid for catchable signals.
        unsafe { libc::signal(sig, libc::SIG_DFL) };
    }
}

// ---------------------------------------------------------------------------------------
// The `sandbox run` handshake (see `handshake`). These run in the hook before glibc has run
// the program's constructors, and must neither allocate nor make any system call but the
// answer itself: the command watching the program requires the first system call after
// the entry point to be that write.

/// `NAME`'s value in a NULL-terminated `envp` array, without allocating.
pub fn env_find(envp: *const *const libc::c_char, name: &[u8]) -> Option<&'static [u8]> {
    if envp.is_null() {
        return None;
    }
    // SAFETY: as in `env_entries`: the array the kernel built, NULL-terminated, each entry
    // a NUL-terminated string that lives as long as the process.
    unsafe {
        let mut p = envp;
        while !(*p).is_null() {
            let entry = CStr::from_ptr(*p).to_bytes();
            if entry.len() > name.len() && entry.starts_with(name) && entry[name.len()] == b'=' {
                return Some(&entry[name.len() + 1..]);
            }
            p = p.add(1);
        }
    }
    None
}

/// One write(2) of `buf` to descriptor `fd`, which the caller names by number (an
/// inherited descriptor no Rust object owns); then close it if the write succeeded.
pub fn write_then_close(fd: RawFd, buf: &[u8]) -> Result<(), Errno> {
    // SAFETY: `buf` is valid for `buf.len()` bytes; writing to a descriptor number cannot
    // violate memory safety (EBADF if it is not open).
    cvt(unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) } as libc::c_long)?;
    // SAFETY: the descriptor was inherited for this one purpose and is not owned by any
    // `OwnedFd` of this process: the hook runs before any other code of the library.
    unsafe { libc::close(fd) };
    Ok(())
}

// ---------------------------------------------------------------------------------------
// A descriptor over a socket pair (SCM_RIGHTS), for the network helper (see `net`).

/// `socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC)`: message boundaries kept.
pub fn seqpacket_pair() -> Result<(OwnedFd, OwnedFd), Errno> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two descriptors the call writes.
    cvt(unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr()) } as libc::c_long)?;
    // SAFETY: both descriptors were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Send `data` (non-empty), with `fd` attached when given, as one message.
pub fn send_with_fd(sock: &OwnedFd, data: &[u8], fd: Option<&OwnedFd>) -> Result<(), Errno> {
    use std::os::fd::AsRawFd;
    // SAFETY: a zeroed msghdr is valid; every pointer set below points to a live buffer of
    // the length given, for the duration of the call.
    unsafe {
        let mut iov = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        let mut cbuf = [0u64; 4]; // CMSG_SPACE(sizeof(int)) = 24 bytes, 8-aligned
        if let Some(fd) = fd {
            msg.msg_control = cbuf.as_mut_ptr().cast();
            msg.msg_controllen = libc::CMSG_SPACE(std::mem::size_of::<libc::c_int>() as u32) as usize;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<libc::c_int>() as u32) as usize;
            std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<libc::c_int>(), fd.as_raw_fd());
        }
        loop {
            match cvt(libc::sendmsg(sock.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) as libc::c_long) {
                Err(Errno::EINTR) => continue,
                r => return r.map(drop),
            }
        }
    }
}

/// Receive one message into `buf`: its length (0 at EOF) and the descriptor it carried.
pub fn recv_with_fd(sock: &OwnedFd, buf: &mut [u8]) -> Result<(usize, Option<OwnedFd>), Errno> {
    use std::os::fd::AsRawFd;
    // SAFETY: as in `send_with_fd`; the kernel writes at most the lengths given. A received
    // descriptor is new (MSG_CMSG_CLOEXEC) and owned by nobody else.
    unsafe {
        let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        let mut cbuf = [0u64; 4];
        msg.msg_control = cbuf.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&cbuf);
        let n = loop {
            match cvt(libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) as libc::c_long) {
                Err(Errno::EINTR) => continue,
                r => break r? as usize,
            }
        };
        let mut fd = None;
        let c = libc::CMSG_FIRSTHDR(&msg);
        if !c.is_null() && (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
            fd = Some(OwnedFd::from_raw_fd(std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<libc::c_int>())));
        }
        Ok((n, fd))
    }
}
