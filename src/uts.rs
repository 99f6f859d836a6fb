//! uts_namespaces(7): the hostname inside.

use crate::error::{Context, Facility, Result};

pub fn set_hostname(name: &str) -> Result<()> {
    nix::unistd::sethostname(name).ctx(Facility::Uts, || format!("set the hostname to {name:?}"))
}
