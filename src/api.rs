//! The engine side of the C API (`include/sandbox.h`; the symbols are exported by
//! libsandbox.so from `preload/`): `sandbox_enter(policy_path)`, for programs that sandbox
//! themselves (`setup_sandbox(); run_application_code();`).
//!
//! Same policy, same three processes, same fail-closed rules as the preload. Where the
//! call returns:
//! - errors found while validating (reading the policy, probing the host, planning)
//!   change nothing: they are returned, and the process is as it was, NOT sandboxed; the
//!   caller decides (the example in sandbox.h exits 125);
//! - from the first irreversible step on, the call returns only in the app process (P2),
//!   sandboxed. The calling process becomes the monitor: it never returns from the call,
//!   and exits with the app's status or dies from its signal. A failure during the set-up
//!   prints the one `sandbox: error:` line and the monitor exits 125, so the caller's code
//!   never goes on unsandboxed.
//! - once per process: a second call, or a call in a process the preload already
//!   sandboxed before `main`, is an error (a sandbox inside the sandbox is not supported).

use crate::error::{Facility, SetupError};
use crate::{env, process, sys};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once this process is sandboxed (by the preload or by `enter`).
static ENTERED: AtomicBool = AtomicBool::new(false);

/// The preload sandboxed this process before `main`: `enter` refuses from now on.
pub fn mark_entered() {
    ENTERED.store(true, Ordering::SeqCst);
}

/// `sandbox_enter`: `policy_path` None means the built-in default policy. `own_lib` is the
/// library's file name (removed from `LD_PRELOAD` in the app's environment).
pub fn enter(policy_path: Option<&str>, own_lib: &str) -> Result<(), SetupError> {
    if ENTERED.load(Ordering::SeqCst) {
        return Err(SetupError::reason(Facility::Process, "sandbox_enter", "this process is already sandboxed")
            .hint("call sandbox_enter once, and not in a program run with LD_PRELOAD=libsandbox.so or `sandbox run`"));
    }
    let envp = sys::environ();
    crate::set_log_level_from(envp);
    let policy = crate::load_policy(policy_path, &crate::caller())?;
    // Everything that can fail without changing the process is tried first: these errors
    // go back to the caller.
    let (host, plan) = crate::plan_for(&policy)?;

    let argv0 = std::env::args_os().next().map(|a| a.to_string_lossy().into_owned());
    let program = crate::program_name(argv0.as_deref());
    // Decided now, installed in the app: after the seccomp filter (the last step) nothing
    // may allocate or free, which a strict policy need not allow (see lib.rs).
    let app_env = env::Prepared::new(envp, &policy.process, own_lib);
    ENTERED.store(true, Ordering::SeqCst);
    if let Err(e) = crate::launch(&policy, program, host, plan) {
        process::fail(&e);
    }
    // The app process, filter on: install without allocating, and leak instead of freeing.
    app_env.install();
    std::mem::forget((policy, argv0));
    Ok(())
}
