//! Syscall groups for `seccomp.allow` and `seccomp.deny`, in the spirit of systemd's
//! `SystemCallFilter=` sets (systemd.exec(5)), for x86_64. A group is a name starting with
//! `@` and a list of syscall names or other groups. A name that is no group is a policy
//! error. Every member must be an x86_64 syscall (a unit test checks each one resolves).
//!
//! Differences from systemd, on purpose:
//! - `@default` has no `execve`: the filter goes on after the program was loaded, so a
//!   program that does not start others need not exec (`execve` is in `@process`);
//!   it has `madvise` and `mremap`, which glibc's malloc calls on its own.
//! - `@memory` (allocation and protection of memory) and `@sandbox` (programs that
//!   sandbox themselves: landlock, seccomp) are added.
//! - syscalls newer than libseccomp 2.5 (fchmodat2, futex_wait, mseal, ...) are listed.

pub struct Group {
    pub name: &'static str,
    pub help: &'static str,
    pub members: &'static [&'static str],
}

pub const GROUPS: &[Group] = &[
    Group {
        name: "@default",
        help: "what every program needs: memory, futexes, ids, clocks, exit",
        members: &[
            "arch_prctl", "brk", "clock_getres", "clock_gettime", "clock_nanosleep", "exit", "exit_group", "futex",
            "futex_requeue", "futex_wait", "futex_waitv", "futex_wake", "get_robust_list", "get_thread_area",
            "getegid", "geteuid", "getgid", "getgroups", "getpgid", "getpgrp", "getpid", "getppid", "getrandom",
            "getresgid", "getresuid", "getrlimit", "getsid", "gettid", "gettimeofday", "getuid", "madvise",
            "membarrier", "mmap", "mprotect", "mremap", "munmap", "nanosleep", "pause", "prlimit64",
            "restart_syscall", "rseq", "rt_sigreturn", "sched_getaffinity", "sched_yield", "set_robust_list",
            "set_thread_area", "set_tid_address", "time",
        ],
    },
    Group {
        name: "@basic-io",
        help: "reading and writing descriptors the program already has",
        members: &[
            "close", "close_range", "copy_file_range", "dup", "dup2", "dup3", "lseek", "pread64", "preadv",
            "preadv2", "pwrite64", "pwritev", "pwritev2", "read", "readv", "sendfile", "splice", "tee", "vmsplice",
            "write", "writev",
        ],
    },
    Group {
        name: "@file-system",
        help: "files and directories: open, stat, create, rename, remove, attributes, inotify",
        members: &[
            "access", "cachestat", "chdir", "chmod", "close", "creat", "faccessat", "faccessat2", "fadvise64",
            "fallocate", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fcntl", "fgetxattr", "file_getattr",
            "file_setattr", "flistxattr", "flock", "fremovexattr", "fsetxattr", "fstat", "fstatfs", "ftruncate",
            "futimesat", "getcwd", "getdents", "getdents64", "getxattr", "getxattrat", "inotify_add_watch",
            "inotify_init", "inotify_init1", "inotify_rm_watch", "lgetxattr", "link", "linkat", "listmount",
            "listxattr", "listxattrat", "llistxattr", "lremovexattr", "lsetxattr", "lstat", "mkdir", "mkdirat",
            "mknod", "mknodat", "newfstatat", "open", "openat", "openat2", "readahead", "readlink", "readlinkat",
            "removexattr", "removexattrat", "rename", "renameat", "renameat2", "rmdir", "setxattr", "setxattrat",
            "stat", "statfs", "statmount", "statx", "symlink", "symlinkat", "truncate", "umask", "unlink", "unlinkat",
            "utime", "utimensat", "utimes",
        ],
    },
    Group {
        name: "@io-event",
        help: "event loops: poll, select, epoll, eventfd",
        members: &[
            "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait", "eventfd",
            "eventfd2", "poll", "ppoll", "pselect6", "select",
        ],
    },
    Group {
        name: "@ipc",
        help: "pipes, SysV IPC, POSIX message queues, memfd, cross-process memory access",
        members: &[
            "memfd_create", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink",
            "msgctl", "msgget", "msgrcv", "msgsnd", "pipe", "pipe2", "process_madvise", "process_vm_readv",
            "process_vm_writev", "semctl", "semget", "semop", "semtimedop", "shmat", "shmctl", "shmdt", "shmget",
        ],
    },
    Group {
        name: "@memory",
        help: "allocating, protecting, locking and syncing memory",
        members: &[
            "brk", "madvise", "map_shadow_stack", "membarrier", "memfd_secret", "mincore", "mlock", "mlock2",
            "mlockall", "mmap", "mprotect", "mremap", "mseal", "msync", "munlock", "munlockall", "munmap",
            "pkey_alloc", "pkey_free", "pkey_mprotect", "remap_file_pages",
        ],
    },
    Group {
        name: "@network-io",
        help: "sockets: create, connect, accept, send, receive",
        members: &[
            "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen", "recvfrom",
            "recvmmsg", "recvmsg", "sendmmsg", "sendmsg", "sendto", "setsockopt", "shutdown", "socket", "socketpair",
        ],
    },
    Group {
        name: "@process",
        help: "processes and threads: fork, exec, wait, kill, prctl, namespaces",
        members: &[
            "capget", "clone", "clone3", "execve", "execveat", "fork", "getrusage", "kcmp", "kill", "pidfd_open",
            "pidfd_send_signal", "prctl", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "setns", "setpgid", "setsid",
            "tgkill", "times", "tkill", "unshare", "vfork", "wait4", "waitid",
        ],
    },
    Group {
        name: "@signal",
        help: "signal handlers, masks and waiting for signals",
        members: &[
            "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
            "sigaltstack", "signalfd", "signalfd4",
        ],
    },
    Group {
        name: "@timer",
        help: "timers and alarms",
        members: &[
            "alarm", "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
            "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime", "times",
        ],
    },
    Group {
        name: "@aio",
        help: "asynchronous I/O: io_setup family and io_uring",
        members: &[
            "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_setup", "io_submit", "io_uring_enter",
            "io_uring_register", "io_uring_setup",
        ],
    },
    Group { name: "@chown", help: "changing the owner of files", members: &["chown", "fchown", "fchownat", "lchown"] },
    Group {
        name: "@setuid",
        help: "changing user and group credentials",
        members: &["setfsgid", "setfsuid", "setgid", "setgroups", "setregid", "setresgid", "setresuid", "setreuid", "setuid"],
    },
    Group {
        name: "@resources",
        help: "changing priorities, CPU affinity, NUMA policy and resource limits",
        members: &[
            "ioprio_set", "mbind", "migrate_pages", "move_pages", "sched_setaffinity", "sched_setattr",
            "sched_setparam", "sched_setscheduler", "set_mempolicy", "set_mempolicy_home_node", "setpriority",
            "setrlimit",
        ],
    },
    Group {
        name: "@sync",
        help: "flushing files and memory to storage",
        members: &["fdatasync", "fsync", "msync", "sync", "sync_file_range", "syncfs"],
    },
    Group {
        name: "@sandbox",
        help: "programs that sandbox themselves: landlock and seccomp",
        members: &["landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "seccomp"],
    },
    // ---- groups meant for `deny`
    Group {
        name: "@mount",
        help: "mounting, unmounting, chroot and pivot_root",
        members: &[
            "chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr", "move_mount", "open_tree",
            "open_tree_attr", "pivot_root", "umount2",
        ],
    },
    Group { name: "@module", help: "loading and unloading kernel modules", members: &["delete_module", "finit_module", "init_module"] },
    Group { name: "@reboot", help: "reboot and kexec", members: &["kexec_file_load", "kexec_load", "reboot"] },
    Group { name: "@swap", help: "enabling and disabling swap", members: &["swapoff", "swapon"] },
    Group { name: "@raw-io", help: "raw I/O port access", members: &["ioperm", "iopl"] },
    Group {
        name: "@clock",
        help: "setting the system clock",
        members: &["adjtimex", "clock_adjtime", "clock_settime", "settimeofday"],
    },
    Group { name: "@cpu-emulation", help: "CPU emulation: local descriptor tables", members: &["modify_ldt"] },
    Group {
        name: "@debug",
        help: "debugging, tracing and performance monitoring",
        members: &["lookup_dcookie", "perf_event_open", "pidfd_getfd", "ptrace"],
    },
    Group { name: "@keyring", help: "the kernel keyring", members: &["add_key", "keyctl", "request_key"] },
    Group {
        name: "@obsolete",
        help: "obsolete, unused or unimplemented syscalls",
        members: &[
            "_sysctl", "afs_syscall", "create_module", "epoll_ctl_old", "epoll_wait_old", "get_kernel_syms",
            "getpmsg", "putpmsg", "query_module", "security", "sysfs", "tuxcall", "uselib", "ustat", "vserver",
        ],
    },
    Group {
        name: "@privileged",
        help: "everything that needs a capability",
        members: &[
            "@chown", "@clock", "@module", "@raw-io", "@reboot", "@swap", "_sysctl", "acct", "bpf", "capset", "chroot",
            "fanotify_init", "fanotify_mark", "nfsservctl", "open_by_handle_at", "pivot_root", "quotactl",
            "quotactl_fd", "setdomainname", "setfsuid", "setgroups", "sethostname", "setresuid", "setreuid", "setuid",
            "vhangup",
        ],
    },
    // ---- a broad allow set
    Group {
        name: "@system-service",
        help: "what ordinary services and command-line programs use",
        members: &[
            "@aio", "@basic-io", "@chown", "@default", "@file-system", "@io-event", "@ipc", "@keyring", "@memory",
            "@network-io", "@process", "@resources", "@setuid", "@signal", "@sync", "@timer", "capset", "get_mempolicy",
            "getcpu", "getpriority", "ioctl", "ioprio_get", "name_to_handle_at", "personality",
            "sched_get_priority_max", "sched_get_priority_min", "sched_getattr", "sched_getparam",
            "sched_getscheduler", "sched_rr_get_interval", "sysinfo", "uname", "userfaultfd",
        ],
    },
];

/// Syscalls of this kernel generation (x86_64 numbers) that libseccomp 2.5 does not know
/// yet. Names resolve through libseccomp first, then here.
pub const NEWER: &[(&str, i32)] = &[
    ("uretprobe", 335),
    ("cachestat", 451),
    ("fchmodat2", 452),
    ("map_shadow_stack", 453),
    ("futex_wake", 454),
    ("futex_wait", 455),
    ("futex_requeue", 456),
    ("statmount", 457),
    ("listmount", 458),
    ("lsm_get_self_attr", 459),
    ("lsm_set_self_attr", 460),
    ("lsm_list_modules", 461),
    ("mseal", 462),
    ("setxattrat", 463),
    ("getxattrat", 464),
    ("listxattrat", 465),
    ("removexattrat", 466),
    ("open_tree_attr", 467),
    ("file_getattr", 468),
    ("file_setattr", 469),
];

pub fn find(name: &str) -> Option<&'static Group> {
    GROUPS.iter().find(|g| g.name == name)
}

/// The syscall names of a group, nested groups expanded, sorted and without duplicates.
pub fn expand(group: &Group) -> Vec<&'static str> {
    fn walk(g: &Group, out: &mut Vec<&'static str>, depth: usize) {
        assert!(depth < 8, "syscall group {} nests too deep", g.name);
        for m in g.members {
            match find(m) {
                Some(inner) => walk(inner, out, depth + 1),
                None => out.push(m),
            }
        }
    }
    let mut out = Vec::new();
    walk(group, &mut out, 0);
    out.sort_unstable();
    out.dedup();
    out
}

/// The names of every group, for error messages.
pub fn names() -> String {
    GROUPS.iter().map(|g| g.name).collect::<Vec<_>>().join(" ")
}
