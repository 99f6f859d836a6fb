//! A small command-line parser (std only): long options with `--name VALUE` or
//! `--name=VALUE`, `--` ending the options, and the first operand ending them for
//! commands that run a program (like env(1) and sudo(8)).

use crate::error::{CliError, Result};
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

pub enum Arg {
    /// `--name` or `-x`, with the value given after `=`, if any.
    Option(String, Option<OsString>),
    Operand(OsString),
}

pub struct Parser {
    args: Vec<OsString>,
    pos: usize,
    /// The subcommand, for error messages ("see `sandbox run --help`").
    pub command: &'static str,
    ended: bool,
}

impl Parser {
    pub fn new(args: Vec<OsString>, command: &'static str) -> Parser {
        Parser { args, pos: 0, command, ended: false }
    }

    /// The next argument; after `--`, every argument is an operand.
    pub fn next(&mut self) -> Option<Arg> {
        let arg = self.args.get(self.pos)?.clone();
        self.pos += 1;
        if self.ended {
            return Some(Arg::Operand(arg));
        }
        let text = arg.to_string_lossy();
        if text == "--" {
            self.ended = true;
            return self.next();
        }
        if text.starts_with("--") {
            let bytes = arg.as_bytes();
            return Some(match bytes.iter().position(|b| *b == b'=') {
                Some(eq) => Arg::Option(
                    String::from_utf8_lossy(&bytes[..eq]).into_owned(),
                    Some(OsString::from_vec(bytes[eq + 1..].to_vec())),
                ),
                None => Arg::Option(text.into_owned(), None),
            });
        }
        if text.len() > 1 && text.starts_with('-') {
            return Some(Arg::Option(text.into_owned(), None));
        }
        Some(Arg::Operand(arg))
    }

    /// The value of option `name`: given after `=`, else the next argument.
    pub fn value(&mut self, name: &str, inline: Option<OsString>) -> Result<OsString> {
        if let Some(v) = inline {
            return Ok(v);
        }
        match self.args.get(self.pos) {
            Some(v) => {
                self.pos += 1;
                Ok(v.clone())
            }
            None => Err(CliError::usage(format!("{name} needs a value"), self.command)),
        }
    }

    /// `value` as UTF-8 text.
    pub fn text(&mut self, name: &str, inline: Option<OsString>) -> Result<String> {
        let v = self.value(name, inline)?;
        v.into_string().map_err(|v| CliError::usage(format!("{name} {:?} is not valid UTF-8", v), self.command))
    }

    /// Every argument not read yet, as operands.
    pub fn rest(&mut self) -> Vec<OsString> {
        let rest = self.args[self.pos..].to_vec();
        self.pos = self.args.len();
        rest
    }

    pub fn unknown(&self, name: &str) -> CliError {
        CliError::usage(format!("unknown option {name}"), self.command)
    }

    /// An option that takes no value was given one (`--list=x`).
    pub fn no_value(&self, name: &str, inline: &Option<OsString>) -> Result<()> {
        match inline {
            Some(_) => Err(CliError::usage(format!("{name} takes no value"), self.command)),
            None => Ok(()),
        }
    }
}
