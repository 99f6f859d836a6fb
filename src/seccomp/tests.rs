//! Translation and validation, checked without loading anything: the BPF is run by a small
//! interpreter of the instructions libseccomp and the prologue use, and by an emulation of
//! the kernel's constant-action check (kernel/seccomp.c, `seccomp_is_const_allow`).

use super::*;
use crate::policy::{Caller, Located, SeccompRule};

const CALLER: Caller = Caller { uid: 1000, gid: 1000 };
const X86_64: u32 = AUDIT_ARCH_X86_64;
const I386: u32 = 0x4000_0003;
use libc::{
    SECCOMP_RET_ALLOW as RET_ALLOW, SECCOMP_RET_KILL_PROCESS as RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD as RET_KILL_THREAD,
    SECCOMP_RET_LOG as RET_LOG, SECCOMP_RET_TRAP as RET_TRAP,
};
fn errno(e: i32) -> u32 {
    libc::SECCOMP_RET_ERRNO | e as u32
}

fn nr(name: &str) -> u32 {
    syscall_number(name).unwrap_or_else(|| panic!("{name} is no x86_64 syscall")) as u32
}

fn policy(text: &str) -> Policy {
    Policy::from_toml(text, "/p.toml", &CALLER).unwrap_or_else(|e| panic!("{e}"))
}

fn program(text: &str) -> Vec<u64> {
    compile(&policy(text)).unwrap_or_else(|e| panic!("{e}")).program.0
}

fn decode(i: u64) -> (u16, u8, u8, u32) {
    let b = i.to_ne_bytes();
    (u16::from_ne_bytes([b[0], b[1]]), b[2], b[3], u32::from_ne_bytes([b[4], b[5], b[6], b[7]]))
}

/// Run the filter on one call. `args: None` emulates the kernel's constant-action check:
/// any load of an argument (or of the instruction pointer) makes the result `None`.
fn eval(prog: &[u64], arch: u32, nr: u32, args: Option<[u64; 6]>) -> Option<u32> {
    let mut pc = 0usize;
    let mut a: u32 = 0;
    loop {
        let (code, jt, jf, k) = decode(*prog.get(pc).expect("ran off the end of the program"));
        pc += 1;
        match code {
            0x20 => {
                a = match k {
                    0 => nr,
                    4 => arch,
                    16..=63 if k % 4 == 0 => {
                        let args = args?;
                        let arg = args[(k as usize - 16) / 8];
                        if (k - 16) % 8 == 0 {
                            arg as u32
                        } else {
                            (arg >> 32) as u32
                        }
                    }
                    _ => return None,
                }
            }
            0x06 => return Some(k),
            0x05 => pc += k as usize,
            0x15 | 0x25 | 0x35 | 0x45 => {
                let t = match code {
                    0x15 => a == k,
                    0x25 => a > k,
                    0x35 => a >= k,
                    _ => a & k != 0,
                };
                pc += if t { jt } else { jf } as usize;
            }
            0x54 => a &= k,
            other => panic!("instruction {other:#x} not known to the test interpreter"),
        }
    }
}

fn call(prog: &[u64], name: &str, args: [u64; 6]) -> u32 {
    eval(prog, X86_64, nr(name), Some(args)).unwrap()
}

fn const_allow(prog: &[u64], name: &str) -> bool {
    eval(prog, X86_64, nr(name), None) == Some(RET_ALLOW)
}

fn a0(v: u64) -> [u64; 6] {
    [v, 0, 0, 0, 0, 0]
}

/// The error line of a policy that must be refused: (line, whole message).
fn refused(text: &str) -> (String, String) {
    let e = compile(&policy(text)).expect_err("the policy should be refused");
    (e.what.clone(), e.line())
}

fn assert_refused(text: &str, line: usize, words: &[&str]) {
    let (what, message) = refused(text);
    assert_eq!(what, format!("policy /p.toml line {line}"), "{message}");
    for w in words {
        assert!(message.contains(w), "`{w}` missing from: {message}");
    }
}

// ---- groups and names

#[test]
fn every_group_member_is_an_x86_64_syscall() {
    let mut names = std::collections::BTreeSet::new();
    for g in groups::GROUPS {
        assert!(g.name.starts_with('@') && names.insert(g.name), "group {} named twice or without @", g.name);
        assert!(!g.help.is_empty() && !g.members.is_empty());
        for m in g.members {
            match m.strip_prefix('@') {
                Some(_) => assert!(groups::find(m).is_some(), "{} includes the unknown group {m}", g.name),
                None => assert!(syscall_number(m).is_some(), "{} lists {m}, which is no x86_64 syscall", g.name),
            }
        }
    }
}

#[test]
fn newer_syscalls_agree_with_libseccomp_where_it_knows_them() {
    for (name, n) in groups::NEWER {
        if let Some(known) = sys::resolve_name(name) {
            assert_eq!(known, *n, "{name}");
        }
        assert_eq!(syscall_name(*n).as_deref(), Some(*name));
    }
    assert_eq!(syscall_number("fchmodat2"), Some(452));
    assert_eq!(syscall_name(39).as_deref(), Some("getpid"));
}

#[test]
fn groups_expand_nested() {
    let privileged = groups::expand(groups::find("@privileged").unwrap());
    assert!(privileged.contains(&"chown") && privileged.contains(&"kexec_load") && privileged.contains(&"bpf"));
    let service = groups::expand(groups::find("@system-service").unwrap());
    for n in ["read", "openat", "mmap", "socket", "clone", "rt_sigaction", "timerfd_create", "io_uring_setup", "ioctl"] {
        assert!(service.contains(&n), "@system-service lacks {n}");
    }
    assert!(!service.contains(&"mount") && !service.contains(&"ptrace"));
    assert!(!groups::expand(groups::find("@default").unwrap()).contains(&"execve"));
}

#[test]
fn a_group_in_allow_allows_each_member() {
    let p = program("[seccomp]\nallow = [\"@basic-io\", \"@default\"]\n");
    for n in ["read", "write", "pwritev2", "close_range", "mmap", "futex", "exit_group"] {
        assert_eq!(call(&p, n, a0(0)), RET_ALLOW, "{n}");
    }
    assert_eq!(call(&p, "openat", a0(0)), RET_KILL_PROCESS);
}

// ---- translation: actions, ops, the talk's example

#[test]
fn the_talks_exit_group_example() {
    let p = program(
        "[seccomp]\ndefault_action = \"kill_process\"\nallow = [\"write\"]\n\n[[seccomp.rule]]\nsyscall = \"exit_group\"\naction = \"allow\"\nargs = [{ index = 0, op = \"eq\", value = 0 }]\n",
    );
    assert_eq!(call(&p, "exit_group", a0(0)), RET_ALLOW);
    assert_eq!(call(&p, "exit_group", a0(3)), RET_KILL_PROCESS);
    // High bits are compared too: 0x1_0000_0000 is not 0.
    assert_eq!(call(&p, "exit_group", a0(1 << 32)), RET_KILL_PROCESS);
    assert_eq!(call(&p, "write", a0(1)), RET_ALLOW);
    assert_eq!(call(&p, "getpid", a0(0)), RET_KILL_PROCESS);
    assert!(const_allow(&p, "write"), "an unconditional allow must be cacheable");
    assert!(!const_allow(&p, "exit_group"));
}

#[test]
fn each_action() {
    for (action, ret) in [
        ("allow", RET_ALLOW),
        ("kill_process", RET_KILL_PROCESS),
        ("kill_thread", RET_KILL_THREAD),
        ("trap", RET_TRAP),
        ("log", RET_LOG),
        ("errno:EACCES", errno(libc::EACCES)),
        ("errno:77", errno(77)),
    ] {
        let p = program(&format!("[seccomp]\ndefault_action = \"{action}\"\nallow = [\"read\"]\n"));
        assert_eq!(call(&p, "getppid", a0(0)), ret, "default_action {action}");
        assert_eq!(call(&p, "read", a0(0)), RET_ALLOW);
        if action != "allow" {
            let p = program(&format!("[seccomp]\ndefault_action = \"allow\"\ndeny = [\"getppid\"]\ndeny_action = \"{action}\"\n"));
            assert_eq!(call(&p, "getppid", a0(0)), ret, "deny_action {action}");
            assert_eq!(call(&p, "getpid", a0(0)), RET_ALLOW);
        }
    }
    // deny_action defaults to kill_process.
    let p = program("[seccomp]\ndefault_action = \"allow\"\ndeny = [\"ptrace\"]\n");
    assert_eq!(call(&p, "ptrace", a0(0)), RET_KILL_PROCESS);
}

#[test]
fn every_op() {
    let rule = |op: &str, extra: &str| {
        program(&format!(
            "[seccomp]\ndefault_action = \"errno:EPERM\"\n[[seccomp.rule]]\nsyscall = \"kill\"\naction = \"allow\"\nargs = [{{ index = 1, op = \"{op}\", value = 10{extra} }}]\n"
        ))
    };
    let allowed = |p: &[u64], v: u64| call(p, "kill", [0, v, 0, 0, 0, 0]) == RET_ALLOW;
    let cases: [(&str, &str, &[u64], &[u64]); 7] = [
        ("eq", "", &[10], &[9, 11, 10 | 1 << 32]),
        ("ne", "", &[9, 11, 10 | 1 << 32], &[10]),
        ("lt", "", &[0, 9], &[10, 11, 1 << 32]),
        ("le", "", &[0, 9, 10], &[11, 1 << 32]),
        ("gt", "", &[11, 1 << 32, u64::MAX], &[10, 0]),
        ("ge", "", &[10, 11, 1 << 32], &[9, 0]),
        // (arg & 0xff) == 10
        ("masked_eq", ", mask = 255", &[10, 0x10a, 10 | 1 << 40], &[11, 0x0b, 0]),
    ];
    for (op, extra, yes, no) in cases {
        let p = rule(op, extra);
        for v in yes {
            assert!(allowed(&p, *v), "{op} 10 should admit {v:#x}");
        }
        for v in no {
            assert!(!allowed(&p, *v), "{op} 10 should refuse {v:#x}");
        }
    }
}

#[test]
fn several_rules_and_arguments() {
    let p = program(
        "[seccomp]\n[[seccomp.rule]]\nsyscall = \"socket\"\naction = \"allow\"\nargs = [{ index = 0, op = \"eq\", value = 1 }]\n\
         [[seccomp.rule]]\nsyscall = \"socket\"\naction = \"allow\"\nargs = [{ index = 0, op = \"eq\", value = 2 }, { index = 1, op = \"masked_eq\", mask = 15, value = 2 }]\n\
         [[seccomp.rule]]\nsyscall = \"socket\"\naction = \"errno:EAFNOSUPPORT\"\nargs = [{ index = 0, op = \"eq\", value = 10 }]\n",
    );
    assert_eq!(call(&p, "socket", [1, 1, 0, 0, 0, 0]), RET_ALLOW);
    assert_eq!(call(&p, "socket", [2, 2, 0, 0, 0, 0]), RET_ALLOW);
    assert_eq!(call(&p, "socket", [2, 0x80002, 0, 0, 0, 0]), RET_ALLOW);
    assert_eq!(call(&p, "socket", [2, 1, 0, 0, 0, 0]), RET_KILL_PROCESS);
    assert_eq!(call(&p, "socket", [10, 1, 0, 0, 0, 0]), errno(libc::EAFNOSUPPORT));
    assert_eq!(call(&p, "socket", [16, 3, 0, 0, 0, 0]), RET_KILL_PROCESS);
}

// ---- the always-on rules

#[test]
fn always_on_rules_hold_whatever_the_policy() {
    for text in [
        "",
        "[seccomp]\ndefault_action = \"allow\"\n",
        "[seccomp]\nallow = [\"ioctl\"]\n",
        "[seccomp]\ndefault_action = \"allow\"\ndeny = [\"ioctl\"]\ndeny_action = \"errno:ENOTTY\"\n",
        "[[seccomp.rule]]\nsyscall = \"ioctl\"\naction = \"allow\"\nargs = [{ index = 1, op = \"eq\", value = 0x5412 }]\n",
    ] {
        let p = program(text);
        for req in [0x5412u64, 0x541c, 0x1_0000_5412, 0xffff_ffff_0000_541c] {
            assert_eq!(call(&p, "ioctl", [0, req, 0, 0, 0, 0]), errno(libc::EPERM), "ioctl {req:#x} under {text:?}");
        }
        // Other ABIs: i386 (int 0x80) and x32 (nr | 0x40000000) are killed.
        assert_eq!(eval(&p, I386, 20, Some(a0(0))), Some(RET_KILL_PROCESS), "{text:?}");
        assert_eq!(eval(&p, X86_64, 0x4000_0000 | 39, Some(a0(0))), Some(RET_KILL_PROCESS), "{text:?}");
        // The probe is answered.
        assert_eq!(eval(&p, X86_64, PROBE_NR as u32, Some(a0(0))), Some(errno(PROBE_ERRNO as i32)), "{text:?}");
    }
    let p = program("");
    assert_eq!(call(&p, "ioctl", [0, 0x5401, 0, 0, 0, 0]), RET_ALLOW, "TCGETS is fine");
    assert!(const_allow(&p, "getpid") && const_allow(&p, "read") && !const_allow(&p, "ioctl"));
}

// ---- the cache: an allowlist without argument rules costs what allow-all costs

#[test]
fn allowlisted_syscalls_are_constant_for_the_kernel_cache() {
    let list = ["read", "write", "close", "fstat", "mmap", "mprotect", "munmap", "brk", "rt_sigaction", "getpid", "openat", "exit_group", "futex", "clock_gettime"];
    let quoted: Vec<String> = list.iter().map(|n| format!("{n:?}")).collect();
    let p = program(&format!(
        "[seccomp]\nallow = [{}, \"@network-io\"]\n[[seccomp.rule]]\nsyscall = \"socket\"\naction = \"allow\"\nargs = [{{ index = 0, op = \"eq\", value = 1 }}]\n",
        quoted.join(", ")
    ));
    for n in list {
        assert!(const_allow(&p, n), "{n} is allowed unconditionally but not constant for the cache");
    }
    assert!(const_allow(&p, "sendmsg"));
    assert!(!const_allow(&p, "socket"), "socket has an argument rule");
    assert!(!const_allow(&p, "getppid"), "getppid is killed");
    // The filter stays small: a tree, not one check per syscall in a line.
    assert!(p.len() < 400, "{} instructions", p.len());
}

// ---- the report pipe's one close

#[test]
fn the_sandbox_may_close_exactly_its_report_pipe() {
    let f = compile(&policy("[seccomp]\nallow = [\"write\"]\n")).unwrap();
    assert_eq!(f.report_fd, Some(3));
    assert_eq!(call(&f.program.0, "close", a0(3)), RET_ALLOW);
    assert_eq!(call(&f.program.0, "close", a0(4)), RET_KILL_PROCESS);
    assert_eq!(call(&f.program.0, "close", a0(3 | 1 << 32)), RET_KILL_PROCESS);

    let f = compile(&policy("[process]\nkeep_fds = [3]\n[seccomp]\nallow = [\"write\"]\n")).unwrap();
    assert_eq!(f.report_fd, Some(4));

    // close denied plainly: the carve-out keeps the policy's action for every other fd.
    let f = compile(&policy("[seccomp]\ndefault_action = \"allow\"\ndeny = [\"close\"]\ndeny_action = \"errno:EBADF\"\n")).unwrap();
    assert_eq!(call(&f.program.0, "close", a0(3)), RET_ALLOW);
    assert_eq!(call(&f.program.0, "close", a0(5)), errno(libc::EBADF));

    // A rule that refuses close(3) moves the pipe elsewhere.
    let f = compile(&policy("[seccomp]\ndefault_action = \"allow\"\n[[seccomp.rule]]\nsyscall = \"close\"\naction = \"errno:EPERM\"\nargs = [{ index = 0, op = \"le\", value = 5 }]\n")).unwrap();
    assert_eq!(f.report_fd, Some(6));
    assert_eq!(call(&f.program.0, "close", a0(6)), RET_ALLOW);
    assert_eq!(call(&f.program.0, "close", a0(4)), errno(libc::EPERM));

    assert_refused(
        "[seccomp]\ndefault_action = \"allow\"\n[[seccomp.rule]]\nsyscall = \"close\"\naction = \"errno:EPERM\"\n",
        4,
        &["close", "descriptor"],
    );
    // Allowing close plainly needs no carve-out; no filter, no move.
    assert_eq!(compile(&policy("")).unwrap().report_fd, None);
}

// ---- the built-in default policy

#[test]
fn default_deny_list_refuses_the_dangerous_calls() {
    let p = compile(&Policy::builtin(&CALLER)).unwrap().program.0;
    for n in [
        "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot", "mount", "umount2",
        "pivot_root", "chroot", "fsopen", "move_mount", "open_tree", "mount_setattr", "unshare", "setns", "ptrace",
        "process_vm_readv", "bpf", "perf_event_open", "keyctl", "add_key", "request_key", "userfaultfd",
        "open_by_handle_at", "io_uring_setup", "io_uring_enter", "io_uring_register", "swapon", "iopl", "ioperm",
        "settimeofday", "clock_settime", "acct", "quotactl", "modify_ldt", "uselib", "pidfd_getfd",
    ] {
        let expect = if n == "process_vm_readv" { RET_ALLOW } else { errno(libc::EPERM) };
        assert_eq!(call(&p, n, a0(0)), expect, "{n}");
    }
    // Personality: the query passes, changes do not.
    assert_eq!(call(&p, "personality", a0(0xffff_ffff)), RET_ALLOW);
    assert_eq!(call(&p, "personality", a0(0x0040000)), errno(libc::EPERM));
    assert_eq!(call(&p, "personality", a0(0)), errno(libc::EPERM));
    // Namespaces through clone, and clone3 falls back to clone.
    assert_eq!(call(&p, "clone", a0(libc::SIGCHLD as u64)), RET_ALLOW);
    assert_eq!(call(&p, "clone", a0(0x003d_0f00)), RET_ALLOW, "pthread_create's flags");
    assert_eq!(call(&p, "clone", a0((libc::CLONE_NEWUSER | libc::SIGCHLD) as u64)), errno(libc::EPERM));
    assert_eq!(call(&p, "clone", a0(libc::CLONE_NEWNET as u64)), errno(libc::EPERM));
    assert_eq!(call(&p, "clone3", a0(0)), errno(libc::ENOSYS));
    assert_eq!(call(&p, "ioctl", [0, 0x5412, 0, 0, 0, 0]), errno(libc::EPERM));
    for n in ["read", "openat", "execve", "mmap", "socket", "getpid"] {
        assert!(const_allow(&p, n), "{n}");
    }
}

// ---- validation: every class of bad input names the key and its line

#[test]
fn unknown_names_and_groups() {
    assert_refused("[seccomp]\nallow = [\"read\",\n  \"opne\"]\n", 3, &["seccomp.allow", "unknown syscall \"opne\""]);
    assert_refused("[seccomp]\nallow = [\"@basic-oi\"]\n", 2, &["unknown syscall group \"@basic-oi\"", "@basic-io"]);
    assert_refused("[seccomp]\ndefault_action = \"allow\"\ndeny = [\"socketcall\"]\n", 3, &["other architectures"]);
    assert_refused("[[seccomp.rule]]\nsyscall = \"nope\"\naction = \"allow\"\n", 2, &["seccomp.rule", "unknown syscall \"nope\""]);
    assert_refused("[[seccomp.rule]]\nsyscall = \"@basic-io\"\naction = \"allow\"\n", 2, &["group"]);
}

#[test]
fn conflicts_name_both_lines() {
    assert_refused(
        "[seccomp]\ndefault_action = \"allow\"\nallow = [\"ptrace\"]\ndeny = [\"ptrace\"]\n",
        4,
        &["seccomp.allow line 3", "seccomp.deny line 4"],
    );
    assert_refused(
        "[seccomp]\nallow = [\"exit_group\"]\n[[seccomp.rule]]\nsyscall = \"exit_group\"\naction = \"allow\"\nargs = [{ index = 0, op = \"eq\", value = 0 }]\n",
        4,
        &["seccomp.allow line 2", "seccomp.rule line 4"],
    );
    assert_refused(
        "[[seccomp.rule]]\nsyscall = \"write\"\naction = \"allow\"\nargs = [{ index = 0, op = \"eq\", value = 1 }]\n\
         [[seccomp.rule]]\nsyscall = \"write\"\naction = \"errno:EPERM\"\nargs = [{ index = 2, op = \"gt\", value = 100 }]\n",
        6,
        &["lines 2 and 6", "allow", "errno:EPERM"],
    );
    assert_refused(
        "[[seccomp.rule]]\nsyscall = \"write\"\naction = \"allow\"\nargs = [{ index = 0, op = \"gt\", value = 1 }, { index = 0, op = \"lt\", value = 5 }]\n",
        2,
        &["argument 0 is compared twice"],
    );
    assert_refused("[seccomp]\ndefault_action = \"allow\"\ndeny = [\"ptrace\"]\ndeny_action = \"allow\"\n", 1, &["deny_action"]);
}

#[test]
fn precedence_between_names_groups_and_rules() {
    // deny beats allow between groups; a written-out name beats a group.
    let p = program("[seccomp]\ndefault_action = \"allow\"\nallow = [\"@system-service\", \"ptrace\"]\ndeny = [\"@privileged\", \"@debug\"]\ndeny_action = \"errno:EPERM\"\n");
    assert_eq!(call(&p, "chown", a0(0)), errno(libc::EPERM), "@privileged beats @system-service");
    assert_eq!(call(&p, "ptrace", a0(0)), RET_ALLOW, "ptrace written out beats @debug");
    assert_eq!(call(&p, "perf_event_open", a0(0)), errno(libc::EPERM));
    // A rule refines what a group allows.
    let p = program("[seccomp]\nallow = [\"@basic-io\"]\n[[seccomp.rule]]\nsyscall = \"write\"\naction = \"allow\"\nargs = [{ index = 0, op = \"eq\", value = 1 }]\n");
    assert_eq!(call(&p, "write", a0(1)), RET_ALLOW);
    assert_eq!(call(&p, "write", a0(2)), RET_KILL_PROCESS);
    assert_eq!(call(&p, "read", a0(0)), RET_ALLOW);
    // Exclusive rules with different actions are fine; a rule with the default action is a no-op.
    let p = program(
        "[[seccomp.rule]]\nsyscall = \"write\"\naction = \"allow\"\nargs = [{ index = 0, op = \"lt\", value = 3 }]\n\
         [[seccomp.rule]]\nsyscall = \"write\"\naction = \"errno:EBADF\"\nargs = [{ index = 0, op = \"ge\", value = 3 }]\n\
         [[seccomp.rule]]\nsyscall = \"read\"\naction = \"kill_process\"\n",
    );
    assert_eq!(call(&p, "write", a0(2)), RET_ALLOW);
    assert_eq!(call(&p, "write", a0(7)), errno(libc::EBADF));
    assert_eq!(call(&p, "read", a0(0)), RET_KILL_PROCESS);
}

#[test]
fn disjointness() {
    let c = |op, value, mask| ArgCondition { index: 0, op, value, mask };
    use ArgOp::*;
    assert!(conds_disjoint(&c(Eq, 1, None), &c(Eq, 2, None)));
    assert!(!conds_disjoint(&c(Eq, 1, None), &c(Le, 1, None)));
    assert!(conds_disjoint(&c(Lt, 3, None), &c(Ge, 3, None)));
    assert!(!conds_disjoint(&c(Lt, 4, None), &c(Ge, 3, None)));
    assert!(conds_disjoint(&c(Ne, 5, None), &c(Eq, 5, None)));
    assert!(!conds_disjoint(&c(Ne, 5, None), &c(Gt, 5, None)));
    assert!(conds_disjoint(&c(MaskedEq, 1, Some(1)), &c(MaskedEq, 0, Some(1))));
    assert!(!conds_disjoint(&c(MaskedEq, 1, Some(1)), &c(MaskedEq, 2, Some(2))));
    assert!(conds_disjoint(&c(MaskedEq, 1, Some(1)), &c(Eq, 4, None)));
    assert!(conds_disjoint(&c(Lt, 0, None), &c(Ge, 0, None)), "lt 0 matches nothing");
    // Rules: disjoint when one argument excludes, whatever the others say.
    let r1 = [ArgCondition { index: 1, op: Eq, value: 1, mask: None }, c(Eq, 7, None)];
    let r2 = [ArgCondition { index: 1, op: Eq, value: 2, mask: None }];
    assert!(disjoint(&r1, &r2));
    assert!(!disjoint(&r1, &[]));
}

#[test]
fn validation_happens_at_plan_time_with_the_builtin_source() {
    // Errors in the built-in policy would cite "the built-in default policy" (line 0).
    let mut p = Policy::builtin(&CALLER);
    p.seccomp.as_mut().unwrap().rules.push(SeccompRule {
        syscall: Located { value: "nope".into(), line: 0 },
        action: Action::Allow,
        args: vec![],
    });
    let e = compile(&p).unwrap_err();
    assert_eq!(e.what, "the built-in default policy");
}

// ---- reporting a kill

#[test]
fn kill_messages_name_the_syscall_and_the_key() {
    let p = policy("[seccomp]\ndefault_action = \"kill_process\"\nallow = [\"write\"]\n[[seccomp.rule]]\nsyscall = \"exit_group\"\naction = \"allow\"\nargs = [{ index = 0, op = \"eq\", value = 0 }]\n");
    let native = |n: &str| Some(Killed { nr: nr(n) as i32, abi: Abi::Native });
    let m = kill_message(&p, "prog", native("getppid"));
    assert!(m.starts_with("seccomp killed prog: getppid (110) is not allowed by the policy ("), "{m}");
    assert!(m.contains("seccomp.default_action ([seccomp] at line 1) is kill_process") && m.contains("seccomp.allow"), "{m}");
    let m = kill_message(&p, "prog", native("exit_group"));
    assert!(m.contains("exit_group (231)") && m.contains("[[seccomp.rule]]") && m.contains("line 5"), "{m}");
    let m = kill_message(&p, "prog", Some(Killed { nr: 0x4000_0027, abi: Abi::X32 }));
    assert!(m.contains("x32 getpid (0x40000027)") && m.contains("another ABI"), "{m}");
    let m = kill_message(&p, "prog", Some(Killed { nr: 20, abi: Abi::I386 }));
    assert!(m.contains("i386 getpid (20)") && m.contains("int 0x80"), "{m}");
    let m = kill_message(&p, "prog", None);
    assert!(m.starts_with("seccomp killed prog: unknown syscall"), "{m}");

    let d = policy("[seccomp]\ndefault_action = \"allow\"\ndeny = [\"@debug\"]\n");
    let m = kill_message(&d, "prog", native("ptrace"));
    assert!(m.contains("ptrace (101)") && m.contains("seccomp.deny line 3 (via @debug) sets kill_process"), "{m}");
    // Allowed by the sandbox: another filter did it.
    let m = kill_message(&d, "prog", native("read"));
    assert!(m.contains("outside the sandbox"), "{m}");
}

#[test]
fn sandbox_toml_example_compiles() {
    let p = Policy::from_toml(include_str!("../../sandbox.toml.example"), "sandbox.toml.example", &CALLER).unwrap();
    let f = compile(&p).unwrap_or_else(|e| panic!("{e}"));
    assert!(f.program.len() > 10);
}
