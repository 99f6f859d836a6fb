//! The command's errors: one line `sandbox: error: <what failed>: <why> (<hint>)` on
//! stderr, like the library's, and an exit status (125 unless said otherwise).

use libsandbox::error::SetupError;
use std::fmt;

/// Exit status of a set-up or usage error (the program did not run).
pub const SETUP_FAILED: i32 = 125;
/// The program was found but cannot be executed (as env(1), nice(1), timeout(1)).
pub const CANNOT_EXECUTE: i32 = 126;
/// The program was not found (as env(1)).
pub const NOT_FOUND: i32 = 127;

#[derive(Debug)]
pub struct CliError {
    pub what: String,
    pub why: String,
    pub hint: String,
    pub status: i32,
}

pub type Result<T, E = CliError> = std::result::Result<T, E>;

impl CliError {
    pub fn new(what: impl Into<String>, why: impl Into<String>, hint: impl Into<String>) -> CliError {
        CliError { what: what.into(), why: why.into(), hint: hint.into(), status: SETUP_FAILED }
    }

    /// A usage error: what was wrong on the command line, and the help to read.
    pub fn usage(why: impl Into<String>, command: &str) -> CliError {
        let help = if command.is_empty() { "sandbox --help".to_string() } else { format!("sandbox {command} --help") };
        CliError::new("usage", why, format!("see `{help}`"))
    }

    pub fn status(mut self, status: i32) -> CliError {
        self.status = status;
        self
    }

    /// Print the one line and exit with the status.
    pub fn exit(&self) -> ! {
        libsandbox::log::emit(libsandbox::log::Level::Error, &self.to_string());
        std::process::exit(self.status)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}: {} ({})", self.what, self.why, self.hint)
    }
}

impl From<SetupError> for CliError {
    fn from(e: SetupError) -> CliError {
        let hint = e.hint.clone().unwrap_or_else(|| libsandbox::error::hint_for(e.facility, &e.cause));
        CliError::new(e.what, e.cause.to_string(), hint)
    }
}

/// An I/O error on `path` while doing `what`.
pub fn io(what: impl Into<String>, e: &std::io::Error, hint: impl Into<String>) -> CliError {
    CliError::new(what, e.to_string(), hint)
}
