//! The environment `main` receives: without the library's own `LD_PRELOAD` entry and the
//! `SANDBOX_*` variables (so the program's children do not sandbox themselves again), then
//! `clear_env` / `keep_env` / `set_env`. Everything else stays, in order.
//!
//! The `envp` array is read and edited directly (see `sys::env_*`): getenv/setenv may be
//! the program's own (bash) and unusable before its `main`.

use crate::policy::Process;
use crate::sys;
use std::ffi::{CStr, CString};

/// Pure decision on one environment: the list of `NAME=value` entries main gets.
/// `own_lib` is the file name of this library as it appears in LD_PRELOAD.
pub fn filter(entries: &[&[u8]], process: &Process, own_lib: &str) -> Vec<Vec<u8>> {
    let name_of = |e: &[u8]| -> Vec<u8> { e.split(|b| *b == b'=').next().unwrap_or(e).to_vec() };
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(entries.len());
    for e in entries {
        let name = name_of(e);
        if name.starts_with(b"SANDBOX_") {
            continue;
        }
        if process.clear_env && !process.keep_env.iter().any(|k| k.as_bytes() == name.as_slice()) {
            continue;
        }
        if name == b"LD_PRELOAD" {
            let value = &e[name.len() + 1..];
            let kept: Vec<&[u8]> = value
                .split(|b| *b == b':' || *b == b' ')
                .filter(|item| !item.is_empty())
                .filter(|item| {
                    let file = item.rsplit(|b| *b == b'/').next().unwrap_or(item);
                    file != own_lib.as_bytes()
                })
                .collect();
            if kept.is_empty() {
                continue;
            }
            let mut v = b"LD_PRELOAD=".to_vec();
            v.extend_from_slice(&kept.join(&b':'));
            out.push(v);
            continue;
        }
        out.push(e.to_vec());
    }
    for (k, v) in &process.set_env {
        let entry = [k.as_bytes(), b"=", v.as_bytes()].concat();
        match out.iter_mut().find(|e| name_of(e) == k.as_bytes()) {
            Some(slot) => *slot = entry,
            None => out.push(entry),
        }
    }
    out
}

/// Apply [`filter`] to the process's environment and return the array to pass to `main`
/// (also installed as libc's `environ`). When the result only drops entries, the array is
/// edited in place; otherwise a new one is built.
pub fn prepare(envp: *mut *mut libc::c_char, process: &Process, own_lib: &str) -> *mut *mut libc::c_char {
    Prepared::new(envp, process, own_lib).install()
}

/// [`prepare`] in two halves: `new` decides (and allocates) before the sandbox starts;
/// `install`, in the app right before `main`, neither allocates, frees nor makes a system
/// call, as it runs after the seccomp filter, which need not allow brk or mmap.
pub struct Prepared {
    envp: *mut *mut libc::c_char,
    how: How,
}

enum How {
    /// Only entries go: drop those marked, in place.
    Remove(Vec<bool>),
    /// A new array, built and leaked already.
    Replace(*mut *mut libc::c_char),
}

impl Prepared {
    pub fn new(envp: *mut *mut libc::c_char, process: &Process, own_lib: &str) -> Prepared {
        let entries: Vec<&CStr> = sys::env_entries(envp as *const *const libc::c_char);
        let bytes: Vec<&[u8]> = entries.iter().map(|c| c.to_bytes()).collect();
        let wanted = filter(&bytes, process, own_lib);
        let mut keep = wanted.iter().peekable();
        let gone: Vec<bool> = bytes
            .iter()
            .map(|b| {
                let kept = keep.peek().is_some_and(|w| w.as_slice() == *b);
                if kept {
                    keep.next();
                }
                !kept
            })
            .collect();
        let how = if keep.peek().is_none() {
            How::Remove(gone)
        } else {
            How::Replace(build(wanted.into_iter().map(|e| CString::new(e).expect("env entries contain no NUL")).collect()))
        };
        Prepared { envp, how }
    }

    /// Install the environment as libc's `environ` and return it (to pass to `main`).
    pub fn install(self) -> *mut *mut libc::c_char {
        let envp = match &self.how {
            How::Remove(gone) => {
                let mut i = 0;
                sys::env_retain(self.envp, |_| {
                    i += 1;
                    gone.get(i - 1).copied().unwrap_or(false)
                });
                self.envp
            }
            How::Replace(array) => *array,
        };
        sys::env_set_environ(envp);
        std::mem::forget(self);
        envp
    }
}

/// A NULL-terminated array of `entries` that lives for the rest of the process.
fn build(entries: Vec<CString>) -> *mut *mut libc::c_char {
    let mut ptrs: Vec<*mut libc::c_char> = entries.into_iter().map(CString::into_raw).collect();
    ptrs.push(std::ptr::null_mut());
    Box::leak(ptrs.into_boxed_slice()).as_mut_ptr()
}

/// `NAME`'s value in `envp`, read without getenv().
pub fn lookup(envp: *mut *mut libc::c_char, name: &str) -> Option<String> {
    sys::env_find(envp as *const *const libc::c_char, name.as_bytes()).map(|v| String::from_utf8_lossy(v).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn proc_(clear: bool, keep: &[&str], set: &[(&str, &str)]) -> Process {
        Process {
            new_session: false,
            die_with_parent: true,
            time_limit: None,
            clear_env: clear,
            keep_env: keep.iter().map(|s| s.to_string()).collect(),
            set_env: set.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
            keep_fds: vec![],
        }
    }

    fn run(env: &[&str], p: &Process) -> Vec<String> {
        let b: Vec<&[u8]> = env.iter().map(|s| s.as_bytes()).collect();
        filter(&b, p, "libsandbox.so").into_iter().map(|v| String::from_utf8(v).unwrap()).collect()
    }

    #[test]
    fn strips_own_entries_keeps_order() {
        let env = ["A=1", "LD_PRELOAD=/x/libsandbox.so", "SANDBOX_POLICY=/p", "B=2", "SANDBOX_LOG=debug", "C=3"];
        assert_eq!(run(&env, &proc_(false, &[], &[])), ["A=1", "B=2", "C=3"]);
    }

    #[test]
    fn keeps_other_preloads() {
        let env = ["LD_PRELOAD=/a/liba.so:/x/libsandbox.so /b/libb.so", "Z=1"];
        assert_eq!(run(&env, &proc_(false, &[], &[])), ["LD_PRELOAD=/a/liba.so:/b/libb.so", "Z=1"]);
    }

    #[test]
    fn clear_keep_set() {
        let env = ["PATH=/bin", "SECRET=x", "HOME=/root", "TERM=xterm"];
        let p = proc_(true, &["PATH", "TERM"], &[("HOME", "/home/user"), ("NEW", "v")]);
        assert_eq!(run(&env, &p), ["PATH=/bin", "TERM=xterm", "HOME=/home/user", "NEW=v"]);
        let p = proc_(false, &[], &[("HOME", "/h")]);
        assert_eq!(run(&env, &p), ["PATH=/bin", "SECRET=x", "HOME=/h", "TERM=xterm"]);
    }
}
