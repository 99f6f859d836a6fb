//! Checks of the harness itself, run bare (without the library): each user variant
//! really runs as that user, and a process left behind is caught.

use std::panic;
use std::time::Duration;

use crate::harness::host::marker_processes;
use crate::harness::{world, Case};

#[test]
fn variants_run_as_their_user_with_only_stdio_open() {
    let users = world().users.iter().map(|u| u.label).collect::<Vec<_>>();
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        assert_eq!(users, ["root", "unprivileged"]);
    }
    for out in Case::new("bare-identity", "facts").no_preload().run_both() {
        out.expect_success();
        out.expect_fact("uid", &out.user.uid.to_string())
            .expect_fact("euid", &out.user.uid.to_string());
        out.expect_fact("gid", &out.user.gid.to_string())
            .expect_fact("fds", "0,1,2");
        if out.user.via_setpriv {
            out.expect_fact("groups", "");
        }
        out.check(
            out.fact("pid") != "2" || out.fact("ppid") != "1",
            "a bare run looks sandboxed",
        );
    }
}

#[test]
fn a_process_left_behind_fails_the_case() {
    let case = Case::program("leak", "/bin/sh")
        .no_preload()
        .args(["-c", "sleep 30 >/dev/null 2>&1 </dev/null & echo started=1"])
        .leak_grace(Duration::from_millis(300));
    let user = &world().users[0];
    let result = panic::catch_unwind(|| case.run_as(user));
    let message = match result {
        Ok(out) => panic!("the leaked `sleep 30` went unnoticed\n{out}"),
        Err(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    };
    assert!(
        message.contains("left behind on the host") && message.contains("sleep 30"),
        "unexpected failure: {message}"
    );
    // The harness killed it.
    let still = marker_processes("leak-");
    assert!(
        still.iter().all(|(_, cmd)| !cmd.contains("sleep 30")),
        "the leaked process was not killed: {still:?}"
    );
}
