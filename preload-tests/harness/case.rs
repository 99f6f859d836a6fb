//! One case: a program (usually a C fixture), its arguments, a policy, and the
//! environment, stdin and inherited descriptors it starts with; run once per user
//! (root and unprivileged) under `LD_PRELOAD=libsandbox.so`.
//!
//! Strings given to the builder may use placeholders, expanded per run:
//! `{dir}` the case's own directory (world-readable, removed afterwards),
//! `{lib}` the library, `{bin}` the fixtures' directory, `{policy}` the policy file,
//! `{uid}`/`{gid}` the ids of the user the variant runs as.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread;
use std::time::{Duration, Instant};

use super::host::{self, Snapshot, MARKER_VAR};
use super::outcome::{Outcome, Status};
use super::world::{user_prefix, world, User};

/// How long one run may take before it is killed and the test fails.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the sandbox's processes, mounts and cgroups may take to vanish after the run.
pub const DEFAULT_LEAK_GRACE: Duration = Duration::from_secs(2);

/// Cases with a `[cgroup]` section run alone, so that the cgroup leak check of
/// other cases never sees their (live) cgroups.
static CGROUP_SERIAL: RwLock<()> = RwLock::new(());

#[derive(Clone, Debug)]
enum Program {
    Fixture(String),
    Path(String),
}

#[derive(Clone, Debug)]
enum PolicySource {
    /// Written to `{dir}/policy.toml`, which SANDBOX_POLICY names.
    Text(String),
    /// SANDBOX_POLICY names this path (placeholders expanded); nothing is written.
    Path(String),
    /// SANDBOX_POLICY is not set: the built-in default policy applies.
    Unset,
}

#[derive(Clone, Debug)]
enum Setup {
    File {
        path: String,
        content: Vec<u8>,
        mode: u32,
    },
    Dir {
        path: String,
        mode: u32,
    },
}

#[derive(Clone, Debug)]
pub struct Case {
    name: String,
    program: Program,
    args: Vec<String>,
    policy: PolicySource,
    env: Vec<(String, String)>,
    preload: bool,
    stdin: Option<Vec<u8>>,
    setup: Vec<Setup>,
    fds: Vec<(i32, String)>,
    start: StartState,
    timeout: Duration,
    leak_grace: Duration,
}

impl Case {
    /// A case running the C fixture `c-fixtures/<fixture>.c` (or `<name>-static`).
    pub fn new(name: &str, fixture: &str) -> Case {
        Case::with_program(name, Program::Fixture(fixture.into()))
    }

    /// A case running a program of the host by absolute path (`/bin/sh`).
    pub fn program(name: &str, path: &str) -> Case {
        Case::with_program(name, Program::Path(path.into()))
    }

    fn with_program(name: &str, program: Program) -> Case {
        Case {
            name: name.into(),
            program,
            args: Vec::new(),
            policy: PolicySource::Text(String::new()),
            env: Vec::new(),
            preload: true,
            stdin: None,
            setup: vec![Setup::Dir {
                path: "out".into(),
                mode: 0o777,
            }],
            fds: Vec::new(),
            start: StartState::default(),
            timeout: DEFAULT_TIMEOUT,
            leak_grace: DEFAULT_LEAK_GRACE,
        }
    }

    /// The policy text (default: an empty file, a valid policy).
    pub fn policy(mut self, toml: impl Into<String>) -> Case {
        self.policy = PolicySource::Text(toml.into());
        self
    }

    /// SANDBOX_POLICY names `path` as it is (for missing or unreadable policy files).
    pub fn policy_path(mut self, path: &str) -> Case {
        self.policy = PolicySource::Path(path.into());
        self
    }

    /// SANDBOX_POLICY unset: the built-in default policy.
    pub fn default_policy(mut self) -> Case {
        self.policy = PolicySource::Unset;
        self
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Case {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Case {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// An environment variable, in order after PATH, HOME and the marker. Giving
    /// `LD_PRELOAD` or `SANDBOX_POLICY` here places them; otherwise they come last.
    pub fn env(mut self, key: &str, value: &str) -> Case {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Do not add `LD_PRELOAD={lib}` (it must then be given with `env`, or the run is bare).
    pub fn no_preload(mut self) -> Case {
        self.preload = false;
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Case {
        self.stdin = Some(input.into());
        self
    }

    /// A file in the case directory (parents made 0755), mode 0644.
    pub fn file(self, path: &str, content: impl Into<Vec<u8>>) -> Case {
        self.file_mode(path, content, 0o644)
    }

    pub fn file_mode(mut self, path: &str, content: impl Into<Vec<u8>>, mode: u32) -> Case {
        self.setup.push(Setup::File {
            path: path.into(),
            content: content.into(),
            mode,
        });
        self
    }

    /// A directory in the case directory with `mode`. `out/` (mode 0777) always exists.
    pub fn dir(mut self, path: &str, mode: u32) -> Case {
        self.setup.push(Setup::Dir {
            path: path.into(),
            mode,
        });
        self
    }

    /// Start the program with descriptor `fd` open on `path` (read-only), inherited.
    pub fn inherit_fd(mut self, fd: i32, path: &str) -> Case {
        self.fds.push((fd, path.into()));
        self
    }

    /// Start the program with `signal` ignored (SIG_IGN survives exec).
    pub fn ignore_signal(mut self, signal: i32) -> Case {
        self.start.ignore.push(signal);
        self
    }

    /// Start the program with `signal` blocked.
    pub fn block_signal(mut self, signal: i32) -> Case {
        self.start.block.push(signal);
        self
    }

    pub fn umask(mut self, mask: u32) -> Case {
        self.start.umask = Some(mask);
        self
    }

    /// Start the program with descriptor 0 closed.
    pub fn close_stdin(mut self) -> Case {
        self.start.close_stdin = true;
        self
    }

    pub fn leak_grace(mut self, grace: Duration) -> Case {
        self.leak_grace = grace;
        self
    }

    /// Run as every user of the world (root, then unprivileged) and return the outcomes.
    pub fn run_both(&self) -> Vec<Outcome> {
        world().users.iter().map(|user| self.run_as(user)).collect()
    }

    pub fn run_as(&self, user: &User) -> Outcome {
        self.spawn_as(user).finish()
    }

    /// Start the run and return at once, to talk to it (signals, readiness lines).
    pub fn spawn_as(&self, user: &User) -> Running {
        if self.uses_user_namespace() {
            if let Some(why) = &user.userns_error {
                panic!(
                    "case `{}` needs a user namespace for {}: {why}",
                    self.name, user.name
                );
            }
        }
        let id = next_id();
        let marker = format!("{}-{}-{}", self.name, user.label, id);
        let dir = CaseDir::create(
            &world()
                .cases
                .join(format!("{}-{}-{}", self.name, user.label, id)),
        );
        let vars = self.vars(&dir, user);
        for step in &self.setup {
            dir.apply(step, &vars);
        }
        let policy_text = match &self.policy {
            PolicySource::Text(text) => {
                let text = vars.expand(text);
                write_file(Path::new(&vars.policy), text.as_bytes(), 0o644);
                Some(text)
            }
            _ => None,
        };
        let argv = self.argv(user, &vars, &marker);
        let mut command = self.command(&argv, &dir.path);
        // Opened before the spawn, closed right after it (the child has its copies).
        let inherited = self.inherit_descriptors(&mut command, &vars);

        let guard = if policy_text
            .as_deref()
            .is_some_and(|t| t.contains("[cgroup]"))
        {
            CgroupGuard::Alone(CGROUP_SERIAL.write().unwrap_or_else(|e| e.into_inner()))
        } else {
            CgroupGuard::Shared(CGROUP_SERIAL.read().unwrap_or_else(|e| e.into_inner()))
        };
        let before = Snapshot::take();
        let started = Instant::now();
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {argv:?}: {e}"));
        drop(inherited);
        if let (Some(input), Some(mut pipe)) = (self.stdin.clone(), child.stdin.take()) {
            thread::spawn(move || {
                let _ = pipe.write_all(&input);
            });
        }
        let output = Output::capture(&mut child);

        Running {
            case: self.name.clone(),
            user: user.clone(),
            command: shell_words(&argv),
            policy: policy_text,
            dir: Some(dir),
            pid: child.id() as i32,
            child,
            marker,
            output,
            started,
            deadline: started + self.timeout,
            timeout: self.timeout,
            leak_grace: self.leak_grace,
            before,
            finished: false,
            _guard: guard,
        }
    }

    /// The placeholders' values for one run.
    fn vars(&self, dir: &CaseDir, user: &User) -> Vars {
        let world = world();
        let mut vars = Vars {
            dir: dir.path.display().to_string(),
            lib: world.lib.display().to_string(),
            bin: world.bin.display().to_string(),
            policy: String::new(),
            uid: user.uid,
            gid: user.gid,
        };
        vars.policy = match &self.policy {
            PolicySource::Path(path) => vars.expand(path),
            _ => dir.path.join("policy.toml").display().to_string(),
        };
        vars
    }

    /// `[setpriv ... --] env -i K=V ... PROGRAM ARGS`: `env -i` sets exactly this
    /// environment, in this order (std's Command would sort it), and execs the
    /// program, so the spawned pid ends up being the program's: the "outer process"
    /// of the sandbox. The environment: PATH, HOME, the marker, the case's own
    /// variables, then LD_PRELOAD and SANDBOX_POLICY unless the case placed them.
    fn argv(&self, user: &User, vars: &Vars, marker: &str) -> Vec<String> {
        let mut env: Vec<(String, String)> = vec![
            (
                "PATH".into(),
                "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin".into(),
            ),
            ("HOME".into(), "/".into()),
            (MARKER_VAR.into(), marker.into()),
        ];
        env.extend(self.env.iter().map(|(k, v)| (k.clone(), vars.expand(v))));
        if self.preload && !self.env.iter().any(|(k, _)| k == "LD_PRELOAD") {
            env.push(("LD_PRELOAD".into(), vars.lib.clone()));
        }
        if !matches!(self.policy, PolicySource::Unset)
            && !self.env.iter().any(|(k, _)| k == "SANDBOX_POLICY")
        {
            env.push(("SANDBOX_POLICY".into(), vars.policy.clone()));
        }
        let program = match &self.program {
            Program::Fixture(name) => world().bin.join(name).display().to_string(),
            Program::Path(path) => vars.expand(path),
        };
        let mut argv = user_prefix(user);
        argv.push("/usr/bin/env".into());
        argv.push("-i".into());
        argv.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
        argv.push(program);
        argv.extend(self.args.iter().map(|a| vars.expand(a)));
        argv
    }

    fn command(&self, argv: &[String], cwd: &Path) -> Command {
        let mut command = Command::new(&argv[0]);
        command
            .args(&argv[1..])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .current_dir(cwd)
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so that a timeout can kill everything it started.
            .process_group(0);
        command
    }

    /// The program starts with exactly descriptors 0, 1, 2 and the case's own:
    /// those are opened here (close-on-exec, numbered >= 100 so that they never
    /// collide with their targets) and dup2'ed onto their numbers in the child;
    /// every other descriptor the test process itself inherited (a CI runner's, a
    /// shell's) is marked close-on-exec there. Returns the descriptors to close
    /// once the child is spawned.
    fn inherit_descriptors(&self, command: &mut Command, vars: &Vars) -> Vec<OwnedFd> {
        let opened: Vec<(i32, OwnedFd)> = self
            .fds
            .iter()
            .map(|(target, path)| (*target, open_high(&vars.expand(path))))
            .collect();
        let pairs: Vec<(i32, i32)> = opened
            .iter()
            .map(|(target, fd)| (fd.as_raw_fd(), *target))
            .collect();
        let mut keep: Vec<u32> = self.fds.iter().map(|(target, _)| *target as u32).collect();
        keep.sort_unstable();
        let start = self.start.clone();
        // SAFETY: the closure runs between fork and exec and only makes
        // async-signal-safe system calls (signal, sigprocmask, umask, close,
        // close_range, dup2); it allocates nothing.
        unsafe {
            command.pre_exec(move || {
                start.apply();
                let mut first = 3u32;
                for &keep_fd in keep.iter().chain(std::iter::once(&u32::MAX)) {
                    if keep_fd > first {
                        let rc = libc::syscall(
                            libc::SYS_close_range,
                            first,
                            keep_fd - 1,
                            libc::CLOSE_RANGE_CLOEXEC,
                        );
                        if rc < 0 {
                            return Err(std::io::Error::last_os_error());
                        }
                    }
                    first = keep_fd.saturating_add(1);
                }
                for &(from, to) in &pairs {
                    if libc::dup2(from, to) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        opened.into_iter().map(|(_, fd)| fd).collect()
    }

    fn uses_user_namespace(&self) -> bool {
        let PolicySource::Text(text) = &self.policy else {
            return true;
        };
        let Ok(table) = text.parse::<toml::Table>() else {
            return true;
        };
        let user = table
            .get("namespaces")
            .and_then(|n| n.get("user"))
            .and_then(|u| u.as_bool());
        user != Some(false)
    }
}

/// Process attributes the program starts with, besides its descriptors (std's
/// Command resets the signal mask and dispositions; these are applied after that).
#[derive(Clone, Debug, Default)]
struct StartState {
    ignore: Vec<i32>,
    block: Vec<i32>,
    umask: Option<u32>,
    close_stdin: bool,
}

impl StartState {
    /// # Safety
    /// Runs in the child between fork and exec: async-signal-safe calls only.
    unsafe fn apply(&self) {
        // Every signal starts at its default action, whatever the test process
        // inherited (a background job's ignored SIGINT and SIGQUIT, say).
        for signal in 1..32 {
            if signal != libc::SIGKILL && signal != libc::SIGSTOP {
                libc::signal(signal, libc::SIG_DFL);
            }
        }
        for &signal in &self.ignore {
            libc::signal(signal, libc::SIG_IGN);
        }
        if !self.block.is_empty() {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for &signal in &self.block {
                libc::sigaddset(&mut set, signal);
            }
            libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        }
        if let Some(mask) = self.umask {
            libc::umask(mask as libc::mode_t);
        }
        if self.close_stdin {
            libc::close(0);
        }
    }
}

#[allow(dead_code)] // the guards are held, not read
enum CgroupGuard {
    Shared(RwLockReadGuard<'static, ()>),
    Alone(RwLockWriteGuard<'static, ()>),
}

fn next_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}x{:06}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

struct Vars {
    dir: String,
    lib: String,
    bin: String,
    policy: String,
    uid: u32,
    gid: u32,
}

impl Vars {
    fn expand(&self, s: &str) -> String {
        let uid = self.uid.to_string();
        let gid = self.gid.to_string();
        let values = [
            ("{dir}", self.dir.as_str()),
            ("{lib}", self.lib.as_str()),
            ("{bin}", self.bin.as_str()),
            ("{policy}", self.policy.as_str()),
            ("{uid}", uid.as_str()),
            ("{gid}", gid.as_str()),
        ];
        values
            .iter()
            .fold(s.to_string(), |text, (key, value)| text.replace(key, value))
    }
}

fn write_file(path: &Path, content: &[u8], mode: u32) {
    fs::write(path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

fn open_high(path: &str) -> OwnedFd {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("open {path}: {e}"));
    // SAFETY: fcntl(F_DUPFD_CLOEXEC) on a descriptor we own returns a new one or -1.
    let fd = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 100) };
    assert!(
        fd >= 0,
        "fcntl F_DUPFD_CLOEXEC: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `fd` was just returned by fcntl and is owned by nobody else.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"\\$`".contains(c)) {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The case's own directory (mode 0755), removed when the outcome is dropped.
#[derive(Debug)]
pub struct CaseDir {
    pub path: PathBuf,
}

impl CaseDir {
    fn create(path: &Path) -> CaseDir {
        fs::create_dir_all(path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
        CaseDir {
            path: path.to_path_buf(),
        }
    }

    fn apply(&self, step: &Setup, vars: &Vars) {
        match step {
            Setup::Dir { path, mode } => {
                let full = self.path.join(vars.expand(path));
                self.make_parents(&full);
                fs::create_dir_all(&full)
                    .unwrap_or_else(|e| panic!("create {}: {e}", full.display()));
                fs::set_permissions(&full, fs::Permissions::from_mode(*mode)).unwrap();
            }
            Setup::File {
                path,
                content,
                mode,
            } => {
                let full = self.path.join(vars.expand(path));
                self.make_parents(&full);
                write_file(&full, content, *mode);
            }
        }
    }

    fn make_parents(&self, full: &Path) {
        let mut missing = Vec::new();
        let mut p = full.parent();
        while let Some(dir) = p {
            if dir.exists() {
                break;
            }
            missing.push(dir.to_path_buf());
            p = dir.parent();
        }
        for dir in missing.into_iter().rev() {
            fs::create_dir(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
}

impl Drop for CaseDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// A run in progress.
pub struct Running {
    case: String,
    user: User,
    command: String,
    policy: Option<String>,
    dir: Option<CaseDir>,
    pid: i32,
    child: Child,
    marker: String,
    output: Output,
    started: Instant,
    deadline: Instant,
    timeout: Duration,
    leak_grace: Duration,
    before: Snapshot,
    finished: bool,
    _guard: CgroupGuard,
}

impl Running {
    pub fn marker(&self) -> &str {
        &self.marker
    }

    /// Wait (at most `timeout`) for a stdout line `key=...` not yet consumed, and
    /// return its value. Panics with the output so far if it does not come.
    pub fn wait_for(&mut self, key: &str, timeout: Duration) -> String {
        let end = Instant::now() + timeout;
        let prefix = format!("{key}=");
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.output.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(value) = line.strip_prefix(&prefix) {
                        return value.to_string();
                    }
                }
                Err(_) => {
                    let so_far = self.describe_so_far();
                    self.kill();
                    panic!("no `{key}=` line on stdout within {timeout:?}\n{so_far}");
                }
            }
        }
    }

    /// Send `signal` to the outer process.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid, which is not reaped yet.
        let rc = unsafe { libc::kill(self.pid, signal) };
        assert_eq!(
            rc,
            0,
            "kill({}, {signal}): {}",
            self.pid,
            std::io::Error::last_os_error()
        );
    }

    fn kill(&mut self) {
        // SAFETY: kill(2) of our child's process group and of the child itself.
        unsafe {
            libc::kill(-self.pid, libc::SIGKILL);
            libc::kill(self.pid, libc::SIGKILL);
        }
        host::kill_marker_processes(&self.marker);
    }

    fn describe_so_far(&self) -> String {
        format!(
            "case `{}` as {} ({}), still running\ncommand: {}\npolicy:\n{}\nstdout so far:\n{}\nstderr so far:\n{}",
            self.case,
            self.user.label,
            self.user.name,
            self.command,
            self.policy.as_deref().unwrap_or("(none written)"),
            self.output.stdout(),
            self.output.stderr(),
        )
    }

    /// Wait for the outer process to end (killing it at the timeout), collect its
    /// output, and check that nothing was left behind on the host.
    pub fn finish(mut self) -> Outcome {
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Status::from(status),
                Ok(None) if Instant::now() >= self.deadline => {
                    self.kill();
                    let _ = self.child.wait();
                    break Status::TimedOut(self.timeout);
                }
                Ok(None) => thread::sleep(Duration::from_millis(5)),
                Err(e) => panic!("wait for {}: {e}", self.pid),
            }
        };
        let elapsed = self.started.elapsed();
        self.finished = true;

        // Output ends when the last holder of the pipes is gone; do not wait forever
        // for a leaked process that still holds them (the leak check reports it).
        self.output
            .wait_for_end(self.leak_grace + Duration::from_secs(1));
        let leftovers = self.before.leftovers(&self.marker, self.leak_grace);

        let outcome = Outcome::new(
            self.case.clone(),
            self.user.clone(),
            self.command.clone(),
            self.policy.clone(),
            status,
            elapsed,
            self.output.stdout(),
            self.output.stderr(),
            self.dir.take(),
        );
        if let Some(report) = leftovers {
            panic!("{report}\n{outcome}");
        }
        outcome
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.finished {
            self.kill();
            let _ = self.child.wait();
        }
    }
}

/// The child's stdout and stderr, read by two threads as they come: stdout also
/// line by line for `Running::wait_for`.
struct Output {
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    lines: Receiver<String>,
    /// One message from each reader at end of file.
    done: Receiver<()>,
}

impl Output {
    fn capture(child: &mut Child) -> Output {
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (line_tx, lines) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();

        let pipe = child.stdout.take().expect("stdout is piped");
        let buffer = Arc::clone(&stdout);
        let stdout_done = done_tx.clone();
        thread::spawn(move || {
            let mut reader = BufReader::new(pipe);
            let mut line = Vec::new();
            while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                buffer.lock().unwrap().extend_from_slice(&line);
                let _ = line_tx.send(
                    String::from_utf8_lossy(&line)
                        .trim_end_matches('\n')
                        .to_string(),
                );
                line.clear();
            }
            let _ = stdout_done.send(());
        });

        let mut pipe = child.stderr.take().expect("stderr is piped");
        let buffer = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                buffer.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
            let _ = done_tx.send(());
        });
        Output {
            stdout,
            stderr,
            lines,
            done,
        }
    }

    /// Wait (at most `limit`) for both pipes to reach end of file.
    fn wait_for_end(&self, limit: Duration) {
        let end = Instant::now() + limit;
        for _ in 0..2 {
            let _ = self
                .done
                .recv_timeout(end.saturating_duration_since(Instant::now()));
        }
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }
}
