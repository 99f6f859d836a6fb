//! `--help` of every subcommand, and `--version`. The man pages (man/sandbox.1,
//! man/sandbox.toml.5) say the same at length.

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

const OVERVIEW: &str = "\
sandbox - run programs inside a libsandbox sandbox described by a TOML policy

Usage:
  sandbox run [--policy FILE | --profile NAME] [--log LEVEL] [--] PROGRAM [ARG...]
  sandbox check (FILE | --profile NAME)
  sandbox wrap (--policy FILE | --profile NAME) [--prefix DIR] [--name NAME] PROGRAM...
  sandbox wrap --list [--prefix DIR]
  sandbox unwrap [--prefix DIR] NAME...
  sandbox profiles
  sandbox --version | --help | COMMAND --help

Exit status: the program's own (or death by the same signal) after `run`; 0 on
success of the other commands; 125 when the sandbox could not be set up or the
command line is wrong (one line `sandbox: error: ...` says why and what to do);
126 when the program cannot be executed, 127 when it is not found.

See sandbox(1) and sandbox.toml(5).
";

const RUN: &str = "\
Usage: sandbox run [--policy FILE | --profile NAME] [--log LEVEL] [--] PROGRAM [ARG...]

Run PROGRAM sandboxed, and never unsandboxed: every way the sandbox could be
skipped is checked before or caught while the program starts, and ends in exit
status 125 with the reason, the program's main never having run.

  --policy FILE    the policy (see sandbox.toml(5)); default $SANDBOX_POLICY, else
                   the built-in default policy
  --profile NAME   a shipped profile (`sandbox profiles` lists them)
  --log LEVEL      error, warn (default), info or debug (prints the plan); also
                   passed to the library as SANDBOX_LOG
  -h, --help       this text

Dynamically linked glibc programs (and scripts run by one) get libsandbox.so
preloaded; the command checks the program (no setuid/setgid bit or file
capabilities) and asks its dynamic loader in trace mode whether the library will
load, then holds the program under ptrace at its entry point until the library
answers a handshake: a program the library does not control is killed before its
first system call. Static programs: the command applies the policy itself and then
executes the program inside the sandbox (a [seccomp] filter must then allow execve).

The exit status is the program's, or the command dies from the program's signal.
";

const CHECK: &str = "\
Usage: sandbox check FILE
       sandbox check --profile NAME

Validate a policy without running anything, and print it resolved: every effective
value (defaults included) and the plan, every step of the monitor, init and app
processes in order, as it would run for you in the current directory. On an error,
print the one error line (with the key and its line) and exit 125. With
SANDBOX_LOG=debug the seccomp filter is printed too, as libseccomp's PFC.

  --profile NAME   check a shipped profile
  -h, --help       this text
";

const WRAP: &str = "\
Usage: sandbox wrap (--policy FILE | --profile NAME) [--prefix DIR] [--name NAME] PROGRAM...
       sandbox wrap --list [--prefix DIR]

For each PROGRAM, write DIR/sandbox-NAME.sh (DIR: /etc/profile.d) defining a shell
function NAME that runs the program sandboxed: login shells (bash, sh) that read
profile.d then run `NAME ARGS` as `sandbox run --policy ... -- /abs/PROGRAM ARGS`.
NAME is the program's file name, or --name (for one program); it must be a name sh
accepts for a function. Paths are absolute and quoted; arguments pass unchanged.

  --policy FILE    the policy the wrapper uses (checked now)
  --profile NAME   a shipped profile, looked up when the wrapper runs
  --prefix DIR     write into DIR instead of /etc/profile.d
  --name NAME      the function's name (one PROGRAM only)
  --list           list the wrappers in DIR
  -h, --help       this text
";

const UNWRAP: &str = "\
Usage: sandbox unwrap [--prefix DIR] NAME...

Remove the wrapper DIR/sandbox-NAME.sh (DIR: /etc/profile.d) that `sandbox wrap`
wrote. Files it did not write are left alone. Shells already running keep the
function until `unset -f NAME`.

  --prefix DIR     the directory the wrapper is in
  -h, --help       this text
";

const PROFILES: &str = "\
Usage: sandbox profiles

List the profiles `--profile NAME` finds, and their files. Searched in order:
$SANDBOX_PROFILE_PATH (colon-separated), PREFIX/share/libsandbox/profiles, and the
source tree's profiles/ when sandbox runs from its build directory.
";

/// The help of `command` ("" for the overview).
pub fn text(command: &str) -> &'static str {
    match command {
        "run" => RUN,
        "check" => CHECK,
        "wrap" => WRAP,
        "unwrap" => UNWRAP,
        "profiles" => PROFILES,
        _ => OVERVIEW,
    }
}

/// Print the help of `command` on stdout and exit 0.
pub fn print(command: &str) -> ! {
    print!("{}", text(command));
    std::process::exit(0)
}

pub fn version() -> ! {
    println!("sandbox {VERSION} (libsandbox {})", String::from_utf8_lossy(libsandbox::handshake::ANSWER).trim_end().trim_start_matches("libsandbox "));
    std::process::exit(0)
}
