//! The built-in default policy (contract: "Built-in default policy"), used when
//! `SANDBOX_POLICY` is unset. Never "no sandbox".

use super::*;

/// Host directories bound read-only when they exist; a symlink (merged /usr) stays a symlink.
pub const DEFAULT_BINDS: &[&str] = &["/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc"];

/// The dangerous calls the default policy refuses with EPERM (groups are defined in `seccomp`).
pub const DEFAULT_DENY: &[&str] = &[
    "@module", "@reboot", "@swap", "@mount", "@debug", "@keyring", "@raw-io", "@clock",
    "@cpu-emulation", "@obsolete", "kexec_load", "kexec_file_load", "unshare", "setns", "bpf",
    "perf_event_open", "userfaultfd", "open_by_handle_at", "name_to_handle_at", "personality",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "acct", "lookup_dcookie", "quotactl",
    "nfsservctl", "vhangup",
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
            rules: vec![],
        }),
    }
}
