//! Give libsandbox.so the soname `libsandbox.so`: a program linked against it (to call
//! `sandbox_enter`) then records that name in `DT_NEEDED` however the file was named or
//! found, which is how the hook recognises such a program (src/linked.rs).
//!
//! And link the unwinder statically. Rust's std asks for `-lgcc_s` (its backtraces use
//! `_Unwind_*`, even with panic = "abort"), so every program the library is preloaded into
//! would load libgcc_s.so.1 as well: ~0.1 ms and ~100 kB Pss per start (bench/run.sh).
//! A directory of our own, searched first, holds `libgcc_s.a` = gcc's `libgcc_eh.a`, the
//! same unwinder as an archive. Without gcc's libgcc_eh.a the dynamic libgcc_s stays.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CC");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsandbox.so");
    if std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu") {
        static_unwinder();
    }
}

fn static_unwinder() {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let Ok(out) = Command::new(cc).arg("-print-file-name=libgcc_eh.a").output() else { return };
    let archive = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    // Not found, gcc prints the bare name back.
    if !out.status.success() || !archive.is_absolute() || !archive.exists() {
        return;
    }
    let dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("static-unwinder");
    let link = dir.join("libgcc_s.a");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::remove_file(&link);
    if std::os::unix::fs::symlink(&archive, &link).is_ok() {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
}
