//! Was libsandbox.so preloaded, or linked into the program as a library?
//!
//! Linking a program against libsandbox.so (`cc app.c -lsandbox`, to call `sandbox_enter`)
//! also puts the library's `__libc_start_main` ahead of glibc's: the hook runs in that
//! program too. Such a program sandboxes itself, when and with the policy it chooses, so
//! the hook must step aside. The rule:
//!
//! - `LD_PRELOAD` names this library: take over (whoever started the program asked for a
//!   sandbox around all of `main`; a later `sandbox_enter` then fails: already sandboxed);
//! - otherwise, a loaded object lists this library in `DT_NEEDED` (the program, or a
//!   library of it, was linked against it): pass through to glibc untouched;
//! - otherwise (`/etc/ld.so.preload`, `ld.so --preload`): take over. Never fail open.
//!
//! Runs in the hook before the handshake answer: no allocation, no system call.

use std::ffi::{c_char, c_int, c_void, CStr};

/// The library's soname (set by preload/build.rs): what `DT_NEEDED` records when a
/// program is linked against it, however the library file is named.
pub const SONAME: &[u8] = b"libsandbox.so";

/// True when the hook must leave this program alone (see the module comment).
/// `own_file` is this library's file name (without directories) as the loader found it.
pub fn passes_through(envp: *const *const c_char, own_file: &[u8]) -> bool {
    let preloaded = libsandbox::sys::env_find(envp, b"LD_PRELOAD")
        .is_some_and(|list| list.split(|b| *b == b':' || *b == b' ').any(|item| file_name(item) == own_file));
    !preloaded && needed_by_a_loaded_object(own_file)
}

fn file_name(path: &[u8]) -> &[u8] {
    path.rsplit(|b| *b == b'/').next().unwrap_or(path)
}

#[repr(C)]
struct Elf64Dyn {
    d_tag: i64,
    d_val: u64,
}

const DT_NULL: i64 = 0;
const DT_NEEDED: i64 = 1;
const DT_STRTAB: i64 = 5;

struct Search<'a> {
    own_file: &'a [u8],
    found: bool,
}

fn needed_by_a_loaded_object(own_file: &[u8]) -> bool {
    let mut search = Search { own_file, found: false };
    // SAFETY: `visit` matches dl_iterate_phdr's callback type and only reads the loader's
    // tables for the duration of the call; `search` outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(visit), (&mut search as *mut Search).cast()) };
    search.found
}

/// For each loaded object: walk its dynamic section and compare every `DT_NEEDED` name.
unsafe extern "C" fn visit(info: *mut libc::dl_phdr_info, _size: usize, data: *mut c_void) -> c_int {
    // SAFETY: dl_iterate_phdr passes a valid info and our `Search`.
    let (info, search) = unsafe { (&*info, &mut *data.cast::<Search>()) };
    if info.dlpi_phdr.is_null() {
        return 0;
    }
    // SAFETY: dlpi_phdr points to dlpi_phnum program headers of a loaded object.
    let phdrs = unsafe { std::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum as usize) };
    let Some(dynamic) = phdrs.iter().find(|p| p.p_type == libc::PT_DYNAMIC) else { return 0 };
    let base = info.dlpi_addr;
    let dyns = (base + dynamic.p_vaddr) as *const Elf64Dyn;
    let (mut strtab, mut needed) = (0u64, [0u64; 64]);
    let mut count = 0;
    // SAFETY: the dynamic section is mapped and ends with DT_NULL.
    unsafe {
        let mut d = dyns;
        while (*d).d_tag != DT_NULL {
            match (*d).d_tag {
                DT_STRTAB => strtab = (*d).d_val,
                DT_NEEDED if count < needed.len() => {
                    needed[count] = (*d).d_val;
                    count += 1;
                }
                _ => {}
            }
            d = d.add(1);
        }
    }
    if strtab == 0 {
        return 0;
    }
    // The loader relocates DT_STRTAB in place for most objects, not for all (the vDSO): an
    // address below the load base is still relative.
    if strtab < base {
        strtab += base;
    }
    for &offset in &needed[..count] {
        // SAFETY: DT_NEEDED values are offsets of NUL-terminated names in the string table.
        let name = unsafe { CStr::from_ptr((strtab + offset) as *const c_char) }.to_bytes();
        let name = file_name(name);
        if name == SONAME || name == search.own_file {
            search.found = true;
            return 1;
        }
    }
    0
}
