//! capabilities(7) and no_new_privs: dropped in the app before seccomp, then verified.

use crate::error::{Context, Facility, Result, SetupError};

/// Empty the bounding, ambient, inheritable, permitted and effective sets.
pub fn drop_all() -> Result<()> {
    crate::sys::drop_all_capabilities().ctx(Facility::Caps, || "drop all capabilities")?;
    match crate::sys::capabilities_all_empty() {
        Ok(true) => Ok(()),
        Ok(false) => Err(SetupError::reason(Facility::Caps, "drop all capabilities", "a capability set is still not empty after dropping")),
        Err(e) => Err(SetupError::errno(Facility::Caps, "verify the capability sets", e)),
    }
}

/// PR_SET_NO_NEW_PRIVS: execve can never grant privileges again (and seccomp needs it).
pub fn no_new_privs() -> Result<()> {
    nix::sys::prctl::set_no_new_privs().ctx(Facility::Caps, || "set no_new_privs")?;
    match nix::sys::prctl::get_no_new_privs() {
        Ok(true) => Ok(()),
        Ok(false) => Err(SetupError::reason(Facility::Caps, "set no_new_privs", "the flag did not stick")),
        Err(e) => Err(SetupError::errno(Facility::Caps, "verify no_new_privs", e)),
    }
}
