//! The seccomp layer, with real filters and real kills: each action observed, the
//! exit_group(0)/exit_group(3) pair, every argument op, groups, the always-on rules
//! (x32 and int 0x80 killed, TIOCSTI refused on a real pty), the built-in deny list, the
//! in-process advantage (no execve, close or rt_sigprocmask needed), the named syscall on
//! every kill, and bad policies refused with 125 before the program runs.
//!
//! The fixture is `c-fixtures/seccomp_calls.c`: it makes the calls named on its command
//! line and prints `<step>=<result>` with raw write(2) calls only.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;

use crate::harness::policy::system;
use crate::harness::{Case, Outcome, Status};

const FIXTURE: &str = "seccomp_calls";

fn case(name: &str, policy: &str, steps: &[&str]) -> Case {
    Case::new(name, FIXTURE)
        .policy(policy)
        .args(steps.iter().copied())
}

/// Death by SIGSYS and the contract's line naming `syscall` (e.g. "getppid (110)").
/// Returns the line.
fn expect_killed<'a>(out: &'a Outcome, syscall: &str) -> &'a str {
    out.expect_status(Status::Signal(libc::SIGSYS));
    let prefix = format!("sandbox: seccomp killed {FIXTURE}: ");
    let line = out.stderr.lines().find(|l| l.starts_with(&prefix));
    out.check(
        line.is_some(),
        format_args!("no `{prefix}...` line on stderr"),
    );
    let line = line.unwrap();
    let wanted = format!("{prefix}{syscall} is not allowed by the policy (");
    out.check(
        line.starts_with(&wanted) && line.ends_with(')'),
        format_args!("expected the line to start with `{wanted}`"),
    );
    line
}

fn expect_started(out: &Outcome) {
    out.expect_fact("started", "1");
}

// ---- each action

#[test]
fn kill_process_names_the_syscall_and_dies_by_sigsys() {
    let policy = "[seccomp]\ndefault_action = \"allow\"\ndeny = [\"getppid\"]\n";
    for out in case("sc-kill", policy, &["nr:39", "nr:110", "nr:39"]).run_both() {
        expect_started(&out);
        out.check(out.fact("nr:39").starts_with("ok:"), "getpid is allowed");
        out.check(out.opt_fact("nr:110").is_none(), "getppid must not return");
        out.check(out.facts("nr:39").len() == 1, "nothing runs after the kill");
        let line = expect_killed(&out, "getppid (110)");
        out.check(
            line.contains("seccomp.deny line 3"),
            "the hint names the key and line",
        );
    }
}

#[test]
fn a_sigsys_handler_cannot_turn_a_kill_into_a_continue() {
    let policy = "[seccomp]\ndefault_action = \"allow\"\ndeny = [\"getppid\"]\n";
    for out in case("sc-kill-handler", policy, &["handler", "nr:110", "nr:39"]).run_both() {
        out.expect_fact("handler", "ok:0");
        out.check(
            out.opt_fact("trapped").is_none(),
            "the program's handler must not run",
        );
        out.check(
            out.opt_fact("nr:39").is_none(),
            "the program must not go on",
        );
        expect_killed(&out, "getppid (110)");
    }
}

#[test]
fn errno_action_returns_the_errno() {
    for (action, expected) in [("errno:EACCES", "EACCES"), ("errno:77", "EBADFD")] {
        let policy = format!(
            "[seccomp]\ndefault_action = \"allow\"\ndeny = [\"getppid\"]\ndeny_action = \"{action}\"\n"
        );
        for out in case("sc-errno", &policy, &["nr:110", "nr:39"]).run_both() {
            out.expect_success().expect_fact("nr:110", expected);
            out.check(out.fact("nr:39").starts_with("ok:"), "other calls pass");
        }
    }
    // As the default action too.
    let policy =
        "[seccomp]\ndefault_action = \"errno:ENOENT\"\nallow = [\"write\", \"exit_group\"]\n";
    for out in case("sc-errno-default", policy, &["nr:39", "nr:110"]).run_both() {
        out.expect_success()
            .expect_fact("nr:39", "ENOENT")
            .expect_fact("nr:110", "ENOENT");
    }
}

/// /dev/kmsg from its current end, when this process may read it (root).
fn kmsg_tail() -> Option<File> {
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open("/dev/kmsg")
        .ok()?;
    f.seek(SeekFrom::End(0)).ok()?;
    Some(f)
}

fn kmsg_records(f: &mut File) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 8192];
    loop {
        match f.read(&mut buf) {
            Ok(n) if n > 0 => out.push(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
            _ => break,
        }
    }
    out
}

#[test]
fn log_action_lets_the_call_through_and_logs_it() {
    // getcpu (309): used by no other case, so its audit record is ours.
    let policy =
        "[seccomp]\ndefault_action = \"allow\"\ndeny = [\"getcpu\"]\ndeny_action = \"log\"\n";
    for out in case("sc-log", policy, &["nr:309"]).run_both() {
        out.expect_success().expect_fact("nr:309", "ok:0");
    }
    // The kernel's audit record (type=1326, code = SECCOMP_RET_LOG), where it can be read.
    // kauditd prints records a little later, under printk's rate limit (10 per 5 s, shared
    // with the kills of the cases running in parallel): look for a while, try again later.
    let Some(mut kmsg) = kmsg_tail() else { return };
    let mut records = Vec::new();
    for attempt in 0..4 {
        if attempt > 0 {
            std::thread::sleep(std::time::Duration::from_millis(5500));
        }
        for out in case("sc-log-audit", policy, &["nr:309"]).run_both() {
            out.expect_success();
        }
        for _ in 0..20 {
            records.extend(kmsg_records(&mut kmsg));
            let logged = records.iter().any(|r| {
                r.contains("type=1326")
                    && r.contains(&format!("comm=\"{FIXTURE}\""))
                    && r.contains("syscall=309")
                    && r.contains("code=0x7ffc0000")
            });
            if logged {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    panic!(
        "no audit record of the logged getcpu in /dev/kmsg:\n{}",
        records.join("")
    );
}

#[test]
fn trap_action_reaches_the_handler_or_kills_naming_the_syscall() {
    let policy =
        "[seccomp]\ndefault_action = \"allow\"\ndeny = [\"getppid\"]\ndeny_action = \"trap\"\n";
    for out in case("sc-trap", policy, &["handler", "nr:110", "nr:39"]).run_both() {
        out.expect_success().expect_fact("trapped", "110");
        out.check(
            out.fact("nr:39").starts_with("ok:"),
            "the program goes on after its handler",
        );
    }
    for out in case("sc-trap-nohandler", policy, &["nr:110", "nr:39"]).run_both() {
        let line = expect_killed(&out, "getppid (110)");
        out.check(line.contains("trap"), "the hint says it was a trap");
    }
}

#[test]
fn kill_thread_kills_only_the_thread() {
    let policy =
        "[seccomp]\ndefault_action = \"allow\"\ndeny = [\"getppid\"]\ndeny_action = \"kill_thread\"\n";
    for out in case("sc-kill-thread", policy, &["thread:110", "nr:39"]).run_both() {
        out.expect_success().expect_fact("thread:110", "joined");
        out.check(
            out.fact("nr:39").starts_with("ok:"),
            "the main thread goes on",
        );
    }
}

#[test]
fn a_kill_in_another_thread_still_kills_and_says_so() {
    // kill_process from a thread: the process dies by SIGSYS; the syscall cannot be read
    // from the main thread's registers, so the line says "unknown" (see seccomp::tracer).
    let policy = "[seccomp]\ndefault_action = \"allow\"\ndeny = [\"getppid\"]\n";
    for out in case("sc-kill-other-thread", policy, &["thread:110", "nr:39"]).run_both() {
        out.expect_status(Status::Signal(libc::SIGSYS));
        out.check(out.opt_fact("nr:39").is_none(), "the process must die");
        let says = out.stderr.lines().any(|l| {
            l.starts_with(&format!("sandbox: seccomp killed {FIXTURE}: "))
                && (l.contains("getppid (110)") || l.contains("unknown syscall"))
        });
        out.check(says, "expected a `sandbox: seccomp killed` line");
    }
}

// ---- the talk's example and the argument ops

#[test]
fn exit_group_zero_is_allowed_and_three_is_killed() {
    let policy = "[seccomp]\ndefault_action = \"kill_process\"\nallow = [\"write\"]\n\n\
                  [[seccomp.rule]]\nsyscall = \"exit_group\"\naction = \"allow\"\n\
                  args = [{ index = 0, op = \"eq\", value = 0 }]\n";
    for out in case("sc-exit0", policy, &["exit:0"]).run_both() {
        expect_started(&out);
        out.expect_success();
        out.check(
            !out.stderr.contains("sandbox:"),
            "no sandbox line on a clean exit",
        );
    }
    for out in case("sc-exit3", policy, &["exit:3"]).run_both() {
        expect_started(&out);
        let line = expect_killed(&out, "exit_group (231)");
        out.check(line.contains("seccomp.rule"), "the hint points at the rule");
    }
}

#[test]
fn every_argument_op() {
    // getppid ignores its arguments, but the filter sees them: a rule on argument 1 decides
    // between the errno and the default (allow).
    let cases: [(&str, &str, &[&str], &[&str]); 7] = [
        ("eq", "", &["10"], &["9", "11", "0x10000000a"]),
        ("ne", "", &["9", "0x10000000a"], &["10"]),
        ("lt", "", &["0", "9"], &["10", "0x100000000"]),
        ("le", "", &["10"], &["11"]),
        ("gt", "", &["11", "-1"], &["10"]),
        ("ge", "", &["10", "0x100000000"], &["9"]),
        (
            "masked_eq",
            ", mask = 0xff",
            &["10", "0x10a", "0xffffff0a"],
            &["11", "0x1ff"],
        ),
    ];
    for (op, extra, matching, other) in cases {
        let policy = format!(
            "[seccomp]\ndefault_action = \"allow\"\n[[seccomp.rule]]\nsyscall = \"getppid\"\n\
             action = \"errno:ENOTTY\"\nargs = [{{ index = 1, op = \"{op}\", value = 10{extra} }}]\n"
        );
        let steps: Vec<String> = matching
            .iter()
            .chain(other)
            .map(|v| format!("nr:110:0:{v}"))
            .collect();
        let steps: Vec<&str> = steps.iter().map(String::as_str).collect();
        for out in case("sc-op", &policy, &steps).run_both() {
            out.expect_success();
            for v in matching {
                out.expect_fact(&format!("nr:110:0:{v}"), "ENOTTY");
            }
            for v in other {
                let got = out.fact(&format!("nr:110:0:{v}"));
                out.check(
                    got.starts_with("ok:"),
                    format_args!("{op} 10 must not match {v}: {got}"),
                );
            }
        }
    }
}

// ---- groups

#[test]
fn groups_are_expanded() {
    // An allowlist made of groups: getpid is in @default, uname in none of them.
    let policy = "[seccomp]\nallow = [\"@default\", \"@basic-io\", \"@signal\"]\n";
    for out in case("sc-groups-allow", policy, &["nr:39", "nr:186", "nr:63"]).run_both() {
        out.check(out.fact("nr:39").starts_with("ok:"), "getpid via @default");
        out.check(out.fact("nr:186").starts_with("ok:"), "gettid via @default");
        expect_killed(&out, "uname (63)");
    }
    // A deny group: keyctl (250) is in @keyring, gettid is not.
    let policy = "[seccomp]\ndefault_action = \"allow\"\ndeny = [\"@keyring\"]\ndeny_action = \"errno:ENOTTY\"\n";
    for out in case("sc-groups-deny", policy, &["nr:250", "nr:248", "nr:186"]).run_both() {
        out.expect_success();
        out.expect_fact("nr:250", "ENOTTY")
            .expect_fact("nr:248", "ENOTTY");
        out.check(
            out.fact("nr:186").starts_with("ok:"),
            "gettid is not in @keyring",
        );
    }
}

// ---- always-on rules

#[test]
fn x32_and_int80_syscalls_are_killed_whatever_the_policy() {
    let empty = Case::new("sc-abi", FIXTURE);
    let allow_all = Case::new("sc-abi", FIXTURE).policy("[seccomp]\ndefault_action = \"allow\"\n");
    let builtin = Case::new("sc-abi", FIXTURE).default_policy();
    for base in [empty, allow_all, builtin] {
        for out in base.clone().args(["nr:39", "x32:39"]).run_both() {
            out.check(out.fact("nr:39").starts_with("ok:"), "a native call passes");
            let line = expect_killed(&out, "x32 getpid (0x40000027)");
            out.check(line.contains("another ABI"), "the hint explains");
        }
        for out in base.clone().args(["int80:20"]).run_both() {
            expect_started(&out);
            expect_killed(&out, "i386 getpid (20)");
        }
    }
}

#[test]
fn tiocsti_and_tioclinux_are_refused_on_a_real_pty() {
    let steps = ["pty", "tcgets", "tiocsti", "tiocsti_high", "tioclinux"];
    // Even a policy that allows ioctl, and one that allows TIOCSTI by a rule.
    for policy in [
        "",
        "[seccomp]\ndefault_action = \"allow\"\n",
        "[seccomp]\ndefault_action = \"allow\"\n[[seccomp.rule]]\nsyscall = \"ioctl\"\naction = \"allow\"\n\
         args = [{ index = 1, op = \"eq\", value = 0x5412 }]\n",
    ] {
        for out in case("sc-tiocsti", policy, &steps).run_both() {
            out.expect_success();
            out.check(out.fact("pty").starts_with("ok:"), "the pty opens");
            out.expect_fact("tcgets", "ok:0");
            out.expect_fact("tiocsti", "EPERM").expect_fact("tiocsti_high", "EPERM").expect_fact("tioclinux", "EPERM");
        }
    }
    // Without the sandbox the same calls are not refused with EPERM: the EPERM above is the
    // filter's (TIOCSTI works on one's controlling terminal, TIOCLINUX is no pty request).
    for out in Case::new("sc-tiocsti-bare", FIXTURE)
        .no_preload()
        .args(steps)
        .run_both()
    {
        out.expect_success();
        for step in ["tiocsti", "tiocsti_high", "tioclinux"] {
            out.check(
                out.fact(step) != "EPERM",
                format_args!("{step} without the sandbox"),
            );
        }
    }
}

// ---- the built-in default policy

#[test]
fn the_default_deny_list_refuses_its_calls() {
    // (step, result in the sandbox, result without it where it differs from EPERM)
    let calls: [(&str, &str, Option<&str>); 12] = [
        ("nr:272:0", "EPERM", Some("ok:")),         // unshare(0)
        ("nr:308:-1", "EPERM", Some("EBADF")),      // setns(-1, 0)
        ("nr:101:2", "EPERM", Some("ESRCH")),       // ptrace(PTRACE_PEEKDATA, 0)
        ("nr:135:0x40000", "EPERM", Some("ok:")),   // personality(ADDR_NO_RANDOMIZE)
        ("nr:135:0xffffffff", "ok:0", Some("ok:")), // personality query
        ("clone3", "ENOSYS", Some("EINVAL")),       // clone3(NULL, 0)
        ("clone_newuser", "EPERM", None),           // clone(CLONE_NEWUSER)
        ("nr:165", "EPERM", None),                  // mount
        ("nr:175", "EPERM", None),                  // init_module
        ("nr:246", "EPERM", None),                  // kexec_load
        ("nr:250", "EPERM", None),                  // keyctl
        ("nr:425", "EPERM", None),                  // io_uring_setup
    ];
    let steps: Vec<&str> = calls.iter().map(|(s, _, _)| *s).collect();
    for out in Case::new("sc-default", FIXTURE)
        .default_policy()
        .args(steps.iter().copied())
        .run_both()
    {
        out.expect_success();
        for (step, expected, _) in calls {
            out.expect_fact(step, expected);
        }
    }
    // personality(ADDR_NO_RANDOMIZE) turned ASLR off for the bare run's own process only.
    let bare: Vec<&str> = calls
        .iter()
        .filter(|(_, _, b)| b.is_some())
        .map(|(s, _, _)| *s)
        .collect();
    for out in Case::new("sc-default-bare", FIXTURE)
        .no_preload()
        .args(bare.iter().copied())
        .run_both()
    {
        for (step, _, without) in calls {
            if let Some(without) = without {
                let got = out.fact(step);
                out.check(
                    got.starts_with(without),
                    format_args!("{step} without the sandbox: {got}"),
                );
            }
        }
    }
}

// ---- the in-process advantage

#[test]
fn a_policy_denying_execve_still_starts_the_program() {
    let policy =
        system() + "[seccomp]\ndefault_action = \"allow\"\ndeny = [\"execve\", \"execveat\"]\n";
    for out in case("sc-noexec", &policy, &["nr:39", "execve:/bin/true"]).run_both() {
        expect_started(&out);
        out.check(out.fact("nr:39").starts_with("ok:"), "main ran");
        expect_killed(&out, "execve (59)");
    }
}

#[test]
fn a_strict_allowlist_needs_neither_close_nor_rt_sigprocmask() {
    // Only what main itself does: the sandbox's own last steps need nothing more.
    let policy =
        "[seccomp]\ndefault_action = \"kill_process\"\nallow = [\"write\", \"exit_group\"]\n";
    for out in case("sc-strict", policy, &["exit:0"]).run_both() {
        expect_started(&out);
        out.expect_success();
        out.check(out.stderr.is_empty(), "nothing on stderr");
    }
    // With an inherited descriptor kept on 3 the report pipe moves to 4; close stays
    // refused for every other descriptor.
    let policy = format!("[process]\nkeep_fds = [3]\n{policy}")
        .replace("[\"write\"", "[\"read\", \"write\"");
    let case = Case::new("sc-strict-keep", FIXTURE)
        .policy(policy)
        .file("kept", "x")
        .inherit_fd(3, "{dir}/kept")
        .args(["nr:0:3", "nr:3:3"]);
    for out in case.run_both() {
        out.check(
            out.fact("nr:0:3").starts_with("ok:"),
            "fd 3 is kept and readable",
        );
        expect_killed(&out, "close (3)");
    }
}

// ---- bad input

#[test]
fn bad_seccomp_policies_exit_125_before_the_program_runs() {
    let rule = |body: &str| {
        format!("[seccomp]\n[[seccomp.rule]]\nsyscall = \"write\"\naction = \"allow\"\n{body}")
    };
    let cases: Vec<(String, usize, &str)> = vec![
        ("[seccomp]\nallow = [\"read\", \"opne\"]\n".into(), 2, "opne"),
        ("[seccomp]\nallow = [\"@basic-oi\"]\n".into(), 2, "@basic-oi"),
        ("[seccomp]\ndefault_action = \"allow\"\ndeny = [\"socketcall\"]\n".into(), 3, "socketcall"),
        ("[seccomp]\ndefault_action = \"errno:EWHAT\"\n".into(), 2, "EWHAT"),
        ("[seccomp]\ndefault_action = \"deny\"\n".into(), 2, "deny"),
        ("[seccomp]\ndeny_action = \"allow\"\ndefault_action = \"allow\"\ndeny = [\"ptrace\"]\n".into(), 1, "deny_action"),
        ("[seccomp]\ndeny = [\"ptrace\"]\n".into(), 2, "seccomp.deny"),
        ("[seccomp]\nalow = [\"read\"]\n".into(), 2, "alow"),
        (rule("args = [{ index = 6, op = \"eq\", value = 0 }]\n"), 5, "index"),
        (rule("args = [{ index = 0, op = \"approx\", value = 0 }]\n"), 5, "approx"),
        (rule("args = [{ index = 0, op = \"masked_eq\", value = 0 }]\n"), 5, "mask"),
        (rule("args = [{ index = 0, op = \"gt\", value = 0 }, { index = 0, op = \"lt\", value = 9 }]\n"), 3, "compared twice"),
        (rule("argz = []\n"), 5, "argz"),
        (
            "[seccomp]\nallow = [\"write\"]\n[[seccomp.rule]]\nsyscall = \"write\"\naction = \"allow\"\n\
             args = [{ index = 0, op = \"eq\", value = 1 }]\n"
                .into(),
            4,
            "seccomp.allow line 2",
        ),
        (
            "[[seccomp.rule]]\nsyscall = \"write\"\naction = \"allow\"\nargs = [{ index = 0, op = \"eq\", value = 1 }]\n\
             [[seccomp.rule]]\nsyscall = \"write\"\naction = \"errno:EPERM\"\nargs = [{ index = 2, op = \"gt\", value = 9 }]\n"
                .into(),
            6,
            "different actions",
        ),
        ("[[seccomp.rule]]\nsyscall = \"@basic-io\"\naction = \"allow\"\n".into(), 2, "group"),
    ];
    for (policy, line, word) in cases {
        for out in case("sc-bad", &policy, &["nr:39"]).run_both() {
            let l = out.expect_policy_error();
            out.check(
                out.opt_fact("started").is_none(),
                "the program must not run",
            );
            out.check(
                l.contains(word),
                format_args!("the line should mention `{word}`"),
            );
            out.check(
                l.contains(&format!("line {line}")),
                format_args!("the line should give line {line}"),
            );
        }
    }
}

// ---- diagnostics

#[test]
fn debug_log_prints_the_filter_as_pfc() {
    let policy = "[seccomp]\nallow = [\"write\", \"exit_group\"]\n";
    let case = case("sc-debug", policy, &["exit:0"]).env("SANDBOX_LOG", "debug");
    for out in case.run_both() {
        out.expect_success();
        for needle in [
            "always-on prologue",
            "pseudo filter code start",
            "filter for syscall \"write\"",
            "action KILL_PROCESS;",
        ] {
            out.check(
                out.stderr.contains(needle),
                format_args!("debug output lacks `{needle}`"),
            );
        }
        out.check(
            out.stderr.lines().all(|l| l.starts_with("sandbox: ")),
            "every diagnostic line is prefixed",
        );
    }
}
