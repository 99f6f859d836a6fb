//! The three processes of the design: monitor (P0), init (P1), app (P2), and the one loop
//! that runs a plan's steps, attaching the step to any error.

pub mod channel;
mod app;
mod init;
mod monitor;

use crate::error::{Result, SetupError};
use crate::plan::Step;
use crate::policy::Policy;
use crate::{caps, fds, namespaces, net, rlimit, rootfs, seccomp, uts};

pub use monitor::launch;

/// Signals the monitor and the init pass on to the app.
pub const FORWARDED: &[libc::c_int] = &[
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGTERM,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGWINCH,
    libc::SIGCONT,
    libc::SIGALRM,
    libc::SIGTSTP,
    libc::SIGTTIN,
    libc::SIGTTOU,
];

/// Run one step. Every facility module returns errors that already say what failed.
fn execute(step: &Step) -> Result<()> {
    match step {
        Step::CloseInheritedFds { keep } => fds::close_inherited(keep),
        Step::UnshareCgroup => namespaces::unshare_cgroup(),
        Step::UnshareTime => namespaces::unshare_time(),
        Step::MakeRootPrivate => rootfs::make_root_private(),
        Step::EnterSetupRoot { dir } => rootfs::enter_setup_root(dir),
        Step::NewRoot => rootfs::new_root(),
        Step::MountDev { nodes } => rootfs::mount_dev(nodes),
        Step::MountProc => rootfs::mount_proc(),
        Step::ProtectProc { paths } => rootfs::protect_proc(paths),
        Step::Bind { source, target, kind, writable } => rootfs::bind(source, target, *kind, *writable),
        Step::Tmpfs { target, size, mode } => rootfs::tmpfs(target, *size, *mode),
        Step::Dir { target, mode } => rootfs::dir(target, *mode),
        Step::Symlink { text, target } => rootfs::symlink(text, target),
        Step::EnterNewRoot { readonly } => rootfs::enter_new_root(*readonly),
        Step::SetHostname { name } => uts::set_hostname(name),
        Step::JoinNetwork => net::join(),
        Step::DieWithInit => app::die_with_init(),
        Step::Chdir { path, fallback_to_root } => app::chdir(path, *fallback_to_root),
        Step::SetRlimit { resource, value } => rlimit::set(*resource, *value),
        Step::NewSession => app::new_session(),
        Step::DropCapabilities => caps::drop_all(),
        Step::NoNewPrivs => caps::no_new_privs(),
        Step::Seccomp(filters) => seccomp::load(filters),
    }
}

fn run_steps(steps: &[Step]) -> Result<()> {
    for step in steps {
        crate::debug!("step: {step}");
        execute(step)?;
    }
    Ok(())
}

/// What the monitor reports about a finished run (used for messages and stats).
pub struct Context<'a> {
    pub policy: &'a Policy,
    /// The program's name for messages (argv[0]'s file name).
    pub program: &'a str,
}

/// Print the contract's one error line and exit 125.
pub fn fail(e: &SetupError) -> ! {
    crate::log::emit(crate::log::Level::Error, &e.line());
    crate::sys::exit_now(125)
}
