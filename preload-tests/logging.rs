//! `SANDBOX_LOG`: diagnostics go to stderr, every line prefixed `sandbox:`; the
//! default level (warn) says nothing about a run that went well.

use crate::harness::Case;

#[test]
fn a_successful_run_prints_nothing_at_the_default_level() {
    for out in Case::new("log-default", "facts").run_both() {
        out.expect_success();
        out.check(out.stderr.is_empty(), "stderr must stay empty");
    }
}

#[test]
fn debug_diagnostics_are_prefixed_and_do_not_reach_the_program() {
    for out in Case::new("log-debug", "facts")
        .env("SANDBOX_LOG", "debug")
        .run_both()
    {
        out.expect_success().expect_fact("pid", "2");
        let lines: Vec<&str> = out.stderr.lines().collect();
        out.check(
            !lines.is_empty(),
            "SANDBOX_LOG=debug printed nothing (the plan should be printed)",
        );
        for line in &lines {
            out.check(
                line.starts_with("sandbox:"),
                format_args!("diagnostic without the `sandbox:` prefix: {line}"),
            );
        }
        let leaked: Vec<&str> = out
            .facts("env")
            .into_iter()
            .filter(|e| e.starts_with("SANDBOX_"))
            .collect();
        out.check(
            leaked.is_empty(),
            format_args!("SANDBOX_* reached main: {leaked:?}"),
        );
    }
}

#[test]
fn errors_are_printed_even_at_the_error_level() {
    let case = Case::new("log-error", "facts")
        .env("SANDBOX_LOG", "error")
        .policy("[bogus]\n");
    for out in case.run_both() {
        out.expect_policy_error();
    }
}
