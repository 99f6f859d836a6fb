//! The harness of the preload tests.
//!
//! - `world`: set up once per run — finds `target/<profile>/libsandbox.so` (or
//!   `SANDBOX_LIB`), compiles `c-fixtures/*.c` with `cc`, creates the unprivileged
//!   user `sandbox-test`, probes that each user may create a user namespace, and
//!   copies everything into a world-readable directory under /tmp.
//! - `case`: `Case::new("name", "fixture").policy(..).args(..).run_both()` runs one
//!   case as root and as the unprivileged user, with a timeout, and checks that the
//!   run left no process, mount or cgroup behind.
//! - `outcome`: the exit status, output and parsed `key=value` facts of one run,
//!   with assertions that print all of it.
//! - `policy`: TOML fragments (binds, tmpfs, the host's system directories).
//! - `host`: the leak checks.

pub mod case;
pub mod host;
pub mod outcome;
pub mod policy;
pub mod world;

pub use case::Case;
pub use outcome::{Outcome, Status};
pub use world::world;
