//! `[cgroup]`: limits that hold (memory -> OOM kill with exit 137, pids, CPU bandwidth,
//! cpuset), usage in `stats_file` (written safely), nothing left behind, stale cgroups of
//! SIGKILLed monitors removed, bad values refused with their key and line, and a plain
//! user without a delegated cgroup refused with the `systemd-run` hint.
//!
//! These run where the tests run: on a hybrid host (cgroup v1 controllers, like the
//! development machines) they test the v1 path; `preload-tests/vm/run-cgroup-tests.sh`
//! runs this module inside a VM with a pure cgroup-v2 kernel, where the `v2_*` tests also
//! delegate a cgroup to the unprivileged user (chown, as systemd's Delegate=yes does).
//! Each case runs as root (limits apply) and as the unprivileged user (refused, unless
//! it is given a delegated cgroup).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::harness::world::User;
use crate::harness::{policy, world, Case, Outcome, Status};

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// "v2" when the cgroup2 hierarchy at /sys/fs/cgroup has the memory controller (a pure
/// v2 host), else "v1" (hybrid: the controllers are on v1 hierarchies).
fn host_version() -> &'static str {
    let controllers = fs::read_to_string(Path::new(CGROUP_ROOT).join("cgroup.controllers")).unwrap_or_default();
    if controllers.split_whitespace().any(|c| c == "memory") {
        "v2"
    } else {
        "v1"
    }
}

fn root_user() -> Option<&'static User> {
    world().users.iter().find(|u| u.is_root())
}

fn unprivileged_user() -> Option<&'static User> {
    world().users.iter().find(|u| !u.is_root())
}

/// The stats file every case here writes: `{dir}/out/stats.json` (on the host).
const STATS: &str = "stats_file = \"{dir}/out/stats.json\"\n";

/// `stats_file` as a flat map of raw JSON values; fails the test on anything else than
/// the monitor's one-object format.
fn stats(out: &Outcome) -> BTreeMap<String, String> {
    let path = out.dir().join("out/stats.json");
    let meta = fs::symlink_metadata(&path).unwrap_or_else(|e| panic!("no stats file {}: {e}\n{out}", path.display()));
    out.check(meta.file_type().is_file(), "the stats file must be a regular file");
    let text = fs::read_to_string(&path).unwrap();
    let body = text.trim().strip_prefix('{').and_then(|t| t.strip_suffix('}'));
    let body = body.unwrap_or_else(|| panic!("stats file is not one JSON object:\n{text}\n{out}"));
    let mut map = BTreeMap::new();
    for item in body.split(',') {
        let (k, v) = item.split_once(':').unwrap_or_else(|| panic!("bad JSON member {item:?} in\n{text}"));
        let k = k.trim().strip_prefix('"').and_then(|k| k.strip_suffix('"')).unwrap_or_else(|| panic!("bad key {k:?}"));
        map.insert(k.to_string(), v.trim().to_string());
    }
    for key in ["exit_code", "signal", "wall_ms", "cpu_user_ms", "cpu_system_ms", "memory_peak_bytes", "oom_killed", "pids_peak"] {
        out.check(map.contains_key(key), format_args!("stats file lacks `{key}`:\n{text}"));
    }
    map
}

fn num(map: &BTreeMap<String, String>, key: &str) -> Option<u64> {
    match map[key].as_str() {
        "null" => None,
        v => Some(v.parse().unwrap_or_else(|_| panic!("`{key}` is not a number or null: {v}"))),
    }
}

/// A plain user without a delegated cgroup: 125, one line, naming the fix.
#[track_caller]
fn expect_refused_without_delegation(out: &Outcome) {
    let line = out.expect_policy_error();
    out.check(line.contains("create the sandbox's cgroup under"), "the error should say where it could not create the cgroup");
    out.check(line.contains("systemd-run --user --scope -p Delegate=yes -- env LD_PRELOAD="), "the hint should give the systemd-run command");
    out.check(!out.dir().join("out/stats.json").exists(), "no stats file after a setup error");
}

/// Run a case with limits as every user: root's outcome is returned (None when the tests
/// do not run as root); the unprivileged user, who has no delegated cgroup here, must be
/// refused with the hint.
fn run_limited(case: &Case) -> Option<Outcome> {
    let mut root = None;
    for user in &world().users {
        let out = case.run_as(user);
        if user.is_root() {
            root = Some(out);
        } else {
            expect_refused_without_delegation(&out);
        }
    }
    root
}

/// The last online CPU (to pin to something other than "all of them" where possible).
fn last_cpu() -> u32 {
    let online = fs::read_to_string("/sys/devices/system/cpu/online").unwrap_or_else(|_| "0".into());
    online.trim().split([',', '-']).filter_map(|n| n.trim().parse().ok()).max().unwrap_or(0)
}

#[test]
fn memory_bomb_is_oom_killed_with_137_and_stats() {
    let case = Case::new("cg-memhog", "cgroup_memhog")
        .arg("256")
        .policy(format!("[cgroup]\nmemory_max = \"32M\"\nmemory_swap_max = 0\n{STATS}"));
    let Some(out) = run_limited(&case) else { return };
    out.expect_code(137);
    out.check(
        out.stderr.contains("sandbox: out of memory: cgroup_memhog was killed by the memory limit (32M)"),
        "the outer process must say that the OOM killer ended the program",
    );
    out.check(out.opt_fact("done").is_none(), "256 MiB must not fit in 32M");
    out.check(out.opt_fact("allocated_mb").is_some(), "the program ran before it was killed");
    let s = stats(&out);
    out.check(s["oom_killed"] == "true", "stats: oom_killed");
    out.check(s["exit_code"] == "null" && s["signal"] == "9", "stats: ended by SIGKILL");
    out.check(s["cgroup"] == format!("\"{}\"", host_version()), "stats: the cgroup version of this host");
    let peak = num(&s, "memory_peak_bytes").expect("memory peak");
    eprintln!("cgroup memory_max = 32M ({}): OOM-killed after {:?}, memory peak {peak} bytes, in {:?}", host_version(), out.facts("allocated_mb").last(), out.elapsed);
    out.check((16 << 20..=32 << 20).contains(&peak), format_args!("memory peak {peak} should be near the 32M limit"));
}

#[test]
fn fork_bomb_is_held_at_pids_max() {
    // Counting: the init and the program are 2 of the 16.
    let case = Case::new("cg-forks", "cgroup_forkbomb").args(["count", "1000"]).policy(format!("[cgroup]\npids_max = 16\n{STATS}"));
    if let Some(out) = run_limited(&case) {
        out.expect_success().expect_fact("fork_error", "EAGAIN");
        let forked: u64 = out.fact("forked").parse().unwrap();
        out.check(forked <= 14, format_args!("{forked} children under pids_max = 16 (init and program included)"));
        let s = stats(&out);
        eprintln!("cgroup pids_max = 16 ({}): {forked} children forked, pids_peak {}", host_version(), s["pids_peak"]);
        if let Some(peak) = num(&s, "pids_peak") {
            out.check(peak <= 16, format_args!("pids_peak {peak} > pids_max"));
        }
    }
    // A real fork bomb, ended by the time limit through the cgroup.
    let case = Case::new("cg-bomb", "cgroup_forkbomb")
        .args(["bomb", "30"])
        .policy(format!("[process]\ntime_limit = \"2s\"\n[cgroup]\npids_max = 16\n{STATS}"));
    if let Some(out) = run_limited(&case) {
        out.expect_code(137).expect_fact("bomb", "1");
        out.check(out.stderr.contains("time limit"), "the time limit should say so");
        out.check(out.elapsed < Duration::from_secs(15), "the bomb must end soon after the time limit");
        let s = stats(&out);
        eprintln!("cgroup fork bomb under pids_max = 16 ({}): ended after {:?}, pids_peak {}", host_version(), out.elapsed, s["pids_peak"]);
        out.check(s["time_limit_exceeded"] == "true" && s["signal"] == "9", "stats: killed by the time limit");
        if let Some(peak) = num(&s, "pids_peak") {
            out.check(peak <= 16, format_args!("pids_peak {peak} > pids_max"));
        }
    }
}

#[test]
fn cpu_bandwidth_throttles_a_spinner() {
    // Two processes spinning for 2 s could use 2 CPUs; cpus = 0.2 allows 0.2.
    let case = Case::new("cg-cpus", "cgroup_spinner").args(["2000", "2"]).policy(format!("[cgroup]\ncpus = 0.2\n{STATS}"));
    let Some(out) = run_limited(&case) else { return };
    out.expect_success();
    let used: f64 = out.fact("cpus_used").parse().unwrap();
    eprintln!("cgroup cpus = 0.2 ({}): the spinner used {used} CPUs", host_version());
    out.check((0.02..=0.35).contains(&used), format_args!("{used} CPUs used under cpus = 0.2"));
    let s = stats(&out);
    let cpu = num(&s, "cpu_user_ms").unwrap() + num(&s, "cpu_system_ms").unwrap();
    let wall = num(&s, "wall_ms").unwrap();
    out.check(cpu as f64 <= 0.35 * wall as f64, format_args!("stats: {cpu} ms of CPU in {wall} ms under cpus = 0.2"));
}

#[test]
fn cpuset_pins_the_sandbox() {
    let cpu = last_cpu();
    let case = Case::new("cg-cpuset", "cgroup_spinner").args(["300", "2"]).policy(format!("[cgroup]\ncpuset_cpus = \"{cpu}\"\n"));
    let Some(out) = run_limited(&case) else { return };
    out.expect_success().expect_fact("affinity", &cpu.to_string());
    let used: f64 = out.fact("cpus_used").parse().unwrap();
    // Two spinners on one CPU: at most one CPU's worth (with slack for coarse accounting).
    out.check(used <= 1.5, format_args!("{used} CPUs used on one CPU"));
}

#[test]
fn stats_are_plausible() {
    let case = Case::new("cg-stats", "cgroup_spinner").args(["300"]).policy(format!("[cgroup]\nmemory_max = \"64M\"\npids_max = 8\n{STATS}"));
    let Some(out) = run_limited(&case) else { return };
    out.expect_success();
    let s = stats(&out);
    eprintln!("cgroup stats ({}): {s:?}", host_version());
    out.check(s["exit_code"] == "0" && s["signal"] == "null", "stats: exit code 0");
    out.check(s["oom_killed"] == "false" && s["time_limit_exceeded"] == "false", "stats: no OOM kill, no time limit");
    let wall = num(&s, "wall_ms").unwrap();
    out.check((300..20_000).contains(&wall), format_args!("wall_ms {wall}"));
    let cpu = num(&s, "cpu_user_ms").unwrap() + num(&s, "cpu_system_ms").unwrap();
    out.check(cpu >= 10 && cpu <= wall + 50, format_args!("{cpu} ms of CPU for a 300 ms spin in {wall} ms"));
    let peak = num(&s, "memory_peak_bytes").expect("memory peak");
    out.check(peak > 0 && peak <= 64 << 20, format_args!("memory_peak_bytes {peak}"));
    if let Some(p) = num(&s, "pids_peak") {
        out.check((2..=8).contains(&p), format_args!("pids_peak {p}: init + program"));
    }
}

#[test]
fn stats_report_how_the_program_ended_even_without_a_cgroup() {
    // stats_file alone needs no cgroup: the unprivileged user runs too (without one, the
    // CPU times come from getrusage and the rest is null).
    for (arg, code, signal) in [("7", "7", "null"), ("SEGV", "null", "11")] {
        let case = Case::new("cg-stats-end", "exitcode").arg(arg).policy(format!("[cgroup]\n{STATS}"));
        for out in case.run_both() {
            match signal {
                "null" => out.expect_code(7),
                _ => out.expect_status(Status::Signal(libc::SIGSEGV)),
            };
            let s = stats(&out);
            out.check(s["exit_code"] == code && s["signal"] == signal, "stats: how the program ended");
            out.check(num(&s, "cpu_user_ms").is_some(), "CPU time is always known");
            if out.user.is_root() {
                out.check(s["cgroup"] == format!("\"{}\"", host_version()), "root gets a cgroup for the stats");
            }
        }
    }
}

#[test]
fn cgroup_section_without_limits_runs_unprivileged() {
    for out in Case::new("cg-empty", "exitcode").arg("0").policy("[cgroup]\n").run_both() {
        out.expect_success();
    }
}

#[test]
fn stats_file_is_never_written_through_what_the_program_planted() {
    for (how, extra) in [("symlink", Some("{dir}/victim")), ("file", None)] {
        let mut args = vec![how.to_string(), "{dir}/out/stats.json".into()];
        args.extend(extra.map(String::from));
        let case = Case::new("cg-plant", "cgroup_plant")
            .args(args)
            .file("victim", "victim\n")
            .policy(format!("{}[cgroup]\n{STATS}", policy::out()));
        for out in case.run_both() {
            out.expect_success().expect_fact("plant", "ok");
            assert_eq!(fs::read_to_string(out.dir().join("victim")).unwrap(), "victim\n", "the symlink's target was written\n{out}");
            let s = stats(&out); // a regular file holding our JSON
            out.check(s["exit_code"] == "0", "the monitor's stats replaced the planted file");
            let leftovers: Vec<_> = fs::read_dir(out.dir().join("out")).unwrap().flatten().map(|e| e.file_name()).collect();
            out.check(leftovers.len() == 1, format_args!("only stats.json in out/: {leftovers:?}"));
        }
    }
}

#[test]
fn the_cgroup_namespace_is_rooted_at_the_sandbox_cgroup() {
    let case = Case::new("cg-ns", "facts").arg("cat=/proc/self/cgroup").policy("[cgroup]\npids_max = 64\n");
    let Some(out) = run_limited(&case) else { return };
    out.expect_success();
    let lines = out.fact("cat:/proc/self/cgroup").to_string();
    out.check(!lines.is_empty() && lines.lines().all(|l| l.ends_with(":/")), "every hierarchy shows \"/\" inside");
}

#[test]
fn everything_in_the_cgroup_is_killed_at_the_end() {
    // Without a pid namespace nothing else would kill a process that left the program's
    // session: the cgroup does, when the program ends and at the time limit.
    let case = Case::new("cg-orphan", "cgroup_forkbomb")
        .args(["orphan", "60"])
        .policy("[namespaces]\npid = false\n[cgroup]\npids_max = 32\n");
    if let Some(out) = run_limited(&case) {
        out.expect_success();
        out.check(out.opt_fact("orphan").is_some(), "the orphan was started");
        out.check(out.elapsed < Duration::from_secs(15), "the run ends with the program, not with the orphan");
    }
    let case = Case::new("cg-time", "sleeper")
        .args(["30", "fork"])
        .policy("[namespaces]\npid = false\n[process]\ntime_limit = \"1s\"\n[cgroup]\npids_max = 32\n");
    if let Some(out) = run_limited(&case) {
        out.expect_code(137).expect_fact("child_ready", "1");
        out.check(out.elapsed < Duration::from_secs(15), "killed at the time limit");
    }
}

#[test]
fn stale_cgroup_of_a_killed_monitor_is_removed_by_the_next_run() {
    let Some(root) = root_user() else { return };
    // The first sandbox's monitor is SIGKILLed (its init and program die with it, by
    // the parent-death signal): its cgroup stays. The next run removes it.
    let script = r#"
LD_PRELOAD={lib} {bin}/sleeper 30 > {dir}/out/first &
m=$!
i=0
while ! grep -q '^ready=1' {dir}/out/first 2>/dev/null; do i=$((i+1)); [ $i -gt 400 ] && break; sleep 0.05; done
kill -9 $m
wait $m 2>/dev/null
sleep 0.3
echo stale_before=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "libsandbox-$m-*" | wc -l)
LD_PRELOAD={lib} {bin}/exitcode 0 > /dev/null
echo second=$?
echo stale_after=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "libsandbox-$m-*" | wc -l)
"#;
    let case = Case::program("cg-stale", "/bin/sh").no_preload().args(["-c", script]).policy("[cgroup]\npids_max = 32\n");
    let out = case.run_as(root);
    out.expect_success().expect_fact("second", "0").expect_fact("stale_after", "0");
    let before: u32 = out.fact("stale_before").parse().unwrap();
    out.check(before >= 1, "the killed monitor's cgroup should have stayed until the next run");
}

#[test]
fn bad_values_are_refused_with_key_and_line() {
    let cases: &[(&str, &str, &str)] = &[
        ("[cgroup]\ncpus = 1000\n", "line 2", "cgroup.cpus = 1000 is more than the"),
        ("[cgroup]\ncpus = 0\n", "line 2", "cgroup.cpus"),
        ("[cgroup]\ncpus = -1.5\n", "line 2", "cgroup.cpus"),
        ("[cgroup]\n\ncpuset_cpus = \"0-\"\n", "line 3", "cgroup.cpuset_cpus"),
        ("[cgroup]\ncpuset_cpus = \"4096\"\n", "line 2", "not online"),
        ("[cgroup]\ncpuset_cpus = \"1-0\"\n", "line 2", "backwards"),
        ("[cgroup]\nmemory_max = -1\n", "line 2", "negative"),
        ("[cgroup]\nmemory_max = 0\n", "line 2", "cgroup.memory_max must be more than zero"),
        ("[cgroup]\nmemory_max = \"99999999T\"\n", "line 2", "2^63"),
        ("[cgroup]\nmemory_swap_max = \"-1\"\n", "line 2", "size"),
        ("[cgroup]\npids_max = 0\n", "line 2", "cgroup.pids_max must be more than zero"),
        ("[cgroup]\npids_max = 99999999\n", "line 2", "cgroup.pids_max = 99999999 is more than the kernel allows"),
        ("[cgroup]\npids_max = 8\nparent = \"/tmp\"\n", "line 3", "cgroup.parent /tmp is not a cgroup directory"),
        ("[cgroup]\nversion = \"v3\"\n", "line 2", "v3"),
        ("[cgroup]\nstats_file = \"/nonexistent-dir/s.json\"\n", "line 1", "stats_file"),
        ("[cgroup]\nmemory = \"1G\"\n", "line 2", "memory"),
    ];
    for (text, line, why) in cases {
        for out in Case::new("cg-bad", "exitcode").arg("0").policy(*text).run_both() {
            let l = out.expect_policy_error().to_string();
            out.check(l.contains(line) && l.contains(why), format_args!("expected `{line}` and `{why}` in the error"));
            out.check(out.opt_fact("ending").is_none(), "main must not run");
        }
    }
}

// ---- pure cgroup v2 only (the VM of preload-tests/vm/) ----------------------------------

fn v2_only(test: &str) -> bool {
    let v2 = host_version() == "v2" && root_user().is_some();
    if !v2 {
        eprintln!("{test}: skipped: needs a pure cgroup-v2 host and root (preload-tests/vm/run-cgroup-tests.sh runs it)");
    }
    v2
}

/// A cgroup made by hand under the root for one case, optionally delegated to a user the
/// way systemd's Delegate=yes does it: the directory and its cgroup.procs,
/// cgroup.subtree_control and cgroup.threads chowned to the user, the controllers enabled
/// above it. Removed on drop.
struct HandMade {
    path: PathBuf,
}

impl HandMade {
    fn new(owner: Option<&User>) -> HandMade {
        static N: AtomicU32 = AtomicU32::new(0);
        let root = Path::new(CGROUP_ROOT);
        for c in ["memory", "pids", "cpu", "cpuset"] {
            fs::write(root.join("cgroup.subtree_control"), format!("+{c}")).unwrap_or_else(|e| panic!("enable {c} at the root: {e}"));
        }
        // No "sandbox" in the name: the harness's leak check is about the library's cgroups.
        let path = root.join(format!("deleg-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        fs::create_dir(&path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
        if let Some(u) = owner {
            for f in ["", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads"] {
                std::os::unix::fs::chown(path.join(f), Some(u.uid), Some(u.gid)).unwrap();
            }
        }
        HandMade { path }
    }

    /// After the run: what the sandbox left in it (sub-cgroups, processes, controllers).
    fn leftovers(&self) -> String {
        let subdirs: Vec<_> = fs::read_dir(&self.path).unwrap().flatten().filter(|e| e.path().is_dir()).map(|e| e.file_name()).collect();
        let procs = fs::read_to_string(self.path.join("cgroup.procs")).unwrap();
        let control = fs::read_to_string(self.path.join("cgroup.subtree_control")).unwrap();
        if subdirs.is_empty() && procs.trim().is_empty() && control.trim().is_empty() {
            String::new()
        } else {
            format!("left in {}: sub-cgroups {subdirs:?}, processes {procs:?}, subtree_control {control:?}", self.path.display())
        }
    }
}

impl Drop for HandMade {
    fn drop(&mut self) {
        for _ in 0..100 {
            if fs::remove_dir(&self.path).is_ok() || !self.path.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("could not remove {}", self.path.display());
    }
}

/// A case whose program is started from inside `cg` (as systemd-run --scope would), as
/// `user`: a root shell moves itself into the cgroup, then becomes the program (exec
/// keeps the pid), dropping to the user with setpriv.
fn inside(name: &str, cg: &HandMade, user: &User, fixture_and_args: &str, policy: String) -> Case {
    let drop_to = if user.is_root() {
        String::new()
    } else {
        format!("/usr/bin/setpriv --reuid={} --regid={} --clear-groups -- ", user.uid, user.gid)
    };
    let script = format!("echo $$ > {}/cgroup.procs && exec {drop_to}/usr/bin/env LD_PRELOAD={{lib}} {{bin}}/{fixture_and_args}", cg.path.display());
    Case::program(name, "/bin/sh").no_preload().args(["-c".to_string(), script]).policy(policy)
}

#[test]
fn v2_delegated_cgroup_lets_a_plain_user_set_limits() {
    if !v2_only("v2_delegated_cgroup_lets_a_plain_user_set_limits") {
        return;
    }
    let (root, user) = (root_user().unwrap(), unprivileged_user().expect("the unprivileged test user"));
    let cg = HandMade::new(Some(user));
    let out = inside("cg-deleg-oom", &cg, user, "cgroup_memhog 256", format!("[cgroup]\nmemory_max = \"32M\"\n{STATS}")).run_as(root);
    out.expect_code(137);
    out.check(out.stderr.contains("sandbox: out of memory: cgroup_memhog was killed by the memory limit (32M)"), "OOM message");
    let s = stats(&out);
    out.check(s["oom_killed"] == "true" && s["cgroup"] == "\"v2\"", "stats: OOM kill on v2");
    out.check(fs::metadata(out.dir().join("out/stats.json")).unwrap().uid() == user.uid, "the stats file belongs to the user");
    out.check(cg.leftovers().is_empty(), cg.leftovers());

    let out = inside("cg-deleg-pids", &cg, user, "cgroup_forkbomb count 100", "[cgroup]\npids_max = 8\ncpus = 0.5\n".into()).run_as(root);
    out.expect_success().expect_fact("fork_error", "EAGAIN");
    let forked: u64 = out.fact("forked").parse().unwrap();
    out.check(forked <= 6, format_args!("{forked} children under pids_max = 8"));
    out.check(cg.leftovers().is_empty(), cg.leftovers());
}

#[test]
fn v2_monitor_alone_in_its_cgroup_moves_aside_and_back() {
    if !v2_only("v2_monitor_alone_in_its_cgroup_moves_aside_and_back") {
        return;
    }
    // The caller's cgroup is not the root and holds only the monitor: the no-internal-
    // processes rule makes the monitor move into a leaf before enabling controllers; at
    // the end it disables them again, moves back and removes the leaf.
    let root = root_user().unwrap();
    let cg = HandMade::new(None);
    let out = inside("cg-leaf", &cg, root, "cgroup_forkbomb count 100", format!("[cgroup]\npids_max = 8\n{STATS}")).run_as(root);
    out.expect_success().expect_fact("fork_error", "EAGAIN");
    out.check(stats(&out)["cgroup"] == "\"v2\"", "stats: v2");
    out.check(cg.leftovers().is_empty(), cg.leftovers());
}

#[test]
fn v2_cgroup_shared_with_other_processes_is_refused() {
    if !v2_only("v2_cgroup_shared_with_other_processes_is_refused") {
        return;
    }
    // The shell stays in the cgroup beside the program (no exec): controllers cannot be
    // enabled there, and the library says why instead of writing elsewhere.
    let root = root_user().unwrap();
    let cg = HandMade::new(None);
    let script = format!("echo $$ > {}/cgroup.procs && LD_PRELOAD={{lib}} {{bin}}/exitcode 0", cg.path.display());
    let out = Case::program("cg-shared", "/bin/sh").no_preload().args(["-c".to_string(), script]).policy("[cgroup]\npids_max = 8\n").run_as(root);
    let line = out.expect_policy_error();
    out.check(line.contains("no-internal-processes") && line.contains("other process"), "the error names the rule");
    out.check(cg.leftovers().is_empty(), cg.leftovers());
}
