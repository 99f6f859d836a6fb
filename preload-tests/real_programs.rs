//! Programs nobody here wrote run correctly under a policy that binds the host's
//! system directories read-only: sh, python3, ls, tar.

use std::process::Command;

use crate::harness::policy::{bind, out, system};
use crate::harness::Case;

#[test]
fn sh_runs_a_script() {
    let script = "echo hello from sh; echo uid=$(id -u); echo host=$(cat /proc/sys/kernel/hostname); echo pid=$$; exit 3";
    let case = Case::program("sh", "/bin/sh")
        .policy(system())
        .args(["-c", script]);
    for out in case.run_both() {
        out.expect_code(3);
        out.check(
            out.stdout.starts_with("hello from sh\n"),
            "sh did not print its first line",
        );
        out.expect_fact("uid", &out.user.uid.to_string())
            .expect_fact("host", "sandbox")
            .expect_fact("pid", "2");
    }
}

#[test]
fn python3_runs() {
    let code = "import os, socket, sys\n\
                print('pid=%d' % os.getpid())\n\
                print('host=%s' % socket.gethostname())\n\
                print('ifaces=%s' % ','.join(sorted(n for _, n in socket.if_nameindex())))\n\
                print('ld_preload=%s' % os.environ.get('LD_PRELOAD', '<unset>'))\n\
                print('stdin=%s' % sys.stdin.read().strip())\n\
                sys.exit(7)";
    let case = Case::program("python3", "/usr/bin/python3")
        .policy(system())
        .stdin("from the test\n")
        .args(["-c", code]);
    for out in case.run_both() {
        out.expect_code(7);
        out.expect_fact("pid", "2")
            .expect_fact("host", "sandbox")
            .expect_fact("ifaces", "lo");
        out.expect_fact("ld_preload", "<unset>")
            .expect_fact("stdin", "from the test");
    }
}

#[test]
fn ls_lists_the_new_root() {
    let case = Case::program("ls", "/bin/ls")
        .policy(system())
        .args(["-1a", "/"]);
    for out in case.run_both() {
        out.expect_success();
        let mut entries: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| *l != "." && *l != "..")
            .collect();
        entries.sort();
        let mut expected: Vec<&str> = [
            "bin", "dev", "etc", "lib", "lib32", "lib64", "proc", "sbin", "tmp", "usr",
        ]
        .into_iter()
        .filter(|e| {
            matches!(*e, "dev" | "proc" | "tmp") || std::path::Path::new("/").join(e).exists()
        })
        .collect();
        expected.sort();
        out.check(
            entries == expected,
            format_args!("ls / listed {entries:?}, expected {expected:?}"),
        );
    }
}

#[test]
fn tar_packs_a_read_only_bind_and_unpacks_into_a_writable_one() {
    let policy = system() + &bind("{dir}/data", "/data") + &out();
    let case = Case::program("tar", "/bin/tar")
        .policy(policy)
        .file("data/a.txt", "alpha\n")
        .file("data/sub/b.txt", "beta\n")
        .args(["-cf", "{dir}/out/data.tar", "-C", "/data", "."]);
    for out in case.run_both() {
        out.expect_success();
        let archive = out.dir().join("out/data.tar");
        let listing = Command::new("tar")
            .arg("-tf")
            .arg(&archive)
            .output()
            .expect("run tar -tf");
        let listing = String::from_utf8_lossy(&listing.stdout);
        for name in ["./a.txt", "./sub/b.txt"] {
            out.check(
                listing.lines().any(|l| l == name),
                format_args!("{name} missing from the archive: {listing}"),
            );
        }
    }

    // And back: unpack an archive (on stdin) into the writable bind.
    let archive = Command::new("tar")
        .args(["-cf", "-", "-C", "/etc", "hostname"])
        .output()
        .expect("run tar -cf");
    let case = Case::program("untar", "/bin/tar")
        .policy(system() + &out())
        .stdin(archive.stdout)
        .args(["--no-same-owner", "-xf", "-", "-C", "{dir}/out"]);
    for out in case.run_both() {
        out.expect_success();
        let unpacked = std::fs::read(out.dir().join("out/hostname")).unwrap_or_default();
        out.check(
            unpacked == std::fs::read("/etc/hostname").unwrap(),
            "the unpacked file differs from /etc/hostname",
        );
    }
}

#[test]
fn background_processes_end_with_the_program() {
    // The program exits at once, leaving a `sleep 30` behind in the sandbox: the
    // outer process still exits with the program's status, without waiting, and the
    // harness's leak check sees the sleep gone.
    let case = Case::program("background", "/bin/sh")
        .policy(system())
        .args(["-c", "sleep 30 & echo started=1; exit 5"]);
    for out in case.run_both() {
        out.expect_code(5).expect_fact("started", "1");
        out.check(
            out.elapsed < std::time::Duration::from_secs(10),
            "the outer process waited for the background sleep",
        );
    }
}
