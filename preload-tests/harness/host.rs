//! What a case may leave behind on the host, looked at before and after it runs:
//! processes carrying the case's marker, mounts in the host's mount namespace and
//! cgroup directories whose name contains "sandbox".

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// The environment variable that tags every process of one case run. Not
/// `SANDBOX_*`: the contract strips those from the program's environment.
pub const MARKER_VAR: &str = "LIBSANDBOX_TEST_MARKER";

pub struct Snapshot {
    mounts: BTreeSet<String>,
    cgroups: BTreeSet<PathBuf>,
}

impl Snapshot {
    pub fn take() -> Snapshot {
        Snapshot {
            mounts: mounts(),
            cgroups: sandbox_cgroups(),
        }
    }

    /// Wait up to `grace` for the case's traces to disappear. Returns a description
    /// of whatever is still there (and kills leftover processes, so that a failing
    /// test does not leave them running).
    pub fn leftovers(&self, marker: &str, grace: Duration) -> Option<String> {
        let deadline = Instant::now() + grace;
        loop {
            let processes = marker_processes(marker);
            let new_mounts: Vec<String> = mounts().difference(&self.mounts).cloned().collect();
            let new_cgroups: Vec<PathBuf> = sandbox_cgroups()
                .difference(&self.cgroups)
                .cloned()
                .collect();
            if processes.is_empty() && new_mounts.is_empty() && new_cgroups.is_empty() {
                return None;
            }
            if Instant::now() >= deadline {
                let mut report = String::from("left behind on the host after the case:\n");
                for (pid, cmdline) in &processes {
                    report += &format!("  process {pid}: {cmdline}\n");
                }
                for mount in &new_mounts {
                    report += &format!("  mount: {mount}\n");
                }
                if !new_mounts.is_empty() {
                    report +=
                        "  (if another program mounted that meanwhile, list its directory in \
                               LIBSANDBOX_TEST_IGNORE_MOUNTS)\n";
                }
                for cgroup in &new_cgroups {
                    report += &format!("  cgroup: {}\n", cgroup.display());
                }
                kill_marker_processes(marker);
                return Some(report);
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// `<mount id> <mount point>` of every mount of the host's (this process's) mount
/// namespace, but those below a prefix listed in `LIBSANDBOX_TEST_IGNORE_MOUNTS`
/// (colon-separated). The check is global: on a machine where something else
/// mounts while the tests run (a VM test's chroot), list its directory there.
fn mounts() -> BTreeSet<String> {
    let ignored: Vec<String> = std::env::var("LIBSANDBOX_TEST_IGNORE_MOUNTS")
        .unwrap_or_default()
        .split(':')
        .filter(|p| !p.is_empty())
        .map(|p| p.trim_end_matches('/').to_string())
        .collect();
    fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let target = *fields.get(4)?;
            let skip = ignored
                .iter()
                .any(|p| target == p || target.starts_with(&format!("{p}/")));
            (!skip).then(|| format!("{} {}", fields[0], target))
        })
        .collect()
}

/// Directories under /sys/fs/cgroup whose name contains "sandbox".
fn sandbox_cgroups() -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    walk_cgroups(Path::new("/sys/fs/cgroup"), 0, &mut found);
    found
}

fn walk_cgroups(dir: &Path, depth: usize, found: &mut BTreeSet<PathBuf>) {
    if depth > 8 {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if !kind.is_dir() {
            continue;
        }
        let path = entry.path();
        if entry
            .file_name()
            .to_string_lossy()
            .to_lowercase()
            .contains("sandbox")
        {
            found.insert(path.clone());
        }
        walk_cgroups(&path, depth + 1, found);
    }
}

/// Live processes whose environment or command line contains `marker`.
pub fn marker_processes(marker: &str) -> Vec<(i32, String)> {
    let needle = marker.as_bytes();
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() as i32 {
            continue;
        }
        let dir = entry.path();
        let environ = fs::read(dir.join("environ")).unwrap_or_default();
        let cmdline = fs::read(dir.join("cmdline")).unwrap_or_default();
        if contains(&environ, needle) || contains(&cmdline, needle) {
            let shown = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            found.push((pid, shown.trim().to_string()));
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// SIGKILL every process carrying `marker` (cleanup after a failure).
pub fn kill_marker_processes(marker: &str) {
    for (pid, _) in marker_processes(marker) {
        // SAFETY: kill(2) on a pid; at worst it fails with ESRCH.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}
