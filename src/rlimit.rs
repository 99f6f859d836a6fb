//! setrlimit(2): `[rlimits]`, soft = hard.

use crate::error::{Context, Facility, Result};
use crate::plan::Resource;
use nix::sys::resource::{setrlimit, Resource as R};

pub fn set(resource: Resource, value: u64) -> Result<()> {
    let r = match resource {
        Resource::Nofile => R::RLIMIT_NOFILE,
        Resource::Nproc => R::RLIMIT_NPROC,
        Resource::Fsize => R::RLIMIT_FSIZE,
        Resource::Core => R::RLIMIT_CORE,
        Resource::Cpu => R::RLIMIT_CPU,
        Resource::As => R::RLIMIT_AS,
    };
    setrlimit(r, value, value).ctx(Facility::Rlimit, || format!("setrlimit {r:?} to {value}"))
}
