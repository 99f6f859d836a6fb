//! Planning on made-up hosts: the version, the place, the no-internal-processes rule,
//! delegation, and every bad value with its key and line.

use super::probe::{Parent, ParentKind, V1Dir, V1Hierarchy, V2Dir, V2Host};
use super::*;
use crate::policy::Caller;
use nix::errno::Errno;
use std::path::Path;

fn policy(text: &str) -> Policy {
    Policy::from_toml(text, "/p.toml", &Caller { uid: 1000, gid: 1000 }).unwrap()
}

fn v2dir(path: &str, controllers: &str) -> V2Dir {
    V2Dir {
        path: path.into(),
        is_root: path == "/sys/fs/cgroup",
        controllers: controllers.split_whitespace().map(String::from).collect(),
        subtree_control: vec![],
        writable: Ok(()),
        other_procs: 0,
        holds_self: true,
    }
}

/// A pure cgroup-v2 host, the caller (root) in the root cgroup, as in the test VM.
fn v2_root() -> Facts {
    Facts {
        euid: 0,
        pid: 42,
        start_time: 777,
        online_cpus: vec![0, 1],
        v2: Some(V2Host { mount: "/sys/fs/cgroup".into(), own: Some(v2dir("/sys/fs/cgroup", "cpuset cpu io memory pids")) }),
        v1: vec![],
        parent: None,
    }
}

/// A plain user in a session scope of systemd: not writable, shared with the shell.
fn v2_user_session() -> Facts {
    let mut f = v2_root();
    f.euid = 1000;
    let mut own = v2dir("/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope", "memory pids");
    own.writable = Err(Errno::EACCES);
    own.other_procs = 3;
    f.v2.as_mut().unwrap().own = Some(own);
    f
}

/// This development machine: v1 controllers, an empty unified hierarchy, root.
fn hybrid() -> Facts {
    let h = |c: &[&str], own: &str| V1Hierarchy {
        controllers: c.iter().map(|s| s.to_string()).collect(),
        mount: format!("/sys/fs/cgroup/{}", c.join(",")).into(),
        own: Some(V1Dir { path: format!("/sys/fs/cgroup/{}{own}", c.join(",")).into(), writable: Ok(()) }),
        parent: None,
    };
    Facts {
        euid: 0,
        pid: 42,
        start_time: 777,
        online_cpus: vec![0, 1],
        v2: Some(V2Host { mount: "/sys/fs/cgroup/unified".into(), own: Some(v2dir("/sys/fs/cgroup/unified", "")) }),
        v1: vec![h(&["cpu"], ""), h(&["cpuacct"], ""), h(&["cpuset"], ""), h(&["memory"], "/process_api/x"), h(&["freezer"], ""), h(&["pids"], "")],
        parent: None,
    }
}

const LIMITS: &str = "[cgroup]\nmemory_max = \"64M\"\nmemory_swap_max = 0\npids_max = 32\ncpus = 0.5\ncpuset_cpus = \"0\"\n";

#[test]
fn v2_root_cgroup_enables_controllers_without_moving() {
    let s = plan(&policy(LIMITS), Some(&v2_root())).unwrap().unwrap();
    assert_eq!(s.name, "libsandbox-42-777");
    assert!(s.required);
    let Place::V2 { parent, enable, move_self } = &s.place else { panic!("{s:?}") };
    assert_eq!(parent, Path::new("/sys/fs/cgroup"));
    assert!(!move_self, "the root cgroup is exempt from the no-internal-processes rule");
    let names: Vec<_> = enable.iter().map(|(c, r)| (c.name(), *r)).collect();
    assert_eq!(names, [("memory", true), ("pids", true), ("cpu", true), ("cpuset", true)]);
    assert_eq!(s.limits.cpu_max, Some(CpuMax { quota_us: 50_000, period_us: 100_000 }));
    assert_eq!(s.limits.memory_max, Some(Size(64 << 20)));
    assert_eq!(s.to_string(), "cgroup v2 /sys/fs/cgroup/libsandbox-42-777 (memory 64M, swap 0, pids 32, cpu 50000 us per 100000 us, cpuset 0); enable +memory +pids +cpu +cpuset in /sys/fs/cgroup");
}

#[test]
fn v2_delegated_leaf_holding_only_the_monitor_moves_it_first() {
    let mut f = v2_user_session();
    let own = f.v2.as_mut().unwrap().own.as_mut().unwrap();
    own.writable = Ok(());
    own.other_procs = 0;
    let s = plan(&policy("[cgroup]\npids_max = 10\n"), Some(&f)).unwrap().unwrap();
    let Place::V2 { enable, move_self, .. } = &s.place else { panic!() };
    assert!(move_self);
    assert_eq!(enable, &[(Controller::Memory, false), (Controller::Pids, true)]);
}

#[test]
fn v2_cgroup_shared_with_other_processes_is_refused_with_the_rule_named() {
    let mut f = v2_user_session();
    f.v2.as_mut().unwrap().own.as_mut().unwrap().writable = Ok(());
    let e = plan(&policy("[cgroup]\npids_max = 10\n"), Some(&f)).unwrap_err();
    assert!(e.line().contains("no-internal-processes") && e.line().contains("systemd-run"), "{}", e.line());
    // Stats only: no controller is required, so no error, and no move either.
    let s = plan(&policy("[cgroup]\nstats_file = \"/tmp/s.json\"\n"), Some(&f)).unwrap().unwrap();
    assert_eq!(s.place, Place::V2 { parent: "/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope".into(), enable: vec![], move_self: false });
    assert!(!s.required);
}

#[test]
fn undelegated_user_gets_the_systemd_run_hint_unless_only_stats_are_asked() {
    let e = plan(&policy("[cgroup]\nmemory_max = \"1G\"\n"), Some(&v2_user_session())).unwrap_err();
    let line = e.line();
    assert!(line.starts_with("policy /p.toml line 1: create the sandbox's cgroup under /sys/fs/cgroup/user.slice"), "{line}");
    assert!(line.contains("EACCES") && line.contains("systemd-run --user --scope -p Delegate=yes -- env LD_PRELOAD="), "{line}");
    assert_eq!(plan(&policy("[cgroup]\nstats_file = \"/tmp/s.json\"\n"), Some(&v2_user_session())).unwrap(), None);
    // No limits and no stats: no cgroup at all, whatever the host.
    assert_eq!(plan(&policy("[cgroup]\n"), Some(&v2_user_session())).unwrap(), None);
    assert_eq!(plan(&policy(""), None).unwrap(), None);
}

#[test]
fn hybrid_host_uses_v1_with_one_directory_per_hierarchy() {
    let s = plan(&policy(LIMITS), Some(&hybrid())).unwrap().unwrap();
    let Place::V1 { dirs } = &s.place else { panic!("{s:?}") };
    let got: Vec<(String, String)> = dirs.iter().map(|d| (d.parent.display().to_string(), Planner::names(&d.controllers))).collect();
    assert_eq!(
        got,
        [
            ("/sys/fs/cgroup/memory/process_api/x".into(), "memory".into()),
            ("/sys/fs/cgroup/pids".into(), "pids".into()),
            ("/sys/fs/cgroup/cpu".into(), "cpu".into()),
            ("/sys/fs/cgroup/cpuset".into(), "cpuset".into()),
            ("/sys/fs/cgroup/cpuacct".into(), "cpuacct".into()),
            ("/sys/fs/cgroup/freezer".into(), "freezer".into()),
        ]
    );
    // Stats only on v1: memory, pids, cpuacct and freezer, not cpu or cpuset.
    let s = plan(&policy("[cgroup]\nstats_file = \"/tmp/s.json\"\n"), Some(&hybrid())).unwrap().unwrap();
    let Place::V1 { dirs } = &s.place else { panic!() };
    assert_eq!(dirs.len(), 4);
    // Forcing v2 there names the reason.
    let e = plan(&policy("[cgroup]\nversion = \"v2\"\npids_max = 3\n"), Some(&hybrid())).unwrap_err();
    assert!(e.line().contains("cgroup v1: remove `version = \"v2\"`"), "{}", e.line());
}

#[test]
fn co_mounted_v1_hierarchies_share_a_directory() {
    let mut f = hybrid();
    f.v1.retain(|h| h.controllers != ["cpu"] && h.controllers != ["cpuacct"]);
    f.v1.push(V1Hierarchy {
        controllers: vec!["cpu".into(), "cpuacct".into()],
        mount: "/sys/fs/cgroup/cpu,cpuacct".into(),
        own: Some(V1Dir { path: "/sys/fs/cgroup/cpu,cpuacct".into(), writable: Ok(()) }),
        parent: None,
    });
    let s = plan(&policy("[cgroup]\ncpus = 1\n"), Some(&f)).unwrap().unwrap();
    let Place::V1 { dirs } = &s.place else { panic!() };
    assert!(dirs.iter().any(|d| d.controllers == [Controller::Cpu, Controller::Cpuacct]), "{dirs:?}");
}

#[test]
fn v1_as_a_plain_user_is_refused_with_a_hint() {
    let mut f = hybrid();
    f.euid = 1000;
    for h in &mut f.v1 {
        h.own.as_mut().unwrap().writable = Err(Errno::EACCES);
    }
    let e = plan(&policy("[cgroup]\nmemory_max = \"8M\"\n"), Some(&f)).unwrap_err();
    assert!(e.line().contains("writable only by root") && e.line().contains("systemd-run"), "{}", e.line());
    assert_eq!(plan(&policy("[cgroup]\nstats_file = \"/tmp/x\"\n"), Some(&f)).unwrap(), None);
}

#[test]
fn v1_swap_limit_needs_a_memory_limit() {
    let e = plan(&policy("[cgroup]\nmemory_swap_max = \"1M\"\n"), Some(&hybrid())).unwrap_err();
    assert!(e.line().contains("memory_swap_max needs cgroup.memory_max"), "{}", e.line());
    assert!(plan(&policy("[cgroup]\nmemory_swap_max = \"1M\"\n"), Some(&v2_root())).is_ok());
}

#[test]
fn parent_must_be_a_cgroup_directory() {
    let mut f = v2_root();
    f.parent = Some(Parent { path: "/tmp".into(), kind: ParentKind::NotCgroup("it is not on a cgroup filesystem (cgroup2 or cgroup)".into()) });
    let e = plan(&policy("[cgroup]\nparent = \"/tmp\"\npids_max = 2\n"), Some(&f)).unwrap_err();
    assert_eq!(e.what, "policy /p.toml line 2");
    assert!(e.line().contains("cgroup.parent /tmp is not a cgroup directory"), "{}", e.line());
}

#[test]
fn delegated_parent_is_used_and_checked() {
    let mut f = v2_user_session();
    let mut dir = v2dir("/sys/fs/cgroup/deleg", "memory pids cpu");
    dir.holds_self = false;
    f.parent = Some(Parent { path: "/sys/fs/cgroup/deleg".into(), kind: ParentKind::V2 { dir: dir.clone(), attach: Ok(()) } });
    let s = plan(&policy("[cgroup]\nparent = \"/sys/fs/cgroup/deleg\"\ncpus = 0.2\n"), Some(&f)).unwrap().unwrap();
    assert!(matches!(&s.place, Place::V2 { parent, move_self: false, .. } if parent == Path::new("/sys/fs/cgroup/deleg")));
    f.parent = Some(Parent { path: "/sys/fs/cgroup/deleg".into(), kind: ParentKind::V2 { dir, attach: Err(Errno::EACCES) } });
    let e = plan(&policy("[cgroup]\nparent = \"/sys/fs/cgroup/deleg\"\ncpus = 0.2\n"), Some(&f)).unwrap_err();
    assert!(e.line().contains("move the sandbox from the caller's cgroup"), "{}", e.line());
    // A controller the parent does not offer.
    let e = plan(&policy("[cgroup]\nparent = \"/sys/fs/cgroup/deleg\"\ncpuset_cpus = \"1\"\n"), Some(&f)).unwrap_err();
    assert!(e.line().contains("does not offer the cpuset controller"), "{}", e.line());
}

#[test]
fn bad_values_name_key_and_line() {
    let f = v2_root();
    let err = |text: &str| plan(&policy(text), Some(&f)).unwrap_err();
    let e = err("[cgroup]\ncpus = 3\n");
    assert_eq!(e.what, "policy /p.toml line 2");
    assert!(e.line().contains("cgroup.cpus = 3 is more than the 2 CPUs of this host"), "{}", e.line());
    let e = err("[cgroup]\n\ncpus = 0.001\n");
    assert_eq!(e.what, "policy /p.toml line 3");
    assert!(e.line().contains("0.01"));
    for (bad, why) in [("\"\"", "empty"), ("\"0-\"", "not a CPU number"), ("\"1-0\"", "backwards"), ("\"a\"", "not a CPU"), ("\"0,,1\"", "not a CPU"), ("\"7\"", "CPU 7 is not online")] {
        let e = err(&format!("[cgroup]\ncpuset_cpus = {bad}\n"));
        assert_eq!(e.what, "policy /p.toml line 2", "{bad}");
        assert!(e.line().contains("cgroup.cpuset_cpus") && e.line().contains(why), "{bad}: {}", e.line());
    }
    let e = err("[cgroup]\ncpus = 2\ncpuset_cpus = \"1\"\n");
    assert_eq!(e.what, "policy /p.toml line 3");
    assert!(e.line().contains("cgroup.cpus (line 2) conflicts with cgroup.cpuset_cpus (line 3)"), "{}", e.line());
}

#[test]
fn values_the_parser_refuses() {
    let e = Policy::from_toml("[cgroup]\n\npids_max = 99999999\n", "/p.toml", &Caller { uid: 0, gid: 0 }).unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("cgroup.pids_max = 99999999 is more than the kernel allows (4194304)"), "{}", e.message);
    let p = policy("[cgroup]\npids_max = 8\nparent = \"/sys/fs/cgroup/x\"\n");
    assert_eq!(p.cgroup.unwrap().parent.unwrap().line, 3);
}

#[test]
fn cpu_lists() {
    let s = parse_cpu_list(" 0-2, 5,7-7 ").unwrap();
    assert_eq!(format_cpu_list(&s), "0-2,5,7");
    assert_eq!(format_cpu_list(&parse_cpu_list("3,1,2").unwrap()), "1-3");
    assert!(parse_cpu_list("99999").is_err());
}
