//! Fail closed: every bad policy makes the outer process exit 125 with exactly one
//! stderr line `sandbox: error: <what failed>: <why> (<hint>)`, and the program's
//! main never runs. The program is `marker {dir}/out/ran`; `{dir}/out` is bound
//! writable at the same path whenever the policy allows it, so a main that ran
//! anyway — sandboxed or not — leaves the file on the host.

use crate::harness::policy::out;
use crate::harness::{world, Case, Outcome};

/// Run the marker under `policy` as every user and check the failure contract.
fn refused(name: &str, policy: impl Into<String>) -> Vec<Outcome> {
    refused_case(Case::new(name, "marker").policy(policy))
}

fn refused_case(case: Case) -> Vec<Outcome> {
    let outcomes = case.arg("{dir}/out/ran").run_both();
    for out in &outcomes {
        check_refused(out);
    }
    outcomes
}

fn check_refused(out: &Outcome) {
    let line = out.expect_policy_error();
    let rest = &line["sandbox: error: ".len()..];
    out.check(
        rest.contains(": ") && rest.contains(" (") && rest.ends_with(')'),
        "the error line must read `sandbox: error: <what failed>: <why> (<hint>)`",
    );
    out.check(
        out.opt_fact("marker").is_none(),
        "main ran: it printed marker=",
    );
    out.check(
        !out.dir().join("out/ran").exists(),
        "main ran: the marker file exists on the host",
    );
}

/// The error line of each outcome.
fn lines(outcomes: &[Outcome]) -> Vec<(&Outcome, &str)> {
    outcomes.iter().map(|o| (o, o.stderr.trim_end())).collect()
}

/// Does `text` contain `number` as a whole number (not part of a longer one)?
fn mentions_number(text: &str, number: u32) -> bool {
    let n = number.to_string();
    text.match_indices(&n).any(|(i, _)| {
        let before = text[..i].chars().last();
        let after = text[i + n.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

fn expect_mentions(outcomes: &[Outcome], words: &[&str]) {
    for (out, line) in lines(outcomes) {
        for word in words {
            out.check(
                line.contains(word),
                format_args!("the error line must mention `{word}`"),
            );
        }
    }
}

#[test]
fn control_a_valid_policy_runs_main_and_the_marker_reaches_the_host() {
    for out in Case::new("marker-control", "marker")
        .policy(out())
        .arg("{dir}/out/ran")
        .run_both()
    {
        out.expect_success().expect_fact("marker", "written");
        out.check(
            out.dir().join("out/ran").is_file(),
            "the marker file is missing on the host",
        );
    }
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let policy = "# a policy with a typo\n\
                  [namespaces]\n\
                  user = true\n\
                  \n\
                  [process]\n\
                  new_session = false\n\
                  new_sesion = true\n\
                  \n"
    .to_string()
        + &out();
    let outcomes = refused("unknown-key", policy);
    expect_mentions(&outcomes, &["new_sesion"]);
    for (out, line) in lines(&outcomes) {
        out.check(
            mentions_number(line, 7),
            "the error line must give the key's line number, 7",
        );
    }
}

#[test]
fn unknown_key_in_a_mount_entry_and_unknown_section() {
    let policy =
        "[[mount]]\ntype = \"bind\"\nsource = \"{dir}/out\"\nwritable = true\nwriteable = true\n";
    let outcomes = refused("unknown-mount-key", policy);
    expect_mentions(&outcomes, &["writeable"]);
    for (out, line) in lines(&outcomes) {
        out.check(
            mentions_number(line, 5),
            "the error line must give the key's line number, 5",
        );
    }
    let outcomes = refused("unknown-section", out() + "\n[bogus]\nx = 1\n");
    expect_mentions(&outcomes, &["bogus"]);
}

#[test]
fn invalid_toml_is_refused() {
    refused("bad-toml", out() + "[process\nnew_session = true\n");
}

#[test]
fn wrong_types_are_refused() {
    for bad in [
        "[process]\nnew_session = \"yes\"\n",
        "[rlimits]\nnofile = \"many\"\n",
        "[namespaces]\nuser = 1\n",
        "[process]\nkeep_fds = \"7\"\n",
        "[identity]\nuid = \"root\"\n",
    ] {
        refused("wrong-type", out() + "\n" + bad);
    }
}

#[test]
fn bad_sizes_are_refused() {
    for size in [
        "-1",
        "\"-1M\"",
        "0",
        "\"8388609T\"",
        "\"16777216T\"",
        "\"12Q\"",
        "\"lots\"",
    ] {
        let tmpfs = format!("[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\nsize = {size}\n");
        refused("bad-size", out() + "\n" + &tmpfs);
    }
    // More than 2^63 bytes where a limit is meant, in [rlimits] too.
    refused(
        "bad-rlimit-size",
        out() + "\n[rlimits]\nas = \"16777216T\"\n",
    );
    refused("bad-rlimit-size", out() + "\n[rlimits]\nfsize = -5\n");
}

#[test]
fn relative_paths_are_refused() {
    for bad in [
        "[[mount]]\ntype = \"dir\"\ntarget = \"relative/dir\"\n",
        "[[mount]]\ntype = \"bind\"\nsource = \"usr\"\ntarget = \"/usr\"\n",
        "[[mount]]\ntype = \"tmpfs\"\ntarget = \"tmp\"\n",
        "[filesystem]\ncwd = \"tmp\"\n",
    ] {
        refused("relative-path", out() + "\n" + bad);
    }
}

#[test]
fn paths_with_dot_dot_are_refused() {
    for bad in [
        "[[mount]]\ntype = \"dir\"\ntarget = \"/tmp/../etc\"\n",
        "[[mount]]\ntype = \"bind\"\nsource = \"{dir}/out/..\"\ntarget = \"/up\"\n",
        "[filesystem]\ncwd = \"/..\"\n",
    ] {
        refused("dotdot-path", out() + "\n" + bad);
    }
}

#[test]
fn bad_durations_are_refused() {
    for duration in ["\"10 parsecs\"", "\"5x\"", "\"-1s\"", "\"\"", "-3", "\"s\""] {
        refused(
            "bad-duration",
            out() + &format!("\n[process]\ntime_limit = {duration}\n"),
        );
    }
}

#[test]
fn bad_network_mode_is_refused() {
    let outcomes = refused("bad-net-mode", out() + "\n[network]\nmode = \"bridge\"\n");
    expect_mentions(&outcomes, &["bridge"]);
}

#[test]
fn bad_mount_type_is_refused() {
    refused(
        "bad-mount-type",
        out() + "\n[[mount]]\ntype = \"overlay\"\ntarget = \"/x\"\n",
    );
}

#[test]
fn net_and_network_mode_that_disagree_are_refused_naming_both() {
    for (net, mode) in [("false", "none"), ("true", "host")] {
        let policy =
            out() + &format!("\n[namespaces]\nnet = {net}\n\n[network]\nmode = \"{mode}\"\n");
        let outcomes = refused("net-conflict", policy);
        expect_mentions(&outcomes, &["namespaces.net", "network.mode"]);
    }
}

#[test]
fn hostname_without_uts_namespace_is_refused_naming_both() {
    let policy = out() + "\n[namespaces]\nuts = false\n\n[identity]\nhostname = \"box\"\n";
    let outcomes = refused("hostname-no-uts", policy);
    expect_mentions(&outcomes, &["identity.hostname", "namespaces.uts"]);
}

#[test]
fn proc_without_pid_namespace_is_refused_naming_both() {
    let policy = out() + "\n[namespaces]\npid = false\n\n[filesystem]\nproc = true\n";
    let outcomes = refused("proc-no-pid", policy);
    expect_mentions(&outcomes, &["filesystem.proc", "namespaces.pid"]);
}

#[test]
fn mounts_without_mount_namespace_are_refused_naming_both() {
    // The out() bind itself is the offending [[mount]] entry.
    let outcomes = refused(
        "mount-no-mountns",
        out() + "\n[namespaces]\nmount = false\n",
    );
    expect_mentions(&outcomes, &["namespaces.mount", "mount"]);
}

#[test]
fn missing_policy_file_is_refused() {
    refused_case(Case::new("policy-missing", "marker").policy_path("{dir}/does-not-exist.toml"));
}

#[test]
fn policy_path_that_is_a_directory_is_refused() {
    refused_case(Case::new("policy-dir", "marker").policy_path("{dir}/out"));
}

#[test]
fn unreadable_policy_file_is_refused() {
    // Mode 000 stops everybody but root (CAP_DAC_OVERRIDE reads it anyway), so only
    // the unprivileged variant applies here; the cases above cover root.
    let case = Case::new("policy-unreadable", "marker")
        .file_mode("policy-000.toml", out(), 0o000)
        .policy_path("{dir}/policy-000.toml")
        .arg("{dir}/out/ran");
    for user in world().users.iter().filter(|u| !u.is_root()) {
        check_refused(&case.run_as(user));
    }
}

#[test]
fn missing_bind_source_is_refused_unless_optional() {
    let policy =
        out() + "\n[[mount]]\ntype = \"bind\"\nsource = \"{dir}/missing\"\ntarget = \"/missing\"\n";
    let outcomes = refused("bind-missing", policy);
    expect_mentions(&outcomes, &["missing"]);
}

#[test]
fn a_process_that_is_already_multi_threaded_is_refused() {
    let outcomes = refused_case(Case::new("multi-threaded", "threads").policy(out()));
    for out in &outcomes {
        out.check(out.opt_fact("main").is_none(), "main ran");
    }
    expect_mentions(&outcomes, &["thread"]);
}

#[test]
fn a_cwd_that_does_not_exist_inside_is_refused() {
    refused(
        "cwd-missing",
        out() + "\n[filesystem]\ncwd = \"/nonexistent\"\n",
    );
}

#[test]
fn an_rlimit_above_the_hard_limit_is_refused_where_it_cannot_be_raised() {
    let hard = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .unwrap()
        .1;
    let wanted = hard + 1;
    let case = Case::new("rlimit-raise", "marker")
        .policy(out() + &format!("\n[rlimits]\nnofile = {wanted}\n"));
    let case = case.arg("{dir}/out/ran");
    for user in &world().users {
        let out = case.run_as(user);
        if user.is_root() && out.status == crate::harness::Status::Code(0) {
            // Real root may be allowed to raise it; then it must really be raised.
            continue;
        }
        check_refused(&out);
    }
}
