//! libsandbox.so: the `__libc_start_main` hook and the C API (`include/sandbox.h`).
//!
//! The hook: glibc's start routine is found with `dlsym(RTLD_NEXT)` and called with a
//! substitute `main`, which sets up the sandbox (in the `libsandbox` crate) and then calls
//! the program's real `main` in the app process. Before anything else it answers the
//! `sandbox run` handshake (`libsandbox::handshake`), and it steps aside in a program that
//! was linked against the library to call `sandbox_enter` itself (`linked`).
//!
//! This crate is the only one built into libsandbox.so, so no test or CLI binary can ever
//! carry the hook. It is the thin unsafe layer of the library's C ABI.

mod linked;

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

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
    // SAFETY: the kernel puts the environment right after argv's NULL terminator; _start
    // passes argc and argv unchanged.
    let envp = unsafe { argv.add(argc.max(0) as usize + 1) } as *const *const c_char;
    // No allocation and no system call before the handshake's answer (see handshake.rs).
    let take_over = !linked::passes_through(envp, own_file());
    if take_over {
        libsandbox::handshake::answer(envp);
    }
    // SAFETY: the symbol name is a valid C string; RTLD_NEXT finds glibc's definition.
    let real = unsafe { libc::dlsym(libc::RTLD_NEXT, c"__libc_start_main".as_ptr()) };
    if real.is_null() {
        let msg = b"sandbox: error: find glibc's __libc_start_main: dlsym(RTLD_NEXT) found nothing (libsandbox.so only works with glibc)\n";
        // SAFETY: writing a static buffer to stderr.
        unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
        // SAFETY: plain _exit.
        unsafe { libc::_exit(125) };
    }
    // SAFETY: `real` is glibc's __libc_start_main, whose signature is `StartMainFn`.
    let real: StartMainFn = unsafe { std::mem::transmute::<*mut c_void, StartMainFn>(real) };
    if !take_over {
        return real(main, argc, argv, init, fini, rtld_fini, stack_end);
    }
    REAL_MAIN.store(main as usize, Ordering::SeqCst);
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
    libsandbox::api::mark_entered();
    // SAFETY: REAL_MAIN holds the `main` glibc gave the hook.
    let main: MainFn = unsafe { std::mem::transmute::<usize, MainFn>(REAL_MAIN.load(Ordering::SeqCst)) };
    main(argc, argv, envp)
}

/// This library's file name (without directories) as the loader found it, without
/// allocating (the hook calls it before the handshake).
fn own_file() -> &'static [u8] {
    // SAFETY: dladdr only reads the loader's tables; Dl_info is plain data; dli_fname
    // points into the loader's link map, which lives as long as the library is loaded.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        if libc::dladdr(substitute_main as *const c_void, &mut info) != 0 && !info.dli_fname.is_null() {
            let path = CStr::from_ptr(info.dli_fname).to_bytes();
            return path.rsplit(|b| *b == b'/').next().unwrap_or(path);
        }
    }
    linked::SONAME
}

/// This library's file name as the loader found it (to remove it from LD_PRELOAD).
fn own_file_name() -> String {
    String::from_utf8_lossy(own_file()).into_owned()
}

// ---------------------------------------------------------------------------------------
// The C API (include/sandbox.h). See libsandbox::api for what returns where.

/// The last error of `sandbox_enter`, for `sandbox_last_error`.
static LAST_ERROR: Mutex<Option<CString>> = Mutex::new(None);

fn set_last_error(message: String) {
    let message = CString::new(message.replace('\0', " ")).expect("NUL bytes were replaced");
    *LAST_ERROR.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
}

/// `int sandbox_enter(const char *policy_path)`: 0 in the sandboxed app process; -1 with
/// nothing changed (see `sandbox_last_error`); never returns in the calling process once
/// the sandbox is being built (it becomes the monitor).
///
/// # Safety
/// `policy_path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn sandbox_enter(policy_path: *const c_char) -> c_int {
    let path = if policy_path.is_null() {
        None
    } else {
        // SAFETY: the caller passes a NUL-terminated string (sandbox.h).
        match unsafe { CStr::from_ptr(policy_path) }.to_str() {
            Ok(p) => Some(p),
            Err(_) => {
                set_last_error("sandbox_enter: the policy path is not valid UTF-8 (rename the policy file)".into());
                return -1;
            }
        }
    };
    let own = own_file_name();
    match libsandbox::api::enter(path, &own) {
        Ok(()) => {
            // In the sandboxed app, its seccomp filter on: nothing may be freed (free may
            // call brk or munmap, which the policy need not allow). A message of an earlier
            // failed call is leaked, not dropped.
            std::mem::forget(own);
            std::mem::forget(LAST_ERROR.lock().unwrap_or_else(|e| e.into_inner()).take());
            0
        }
        Err(e) => {
            set_last_error(e.line());
            -1
        }
    }
}

/// `const char *sandbox_last_error(void)`: why the last `sandbox_enter` returned -1, as
/// `<what failed>: <why> (<hint>)`; NULL if it did not fail. Valid until the next call.
#[no_mangle]
pub extern "C" fn sandbox_last_error() -> *const c_char {
    match &*LAST_ERROR.lock().unwrap_or_else(|e| e.into_inner()) {
        Some(message) => message.as_ptr(),
        None => std::ptr::null(),
    }
}
