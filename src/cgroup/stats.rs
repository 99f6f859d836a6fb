//! `cgroup.stats_file`: the run's usage as a small JSON object, written by the monitor
//! after the run.
//!
//! The sandboxed program may be able to write where the file goes (a writable bind of
//! that directory) and so plant a symlink, a hard link or a file at the path, or at any
//! name we might pick. Why what we do is safe:
//! - The directory is opened (O_PATH) *before the clone*, when no sandboxed code has run:
//!   its path resolves as the caller sees it, and whatever later happens to that path, we
//!   write into that directory. The descriptor is closed in the init right after the clone
//!   (`Session::disown`), so the sandbox never holds it.
//! - The data goes into a new file that we create: openat(dir, tmp, O_CREAT|O_EXCL|
//!   O_NOFOLLOW). O_EXCL fails on any existing name, symlinks included, so the file is
//!   never one the program planted; a planted temp name just makes us pick another.
//! - renameat(tmp -> name) replaces the directory entry: a symlink or file planted under
//!   the final name is replaced, never followed or written into.
//! - Afterwards the name must refer to our inode (fstat vs fstatat(AT_SYMLINK_NOFOLLOW)); if
//!   the program swapped it in between, the write is reported as failed.

use super::{Usage, Version};
use crate::error::{Facility, Result, SetupError};
use crate::policy::AbsPath;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::Mode;
use std::ffi::OsString;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

/// What the JSON says. `None` is `null`: this host cannot tell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// The program's exit status; null when a signal ended it.
    pub exit_code: Option<i32>,
    /// The signal that ended the program (9 after an OOM kill or the time limit).
    pub signal: Option<i32>,
    pub wall_ms: u64,
    pub cpu_user_ms: Option<u64>,
    pub cpu_system_ms: Option<u64>,
    pub memory_peak_bytes: Option<u64>,
    pub oom_killed: Option<bool>,
    pub pids_peak: Option<u64>,
    pub time_limit_exceeded: bool,
    /// Which cgroup interface measured this; null: none (getrusage's CPU times only).
    pub cgroup: Option<Version>,
}

impl Stats {
    pub fn new(exit_code: Option<i32>, signal: Option<i32>, wall_ms: u64, usage: &Usage, time_limit_exceeded: bool) -> Stats {
        Stats {
            exit_code,
            signal,
            wall_ms,
            cpu_user_ms: usage.cpu_user_us.map(|u| u / 1000),
            cpu_system_ms: usage.cpu_system_us.map(|u| u / 1000),
            memory_peak_bytes: usage.memory_peak,
            oom_killed: usage.oom_kills.map(|n| n > 0),
            pids_peak: usage.pids_peak,
            time_limit_exceeded,
            cgroup: usage.version,
        }
    }

    /// The JSON text (every value is a number, a boolean, null or a fixed word: no escaping).
    pub fn to_json(&self) -> String {
        fn val<T: ToString>(v: Option<T>) -> String {
            v.map(|x| x.to_string()).unwrap_or_else(|| "null".into())
        }
        let version = self.cgroup.map(|v| match v {
            Version::V2 => "\"v2\"",
            Version::V1 => "\"v1\"",
        });
        let fields = [
            ("exit_code", val(self.exit_code)),
            ("signal", val(self.signal)),
            ("wall_ms", self.wall_ms.to_string()),
            ("cpu_user_ms", val(self.cpu_user_ms)),
            ("cpu_system_ms", val(self.cpu_system_ms)),
            ("memory_peak_bytes", val(self.memory_peak_bytes)),
            ("oom_killed", val(self.oom_killed)),
            ("pids_peak", val(self.pids_peak)),
            ("time_limit_exceeded", self.time_limit_exceeded.to_string()),
            ("cgroup", val(version)),
        ];
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("  \"{k}\": {v}")).collect();
        format!("{{\n{}\n}}\n", body.join(",\n"))
    }
}

/// The stats file's directory, opened before the clone, and the file's name in it.
#[derive(Debug)]
pub struct StatsFile {
    dir: OwnedFd,
    name: OsString,
    pub path: AbsPath,
}

impl StatsFile {
    /// Open the directory now (see the module doc); check that the caller may create the
    /// file there, so that a typo fails before the run rather than after it.
    pub fn open(path: &AbsPath, at: &str) -> Result<StatsFile> {
        let p = path.as_path();
        let what = |w: &str| format!("{at}: cgroup.stats_file {path}: {w}");
        let (Some(parent), Some(name)) = (p.parent(), p.file_name()) else {
            return Err(SetupError::reason(Facility::Policy, at.to_string(), format!("cgroup.stats_file {path} does not name a file")));
        };
        let dir = nix::fcntl::open(parent, OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty()).map_err(|e| {
            SetupError::errno(Facility::Cgroup, what(&format!("open the directory {}", parent.display())), e)
                .hint("the directory of stats_file must exist (the file is created)")
        })?;
        nix::unistd::faccessat(&dir, ".", nix::unistd::AccessFlags::W_OK | nix::unistd::AccessFlags::X_OK, AtFlags::empty()).map_err(|e| {
            SetupError::errno(Facility::Cgroup, what(&format!("create a file in {}", parent.display())), e)
                .hint("the directory of stats_file must be writable by the caller")
        })?;
        if let Ok(st) = nix::sys::stat::fstatat(&dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
            if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
                return Err(SetupError::reason(Facility::Cgroup, what("check it"), "it is a directory").hint("stats_file names the file to write"));
            }
        }
        Ok(StatsFile { dir, name: name.to_os_string(), path: path.clone() })
    }

    /// Write `text` as the file's new content (see the module doc).
    pub fn write(&self, text: &str) -> std::result::Result<(), Errno> {
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        for attempt in 0..16 {
            let tmp = format!(".libsandbox-stats-{}-{stamp}-{attempt}.tmp", std::process::id());
            let flags = OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
            let fd = match nix::fcntl::openat(&self.dir, tmp.as_str(), flags, Mode::from_bits_truncate(0o644)) {
                Err(Errno::EEXIST) => continue,
                r => r?,
            };
            let result = write_all(&fd, text.as_bytes()).and_then(|()| nix::fcntl::renameat(&self.dir, tmp.as_str(), &self.dir, self.name.as_os_str()));
            if result.is_err() {
                let _ = nix::unistd::unlinkat(&self.dir, tmp.as_str(), nix::unistd::UnlinkatFlags::NoRemoveDir);
            }
            result?;
            let ours = nix::sys::stat::fstat(&fd)?;
            let there = nix::sys::stat::fstatat(&self.dir, self.name.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW)?;
            return if (ours.st_dev, ours.st_ino) == (there.st_dev, there.st_ino) { Ok(()) } else { Err(Errno::EEXIST) };
        }
        Err(Errno::EEXIST)
    }

    pub fn name(&self) -> &[u8] {
        self.name.as_bytes()
    }
}

fn write_all(fd: impl AsFd, mut buf: &[u8]) -> std::result::Result<(), Errno> {
    while !buf.is_empty() {
        match nix::unistd::write(&fd, buf) {
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => buf = &buf[n..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn json_has_every_field_and_nulls() {
        let usage = Usage { version: Some(Version::V1), cpu_user_us: Some(1500), memory_peak: Some(4096), oom_kills: Some(1), ..Usage::default() };
        let j = Stats::new(None, Some(9), 12, &usage, false).to_json();
        for f in [
            "\"exit_code\": null",
            "\"signal\": 9",
            "\"wall_ms\": 12",
            "\"cpu_user_ms\": 1,",
            "\"cpu_system_ms\": null",
            "\"memory_peak_bytes\": 4096",
            "\"oom_killed\": true",
            "\"pids_peak\": null",
            "\"time_limit_exceeded\": false",
            "\"cgroup\": \"v1\"",
        ] {
            assert!(j.contains(f), "{f} in {j}");
        }
        assert!(j.starts_with('{') && j.trim_end().ends_with('}'));
    }

    fn scratch(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("libsb-stats-test-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_planted_symlink_is_replaced_not_followed() {
        let d = scratch("symlink");
        let victim = d.join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let target = d.join("stats.json");
        let f = StatsFile::open(&AbsPath::parse(target.to_str().unwrap()).unwrap(), "t").unwrap();
        // Planted after the open, as the sandboxed program would.
        symlink(&victim, &target).unwrap();
        f.write("{}\n").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert!(!std::fs::symlink_metadata(&target).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "{}\n");
        // No temporary file left over.
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 2);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_planted_hard_link_is_replaced_not_written() {
        let d = scratch("hardlink");
        let victim = d.join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let target = d.join("stats.json");
        std::fs::hard_link(&victim, &target).unwrap();
        let f = StatsFile::open(&AbsPath::parse(target.to_str().unwrap()).unwrap(), "t").unwrap();
        f.write("{\"a\": 1}\n").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "{\"a\": 1}\n");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn the_directory_is_pinned_at_open() {
        let d = scratch("pinned");
        std::fs::create_dir(d.join("out")).unwrap();
        std::fs::create_dir(d.join("elsewhere")).unwrap();
        let f = StatsFile::open(&AbsPath::parse(d.join("out/s.json").to_str().unwrap()).unwrap(), "t").unwrap();
        // The program swaps the directory for a symlink to another one.
        std::fs::rename(d.join("out"), d.join("moved")).unwrap();
        symlink(d.join("elsewhere"), d.join("out")).unwrap();
        f.write("x").unwrap();
        assert!(d.join("moved/s.json").exists());
        assert!(!d.join("elsewhere/s.json").exists());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn bad_targets_fail_at_open() {
        let d = scratch("bad");
        let e = StatsFile::open(&AbsPath::parse(d.join("nope/s.json").to_str().unwrap()).unwrap(), "policy p line 3").unwrap_err();
        assert!(e.line().contains("policy p line 3") && e.line().contains("ENOENT"), "{}", e.line());
        std::fs::create_dir(d.join("dir")).unwrap();
        let e = StatsFile::open(&AbsPath::parse(d.join("dir").to_str().unwrap()).unwrap(), "t").unwrap_err();
        assert!(e.line().contains("directory"), "{}", e.line());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
