//! What the program receives: argv, stdin, stdout, stderr and the environment —
//! without the library's own LD_PRELOAD entry and SANDBOX_* variables, everything
//! else in place and in order — and clear_env / keep_env / set_env.

use crate::harness::Case;

/// The `env=` facts as (name, value) pairs, in order.
fn environment(out: &crate::harness::Outcome) -> Vec<(String, String)> {
    out.facts("env")
        .iter()
        .map(|e| {
            let (k, v) = e.split_once('=').unwrap_or((e, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn argv_is_passed_unchanged() {
    let args = ["one", "two words", "", "key=value", "ünïcödé", "-x"];
    for out in Case::new("argv", "facts").args(args).run_both() {
        out.expect_success()
            .expect_fact("pid", "2")
            .expect_fact("argc", "7");
        for (i, arg) in args.iter().enumerate() {
            out.expect_fact(&format!("argv.{}", i + 1), arg);
        }
    }
}

#[test]
fn stdin_stdout_and_stderr_are_passed() {
    let input = "first line\nsecond line\n\u{0}binary\u{1}\n";
    let case =
        Case::new("stdio", "facts")
            .stdin(input)
            .args(["stdin", "say=to stdout", "err=to stderr"]);
    for out in case.run_both() {
        out.expect_success()
            .expect_fact("pid", "2")
            .expect_fact("stdin", input);
        out.check(
            out.stdout.lines().any(|l| l == "to stdout"),
            "the line written to stdout is missing",
        );
        out.check(
            out.stderr == "to stderr\n",
            "stderr must hold exactly what the program wrote",
        );
    }
}

#[test]
fn library_entry_and_sandbox_variables_are_removed_the_rest_stays_in_order() {
    let case = Case::new("env-scrub", "facts")
        .env("FIRST", "1")
        .env("LD_PRELOAD", "{lib}")
        .env("MIDDLE", "two words")
        .env("SANDBOX_POLICY", "{policy}")
        .env("SANDBOX_LOG", "warn")
        .env("SANDBOX_SOMETHING_ELSE", "x")
        .env("LAST", "3");
    for out in case.run_both() {
        out.expect_success();
        let expected = pairs(&[
            ("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"),
            ("HOME", "/"),
        ]);
        let mut got = environment(&out);
        // With the library's entry gone, an empty LD_PRELOAD left in its place is as good as none.
        got.retain(|(k, v)| !(k == "LD_PRELOAD" && v.is_empty()));
        let marker = got
            .iter()
            .find(|(k, _)| k == crate::harness::host::MARKER_VAR)
            .cloned();
        let mut expected = expected;
        expected.extend(marker);
        expected.extend(pairs(&[
            ("FIRST", "1"),
            ("MIDDLE", "two words"),
            ("LAST", "3"),
        ]));
        out.check(
            got == expected,
            format_args!("environment of main:\n  got      {got:?}\n  expected {expected:?}"),
        );
    }
}

#[test]
fn another_ld_preload_entry_is_kept() {
    let other = "/usr/lib/x86_64-linux-gnu/libm.so.6";
    assert!(
        std::path::Path::new(other).exists(),
        "{other} is needed as a harmless second preload"
    );
    // The library named as given (absolute, relative to the cwd {dir}, with a doubled
    // slash, or by file name through LD_LIBRARY_PATH), before or after the other one.
    for value in [
        "{lib}:OTHER",
        "OTHER:{lib}",
        "{lib} OTHER",
        "../../lib/libsandbox.so:OTHER",
        "{bin}/..//lib/libsandbox.so:OTHER",
        "libsandbox.so:OTHER",
    ] {
        let value = value.replace("OTHER", other);
        let case = Case::new("env-preload-two", "facts")
            .env("A", "1")
            .env("LD_LIBRARY_PATH", "{bin}/../lib")
            .env("LD_PRELOAD", &value)
            .env("Z", "2");
        for out in case.run_both() {
            out.expect_success().expect_fact("pid", "2");
            let got: Vec<(String, String)> = environment(&out)
                .into_iter()
                .filter(|(k, _)| k == "A" || k == "LD_PRELOAD" || k == "Z")
                .collect();
            let expected = pairs(&[("A", "1"), ("LD_PRELOAD", other), ("Z", "2")]);
            out.check(
                got == expected,
                format_args!("LD_PRELOAD={value}:\n  got      {got:?}\n  expected {expected:?}"),
            );
        }
    }
}

#[test]
fn clear_env_keeps_only_keep_env_and_set_env() {
    let policy = "[process]\nclear_env = true\nkeep_env = [\"KEEP_ME\", \"ABSENT\"]\nset_env = { NEW = \"value\", HOME = \"/home/user\" }\n";
    let case = Case::new("env-clear", "facts")
        .policy(policy)
        .env("KEEP_ME", "kept")
        .env("DROP_ME", "dropped");
    for out in case.run_both() {
        out.expect_success();
        let mut got = environment(&out);
        got.sort();
        let expected = pairs(&[
            ("HOME", "/home/user"),
            ("KEEP_ME", "kept"),
            ("NEW", "value"),
        ]);
        out.check(
            got == expected,
            format_args!("environment of main:\n  got      {got:?}\n  expected {expected:?}"),
        );
    }
}

#[test]
fn set_env_without_clear_env_adds_and_overrides() {
    let policy = "[process]\nset_env = { NEW = \"value\", HOME = \"/home/user\" }\n";
    let case = Case::new("env-set", "facts")
        .policy(policy)
        .env("OTHER", "kept");
    for out in case.run_both() {
        out.expect_success();
        let got = environment(&out);
        let get = |key: &str| {
            got.iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        out.check(get("NEW") == ["value"], "NEW must be set");
        out.check(
            get("HOME") == ["/home/user"],
            "HOME must be overridden, once",
        );
        out.check(get("OTHER") == ["kept"], "OTHER must stay");
        out.check(get("PATH").len() == 1, "PATH must stay");
        out.check(
            got.iter()
                .all(|(k, _)| !k.starts_with("SANDBOX_") && k != "LD_PRELOAD"),
            "SANDBOX_*/LD_PRELOAD leaked",
        );
    }
}
