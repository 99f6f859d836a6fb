//! The library's side of the `sandbox run` handshake: proof, before `main`, that
//! libsandbox.so has taken over the program's start.
//!
//! `LD_PRELOAD` fails open: a library the loader cannot open is skipped with a warning, a
//! setuid or static program ignores it, and the program then runs unsandboxed. So
//! `sandbox run` does not trust the environment variable alone. It starts the program
//! with the write end of a pipe open at descriptor N (not close-on-exec) and
//! `SANDBOX_HANDSHAKE_FD=N`, holds the program under ptrace at its entry point, and
//! requires the program's first system call after that point to be the write of
//! [`ANSWER`] to N. The hook calls [`answer`] first thing, before glibc runs the program's
//! constructors, so that is the case exactly when the hook is in control; once it is,
//! `main` either runs sandboxed or never (fail closed). See `cli/src/gate.rs`.
//!
//! Hence the rules for [`answer`]: no allocation (the first `malloc` may call `brk`) and
//! no system call before the write; the descriptor is closed right after it, so `main`
//! never sees it, whatever `process.keep_fds` says. `SANDBOX_HANDSHAKE_FD` itself is
//! removed from main's environment with every other `SANDBOX_*` variable.

use crate::sys;

/// The environment variable naming the descriptor.
pub const FD_VAR: &str = "SANDBOX_HANDSHAKE_FD";

/// What the library writes: protocol name and version, in one write(2) (atomic on a pipe).
pub const ANSWER: &[u8] = concat!("libsandbox ", env!("CARGO_PKG_VERSION"), "\n").as_bytes();

/// Answer the handshake if `envp` asks for one. Does nothing otherwise (a plain
/// `LD_PRELOAD` run), nor when the variable does not name a descriptor above 2.
pub fn answer(envp: *const *const libc::c_char) {
    if let Some(fd) = sys::env_find(envp, FD_VAR.as_bytes()).and_then(parse_fd) {
        // A failed write (EBADF: nobody is listening) changes nothing: `sandbox run`
        // kills a program that does not answer.
        let _ = sys::write_then_close(fd, ANSWER);
    }
}

/// A descriptor number above 2 (0, 1 and 2 are never the handshake's), without allocating.
pub fn parse_fd(value: &[u8]) -> Option<i32> {
    if value.is_empty() || value.len() > 10 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = value.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
    (3..=i64::from(i32::MAX)).contains(&n).then_some(n as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_descriptors_above_two() {
        assert_eq!(parse_fd(b"3"), Some(3));
        assert_eq!(parse_fd(b"1023"), Some(1023));
        for bad in [&b""[..], b"0", b"2", b"-4", b" 5", b"5x", b"99999999999", b"4294967299"] {
            assert_eq!(parse_fd(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn answer_names_the_protocol() {
        assert!(ANSWER.starts_with(b"libsandbox ") && ANSWER.ends_with(b"\n"));
    }
}
