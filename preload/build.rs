//! Give libsandbox.so the soname `libsandbox.so`: a program linked against it (to call
//! `sandbox_enter`) then records that name in `DT_NEEDED` however the file was named or
//! found, which is how the hook recognises such a program (src/linked.rs).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsandbox.so");
}
