//! Where things are: the library to preload, the shipped profiles, the program to run.
//!
//! The installed layout is relative to the command itself, so a prefix can be moved:
//!   PREFIX/bin/sandbox
//!   PREFIX/lib/libsandbox.so
//!   PREFIX/share/libsandbox/profiles/NAME.toml
//! From a build directory (target/debug/sandbox) the library is beside the command and
//! the profiles are the source tree's `profiles/`.

use crate::error::{self, CliError, Result};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Overrides the library to preload (tests; a library installed elsewhere).
pub const LIBRARY_VAR: &str = "SANDBOX_LIBRARY";
/// Colon-separated directories searched for profiles before the shipped ones.
pub const PROFILE_PATH_VAR: &str = "SANDBOX_PROFILE_PATH";

/// The directory holding the running `sandbox` executable.
fn exe_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().map_err(|e| error::io("find the sandbox executable", &e, "/proc must be mounted"))?;
    Ok(exe.parent().unwrap_or(Path::new("/")).to_path_buf())
}

/// libsandbox.so: `$SANDBOX_LIBRARY`, else `../lib/libsandbox.so` from the command, else
/// beside it. Absolute, symlinks resolved.
pub fn library() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(LIBRARY_VAR) {
        let path = PathBuf::from(path);
        return std::fs::canonicalize(&path)
            .map_err(|e| error::io(format!("find libsandbox.so at {LIBRARY_VAR}={}", path.display()), &e, format!("unset {LIBRARY_VAR} or point it at libsandbox.so")));
    }
    let dir = exe_dir()?;
    let candidates = [dir.join("../lib/libsandbox.so"), dir.join("libsandbox.so")];
    candidates.iter().find_map(|c| std::fs::canonicalize(c).ok()).ok_or_else(|| {
        CliError::new(
            "find libsandbox.so",
            format!("neither {} nor {} exists", candidates[0].display(), candidates[1].display()),
            format!("install sandbox and libsandbox.so together with scripts/install.sh, or set {LIBRARY_VAR}"),
        )
    })
}

/// Directories searched for `--profile NAME`, in order.
pub fn profile_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os(PROFILE_PATH_VAR)
        .map(|v| std::env::split_paths(&v).filter(|p| p.is_absolute()).collect())
        .unwrap_or_default();
    if let Ok(dir) = exe_dir() {
        dirs.push(dir.join("../share/libsandbox/profiles"));
        // A build directory: <source>/target/<profile>/sandbox.
        if dir.parent().and_then(Path::file_name) == Some(OsStr::new("target")) {
            dirs.push(dir.join("../../profiles"));
        }
    }
    dirs
}

/// A profile name is a plain file name: letters, digits, `-`, `_`, `.` (no `/`, no `..`).
pub fn valid_profile_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// The file of profile `name`.
pub fn profile(name: &str) -> Result<PathBuf> {
    if !valid_profile_name(name) {
        return Err(CliError::new(
            format!("profile {name:?}"),
            "is not a profile name",
            "use a name that `sandbox profiles` lists: letters, digits, -, _ and .",
        ));
    }
    let dirs = profile_dirs();
    for dir in &dirs {
        let file = dir.join(format!("{name}.toml"));
        if file.is_file() {
            return std::fs::canonicalize(&file).map_err(|e| error::io(format!("open profile {}", file.display()), &e, "check its permissions"));
        }
    }
    let looked: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    Err(CliError::new(
        format!("profile {name:?}"),
        format!("not found (looked in {})", looked.join(", ")),
        "`sandbox profiles` lists the installed profiles",
    ))
}

/// Every profile found: (name, file), the first of each name.
pub fn profiles() -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for dir in profile_dirs() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut names: Vec<(String, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_str()?.strip_suffix(".toml")?.to_string();
                valid_profile_name(&name).then(|| (name, e.path()))
            })
            .collect();
        names.sort();
        for (name, path) in names {
            if !found.iter().any(|(n, _)| *n == name) {
                found.push((name, std::fs::canonicalize(&path).unwrap_or(path)));
            }
        }
    }
    found
}

/// The program to run, as execvp(3) would find it: a name with a `/` as it is (made
/// absolute), else the first executable regular file of that name in `$PATH`.
pub fn program(name: &OsStr) -> Result<PathBuf> {
    let shown = Path::new(name).display().to_string();
    if name.is_empty() {
        return Err(CliError::new("find the program", "the program name is empty", "give the program to run after --").status(error::NOT_FOUND));
    }
    if name.as_bytes().contains(&b'/') {
        let path = std::path::absolute(name).map_err(|e| error::io(format!("find {shown}"), &e, "check the path"))?;
        if !path.exists() {
            return Err(CliError::new(format!("find {shown}"), "no such file", "check the path").status(error::NOT_FOUND));
        }
        return Ok(path);
    }
    let search: OsString = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    for dir in std::env::split_paths(&search) {
        let candidate = if dir.as_os_str().is_empty() { PathBuf::from(".").join(name) } else { dir.join(name) };
        if let Ok(meta) = std::fs::metadata(&candidate) {
            if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
                return std::path::absolute(&candidate).map_err(|e| error::io(format!("find {shown}"), &e, "check PATH"));
            }
        }
    }
    Err(CliError::new(format!("find {shown}"), "not found in PATH", "give its path, or check PATH").status(error::NOT_FOUND))
}
