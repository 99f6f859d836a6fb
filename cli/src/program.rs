//! The program `sandbox run` is asked to run: found, inspected, and checked before
//! anything starts. Decides how it is sandboxed:
//!
//! - a dynamically linked glibc program (or a script whose interpreter is one): preload
//!   libsandbox.so, after asking the program's own dynamic loader, in trace mode
//!   (`ld.so --list`, which loads but runs nothing), whether the library will load;
//! - a static program (no PT_INTERP; LD_PRELOAD cannot work): the command applies the
//!   policy itself and then executes the program inside (see run.rs);
//! - setuid/setgid programs and programs with file capabilities: refused. The kernel
//!   would either drop LD_PRELOAD (ld.so's secure mode) or grant privileges that the
//!   sandbox is about to take away; neither is what the caller asked for.

use crate::elf::{self, Format, Kind, Unfit};
use crate::error::{self, CliError, Result};
use crate::{locate, sys};
use std::ffi::{OsStr, OsString};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum How {
    /// Preload the library. `elf` is the file the kernel starts (the program, or the
    /// interpreter of a script), `loader` its dynamic loader.
    Preload { elf: PathBuf, loader: PathBuf },
    /// Apply the policy in the command, then execute the program.
    Execve,
}

#[derive(Debug, Clone)]
pub struct Program {
    /// As given on the command line: the program's argv[0].
    pub name: OsString,
    /// Absolute path that is executed.
    pub path: PathBuf,
    pub how: How,
}

impl Program {
    /// The file name, for messages.
    pub fn short_name(&self) -> String {
        self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "the program".into())
    }
}

/// Find and check the program; decide how to sandbox it.
pub fn inspect(name: &OsStr) -> Result<Program> {
    let path = locate::program(name)?;
    let how = classify(&path, 0)?;
    Ok(Program { name: name.to_os_string(), path, how })
}

fn shown(p: &Path) -> String {
    p.display().to_string()
}

fn classify(path: &Path, depth: u32) -> Result<How> {
    let meta = std::fs::metadata(path).map_err(|e| error::io(format!("inspect {}", shown(path)), &e, "check the path").status(error::NOT_FOUND))?;
    if !meta.is_file() {
        return Err(CliError::new(format!("run {}", shown(path)), "is not a regular file", "name a program").status(error::CANNOT_EXECUTE));
    }
    if nix::unistd::access(path, nix::unistd::AccessFlags::X_OK).is_err() {
        return Err(CliError::new(format!("run {}", shown(path)), "permission denied: not executable for you", "chmod +x it, or run it as a user who may").status(error::CANNOT_EXECUTE));
    }
    refuse_privileged(path, &meta)?;
    let format = elf::inspect(path).map_err(|e| error::io(format!("read {}", shown(path)), &e, "check its permissions").status(error::CANNOT_EXECUTE))?;
    match format {
        Ok(Format::Elf(Kind::Dynamic { interp })) => {
            let loader = trusted_loader(path, &interp)?;
            Ok(How::Preload { elf: path.to_path_buf(), loader })
        }
        Ok(Format::Elf(Kind::Static)) if depth == 0 => Ok(How::Execve),
        Ok(Format::Elf(Kind::Static)) => Err(CliError::new(
            format!("run the script's interpreter {}", shown(path)),
            "it is statically linked: neither LD_PRELOAD nor executing it by descriptor can sandbox a script run by it",
            "run the interpreter itself: sandbox run -- INTERPRETER SCRIPT",
        )),
        Ok(Format::Script { interp }) if depth == 0 => {
            if !interp.starts_with('/') {
                return Err(CliError::new(format!("run {}", shown(path)), format!("its #! line names {interp:?}, not an absolute path"), "fix the script's first line").status(error::CANNOT_EXECUTE));
            }
            classify(Path::new(&interp), 1)
        }
        Ok(Format::Script { .. }) => Err(CliError::new(
            format!("run {}", shown(path)),
            "a script's interpreter is itself a script",
            "name the final interpreter in the #! line",
        )
        .status(error::CANNOT_EXECUTE)),
        Ok(Format::Unknown) => Err(CliError::new(format!("run {}", shown(path)), "is neither an ELF program nor a #! script", "name a program").status(error::CANNOT_EXECUTE)),
        Err(Unfit::ForeignMachine(why)) | Err(Unfit::NotExecutable(why)) => {
            Err(CliError::new(format!("run {}", shown(path)), why, "run a program built for this machine, x86_64").status(error::CANNOT_EXECUTE))
        }
    }
}

/// setuid/setgid bits or file capabilities: refused (see the module comment).
fn refuse_privileged(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    let mode = meta.permissions().mode();
    let bits = match (mode & 0o4000 != 0, mode & 0o2000 != 0) {
        (true, true) => Some("setuid and setgid"),
        (true, false) => Some("setuid"),
        (false, true) => Some("setgid"),
        _ => None,
    };
    if let Some(bits) = bits {
        return Err(CliError::new(
            format!("refusing to sandbox {}", shown(path)),
            format!("it is {bits} (owner uid {}, mode {:04o}): the kernel would run it with other ids and the loader would ignore LD_PRELOAD", meta.uid(), mode & 0o7777),
            "sandboxing a privileged program is not supported; run a copy without the bit: cp, then chmod u-s,g-s",
        ));
    }
    match sys::has_file_capabilities(path) {
        Ok(false) => Ok(()),
        Ok(true) => Err(CliError::new(
            format!("refusing to sandbox {}", shown(path)),
            "it has file capabilities (security.capability): the kernel would raise its privileges and the loader would ignore LD_PRELOAD",
            "run a copy without them: cp makes one, or setcap -r on a copy",
        )),
        Err(e) => Err(error::io(format!("read the file capabilities of {}", shown(path)), &e, "check the file")),
    }
}

/// The program's dynamic loader must be glibc's (the only one libsandbox.so can be
/// preloaded into) and a system file: trace mode runs it, so it must be trusted code.
fn trusted_loader(program: &Path, interp: &str) -> Result<PathBuf> {
    let what = || format!("check the dynamic loader of {}", shown(program));
    let real = std::fs::canonicalize(interp).map_err(|e| error::io(what(), &e, format!("{interp} is missing: the program cannot start on this host")).status(error::CANNOT_EXECUTE))?;
    let name = real.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if !name.starts_with("ld-linux") {
        return Err(CliError::new(
            what(),
            format!("it asks for {interp} ({name}), which is not glibc's dynamic loader"),
            "libsandbox.so can be preloaded only into glibc programs; rebuild the program for glibc or statically",
        ));
    }
    let meta = std::fs::metadata(&real).map_err(|e| error::io(what(), &e, "check the loader"))?;
    if meta.uid() != 0 || meta.permissions().mode() & 0o022 != 0 {
        return Err(CliError::new(
            what(),
            format!("{} is not a system file (owner uid {}, mode {:04o})", real.display(), meta.uid(), meta.permissions().mode() & 0o7777),
            "the loader must be owned by root and writable by nobody else",
        ));
    }
    Ok(real)
}

/// Ask the loader, in trace mode, whether `lib` will be preloaded into `elf` with this
/// environment. Runs nothing of the program (ld.so --list maps the libraries and prints
/// them, without relocating or initialising anything).
pub fn check_loadable(elf: &Path, loader: &Path, lib: &Path, env: &[(OsString, OsString)]) -> Result<()> {
    let out = Command::new(loader)
        .arg("--list")
        .arg(elf)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| error::io(format!("run {} --list {}", loader.display(), elf.display()), &e, "check the dynamic loader"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let listed = stdout.lines().any(|l| l.split_whitespace().next() == Some(&*lib.to_string_lossy()));
    if listed {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let why = stderr
        .lines()
        .find(|l| l.contains(&*lib.to_string_lossy()) || l.contains("preload"))
        .or_else(|| stderr.lines().next())
        .map(|l| l.trim().to_string())
        .unwrap_or_else(|| format!("the loader's trace ({}) does not list it", out.status));
    Err(CliError::new(
        format!("preload {} into {}", lib.display(), elf.display()),
        why,
        format!("the program would run unsandboxed: check that {} is a libsandbox.so for this machine, readable by you", lib.display()),
    ))
}
