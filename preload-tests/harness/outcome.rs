//! The result of one run: how the outer process ended, its output, and the
//! `key=value` facts the fixture printed, with assertions whose messages show all
//! of it.

use std::fmt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

use super::case::CaseDir;
use super::world::User;

/// How the outer process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Code(i32),
    Signal(i32),
    TimedOut(Duration),
}

impl From<ExitStatus> for Status {
    fn from(status: ExitStatus) -> Status {
        match (status.code(), status.signal()) {
            (Some(code), _) => Status::Code(code),
            (None, Some(signal)) => Status::Signal(signal),
            _ => panic!("unexpected wait status {status:?}"),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Code(code) => write!(f, "exited with code {code}"),
            Status::Signal(signal) => {
                write!(f, "killed by signal {signal} ({})", signal_name(*signal))
            }
            Status::TimedOut(limit) => {
                write!(f, "still running after {limit:?}: killed by the test")
            }
        }
    }
}

/// "SIGSEGV" for 11.
pub fn signal_name(signal: i32) -> String {
    nix::sys::signal::Signal::try_from(signal)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {signal}"))
}

pub struct Outcome {
    pub case: String,
    pub user: User,
    pub command: String,
    pub policy: Option<String>,
    pub status: Status,
    pub elapsed: Duration,
    pub stdout: String,
    pub stderr: String,
    /// The fixture's facts, in order, values unescaped.
    pub facts: Vec<(String, String)>,
    dir: Option<CaseDir>,
}

impl Outcome {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        case: String,
        user: User,
        command: String,
        policy: Option<String>,
        status: Status,
        elapsed: Duration,
        stdout: String,
        stderr: String,
        dir: Option<CaseDir>,
    ) -> Outcome {
        let facts = stdout
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_string(), unescape(v)))
            .collect();
        Outcome {
            case,
            user,
            command,
            policy,
            status,
            elapsed,
            stdout,
            stderr,
            facts,
            dir,
        }
    }

    /// The case's directory on the host (what `{dir}` expanded to).
    pub fn dir(&self) -> &Path {
        &self.dir.as_ref().expect("case directory").path
    }

    /// The first value of fact `key`; fails the test if there is none.
    pub fn fact(&self, key: &str) -> &str {
        self.opt_fact(key)
            .unwrap_or_else(|| panic!("the fixture printed no `{key}=` fact\n{self}"))
    }

    pub fn opt_fact(&self, key: &str) -> Option<&str> {
        self.facts
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of fact `key`, in order.
    pub fn facts(&self, key: &str) -> Vec<&str> {
        self.facts
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Fail the test with `what` and everything about this run unless `ok`.
    #[track_caller]
    pub fn check(&self, ok: bool, what: impl fmt::Display) -> &Outcome {
        if !ok {
            panic!("{what}\n{self}");
        }
        self
    }

    #[track_caller]
    pub fn expect_status(&self, expected: Status) -> &Outcome {
        self.check(
            self.status == expected,
            format_args!("expected the outer process to be {expected}"),
        )
    }

    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Outcome {
        self.expect_status(Status::Code(code))
    }

    #[track_caller]
    pub fn expect_success(&self) -> &Outcome {
        self.expect_code(0)
    }

    #[track_caller]
    pub fn expect_fact(&self, key: &str, expected: &str) -> &Outcome {
        let actual = self.fact(key);
        self.check(
            actual == expected,
            format_args!("fact `{key}`: expected `{expected}`, got `{actual}`"),
        )
    }

    /// The contract's failure: exit 125 and exactly one stderr line, starting with
    /// `sandbox: error: `. Returns that line.
    #[track_caller]
    pub fn expect_policy_error(&self) -> &str {
        self.expect_code(125);
        let lines: Vec<&str> = self.stderr.lines().collect();
        self.check(
            lines.len() == 1,
            format_args!("expected exactly one stderr line, got {}", lines.len()),
        );
        self.check(
            lines[0].starts_with("sandbox: error: "),
            "expected the stderr line to start with `sandbox: error: `",
        );
        lines[0]
    }

    /// The mounts the fixture saw: (mount point, fs type, mount options, super options).
    pub fn mounts(&self) -> Vec<Mount> {
        self.facts("mount")
            .into_iter()
            .filter_map(|m| {
                let mut parts = m.splitn(4, ' ');
                Some(Mount {
                    target: unescape_octal(parts.next()?),
                    fstype: parts.next()?.to_string(),
                    options: parts.next()?.split(',').map(String::from).collect(),
                    super_options: parts
                        .next()
                        .unwrap_or("")
                        .split(',')
                        .map(String::from)
                        .collect(),
                })
            })
            .collect()
    }

    /// The last mount on `target` (the one visible), if any.
    pub fn mount_at(&self, target: &str) -> Option<Mount> {
        self.mounts().into_iter().rfind(|m| m.target == target)
    }
}

#[derive(Clone, Debug)]
pub struct Mount {
    pub target: String,
    pub fstype: String,
    pub options: Vec<String>,
    pub super_options: Vec<String>,
}

impl Mount {
    pub fn has(&self, option: &str) -> bool {
        self.options.iter().any(|o| o == option)
    }
}

/// Undo the fixtures' escaping (see c-fixtures/fixture.h).
fn unescape(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            match bytes[i + 1] {
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'\\' => out.push(b'\\'),
                b'x' if hex_byte(bytes.get(i + 2..i + 4)).is_some() => {
                    out.push(hex_byte(bytes.get(i + 2..i + 4)).unwrap());
                    i += 4;
                    continue;
                }
                other => {
                    out.push(b'\\');
                    out.push(other);
                }
            }
            i += 2;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_byte(digits: Option<&[u8]>) -> Option<u8> {
    u8::from_str_radix(std::str::from_utf8(digits?).ok()?, 16).ok()
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape_octal(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(pos) = rest.find('\\') {
        out.push_str(&rest[..pos]);
        let code = rest
            .get(pos + 1..pos + 4)
            .and_then(|o| u8::from_str_radix(o, 8).ok());
        match code {
            Some(c) => {
                out.push(c as char);
                rest = &rest[pos + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[pos + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "---- case `{}` as {} ({}, uid {})",
            self.case, self.user.label, self.user.name, self.user.uid
        )?;
        writeln!(f, "outer process {} after {:?}", self.status, self.elapsed)?;
        writeln!(f, "command: {}", self.command)?;
        match &self.policy {
            Some(policy) if policy.is_empty() => writeln!(f, "policy: (empty file)")?,
            Some(policy) => writeln!(f, "policy:\n{}", policy.trim_end())?,
            None => writeln!(f, "policy: (none written)")?,
        }
        writeln!(f, "---- stdout:\n{}", self.stdout.trim_end())?;
        writeln!(f, "---- stderr:\n{}", self.stderr.trim_end())?;
        write!(f, "----")
    }
}
