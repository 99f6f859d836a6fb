//! `sandbox check (FILE | --profile NAME)`: validate a policy and print it resolved —
//! every effective value, defaults included — and the plan, without running anything.
//! Planning needs host facts (which bind sources exist, the caller's ids and cwd): they
//! are probed as `run` would, so the plan is the one `run` would execute here and now.

use crate::args::{Arg, Parser};
use crate::choice::PolicyChoice;
use crate::error::{CliError, Result};
use crate::help;
use libsandbox::policy::{Mount, NetworkMode, Policy};
use std::ffi::OsString;
use std::fmt::Write;

pub fn main(args: Vec<OsString>) -> Result<()> {
    let mut p = Parser::new(args, "check");
    let (mut file, mut profile) = (None, None);
    while let Some(arg) = p.next() {
        match arg {
            Arg::Option(name, value) => match name.as_str() {
                "--profile" => profile = Some(p.text(&name, value)?),
                "--policy" => file = Some(p.value(&name, value)?),
                "-h" | "--help" => help::print("check"),
                _ => return Err(p.unknown(&name)),
            },
            Arg::Operand(f) if file.is_none() => file = Some(f),
            Arg::Operand(_) => return Err(CliError::usage("check takes one policy", "check")),
        }
    }
    let choice = PolicyChoice::from_options(file, profile, false, "check")?;
    let policy = choice.load(&libsandbox::caller())?;
    let host = libsandbox::host::HostFacts::probe(&policy)?;
    let plan = libsandbox::plan::build(&policy, &host)?;
    let mut out = String::new();
    if let PolicyChoice::Profile { name, .. } = &choice {
        let _ = writeln!(out, "profile {name}");
    }
    out += &resolved(&policy);
    let _ = writeln!(
        out,
        "\n{plan}\n\nfor uid {} gid {} in {}",
        host.uid,
        host.gid,
        host.cwd.as_ref().map(|c| c.display().to_string()).unwrap_or_else(|| "(no cwd)".into())
    );
    let _ = writeln!(out, "ok: {} is valid", policy.source);
    print!("{out}");
    Ok(())
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The policy with every default filled in, one section per line group.
pub fn resolved(p: &Policy) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}, resolved:", p.source);
    let ns = &p.namespaces;
    let on: Vec<&str> = [
        (ns.user, "user"),
        (ns.mount, "mount"),
        (ns.pid, "pid"),
        (ns.net, "net"),
        (ns.ipc, "ipc"),
        (ns.uts, "uts"),
        (ns.cgroup, "cgroup"),
        (ns.time, "time"),
    ]
    .iter()
    .filter(|(b, _)| *b)
    .map(|(_, n)| *n)
    .collect();
    let _ = writeln!(o, "  namespaces: {}", if on.is_empty() { "none".to_string() } else { on.join(" ") });
    let id = &p.identity;
    let _ = writeln!(
        o,
        "  identity: uid {}, gid {}, hostname {}",
        id.uid,
        id.gid,
        id.hostname.as_deref().map(|h| format!("{h:?}")).unwrap_or_else(|| "(the host's)".into())
    );
    let fs = &p.filesystem;
    let _ = writeln!(
        o,
        "  filesystem: proc {}, dev {}, cwd {}, read-only root {}, bind_cwd {}",
        yes(fs.proc),
        yes(fs.dev),
        fs.cwd.as_ref().map(|c| c.to_string()).unwrap_or_else(|| "(the caller's if visible, else /)".into()),
        yes(fs.readonly_root),
        match fs.bind_cwd {
            None => "no",
            Some(libsandbox::policy::BindCwd::ReadOnly) => "read-only",
            Some(libsandbox::policy::BindCwd::Writable) => "writable",
        }
    );
    if p.mounts.is_empty() {
        let _ = writeln!(o, "  mounts: none (an empty root)");
    }
    for m in &p.mounts {
        let line = match m {
            Mount::Bind { source, target, writable, optional, keep_symlink } => format!(
                "bind {source} -> {target} ({}{}{})",
                if *writable { "writable" } else { "read-only" },
                if *optional { ", optional" } else { "" },
                if *keep_symlink { ", symlink kept" } else { "" }
            ),
            Mount::Tmpfs { target, size, mode } => format!(
                "tmpfs {target} (mode {mode:04o}{})",
                size.map(|s| format!(", size {s}")).unwrap_or_default()
            ),
            Mount::Dir { target, mode } => format!("dir {target} (mode {mode:04o})"),
            Mount::Symlink { text, target } => format!("symlink {target} -> {text}"),
        };
        let _ = writeln!(o, "  mount: {line}");
    }
    let _ = writeln!(
        o,
        "  network: {}",
        match p.network {
            NetworkMode::None => "none (a new network namespace, loopback up)",
            NetworkMode::Host => "host (the host's network)",
        }
    );
    let pr = &p.process;
    let _ = writeln!(
        o,
        "  process: new_session {}, die_with_parent {}, time_limit {}, clear_env {}, keep_env {:?}, set_env {:?}, keep_fds {:?}",
        yes(pr.new_session),
        yes(pr.die_with_parent),
        pr.time_limit.map(|d| d.to_string()).unwrap_or_else(|| "none".into()),
        yes(pr.clear_env),
        pr.keep_env,
        pr.set_env,
        pr.keep_fds
    );
    let r = &p.rlimits;
    let limits: Vec<String> = [("nofile", r.nofile), ("nproc", r.nproc), ("fsize", r.fsize), ("core", r.core), ("cpu", r.cpu), ("as", r.r#as)]
        .iter()
        .filter_map(|(n, v)| v.map(|v| format!("{n} {v}")))
        .collect();
    let _ = writeln!(o, "  rlimits: {}", if limits.is_empty() { "none".to_string() } else { limits.join(", ") });
    match &p.cgroup {
        None => {
            let _ = writeln!(o, "  cgroup: none");
        }
        Some(c) => {
            let mut parts = vec![format!("version {:?}", c.version).to_lowercase()];
            let mut add = |name: &str, v: Option<String>| {
                if let Some(v) = v {
                    parts.push(format!("{name} {v}"));
                }
            };
            add("parent", c.parent.as_ref().map(|p| p.value.to_string()));
            add("memory_max", c.memory_max.map(|v| v.to_string()));
            add("memory_swap_max", c.memory_swap_max.map(|v| v.to_string()));
            add("pids_max", c.pids_max.map(|v| v.to_string()));
            add("cpus", c.cpus.as_ref().map(|v| v.value.to_string()));
            add("cpuset_cpus", c.cpuset_cpus.as_ref().map(|v| v.value.clone()));
            add("stats_file", c.stats_file.as_ref().map(|v| v.to_string()));
            let _ = writeln!(o, "  cgroup: {}", parts.join(", "));
        }
    }
    match &p.seccomp {
        None => {
            let _ = writeln!(o, "  seccomp: none beyond the always-on rules");
        }
        Some(s) => {
            let names = |l: &[libsandbox::policy::Located<String>]| l.iter().map(|x| x.value.as_str()).collect::<Vec<_>>().join(" ");
            let _ = writeln!(o, "  seccomp: default_action {}", s.default_action);
            if !s.allow.is_empty() {
                let _ = writeln!(o, "    allow: {}", names(&s.allow));
            }
            if !s.deny.is_empty() {
                let _ = writeln!(o, "    deny, {}: {}", s.deny_action, names(&s.deny));
            }
            for rule in &s.rules {
                let _ = writeln!(o, "    rule: {} {} if {:?}", rule.syscall.value, rule.action, rule.args);
            }
        }
    }
    o
}
