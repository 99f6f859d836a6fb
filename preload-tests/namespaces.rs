//! `[namespaces]`: each kind is switchable. The program's /proc/self/ns/KIND links
//! are compared with the host's (this test process's): a new namespace has another
//! inode, a shared one the same. Defaults: every kind but time.

use std::fs;

use crate::harness::{world, Case, Outcome};

/// (policy key, /proc/self/ns name)
const KINDS: [(&str, &str); 8] = [
    ("user", "user"),
    ("mount", "mnt"),
    ("pid", "pid"),
    ("net", "net"),
    ("ipc", "ipc"),
    ("uts", "uts"),
    ("cgroup", "cgroup"),
    ("time", "time"),
];

fn host_ns(name: &str) -> String {
    fs::read_link(format!("/proc/self/ns/{name}"))
        .unwrap()
        .display()
        .to_string()
}

/// Check that exactly the kinds in `new` are new namespaces.
fn expect_namespaces(out: &Outcome, new: &[&str]) {
    for (key, name) in KINDS {
        let inside = out.fact(&format!("ns.{name}"));
        let host = host_ns(name);
        if new.contains(&key) {
            out.check(
                inside != host,
                format_args!("expected a new {key} namespace, got the host's {host}"),
            );
        } else {
            out.check(
                inside == host,
                format_args!("expected the host's {key} namespace {host}, got {inside}"),
            );
        }
    }
}

#[test]
fn every_namespace_but_time_by_default() {
    for out in Case::new("ns-default", "facts").run_both() {
        out.expect_success();
        expect_namespaces(
            &out,
            &["user", "mount", "pid", "net", "ipc", "uts", "cgroup"],
        );
    }
}

#[test]
fn time_namespace_on_request() {
    for out in Case::new("ns-time", "facts")
        .policy("[namespaces]\ntime = true\n")
        .run_both()
    {
        out.expect_success();
        expect_namespaces(
            &out,
            &[
                "user", "mount", "pid", "net", "ipc", "uts", "cgroup", "time",
            ],
        );
    }
}

#[test]
fn each_namespace_but_user_can_be_turned_off() {
    let all = ["user", "mount", "pid", "net", "ipc", "uts", "cgroup"];
    for off in ["mount", "pid", "net", "ipc", "uts", "cgroup"] {
        let mut policy = format!("[namespaces]\n{off} = false\n");
        if off == "pid" {
            // Without a pid namespace there is no fresh /proc: bind the host's to look.
            policy += &crate::harness::policy::bind("/proc", "/proc");
        }
        let case = Case::new(&format!("ns-no-{off}"), "facts").policy(policy);
        let new: Vec<&str> = all.iter().copied().filter(|k| *k != off).collect();
        for out in case.run_both() {
            out.expect_success();
            expect_namespaces(&out, &new);
        }
    }
}

#[test]
fn without_a_user_namespace_root_runs_and_an_unprivileged_caller_is_refused() {
    let case = Case::new("ns-no-user", "facts").policy("[namespaces]\nuser = false\n");
    for user in &world().users {
        let out = case.run_as(user);
        if user.is_root() {
            // Real root may make the other namespaces itself; capabilities are still dropped.
            out.expect_success()
                .expect_fact("uid", "0")
                .expect_fact("pid", "2");
            expect_namespaces(&out, &["mount", "pid", "net", "ipc", "uts", "cgroup"]);
            for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
                out.expect_fact(set, "0000000000000000");
            }
        } else {
            // The kernel refuses the namespaces: fail closed, main never runs.
            out.expect_policy_error();
            out.check(
                out.opt_fact("pid").is_none(),
                "main ran although the sandbox could not be made",
            );
        }
    }
}

#[test]
fn defaults_of_proc_and_dev_follow_the_namespaces() {
    // No pid namespace: no /proc by default (the root is still an empty tmpfs).
    let case = Case::new("ns-no-pid-proc", "facts")
        .policy("[namespaces]\npid = false\n")
        .args(["stat=/proc", "stat=/dev/null"]);
    for out in case.run_both() {
        out.expect_success().expect_fact("stat:/proc", "ENOENT");
        out.check(
            out.fact("stat:/dev/null").starts_with("chr "),
            "/dev is still made with a mount namespace",
        );
    }
    // No mount namespace: the program sees the host's file system as it is.
    let case = Case::new("ns-no-mount", "facts")
        .file("visible.txt", "host file")
        .policy("[namespaces]\nmount = false\n")
        .args(["cat={dir}/visible.txt"]);
    for out in case.run_both() {
        out.expect_success();
        let dir = out.dir().display().to_string();
        out.expect_fact(&format!("cat:{dir}/visible.txt"), "host file")
            .expect_fact("cwd", &dir);
    }
}
