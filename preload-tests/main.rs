//! Integration tests of libsandbox.so: small C programs from `c-fixtures/` (and a
//! few real programs) run under `LD_PRELOAD=libsandbox.so` with a policy per case,
//! each printing `key=value` facts that the tests assert. Every case runs twice, as
//! root and as an unprivileged user, and must leave nothing behind on the host.
//!
//! Run with `cargo build --workspace && cargo test --workspace` (as root for both
//! variants). See `harness/mod.rs` for how a case is run.

mod harness;

mod cgroup;
mod cli;
mod defaults;
mod environment;
mod filesystem;
mod harness_checks;
mod identity;
mod logging;
mod namespaces;
mod network;
mod policy_errors;
mod process;
mod real_programs;
mod seccomp;
