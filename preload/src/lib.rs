//! libsandbox.so: the `__libc_start_main` hook. glibc's start routine is found with
//! `dlsym(RTLD_NEXT)` and called with a substitute `main`, which sets up the sandbox (in
//! the `libsandbox` crate) and then calls the program's real `main` in the app process.
//!
//! This crate is the only one built into libsandbox.so, so no test or CLI binary can ever
//! carry the hook. It is the thin unsafe layer of the library's C ABI.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};

type MainFn = extern "C" fn(c_int, *mut *mut c_char, *mut *mut c_char) -> c_int;
type StartMainFn = extern "C" fn(MainFn, c_int, *mut *mut c_char, *const c_void, *const c_void, *const c_void, *mut c_void) -> c_int;

/// The program's real `main`, kept between the hook and the substitute.
static REAL_MAIN: AtomicUsize = AtomicUsize::new(0);

/// The hook. Same signature as glibc's (the init/fini arguments are unused by glibc >= 2.34
/// but passed through unchanged).
///
/// # Safety
/// Called by the program's `_start` with the arguments the kernel and ld.so prepared.
#[no_mangle]
pub unsafe extern "C" fn __libc_start_main(
    main: MainFn,
    argc: c_int,
    argv: *mut *mut c_char,
    init: *const c_void,
    fini: *const c_void,
    rtld_fini: *const c_void,
    stack_end: *mut c_void,
) -> c_int {
    // SAFETY: the symbol name is a valid C string; RTLD_NEXT finds glibc's definition.
    let real = unsafe { libc::dlsym(libc::RTLD_NEXT, c"__libc_start_main".as_ptr()) };
    if real.is_null() {
        let msg = b"sandbox: error: find glibc's __libc_start_main: dlsym(RTLD_NEXT) found nothing (libsandbox.so only works with glibc)\n";
        // SAFETY: writing a static buffer to stderr.
        unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
        // SAFETY: plain _exit.
        unsafe { libc::_exit(125) };
    }
    REAL_MAIN.store(main as usize, Ordering::SeqCst);
    // SAFETY: `real` is glibc's __libc_start_main, whose signature is `StartMainFn`.
    let real: StartMainFn = unsafe { std::mem::transmute::<*mut c_void, StartMainFn>(real) };
    real(substitute_main, argc, argv, init, fini, rtld_fini, stack_end)
}

/// Runs in place of `main`, once libc (and the program's constructors) are up.
extern "C" fn substitute_main(argc: c_int, argv: *mut *mut c_char, envp: *mut *mut c_char) -> c_int {
    // SAFETY: argv[0] is NULL or a NUL-terminated string provided by the kernel.
    let argv0 = unsafe {
        if argc > 0 && !argv.is_null() && !(*argv).is_null() {
            CStr::from_ptr(*argv).to_str().ok()
        } else {
            None
        }
    };
    let envp = libsandbox::enter_from_preload(argv0, envp, &own_file_name());
    // SAFETY: REAL_MAIN holds the `main` glibc gave the hook.
    let main: MainFn = unsafe { std::mem::transmute::<usize, MainFn>(REAL_MAIN.load(Ordering::SeqCst)) };
    main(argc, argv, envp)
}

/// This library's file name as the loader found it (to remove it from LD_PRELOAD).
fn own_file_name() -> String {
    // SAFETY: dladdr only reads the loader's tables; Dl_info is plain data.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        if libc::dladdr(substitute_main as *const c_void, &mut info) != 0 && !info.dli_fname.is_null() {
            let path = CStr::from_ptr(info.dli_fname).to_string_lossy();
            return path.rsplit('/').next().unwrap_or(&path).to_string();
        }
    }
    "libsandbox.so".to_string()
}
