//! user_namespaces(7): the uid/gid maps of the new user namespace, written by the monitor
//! (it is in the parent namespace, which is what allows an unprivileged caller to write a
//! one-line map of its own ids).

use crate::error::{Context, Facility, Result};
use std::io::Write;

fn write_file(path: &str, text: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new().write(true).open(path).ctx(Facility::UserNs, || format!("open {path}"))?;
    f.write_all(text.as_bytes()).ctx(Facility::UserNs, || format!("write {:?} to {path}", text.trim_end()))
}

/// Map `inside` to `outside` (one id each) for the process `pid`.
pub fn write_maps(pid: libc::pid_t, uid: (u32, u32), gid: (u32, u32)) -> Result<()> {
    write_file(&format!("/proc/{pid}/uid_map"), &format!("{} {} 1\n", uid.0, uid.1))?;
    // setgroups must be denied before an unprivileged process may write gid_map; we deny it
    // always, so the sandbox cannot drop itself out of a group that restricts it on the host.
    write_file(&format!("/proc/{pid}/setgroups"), "deny\n")?;
    write_file(&format!("/proc/{pid}/gid_map"), &format!("{} {} 1\n", gid.0, gid.1))
}
