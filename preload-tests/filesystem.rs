//! The new root: an empty tmpfs with the policy's `[[mount]]` entries in order,
//! a fresh /proc with its dangerous parts read-only, a minimal /dev, no /sys unless
//! bound, and the working directory.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::harness::policy::{self, bind, bind_rw, out, tmpfs};
use crate::harness::{Case, Outcome};

/// Is `target` a mount point the case's policy explains?
fn allowed_mount(target: &str, policy_targets: &[&str]) -> bool {
    target == "/"
        || target == "/proc"
        || target.starts_with("/proc/")
        || target == "/dev"
        || target.starts_with("/dev/")
        || policy_targets.contains(&target)
}

#[test]
fn root_holds_only_the_policys_mounts() {
    let policy = bind("{dir}/data", "/data") + &tmpfs("/scratch");
    let case = Case::new("mounts-visible", "facts")
        .file("data/file.txt", "hello")
        .policy(policy)
        .arg("ls=/");
    for out in case.run_both() {
        out.expect_success();
        let root = out
            .mount_at("/")
            .unwrap_or_else(|| panic!("no mount at /\n{out}"));
        out.check(
            root.fstype == "tmpfs",
            format_args!("the root must be a tmpfs, got {}", root.fstype),
        );
        for mount in out.mounts() {
            out.check(
                allowed_mount(&mount.target, &["/data", "/scratch"]),
                format_args!(
                    "unexpected mount {} ({}) inside the sandbox",
                    mount.target, mount.fstype
                ),
            );
        }
        out.check(
            out.mount_at("/data").is_some(),
            "the bind of /data is missing",
        );
        out.check(
            out.mount_at("/scratch")
                .is_some_and(|m| m.fstype == "tmpfs"),
            "the tmpfs /scratch is missing",
        );
        out.check(
            out.mount_at("/proc").is_some_and(|m| m.fstype == "proc"),
            "/proc is not a proc mount",
        );
        out.expect_fact("ls:/", "data:d,dev:d,proc:d,scratch:d");
    }
}

#[test]
fn host_files_outside_the_binds_are_unreachable() {
    // Only data/ is bound, at its own path: its sibling secret.txt must not be there,
    // nor anything else of the host.
    let case = Case::new("host-file-hidden", "facts")
        .file("secret.txt", "secret")
        .file("data/file.txt", "hello")
        .policy(bind("{dir}/data", "{dir}/data"))
        .args([
            "read={dir}/secret.txt",
            "read={dir}/data/file.txt",
            "read=/etc/passwd",
            "stat=/usr",
            "stat=/work",
        ]);
    for out in case.run_both() {
        out.expect_success();
        let dir = out.dir().display().to_string();
        out.expect_fact(&format!("read:{dir}/secret.txt"), "ENOENT");
        out.expect_fact(&format!("read:{dir}/data/file.txt"), "ok");
        out.expect_fact("read:/etc/passwd", "ENOENT");
        out.expect_fact("stat:/usr", "ENOENT");
        out.expect_fact("stat:/work", "ENOENT");
    }
}

#[test]
fn read_only_bind_cannot_be_written() {
    // Mode 0666 in a 0777 directory: permissions allow writing to everybody, so
    // only the read-only mount can stop it.
    let case = Case::new("bind-ro", "facts")
        .dir("data", 0o777)
        .file_mode("data/file.txt", "hello", 0o666)
        .policy(bind("{dir}/data", "/data"))
        .args([
            "cat=/data/file.txt",
            "create=/data/new.txt",
            "openw=/data/file.txt",
        ]);
    for out in case.run_both() {
        out.expect_success();
        out.expect_fact("cat:/data/file.txt", "hello");
        out.expect_fact("create:/data/new.txt", "EROFS");
        out.expect_fact("openw:/data/file.txt", "EROFS");
        let mount = out
            .mount_at("/data")
            .unwrap_or_else(|| panic!("no mount at /data\n{out}"));
        for option in ["ro", "nosuid", "nodev"] {
            out.check(
                mount.has(option),
                format_args!("the read-only bind lacks `{option}`: {mount:?}"),
            );
        }
        out.check(
            !out.dir().join("data/new.txt").exists(),
            "a file appeared in the read-only bind's source",
        );
        out.check(
            fs::read_to_string(out.dir().join("data/file.txt")).unwrap() == "hello",
            "the read-only bind's source file changed",
        );
    }
}

#[test]
fn writable_bind_can_be_written() {
    // out() binds {dir}/out without a target: the target defaults to the source.
    let case = Case::new("bind-rw", "facts")
        .policy(out())
        .args(["create={dir}/out/new.txt"]);
    for out in case.run_both() {
        out.expect_success();
        let dir = out.dir().display().to_string();
        out.expect_fact(&format!("create:{dir}/out/new.txt"), "ok");
        let mount = out
            .mount_at(&format!("{dir}/out"))
            .unwrap_or_else(|| panic!("no mount at {dir}/out\n{out}"));
        for option in ["rw", "nosuid", "nodev"] {
            out.check(
                mount.has(option),
                format_args!("the writable bind lacks `{option}`: {mount:?}"),
            );
        }
        let host_file = out.dir().join("out/new.txt");
        let content = fs::read_to_string(&host_file).unwrap_or_default();
        out.check(
            content == "created\n",
            format_args!("{} on the host holds {content:?}", host_file.display()),
        );
        let owner = fs::metadata(&host_file)
            .map(|m| m.uid())
            .unwrap_or(u32::MAX);
        out.check(
            owner == out.user.uid,
            format_args!("the file is owned by uid {owner} on the host"),
        );
    }
}

#[test]
fn a_single_file_can_be_bound_read_only_or_writable() {
    let policy =
        bind("{dir}/data/ro.txt", "/etc/ro.txt") + &bind_rw("{dir}/data/rw.txt", "/rw.txt");
    let case = Case::new("bind-file", "facts")
        .dir("data", 0o777)
        .file_mode("data/ro.txt", "read only", 0o666)
        .file_mode("data/rw.txt", "writable", 0o666)
        .policy(policy)
        .args([
            "cat=/etc/ro.txt",
            "openw=/etc/ro.txt",
            "stat=/etc/ro.txt",
            "create=/rw.txt",
        ]);
    for out in case.run_both() {
        out.expect_success();
        out.expect_fact("cat:/etc/ro.txt", "read only")
            .expect_fact("openw:/etc/ro.txt", "EROFS");
        out.check(
            out.fact("stat:/etc/ro.txt").starts_with("file "),
            "/etc/ro.txt must be a file",
        );
        out.expect_fact("create:/rw.txt", "ok");
        let host = fs::read_to_string(out.dir().join("data/rw.txt")).unwrap();
        out.check(
            host == "created\n",
            format_args!("the writable file bind did not reach the host: {host:?}"),
        );
    }
}

#[test]
fn bind_to_another_target_with_rw_and_ro_side_by_side() {
    let policy = bind_rw("{dir}/out", "/rw") + &bind("{dir}/data", "/ro");
    let case = Case::new("bind-targets", "facts")
        .file("data/file.txt", "hello")
        .policy(policy)
        .args(["create=/rw/a.txt", "create=/ro/a.txt", "cat=/ro/file.txt"]);
    for out in case.run_both() {
        out.expect_success();
        out.expect_fact("create:/rw/a.txt", "ok")
            .expect_fact("create:/ro/a.txt", "EROFS");
        out.expect_fact("cat:/ro/file.txt", "hello");
        out.check(
            out.dir().join("out/a.txt").is_file(),
            "/rw/a.txt did not reach {dir}/out on the host",
        );
    }
}

#[test]
fn mount_entries_apply_in_policy_order() {
    // A tmpfs, then a bind inside it: both visible.
    let policy = tmpfs("/x") + &bind("{dir}/data", "/x/y");
    let case = Case::new("mount-order", "facts")
        .file("data/file.txt", "hello")
        .policy(policy)
        .arg("cat=/x/y/file.txt");
    for out in case.run_both() {
        out.expect_success()
            .expect_fact("cat:/x/y/file.txt", "hello");
    }
    // The same two the other way round: the later tmpfs covers the bind.
    let policy = bind("{dir}/data", "/x/y") + &tmpfs("/x");
    let case = Case::new("mount-order-rev", "facts")
        .file("data/file.txt", "hello")
        .policy(policy)
        .args(["cat=/x/y/file.txt", "ls=/x"]);
    for out in case.run_both() {
        out.expect_success()
            .expect_fact("cat:/x/y/file.txt", "!ENOENT")
            .expect_fact("ls:/x", "");
    }
}

#[test]
fn tmpfs_has_the_given_size_and_mode() {
    let policy =
        "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/scratch\"\nsize = \"1M\"\nmode = 0o700\n\n\
                  [[mount]]\ntype = \"tmpfs\"\ntarget = \"/shared\"\nmode = 0o1777\n";
    let case = Case::new("tmpfs", "facts").policy(policy).args([
        "stat=/scratch",
        "stat=/shared",
        "fill=/scratch/small:65536",
        "fill=/scratch/big:2097152",
        "create=/shared/x",
    ]);
    for out in case.run_both() {
        out.expect_success();
        out.check(
            out.fact("stat:/scratch").starts_with("dir 0700 "),
            "/scratch must have mode 0700",
        );
        out.check(
            out.fact("stat:/shared").starts_with("dir 1777 "),
            "/shared must have mode 1777",
        );
        out.expect_fact("fill:/scratch/small", "ok");
        out.expect_fact("fill:/scratch/big", "ENOSPC");
        out.expect_fact("create:/shared/x", "ok");
        let mount = out
            .mount_at("/scratch")
            .unwrap_or_else(|| panic!("no mount at /scratch\n{out}"));
        out.check(mount.fstype == "tmpfs", "/scratch is not a tmpfs");
        out.check(
            mount.super_options.iter().any(|o| o == "size=1024k"),
            "the tmpfs has no size=1024k",
        );
    }
}

#[test]
fn dir_and_symlink_entries() {
    let policy = "[[mount]]\ntype = \"dir\"\ntarget = \"/a/b/c\"\n\n".to_string()
        + &policy::symlink("/a/b", "/link");
    let case = Case::new("dir-symlink", "facts").policy(policy).args([
        "stat=/a/b/c",
        "stat=/link",
        "stat=/link/c",
    ]);
    for out in case.run_both() {
        out.expect_success();
        out.check(
            out.fact("stat:/a/b/c").starts_with("dir "),
            "/a/b/c must be a directory",
        );
        out.check(
            out.fact("stat:/link").starts_with("symlink "),
            "/link must be a symlink",
        );
        out.expect_fact("readlink:/link", "/a/b");
        out.check(
            out.fact("stat:/link/c").starts_with("dir "),
            "/link/c must resolve to the directory",
        );
    }
}

#[test]
fn optional_bind_of_a_missing_source_is_skipped() {
    let policy = "[[mount]]\ntype = \"bind\"\nsource = \"{dir}/missing\"\ntarget = \"/opt/missing\"\noptional = true\n\n"
        .to_string()
        + &bind("{dir}/data", "/data");
    let case = Case::new("bind-optional", "facts")
        .file("data/file.txt", "hello")
        .policy(policy)
        .args(["cat=/data/file.txt", "stat=/opt/missing/file"]);
    for out in case.run_both() {
        out.expect_success();
        out.expect_fact("cat:/data/file.txt", "hello");
        out.expect_fact("stat:/opt/missing/file", "ENOENT");
        out.check(
            out.mount_at("/opt/missing").is_none(),
            "a mount exists at the skipped target",
        );
    }
}

/// /proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus: read-only. Where the host
/// has the path, the sandbox must show it on a read-only mount (or not at all), and
/// root inside (whose uid owns those files) gets EROFS when opening one for writing.
#[test]
fn proc_sys_and_friends_are_read_only() {
    let guarded = ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"];
    let mut writable: Vec<String> = vec!["/proc/sys/kernel/hostname".into()];
    if Path::new("/proc/sysrq-trigger").exists() {
        writable.push("/proc/sysrq-trigger".into());
    }
    writable.extend(policy::root_writable_file_under("/proc/irq"));
    writable.extend(policy::root_writable_file_under("/proc/bus"));

    // Only opened for writing, never written: harmless even if the library failed.
    let mut case = Case::new("proc-ro", "facts");
    for path in guarded {
        case = case.arg(format!("stat={path}"));
    }
    for path in &writable {
        case = case.arg(format!("openw={path}"));
    }
    for out in case.run_both() {
        out.expect_success();
        for path in guarded {
            if !Path::new(path).exists() || out.fact(&format!("stat:{path}")) == "ENOENT" {
                continue;
            }
            let mount = out.mount_at(path);
            out.check(
                mount.as_ref().is_some_and(|m| m.has("ro")),
                format_args!("{path} is not on a read-only mount: {mount:?}"),
            );
        }
        for path in &writable {
            let got = out.fact(&format!("openw:{path}"));
            // As root the owner's write bit applies, so only the read-only mount stops
            // the open; the unprivileged user may be stopped by permissions first.
            let ok = got == "EROFS" || got == "ENOENT" || (!out.user.is_root() && got == "EACCES");
            out.check(
                ok,
                format_args!("opening {path} for writing gave {got}, expected EROFS"),
            );
        }
    }
}

#[test]
fn sys_is_absent_unless_bound() {
    for out in Case::new("sys-absent", "facts")
        .args(["stat=/sys"])
        .run_both()
    {
        out.expect_success().expect_fact("stat:/sys", "ENOENT");
        out.check(
            out.mounts().iter().all(|m| m.fstype != "sysfs"),
            "a sysfs is mounted",
        );
    }
    let case = Case::new("sys-bound", "facts")
        .policy(bind("/sys", "/sys"))
        .args(["stat=/sys/kernel"]);
    for out in case.run_both() {
        out.expect_success();
        out.check(
            out.fact("stat:/sys/kernel").starts_with("dir "),
            "a bound /sys must show /sys/kernel",
        );
    }
}

fn dev_entries(out: &Outcome) -> Vec<(String, char)> {
    out.fact("ls:/dev")
        .split(',')
        .filter(|e| !e.is_empty())
        .map(|e| {
            let (name, kind) = e.rsplit_once(':').unwrap_or((e, "?"));
            (name.to_string(), kind.chars().next().unwrap_or('?'))
        })
        .collect()
}

#[test]
fn dev_is_minimal() {
    let devices = ["null", "zero", "full", "random", "urandom", "tty"];
    let mut case = Case::new("dev", "facts").arg("ls=/dev");
    for dev in devices {
        case = case.arg(format!("stat=/dev/{dev}"));
    }
    case = case.args([
        "stat=/dev/pts",
        "stat=/dev/shm",
        "stat=/dev/vda",
        "stat=/dev/sda",
        "stat=/dev/kvm",
        "stat=/dev/mem",
        "openw=/dev/null",
        "read=/dev/zero",
        "read=/dev/urandom",
        "fill=/dev/full:1",
        "create=/dev/shm/x",
    ]);
    for out in case.run_both() {
        out.expect_success();
        for dev in devices {
            let stat = out.fact(&format!("stat:/dev/{dev}"));
            out.check(
                stat.starts_with("chr "),
                format_args!("/dev/{dev} must be a character device, got {stat}"),
            );
        }
        out.check(
            out.fact("stat:/dev/pts").starts_with("dir "),
            "/dev/pts must be a directory",
        );
        out.check(
            out.fact("stat:/dev/shm").starts_with("dir "),
            "/dev/shm must be a directory",
        );
        for absent in ["vda", "sda", "kvm", "mem"] {
            out.expect_fact(&format!("stat:/dev/{absent}"), "ENOENT");
        }
        let entries = dev_entries(&out);
        let blocks: Vec<_> = entries.iter().filter(|(_, k)| *k == 'b').collect();
        out.check(
            blocks.is_empty(),
            format_args!("block devices in /dev: {blocks:?}"),
        );
        out.expect_fact("openw:/dev/null", "ok")
            .expect_fact("read:/dev/zero", "ok");
        out.expect_fact("read:/dev/urandom", "ok")
            .expect_fact("fill:/dev/full", "ENOSPC");
        out.expect_fact("create:/dev/shm/x", "ok");
        out.check(
            out.mount_at("/dev/pts")
                .is_some_and(|m| m.fstype == "devpts"),
            "/dev/pts is not a devpts",
        );
    }
}

#[test]
fn proc_and_dev_can_be_left_out() {
    let case = Case::new("no-proc-dev", "facts")
        .policy("[filesystem]\nproc = false\ndev = false\n")
        .args(["stat=/proc", "stat=/dev", "ls=/"]);
    for out in case.run_both() {
        out.expect_success();
        out.expect_fact("stat:/proc", "ENOENT")
            .expect_fact("stat:/dev", "ENOENT")
            .expect_fact("ls:/", "");
    }
}

#[test]
fn cwd_is_taken_from_the_policy() {
    let case =
        Case::new("cwd-set", "facts").policy(tmpfs("/tmp") + "\n[filesystem]\ncwd = \"/tmp\"\n");
    for out in case.run_both() {
        out.expect_success().expect_fact("cwd", "/tmp");
    }
}

#[test]
fn cwd_defaults_to_the_callers_when_visible_else_root() {
    // The harness starts every case in its own directory {dir}.
    let case = Case::new("cwd-visible", "facts").policy(bind("{dir}", "{dir}"));
    for out in case.run_both() {
        out.expect_success()
            .expect_fact("cwd", &out.dir().display().to_string());
    }
    for out in Case::new("cwd-hidden", "facts").run_both() {
        out.expect_success().expect_fact("cwd", "/");
    }
}
