//! Pipes between the three processes.
//!
//! - report (init/app -> monitor): one encoded `SetupError`, or EOF when the app closed its
//!   end right before `main` (success).
//! - sync (monitor -> init): one byte once the id maps are written (EOF: monitor died).
//! - status (init -> monitor): fixed-size records about the app: stopped, exited, killed.

use crate::error::{Context, Facility, Result, SetupError};
use nix::errno::Errno;
use std::os::fd::{AsFd, OwnedFd};

pub fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).ctx(Facility::Process, || "create a pipe")
}

fn write_all(fd: impl AsFd, mut buf: &[u8]) -> std::result::Result<(), Errno> {
    while !buf.is_empty() {
        match nix::unistd::write(&fd, buf) {
            Ok(n) => buf = &buf[n..],
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Read until EOF (bounded: the writer sends at most one message).
pub fn read_to_end(fd: impl AsFd) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while out.len() < 64 * 1024 {
        match nix::unistd::read(&fd, &mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(Errno::EINTR) => continue,
            Err(_) => break,
        }
    }
    out
}

/// Send a setup error to the monitor. A message fits in one atomic pipe write.
pub fn send_error(fd: impl AsFd, e: &SetupError) {
    let mut msg = e.encode();
    msg.truncate(libc::PIPE_BUF);
    let _ = write_all(fd, &msg);
}

/// Blocks until the monitor says go; false if it died first.
pub fn wait_go(fd: impl AsFd) -> bool {
    let mut b = [0u8; 1];
    loop {
        match nix::unistd::read(&fd, &mut b) {
            Ok(1) => return true,
            Err(Errno::EINTR) => continue,
            _ => return false,
        }
    }
}

pub fn send_go(fd: impl AsFd) -> Result<()> {
    write_all(fd, b"g").ctx(Facility::Process, || "tell the init process to go on")
}

/// What the init tells the monitor about the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppStatus {
    /// Stopped by this signal (job control): the monitor stops itself too.
    Stopped(i32),
    Exited(i32),
    /// `syscall`: when the signal is SIGSYS, the syscall the init read from the dying app
    /// (see `seccomp::tracer`), for the monitor's `seccomp killed` line.
    Killed { signal: i32, core: bool, syscall: Option<crate::seccomp::Killed> },
}

impl AppStatus {
    const LEN: usize = 12;
    fn encode(self) -> [u8; Self::LEN] {
        let (tag, v, extra, syscall) = match self {
            AppStatus::Stopped(s) => (b'T', s, 0, None),
            AppStatus::Exited(c) => (b'X', c, 0, None),
            AppStatus::Killed { signal, core, syscall } => (b'K', signal, core as u8, syscall),
        };
        let b = v.to_le_bytes();
        let (known, nr, abi) = syscall.map_or((0, [0; 4], 0), |k| (1, k.nr.to_le_bytes(), k.abi.code()));
        [tag, b[0], b[1], b[2], b[3], extra, known, nr[0], nr[1], nr[2], nr[3], abi]
    }
    fn decode(r: &[u8]) -> Option<AppStatus> {
        let v = i32::from_le_bytes([r[1], r[2], r[3], r[4]]);
        let syscall = match r[6] {
            0 => None,
            _ => Some(crate::seccomp::Killed { nr: i32::from_le_bytes([r[7], r[8], r[9], r[10]]), abi: crate::seccomp::Abi::from_code(r[11])? }),
        };
        Some(match r[0] {
            b'T' => AppStatus::Stopped(v),
            b'X' => AppStatus::Exited(v),
            b'K' => AppStatus::Killed { signal: v, core: r[5] != 0, syscall },
            _ => return None,
        })
    }
    pub fn send(self, fd: impl AsFd) {
        let _ = write_all(fd, &self.encode());
    }
    /// Read one record; `None` on EOF or a broken record. Returns Err(EINTR) to retry.
    pub fn recv(fd: impl AsFd) -> std::result::Result<Option<AppStatus>, Errno> {
        let mut r = [0u8; Self::LEN];
        let n = nix::unistd::read(&fd, &mut r)?;
        Ok(if n == Self::LEN { Self::decode(&r) } else { None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn status_roundtrip() {
        let getpid = Some(crate::seccomp::Killed { nr: 39, abi: crate::seccomp::Abi::Native });
        for s in [
            AppStatus::Stopped(20),
            AppStatus::Exited(255),
            AppStatus::Killed { signal: 11, core: true, syscall: None },
            AppStatus::Killed { signal: 31, core: false, syscall: getpid },
        ] {
            assert_eq!(AppStatus::decode(&s.encode()), Some(s));
        }
        let _ = SetupError::reason(Facility::Process, "x", "y");
    }
}
