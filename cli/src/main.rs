//! `sandbox`: the command-line way into libsandbox (see help.rs and man/sandbox.1).
//!
//! - `run`     run a program sandboxed, fail closed (run.rs; program.rs checks the
//!             program, gate.rs holds it until the library answers the handshake)
//! - `check`   validate a policy and print it resolved with its plan (check.rs)
//! - `wrap`, `unwrap`, `profiles`: profile.d wrappers for legacy tools (wrap.rs)
//!
//! Every error is one line `sandbox: error: <what failed>: <why> (<hint>)` and exit
//! status 125 (126/127 when the program cannot be executed / is not found), printed in
//! one place (`CliError::exit`). The only `unsafe` is in sys.rs.
#![deny(unsafe_code)]

mod args;
mod check;
mod choice;
mod elf;
mod error;
mod gate;
mod help;
mod locate;
mod program;
mod run;
mod sys;
mod wrap;

use error::CliError;
use std::ffi::OsString;

fn main() {
    // Rust ignores SIGPIPE; programs started from here, and this command writing to a
    // closed pipe, must see the default.
    libsandbox::sys::default_signals(&[libc::SIGPIPE]);
    // SANDBOX_LOG applies to every command (`run --log` overrides it).
    if let Some(level) = std::env::var(libsandbox::LOG_VAR).ok().as_deref().and_then(libsandbox::log::Level::parse) {
        libsandbox::log::set_level(level);
    }
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.is_empty() {
        CliError::usage("no command: run, check, wrap, unwrap or profiles", "").exit();
    }
    let command = args.remove(0);
    let result = match command.to_str().unwrap_or("") {
        "run" => run::main(args).map(|never| match never {}),
        "check" => check::main(args),
        "wrap" => wrap::main(args),
        "unwrap" => wrap::unwrap_main(args),
        "profiles" => wrap::profiles_main(args),
        "help" => help::print(args.first().and_then(|a| a.to_str()).unwrap_or("")),
        "-h" | "--help" => help::print(""),
        "-V" | "--version" => help::version(),
        other => Err(CliError::usage(format!("unknown command {other:?}"), "")),
    };
    if let Err(e) = result {
        e.exit();
    }
}
