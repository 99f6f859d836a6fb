//! `sandbox run [--policy FILE | --profile NAME] [--log LEVEL] [--] PROGRAM [ARG...]`
//!
//! A way into the sandbox that cannot fail open.
//!
//! Dynamic glibc programs (and scripts run by one): the command checks the program (no
//! setuid/setgid bit, no file capabilities, glibc's loader) and asks the loader, in trace
//! mode, whether libsandbox.so will load. Then it forks; the child executes the program
//! with `LD_PRELOAD`, `SANDBOX_POLICY` and the handshake descriptor, under ptrace; the
//! gate (gate.rs) lets it go only once the library has answered, and kills it otherwise:
//! exit 125 with the reason, the program having made no system call of its own.
//!
//! The command stays the parent and the process the caller waits on: it passes signals
//! sent to it on to the program (the library's monitor, which passes them on to the
//! app), stops when the program stops (job control), and ends as the program ended: the
//! same exit status, or death by the same signal (without a core file of its own).
//! Forking, rather than executing the program in place with a watcher beside it, is what
//! lets a refused program end in exit 125 with a message instead of an unexplained
//! SIGKILL, at the price of one more process while the program runs (~1 MB).
//!
//! Static programs ignore LD_PRELOAD. For them the command applies the same policy
//! itself (`libsandbox::run` returns in the sandbox's app process) and then executes the
//! program from a descriptor opened before the sandbox existed, so the program need not
//! be visible inside. The command's own process is the monitor. Differences from the
//! preload: the program's `main` is not entered by the library but started by execve
//! inside the finished sandbox, so a seccomp filter must allow execveat (fexecve) and
//! the system calls of a static binary's start-up (for glibc: brk, arch_prctl,
//! set_tid_address, set_robust_list, rseq, prlimit64, readlink, getrandom, mprotect;
//! measured with strace), where the preload's filter need allow none of them; and
//! `no_new_privs` is already set when execve runs (setuid bits and file capabilities
//! of the program have no effect, which is fine: such programs are refused anyway).

use crate::args::{Arg, Parser};
use crate::choice::PolicyChoice;
use crate::error::{self, CliError, Result};
use crate::program::{self, How, Program};
use crate::{gate, help, locate};
use libsandbox::handshake;
use libsandbox::log::{self, Level};
use libsandbox::policy::{Action, Located, Policy};
use libsandbox::sys::{self, Forked};
use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, FdFlag, OFlag};
use nix::sys::signal::{kill, sigprocmask, SigSet, SigmaskHow, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::convert::Infallible;
use std::ffi::{CString, OsStr, OsString};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

struct Options {
    choice: PolicyChoice,
    log: Option<Level>,
    program: OsString,
    args: Vec<OsString>,
}

fn parse(args: Vec<OsString>) -> Result<Options> {
    let mut p = Parser::new(args, "run");
    let (mut policy, mut profile, mut log) = (None, None, None);
    let mut program = None;
    while let Some(arg) = p.next() {
        match arg {
            Arg::Option(name, value) => match name.as_str() {
                "--policy" => policy = Some(p.value(&name, value)?),
                "--profile" => profile = Some(p.text(&name, value)?),
                "--log" => {
                    let text = p.text(&name, value)?;
                    log = Some(Level::parse(&text).ok_or_else(|| CliError::usage(format!("--log {text:?}: use error, warn, info or debug"), "run"))?);
                }
                "-h" | "--help" => help::print("run"),
                _ => return Err(p.unknown(&name)),
            },
            Arg::Operand(first) => {
                program = Some(first);
                break;
            }
        }
    }
    let program = program.ok_or_else(|| CliError::usage("no program to run", "run"))?;
    let args = p.rest();
    Ok(Options { choice: PolicyChoice::from_options(policy, profile, true, "run")?, log, program, args })
}

pub fn main(args: Vec<OsString>) -> Result<Infallible> {
    let o = parse(args)?;
    if let Some(level) = o.log {
        log::set_level(level);
    }
    let policy = o.choice.load(&libsandbox::caller())?;
    let program = program::inspect(&o.program)?;
    match &program.how {
        How::Preload { elf, loader } => preloaded(&o, &program, elf, loader),
        How::Execve => static_program(policy, &program, &o.args),
    }
}

// ---------------------------------------------------------------------------------------
// Dynamic programs: preload + handshake.

/// The program's environment: the caller's, with the library first in LD_PRELOAD, the
/// policy, the log level and (for the real run) the handshake descriptor.
fn environment(lib: &Path, o: &Options, handshake_fd: Option<i32>) -> Vec<(OsString, OsString)> {
    let own = lib.file_name().unwrap_or(OsStr::new("libsandbox.so")).as_bytes().to_vec();
    let mut env: Vec<(OsString, OsString)> = Vec::new();
    let mut preload = lib.as_os_str().as_bytes().to_vec();
    for (key, value) in std::env::vars_os() {
        match key.as_bytes() {
            b"SANDBOX_POLICY" | b"SANDBOX_HANDSHAKE_FD" => continue,
            b"SANDBOX_LOG" if o.log.is_some() => continue,
            b"LD_PRELOAD" => {
                // Other preloaded libraries stay, after ours; another copy of ours goes.
                for item in value.as_bytes().split(|b| *b == b':' || *b == b' ').filter(|i| !i.is_empty()) {
                    if item.rsplit(|b| *b == b'/').next() != Some(own.as_slice()) {
                        preload.push(b':');
                        preload.extend_from_slice(item);
                    }
                }
                continue;
            }
            _ => env.push((key, value)),
        }
    }
    env.push(("LD_PRELOAD".into(), OsString::from_vec(preload)));
    if let Some(path) = o.choice.path() {
        env.push((libsandbox::POLICY_VAR.into(), path.as_os_str().to_os_string()));
    }
    if let Some(level) = o.log {
        env.push((libsandbox::LOG_VAR.into(), format!("{level:?}").to_lowercase().into()));
    }
    if let Some(fd) = handshake_fd {
        env.push((handshake::FD_VAR.into(), fd.to_string().into()));
    }
    env
}

fn cstring(bytes: &[u8]) -> Result<CString> {
    CString::new(bytes).map_err(|_| CliError::usage("an argument or environment entry contains a NUL byte", "run"))
}

fn env_strings(env: &[(OsString, OsString)]) -> Result<Vec<CString>> {
    env.iter().map(|(k, v)| cstring(&[k.as_bytes(), b"=", v.as_bytes()].concat())).collect()
}

fn argv_strings(program: &Program, args: &[OsString]) -> Result<Vec<CString>> {
    std::iter::once(&program.name).chain(args).map(|a| cstring(a.as_bytes())).collect()
}

/// What the child reports over the exec pipe when it could not start the program.
const STAGE_TRACEME: u8 = 1;
const STAGE_EXECVE: u8 = 2;

fn preloaded(o: &Options, program: &Program, elf: &Path, loader: &Path) -> Result<Infallible> {
    let lib = locate::library()?;
    let checked = std::time::Instant::now();
    program::check_loadable(elf, loader, &lib, &environment(&lib, o, None))?;
    libsandbox::debug!("{} --list {}: libsandbox.so loads ({:?})", loader.display(), elf.display(), checked.elapsed());

    let pipe = || nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|e| CliError::new("create a pipe", e.desc(), "too many open files? raise ulimit -n"));
    let (answer_r, answer_w) = pipe()?;
    let (exec_r, exec_w) = pipe()?;
    let fd = answer_w.as_raw_fd();
    let path = cstring(program.path.as_os_str().as_bytes())?;
    let argv = argv_strings(program, &o.args)?;
    let envp = env_strings(&environment(&lib, o, Some(fd)))?;

    let child = match sys::fork() {
        Ok(Forked::Child) => exec_child(&path, &argv, &envp, answer_w, exec_w),
        Ok(Forked::Parent(pid)) => Pid::from_raw(pid),
        Err(e) => return Err(CliError::new("start the program", format!("fork: {}", e.desc()), "too many processes? check ulimit -u")),
    };
    drop((answer_w, exec_w));
    // Signals sent to this command go to the program; those the terminal sent to the
    // whole process group reached it already.
    let _ = sys::forward_signals(libsandbox::process::FORWARDED, child.as_raw(), false);

    let lib_name = lib.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match gate::hold(child, fd, handshake::ANSWER, &lib_name) {
        Ok(passed) => libsandbox::debug!(
            "handshake: {} held at its entry point after {:?}; libsandbox.so answered after {:?}",
            program.short_name(),
            passed.at_entry,
            passed.answered
        ),
        // Killed by a signal before it ran (^C while it loaded): end the same way.
        Err(gate::Refusal::Ended(WaitStatus::Signaled(_, signal, _))) => die_by(signal),
        Err(refusal) => {
            let _ = kill(child, Signal::SIGKILL);
            reap(child);
            return Err(refused(refusal, program, &lib, &exec_r));
        }
    }
    // The answer stays in the pipe; its read end stays open (a write to a pipe without
    // reader would raise SIGPIPE in the program) until the program ends.
    wait_and_mirror(child, answer_r)
}

/// In the child: keep the handshake descriptor across execve, ask to be traced, execute.
fn exec_child(path: &CString, argv: &[CString], envp: &[CString], answer_w: OwnedFd, exec_w: OwnedFd) -> ! {
    let report = |stage: u8, e: Errno| -> ! {
        let mut msg = [stage, 0, 0, 0, 0];
        msg[1..].copy_from_slice(&(e as i32).to_le_bytes());
        let _ = nix::unistd::write(&exec_w, &msg);
        sys::exit_now(127)
    };
    if let Err(e) = fcntl(&answer_w, FcntlArg::F_SETFD(FdFlag::empty())) {
        report(STAGE_EXECVE, e);
    }
    std::mem::forget(answer_w);
    if let Err(e) = nix::sys::ptrace::traceme() {
        report(STAGE_TRACEME, e);
    }
    let e = nix::unistd::execve(path, argv, envp).unwrap_err();
    report(STAGE_EXECVE, e)
}

fn reap(child: Pid) {
    loop {
        match waitpid(child, None) {
            Err(Errno::EINTR) => continue,
            Ok(WaitStatus::Exited(..)) | Ok(WaitStatus::Signaled(..)) | Err(_) => return,
            Ok(_) => continue,
        }
    }
}

/// The error for a program the gate did not let go.
fn refused(refusal: gate::Refusal, program: &Program, lib: &Path, exec_r: &OwnedFd) -> CliError {
    let what = format!("run {} under {}", program.path.display(), lib.display());
    match refusal {
        gate::Refusal::NotStarted => {
            let mut msg = [0u8; 5];
            let n = nix::unistd::read(exec_r, &mut msg).unwrap_or(0);
            let errno = if n == 5 { Errno::from_raw(i32::from_le_bytes([msg[1], msg[2], msg[3], msg[4]])) } else { Errno::UnknownErrno };
            if n == 5 && msg[0] == STAGE_TRACEME {
                return CliError::new(
                    what,
                    format!("ptrace(PTRACE_TRACEME) failed: {}", errno.desc()),
                    "sandbox run holds the program under ptrace until the library answers: is sandbox run itself traced by strace -f or gdb, or is ptrace forbidden by kernel.yama.ptrace_scope = 3 or a seccomp profile?",
                );
            }
            let status = if errno == Errno::ENOENT { error::NOT_FOUND } else { error::CANNOT_EXECUTE };
            CliError::new(format!("execute {}", program.path.display()), errno.desc(), "check the program and its permissions").status(status)
        }
        gate::Refusal::Ended(status) => {
            CliError::new(what, format!("the program ended before libsandbox.so took control, wait status {status:?}"), "nothing of it ran; run it again")
        }
        gate::Refusal::SyscallBeforeAnswer { nr, library_mapped } => {
            let why = if library_mapped {
                format!(
                    "the library is loaded but its hook did not run first: the program's first system call, {}, came before the handshake",
                    gate::syscall_name(nr)
                )
            } else {
                format!(
                    "the dynamic loader did not load the library, see its message above: the program's first system call, {}, came without the handshake",
                    gate::syscall_name(nr)
                )
            };
            CliError::new(
                what,
                format!("{why}; the program was stopped there and killed"),
                "the program must start through glibc's __libc_start_main with libsandbox.so preloaded, which Go programs and programs with their own _start do not; `ld.so --list PROGRAM` shows what the loader loads",
            )
        }
        gate::Refusal::WrongAnswer(said) => CliError::new(
            what,
            format!("the library answered {said:?}, this command expects {:?}", String::from_utf8_lossy(handshake::ANSWER).trim_end()),
            "install sandbox and libsandbox.so from the same build",
        ),
        gate::Refusal::Trace(step, e) => CliError::new(what, format!("{step}: {}", e.desc()), "sandbox run needs ptrace; kernel.yama.ptrace_scope = 3 forbids it"),
    }
}

/// Wait for the program and end the same way: exit status, or death by its signal.
fn wait_and_mirror(child: Pid, keep_open: OwnedFd) -> Result<Infallible> {
    loop {
        match waitpid(child, Some(WaitPidFlag::WUNTRACED)) {
            Err(Errno::EINTR) => continue,
            Ok(WaitStatus::Stopped(..)) => {
                // Job control: the program stopped, so does this command (the shell waits
                // on it); a SIGCONT to the command wakes the program too.
                let _ = kill(Pid::this(), Signal::SIGSTOP);
                let _ = kill(child, Signal::SIGCONT);
            }
            Ok(WaitStatus::Exited(_, code)) => {
                drop(keep_open);
                sys::exit_now(code)
            }
            Ok(WaitStatus::Signaled(_, signal, _)) => die_by(signal),
            Ok(_) => continue,
            Err(e) => return Err(CliError::new("wait for the program", e.desc(), "the program may still be running; kill it")),
        }
    }
}

/// Die from `signal`, as the program did, so the caller sees the same wait status. No
/// core file: this process's memory is not the program's. Where that fails, exit 128+N.
fn die_by(signal: Signal) -> ! {
    let _ = nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0);
    sys::default_signals(&[signal as i32]);
    let mut set = SigSet::empty();
    set.add(signal);
    let _ = sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&set), None);
    let _ = kill(Pid::this(), signal);
    sys::exit_now(128 + signal as i32)
}

// ---------------------------------------------------------------------------------------
// Static programs: the command sandboxes itself, then executes the program.

/// The start-up system calls of a glibc static program (strace of an empty `main`).
const STATIC_STARTUP: &[&str] = &["brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64", "readlink", "getrandom", "mprotect"];

/// A static program is started by execveat inside the sandbox, after the seccomp filter.
/// A `[seccomp]` section that would refuse that is an error now, with the fix, rather than
/// a SIGSYS later. Rules with argument conditions on execveat are left to the filter.
fn static_exec_allowed(policy: &Policy) -> Result<()> {
    let Some(s) = &policy.seccomp else { return Ok(()) };
    fn names(list: &[Located<String>]) -> Vec<&str> {
        list.iter()
            .flat_map(|l| match libsandbox::seccomp::groups::find(&l.value) {
                Some(g) => libsandbox::seccomp::groups::expand(g),
                None => vec![l.value.as_str()],
            })
            .collect()
    }
    if s.rules.iter().any(|r| r.syscall.value == "execveat") {
        return Ok(());
    }
    let (refused, key) = if s.default_action == Action::Allow {
        (names(&s.deny).contains(&"execveat"), "seccomp.deny")
    } else {
        (!names(&s.allow).contains(&"execveat"), "seccomp.allow")
    };
    if !refused {
        return Ok(());
    }
    let at = if s.line > 0 { format!("{} line {}", policy.source, s.line) } else { policy.source.to_string() };
    let (why, fix) = if key == "seccomp.deny" {
        ("seccomp.deny lists execveat".to_string(), "remove execveat from seccomp.deny".to_string())
    } else {
        (
            "execveat is not in seccomp.allow".to_string(),
            format!("add \"execveat\" and a static program's start-up calls to seccomp.allow: {}", STATIC_STARTUP.join(" ")),
        )
    };
    Err(CliError::new(at, format!("{why}, and sandbox run starts a static program with it, inside the sandbox"), fix))
}

fn static_program(mut policy: Policy, program: &Program, args: &[OsString]) -> Result<Infallible> {
    static_exec_allowed(&policy)?;
    let exe = std::fs::File::open(&program.path).map_err(|e| error::io(format!("open {}", program.path.display()), &e, "check its permissions").status(error::CANNOT_EXECUTE))?;
    let exe = OwnedFd::from(exe);
    // Kept through the sandbox's "close inherited descriptors" step; close-on-exec, so
    // the program does not see it.
    policy.process.keep_fds.push(exe.as_raw_fd());
    policy.process.keep_fds.sort_unstable();
    policy.process.keep_fds.dedup();

    let argv = argv_strings(program, args)?;
    let vars: Vec<Vec<u8>> = std::env::vars_os().map(|(k, v)| [k.as_bytes(), b"=", v.as_bytes()].concat()).collect();
    let refs: Vec<&[u8]> = vars.iter().map(Vec::as_slice).collect();
    let envp: Vec<CString> = libsandbox::env::filter(&refs, &policy.process, "libsandbox.so").iter().map(|e| cstring(e)).collect::<Result<_>>()?;
    let exec = crate::sys::ExecArgs::new(argv, envp);
    let failed = format!("sandbox: error: execute {} in the sandbox: ", program.path.display());

    libsandbox::run(&policy, &program.short_name())?;
    // The app process (P2), sandboxed, right where the preload would call main. From here
    // on nothing allocates or frees (the seccomp filter is on); nothing is dropped either,
    // as this function does not return.
    let e = crate::sys::fexecve(&exe, &exec);
    use std::io::Write;
    let mut err = std::io::stderr();
    let _ = err.write_all(failed.as_bytes());
    let _ = err.write_all(e.desc().as_bytes());
    let _ = err.write_all(b" (a [seccomp] filter must allow execveat and a static program's start-up: see sandbox(1))\n");
    sys::exit_now(error::SETUP_FAILED)
}
