//! The built-in default policy (contract: "Built-in default policy"), used when
//! `SANDBOX_POLICY` is unset. Never "no sandbox".

use super::*;

/// Host directories bound read-only when they exist; a symlink (merged /usr) stays a symlink.
pub const DEFAULT_BINDS: &[&str] = &["/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc"];

/// The dangerous calls the default policy refuses with EPERM (groups are defined in
/// `seccomp::groups`): kernel modules, kexec and reboot, the mount family with pivot_root and
/// chroot, swap, raw I/O, the clock, ptrace and perf (`@debug`), the keyring, obsolete
/// calls, namespaces (unshare, setns), bpf, userfaultfd, file handles, io_uring, quotas,
/// accounting, vhangup. The always-on rules add ioctl TIOCSTI/TIOCLINUX and other ABIs;
/// [`DEFAULT_RULES`] personality changes and namespaces made by clone.
pub const DEFAULT_DENY: &[&str] = &[
    "@module", "@reboot", "@swap", "@mount", "@debug", "@keyring", "@raw-io", "@clock",
    "@cpu-emulation", "@obsolete", "kexec_load", "kexec_file_load", "unshare", "setns", "bpf",
    "perf_event_open", "userfaultfd", "open_by_handle_at", "name_to_handle_at", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "acct", "lookup_dcookie", "quotactl", "quotactl_fd",
    "nfsservctl", "vhangup",
];

/// One argument rule of the default policy: (syscall, errno, condition on argument 0).
pub type DefaultRule = (&'static str, i32, Option<(ArgOp, u64)>);

/// The argument rules of the default policy.
/// - personality: only the query (`personality(0xffffffff)`) passes, changes (such as
///   ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC) get EPERM;
/// - clone with a CLONE_NEW* flag gets EPERM, as unshare does (or it would get around it);
/// - clone3, whose flags seccomp cannot see, gets ENOSYS: glibc then falls back to clone
///   (systemd's RestrictNamespaces= does the same).
pub const DEFAULT_RULES: &[DefaultRule] = &[
    ("personality", libc::EPERM, Some((ArgOp::Ne, 0xffff_ffff))),
    ("clone", libc::EPERM, Some((ArgOp::MaskedEq, libc::CLONE_NEWNS as u64))),
    ("clone", libc::EPERM, Some((ArgOp::MaskedEq, libc::CLONE_NEWCGROUP as u64))),
    ("clone", libc::EPERM, Some((ArgOp::MaskedEq, libc::CLONE_NEWUTS as u64))),
    ("clone", libc::EPERM, Some((ArgOp::MaskedEq, libc::CLONE_NEWIPC as u64))),
    ("clone", libc::EPERM, Some((ArgOp::MaskedEq, libc::CLONE_NEWUSER as u64))),
    ("clone", libc::EPERM, Some((ArgOp::MaskedEq, libc::CLONE_NEWPID as u64))),
    ("clone", libc::EPERM, Some((ArgOp::MaskedEq, libc::CLONE_NEWNET as u64))),
    ("clone3", libc::ENOSYS, None),
];

pub(super) fn policy(caller: &Caller) -> Policy {
    let mut mounts: Vec<Mount> = DEFAULT_BINDS
        .iter()
        .map(|p| Mount::Bind {
            source: AbsPath::from(*p),
            target: AbsPath::from(*p),
            writable: false,
            optional: true,
            keep_symlink: true,
        })
        .collect();
    mounts.push(Mount::Tmpfs { target: AbsPath::from("/tmp"), size: None, mode: 0o1777 });
    let builtin = |name: &str| Located { value: name.to_string(), line: 0 };
    Policy {
        source: Source::Builtin,
        namespaces: Namespaces { user: true, mount: true, pid: true, net: true, ipc: true, uts: true, cgroup: true, time: false },
        identity: Identity { uid: caller.uid, gid: caller.gid, hostname: Some("sandbox".into()) },
        filesystem: Filesystem { proc: true, dev: true, cwd: None, readonly_root: true, bind_cwd: None },
        mounts,
        network: NetworkMode::None,
        process: Process {
            new_session: false,
            die_with_parent: true,
            time_limit: None,
            clear_env: false,
            keep_env: vec![],
            set_env: BTreeMap::new(),
            keep_fds: vec![],
        },
        rlimits: Rlimits::default(),
        cgroup: None,
        seccomp: Some(Seccomp {
            line: 0,
            default_action: Action::Allow,
            allow: vec![],
            deny: DEFAULT_DENY.iter().map(|n| builtin(n)).collect(),
            deny_action: Action::Errno(libc::EPERM),
            rules: DEFAULT_RULES
                .iter()
                .map(|(name, errno, cond)| SeccompRule {
                    syscall: builtin(name),
                    action: Action::Errno(*errno),
                    // masked_eq with value = mask: matches when that flag is set.
                    args: cond.iter().map(|(op, v)| ArgCondition { index: 0, op: *op, value: *v, mask: (*op == ArgOp::MaskedEq).then_some(*v) }).collect(),
                })
                .collect(),
        }),
    }
}
