//! The command's only `unsafe`: libc calls that neither std nor nix wrap.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Does `path` carry file capabilities (the `security.capability` extended attribute)?
pub fn has_file_capabilities(path: &Path) -> std::io::Result<bool> {
    let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    // SAFETY: both strings are NUL-terminated; a NULL buffer of size 0 asks only for the
    // attribute's size, nothing is written.
    let r = unsafe { libc::getxattr(c_path.as_ptr(), c"security.capability".as_ptr(), std::ptr::null_mut(), 0) };
    if r >= 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::ENODATA) | Some(libc::ENOTSUP) => Ok(false),
        _ => Err(e),
    }
}

/// NULL-terminated pointer arrays for execve, built before the sandbox exists: after its
/// seccomp filter, the app must neither allocate nor free (the policy need not allow brk
/// or munmap), and nix's exec functions allocate.
pub struct ExecArgs {
    _strings: Vec<CString>,
    argv: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
}

impl ExecArgs {
    pub fn new(argv: Vec<CString>, envp: Vec<CString>) -> ExecArgs {
        let ptrs = |v: &[CString]| v.iter().map(|s| s.as_ptr()).chain(std::iter::once(std::ptr::null())).collect::<Vec<_>>();
        let (a, e) = (ptrs(&argv), ptrs(&envp));
        ExecArgs { _strings: argv.into_iter().chain(envp).collect(), argv: a, envp: e }
    }
}

/// fexecve(3) with prepared arrays: no allocation. Returns only on failure, the errno.
pub fn fexecve(fd: &std::os::fd::OwnedFd, args: &ExecArgs) -> nix::errno::Errno {
    use std::os::fd::AsRawFd;
    // SAFETY: both arrays are NULL-terminated and point into strings `args` owns, which
    // outlive the call; the descriptor is open.
    unsafe { libc::fexecve(fd.as_raw_fd(), args.argv.as_ptr() as *const *const libc::c_char, args.envp.as_ptr() as *const *const libc::c_char) };
    nix::errno::Errno::last()
}
