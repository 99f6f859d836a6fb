//! libsandbox: runs a program's `main` inside namespaces, a new root filesystem, a cgroup
//! and a seccomp filter described by a TOML policy.
//!
//! Architecture (one module per kernel facility, named after its man page):
//! - `policy`      the TOML contract, parsed and resolved (no kernel types)
//! - `host`        host facts, probed once
//! - `plan`        policy + host facts -> the ordered steps of each process (pure)
//! - `process`     monitor (P0) / init (P1) / app (P2), and the loop that runs steps
//! - `userns`, `namespaces`, `rootfs`, `net`, `uts`, `rlimit`, `caps`, `fds`, `env`,
//!   `seccomp`: one facility each
//! - `cgroup`      the sandbox's cgroup (v2, v1 fallback): limits, usage, `stats_file`, removal
//! - `sys`         the only module with `unsafe`
//! - `handshake`, `api`: the library's side of `sandbox run` and of the C API (`sandbox.h`)
//! - `error`, `log` errors (typed until printed) and `SANDBOX_LOG` diagnostics
//!
//! The `__libc_start_main` hook is not here: it lives in the `preload/` crate, the only
//! one built into libsandbox.so.
#![deny(unsafe_code)]

pub mod api;
pub mod error;
#[macro_use]
pub mod log;
pub mod caps;
pub mod cgroup;
pub mod env;
pub mod fds;
pub mod handshake;
pub mod host;
pub mod namespaces;
pub mod net;
pub mod plan;
pub mod policy;
pub mod process;
pub mod rlimit;
pub mod rootfs;
pub mod seccomp;
pub mod sys;
pub mod userns;
pub mod uts;

use error::{Facility, SetupError};
use policy::{Caller, Policy};

/// Environment variable naming the policy file.
pub const POLICY_VAR: &str = "SANDBOX_POLICY";
pub const LOG_VAR: &str = "SANDBOX_LOG";

/// Load the policy named by `SANDBOX_POLICY` (the built-in one when unset).
pub fn load_policy(policy_path: Option<&str>, caller: &Caller) -> Result<Policy, SetupError> {
    let policy = match policy_path {
        None => Policy::builtin(caller),
        Some("") => {
            return Err(SetupError::reason(Facility::Policy, "SANDBOX_POLICY", "is set but empty")
                .hint("unset it to use the built-in default policy, or name a policy file"))
        }
        Some(path) => Policy::from_file(path, caller).map_err(|e| {
            let what = match e.line {
                Some(l) => format!("{} line {l}", e.source),
                None => e.source.to_string(),
            };
            SetupError::reason(Facility::Policy, what, e.message)
        })?,
    };
    Ok(policy)
}

/// `SANDBOX_LOG` from the environment array, when set to a known level.
pub fn set_log_level_from(envp: *mut *mut libc::c_char) {
    if let Some(level) = env::lookup(envp, LOG_VAR).as_deref().and_then(log::Level::parse) {
        log::set_level(level);
    }
}

/// The calling process's real ids: the defaults of `[identity]`.
pub fn caller() -> Caller {
    Caller { uid: nix::unistd::getuid().as_raw(), gid: nix::unistd::getgid().as_raw() }
}

/// The program's name for messages: argv[0]'s file name.
pub fn program_name(argv0: Option<&str>) -> &str {
    argv0.map(|a| a.rsplit('/').next().unwrap_or(a)).unwrap_or("the program")
}

/// The preload entry, called by the hook in place of `main`: sets up the sandbox and
/// returns (in the app process only) the environment to pass to the real `main`. Any
/// failure prints one `sandbox: error:` line and exits 125.
pub fn enter_from_preload(argv0: Option<&str>, envp: *mut *mut libc::c_char, own_lib: &str) -> *mut *mut libc::c_char {
    set_log_level_from(envp);
    let policy = load_policy(env::lookup(envp, POLICY_VAR).as_deref(), &caller()).unwrap_or_else(|e| process::fail(&e));
    let program = program_name(argv0);
    // Decided now, installed in the app right before main: after the seccomp filter (the
    // last step) nothing may allocate or free, which a strict policy need not allow.
    let main_env = env::Prepared::new(envp, &policy.process, own_lib);
    match run(&policy, program) {
        Ok(()) => {
            std::mem::forget(policy);
            main_env.install()
        }
        Err(e) => process::fail(&e),
    }
}

/// Probe, plan and launch. Returns only in the app process.
pub fn run(policy: &Policy, program: &str) -> Result<(), SetupError> {
    let (host, plan) = plan_for(policy)?;
    launch(policy, program, host, plan)
}

/// Probe the host and plan every step: nothing irreversible yet.
pub fn plan_for(policy: &Policy) -> Result<(host::HostFacts, plan::Plan), SetupError> {
    let host = host::HostFacts::probe(policy)?;
    let plan = plan::build(policy, &host)?;
    Ok((host, plan))
}

/// Carry out a plan made by [`plan_for`]. Returns only in the app process.
pub fn launch(policy: &Policy, program: &str, host: host::HostFacts, plan: plan::Plan) -> Result<(), SetupError> {
    debug!("{} ({})\n{plan}", policy.source, program);
    process::launch(&process::Context { policy, program }, &plan)?;
    // Only the app gets here, its seccomp filter on: leak instead of freeing (free may hand
    // memory back with brk or munmap, which the policy need not allow).
    std::mem::forget((host, plan));
    Ok(())
}
