//! `sandbox wrap`, `sandbox wrap --list`, `sandbox unwrap`: deploy the sandbox to legacy
//! tools with one profile.d script per program, defining a shell function of the tool's
//! name that runs it through `sandbox run`.
//!
//! The scripts are sourced by every login shell (dash as well as bash), so a script must
//! never be one those shells cannot parse: the function name is checked to be a name
//! POSIX sh accepts (and not a reserved word or special built-in), everything else is
//! single-quoted, and arguments pass through as "$@".

use crate::args::{Arg, Parser};
use crate::choice::PolicyChoice;
use crate::error::{self, CliError, Result};
use crate::{help, locate, program};
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const DEFAULT_PREFIX: &str = "/etc/profile.d";
/// First line of every script this command writes; nothing else is listed or removed.
const MARKER: &str = "# sandbox wrap:";

/// Words a function may not be named after: sh's reserved words and special built-ins
/// (a function cannot replace those), bash's keywords, and the command itself.
const RESERVED: &[&str] = &[
    "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "then", "until", "while", "function", "select",
    "time", "coproc", "break", "continue", "eval", "exec", "exit", "export", "readonly", "return", "set", "shift",
    "times", "trap", "unset", "local", "sandbox",
];

/// A name both dash and bash accept for a function: [A-Za-z_][A-Za-z0-9_]*, not reserved.
pub fn valid_function_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && name.len() <= 64
        && !RESERVED.contains(&name)
}

/// `text` as one sh word: single quotes, with each ' written as '\''.
pub fn quote(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    format!("'{}'", text.replace('\'', r"'\''"))
}

pub fn main(args: Vec<OsString>) -> Result<()> {
    let mut p = Parser::new(args, "wrap");
    let (mut policy, mut profile, mut prefix, mut name, mut list) = (None, None, None, None, false);
    let mut programs = Vec::new();
    while let Some(arg) = p.next() {
        match arg {
            Arg::Option(opt, value) => match opt.as_str() {
                "--policy" => policy = Some(p.value(&opt, value)?),
                "--profile" => profile = Some(p.text(&opt, value)?),
                "--prefix" => prefix = Some(PathBuf::from(p.value(&opt, value)?)),
                "--name" => name = Some(p.text(&opt, value)?),
                "--list" => {
                    p.no_value(&opt, &value)?;
                    list = true;
                }
                "-h" | "--help" => help::print("wrap"),
                _ => return Err(p.unknown(&opt)),
            },
            Arg::Operand(program) => programs.push(program),
        }
    }
    let dir = prefix.unwrap_or_else(|| PathBuf::from(DEFAULT_PREFIX));
    if list {
        if !programs.is_empty() || policy.is_some() || profile.is_some() {
            return Err(CliError::usage("--list takes no program or policy", "wrap"));
        }
        return list_wrappers(&dir);
    }
    if programs.is_empty() {
        return Err(CliError::usage("no program to wrap", "wrap"));
    }
    if name.is_some() && programs.len() > 1 {
        return Err(CliError::usage("--name needs exactly one program", "wrap"));
    }
    let choice = PolicyChoice::from_options(policy, profile, false, "wrap")?;
    // The policy is checked now; a wrapper that can only fail is no use.
    choice.load(&libsandbox::caller())?;
    let sandbox = std::env::current_exe()
        .and_then(fs::canonicalize)
        .map_err(|e| error::io("find the sandbox executable", &e, "/proc must be mounted"))?;
    if !dir.is_dir() {
        return Err(CliError::new(format!("write wrappers into {}", dir.display()), "no such directory", "create it, or choose another with --prefix"));
    }
    for program in &programs {
        let found = program::inspect(program)?;
        let function = match &name {
            Some(n) => n.clone(),
            None => found.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        };
        if !valid_function_name(&function) {
            return Err(CliError::new(
                format!("wrap {}", found.path.display()),
                format!("{function:?} is not a name sh accepts for a function (letters, digits and _, not first a digit; no reserved word)"),
                "choose one with --name (e.g. --name python3_11)",
            ));
        }
        let file = dir.join(format!("sandbox-{function}.sh"));
        if file.exists() && !is_ours(&file) {
            return Err(CliError::new(format!("write {}", file.display()), "the file exists and was not written by sandbox wrap", "remove it or choose another --name"));
        }
        let text = script(&function, &sandbox, &choice, &found.path);
        write_atomically(&file, text.as_bytes())?;
        println!("{function}: {} runs {} sandboxed ({})", file.display(), found.path.display(), describe(&choice));
    }
    Ok(())
}

fn describe(choice: &PolicyChoice) -> String {
    match choice {
        PolicyChoice::Builtin => "the built-in default policy".into(),
        PolicyChoice::File(f) => format!("policy {}", f.display()),
        PolicyChoice::Profile { name, .. } => format!("profile {name}"),
    }
}

/// The script: marker, what it does, how to remove it, and the function.
pub fn script(function: &str, sandbox: &Path, choice: &PolicyChoice, program: &Path) -> String {
    let policy_args = match choice {
        PolicyChoice::Builtin => String::new(),
        PolicyChoice::File(f) => format!(" --policy {}", quote(f.as_os_str().as_bytes())),
        PolicyChoice::Profile { name, .. } => format!(" --profile {}", quote(name.as_bytes())),
    };
    // The comment lines hold no newline (paths with one are shown escaped).
    let one_line = |p: &Path| p.display().to_string().escape_debug().to_string();
    format!(
        "{MARKER} {function}\n\
         # Written by `sandbox wrap` (libsandbox {version}); remove with `sandbox unwrap {function}`.\n\
         # program: {program_shown}\n\
         # policy: {policy}\n\
         {function}() {{ {sandbox} run{policy_args} -- {program} \"$@\"; }}\n",
        version = help::VERSION,
        program_shown = one_line(program),
        policy = describe(choice).escape_debug(),
        sandbox = quote(sandbox.as_os_str().as_bytes()),
        program = quote(program.as_os_str().as_bytes()),
    )
}

fn is_ours(file: &Path) -> bool {
    fs::read_to_string(file).map(|t| t.starts_with(MARKER)).unwrap_or(false)
}

/// Write `file` (mode 0644) through a temporary file in the same directory and a rename:
/// a shell starting meanwhile reads the old script or the new one, never half of one.
fn write_atomically(file: &Path, text: &[u8]) -> Result<()> {
    let tmp = file.with_extension(format!("sh.tmp{}", std::process::id()));
    let what = || format!("write {}", file.display());
    let result = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(text)?;
            f.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, file));
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        error::io(what(), &e, "writing into /etc/profile.d needs root; or choose a directory with --prefix")
    })
}

fn wrappers(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let entries = fs::read_dir(dir).map_err(|e| error::io(format!("list {}", dir.display()), &e, "choose the directory with --prefix"))?;
    let mut found: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.strip_prefix("sandbox-")?.strip_suffix(".sh")?.to_string();
            is_ours(&e.path()).then(|| (name, e.path()))
        })
        .collect();
    found.sort();
    Ok(found)
}

fn list_wrappers(dir: &Path) -> Result<()> {
    for (name, file) in wrappers(dir)? {
        let text = fs::read_to_string(&file).unwrap_or_default();
        let field = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).unwrap_or("?").trim().to_string();
        println!("{name}\t{}\t{}\t{}", field("# program:"), field("# policy:"), file.display());
    }
    Ok(())
}

/// `sandbox unwrap [--prefix DIR] NAME...`
pub fn unwrap_main(args: Vec<OsString>) -> Result<()> {
    let mut p = Parser::new(args, "unwrap");
    let mut prefix = None;
    let mut names = Vec::new();
    while let Some(arg) = p.next() {
        match arg {
            Arg::Option(opt, value) => match opt.as_str() {
                "--prefix" => prefix = Some(PathBuf::from(p.value(&opt, value)?)),
                "-h" | "--help" => help::print("unwrap"),
                _ => return Err(p.unknown(&opt)),
            },
            Arg::Operand(n) => names.push(n),
        }
    }
    if names.is_empty() {
        return Err(CliError::usage("no wrapper to remove", "unwrap"));
    }
    let dir = prefix.unwrap_or_else(|| PathBuf::from(DEFAULT_PREFIX));
    for name in names {
        let name = name.to_string_lossy().into_owned();
        if !valid_function_name(&name) {
            return Err(CliError::new(format!("unwrap {name:?}"), "is not a wrapper name", "`sandbox wrap --list` shows the wrappers"));
        }
        let file = dir.join(format!("sandbox-{name}.sh"));
        if !file.exists() {
            return Err(CliError::new(format!("unwrap {name}"), format!("{} does not exist", file.display()), "`sandbox wrap --list` shows the wrappers (and --prefix the directory)"));
        }
        if !is_ours(&file) {
            return Err(CliError::new(format!("unwrap {name}"), format!("{} was not written by sandbox wrap", file.display()), "remove it by hand if you mean to"));
        }
        fs::remove_file(&file).map_err(|e| error::io(format!("remove {}", file.display()), &e, "removing from /etc/profile.d needs root"))?;
        println!("{name}: removed {} (running shells keep the function until `unset -f {name}`)", file.display());
    }
    Ok(())
}

/// `sandbox profiles`
pub fn profiles_main(args: Vec<OsString>) -> Result<()> {
    let mut p = Parser::new(args, "profiles");
    if let Some(arg) = p.next() {
        return match arg {
            Arg::Option(opt, _) if opt == "-h" || opt == "--help" => help::print("profiles"),
            Arg::Option(opt, _) => Err(p.unknown(&opt)),
            Arg::Operand(_) => Err(CliError::usage("profiles takes no operand", "profiles")),
        };
    }
    let found = locate::profiles();
    if found.is_empty() {
        let dirs: Vec<String> = locate::profile_dirs().iter().map(|d| d.display().to_string()).collect();
        return Err(CliError::new("list profiles", format!("none found in {}", dirs.join(", ")), "install them with scripts/install.sh, or set SANDBOX_PROFILE_PATH"));
    }
    for (name, file) in found {
        println!("{name}\t{}", file.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["tar", "python3", "_x", "sha256sum", "git_2"] {
            assert!(valid_function_name(ok), "{ok}");
        }
        for bad in ["", "g++", "python3.11", "x86_64-linux-gnu-gcc", "7z", "if", "exec", "a b", "a'b", "[", "sandbox"] {
            assert!(!valid_function_name(bad), "{bad}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(quote(b"/usr/bin/tar"), "'/usr/bin/tar'");
        assert_eq!(quote(b"it's"), r"'it'\''s'");
        assert_eq!(quote(b"$(x) `y` \"z\""), "'$(x) `y` \"z\"'");
    }

    #[test]
    fn script_shape() {
        let s = script("tar", Path::new("/opt/s p/bin/sandbox"), &PolicyChoice::File("/p/it's.toml".into()), Path::new("/usr/bin/tar"));
        assert!(s.starts_with("# sandbox wrap: tar\n"), "{s}");
        assert!(s.ends_with("tar() { '/opt/s p/bin/sandbox' run --policy '/p/it'\\''s.toml' -- '/usr/bin/tar' \"$@\"; }\n"), "{s}");
    }
}
