//! Who and where the program is: ids from `[identity]`, hostname, the pid layout
//! (init is PID 1, the program PID 2), and the always-on hardening of capabilities
//! and no_new_privs.

use crate::harness::Case;

#[test]
fn uid_and_gid_default_to_the_callers() {
    for out in Case::new("ids-default", "facts").run_both() {
        out.expect_success().expect_fact("pid", "2");
        let (uid, gid) = (out.user.uid.to_string(), out.user.gid.to_string());
        out.expect_fact("uid", &uid).expect_fact("euid", &uid);
        out.expect_fact("gid", &gid).expect_fact("egid", &gid);
    }
}

#[test]
fn uid_zero_is_configurable() {
    let case = Case::new("ids-zero", "facts").policy("[identity]\nuid = 0\ngid = 0\n");
    for out in case.run_both() {
        out.expect_success();
        out.expect_fact("uid", "0")
            .expect_fact("euid", "0")
            .expect_fact("gid", "0")
            .expect_fact("egid", "0");
    }
}

#[test]
fn any_uid_and_gid_are_configurable() {
    let case = Case::new("ids-other", "facts").policy("[identity]\nuid = 4242\ngid = 4343\n");
    for out in case.run_both() {
        out.expect_success();
        out.expect_fact("uid", "4242").expect_fact("euid", "4242");
        out.expect_fact("gid", "4343").expect_fact("egid", "4343");
    }
}

#[test]
fn hostname_defaults_to_sandbox() {
    for out in Case::new("hostname-default", "facts").run_both() {
        out.expect_success().expect_fact("hostname", "sandbox");
    }
}

#[test]
fn hostname_is_configurable() {
    let case = Case::new("hostname-set", "facts").policy("[identity]\nhostname = \"box-1\"\n");
    for out in case.run_both() {
        out.expect_success().expect_fact("hostname", "box-1");
    }
}

#[test]
fn hostname_is_the_hosts_without_a_uts_namespace() {
    let host = nix::unistd::gethostname()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let case = Case::new("hostname-host", "facts").policy("[namespaces]\nuts = false\n");
    for out in case.run_both() {
        out.expect_success()
            .expect_fact("pid", "2")
            .expect_fact("hostname", &host);
    }
}

#[test]
fn program_is_pid_2_child_of_init_pid_1() {
    for out in Case::new("pid-layout", "facts").run_both() {
        out.expect_success()
            .expect_fact("pid", "2")
            .expect_fact("ppid", "1");
    }
}

#[test]
fn host_processes_are_invisible() {
    for out in Case::new("pids-visible", "facts").run_both() {
        out.expect_success();
        // Only the sandbox's init and the program itself.
        out.expect_fact("pids", "1,2");
    }
}

fn caps_are_empty(out: &crate::harness::Outcome) {
    for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        let value = out.fact(set);
        let bits = u64::from_str_radix(value, 16).unwrap_or(u64::MAX);
        out.check(bits == 0, format_args!("{set} must be empty, got {value}"));
    }
}

#[test]
fn every_capability_set_is_empty() {
    for out in Case::new("caps", "facts").run_both() {
        out.expect_success();
        caps_are_empty(&out);
    }
}

#[test]
fn capability_sets_are_empty_even_for_uid_0_inside() {
    for out in Case::new("caps-uid0", "facts")
        .policy("[identity]\nuid = 0\ngid = 0\n")
        .run_both()
    {
        out.expect_success().expect_fact("uid", "0");
        caps_are_empty(&out);
    }
}

#[test]
fn capability_sets_are_empty_with_the_default_policy() {
    for out in Case::new("caps-default-policy", "facts")
        .default_policy()
        .run_both()
    {
        out.expect_success();
        caps_are_empty(&out);
    }
}

#[test]
fn the_sandbox_starts_no_thread_in_the_programs_process() {
    for out in Case::new("threads-none", "facts").run_both() {
        out.expect_success().expect_fact("Threads", "1");
    }
}

#[test]
fn no_new_privs_is_set() {
    for out in Case::new("nnp", "facts").run_both() {
        out.expect_success().expect_fact("NoNewPrivs", "1");
    }
}
