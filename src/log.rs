//! `SANDBOX_LOG=error|warn|info|debug`: diagnostics on stderr, each line prefixed `sandbox:`.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error = 0,
    Warn = 1,
    Info = 2,
    Debug = 3,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Warn as u8);

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "error" => Level::Error,
            "warn" | "warning" => Level::Warn,
            "info" => Level::Info,
            "debug" | "trace" => Level::Debug,
            _ => return None,
        })
    }
    fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

pub fn set_level(l: Level) {
    LEVEL.store(l as u8, Ordering::Relaxed);
}

pub fn enabled(l: Level) -> bool {
    l as u8 <= LEVEL.load(Ordering::Relaxed)
}

/// Write one diagnostic line (or several, each prefixed) in a single write(2), so lines of
/// the monitor, the init and the app do not interleave.
pub fn emit(l: Level, msg: &str) {
    if !enabled(l) {
        return;
    }
    let mut buf = String::with_capacity(msg.len() + 32);
    for line in msg.lines() {
        buf.push_str("sandbox: ");
        buf.push_str(l.name());
        buf.push_str(": ");
        buf.push_str(line);
        buf.push('\n');
    }
    let _ = std::io::stderr().lock().write_all(buf.as_bytes());
}

/// A line without a level word, for the contract's fixed messages
/// (`sandbox: seccomp killed ...`, `sandbox: out of memory: ...`). Always printed.
pub fn notice(msg: &str) {
    let _ = std::io::stderr().lock().write_all(format!("sandbox: {msg}\n").as_bytes());
}

#[macro_export]
macro_rules! debug {
    ($($t:tt)*) => { if $crate::log::enabled($crate::log::Level::Debug) { $crate::log::emit($crate::log::Level::Debug, &format!($($t)*)) } };
}
#[macro_export]
macro_rules! info {
    ($($t:tt)*) => { if $crate::log::enabled($crate::log::Level::Info) { $crate::log::emit($crate::log::Level::Info, &format!($($t)*)) } };
}
#[macro_export]
macro_rules! warn {
    ($($t:tt)*) => { if $crate::log::enabled($crate::log::Level::Warn) { $crate::log::emit($crate::log::Level::Warn, &format!($($t)*)) } };
}
