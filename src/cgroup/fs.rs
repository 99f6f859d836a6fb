//! Reading and writing cgroupfs files (v1 and v2 alike), and taking a cgroup directory
//! apart. Every interface file is written with one write(2): the kernel parses each write
//! on its own, so a value split over two writes would be two (wrong) values.

use nix::errno::Errno;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// The whole text of a cgroup file.
pub fn read(path: &Path) -> Result<String, Errno> {
    fs::read_to_string(path).map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))
}

/// A file of one unsigned number ("max" reads as None).
pub fn read_u64(path: &Path) -> Option<u64> {
    read(path).ok()?.trim().parse().ok()
}

/// `key value` lines (memory.events, cpu.stat, memory.oom_control, cgroup.events...).
pub fn read_key(path: &Path, key: &str) -> Option<u64> {
    let text = read(path).ok()?;
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// Write `value` to an existing interface file in a single write(2). No O_CREAT: a
/// missing file is the kernel saying "no such knob" (ENOENT), never a file we make.
pub fn write(path: &Path, value: &str) -> Result<(), Errno> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))?;
    match f.write(value.as_bytes()) {
        Ok(n) if n == value.len() => Ok(()),
        Ok(_) => Err(Errno::EIO),
        Err(e) => Err(Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))),
    }
}

/// mkdir(2) of a new cgroup (mode 0755: readable, as cgroups usually are).
pub fn mkdir(path: &Path) -> Result<(), Errno> {
    nix::unistd::mkdir(path, nix::sys::stat::Mode::from_bits_truncate(0o755))
}

/// The pids listed in `cgroup.procs` of `dir` and of every cgroup below it.
pub fn procs_below(dir: &Path) -> Vec<i32> {
    let mut out = Vec::new();
    for d in tree(dir) {
        if let Ok(text) = read(&d.join("cgroup.procs")) {
            out.extend(text.lines().filter_map(|l| l.trim().parse::<i32>().ok()));
        }
    }
    out
}

/// `dir` and every cgroup below it, children before their parents (the order rmdir needs).
pub fn tree(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    collect(dir, 0, &mut out);
    out
}

fn collect(dir: &Path, depth: usize, out: &mut Vec<std::path::PathBuf>) {
    // The program inside may make sub-cgroups if it can write its cgroupfs; bound the walk.
    if depth < 32 {
        if let Ok(entries) = fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    collect(&e.path(), depth + 1, out);
                }
            }
        }
    }
    out.push(dir.to_path_buf());
}

/// Poll `done` with growing pauses (0.2 ms up to 20 ms) until it is true or `limit` passes.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    let mut pause = Duration::from_micros(200);
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Remove `dir` and the cgroups below it, children first. A cgroup whose last process has
/// just died may stay busy for a moment (EBUSY) while the kernel finishes the exit: retry
/// for up to `limit`. ENOENT counts as removed.
pub fn remove_tree(dir: &Path, limit: Duration) -> Result<(), Errno> {
    let mut last = Ok(());
    let ok = wait_until(limit, || {
        last = Ok(());
        for d in tree(dir) {
            match fs::remove_dir(&d) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => last = Err(Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))),
            }
        }
        last.is_ok()
    });
    if ok {
        Ok(())
    } else {
        last
    }
}

/// SIGKILL every listed process (gone ones are skipped).
pub fn kill_all(pids: &[i32]) {
    for &pid in pids {
        if pid > 0 {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
    }
}
