//! The setup as a typed, ordered plan: a pure function from policy + host facts to the
//! steps each process runs. `SANDBOX_LOG=debug` (and `sandbox check`) print it.
//!
//! Processes (see design.md):
//!   monitor (P0) - the original process: `before_clone`, then clone, then id maps, then waits;
//!   init    (P1) - PID 1 of the new pid namespace: `init` steps, then forks the app;
//!   app     (P2) - `app` steps, then returns into the program's real `main`.

use crate::error::{Facility, Result, SetupError};
use crate::host::{HostFacts, PathFact};
use crate::policy::{AbsPath, Mount, Policy, Size};
use std::fmt;
use std::path::PathBuf;

/// An rlimit resource, named after setrlimit(2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Nofile,
    Nproc,
    Fsize,
    Core,
    Cpu,
    As,
}

/// Kind of a bind source, decided at plan time (the target is made to match).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Dir,
    File,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    // ---- monitor, before clone
    /// Close inherited descriptors >= 3 except these.
    CloseInheritedFds { keep: Vec<i32> },

    // ---- init (P1), in the new namespaces
    /// Enter a new cgroup namespace now that the monitor has put us into our cgroup.
    UnshareCgroup,
    /// `/` and everything below: MS_PRIVATE, recursively.
    MakeRootPrivate,
    /// tmpfs on `dir`, pivot into it: the host root is then at /oldroot.
    EnterSetupRoot { dir: PathBuf },
    /// Empty tmpfs at /newroot: the sandbox's future `/`.
    NewRoot,
    /// The host's /dev/null ... bound into a tmpfs /dev; devpts, shm, standard symlinks.
    MountDev { nodes: Vec<&'static str> },
    /// A fresh proc of the new pid namespace at /proc.
    MountProc,
    /// /proc/sys, /proc/sysrq-trigger ... bound read-only onto themselves.
    ProtectProc { paths: Vec<&'static str> },
    Bind { source: PathBuf, target: AbsPath, kind: NodeKind, writable: bool },
    Tmpfs { target: AbsPath, size: Option<Size>, mode: u32 },
    Dir { target: AbsPath, mode: u32 },
    Symlink { text: String, target: AbsPath },
    /// pivot_root into /newroot, then one lazy unmount of the setup tmpfs, which takes the
    /// host root below it along (nothing of it stays reachable); optionally make `/` read-only.
    EnterNewRoot { readonly: bool },
    SetHostname { name: String },
    /// Enter the network namespace the helper made (`lo` up), see `net`.
    JoinNetwork,
    /// unshare(CLONE_NEWTIME): applies to the init's children, i.e. the app.
    UnshareTime,

    // ---- app (P2)
    /// SIGKILL when the init dies (without a pid namespace the kernel would not do it).
    DieWithInit,
    Chdir { path: AbsPath, fallback_to_root: bool },
    SetRlimit { resource: Resource, value: u64 },
    NewSession,
    DropCapabilities,
    NoNewPrivs,
    /// Install the seccomp filters (built here, in the monitor): always the last step.
    Seccomp(crate::seccomp::Filters),
}

/// What the monitor needs for the clone and the wait.
#[derive(Debug, Clone, PartialEq)]
pub struct CloneSpec {
    /// CLONE_NEW* flags for clone(2) (time and cgroup are unshared by the init instead;
    /// net is made by the helper).
    pub flags: libc::c_int,
    /// Fork the network helper after the clone: it makes the new network namespace while
    /// the init builds the root filesystem (see `net`).
    pub net_helper: bool,
    /// uid/gid maps written by the monitor: (inside, outside).
    pub uid_map: Option<(u32, u32)>,
    pub gid_map: Option<(u32, u32)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub before_clone: Vec<Step>,
    /// The sandbox's cgroup, made by the monitor before the clone (see `cgroup`).
    pub cgroup: Option<crate::cgroup::Setup>,
    pub clone: CloneSpec,
    pub init: Vec<Step>,
    pub app: Vec<Step>,
}

/// Build the plan. Everything that can be checked is checked here, before the first
/// namespace exists.
pub fn build(policy: &Policy, host: &HostFacts) -> Result<Plan> {
    if host.secure || host.uid != host.euid || host.gid != host.egid {
        return Err(SetupError::reason(
            Facility::Host,
            "refusing to sandbox a setuid/setgid program",
            format!("real and effective ids differ (uid {} / euid {}, gid {} / egid {})", host.uid, host.euid, host.gid, host.egid),
        )
        .hint("run the program without the setuid/setgid bit or file capabilities"));
    }
    if host.threads > 1 {
        return Err(SetupError::reason(
            Facility::Host,
            "refusing to sandbox a multi-threaded process",
            format!("the process already has {} threads before main (a preloaded library or constructor started them)", host.threads),
        )
        .hint("namespaces cannot be entered by a multi-threaded process; remove the library that starts threads from LD_PRELOAD"));
    }
    let ns = &policy.namespaces;

    let mut before_clone = Vec::new();
    before_clone.push(Step::CloseInheritedFds { keep: policy.process.keep_fds.clone() });
    let cgroup = crate::cgroup::plan(policy, host.cgroup.as_ref())?;

    let mut flags = 0;
    for (on, flag) in [
        (ns.user, libc::CLONE_NEWUSER),
        (ns.mount, libc::CLONE_NEWNS),
        (ns.pid, libc::CLONE_NEWPID),
        (ns.ipc, libc::CLONE_NEWIPC),
        (ns.uts, libc::CLONE_NEWUTS),
    ] {
        if on {
            flags |= flag;
        }
    }
    let clone = CloneSpec {
        flags,
        net_helper: ns.net,
        uid_map: ns.user.then_some((policy.identity.uid, host.euid)),
        gid_map: ns.user.then_some((policy.identity.gid, host.egid)),
    };

    let mut init = Vec::new();
    // The cgroup namespace is unshared after the monitor moved the init into the sandbox's
    // cgroup, so that the namespace is rooted there.
    if ns.cgroup {
        init.push(Step::UnshareCgroup);
    }
    if ns.mount {
        init.extend(rootfs_steps(policy, host)?);
    }
    if let Some(name) = &policy.identity.hostname {
        init.push(Step::SetHostname { name: name.clone() });
    }
    // Last of the init's own steps: the helper has had the longest time to make it.
    if ns.net {
        init.push(Step::JoinNetwork);
    }
    if ns.time {
        init.push(Step::UnshareTime);
    }

    let mut app = Vec::new();
    if !ns.pid {
        app.push(Step::DieWithInit);
    }
    match (&policy.filesystem.cwd, &host.cwd) {
        (Some(cwd), _) => app.push(Step::Chdir { path: cwd.clone(), fallback_to_root: false }),
        (None, Some(cwd)) if ns.mount => {
            if let Ok(p) = AbsPath::parse(&cwd.to_string_lossy()) {
                app.push(Step::Chdir { path: p, fallback_to_root: true });
            } else {
                app.push(Step::Chdir { path: AbsPath::from("/"), fallback_to_root: false });
            }
        }
        _ => {}
    }
    let r = &policy.rlimits;
    for (resource, value) in [
        (Resource::Nofile, r.nofile),
        (Resource::Nproc, r.nproc),
        (Resource::Fsize, r.fsize),
        (Resource::Core, r.core),
        (Resource::Cpu, r.cpu),
        (Resource::As, r.r#as),
    ] {
        if let Some(value) = value {
            app.push(Step::SetRlimit { resource, value });
        }
    }
    if policy.process.new_session {
        app.push(Step::NewSession);
    }
    // Capabilities go before no_new_privs and both before seccomp, which comes last: the
    // filter need not allow the calls that set up the rest.
    app.push(Step::DropCapabilities);
    app.push(Step::NoNewPrivs);
    // Last: after it only the return into main runs. Always present: the always-on rules
    // (ioctl TIOCSTI/TIOCLINUX, other ABIs) hold without a [seccomp] section too.
    app.push(Step::Seccomp(crate::seccomp::compile(policy)?));

    Ok(Plan { before_clone, cgroup, clone, init, app })
}

fn rootfs_steps(policy: &Policy, host: &HostFacts) -> Result<Vec<Step>> {
    let mut s = vec![
        // Private first: nothing we mount may propagate to the host, nor the host's to us.
        Step::MakeRootPrivate,
        // Pivot into a scratch tmpfs so the host root sits at /oldroot: bind sources are
        // read from there and never shadowed by what we mount into the new root.
        Step::EnterSetupRoot { dir: host.setup_dir.clone() },
        Step::NewRoot,
    ];
    // /dev and /proc before the policy's mounts, so a policy can bind more on top of them
    // (e.g. /dev/kvm). /proc needs the host's proc still visible (the kernel refuses a new
    // proc in a user namespace otherwise): it must come before EnterNewRoot.
    if policy.filesystem.dev {
        s.push(Step::MountDev { nodes: host.dev_nodes.clone() });
    }
    if policy.filesystem.proc {
        s.push(Step::MountProc);
        if !host.proc_protect.is_empty() {
            s.push(Step::ProtectProc { paths: host.proc_protect.clone() });
        }
    }
    for m in &policy.mounts {
        match m {
            Mount::Bind { source, target, writable, optional, .. } => {
                let fact = host.paths.get(source).cloned().unwrap_or(PathFact::Missing);
                let missing = |errno: i32| -> Result<Option<Step>> {
                    if *optional {
                        Ok(None)
                    } else {
                        Err(SetupError::errno(
                            Facility::Rootfs,
                            format!("bind mount source {source} (target {target})"),
                            nix::errno::Errno::from_raw(errno),
                        ))
                    }
                };
                let bind = |real: &PathBuf, kind| Step::Bind { source: real.clone(), target: target.clone(), kind, writable: *writable };
                let step = match &fact {
                    PathFact::Missing => missing(libc::ENOENT)?,
                    PathFact::Unreadable { errno } => missing(*errno)?,
                    PathFact::Dir { real } => Some(bind(real, NodeKind::Dir)),
                    PathFact::File { real } => Some(bind(real, NodeKind::File)),
                    PathFact::Symlink { text, to } => match **to {
                        // keep_symlink: the link itself, as long as what it points to exists.
                        PathFact::Dir { .. } | PathFact::File { .. } => Some(Step::Symlink { text: text.clone(), target: target.clone() }),
                        PathFact::Unreadable { errno } => missing(errno)?,
                        _ => missing(libc::ENOENT)?,
                    },
                };
                s.extend(step);
            }
            Mount::Tmpfs { target, size, mode } => s.push(Step::Tmpfs { target: target.clone(), size: *size, mode: *mode }),
            Mount::Dir { target, mode } => s.push(Step::Dir { target: target.clone(), mode: *mode }),
            Mount::Symlink { text, target } => s.push(Step::Symlink { text: text.clone(), target: target.clone() }),
        }
    }
    // filesystem.bind_cwd: on top of the policy's mounts, so the working directory is
    // what the tool sees there (and the default cwd is then visible).
    if let Some(mode) = policy.filesystem.bind_cwd {
        s.push(cwd_bind(host, mode)?);
    }
    s.push(Step::EnterNewRoot { readonly: policy.filesystem.readonly_root });
    Ok(s)
}

/// The caller's working directory, bound at the same path. Never `/`: that would be the
/// whole host.
fn cwd_bind(host: &HostFacts, mode: crate::policy::BindCwd) -> Result<Step> {
    let what = "filesystem.bind_cwd";
    let cwd = host.cwd.as_ref().ok_or_else(|| {
        SetupError::reason(Facility::Rootfs, what, "the working directory cannot be read").hint("start the program from an existing directory")
    })?;
    let target = AbsPath::parse(&cwd.to_string_lossy())
        .map_err(|e| SetupError::reason(Facility::Rootfs, what, format!("the working directory {}: {e}", cwd.display())))?;
    if target.is_root() {
        return Err(SetupError::reason(Facility::Rootfs, what, "the working directory is /, and binding it would expose the whole host")
            .hint("start the program from the directory it should work in"));
    }
    Ok(Step::Bind { source: cwd.clone(), target, kind: NodeKind::Dir, writable: mode == crate::policy::BindCwd::Writable })
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Step::CloseInheritedFds { keep } => write!(f, "close inherited fds >= 3, keeping {keep:?}"),
            Step::UnshareCgroup => write!(f, "unshare the cgroup namespace (rooted at the sandbox's cgroup)"),
            Step::MakeRootPrivate => write!(f, "make / private (recursive)"),
            Step::EnterSetupRoot { dir } => write!(f, "tmpfs on {}, pivot into it (host root at /oldroot)", dir.display()),
            Step::NewRoot => write!(f, "tmpfs for the new root"),
            Step::MountDev { nodes } => write!(f, "minimal /dev: {} + pts, shm, ptmx, fd links", nodes.join(" ")),
            Step::MountProc => write!(f, "proc on /proc"),
            Step::ProtectProc { paths } => write!(f, "read-only /proc/{{{}}}", paths.join(",")),
            Step::Bind { source, target, writable, .. } => write!(
                f,
                "bind {} -> {} ({}, nosuid, nodev)",
                source.display(),
                target,
                if *writable { "rw" } else { "ro" }
            ),
            Step::Tmpfs { target, size, mode } => match size {
                Some(s) => write!(f, "tmpfs on {target} (size {s}, mode {mode:04o})"),
                None => write!(f, "tmpfs on {target} (mode {mode:04o})"),
            },
            Step::Dir { target, mode } => write!(f, "mkdir {target} (mode {mode:04o})"),
            Step::Symlink { text, target } => write!(f, "symlink {target} -> {text}"),
            Step::EnterNewRoot { readonly } => {
                write!(f, "pivot_root into the new root, detach the host root{}", if *readonly { ", then make it read-only" } else { "" })
            }
            Step::SetHostname { name } => write!(f, "hostname {name:?}"),
            Step::JoinNetwork => write!(f, "join the new network namespace (lo up)"),
            Step::UnshareTime => write!(f, "unshare the time namespace (for the app)"),
            Step::DieWithInit => write!(f, "die with the init process (PR_SET_PDEATHSIG)"),
            Step::Chdir { path, fallback_to_root } => {
                write!(f, "chdir {path}{}", if *fallback_to_root { " (or / if not visible)" } else { "" })
            }
            Step::SetRlimit { resource, value } => write!(f, "setrlimit {resource:?} = {value}"),
            Step::NewSession => write!(f, "setsid"),
            Step::DropCapabilities => write!(f, "drop all capabilities (bounding, ambient, inheritable, permitted, effective)"),
            Step::NoNewPrivs => write!(f, "set no_new_privs"),
            Step::Seccomp(filters) => write!(f, "{filters}"),
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        writeln!(f, "plan:")?;
        writeln!(f, "  monitor (P0):")?;
        for s in &self.before_clone {
            writeln!(f, "    {s}")?;
        }
        if let Some(c) = &self.cgroup {
            writeln!(f, "    {c}")?;
        }
        writeln!(f, "    clone with {}", clone_flag_names(self.clone.flags))?;
        if self.clone.net_helper {
            writeln!(f, "    fork the network helper: new network namespace in the sandbox's user namespace, lo up, passed to the init")?;
        }
        if let (Some(u), Some(g)) = (self.clone.uid_map, self.clone.gid_map) {
            writeln!(f, "    uid_map {} {} 1, setgroups deny, gid_map {} {} 1", u.0, u.1, g.0, g.1)?;
        }
        writeln!(f, "  init (P1, pid 1):")?;
        for s in &self.init {
            writeln!(f, "    {s}")?;
        }
        writeln!(f, "    fork the app, reap every child, forward signals")?;
        writeln!(f, "  app (P2):")?;
        for s in &self.app {
            writeln!(f, "    {s}")?;
        }
        write!(f, "    call the program's main")
    }
}

pub fn clone_flag_names(flags: libc::c_int) -> String {
    let names: Vec<&str> = [
        (libc::CLONE_NEWUSER, "NEWUSER"),
        (libc::CLONE_NEWNS, "NEWNS"),
        (libc::CLONE_NEWPID, "NEWPID"),
        (libc::CLONE_NEWNET, "NEWNET"),
        (libc::CLONE_NEWIPC, "NEWIPC"),
        (libc::CLONE_NEWUTS, "NEWUTS"),
    ]
    .iter()
    .filter(|(f, _)| flags & f != 0)
    .map(|(_, n)| *n)
    .collect();
    if names.is_empty() {
        "no new namespaces".into()
    } else {
        names.join("|")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Caller;
    use std::collections::BTreeMap;

    const CALLER: Caller = Caller { uid: 1000, gid: 1000 };

    /// A made-up merged-/usr host without /lib32, called by uid 1000 from /home/u.
    fn host(policy: &Policy) -> HostFacts {
        let mut paths = BTreeMap::new();
        for m in &policy.mounts {
            if let Mount::Bind { source, .. } = m {
                let s = source.to_string();
                let fact = match s.as_str() {
                    "/usr" | "/etc" => PathFact::Dir { real: PathBuf::from(&s) },
                    "/bin" | "/sbin" | "/lib" | "/lib64" => PathFact::Symlink {
                        text: format!("usr{s}"),
                        to: Box::new(PathFact::Dir { real: PathBuf::from(format!("/usr{s}")) }),
                    },
                    "/etc/hosts" => PathFact::File { real: PathBuf::from(&s) },
                    _ => PathFact::Missing,
                };
                paths.insert(source.clone(), fact);
            }
        }
        HostFacts {
            uid: 1000,
            gid: 1000,
            euid: 1000,
            egid: 1000,
            secure: false,
            threads: 1,
            cwd: Some(PathBuf::from("/home/u")),
            paths,
            setup_dir: PathBuf::from("/tmp"),
            proc_protect: vec!["sys", "sysrq-trigger"],
            dev_nodes: vec!["null", "zero"],
            cgroup: None,
        }
    }

    fn names(steps: &[Step]) -> Vec<String> {
        steps.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_plan_order_is_pinned() {
        let p = Policy::builtin(&CALLER);
        let plan = build(&p, &host(&p)).unwrap();
        assert_eq!(plan.before_clone, [Step::CloseInheritedFds { keep: vec![] }]);
        assert_eq!(
            plan.clone.flags,
            libc::CLONE_NEWUSER | libc::CLONE_NEWNS | libc::CLONE_NEWPID | libc::CLONE_NEWIPC | libc::CLONE_NEWUTS
        );
        assert!(plan.clone.net_helper);
        assert_eq!(plan.clone.uid_map, Some((1000, 1000)));
        assert_eq!(
            names(&plan.init),
            [
                "unshare the cgroup namespace (rooted at the sandbox's cgroup)",
                "make / private (recursive)",
                "tmpfs on /tmp, pivot into it (host root at /oldroot)",
                "tmpfs for the new root",
                "minimal /dev: null zero + pts, shm, ptmx, fd links",
                "proc on /proc",
                "read-only /proc/{sys,sysrq-trigger}",
                "bind /usr -> /usr (ro, nosuid, nodev)",
                "symlink /bin -> usr/bin",
                "symlink /sbin -> usr/sbin",
                "symlink /lib -> usr/lib",
                "symlink /lib64 -> usr/lib64",
                "bind /etc -> /etc (ro, nosuid, nodev)",
                "tmpfs on /tmp (mode 1777)",
                "pivot_root into the new root, detach the host root, then make it read-only",
                "hostname \"sandbox\"",
                "join the new network namespace (lo up)",
            ]
        );
        // /lib32 is missing on this host and optional: skipped. The app's steps end with
        // capabilities, then no_new_privs (seccomp, when present, comes after them).
        let app = names(&plan.app);
        assert_eq!(app[0], "chdir /home/u (or / if not visible)");
        let caps = app.iter().position(|s| s.starts_with("drop all capabilities")).unwrap();
        let nnp = app.iter().position(|s| s == "set no_new_privs").unwrap();
        assert!(caps < nnp);
    }

    fn policy(text: &str) -> Policy {
        Policy::from_toml(text, "/p.toml", &CALLER).unwrap()
    }

    #[test]
    fn missing_bind_source_fails_before_anything_runs() {
        let p = policy("[[mount]]\ntype = \"bind\"\nsource = \"/nope\"\n");
        let e = build(&p, &host(&p)).unwrap_err();
        assert_eq!(e.cause, crate::error::Cause::Errno(nix::errno::Errno::ENOENT));
        assert!(e.what.contains("/nope"), "{}", e.what);
        let p = policy("[[mount]]\ntype = \"bind\"\nsource = \"/nope\"\noptional = true\n");
        assert!(!build(&p, &host(&p)).unwrap().init.iter().any(|s| matches!(s, Step::Bind { .. })));
    }

    #[test]
    fn file_bind_and_rw() {
        let p = policy("[[mount]]\ntype = \"bind\"\nsource = \"/etc/hosts\"\ntarget = \"/h\"\nwritable = true\n");
        let plan = build(&p, &host(&p)).unwrap();
        assert!(plan.init.contains(&Step::Bind { source: "/etc/hosts".into(), target: "/h".into(), kind: NodeKind::File, writable: true }));
    }

    #[test]
    fn switched_off_namespaces_leave_their_steps_out() {
        let p = policy("[namespaces]\nuser = false\nmount = false\nnet = false\nuts = false\ncgroup = false\npid = false\ntime = true\n");
        let mut h = host(&p);
        h.uid = 0;
        h.euid = 0;
        let plan = build(&p, &h).unwrap();
        assert_eq!(plan.clone.flags, libc::CLONE_NEWIPC);
        assert_eq!(plan.clone.uid_map, None);
        assert_eq!(plan.init, [Step::UnshareTime]);
        assert_eq!(plan.app[0], Step::DieWithInit);
    }

    #[test]
    fn refuses_setuid_and_threads() {
        let p = policy("");
        let mut h = host(&p);
        h.euid = 0;
        assert!(build(&p, &h).unwrap_err().what.contains("setuid"));
        let mut h = host(&p);
        h.secure = true;
        assert!(build(&p, &h).is_err());
        let mut h = host(&p);
        h.threads = 3;
        assert!(build(&p, &h).unwrap_err().what.contains("multi-threaded"));
    }

    #[test]
    fn rlimits_and_session_in_app() {
        let p = policy("[rlimits]\nnofile = 64\ncore = 0\n[process]\nnew_session = true\n[filesystem]\ncwd = \"/\"\n");
        let plan = build(&p, &host(&p)).unwrap();
        assert_eq!(
            plan.app[..4],
            [
                Step::Chdir { path: "/".into(), fallback_to_root: false },
                Step::SetRlimit { resource: Resource::Nofile, value: 64 },
                Step::SetRlimit { resource: Resource::Core, value: 0 },
                Step::NewSession,
            ]
        );
    }

    #[test]
    fn bind_cwd_comes_after_the_policy_mounts_and_never_binds_the_root() {
        let p = policy("[filesystem]\nbind_cwd = \"rw\"\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/home\"\n");
        let plan = build(&p, &host(&p)).unwrap();
        let names = names(&plan.init);
        let tmpfs = names.iter().position(|s| s.starts_with("tmpfs on /home")).unwrap();
        let cwd = names.iter().position(|s| s == "bind /home/u -> /home/u (rw, nosuid, nodev)").unwrap();
        assert!(tmpfs < cwd && names[cwd + 1].starts_with("pivot_root into the new root"), "{names:#?}");
        let mut h = host(&p);
        h.cwd = Some(PathBuf::from("/"));
        assert!(build(&p, &h).unwrap_err().line().contains("whole host"));
    }
}
