//! Which policy a command uses: `--policy FILE`, `--profile NAME`, or (for `run`)
//! `$SANDBOX_POLICY`, else the built-in default policy, like the library itself.

use crate::error::{self, CliError, Result};
use crate::locate;
use libsandbox::policy::{Caller, Policy};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyChoice {
    Builtin,
    /// A policy file (absolute path).
    File(PathBuf),
    /// A shipped profile and its file.
    Profile { name: String, file: PathBuf },
}

impl PolicyChoice {
    /// From the options of a command. `fallback_env`: with neither option, use
    /// `$SANDBOX_POLICY` (unset: the built-in policy) like the library does.
    pub fn from_options(policy: Option<OsString>, profile: Option<String>, fallback_env: bool, command: &str) -> Result<PolicyChoice> {
        match (policy, profile) {
            (Some(_), Some(_)) => Err(CliError::usage("--policy and --profile exclude each other", command)),
            (Some(file), None) => PolicyChoice::file(file),
            (None, Some(name)) => Ok(PolicyChoice::Profile { file: locate::profile(&name)?, name }),
            (None, None) if fallback_env => match std::env::var_os(libsandbox::POLICY_VAR) {
                None => Ok(PolicyChoice::Builtin),
                Some(v) if v.is_empty() => Err(CliError::new(
                    libsandbox::POLICY_VAR,
                    "is set but empty",
                    "unset it to use the built-in default policy, or give --policy FILE",
                )),
                Some(file) => PolicyChoice::file(file),
            },
            (None, None) => Err(CliError::usage("give --policy FILE or --profile NAME", command)),
        }
    }

    fn file(file: OsString) -> Result<PolicyChoice> {
        let path = std::path::absolute(&file).map_err(|e| error::io(format!("policy {}", Path::new(&file).display()), &e, "check the path"))?;
        Ok(PolicyChoice::File(path))
    }

    /// The file the library reads (None: the built-in policy).
    pub fn path(&self) -> Option<&Path> {
        match self {
            PolicyChoice::Builtin => None,
            PolicyChoice::File(p) | PolicyChoice::Profile { file: p, .. } => Some(p),
        }
    }

    /// Read, parse and resolve the policy exactly as the library will.
    pub fn load(&self, caller: &Caller) -> Result<Policy> {
        let path = match self.path() {
            None => None,
            Some(p) => Some(p.to_str().ok_or_else(|| {
                CliError::new(format!("policy {}", p.display()), "the path is not valid UTF-8", "rename the policy file")
            })?),
        };
        Ok(libsandbox::load_policy(path, caller)?)
    }
}
