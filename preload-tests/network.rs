//! `network.mode`: "none" is a new network namespace with only `lo`, up; "host"
//! (or `namespaces.net = false`) shares the host's interfaces.

use crate::harness::policy::host_interfaces;
use crate::harness::{Case, Outcome};

fn interfaces(out: &Outcome) -> Vec<String> {
    let mut names: Vec<String> = out
        .facts("iface")
        .iter()
        .map(|i| i.split(' ').next().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

fn expect_only_loopback_up(out: &Outcome) {
    let ifaces = out.facts("iface");
    out.check(
        ifaces == ["lo up"],
        format_args!("expected only `lo up`, got {ifaces:?}"),
    );
}

#[test]
fn network_none_has_only_loopback_up() {
    let case = Case::new("net-none", "facts").policy("[network]\nmode = \"none\"\n");
    for out in case.run_both() {
        out.expect_success();
        expect_only_loopback_up(&out);
    }
}

#[test]
fn network_defaults_to_none_in_a_policy_file() {
    for out in Case::new("net-default", "facts").run_both() {
        out.expect_success();
        expect_only_loopback_up(&out);
    }
}

#[test]
fn network_host_shares_the_hosts_interfaces() {
    let host = host_interfaces();
    for policy in [
        "[network]\nmode = \"host\"\n",
        "[namespaces]\nnet = false\n",
    ] {
        for out in Case::new("net-host", "facts").policy(policy).run_both() {
            out.expect_success().expect_fact("pid", "2");
            let seen = interfaces(&out);
            out.check(
                seen == host,
                format_args!("expected the host's interfaces {host:?}, got {seen:?}"),
            );
        }
    }
}
