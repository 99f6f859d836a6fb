//! mount_namespaces(7), pivot_root(2): the sandbox's root filesystem.
//!
//! Run by the init process, in order (see `plan::rootfs_steps`):
//!   / private -> scratch tmpfs, pivot into it (host root at /oldroot) -> tmpfs /newroot
//!   -> /dev, /proc -> the policy's mounts -> pivot into /newroot, detach the rest.

use crate::error::{Context, Facility, Result};
use crate::plan::NodeKind;
use crate::policy::{AbsPath, Size};
use crate::sys;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const OLD: &str = "/oldroot";
const NEW: &str = "/newroot";
const NONE: Option<&str> = None;
const F: Facility = Facility::Rootfs;

/// Where a sandbox path is while the new root is being built.
fn inside(target: &AbsPath) -> PathBuf {
    Path::new(NEW).join(target.as_path().strip_prefix("/").unwrap_or(target.as_path()))
}

fn host(source: &Path) -> PathBuf {
    Path::new(OLD).join(source.strip_prefix("/").unwrap_or(source))
}

fn cstr(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).expect("paths from the policy contain no NUL")
}

pub fn make_root_private() -> Result<()> {
    mount(NONE, "/", NONE, MsFlags::MS_REC | MsFlags::MS_PRIVATE, NONE).ctx(F, || "make / a private mount (recursive)")
}

pub fn enter_setup_root(dir: &Path) -> Result<()> {
    let d = dir.display();
    mount(Some("tmpfs"), dir, Some("tmpfs"), MsFlags::MS_NOSUID | MsFlags::MS_NODEV, Some("mode=0755,size=64k"))
        .ctx(F, || format!("mount the setup tmpfs on {d}"))?;
    nix::unistd::chdir(dir).ctx(F, || format!("chdir {d}"))?;
    for sub in ["newroot", "oldroot"] {
        std::fs::create_dir(sub).ctx(F, || format!("mkdir {d}/{sub}"))?;
    }
    nix::unistd::pivot_root(".", "oldroot").ctx(F, || format!("pivot_root into the setup tmpfs on {d}"))?;
    nix::unistd::chdir("/").ctx(F, || "chdir / after pivot_root")
}

pub fn new_root() -> Result<()> {
    mount(Some("tmpfs"), NEW, Some("tmpfs"), MsFlags::MS_NOSUID | MsFlags::MS_NODEV, Some("mode=0755"))
        .ctx(F, || "mount the tmpfs of the new root")
}

/// Set mount attributes on `path` (and below with `recursive`); on kernels without
/// mount_setattr (before 5.12) remount the top mount, keeping the flags the kernel locked.
fn set_attrs(path: &Path, attrs: u64, recursive: bool) -> Result<()> {
    let c = cstr(path);
    match sys::mount_setattr(&c, attrs, recursive) {
        Err(nix::errno::Errno::ENOSYS) => {
            let st = nix::sys::statvfs::statvfs(path).ctx(F, || format!("statvfs {}", path.display()))?;
            use nix::sys::statvfs::FsFlags;
            let mut flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT;
            for (attr, fl) in [(sys::MOUNT_ATTR_RDONLY, MsFlags::MS_RDONLY), (sys::MOUNT_ATTR_NOSUID, MsFlags::MS_NOSUID), (sys::MOUNT_ATTR_NODEV, MsFlags::MS_NODEV), (sys::MOUNT_ATTR_NOEXEC, MsFlags::MS_NOEXEC)] {
                if attrs & attr != 0 {
                    flags |= fl;
                }
            }
            // Locked flags must be repeated or the remount fails with EPERM in a user namespace.
            for (ff, fl) in [(FsFlags::ST_NOSUID, MsFlags::MS_NOSUID), (FsFlags::ST_NODEV, MsFlags::MS_NODEV), (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC), (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME), (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME), (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME), (FsFlags::ST_RDONLY, MsFlags::MS_RDONLY)] {
                if st.flags().contains(ff) {
                    flags |= fl;
                }
            }
            mount(NONE, path, NONE, flags, NONE).ctx(F, || format!("remount {} with {flags:?}", path.display()))
        }
        r => r.ctx(F, || format!("set mount attributes {attrs:#x} on {}", path.display())),
    }
}

/// Create the mount point for a node of `kind` (and its parents).
fn make_mount_point(dst: &Path, kind: NodeKind) -> Result<()> {
    match kind {
        NodeKind::Dir => std::fs::create_dir_all(dst).ctx(F, || format!("mkdir -p {}", dst.display())),
        NodeKind::File => {
            if let Some(parent) = dst.parent() {
                std::fs::create_dir_all(parent).ctx(F, || format!("mkdir -p {}", parent.display()))?;
            }
            match std::fs::symlink_metadata(dst) {
                Ok(_) => Ok(()),
                Err(_) => std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(dst)
                    .map(drop)
                    .ctx(F, || format!("create the mount point {}", dst.display())),
            }
        }
    }
}

pub fn bind(source: &Path, target: &AbsPath, kind: NodeKind, writable: bool) -> Result<()> {
    let (src, dst) = (host(source), inside(target));
    make_mount_point(&dst, kind)?;
    mount(Some(&src), &dst, NONE, MsFlags::MS_BIND | MsFlags::MS_REC, NONE)
        .ctx(F, || format!("bind mount {} -> {target}", source.display()))?;
    // A bind is two steps: the flags of the first are ignored; set them on the whole subtree.
    let mut attrs = sys::MOUNT_ATTR_NOSUID | sys::MOUNT_ATTR_NODEV;
    if !writable {
        attrs |= sys::MOUNT_ATTR_RDONLY;
    }
    set_attrs(&dst, attrs, true)
}

pub fn tmpfs(target: &AbsPath, size: Option<Size>, mode: u32) -> Result<()> {
    let dst = inside(target);
    std::fs::create_dir_all(&dst).ctx(F, || format!("mkdir -p {target}"))?;
    let mut data = format!("mode={mode:o}");
    if let Some(s) = size {
        data.push_str(&format!(",size={}", s.0));
    }
    mount(Some("tmpfs"), &dst, Some("tmpfs"), MsFlags::MS_NOSUID | MsFlags::MS_NODEV, Some(data.as_str()))
        .ctx(F, || format!("mount tmpfs on {target} ({data})"))
}

pub fn dir(target: &AbsPath, mode: u32) -> Result<()> {
    let dst = inside(target);
    std::fs::create_dir_all(&dst).ctx(F, || format!("mkdir -p {target}"))?;
    std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(mode)).ctx(F, || format!("chmod {mode:o} {target}"))
}

pub fn symlink(text: &str, target: &AbsPath) -> Result<()> {
    let dst = inside(target);
    if let Some(parent) = dst.parent() {
        std::fs::create_dir_all(parent).ctx(F, || format!("mkdir -p the parent of {target}"))?;
    }
    std::os::unix::fs::symlink(text, &dst).ctx(F, || format!("symlink {target} -> {text}"))
}

pub fn mount_proc() -> Result<()> {
    let dst = Path::new(NEW).join("proc");
    std::fs::create_dir_all(&dst).ctx(F, || "mkdir /proc")?;
    mount(Some("proc"), &dst, Some("proc"), MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC, NONE)
        .ctx(F, || "mount a new proc on /proc")
}

pub fn protect_proc(paths: &[&str]) -> Result<()> {
    for p in paths {
        let dst = Path::new(NEW).join("proc").join(p);
        mount(Some(&dst), &dst, NONE, MsFlags::MS_BIND | MsFlags::MS_REC, NONE).ctx(F, || format!("bind /proc/{p} onto itself"))?;
        set_attrs(&dst, sys::MOUNT_ATTR_RDONLY | sys::MOUNT_ATTR_NOSUID | sys::MOUNT_ATTR_NODEV | sys::MOUNT_ATTR_NOEXEC, true)?;
    }
    Ok(())
}

pub fn mount_dev(nodes: &[&str]) -> Result<()> {
    let dev = Path::new(NEW).join("dev");
    std::fs::create_dir_all(&dev).ctx(F, || "mkdir /dev")?;
    mount(Some("tmpfs"), &dev, Some("tmpfs"), MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC, Some("mode=0755,size=64k"))
        .ctx(F, || "mount tmpfs on /dev")?;
    for n in nodes {
        // Device nodes cannot be created in a user namespace: bind the host's. Their mount
        // keeps `dev` (the host's devtmpfs is not nodev), and gets nosuid,noexec below.
        // The tmpfs is new and empty: one open(O_CREAT|O_EXCL) makes the mount point.
        let dst = dev.join(n);
        std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&dst)
            .map(drop)
            .ctx(F, || format!("create the mount point /dev/{n}"))?;
        let src = Path::new(OLD).join("dev").join(n);
        mount(Some(&src), &dst, NONE, MsFlags::MS_BIND, NONE).ctx(F, || format!("bind /dev/{n}"))?;
    }
    // nosuid,noexec on all the nodes with one recursive call (/dev has both already; pts and
    // shm come after); one call per node where the kernel lacks mount_setattr.
    let attrs = sys::MOUNT_ATTR_NOSUID | sys::MOUNT_ATTR_NOEXEC;
    match sys::mount_setattr(&cstr(&dev), attrs, true) {
        Err(nix::errno::Errno::ENOSYS) => {
            for n in nodes {
                set_attrs(&dev.join(n), attrs, false)?;
            }
        }
        r => r.ctx(F, || "set nosuid,noexec on the device nodes of /dev")?,
    }
    let pts = dev.join("pts");
    std::fs::create_dir(&pts).ctx(F, || "mkdir /dev/pts")?;
    mount(Some("devpts"), &pts, Some("devpts"), MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC, Some("newinstance,ptmxmode=0666,mode=620"))
        .ctx(F, || "mount devpts on /dev/pts")?;
    let shm = dev.join("shm");
    std::fs::create_dir(&shm).ctx(F, || "mkdir /dev/shm")?;
    mount(Some("tmpfs"), &shm, Some("tmpfs"), MsFlags::MS_NOSUID | MsFlags::MS_NODEV, Some("mode=1777"))
        .ctx(F, || "mount tmpfs on /dev/shm")?;
    for (link, text) in [("ptmx", "pts/ptmx"), ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")] {
        std::os::unix::fs::symlink(text, dev.join(link)).ctx(F, || format!("symlink /dev/{link}"))?;
    }
    Ok(())
}

pub fn enter_new_root(readonly: bool) -> Result<()> {
    nix::unistd::chdir(NEW).ctx(F, || "chdir to the new root")?;
    // pivot_root(".", "."): the setup tmpfs ends up stacked on top of the new root; the
    // lazy unmount of "." then removes that layer (the trick runc uses) together with
    // everything mounted below it, the host root at /oldroot included. One unmount, not
    // two: each one that frees mounts waits for an RCU grace period (0.1-0.5 ms here).
    nix::unistd::pivot_root(".", ".").ctx(F, || "pivot_root into the new root")?;
    umount2(".", MntFlags::MNT_DETACH).ctx(F, || "detach the setup tmpfs and the host root below it")?;
    nix::unistd::chdir("/").ctx(F, || "chdir /")?;
    if readonly {
        set_attrs(Path::new("/"), sys::MOUNT_ATTR_RDONLY | sys::MOUNT_ATTR_NOSUID | sys::MOUNT_ATTR_NODEV, false)?;
    }
    Ok(())
}
