//! The built-in default policy (SANDBOX_POLICY unset) and the defaults of a policy
//! file (an empty file is a valid policy).

use crate::harness::Case;

#[test]
fn default_policy_when_sandbox_policy_is_unset() {
    let case = Case::new("default-policy", "facts")
        .default_policy()
        .file("secret.txt", "secret")
        .args([
            "stat=/usr/bin",
            "read=/etc/passwd",
            "stat=/bin",
            "stat=/lib",
            "read={dir}/secret.txt",
            "stat=/home",
            "stat=/root",
            "stat=/work",
            "stat=/sys",
            "create=/tmp/x",
            "create=/usr/x",
            "stat=/dev/null",
        ]);
    for out in case.run_both() {
        out.expect_success();
        out.expect_fact("hostname", "sandbox")
            .expect_fact("pid", "2")
            .expect_fact("ppid", "1");
        out.expect_fact("uid", &out.user.uid.to_string())
            .expect_fact("NoNewPrivs", "1");
        let ifaces = out.facts("iface");
        out.check(
            ifaces == ["lo up"],
            format_args!("network must be none: {ifaces:?}"),
        );
        out.check(
            out.fact("stat:/usr/bin").starts_with("dir "),
            "/usr must be bound",
        );
        out.expect_fact("read:/etc/passwd", "ok");
        // Symlinks of the host (merged /usr) are kept as symlinks.
        for link in ["/bin", "/lib"] {
            let host = std::fs::symlink_metadata(link).unwrap();
            if host.file_type().is_symlink() {
                let text = std::fs::read_link(link).unwrap().display().to_string();
                out.expect_fact(&format!("readlink:{link}"), &text);
            } else {
                out.check(
                    out.fact(&format!("stat:{link}")).starts_with("dir "),
                    format_args!("{link} must be bound"),
                );
            }
        }
        let dir = out.dir().display().to_string();
        out.expect_fact(&format!("read:{dir}/secret.txt"), "ENOENT");
        for absent in ["/home", "/root", "/work", "/sys"] {
            out.expect_fact(&format!("stat:{absent}"), "ENOENT");
        }
        out.expect_fact("create:/tmp/x", "ok")
            .expect_fact("create:/usr/x", "EROFS");
        out.check(
            out.fact("stat:/dev/null").starts_with("chr "),
            "/dev/null is missing",
        );
        out.check(
            out.mount_at("/tmp").is_some_and(|m| m.fstype == "tmpfs"),
            "/tmp must be a tmpfs",
        );
    }
}

#[test]
fn an_empty_policy_file_is_valid_and_gives_an_empty_root() {
    for out in Case::new("policy-empty", "facts")
        .policy("")
        .arg("ls=/")
        .run_both()
    {
        out.expect_success();
        out.check(
            out.stderr.is_empty(),
            "an empty policy must run without any diagnostic",
        );
        // No [[mount]] entries: the root is an empty tmpfs plus /proc and /dev.
        out.expect_fact("ls:/", "dev:d,proc:d");
        out.expect_fact("hostname", "sandbox")
            .expect_fact("pid", "2");
        let ifaces = out.facts("iface");
        out.check(
            ifaces == ["lo up"],
            format_args!("network must be none: {ifaces:?}"),
        );
    }
}
