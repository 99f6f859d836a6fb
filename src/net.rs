//! network_namespaces(7): a new namespace has only `lo`, down; bring it up.

use crate::error::{Context, Facility, Result};

pub fn loopback_up() -> Result<()> {
    crate::sys::interface_up("lo").ctx(Facility::Net, || "bring the loopback interface up")
}
