//! seccomp(2): the policy's `[seccomp]` section as a BPF filter, plus the always-on rules.
//!
//! Where things happen (see design.md):
//! - monitor (P0), while planning, before anything irreversible: every name, group, errno,
//!   argument and conflict is checked ([`resolve`]); libseccomp builds the filter and
//!   exports it as plain BPF ([`compile`]). `SANDBOX_LOG=debug` prints it as PFC.
//! - app (P2), as the very last step before `main`: the BPF is installed with one
//!   seccomp(2) call ([`load`]), a few microseconds and no libseccomp work, then verified.
//! - init (P1): follows the app with ptrace for its exit only, to name a killed syscall
//!   ([`tracer`]); the monitor prints it ([`kill_message`]).
//!
//! One program, two parts. First a short hand-written prologue with the always-on rules
//! (other ABIs killed; ioctl TIOCSTI/TIOCLINUX -> EPERM), whose decisions are final, so no
//! policy can loosen them whatever its rules on `ioctl` are; everything else falls through
//! to libseccomp's program for the policy (an allow-all one without `[seccomp]`). Not two
//! stacked filters: loading the second would itself be a syscall the first may forbid, and
//! stacked filters settle conflicts by precedence (a policy's errno for ioctl would beat
//! the always-on EPERM). BPF jumps are relative, so prepending leaves libseccomp's program
//! intact. The policy part is tree-shaped (SCMP_FLTATR_CTL_OPTIMIZE = 2), and the prologue
//! reads arguments only for ioctl: every unconditional allow stays a constant action for the
//! kernel's per-syscall cache, so an allowlist without argument rules costs what an
//! allow-all filter costs.
//!
//! After the filter is on, the app still runs sandbox code: it closes its end of the report
//! pipe (the monitor waits for that EOF) and returns into `main`. A policy need not allow
//! `close` for that: its filter allows exactly `close(N)`, N being the descriptor the plan
//! moved the pipe to. Nothing else runs in between: the signal mask is restored before the
//! filter, and nothing allocates or frees after it (see `lib.rs`).

pub mod groups;
mod sys;
pub mod tracer;

pub use tracer::{wait_for_tracer, Abi, Killed, Tracer};

use crate::error::{Facility, Result, SetupError};
use crate::policy::{Action, ArgCondition, ArgOp, Policy, Seccomp, Source};
use libseccomp_sys as scmp;
use std::collections::BTreeMap;
use std::fmt;
use std::os::fd::{AsRawFd, OwnedFd};

/// A number no kernel implements (below the x32 bit). The filter answers it with an errno
/// of its own, which is how the app checks, after loading, that this filter is active:
/// PR_GET_SECCOMP would only say "some filter", and the policy may kill `prctl` itself.
const PROBE_NR: i32 = 0x3fff_5ecc;
const PROBE_ERRNO: u16 = 4001;

/// ioctl requests refused with EPERM whatever the policy says (contract: always-on).
const TIOCSTI: u64 = 0x5412;
const TIOCLINUX: u64 = 0x541c;

/// A BPF program: each `struct sock_filter` kept as its 8 bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Program(Vec<u64>);

impl Program {
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Program({} instructions)", self.0.len())
    }
}

/// What the app loads: the always-on prologue, then the policy's program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    pub program: Program,
    /// The descriptor the app moves its end of the report pipe to before the filter: the
    /// one `close` the policy's filter lets through. `None` without `[seccomp]`.
    pub report_fd: Option<i32>,
    /// One line for the plan.
    summary: String,
}

impl fmt::Display for Filters {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.summary)
    }
}

// ---------------------------------------------------------------------------------------
// Resolution: the policy's names, groups and rules to one treatment per syscall.

/// Where an entry of the policy came from, for conflicts and for the hint of a kill.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    Allow { line: usize, group: Option<&'static str> },
    Deny { line: usize, group: Option<&'static str> },
}

impl Origin {
    fn explicit(&self) -> bool {
        matches!(self, Origin::Allow { group: None, .. } | Origin::Deny { group: None, .. })
    }
    fn line(&self) -> usize {
        match self {
            Origin::Allow { line, .. } | Origin::Deny { line, .. } => *line,
        }
    }
    fn describe(&self) -> String {
        let (key, line, group) = match self {
            Origin::Allow { line, group } => ("seccomp.allow", line, group),
            Origin::Deny { line, group } => ("seccomp.deny", line, group),
        };
        let at = if *line > 0 { format!(" line {line}") } else { String::new() };
        match group {
            Some(g) => format!("{key}{at} (via {g})"),
            None => format!("{key}{at}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    conds: Vec<ArgCondition>,
    action: Action,
    line: usize,
}

/// What the policy's filter does with one syscall.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Treatment {
    /// The same action for every call.
    Plain { action: Action, origin: Origin },
    /// Calls matching a rule get its action, the others the default action.
    Ruled(Vec<Rule>),
}

/// The `[seccomp]` section with every name resolved and every conflict settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    default: Action,
    /// syscall number -> (name, treatment)
    calls: BTreeMap<i32, (String, Treatment)>,
}

/// `policy <path> line N` (or the source alone for the built-in policy).
fn at(source: &Source, line: usize) -> String {
    if line > 0 {
        format!("{source} line {line}")
    } else {
        source.to_string()
    }
}

fn policy_error(source: &Source, line: usize, why: impl Into<String>, hint: impl Into<String>) -> SetupError {
    SetupError::reason(Facility::Policy, at(source, line), why).hint(hint)
}

/// The x86_64 number of a syscall name: libseccomp's table, then the newer ones.
pub fn syscall_number(name: &str) -> Option<i32> {
    sys::resolve_name(name).or_else(|| groups::NEWER.iter().find(|(n, _)| *n == name).map(|(_, nr)| *nr))
}

/// The name of a native syscall number.
pub fn syscall_name(nr: i32) -> Option<String> {
    sys::resolve_num(sys::Table::Native, nr).or_else(|| groups::NEWER.iter().find(|(_, n)| *n == nr).map(|(name, _)| name.to_string()))
}

fn unknown_name(source: &Source, line: usize, key: &str, name: &str) -> SetupError {
    if name.starts_with('@') {
        return policy_error(source, line, format!("{key}: unknown syscall group {name:?}"), format!("the groups are: {}", groups::names()));
    }
    let why = if sys::known_elsewhere(name) {
        format!("{key}: {name:?} is a syscall of other architectures, not of x86_64")
    } else {
        format!("{key}: unknown syscall {name:?}")
    };
    policy_error(source, line, why, "use x86_64 syscall names as in syscalls(2) (`openat`, not `open64`), or a @group; see the [seccomp] section of sandbox.toml.example")
}

/// Expand one entry of `allow`/`deny` to (number, name, group it came from).
fn expand(source: &Source, line: usize, key: &str, name: &str) -> Result<Vec<(i32, String, Option<&'static str>)>> {
    if let Some(g) = groups::find(name) {
        return groups::expand(g)
            .into_iter()
            .map(|m| syscall_number(m).map(|nr| (nr, m.to_string(), Some(g.name))).ok_or_else(|| unknown_name(source, line, key, m)))
            .collect();
    }
    match syscall_number(name) {
        Some(nr) => Ok(vec![(nr, name.to_string(), None)]),
        None => Err(unknown_name(source, line, key, name)),
    }
}

/// Check the section and settle every syscall's treatment. Precedence, where entries meet:
/// a name written out beats a group; between two groups, `deny` beats `allow`; a
/// `[[seccomp.rule]]` replaces what a group says about its syscall. Written-out names that
/// contradict each other (in `allow` and `deny`, or in a list and in a rule) are errors
/// naming both lines, as are rules whose conditions can match the same call with different
/// actions: which one the kernel would apply is not something a policy should depend on.
pub fn resolve(s: &Seccomp, source: &Source) -> Result<Resolved> {
    if !s.deny.is_empty() && s.deny_action == Action::Allow {
        return Err(policy_error(source, s.line, "seccomp.deny_action = \"allow\" would allow what seccomp.deny lists", "use kill_process, kill_thread, trap, log or errno:NAME"));
    }
    let mut calls: BTreeMap<i32, (String, Treatment)> = BTreeMap::new();
    let lists = [("seccomp.allow", &s.allow, Action::Allow), ("seccomp.deny", &s.deny, s.deny_action)];
    for (key, list, action) in lists {
        for entry in list {
            for (nr, name, group) in expand(source, entry.line, key, &entry.value)? {
                let origin = if key == "seccomp.allow" {
                    Origin::Allow { line: entry.line, group }
                } else {
                    Origin::Deny { line: entry.line, group }
                };
                let new = Treatment::Plain { action, origin: origin.clone() };
                match calls.get(&nr) {
                    None => {
                        calls.insert(nr, (name, new));
                    }
                    Some((_, Treatment::Plain { origin: old, .. })) => {
                        let same_list = std::mem::discriminant(old) == std::mem::discriminant(&origin);
                        if same_list {
                            // Listed twice on one side: the written-out entry is the one to cite.
                            if origin.explicit() && !old.explicit() {
                                calls.insert(nr, (name, new));
                            }
                        } else if old.explicit() && origin.explicit() {
                            return Err(policy_error(
                                source,
                                origin.line(),
                                format!("{name} is in {} and in {}", old.describe(), origin.describe()),
                                "a syscall is either allowed or denied: remove it from one of the lists",
                            ));
                        } else if origin.explicit() || (!old.explicit() && matches!(origin, Origin::Deny { .. })) {
                            calls.insert(nr, (name, new));
                        }
                    }
                    Some((_, Treatment::Ruled(_))) => unreachable!("rules are added after the lists"),
                }
            }
        }
    }

    let mut ruled: BTreeMap<i32, (String, Vec<Rule>)> = BTreeMap::new();
    for r in &s.rules {
        let (name, line) = (&r.syscall.value, r.syscall.line);
        if name.starts_with('@') {
            return Err(policy_error(source, line, format!("seccomp.rule: syscall = {name:?} is a group; a rule names one syscall"), "write one [[seccomp.rule]] per syscall"));
        }
        let nr = syscall_number(name).ok_or_else(|| unknown_name(source, line, "seccomp.rule", name))?;
        let mut seen = [false; 6];
        for c in &r.args {
            let i = c.index as usize;
            if i >= 6 {
                return Err(policy_error(source, line, format!("seccomp.rule: index {} is out of range (0 to 5)", c.index), "syscalls have arguments 0 to 5"));
            }
            if std::mem::replace(&mut seen[i], true) {
                return Err(policy_error(
                    source,
                    line,
                    format!("seccomp.rule for {name}: argument {i} is compared twice"),
                    "one comparison per argument and rule; for a range or a set, write one [[seccomp.rule]] per case",
                ));
            }
        }
        if let Some((_, Treatment::Plain { origin, .. })) = calls.get(&nr) {
            if origin.explicit() {
                return Err(policy_error(
                    source,
                    line,
                    format!("{name} is in {} and ruled by its arguments in seccomp.rule line {line}", origin.describe()),
                    "remove it from the list: the rule's conditions decide, the rest gets default_action",
                ));
            }
        }
        let rule = Rule { conds: r.args.clone(), action: r.action, line };
        let entry = ruled.entry(nr).or_insert_with(|| (name.clone(), Vec::new()));
        for other in &entry.1 {
            if other.action != rule.action && !disjoint(&other.conds, &rule.conds) {
                return Err(policy_error(
                    source,
                    line,
                    format!(
                        "the seccomp.rule entries for {name} at lines {} and {line} can match the same call with different actions ({} and {})",
                        other.line, other.action, rule.action
                    ),
                    "make their conditions exclusive (e.g. eq 1 / ne 1 on the same argument)",
                ));
            }
        }
        entry.1.push(rule);
    }
    for (nr, (name, rules)) in ruled {
        // A rule replaces what a group said about the syscall (explicit names were refused).
        calls.insert(nr, (name, Treatment::Ruled(rules)));
    }
    Ok(Resolved { default: s.default_action, calls })
}

/// Interval [lo, hi] of the values a comparison admits, if it is an interval.
fn interval(c: &ArgCondition) -> Option<(u64, u64)> {
    let v = c.value;
    Some(match c.op {
        ArgOp::Eq => (v, v),
        ArgOp::Lt if v == 0 => (1, 0), // empty
        ArgOp::Lt => (0, v - 1),
        ArgOp::Le => (0, v),
        ArgOp::Gt if v == u64::MAX => (1, 0),
        ArgOp::Gt => (v + 1, u64::MAX),
        ArgOp::Ge => (v, u64::MAX),
        ArgOp::Ne | ArgOp::MaskedEq => return None,
    })
}

/// Can no value satisfy both comparisons? Conservative: false when unsure.
fn conds_disjoint(a: &ArgCondition, b: &ArgCondition) -> bool {
    let empty = |c: &ArgCondition| match interval(c) {
        Some((lo, hi)) => lo > hi,
        None => c.op == ArgOp::MaskedEq && c.value & !c.mask.unwrap_or(0) != 0,
    };
    if empty(a) || empty(b) {
        return true;
    }
    match (a.op, b.op) {
        (ArgOp::MaskedEq, ArgOp::MaskedEq) => {
            let (ma, mb) = (a.mask.unwrap_or(0), b.mask.unwrap_or(0));
            (a.value ^ b.value) & ma & mb != 0
        }
        (ArgOp::MaskedEq, ArgOp::Eq) => b.value & a.mask.unwrap_or(0) != a.value,
        (ArgOp::Eq, ArgOp::MaskedEq) => a.value & b.mask.unwrap_or(0) != b.value,
        (ArgOp::Ne, ArgOp::Eq) => a.value == b.value,
        (ArgOp::Eq, ArgOp::Ne) => a.value == b.value,
        _ => match (interval(a), interval(b)) {
            (Some((alo, ahi)), Some((blo, bhi))) => ahi < blo || bhi < alo,
            _ => false,
        },
    }
}

/// Two rules (conjunctions of comparisons) are disjoint when one argument has comparisons
/// in both that exclude each other.
fn disjoint(a: &[ArgCondition], b: &[ArgCondition]) -> bool {
    a.iter().any(|x| b.iter().any(|y| x.index == y.index && conds_disjoint(x, y)))
}

// ---------------------------------------------------------------------------------------
// Compilation (monitor): libseccomp, then plain BPF.

fn scmp_action(a: Action) -> u32 {
    match a {
        Action::Allow => scmp::SCMP_ACT_ALLOW,
        Action::KillProcess => scmp::SCMP_ACT_KILL_PROCESS,
        Action::KillThread => scmp::SCMP_ACT_KILL_THREAD,
        Action::Trap => scmp::SCMP_ACT_TRAP,
        Action::Log => scmp::SCMP_ACT_LOG,
        Action::Errno(n) => scmp::SCMP_ACT_ERRNO(n as u16),
    }
}

fn scmp_cond(c: &ArgCondition) -> sys::ArgCmp {
    let (op, a, b) = match c.op {
        ArgOp::Eq => (sys::Cmp::SCMP_CMP_EQ, c.value, 0),
        ArgOp::Ne => (sys::Cmp::SCMP_CMP_NE, c.value, 0),
        ArgOp::Lt => (sys::Cmp::SCMP_CMP_LT, c.value, 0),
        ArgOp::Le => (sys::Cmp::SCMP_CMP_LE, c.value, 0),
        ArgOp::Gt => (sys::Cmp::SCMP_CMP_GT, c.value, 0),
        ArgOp::Ge => (sys::Cmp::SCMP_CMP_GE, c.value, 0),
        // libseccomp: datum_a is the mask, datum_b the value.
        ArgOp::MaskedEq => (sys::Cmp::SCMP_CMP_MASKED_EQ, c.mask.unwrap_or(0), c.value),
    };
    sys::ArgCmp { arg: c.index, op, datum_a: a, datum_b: b }
}

fn eq(index: u32, value: u64) -> ArgCondition {
    ArgCondition { index, op: ArgOp::Eq, value, mask: None }
}

fn lib_error(what: impl Into<String>, e: nix::errno::Errno) -> SetupError {
    SetupError::errno(Facility::Seccomp, what, e).hint("libseccomp refused the filter; run with SANDBOX_LOG=debug to see the plan, and report it if the policy looks right")
}

/// A fresh context: tree-shaped, other ABIs killed.
fn context(default: Action) -> Result<sys::Context> {
    let mut ctx = sys::Context::new(scmp_action(default)).map_err(|e| lib_error("create a seccomp filter (libseccomp)", e))?;
    // Another architecture's syscall (i386 via int 0x80) is killed; libseccomp's x86_64
    // filter also sends the x32 numbers (nr | 0x40000000) to this action.
    ctx.set_attr(scmp::scmp_filter_attr::SCMP_FLTATR_ACT_BADARCH, scmp::SCMP_ACT_KILL_PROCESS)
        .map_err(|e| lib_error("set the seccomp bad-architecture action", e))?;
    // Binary tree of syscall numbers: O(log n) checks instead of a linear list.
    ctx.set_attr(scmp::scmp_filter_attr::SCMP_FLTATR_CTL_OPTIMIZE, 2)
        .map_err(|e| lib_error("ask libseccomp for a tree-shaped filter", e))?;
    // no_new_privs is a step of its own; libseccomp does not load anything anyway.
    ctx.set_attr(scmp::scmp_filter_attr::SCMP_FLTATR_CTL_NNP, 0).map_err(|e| lib_error("configure the seccomp filter", e))?;
    Ok(ctx)
}

// Classic BPF, as in <linux/filter.h> and <linux/seccomp.h>.
const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JMP_JEQ_K: u16 = 0x15;
const BPF_JMP_JGE_K: u16 = 0x35;
const BPF_RET_K: u16 = 0x06;
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const X32_SYSCALL_BIT: u32 = 0x4000_0000;
/// Offsets in `struct seccomp_data`: nr, arch, then ip and args[6] (u64, little-endian).
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
const OFF_ARG1_LO: u32 = 16 + 8;

fn insn(code: u16, jt: u8, jf: u8, k: u32) -> u64 {
    let mut b = [0u8; 8];
    b[0..2].copy_from_slice(&code.to_ne_bytes());
    b[2] = jt;
    b[3] = jf;
    b[4..8].copy_from_slice(&k.to_ne_bytes());
    u64::from_ne_bytes(b)
}

/// The always-on rules, final whatever the policy says. Every "allow" falls through to the
/// next instruction, which is the policy's program. Jumps count from the next instruction.
fn prologue() -> Vec<u64> {
    let ioctl = syscall_number("ioctl").expect("ioctl is an x86_64 syscall") as u32;
    vec![
        /* 0 */ insn(BPF_LD_W_ABS, 0, 0, OFF_ARCH),
        /* 1 */ insn(BPF_JMP_JEQ_K, 0, 7, AUDIT_ARCH_X86_64), // i386 (int 0x80) and others: kill
        /* 2 */ insn(BPF_LD_W_ABS, 0, 0, OFF_NR),
        /* 3 */ insn(BPF_JMP_JGE_K, 5, 0, X32_SYSCALL_BIT), // x32: kill
        /* 4 */ insn(BPF_JMP_JEQ_K, 0, 5, ioctl), // not ioctl: the policy decides
        // The request is an unsigned int for the kernel: only its low 32 bits count, so a
        // request with high bits set is the same request and is refused the same.
        /* 5 */ insn(BPF_LD_W_ABS, 0, 0, OFF_ARG1_LO),
        /* 6 */ insn(BPF_JMP_JEQ_K, 1, 0, TIOCSTI as u32),
        /* 7 */ insn(BPF_JMP_JEQ_K, 0, 2, TIOCLINUX as u32),
        /* 8 */ insn(BPF_RET_K, 0, 0, libc::SECCOMP_RET_ERRNO | libc::EPERM as u32),
        /* 9 */ insn(BPF_RET_K, 0, 0, libc::SECCOMP_RET_KILL_PROCESS),
        // 10: the policy's program
    ]
}

/// The prologue in words, for `SANDBOX_LOG=debug` (libseccomp's PFC shows the rest).
const PROLOGUE_TEXT: &str = "always-on prologue (hand-written BPF, decisions final):
  if ($arch != x86_64) action KILL_PROCESS;   # i386 via int 0x80, any other ABI
  if ($syscall >= 0x40000000) action KILL_PROCESS;   # x32
  if ($syscall == ioctl && ($a1 & 0xffffffff) in {TIOCSTI, TIOCLINUX}) action ERRNO(EPERM);
  otherwise: the program below";

/// The BPF, and the PFC text when `SANDBOX_LOG=debug` will print it (it costs as much as
/// the rest of the compilation).
fn export(ctx: &sys::Context) -> Result<(Program, String)> {
    let bpf = ctx.export_bpf().map_err(|e| lib_error("export the seccomp filter as BPF", e))?;
    let pfc = if crate::log::enabled(crate::log::Level::Debug) {
        ctx.export_pfc().map_err(|e| lib_error("export the seccomp filter as PFC", e))?
    } else {
        String::new()
    };
    Ok((Program(bpf), pfc))
}

/// The descriptor the app moves its end of the report pipe to, for the one close it makes
/// after the filter: the lowest one >= 3 that the program does not keep and that no
/// non-allowing rule on `close` can match. `None` when the rules on `close` match them all.
fn report_fd(r: &Resolved, keep_fds: &[i32], close: i32) -> Option<i32> {
    let blocking: Vec<&Rule> = match r.calls.get(&close).map(|(_, t)| t) {
        Some(Treatment::Ruled(rules)) => rules.iter().filter(|r| r.action != Action::Allow).collect(),
        _ => Vec::new(),
    };
    (3..1024).filter(|fd| !keep_fds.contains(fd)).find(|fd| blocking.iter().all(|rule| disjoint(&rule.conds, &[eq(0, *fd as u64)])))
}

/// Does `close(fd)` need the sandbox's own allow rule in the policy's filter? Not when the
/// default action allows it (a plain non-allow on close is carved out with `ne fd`).
fn close_needs_rule(r: &Resolved, close: i32) -> bool {
    r.default != Action::Allow && !matches!(r.calls.get(&close), Some((_, Treatment::Plain { action: Action::Allow, .. })))
}

/// The policy's filter.
fn policy_filter(r: &Resolved, report_fd: i32, source: &Source, close: i32) -> Result<(Program, String)> {
    let mut ctx = context(r.default)?;
    let rule_error = |what: String, e: nix::errno::Errno| lib_error(what, e);
    for (nr, (name, t)) in &r.calls {
        match t {
            Treatment::Plain { action, origin } => {
                // The sandbox's close(N) is carved out of a plain non-allow on close.
                if *nr == close && *action != Action::Allow {
                    let ne = ArgCondition { index: 0, op: ArgOp::Ne, value: report_fd as u64, mask: None };
                    ctx.add_rule(scmp_action(*action), *nr, &[scmp_cond(&ne)])
                        .map_err(|e| rule_error(format!("{}: seccomp rule for close", at(source, origin.line())), e))?;
                    continue;
                }
                if *action != r.default {
                    ctx.add_rule(scmp_action(*action), *nr, &[])
                        .map_err(|e| rule_error(format!("{}: seccomp rule for {name}", at(source, origin.line())), e))?;
                }
            }
            Treatment::Ruled(rules) => {
                for rule in rules.iter().filter(|rule| rule.action != r.default) {
                    let conds: Vec<sys::ArgCmp> = rule.conds.iter().map(scmp_cond).collect();
                    ctx.add_rule(scmp_action(rule.action), *nr, &conds)
                        .map_err(|e| rule_error(format!("{}: seccomp.rule for {name}", at(source, rule.line)), e))?;
                }
            }
        }
    }
    if close_needs_rule(r, close) {
        ctx.add_rule(scmp::SCMP_ACT_ALLOW, close, &[scmp_cond(&eq(0, report_fd as u64))])
            .map_err(|e| lib_error("allow the sandbox's own last close", e))?;
    }
    probe_rule(&mut ctx, r.default)?;
    export(&ctx)
}

fn probe_rule(ctx: &mut sys::Context, default: Action) -> Result<()> {
    // (A default of this very errno answers the probe by itself; libseccomp refuses a rule
    // with the default action.)
    if default != Action::Errno(PROBE_ERRNO as i32) {
        ctx.add_rule(scmp::SCMP_ACT_ERRNO(PROBE_ERRNO), PROBE_NR, &[]).map_err(|e| lib_error("add the seccomp probe", e))?;
    }
    Ok(())
}

/// Build the filter for the app (monitor, while planning): validation errors name the key
/// and line; nothing irreversible has happened yet.
pub fn compile(policy: &Policy) -> Result<Filters> {
    let (tail, pfc, report, what) = match &policy.seccomp {
        Some(s) => {
            let r = resolve(s, &policy.source)?;
            let close = syscall_number("close").expect("close is an x86_64 syscall");
            let fd = report_fd(&r, &policy.process.keep_fds, close).ok_or_else(|| {
                let line = match r.calls.get(&close) {
                    Some((_, Treatment::Ruled(rules))) => rules.iter().find(|r| r.action != Action::Allow).map_or(s.line, |r| r.line),
                    _ => s.line,
                };
                policy_error(
                    &policy.source,
                    line,
                    "seccomp.rule: the rules on close leave no descriptor the sandbox can close before main",
                    "add a condition on argument 0 to the rules on close that do not allow, so that they leave some descriptor >= 3 out",
                )
            })?;
            let (prog, pfc) = policy_filter(&r, fd, &policy.source, close)?;
            let what = format!(
                "the policy's rules (default {}, {} syscalls ruled; the report pipe on fd {fd}{})",
                r.default,
                r.calls.len(),
                if close_needs_rule(&r, close) { ", close() allowed on it alone" } else { "" },
            );
            (prog, pfc, Some(fd), what)
        }
        None => {
            let mut ctx = context(Action::Allow)?;
            probe_rule(&mut ctx, Action::Allow)?;
            let (prog, pfc) = export(&ctx)?;
            (prog, pfc, None, "no [seccomp] section: everything else allowed".to_string())
        }
    };
    let mut insns = prologue();
    let head = insns.len();
    insns.extend(tail.0);
    crate::debug!("seccomp filter: {PROLOGUE_TEXT}\n{}", pfc.trim_end());
    let summary = format!("seccomp filter, {} BPF instructions: always-on rules ({head}), then {what}", insns.len());
    Ok(Filters { program: Program(insns), report_fd: report, summary })
}

// ---------------------------------------------------------------------------------------
// Loading (app, the last step before main).

/// The app, first thing: put its end of the report pipe on the descriptor the policy's
/// filter lets it close (done before the rlimits, which could forbid that number). The
/// tracer hand-over pipe, the only other descriptor the app owns, is moved out of the way
/// first if it sits there. On error the report pipe is given back to report it.
pub fn place_report_fd(report: OwnedFd, traced: Option<OwnedFd>, f: &Filters) -> std::result::Result<(OwnedFd, Option<OwnedFd>), (OwnedFd, SetupError)> {
    let Some(to) = f.report_fd else { return Ok((report, traced)) };
    let err = |e: nix::errno::Errno| SetupError::errno(Facility::Seccomp, format!("move the report pipe to descriptor {to}"), e);
    let traced = match traced {
        Some(t) if t.as_raw_fd() == to => match t.try_clone() {
            Ok(moved) => Some(moved),
            Err(e) => return Err((report, err(nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(libc::EBADF))))),
        },
        other => other,
    };
    if report.as_raw_fd() == to {
        return Ok((report, traced));
    }
    match sys::dup_to(&report, to) {
        Ok(moved) => Ok((moved, traced)),
        Err(e) => Err((report, err(e))),
    }
}

/// The app's very last sandbox call: close the report pipe (the monitor's EOF) with one
/// close(2), the one the filter lets through.
pub fn close_report(report: OwnedFd) {
    sys::close_exactly(report)
}

/// Install the filter and check that it is active, with the probe. Makes no allocation and
/// no syscall besides seccomp(2) and the probe: the policy need not allow anything for this.
pub fn load(f: &Filters) -> Result<()> {
    sys::install(&f.program.0).map_err(|e| {
        let hint = match e {
            nix::errno::Errno::EACCES => "no_new_privs was not set before the filter; this is a bug in libsandbox, please report it",
            nix::errno::Errno::ENOMEM => "the kernel's limit on seccomp filter size was reached (too many filters already stacked?)",
            nix::errno::Errno::EINVAL => "the kernel lacks seccomp filters (CONFIG_SECCOMP_FILTER) or refused the program",
            _ => "run with SANDBOX_LOG=debug to see the filter",
        };
        SetupError::errno(Facility::Seccomp, "load the seccomp filter", e).hint(hint)
    })?;
    let got = sys::probe(PROBE_NR);
    if got != PROBE_ERRNO as i32 {
        return Err(SetupError::reason(
            Facility::Seccomp,
            "verify the seccomp filter",
            format!("the probe syscall returned errno {got}, expected {PROBE_ERRNO}: the filter is not active"),
        )
        .hint("the kernel did not apply the filter; this is a bug, please report it with your kernel version"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reporting a kill (monitor).

/// The contract's line, without the `sandbox: ` prefix:
/// `seccomp killed <program>: <syscall> (<nr>) is not allowed by the policy (<hint>)`.
pub fn kill_message(policy: &Policy, program: &str, killed: Option<Killed>) -> String {
    let Some(k) = killed else {
        return format!(
            "seccomp killed {program}: unknown syscall (nr unknown) is not allowed by the policy (the sandbox could not read which one: \
             the kill was in another thread, or the program could not be traced; SANDBOX_LOG=debug prints the filter)"
        );
    };
    match k.abi {
        Abi::Native => {
            let name = syscall_name(k.nr).unwrap_or_else(|| "syscall".into());
            format!("seccomp killed {program}: {name} ({}) is not allowed by the policy ({})", k.nr, hint(policy, k.nr))
        }
        Abi::X32 => {
            let name = sys::resolve_num(sys::Table::X32, k.nr).unwrap_or_else(|| "syscall".into());
            format!(
                "seccomp killed {program}: x32 {name} ({:#x}) is not allowed by the policy (syscalls of another ABI are always killed: build the program for x86_64)",
                k.nr
            )
        }
        Abi::I386 => {
            let name = sys::resolve_num(sys::Table::I386, k.nr).unwrap_or_else(|| "syscall".into());
            format!(
                "seccomp killed {program}: i386 {name} ({}) is not allowed by the policy (syscalls of another ABI, here int 0x80, are always killed: build the program for x86_64)",
                k.nr
            )
        }
    }
}

/// Which key decided the kill of native syscall `nr`, and what to change.
fn hint(policy: &Policy, nr: i32) -> String {
    let outside = "the sandbox's filters allow it: a seccomp filter outside the sandbox (container runtime, systemd unit) killed the program".to_string();
    let Some(s) = &policy.seccomp else { return outside };
    let Ok(r) = resolve(s, &policy.source) else { return outside };
    let kills = |a: Action| matches!(a, Action::KillProcess | Action::KillThread | Action::Trap);
    let trap_note = |a: Action| if a == Action::Trap { " and the program has no SIGSYS handler" } else { "" };
    match r.calls.get(&nr).map(|(_, t)| t) {
        Some(Treatment::Plain { action, origin }) if kills(*action) => {
            format!("{} sets {action}{}: remove it there, or list it in seccomp.allow", origin.describe(), trap_note(*action))
        }
        Some(Treatment::Ruled(rules)) => {
            let lines: Vec<String> = rules.iter().map(|r| r.line.to_string()).collect();
            format!(
                "its arguments matched no [[seccomp.rule]] that allows it (line{} {}) and the default action is {}: widen a rule's args",
                if lines.len() > 1 { "s" } else { "" },
                lines.join(", "),
                r.default
            )
        }
        None if kills(r.default) => {
            let section = if s.line > 0 { format!(" ([seccomp] at line {})", s.line) } else { String::new() };
            format!("seccomp.default_action{section} is {}{}: add it to seccomp.allow", r.default, trap_note(r.default))
        }
        _ => outside,
    }
}

#[cfg(test)]
mod tests;
