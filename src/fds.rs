//! Inherited file descriptors: everything above 2 is closed before `main`, except
//! `process.keep_fds`.

use crate::error::{Context, Facility, Result};

/// close_range(2) over the gaps between the descriptors to keep.
pub fn close_inherited(keep: &[i32]) -> Result<()> {
    let mut first: u32 = 3;
    let mut keep: Vec<u32> = keep.iter().filter(|f| **f >= 3).map(|f| *f as u32).collect();
    keep.sort_unstable();
    for k in keep {
        if k > first {
            crate::sys::close_range(first, k - 1).ctx(Facility::Process, || format!("close inherited fds {first}..{}", k - 1))?;
        }
        first = k + 1;
    }
    crate::sys::close_range(first, u32::MAX).ctx(Facility::Process, || format!("close inherited fds >= {first}"))
}
