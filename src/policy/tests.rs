//! Parsing and resolution: every field, every class of bad input, with line numbers.

use super::*;

const CALLER: Caller = Caller { uid: 1000, gid: 1000 };

fn parse(text: &str) -> Result<Policy, PolicyError> {
    Policy::from_toml(text, "/p.toml", &CALLER)
}

/// The error's line and message; panics if the policy was accepted.
fn error(text: &str) -> (Option<usize>, String) {
    match parse(text) {
        Ok(_) => panic!("accepted a bad policy:\n{text}"),
        Err(e) => (e.line, e.message),
    }
}

#[track_caller]
fn assert_error(text: &str, line: usize, needles: &[&str]) {
    let (l, msg) = error(text);
    assert_eq!(l, Some(line), "wrong line for {msg:?} in:\n{text}");
    for n in needles {
        assert!(msg.contains(n), "{msg:?} does not mention {n:?}");
    }
}

#[test]
fn empty_file_is_the_file_defaults() {
    let p = parse("").unwrap();
    let ns = p.namespaces;
    assert!(ns.user && ns.mount && ns.pid && ns.net && ns.ipc && ns.uts && ns.cgroup && !ns.time);
    assert_eq!(p.identity, Identity { uid: 1000, gid: 1000, hostname: Some("sandbox".into()) });
    assert!(p.filesystem.proc && p.filesystem.dev && p.filesystem.cwd.is_none());
    assert!(p.mounts.is_empty());
    assert_eq!(p.network, NetworkMode::None);
    assert!(!p.process.new_session && p.process.die_with_parent && p.process.time_limit.is_none());
    assert!(p.rlimits.is_empty() && p.cgroup.is_none() && p.seccomp.is_none());
}

#[test]
fn every_field() {
    let text = r#"
[namespaces]
user = true
mount = true
pid = true
net = true
ipc = false
uts = true
cgroup = false
time = true

[identity]
uid = 0
gid = 5
hostname = "box"

[filesystem]
proc = true
dev = false
cwd = "/work"
readonly_root = false

[[mount]]
type = "bind"
source = "/usr"
[[mount]]
type = "bind"
source = "/srv/data"
target = "/data"
writable = true
optional = true
keep_symlink = true
[[mount]]
type = "tmpfs"
target = "/tmp"
size = "64M"
mode = 0o1777
[[mount]]
type = "dir"
target = "/work"
mode = 0o700
[[mount]]
type = "symlink"
source = "usr/bin"
target = "/bin"

[network]
mode = "none"

[process]
new_session = true
die_with_parent = false
time_limit = "1m"
clear_env = true
keep_env = ["PATH", "TERM"]
set_env = { HOME = "/home/user" }
keep_fds = [7, 3]

[rlimits]
nofile = 256
nproc = 64
fsize = "100M"
core = 0
cpu = 10
as = "1G"

[cgroup]
memory_max = "256M"
memory_swap_max = "0"
pids_max = 64
cpus = 0.5
cpuset_cpus = "0"
stats_file = "/tmp/run-stats.json"

[seccomp]
default_action = "errno:EPERM"
allow = ["read", "write", "@basic-io"]
deny_action = "kill_process"

[[seccomp.rule]]
syscall = "exit_group"
action = "allow"
args = [{ index = 0, op = "eq", value = 0 }, { index = 1, op = "masked_eq", value = 4, mask = 6 }]
"#;
    let p = parse(text).unwrap();
    let allow_line = text.lines().position(|l| l.starts_with("allow = ")).unwrap() + 1;
    assert!(!p.namespaces.ipc && !p.namespaces.cgroup && p.namespaces.time);
    assert_eq!(p.identity, Identity { uid: 0, gid: 5, hostname: Some("box".into()) });
    assert_eq!(p.filesystem, Filesystem { proc: true, dev: false, cwd: Some("/work".into()), readonly_root: false, bind_cwd: None });
    assert_eq!(p.mounts.len(), 5);
    assert_eq!(
        p.mounts[0],
        Mount::Bind { source: "/usr".into(), target: "/usr".into(), writable: false, optional: false, keep_symlink: false }
    );
    assert_eq!(
        p.mounts[1],
        Mount::Bind { source: "/srv/data".into(), target: "/data".into(), writable: true, optional: true, keep_symlink: true }
    );
    assert_eq!(p.mounts[2], Mount::Tmpfs { target: "/tmp".into(), size: Some(Size(64 << 20)), mode: 0o1777 });
    assert_eq!(p.mounts[3], Mount::Dir { target: "/work".into(), mode: 0o700 });
    assert_eq!(p.mounts[4], Mount::Symlink { text: "usr/bin".into(), target: "/bin".into() });
    let pr = &p.process;
    assert!(pr.new_session && !pr.die_with_parent && pr.clear_env);
    assert_eq!(pr.time_limit.unwrap().0.as_secs(), 60);
    assert_eq!(pr.keep_env, ["PATH", "TERM"]);
    assert_eq!(pr.set_env.get("HOME").map(String::as_str), Some("/home/user"));
    assert_eq!(pr.keep_fds, [3, 7]);
    assert_eq!(
        p.rlimits,
        Rlimits { nofile: Some(256), nproc: Some(64), fsize: Some(100 << 20), core: Some(0), cpu: Some(10), r#as: Some(1 << 30) }
    );
    let c = p.cgroup.unwrap();
    assert_eq!(c.memory_max, Some(Size(256 << 20)));
    assert_eq!(c.memory_swap_max, Some(Size(0)));
    assert_eq!(c.pids_max, Some(64));
    assert_eq!(c.cpus.unwrap().value, 0.5);
    assert_eq!(c.cpuset_cpus.unwrap().value, "0");
    assert_eq!(c.stats_file, Some("/tmp/run-stats.json".into()));
    let s = p.seccomp.unwrap();
    assert_eq!(s.default_action, Action::Errno(libc::EPERM));
    assert_eq!(s.allow.iter().map(|a| a.value.as_str()).collect::<Vec<_>>(), ["read", "write", "@basic-io"]);
    assert_eq!(s.allow[0].line, allow_line);
    assert_eq!(s.deny_action, Action::KillProcess);
    assert_eq!(s.rules.len(), 1);
    assert_eq!(s.rules[0].syscall.value, "exit_group");
    assert_eq!(s.rules[0].args[0], ArgCondition { index: 0, op: ArgOp::Eq, value: 0, mask: None });
    assert_eq!(s.rules[0].args[1], ArgCondition { index: 1, op: ArgOp::MaskedEq, value: 4, mask: Some(6) });
}

#[test]
fn unknown_keys_name_key_and_line() {
    assert_error("[namespaces]\nuser = true\nusr = true\n", 3, &["usr"]);
    assert_error("\n\n[filesystem]\nprocfs = true\n", 4, &["procfs"]);
    assert_error("[[mount]]\ntype = \"bind\"\nsource = \"/usr\"\nreadonly = true\n", 4, &["readonly"]);
    assert_error("[sandbox]\n", 1, &["sandbox"]);
    assert_error("[process]\nkeep_fds = []\ntimeout = 3\n", 3, &["timeout"]);
    assert_error("[seccomp]\n[[seccomp.rule]]\nsyscall = \"read\"\naction = \"allow\"\nargz = []\n", 5, &["argz"]);
}

#[test]
fn wrong_types() {
    assert_error("[namespaces]\nuser = \"yes\"\n", 2, &["bool"]);
    assert_error("[identity]\nuid = -1\n", 2, &[]);
    assert_error("[process]\nkeep_env = \"PATH\"\nclear_env = true\n", 2, &[]);
    assert_error("[rlimits]\nnofile = \"many\"\n", 2, &[]);
    assert_error("namespaces = 3\n", 1, &[]);
}

#[test]
fn sizes() {
    assert_error("[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\nsize = -5\n", 4, &["negative"]);
    assert_error("[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\nsize = \"-5M\"\n", 4, &["size"]);
    assert_error("[rlimits]\nfsize = \"9000000T\"\n", 2, &["2^63"]);
    assert_error("[cgroup]\nmemory_max = \"99999999999999999999\"\n", 2, &[]);
    assert_error("[cgroup]\nmemory_max = 0\n", 2, &["more than zero"]);
    assert_error("[cgroup]\nmemory_max = \"12Q\"\n", 2, &["suffix"]);
    assert_error("[rlimits]\nnofile = 0\n", 2, &["more than zero"]);
    assert_error("[rlimits]\nnproc = -1\n", 2, &["more than zero"]);
    assert_error("[cgroup]\npids_max = -3\n", 2, &["more than zero"]);
    assert_error("[cgroup]\ncpus = -0.5\n", 2, &["cpus"]);
    assert_error("[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\nsize = 0\n", 4, &["more than zero"]);
    let p = parse("[rlimits]\ncore = 0\nas = \"1g\"\n[cgroup]\nmemory_swap_max = 0\n").unwrap();
    assert_eq!(p.rlimits.core, Some(0));
    assert_eq!(p.rlimits.r#as, Some(1 << 30));
}

#[test]
fn paths() {
    assert_error("[[mount]]\ntype = \"bind\"\nsource = \"usr\"\n", 1, &["relative"]);
    assert_error("[[mount]]\ntype = \"bind\"\nsource = \"/usr\"\ntarget = \"/a/../b\"\n", 4, &[".."]);
    assert_error("[filesystem]\ncwd = \"home\"\n", 2, &["relative"]);
    assert_error("[filesystem]\ncwd = \"~/x\"\n", 2, &["relative"]);
    assert_error("[cgroup]\nstats_file = \"/tmp/../etc/x\"\n", 2, &[".."]);
    assert_error("[[mount]]\ntype = \"tmpfs\"\ntarget = \"/\"\n", 1, &["root"]);
}

#[test]
fn durations() {
    assert_error("[process]\ntime_limit = \"10 years\"\n", 2, &["duration"]);
    assert_error("[process]\ntime_limit = 0\n", 2, &["zero"]);
    assert_error("[process]\ntime_limit = \"-1s\"\n", 2, &["duration"]);
    assert_eq!(parse("[process]\ntime_limit = \"500ms\"\n").unwrap().process.time_limit.unwrap().0.as_millis(), 500);
    assert_eq!(parse("[process]\ntime_limit = 30\n").unwrap().process.time_limit.unwrap().0.as_secs(), 30);
    assert_eq!(parse("[rlimits]\ncpu = \"1500ms\"\n").unwrap().rlimits.cpu, Some(2));
}

#[test]
fn network_mode() {
    assert_error("[network]\nmode = \"bridge\"\n", 2, &["bridge"]);
    assert_error("[namespaces]\nnet = true\n[network]\nmode = \"host\"\n", 4, &["namespaces.net", "network.mode", "line 2"]);
    assert_error("[namespaces]\nnet = false\n[network]\nmode = \"none\"\n", 4, &["namespaces.net", "network.mode"]);
    assert_eq!(parse("[namespaces]\nnet = false\n").unwrap().network, NetworkMode::Host);
    assert!(!parse("[network]\nmode = \"host\"\n").unwrap().namespaces.net);
    assert_eq!(parse("[namespaces]\nnet = false\n[network]\nmode = \"host\"\n").unwrap().network, NetworkMode::Host);
}

#[test]
fn conflicts_name_both_keys() {
    assert_error("[namespaces]\nuts = false\n[identity]\nhostname = \"x\"\n", 4, &["identity.hostname", "namespaces.uts"]);
    assert_error("[namespaces]\npid = false\n[filesystem]\nproc = true\n", 4, &["filesystem.proc", "namespaces.pid"]);
    assert_error("[namespaces]\nmount = false\n[filesystem]\ndev = true\n", 4, &["filesystem.dev", "namespaces.mount"]);
    assert_error(
        "[namespaces]\nmount = false\n[filesystem]\ndev = false\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/t\"\n",
        5,
        &["[[mount]]", "namespaces.mount"],
    );
    assert_error("[seccomp]\ndefault_action = \"kill_process\"\ndeny = [\"ptrace\"]\n", 3, &["seccomp.deny", "seccomp.default_action"]);
    assert_error("[seccomp]\ndeny = [\"ptrace\"]\n", 2, &["seccomp.deny", "default_action"]);
    assert_error("[namespaces]\nuser = false\n[identity]\nuid = 0\n", 4, &["identity.uid", "namespaces.user"]);
    assert_error("[namespaces]\nmount = false\n[filesystem]\nbind_cwd = \"ro\"\n", 4, &["filesystem.bind_cwd", "namespaces.mount"]);
}

#[test]
fn defaults_follow_namespaces() {
    let p = parse("[namespaces]\nuts = false\npid = false\n").unwrap();
    assert_eq!(p.identity.hostname, None);
    assert!(!p.filesystem.proc && p.filesystem.dev);
    let p = parse("[namespaces]\nmount = false\n").unwrap();
    assert!(!p.filesystem.proc && !p.filesystem.dev);
}

#[test]
fn mount_entries_are_checked() {
    assert_error("[[mount]]\ntype = \"overlay\"\ntarget = \"/x\"\n", 2, &["overlay"]);
    assert_error("[[mount]]\ntype = \"bind\"\n", 1, &["source"]);
    assert_error("[[mount]]\ntype = \"tmpfs\"\n", 1, &["target"]);
    assert_error("[[mount]]\ntype = \"bind\"\nsource = \"/usr\"\nsize = \"1M\"\n", 1, &["size"]);
    assert_error("[[mount]]\ntype = \"tmpfs\"\ntarget = \"/t\"\nwritable = true\n", 1, &["writable"]);
    assert_error("[[mount]]\ntype = \"dir\"\ntarget = \"/t\"\nmode = 0o17777\n", 1, &["mode"]);
    assert_error("[[mount]]\ntype = \"symlink\"\ntarget = \"/t\"\n", 1, &["link text"]);
    assert_error("\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/a\"\n\n[[mount]]\ntype = \"tmpfs\"\n", 6, &["target"]);
}

#[test]
fn seccomp_values() {
    assert_error("[seccomp]\ndefault_action = \"deny\"\n", 2, &["deny"]);
    assert_error("[seccomp]\ndefault_action = \"errno:ENOTANERRNO\"\n", 2, &["ENOTANERRNO"]);
    assert_error("[[seccomp.rule]]\nsyscall = \"read\"\naction = \"allow\"\nargs = [{ index = 6, op = \"eq\", value = 0 }]\n", 4, &["index"]);
    assert_error("[[seccomp.rule]]\nsyscall = \"read\"\naction = \"allow\"\nargs = [{ index = 0, op = \"approx\", value = 0 }]\n", 4, &["approx"]);
    assert_error("[[seccomp.rule]]\nsyscall = \"read\"\naction = \"allow\"\nargs = [{ index = 0, op = \"masked_eq\", value = 0 }]\n", 4, &["mask"]);
    let p = parse("[seccomp]\n").unwrap();
    assert_eq!(p.seccomp.unwrap().default_action, Action::KillProcess);
    let p = parse("[[seccomp.rule]]\nsyscall = \"kill\"\naction = \"errno:5\"\nargs = [{ index = 1, op = \"ne\", value = -1 }]\n").unwrap();
    assert_eq!(p.seccomp.as_ref().unwrap().rules[0].args[0].value, u64::MAX);
    assert_eq!(p.seccomp.unwrap().rules[0].action, Action::Errno(5));
}

#[test]
fn hostname_is_checked() {
    assert_error("[identity]\nhostname = \"\"\n", 2, &["hostname"]);
    assert_error(&format!("[identity]\nhostname = \"{}\"\n", "a".repeat(65)), 2, &["hostname"]);
}

#[test]
fn syntax_errors_have_lines() {
    assert_error("[namespaces]\nuser = \n", 2, &[]);
    assert_error("[namespaces\n", 1, &[]);
}

#[test]
fn builtin_policy() {
    let p = Policy::builtin(&CALLER);
    assert_eq!(p.source, Source::Builtin);
    assert!(p.namespaces.user && p.namespaces.net && !p.namespaces.time);
    assert_eq!(p.identity.hostname.as_deref(), Some("sandbox"));
    let targets: Vec<String> = p.mounts.iter().map(|m| m.target().to_string()).collect();
    assert_eq!(targets, ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc", "/tmp"]);
    assert!(p.mounts.iter().all(|m| match m {
        Mount::Bind { writable, optional, keep_symlink, .. } => !writable && *optional && *keep_symlink,
        Mount::Tmpfs { .. } => true,
        _ => false,
    }));
    let s = p.seccomp.unwrap();
    assert_eq!(s.default_action, Action::Allow);
    assert_eq!(s.deny_action, Action::Errno(libc::EPERM));
    assert!(s.deny.iter().any(|d| d.value == "ptrace" || d.value == "@debug"));
    assert!(p.cgroup.is_none());
}

#[test]
fn the_shipped_example_parses() {
    let text = include_str!("../../sandbox.toml.example");
    let p = parse(text).unwrap_or_else(|e| panic!("sandbox.toml.example: {e}"));
    assert!(p.cgroup.is_some() && p.seccomp.is_some() && !p.mounts.is_empty());
}
