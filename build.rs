//! Build script: fail early with an actionable message when libseccomp's development
//! files are missing (otherwise the link step fails with an opaque "cannot find -lseccomp").

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=LIBSECCOMP_LIB_PATH");
    if std::env::var_os("LIBSECCOMP_LIB_PATH").is_some() {
        return;
    }
    let found = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"]
        .iter()
        .any(|d| Path::new(d).join("libseccomp.so").exists() || Path::new(d).join("libseccomp.a").exists());
    if !found {
        panic!(
            "libseccomp development files not found (libseccomp.so). Install them: \
             `apt-get install libseccomp-dev` (Debian/Ubuntu), `dnf install libseccomp-devel` (Fedora), \
             or set LIBSECCOMP_LIB_PATH to the directory that holds libseccomp.so"
        );
    }
}
