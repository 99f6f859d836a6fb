//! The process model seen from outside: exit status and signal deaths reproduced
//! on the outer process, signals forwarded inward, orphans reaped by init,
//! time_limit, die_with_parent, new_session, rlimits and inherited descriptors.

use std::thread;
use std::time::{Duration, Instant};

use crate::harness::host::marker_processes;
use crate::harness::{world, Case, Status};

#[test]
fn exit_codes_are_passed_through() {
    for code in [0, 1, 42, 255] {
        for out in Case::new("exit-code", "exitcode")
            .arg(code.to_string())
            .run_both()
        {
            out.expect_fact("pid", "2")
                .expect_fact("ending", &code.to_string())
                .expect_code(code);
        }
    }
}

#[test]
fn signal_deaths_are_reproduced_on_the_outer_process() {
    for (name, signal) in [
        ("SEGV", libc::SIGSEGV),
        ("ABRT", libc::SIGABRT),
        ("KILL", libc::SIGKILL),
        ("TERM", libc::SIGTERM),
    ] {
        for out in Case::new("exit-signal", "exitcode").arg(name).run_both() {
            out.expect_fact("pid", "2")
                .expect_fact("ending", name)
                .expect_status(Status::Signal(signal));
        }
    }
}

#[test]
fn signals_to_the_outer_process_reach_the_programs_handlers() {
    let sequence = [
        ("TERM", libc::SIGTERM),
        ("USR1", libc::SIGUSR1),
        ("HUP", libc::SIGHUP),
        ("INT", libc::SIGINT),
        ("USR2", libc::SIGUSR2),
        ("QUIT", libc::SIGQUIT),
        ("WINCH", libc::SIGWINCH),
        ("CONT", libc::SIGCONT),
    ];
    let case =
        Case::new("signals-forwarded", "signals").args(sequence.iter().map(|(name, _)| *name));
    for user in &world().users {
        let mut run = case.spawn_as(user);
        run.wait_for("ready", Duration::from_secs(10));
        // One at a time, each acknowledged before the next, so none can merge.
        for (name, signal) in sequence {
            run.signal(signal);
            let got = run.wait_for("signal", Duration::from_secs(5));
            assert_eq!(
                got, name,
                "sent SIG{name} to the outer process, the program saw SIG{got}"
            );
        }
        let out = run.finish();
        out.expect_success()
            .expect_fact("pid", "2")
            .expect_fact("all", "1");
    }
}

#[test]
fn a_forwarded_signal_without_handler_kills_program_and_outer_process() {
    for (name, signal) in [
        ("TERM", libc::SIGTERM),
        ("HUP", libc::SIGHUP),
        ("INT", libc::SIGINT),
    ] {
        let case = Case::new("signals-default", "sleeper").arg("30");
        for user in &world().users {
            let mut run = case.spawn_as(user);
            run.wait_for("ready", Duration::from_secs(10));
            run.signal(signal);
            let out = run.finish();
            out.expect_fact("pid", "2");
            out.check(
                out.status == Status::Signal(signal),
                format_args!("sent SIG{name} to the outer process; it should die from SIG{name} like the program"),
            );
            out.check(
                out.elapsed < Duration::from_secs(15),
                "the program kept sleeping",
            );
        }
    }
}

#[test]
fn killing_the_outer_process_leaves_nothing_behind() {
    // SIGKILL cannot be forwarded: the sandbox must still go away with its monitor
    // (the harness's leak check, with 5 s of grace, is the assertion).
    let case = Case::new("outer-killed", "sleeper")
        .args(["30", "fork"])
        .leak_grace(Duration::from_secs(5));
    for user in &world().users {
        let mut run = case.spawn_as(user);
        run.wait_for("ready", Duration::from_secs(10));
        run.signal(libc::SIGKILL);
        run.finish().expect_status(Status::Signal(libc::SIGKILL));
    }
}

#[test]
fn orphans_are_reaped_by_init() {
    for out in Case::new("zombies", "zombie").arg("5").run_both() {
        out.expect_success().expect_fact("orphans", "5");
        let parents = out.facts("orphan_parent");
        out.check(
            parents.iter().all(|p| *p == "1"),
            format_args!("orphans must be re-parented to PID 1: {parents:?}"),
        );
        out.expect_fact("reaped", "5")
            .expect_fact("unreaped", "0")
            .expect_fact("zombies", "0");
    }
}

#[test]
fn time_limit_kills_the_whole_sandbox() {
    let case = Case::new("time-limit", "sleeper")
        .policy("[process]\ntime_limit = \"1s\"\n")
        .args(["30", "fork"]);
    for out in case.run_both() {
        out.expect_code(137).expect_fact("pid", "2");
        out.check(
            out.opt_fact("ready") == Some("1"),
            "the program never started",
        );
        out.check(
            out.opt_fact("slept").is_none(),
            "the program was not stopped",
        );
        out.check(
            out.elapsed >= Duration::from_millis(900) && out.elapsed < Duration::from_secs(10),
            format_args!("a 1 s time limit ended the run after {:?}", out.elapsed),
        );
        let says_so = out
            .stderr
            .lines()
            .any(|l| l.starts_with("sandbox:") && l.to_lowercase().contains("time"));
        out.check(
            says_so,
            "expected a `sandbox:` line on stderr saying the time limit was hit",
        );
        // The leak check of the harness has already verified that the forked child is gone too.
    }
}

#[test]
fn time_limit_kills_a_program_that_handles_sigterm() {
    // `signals` catches TERM, INT, HUP, ... and would wait 15 s for a USR2.
    let case = Case::new("time-limit-term", "signals")
        .policy("[process]\ntime_limit = \"500ms\"\n")
        .arg("USR2");
    for out in case.run_both() {
        out.expect_code(137).expect_fact("ready", "1");
        out.check(
            out.elapsed < Duration::from_secs(10),
            "the time limit did not stop a program that handles SIGTERM",
        );
        out.check(
            out.opt_fact("timeout").is_none(),
            "the program ran into its own 15 s timeout",
        );
    }
}

#[test]
fn time_limit_in_milliseconds_not_reached() {
    let case = Case::new("time-limit-ok", "sleeper")
        .policy("[process]\ntime_limit = \"5000ms\"\n")
        .arg("0.1");
    for out in case.run_both() {
        out.expect_success()
            .expect_fact("pid", "2")
            .expect_fact("slept", "1");
    }
}

/// Start `sleeper-static parent <sleeper> 30`: a statically linked (so not
/// sandboxed) parent that launches the sandboxed sleeper; then SIGKILL the parent.
/// Returns the run of the parent and the instant it was killed.
fn kill_the_launcher(
    die_with_parent: Option<bool>,
    user: &crate::harness::world::User,
    seconds: &str,
) -> (crate::harness::case::Running, Instant) {
    let case = Case::new("die-with-parent", "sleeper-static")
        .policy(match die_with_parent {
            Some(value) => format!("[process]\ndie_with_parent = {value}\n"),
            None => String::new(), // the default: true
        })
        .args(["parent", "{bin}/sleeper", seconds])
        .leak_grace(Duration::from_secs(5));
    let mut run = case.spawn_as(user);
    run.wait_for("child", Duration::from_secs(10));
    let pid = run.wait_for("pid", Duration::from_secs(10));
    assert_eq!(pid, "2", "the launched sleeper is not sandboxed");
    run.wait_for("ready", Duration::from_secs(10));
    let sandboxed = marker_processes(run.marker());
    assert!(
        sandboxed.len() >= 2,
        "expected the launcher and the sandbox's processes, found {sandboxed:?}"
    );
    run.signal(libc::SIGKILL);
    (run, Instant::now())
}

#[test]
fn die_with_parent_kills_the_sandbox_with_its_launcher() {
    for (setting, user) in [Some(true), None]
        .into_iter()
        .flat_map(|s| world().users.iter().map(move |u| (s, u)))
    {
        let (run, killed) = kill_the_launcher(setting, user, "30");
        let marker = run.marker().to_string();
        let deadline = killed + Duration::from_secs(5);
        while !marker_processes(&marker).is_empty() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        let left = marker_processes(&marker);
        // finish() kills and reports leftovers too; this message says why they matter.
        assert!(
            left.is_empty(),
            "die_with_parent = {setting:?}: the launcher died but the sandbox lives on after 5 s ({}): {left:?}",
            user.label
        );
        let out = run.finish();
        out.expect_status(Status::Signal(libc::SIGKILL));
        out.check(
            out.opt_fact("slept").is_none(),
            "the sandboxed sleeper finished instead of dying",
        );
    }
}

#[test]
fn without_die_with_parent_the_sandbox_outlives_its_launcher() {
    for user in &world().users {
        let (run, _) = kill_the_launcher(Some(false), user, "3");
        thread::sleep(Duration::from_millis(1000));
        let alive = marker_processes(run.marker());
        let marker = run.marker().to_string();
        // The sleeper ends by itself after 3 s; wait for that before the leak check.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !marker_processes(&marker).is_empty() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
        }
        let out = run.finish();
        out.check(
            !alive.is_empty(),
            "with die_with_parent = false the sandbox died with its launcher",
        );
        out.expect_fact("slept", "1");
    }
}

#[test]
fn new_session_gives_the_program_its_own_session() {
    for out in Case::new("session-new", "facts")
        .policy("[process]\nnew_session = true\n")
        .run_both()
    {
        out.expect_success();
        // A session leader's sid is its own pid (2 inside the pid namespace).
        out.expect_fact("sid", out.fact("pid"));
    }
    for out in Case::new("session-kept", "facts").run_both() {
        out.expect_success();
        out.check(
            out.fact("sid") != out.fact("pid"),
            "without new_session the program must not lead a new session",
        );
    }
}

#[test]
fn rlimits_are_set_soft_equal_hard() {
    let policy =
        "[rlimits]\nnofile = 256\nnproc = 64\nfsize = \"100M\"\ncore = 0\ncpu = 10\nas = \"1G\"\n";
    let expected = [
        ("nofile", "256"),
        ("nproc", "64"),
        ("fsize", "104857600"),
        ("core", "0"),
        ("cpu", "10"),
        ("as", "1073741824"),
    ];
    for out in Case::new("rlimits", "facts").policy(policy).run_both() {
        out.expect_success();
        for (name, value) in expected {
            out.expect_fact(&format!("rlimit.{name}"), &format!("{value}/{value}"));
        }
    }
}

#[test]
fn inherited_fds_are_closed_except_keep_fds() {
    let base = Case::new("fds", "fds")
        .file("five.txt", "five")
        .file("seven.txt", "seven")
        .inherit_fd(5, "{dir}/five.txt")
        .inherit_fd(7, "{dir}/seven.txt")
        .args(["read=5", "read=7"]);
    for out in base
        .clone()
        .policy("[process]\nkeep_fds = [7]\n")
        .run_both()
    {
        out.expect_success()
            .expect_fact("fds", "0,1,2,7")
            .expect_fact("read.7", "seven");
        out.expect_fact("read.5", "!EBADF");
    }
    for out in base.run_both() {
        out.expect_success().expect_fact("fds", "0,1,2");
    }
}

#[test]
fn inherited_fds_reach_the_program_without_the_library() {
    // The control experiment: the harness really passes fds 5 and 7.
    let case = Case::new("fds-bare", "fds")
        .no_preload()
        .file("five.txt", "five")
        .file("seven.txt", "seven")
        .inherit_fd(5, "{dir}/five.txt")
        .inherit_fd(7, "{dir}/seven.txt")
        .args(["read=5"]);
    for out in case.run_both() {
        out.expect_success()
            .expect_fact("fds", "0,1,2,5,7")
            .expect_fact("read.5", "five");
    }
}

#[test]
fn signal_dispositions_mask_and_umask_are_inherited_unchanged() {
    let case = Case::new("inherit-attrs", "facts")
        .ignore_signal(libc::SIGINT)
        .block_signal(libc::SIGUSR2)
        .umask(0o027);
    let bare = case.clone().no_preload().run_both();
    for (out, bare) in case.run_both().iter().zip(&bare) {
        out.expect_success().expect_fact("pid", "2");
        // The control: the harness really started the program that way.
        bare.expect_fact("Umask", "0027");
        let ignored = u64::from_str_radix(bare.fact("SigIgn"), 16).unwrap();
        let blocked = u64::from_str_radix(bare.fact("SigBlk"), 16).unwrap();
        bare.check(
            ignored & (1 << (libc::SIGINT - 1)) != 0,
            "SIGINT is not ignored in the bare run",
        );
        bare.check(
            blocked & (1 << (libc::SIGUSR2 - 1)) != 0,
            "SIGUSR2 is not blocked in the bare run",
        );
        for key in ["SigIgn", "SigBlk", "Umask"] {
            out.expect_fact(key, bare.fact(key));
        }
    }
}

#[test]
fn a_closed_stdin_stays_closed() {
    let case = Case::new("stdin-closed", "facts").close_stdin();
    for bare in case.clone().no_preload().run_both() {
        bare.expect_success().expect_fact("fds", "1,2");
    }
    for out in case.run_both() {
        // Nothing of the sandbox's own may end up as the program's descriptor 0.
        out.expect_success()
            .expect_fact("pid", "2")
            .expect_fact("fds", "1,2");
    }
}
