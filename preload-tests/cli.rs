//! The `sandbox` command and the installed layout, end to end (issue 5).
//!
//! Once per test run, `scripts/install.sh --from target/<profile>` installs into a
//! temporary prefix under the world directory (world-readable, removed at exit), and a
//! few extra programs are built beside it: static copies of fixtures, the C API fixture
//! linked against the installed library, a program with its own `_start`, a library
//! named libsandbox.so without the hook, a setuid and a file-capability copy of
//! `marker`. Every case then runs the installed `PREFIX/bin/sandbox`, as root and as
//! the unprivileged user, with the harness's leak checks.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::thread;
use std::time::Duration;

use crate::harness::policy::{bind, out, system};
use crate::harness::{world, Case, Outcome, Status};

struct Installed {
    prefix: PathBuf,
    /// PREFIX/bin/sandbox
    sandbox: String,
    /// The extra programs built for these tests.
    bin: PathBuf,
}

static INSTALLED: OnceLock<Result<Installed, String>> = OnceLock::new();

fn installed() -> &'static Installed {
    match INSTALLED.get_or_init(install) {
        Ok(i) => i,
        Err(e) => panic!("cli test set-up failed: {e}"),
    }
}

fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({}):\n{}{}", out.status, String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}

fn chmod(path: &Path, mode: u32) -> Result<(), String> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| format!("chmod {}: {e}", path.display()))
}

/// A program with its own entry point: it never calls __libc_start_main, so the hook of
/// a preloaded library never runs (as with a Go program). Writes its argv[1] at once.
const NOSTART_C: &str = r#"
#include <fcntl.h>
#include <unistd.h>
__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall start_c\n\thlt\n");
void start_c(long *sp)
{
	char **argv = (char **)(sp + 1);
	if (sp[0] > 1) {
		int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
			write(fd, "main ran\n", 9);
	}
	_exit(0);
}
"#;

/// A library named libsandbox.so that loads fine but has no hook.
const FAKE_LIB_C: &str = "int libsandbox_fake(void) { return 1; }\n";

fn install() -> Result<Installed, String> {
    let w = world();
    let root = w.cases.parent().ok_or("the world has no root")?.to_path_buf();
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let build = exe.parent().and_then(Path::parent).ok_or("no build directory")?;
    let prefix = root.join("cli-prefix");
    run(Command::new("bash").arg(source_dir().join("scripts/install.sh")).arg("--from").arg(build).arg(&prefix))?;

    let bin = root.join("cli-bin");
    for dir in [&bin, &bin.join("fake"), &bin.join("junk")] {
        fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        chmod(dir, 0o755)?;
    }
    let fixtures = source_dir().join("c-fixtures");
    let cc = |out: &Path, args: &[&str], sources: &[PathBuf]| -> Result<(), String> {
        run(Command::new("cc").args(["-O1", "-Wall", "-I"]).arg(&fixtures).arg("-o").arg(out).args(sources).args(args))?;
        chmod(out, 0o755)
    };
    for name in ["facts", "exitcode", "marker"] {
        cc(&bin.join(format!("{name}-static")), &["-static"], &[fixtures.join(format!("{name}.c"))])?;
    }
    let lib = prefix.join("lib");
    cc(
        &bin.join("capi"),
        &["-I", &prefix.join("include").display().to_string(), "-L", &lib.display().to_string(), "-lsandbox", &format!("-Wl,-rpath,{}", lib.display())],
        &[fixtures.join("capi.c")],
    )?;
    let nostart = bin.join("nostart.c");
    fs::write(&nostart, NOSTART_C).map_err(|e| e.to_string())?;
    cc(&bin.join("nostart"), &["-nostartfiles"], &[nostart])?;
    let fake = bin.join("fake.c");
    fs::write(&fake, FAKE_LIB_C).map_err(|e| e.to_string())?;
    run(Command::new("cc").args(["-shared", "-fPIC", "-o"]).arg(bin.join("fake/libsandbox.so")).arg(&fake))?;
    chmod(&bin.join("fake/libsandbox.so"), 0o644)?;
    fs::write(bin.join("junk/libsandbox.so"), "not a library\n").map_err(|e| e.to_string())?;
    chmod(&bin.join("junk/libsandbox.so"), 0o644)?;
    // Privileged copies of `marker` (root-owned: the tests run as root).
    let marker = w.bin.join("marker");
    fs::copy(&marker, bin.join("marker-setuid")).map_err(|e| e.to_string())?;
    chmod(&bin.join("marker-setuid"), 0o4755)?;
    fs::copy(&marker, bin.join("marker-caps")).map_err(|e| e.to_string())?;
    chmod(&bin.join("marker-caps"), 0o755)?;
    run(Command::new("setcap").arg("cap_net_raw+ep").arg(bin.join("marker-caps")))?;
    Ok(Installed { sandbox: prefix.join("bin/sandbox").display().to_string(), prefix, bin })
}

/// A case running the installed `sandbox` with `args` (the harness preloads nothing).
fn sandbox(name: &str, args: &[&str]) -> Case {
    Case::program(name, &installed().sandbox).no_preload().args(args.iter().copied())
}

/// A case running `script` with `shell` (the tools' own runs are `sandbox run`s in it).
fn shell(name: &str, shell: &str, script: &str) -> Case {
    Case::program(name, shell).no_preload().args(["-c", script])
}

fn bin(name: &str) -> String {
    installed().bin.join(name).display().to_string()
}

fn fixture(name: &str) -> String {
    world().bin.join(name).display().to_string()
}

/// The one `sandbox: error:` line of a 125 exit, which must mention `needle`.
#[track_caller]
fn expect_error(out: &Outcome, status: i32, needle: &str) {
    out.expect_code(status);
    let lines: Vec<&str> = out.stderr.lines().filter(|l| !l.starts_with("ERROR: ld.so:")).collect();
    out.check(lines.len() == 1 && lines[0].starts_with("sandbox: error: "), "expected exactly one `sandbox: error:` line on stderr");
    out.check(lines[0].contains(needle), format_args!("the error line does not mention {needle:?}"));
    out.check(lines[0].ends_with(')'), "the error line ends with its hint in parentheses");
}

// ---------------------------------------------------------------------------------------
// run: dynamic and static programs, statuses, signals

/// The facts that must not depend on how the program was sandboxed (not argv, not the
/// namespace ids, which differ between any two runs).
fn isolation_facts(out: &Outcome) -> Vec<(String, String)> {
    out.facts
        .iter()
        .filter(|(k, v)| !k.starts_with("argv") && !k.starts_with("ns.") && !(k == "env" && v.starts_with("LIBSANDBOX_TEST_MARKER=")))
        .cloned()
        .collect()
}

#[test]
fn a_dynamic_and_a_static_program_see_the_same_sandbox() {
    let policy = system() + &out();
    let dynamic = sandbox("cli-dynamic", &["run", "--policy", "{policy}", "--", &fixture("facts"), "create={dir}/out/d"]).policy(policy.clone());
    let stat = sandbox("cli-static", &["run", "--policy", "{policy}", "--", &bin("facts-static"), "create={dir}/out/d"]).policy(policy);
    for (d, s) in dynamic.run_both().iter().zip(stat.run_both().iter()) {
        for out in [d, s] {
            out.expect_success();
            out.expect_fact("pid", "2").expect_fact("ppid", "1").expect_fact("hostname", "sandbox");
            out.expect_fact("uid", &out.user.uid.to_string()).expect_fact("NoNewPrivs", "1");
            out.expect_fact("CapEff", "0000000000000000").expect_fact("CapBnd", "0000000000000000");
            out.expect_fact("fds", "0,1,2").expect_fact("pids", "1,2").expect_fact("create:{dir}/out/d".replace("{dir}", &out.dir().display().to_string()).as_str(), "ok");
            let env = out.facts("env");
            out.check(!env.iter().any(|e| e.starts_with("SANDBOX_") || e.starts_with("LD_PRELOAD=")), "SANDBOX_* or LD_PRELOAD left in main's environment");
            out.check(out.facts("iface").iter().all(|i| i.starts_with("lo ")), "an interface other than lo");
        }
        let (fd, fs) = (isolation_facts(d), isolation_facts(s));
        // The create: fact names each run's own directory.
        let strip = |v: Vec<(String, String)>, o: &Outcome| -> Vec<(String, String)> {
            let dir = o.dir().display().to_string();
            v.into_iter().map(|(k, val)| (k.replace(&dir, "{dir}"), val.replace(&dir, "{dir}"))).collect()
        };
        let (fd, fs) = (strip(fd, d), strip(fs, s));
        let differ: Vec<String> = fd.iter().zip(&fs).filter(|(a, b)| a != b).map(|(a, b)| format!("dynamic {a:?} / static {b:?}")).collect();
        s.check(fd.len() == fs.len() && differ.is_empty(), format_args!("the static run saw another sandbox than the dynamic one:\n{}\n{d}", differ.join("\n")));
    }
}

#[test]
fn exit_statuses_and_signal_deaths_pass_through_the_command() {
    for program in [fixture("exitcode"), bin("exitcode-static")] {
        for (arg, status) in [("0", Status::Code(0)), ("42", Status::Code(42)), ("TERM", Status::Signal(libc::SIGTERM)), ("SEGV", Status::Signal(libc::SIGSEGV))] {
            for out in sandbox("cli-status", &["run", "--policy", "{policy}", "--", &program, arg]).run_both() {
                out.expect_fact("pid", "2").expect_status(status);
            }
        }
    }
}

#[test]
fn signals_sent_to_the_command_reach_the_program() {
    let case = sandbox("cli-signals", &["run", "--policy", "{policy}", "--", &fixture("signals"), "TERM", "USR1", "HUP"]);
    for user in &world().users {
        let mut run = case.spawn_as(user);
        run.wait_for("ready", Duration::from_secs(10));
        for (name, signal) in [("TERM", libc::SIGTERM), ("USR1", libc::SIGUSR1), ("HUP", libc::SIGHUP)] {
            run.signal(signal);
            assert_eq!(run.wait_for("signal", Duration::from_secs(5)), name);
        }
        run.finish().expect_success();
    }
}

#[test]
fn policy_from_the_environment_and_a_script_program() {
    // No --policy: $SANDBOX_POLICY (set by the harness to the case's policy) applies; a
    // #! script runs sandboxed through its interpreter.
    let script = "#!/bin/sh\necho \"pid=$$\"\necho \"host=$(cat /proc/sys/kernel/hostname)\"\n";
    let case = sandbox("cli-script", &["run", "--", "{dir}/script.sh"]).policy(system() + &bind("{dir}", "{dir}")).file_mode("script.sh", script, 0o755);
    for out in case.run_both() {
        out.expect_success().expect_fact("pid", "2").expect_fact("host", "sandbox");
    }
}

// ---------------------------------------------------------------------------------------
// run: what must never run unsandboxed

fn marker_case(name: &str, program: &str) -> Case {
    sandbox(name, &["run", "--policy", "{policy}", "--", program, "{dir}/out/marker"]).policy(system() + &out())
}

#[track_caller]
fn expect_no_marker(out: &Outcome) {
    out.check(!out.dir().join("out/marker").exists(), "the program's main ran: its marker file exists");
    out.check(!out.stdout.contains("marker="), "the program printed its marker line");
}

#[test]
fn handshake_kills_a_program_whose_library_has_no_hook() {
    // A file named libsandbox.so that loads fine: the trace check passes, the handshake
    // never comes, the program is killed at its first system call.
    let case = marker_case("cli-no-hook", &fixture("marker")).env("SANDBOX_LIBRARY", &bin("fake/libsandbox.so"));
    for out in case.run_both() {
        expect_error(&out, 125, "did not run first");
        expect_no_marker(&out);
    }
}

#[test]
fn handshake_kills_a_program_that_does_not_start_through_libc() {
    for out in marker_case("cli-nostart", &bin("nostart")).run_both() {
        expect_error(&out, 125, "came before the handshake");
        expect_no_marker(&out);
    }
}

#[test]
fn a_library_the_loader_cannot_load_is_refused_before_the_program_starts() {
    for lib in [bin("junk/libsandbox.so")] {
        for out in marker_case("cli-bad-lib", &fixture("marker")).env("SANDBOX_LIBRARY", &lib).run_both() {
            expect_error(&out, 125, "cannot be preloaded");
            expect_no_marker(&out);
        }
    }
    for out in marker_case("cli-no-lib", &fixture("marker")).env("SANDBOX_LIBRARY", "/nonexistent/libsandbox.so").run_both() {
        expect_error(&out, 125, "SANDBOX_LIBRARY");
        expect_no_marker(&out);
    }
}

#[test]
fn setuid_and_file_capability_programs_are_refused() {
    for (program, needle) in [(bin("marker-setuid"), "setuid"), (bin("marker-caps"), "file capabilities")] {
        for out in marker_case("cli-privileged", &program).run_both() {
            expect_error(&out, 125, needle);
            expect_no_marker(&out);
        }
    }
}

#[test]
fn a_static_program_under_a_seccomp_allowlist_needs_execveat() {
    // Refused before anything runs when the allowlist lacks execveat, with the fix.
    let strict = system() + &out() + "[seccomp]\ndefault_action = \"kill_process\"\nallow = [\"@default\", \"@basic-io\", \"@file-system\"]\n";
    for out in marker_case("cli-static-seccomp-refused", &bin("marker-static")).policy(strict.clone()).run_both() {
        expect_error(&out, 125, "execveat is not in seccomp.allow");
        out.check(out.stderr.contains("set_tid_address"), "the hint does not list the start-up calls");
        expect_no_marker(&out);
    }
    // With execveat (and readlink, which glibc's static start-up makes), it runs under it.
    let allowed = strict.replace("\"@file-system\"]", "\"@file-system\", \"execveat\", \"readlink\"]");
    for out in marker_case("cli-static-seccomp", &bin("marker-static")).policy(allowed).run_both() {
        out.expect_success().expect_fact("marker", "written");
        out.check(out.dir().join("out/marker").exists(), "the marker file is missing");
    }
    // The dynamic copy needs none of that: the filter goes on after the loader.
    let dynamic = system() + &out() + "[seccomp]\ndefault_action = \"kill_process\"\nallow = [\"@default\", \"@basic-io\", \"@file-system\"]\n";
    for out in marker_case("cli-dynamic-seccomp", &fixture("marker")).policy(dynamic).run_both() {
        out.expect_success().expect_fact("marker", "written");
    }
}

#[test]
fn programs_that_cannot_run_get_126_and_127() {
    for out in sandbox("cli-missing", &["run", "--policy", "{policy}", "--", "/nonexistent/prog"]).run_both() {
        expect_error(&out, 127, "no such file");
    }
    for out in sandbox("cli-missing-path", &["run", "--policy", "{policy}", "--", "no-such-program-anywhere"]).run_both() {
        expect_error(&out, 127, "PATH");
    }
    let case = sandbox("cli-not-exec", &["run", "--policy", "{policy}", "--", "{dir}/data.txt"]).file("data.txt", "text\n");
    for out in case.run_both() {
        expect_error(&out, 126, "not executable");
    }
}

#[test]
fn a_bad_policy_stops_run_before_anything() {
    let case = marker_case("cli-bad-policy", &fixture("marker")).policy("[namespaces]\nusr = true\n");
    for out in case.run_both() {
        expect_error(&out, 125, "line 2");
        expect_no_marker(&out);
    }
}

// ---------------------------------------------------------------------------------------
// check

#[test]
fn check_prints_the_resolved_policy_and_its_plan() {
    let seccomp = "[seccomp]\ndefault_action = \"allow\"\ndeny = [\"ptrace\"]\ndeny_action = \"errno:EPERM\"\n";
    let case = sandbox("cli-check", &["check", "{policy}"]).policy(system() + "[rlimits]\nnofile = 64\n" + seccomp);
    for out in case.run_both() {
        out.expect_success();
        for needle in [
            "namespaces: user mount pid net ipc uts cgroup",
            &format!("identity: uid {}", out.user.uid),
            "network: none",
            "rlimits: nofile 64",
            "plan:",
            "monitor (P0):",
            "init (P1, pid 1):",
            "bind /usr -> /usr (ro, nosuid, nodev)",
            "pivot_root into the new root",
            "app (P2):",
            "setrlimit Nofile = 64",
            "set no_new_privs",
            "seccomp: default_action allow",
            "deny, errno:EPERM: ptrace",
            "seccomp filter",
            "call the program's main",
            "is valid",
        ] {
            out.check(out.stdout.contains(needle), format_args!("check's output lacks {needle:?}"));
        }
        let order = ["close inherited fds", "make / private", "detach the host root", "drop all capabilities", "set no_new_privs", "seccomp filter", "call the program's main"];
        let at: Vec<usize> = order.iter().map(|s| out.stdout.find(s).unwrap_or(usize::MAX)).collect();
        out.check(at.windows(2).all(|w| w[0] < w[1]), format_args!("steps out of order: {order:?} at {at:?}"));
    }
}

#[test]
fn check_reports_a_bad_policy_in_one_line_with_key_and_line() {
    for (text, needles) in [
        ("[namespaces]\nuser = true\nusr = true\n", &["line 3", "usr"][..]),
        ("[[mount]]\ntype = \"tmpfs\"\ntarget = \"/t\"\nsize = 0\n", &["line 4", "size"][..]),
        ("[namespaces]\nuts = false\n[identity]\nhostname = \"x\"\n", &["identity.hostname", "namespaces.uts"][..]),
        ("[[mount]]\ntype = \"bind\"\nsource = \"/nonexistent-source\"\n", &["/nonexistent-source"][..]),
    ] {
        for out in sandbox("cli-check-bad", &["check", "{policy}"]).policy(text).run_both() {
            for needle in needles {
                expect_error(&out, 125, needle);
            }
            out.check(out.stdout.is_empty(), "check printed a plan for a bad policy");
        }
    }
    for out in sandbox("cli-check-missing", &["check", "/nonexistent/policy.toml"]).run_both() {
        expect_error(&out, 125, "cannot read");
    }
}

#[test]
fn check_accepts_every_shipped_profile() {
    let listing = Command::new(&installed().sandbox).arg("profiles").output().expect("run sandbox profiles");
    let names: Vec<String> = String::from_utf8_lossy(&listing.stdout).lines().filter_map(|l| l.split('\t').next()).map(String::from).collect();
    for required in ["python3", "git", "tar", "gzip", "sqlite3", "cc", "gcc", "make", "curl", "jq", "grep", "sed", "awk", "openssl"] {
        assert!(names.iter().any(|n| n == required), "no shipped profile {required}: {names:?}");
    }
    for name in &names {
        for out in sandbox("cli-check-profile", &["check", "--profile", name]).run_both() {
            out.expect_success();
            out.check(out.stdout.contains("bind_cwd writable") || out.stdout.contains("bind_cwd read-only"), "the profile binds no working directory");
        }
    }
}

// ---------------------------------------------------------------------------------------
// The shipped profiles, each running its real tool on a real task.

/// `script` in {dir}/work (mode 0777, so both users may write), with `S` the installed
/// command.
fn tool_case(name: &str, script: &str) -> Case {
    let script = format!("set -e\nS='{}'\ncd {{dir}}/work\n{script}", installed().sandbox);
    shell(name, "/bin/sh", &script).dir("work", 0o777)
}

#[test]
fn profile_python3() {
    let case = tool_case(
        "profile-python3",
        "cat > job.py <<'EOF'\nimport os, socket\nopen('result.txt', 'w').write(str(sum(range(10))))\nprint('pid=%d' % os.getpid())\nprint('host=' + socket.gethostname())\nEOF\n\
         $S run --profile python3 -- /usr/bin/python3 job.py\ncat result.txt; echo\n\
         if $S run --profile python3 -- /usr/bin/python3 -c 'open(\"/etc/hostname\")' 2>/dev/null; then echo etc=visible; else echo etc=hidden; fi",
    );
    for out in case.run_both() {
        out.expect_success().expect_fact("pid", "2").expect_fact("host", "sandbox").expect_fact("etc", "hidden");
        out.check(out.stdout.lines().any(|l| l == "45"), "python3 did not write its result");
    }
}

#[test]
fn profile_git() {
    let case = tool_case(
        "profile-git",
        "G=\"$S run --profile git -- /usr/bin/git\"\n$G init -q repo\ncd repo\necho hello > a.txt\n$G add a.txt\n\
         $G -c user.name=Tester -c user.email=t@example.org commit -q -m 'first commit'\n\
         echo \"log=$($G log --format=%s)\"\necho \"files=$($G ls-files)\"",
    );
    for out in case.run_both() {
        out.expect_success().expect_fact("log", "first commit").expect_fact("files", "a.txt");
    }
}

#[test]
fn profile_tar_and_gzip() {
    let case = tool_case(
        "profile-tar",
        "mkdir -p data/sub\necho alpha > data/a.txt\necho beta > data/sub/b.txt\n\
         $S run --profile tar -- /usr/bin/tar -czf data.tgz data\nrm -r data\n\
         $S run --profile tar -- /usr/bin/tar -xzf data.tgz\necho \"b=$(cat data/sub/b.txt)\"\n\
         $S run --profile gzip -- /usr/bin/gzip -9 data/a.txt\n[ -f data/a.txt.gz ] && echo gz=yes\n\
         $S run --profile gzip -- /usr/bin/gzip -d data/a.txt.gz\necho \"a=$(cat data/a.txt)\"",
    );
    for out in case.run_both() {
        out.expect_success().expect_fact("b", "beta").expect_fact("gz", "yes").expect_fact("a", "alpha");
    }
}

#[test]
fn profile_sqlite3() {
    let case = tool_case(
        "profile-sqlite3",
        "$S run --profile sqlite3 -- /usr/bin/sqlite3 shop.db 'create table item(name, price); insert into item values (\"pen\", 2), (\"ink\", 5);'\n\
         echo \"total=$($S run --profile sqlite3 -- /usr/bin/sqlite3 shop.db 'select sum(price) from item;')\"",
    );
    for out in case.run_both() {
        out.expect_success().expect_fact("total", "7");
    }
}

#[test]
fn profile_cc_and_make() {
    let case = tool_case(
        "profile-cc",
        "printf '#include <stdio.h>\\nint main(void) { printf(\"built=%%d\\\\n\", 6 * 7); return 0; }\\n' > hello.c\n\
         $S run --profile cc -- /usr/bin/cc -O1 -o hello hello.c\n./hello\n\
         $S run --profile gcc -- /usr/bin/gcc -c -o hello.o hello.c\n[ -f hello.o ] && echo object=yes\n\
         printf 'all: hello2\\nhello2: hello.c\\n\\tcc -o hello2 hello.c\\n' > Makefile\n\
         $S run --profile make -- /usr/bin/make -s\n./hello2",
    );
    for out in case.run_both() {
        out.expect_success().expect_fact("object", "yes");
        out.check(out.facts("built") == ["42", "42"], "cc or make did not build the program");
    }
}

#[test]
fn profile_curl_with_the_hosts_network() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen on loopback");
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut request = [0u8; 2048];
            let _ = stream.read(&mut request);
            let body = "served=by the test\n";
            let _ = write!(stream, "HTTP/1.0 200 OK\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n{body}", body.len());
        }
    });
    let case = tool_case(
        "profile-curl",
        &format!(
            "$S run --profile curl -- /usr/bin/curl -sS -o page.txt http://127.0.0.1:{port}/page\ncat page.txt\n\
             if $S run --profile tar -- /usr/bin/curl -sS -m 5 -o x http://127.0.0.1:{port}/ 2>/dev/null; then echo other=reached; else echo other=unreachable; fi"
        ),
    );
    for out in case.run_both() {
        out.expect_success().expect_fact("served", "by the test").expect_fact("other", "unreachable");
    }
}

#[test]
fn profile_jq_and_the_text_tools() {
    let case = tool_case(
        "profile-text",
        "printf '{\"items\": [{\"n\": 2}, {\"n\": 40}]}' > data.json\n\
         echo \"jq=$($S run --profile jq -- /usr/bin/jq '[.items[].n] | add' data.json)\"\n\
         printf 'apple 3\\nbanana 5\\ncherry 7\\n' > fruit.txt\n\
         echo \"grep=$($S run --profile grep -- /usr/bin/grep -c an fruit.txt)\"\n\
         $S run --profile sed -- /usr/bin/sed -i 's/banana/mango/' fruit.txt\necho \"sed=$(sed -n 2p fruit.txt)\"\n\
         echo \"awk=$($S run --profile awk -- /usr/bin/awk '{ s += $2 } END { print s }' fruit.txt)\"\n\
         if $S run --profile jq -- /usr/bin/touch new.txt; then echo jq_cwd=writable; else echo jq_cwd=read-only; fi",
    );
    for out in case.run_both() {
        out.expect_success().expect_fact("jq", "42").expect_fact("grep", "1").expect_fact("sed", "mango 5").expect_fact("awk", "15");
        out.expect_fact("jq_cwd", "read-only");
        out.check(out.stderr.contains("Read-only file system"), "jq's working directory is not read-only");
    }
}

#[test]
fn profile_openssl() {
    let case = tool_case(
        "profile-openssl",
        "O=\"$S run --profile openssl -- /usr/bin/openssl\"\n\
         $O req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -subj /CN=sandboxed -days 1 2>/dev/null\n\
         echo \"subject=$($O x509 -noout -subject -in cert.pem)\"\n\
         printf 'payload' > data.bin\n$O dgst -sha256 -sign key.pem -out data.sig data.bin\n\
         $O x509 -pubkey -noout -in cert.pem > pub.pem\necho \"verify=$($O dgst -sha256 -verify pub.pem -signature data.sig data.bin)\"",
    );
    for out in case.run_both() {
        out.expect_success().expect_fact("subject", "subject=CN = sandboxed").expect_fact("verify", "Verified OK");
    }
}

// ---------------------------------------------------------------------------------------
// wrap / unwrap with real shells

#[test]
fn wrap_writes_a_function_that_bash_and_sh_run_sandboxed() {
    for sh in ["/bin/bash", "/bin/sh"] {
        let script = format!(
            "set -e\nS='{sandbox}'\ncd {{dir}}/work\n\
             $S wrap --profile tar --prefix {{dir}}/profile.d /usr/bin/tar\n\
             $S wrap --list --prefix {{dir}}/profile.d\n\
             . {{dir}}/profile.d/sandbox-tar.sh\n\
             echo \"type=$(type tar | head -n 1)\"\n\
             mkdir data && echo one > data/f.txt\n\
             tar -czf a.tgz data\necho \"listing=$(tar -tzf a.tgz | sort | tr '\\n' ' ')\"\n\
             cp {facts} ./facts\n\
             $S wrap --policy {{policy}} --name probe --prefix {{dir}}/profile.d ./facts\n\
             . {{dir}}/profile.d/sandbox-probe.sh\n\
             probe 'two words' \"it's\" '$(echo not expanded)' '' 'a\"b'\n\
             $S unwrap --prefix {{dir}}/profile.d tar probe\n\
             echo \"left=$(ls {{dir}}/profile.d | wc -l)\"",
            sandbox = installed().sandbox,
            facts = fixture("facts"),
        );
        let case = shell("cli-wrap", sh, &script).policy(system() + &bind("{dir}/work", "{dir}/work")).dir("work", 0o777).dir("profile.d", 0o777);
        for out in case.run_both() {
            out.expect_success();
            out.check(out.stdout.lines().any(|l| l.starts_with("tar\t/usr/bin/tar\tprofile tar\t")), "wrap --list does not show the tar wrapper");
            out.check(out.fact("type").contains("function"), "tar is not a shell function after sourcing the wrapper");
            out.expect_fact("listing", "data/ data/f.txt ");
            // The probe: sandboxed, every argument intact.
            out.expect_fact("pid", "2").expect_fact("argc", "6");
            for (i, want) in ["two words", "it's", "$(echo not expanded)", "", "a\"b"].iter().enumerate() {
                out.expect_fact(&format!("argv.{}", i + 1), want);
            }
            out.expect_fact("left", "0");
        }
    }
}

#[test]
fn wrap_refuses_names_sh_cannot_define_and_unwrap_leaves_foreign_files() {
    let script = format!(
        "S='{sandbox}'\ncp {facts} '{{dir}}/work/g++'\n\
         $S wrap --policy {{policy}} --prefix {{dir}}/profile.d '{{dir}}/work/g++'; echo \"gpp=$?\"\n\
         echo 'echo mine' > {{dir}}/profile.d/sandbox-mine.sh\n\
         $S unwrap --prefix {{dir}}/profile.d mine; echo \"unwrap=$?\"\n\
         [ -f {{dir}}/profile.d/sandbox-mine.sh ] && echo kept=yes",
        sandbox = installed().sandbox,
        facts = fixture("facts"),
    );
    for out in shell("cli-wrap-refuse", "/bin/sh", &script).dir("profile.d", 0o777).dir("work", 0o777).run_both() {
        out.expect_success().expect_fact("gpp", "125").expect_fact("unwrap", "125").expect_fact("kept", "yes");
        out.check(out.stderr.contains("--name"), "the refusal does not suggest --name");
        out.check(out.stderr.contains("not written by sandbox wrap"), "unwrap does not say why it refuses");
    }
}

// ---------------------------------------------------------------------------------------
// The C API

fn capi(name: &str, args: &[&str]) -> Case {
    Case::program(name, &bin("capi")).no_preload().args(args.iter().copied())
}

#[test]
fn c_api_enters_the_sandbox_and_returns_in_the_app() {
    let case = capi("capi-enter", &["{policy}", "again", "create={dir}/out/made", "exit=7"]).policy(system() + &out());
    for out in case.run_both() {
        out.expect_code(7);
        out.check(out.fact("before.pid") != "2", "the program was sandboxed before main (the hook did not step aside)");
        out.expect_fact("enter", "0").expect_fact("pid", "2").expect_fact("ppid", "1").expect_fact("hostname", "sandbox");
        out.expect_fact("NoNewPrivs", "1").expect_fact("CapEff", "0000000000000000").expect_fact("sandbox_env", "");
        out.expect_fact("again", "-1");
        out.check(out.fact("again.error").contains("already sandboxed"), "a second sandbox_enter does not say why it fails");
        let created = format!("create:{}/out/made", out.dir().display());
        out.expect_fact(&created, "ok");
        out.check(out.facts("root").iter().all(|r| !r.contains("home") && !r.contains("root")), "the host's root is visible");
    }
    for out in capi("capi-signal", &["{policy}", "kill=15"]).policy(system()).run_both() {
        out.expect_fact("enter", "0").expect_status(Status::Signal(libc::SIGTERM));
    }
    for out in capi("capi-default", &["-"]).run_both() {
        out.expect_success().expect_fact("enter", "0").expect_fact("pid", "2");
    }
}

#[test]
fn c_api_errors_before_and_after_the_point_of_no_return() {
    // Invalid policy: -1, nothing changed, the caller goes on unsandboxed and knows it.
    for out in capi("capi-bad", &["{policy}"]).policy("[process]\nbogus = 1\n").run_both() {
        out.expect_success().expect_fact("enter", "-1");
        out.check(out.fact("error").contains("line 2") && out.fact("error").contains("bogus"), "the error names the key and its line");
        out.check(out.fact("pid") != "2", "the process says it was sandboxed");
    }
    // A failure while building the sandbox: the caller never goes on; the monitor exits 125.
    let policy = bind("/usr", "/usr") + "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/usr/no-such-dir/x\"\n";
    for out in capi("capi-late", &["{policy}"]).policy(policy).run_both() {
        expect_error(&out, 125, "/usr/no-such-dir");
        out.check(out.opt_fact("enter").is_none(), "sandbox_enter returned in some process");
    }
}

#[test]
fn c_api_program_under_ld_preload_is_sandboxed_before_main() {
    // Preloaded too: the hook takes over before main; sandbox_enter then refuses.
    for out in Case::new("capi-preloaded", "capi").arg("-").run_both() {
        // The harness builds capi without -lsandbox: the weak symbols resolve to the
        // preloaded library.
        out.expect_success().expect_fact("before.pid", "2").expect_fact("enter", "-1");
        out.check(out.fact("error").contains("already sandboxed"), "sandbox_enter does not say why");
    }
}

// ---------------------------------------------------------------------------------------
// The command line itself and the installed layout

#[test]
fn help_version_and_usage_errors() {
    for out in sandbox("cli-version", &["--version"]).run_both() {
        out.expect_success();
        out.check(out.stdout.starts_with("sandbox 0."), "--version");
    }
    for cmd in ["run", "check", "wrap", "unwrap", "profiles"] {
        for out in sandbox("cli-help", &[cmd, "--help"]).run_both() {
            out.expect_success();
            out.check(out.stdout.starts_with("Usage: sandbox "), "--help prints the usage");
        }
    }
    for (args, needle) in [
        (&["run"][..], "no program"),
        (&["run", "--bogus", "x"][..], "unknown option --bogus"),
        (&["run", "--log", "loud", "--", "/bin/true"][..], "--log"),
        (&["run", "--policy", "a", "--profile", "b", "--", "/bin/true"][..], "exclude"),
        (&["run", "--profile", "no-such-profile", "--", "/bin/true"][..], "not found"),
        (&["run", "--profile", "../etc/passwd", "--", "/bin/true"][..], "not a profile name"),
        (&["frobnicate"][..], "unknown command"),
        (&[][..], "no command"),
        (&["wrap", "/bin/true"][..], "--policy FILE or --profile NAME"),
        (&["unwrap"][..], "no wrapper"),
    ] {
        for out in sandbox("cli-usage", args).run_both() {
            expect_error(&out, 125, needle);
        }
    }
}

#[test]
fn the_installed_layout_is_complete() {
    let p = &installed().prefix;
    for file in [
        "bin/sandbox",
        "lib/libsandbox.so",
        "include/sandbox.h",
        "share/man/man1/sandbox.1",
        "share/man/man5/sandbox.toml.5",
        "share/bash-completion/completions/sandbox",
        "share/libsandbox/profiles/tar.toml",
        "share/doc/libsandbox/sandbox.toml.example",
    ] {
        assert!(p.join(file).is_file(), "{file} is not installed");
    }
    for page in ["share/man/man1/sandbox.1", "share/man/man5/sandbox.toml.5"] {
        let out = Command::new("man").arg("--warnings").arg("-l").arg(p.join(page)).env("MANWIDTH", "80").output();
        if let Ok(out) = out {
            assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("SYNOPSIS"), "{page} does not render: {}", String::from_utf8_lossy(&out.stderr));
            assert!(out.stderr.is_empty(), "{page}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    // The completion, sourced by a real bash, completes commands and profile names.
    let script = format!(
        ". {completion}\nc() {{ COMP_WORDS=(\"$@\"); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMPREPLY=(); _sandbox; echo \"${{COMPREPLY[*]}}\"; }}\n\
         c {s} ch\nc {s} run --profile pyth\nc {s} run --log de\n",
        completion = p.join("share/bash-completion/completions/sandbox").display(),
        s = installed().sandbox,
    );
    let out = Command::new("bash").arg("-c").arg(script).output().expect("run bash");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "check\npython3\ndebug\n", "{}", String::from_utf8_lossy(&out.stderr));
}
