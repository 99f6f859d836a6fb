//! What every case needs, set up once per test run: the library under test, the
//! compiled C fixtures, the users to run as, and a world-readable directory under
//! /tmp that holds copies of all of them.
//!
//! The repository may live where the unprivileged user cannot read (/root), so the
//! library and the fixtures are copied into `/tmp/libsandbox-tests-<pid>/` (mode
//! 0755, files 0644/0755). That directory is removed when the test process exits;
//! directories left by test processes that died are removed at the next start.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread;

/// The unprivileged user the second variant of every case runs as.
pub const TEST_USER: &str = "sandbox-test";

/// Fixtures that also get a statically linked build, `<name>-static`.
/// `sleeper` is the die_with_parent test's intermediate parent: a static binary
/// ignores LD_PRELOAD, so that parent is not sandboxed itself.
const STATIC_FIXTURES: &[&str] = &["sleeper"];

/// Not $TMPDIR: that may be private to the user running the tests, and the
/// unprivileged variant must be able to read everything in there.
const WORK_PARENT: &str = "/tmp";
const WORK_PREFIX: &str = "libsandbox-tests-";

/// Who a variant of a case runs as.
#[derive(Clone, Debug)]
pub struct User {
    /// "root" or "unprivileged".
    pub label: &'static str,
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// Run through `setpriv --reuid --regid --clear-groups` (the test runs as root).
    pub via_setpriv: bool,
    /// Why this user cannot create a user namespace, if it cannot.
    pub userns_error: Option<String>,
}

impl User {
    pub fn is_root(&self) -> bool {
        self.uid == 0
    }
}

pub struct World {
    /// The copy of libsandbox.so that cases preload.
    pub lib: PathBuf,
    /// The compiled fixtures: `bin/<name>` and `bin/<name>-static`.
    pub bin: PathBuf,
    /// Per-case directories are made here.
    pub cases: PathBuf,
    /// root and unprivileged when the tests run as root, else only the current user.
    pub users: Vec<User>,
}

static WORLD: OnceLock<Result<World, String>> = OnceLock::new();

/// The world, set up on first use. A set-up failure fails every test with its message.
pub fn world() -> &'static World {
    match WORLD.get_or_init(set_up) {
        Ok(world) => world,
        Err(message) => panic!("test set-up failed: {message}"),
    }
}

fn set_up() -> Result<World, String> {
    let source_lib = find_library()?;
    remove_stale_work_dirs();

    let root = Path::new(WORK_PARENT).join(format!("{WORK_PREFIX}{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    let lib_dir = root.join("lib");
    let bin = root.join("bin");
    let cases = root.join("cases");
    for dir in [&root, &lib_dir, &bin, &cases] {
        fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        chmod(dir, 0o755)?;
    }
    register_cleanup(&root);

    let lib = lib_dir.join("libsandbox.so");
    fs::copy(&source_lib, &lib)
        .map_err(|e| format!("copy {} to {}: {e}", source_lib.display(), lib.display()))?;
    chmod(&lib, 0o644)?;

    compile_fixtures(&bin)?;
    let users = users()?;
    Ok(World {
        lib,
        bin,
        cases,
        users,
    })
}

/// `SANDBOX_LIB`, else `libsandbox.so` beside the `deps/` directory holding this
/// test executable (`target/<profile>/`).
fn find_library() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("SANDBOX_LIB") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("SANDBOX_LIB={} does not exist", path.display()))
        };
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("unexpected test executable path {}", exe.display()))?;
    let lib = profile_dir.join("libsandbox.so");
    if lib.is_file() {
        Ok(lib)
    } else {
        Err(format!(
            "{} is missing: run `cargo build --workspace` first (the tests preload the built library), \
             or point SANDBOX_LIB at a libsandbox.so",
            lib.display()
        ))
    }
}

fn chmod(path: &Path, mode: u32) -> Result<(), String> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod {:o} {}: {e}", mode, path.display()))
}

/// Remove `/tmp/libsandbox-tests-<pid>` directories whose test process is gone.
fn remove_stale_work_dirs() {
    let Ok(entries) = fs::read_dir(WORK_PARENT) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(WORK_PREFIX)) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

static CLEANUP_DIR: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn remove_work_dir() {
    if let Some(dir) = CLEANUP_DIR.get() {
        let _ = fs::remove_dir_all(dir);
    }
}

/// Remove the work directory when the test process exits (libtest has no global
/// teardown; `exit` runs atexit handlers both on success and on failure).
fn register_cleanup(root: &Path) {
    if CLEANUP_DIR.set(root.to_path_buf()).is_ok() {
        // SAFETY: registers a plain `extern "C" fn()` that only touches a static.
        unsafe {
            libc::atexit(remove_work_dir);
        }
    }
}

fn fixture_sources() -> Result<Vec<PathBuf>, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("c-fixtures");
    let mut sources: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    sources.sort();
    if sources.is_empty() {
        return Err(format!("no C fixtures in {}", dir.display()));
    }
    Ok(sources)
}

/// Compile every `c-fixtures/*.c` with `cc -O1 -Wall`, dynamically linked, plus
/// the static builds of STATIC_FIXTURES; in parallel threads.
fn compile_fixtures(bin: &Path) -> Result<(), String> {
    let mut jobs = Vec::new();
    for source in fixture_sources()? {
        let name = source.file_stem().unwrap().to_string_lossy().into_owned();
        jobs.push((source.clone(), bin.join(&name), false));
        if STATIC_FIXTURES.contains(&name.as_str()) {
            jobs.push((source, bin.join(format!("{name}-static")), true));
        }
    }
    let handles: Vec<_> = jobs
        .into_iter()
        .map(|(source, output, static_link)| {
            thread::spawn(move || compile(&source, &output, static_link))
        })
        .collect();
    let errors: Vec<String> = handles
        .into_iter()
        .filter_map(|h| h.join().expect("compile thread panicked").err())
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

fn compile(source: &Path, output: &Path, static_link: bool) -> Result<(), String> {
    let include = source.parent().unwrap();
    let mut cmd = Command::new("cc");
    cmd.args(["-O1", "-Wall", "-I"])
        .arg(include)
        .arg("-o")
        .arg(output)
        .arg(source);
    if static_link {
        cmd.arg("-static");
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run cc (install gcc): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "compiling {} failed ({}):\n{}",
            source.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    if !out.stderr.is_empty() {
        eprintln!(
            "warnings compiling {}:\n{}",
            source.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    chmod(output, 0o755)
}

/// root and `sandbox-test` when running as root; else the current user alone.
fn users() -> Result<Vec<User>, String> {
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    if uid != 0 {
        // Straight to fd 2: libtest captures eprintln! inside tests.
        let _ = writeln!(
            std::io::stderr(),
            "preload tests: not running as root (uid {uid}): only the unprivileged variant of each case runs, \
             as the current user"
        );
        let mut user = User {
            label: "unprivileged",
            name: format!("uid {uid}"),
            uid,
            gid,
            via_setpriv: false,
            userns_error: None,
        };
        user.userns_error = probe_userns(&user);
        return Ok(vec![user]);
    }
    let (test_uid, test_gid) = ensure_test_user()?;
    let mut root = User {
        label: "root",
        name: "root".into(),
        uid: 0,
        gid: 0,
        via_setpriv: false,
        userns_error: None,
    };
    let mut unprivileged = User {
        label: "unprivileged",
        name: TEST_USER.into(),
        uid: test_uid,
        gid: test_gid,
        via_setpriv: true,
        userns_error: None,
    };
    root.userns_error = probe_userns(&root);
    unprivileged.userns_error = probe_userns(&unprivileged);
    Ok(vec![root, unprivileged])
}

fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let out = Command::new("getent")
        .args(["passwd", name])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = line.trim().split(':').collect();
    Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?))
}

fn ensure_test_user() -> Result<(u32, u32), String> {
    if let Some(ids) = lookup_user(TEST_USER) {
        return Ok(ids);
    }
    let out = Command::new("useradd")
        .args([
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            TEST_USER,
        ])
        .output()
        .map_err(|e| format!("cannot run useradd: {e}"))?;
    // Another test process may have created it meanwhile: look again either way.
    lookup_user(TEST_USER).ok_or_else(|| {
        format!(
            "useradd {TEST_USER} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The prefix that runs a command as `user`: nothing, or `setpriv ... --`.
pub fn user_prefix(user: &User) -> Vec<String> {
    if user.via_setpriv {
        vec![
            "/usr/bin/setpriv".into(),
            format!("--reuid={}", user.uid),
            format!("--regid={}", user.gid),
            "--clear-groups".into(),
            "--".into(),
        ]
    } else {
        Vec::new()
    }
}

/// Can `user` create a user namespace? Probed with `unshare -U true`, like the
/// kernel will judge the sandbox: None if yes, else what to fix.
fn probe_userns(user: &User) -> Option<String> {
    let mut argv = user_prefix(user);
    argv.extend(["/usr/bin/unshare".into(), "-U".into(), "/bin/true".into()]);
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .current_dir("/")
        .output();
    match out {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "`{}` failed ({}): {}; the kernel forbids user namespaces for {} — check \
             user.max_user_namespaces, kernel.unprivileged_userns_clone and \
             kernel.apparmor_restrict_unprivileged_userns",
            argv.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            user.name
        )),
        Err(e) => Some(format!("cannot run `{}`: {e}", argv.join(" "))),
    }
}
