//! The policy file as written, and its resolution into [`Policy`].

use super::*;
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    namespaces: Option<RawNamespaces>,
    identity: Option<RawIdentity>,
    filesystem: Option<RawFilesystem>,
    mount: Option<Vec<Spanned<RawMount>>>,
    network: Option<RawNetwork>,
    process: Option<RawProcess>,
    rlimits: Option<RawRlimits>,
    cgroup: Option<Spanned<RawCgroup>>,
    seccomp: Option<Spanned<RawSeccomp>>,
}

type Flag = Option<Spanned<bool>>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawNamespaces {
    user: Flag,
    mount: Flag,
    pid: Flag,
    net: Flag,
    ipc: Flag,
    uts: Flag,
    cgroup: Flag,
    time: Flag,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    uid: Option<Spanned<u32>>,
    gid: Option<Spanned<u32>>,
    hostname: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFilesystem {
    proc: Flag,
    dev: Flag,
    cwd: Option<AbsPath>,
    readonly_root: Option<bool>,
    bind_cwd: Option<Spanned<RawBindCwd>>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
enum RawBindCwd {
    Ro,
    Rw,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
enum MountType {
    Bind,
    Tmpfs,
    Dir,
    Symlink,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMount {
    #[serde(rename = "type")]
    kind: MountType,
    source: Option<String>,
    target: Option<AbsPath>,
    writable: Option<bool>,
    optional: Option<bool>,
    keep_symlink: Option<bool>,
    size: Option<Spanned<Size>>,
    mode: Option<u32>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum RawNetMode {
    None,
    Host,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    mode: Option<Spanned<RawNetMode>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProcess {
    new_session: Option<bool>,
    die_with_parent: Option<bool>,
    time_limit: Option<Duration>,
    clear_env: Option<bool>,
    keep_env: Option<Vec<String>>,
    set_env: Option<Spanned<BTreeMap<String, String>>>,
    keep_fds: Option<Vec<Spanned<i64>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRlimits {
    nofile: Option<Spanned<i64>>,
    nproc: Option<Spanned<i64>>,
    fsize: Option<Spanned<Size>>,
    core: Option<Size>,
    cpu: Option<Spanned<Duration>>,
    r#as: Option<Spanned<Size>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum RawCgroupVersion {
    Auto,
    V2,
    V1,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCgroup {
    version: Option<RawCgroupVersion>,
    parent: Option<Spanned<AbsPath>>,
    memory_max: Option<Spanned<Size>>,
    memory_swap_max: Option<Size>,
    pids_max: Option<Spanned<i64>>,
    cpus: Option<Spanned<f64>>,
    cpuset_cpus: Option<Spanned<String>>,
    stats_file: Option<AbsPath>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSeccomp {
    default_action: Option<Spanned<Action>>,
    allow: Option<Vec<Spanned<String>>>,
    deny: Option<Spanned<Vec<Spanned<String>>>>,
    deny_action: Option<Action>,
    rule: Option<Vec<Spanned<RawRule>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    syscall: Spanned<String>,
    action: Action,
    #[serde(default)]
    args: Vec<Spanned<RawArg>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArg {
    index: i64,
    op: ArgOp,
    value: i64,
    mask: Option<i64>,
}

/// Resolution context: the text (to turn byte offsets into lines) and the source.
struct Ctx<'a> {
    text: &'a str,
    source: Source,
    /// Offsets of the text's newlines, found once: every value of the policy keeps its
    /// line, and counting from the top for each (a 100-name allowlist) cost ~0.1 ms a start.
    newlines: Vec<usize>,
}

impl<'a> Ctx<'a> {
    fn new(text: &'a str, source: Source) -> Ctx<'a> {
        let newlines = text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i).collect();
        Ctx { text, source, newlines }
    }
    fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&n| n < offset.min(self.text.len())) + 1
    }
    fn line_of<T>(&self, s: &Spanned<T>) -> usize {
        self.line(s.span().start)
    }
    fn err(&self, line: usize, message: impl Into<String>) -> PolicyError {
        PolicyError { source: self.source.clone(), line: Some(line), message: message.into() }
    }
    /// A conflict between two keys the file sets: the message names both with their lines.
    fn conflict<A, B>(&self, a: (&str, &Spanned<A>), b: (&str, &Spanned<B>), why: &str) -> PolicyError {
        let (la, lb) = (self.line_of(a.1), self.line_of(b.1));
        self.err(la.max(lb), format!("{} (line {}) conflicts with {} (line {}): {}", a.0, la, b.0, lb, why))
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

pub(super) fn parse(text: &str, source: Source, caller: &Caller) -> Result<Policy, PolicyError> {
    let raw: RawPolicy = toml::from_str(text).map_err(|e| PolicyError {
        source: source.clone(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().trim_end().replace('\n', " "),
    })?;
    resolve(raw, &Ctx::new(text, source), caller)
}

fn val(f: &Flag) -> Option<bool> {
    f.as_ref().map(|s| *s.get_ref())
}

fn resolve(raw: RawPolicy, cx: &Ctx, caller: &Caller) -> Result<Policy, PolicyError> {
    let ns = raw.namespaces.unwrap_or_default();
    let network = raw.network.unwrap_or_default();

    // namespaces.net and network.mode spell the same choice.
    let net = match (&ns.net, &network.mode) {
        (Some(n), Some(m)) => {
            let host = *m.get_ref() == RawNetMode::Host;
            if *n.get_ref() == host {
                return Err(cx.conflict(
                    ("namespaces.net", n),
                    ("network.mode", m),
                    "they disagree; `net = false` is `mode = \"host\"`: set only one",
                ));
            }
            !host
        }
        (Some(n), None) => *n.get_ref(),
        (None, Some(m)) => *m.get_ref() == RawNetMode::None,
        (None, None) => true,
    };
    let namespaces = Namespaces {
        user: val(&ns.user).unwrap_or(true),
        mount: val(&ns.mount).unwrap_or(true),
        pid: val(&ns.pid).unwrap_or(true),
        net,
        ipc: val(&ns.ipc).unwrap_or(true),
        uts: val(&ns.uts).unwrap_or(true),
        cgroup: val(&ns.cgroup).unwrap_or(true),
        time: val(&ns.time).unwrap_or(false),
    };

    let identity = resolve_identity(raw.identity.unwrap_or_default(), &ns, &namespaces, cx, caller)?;
    let filesystem = resolve_filesystem(raw.filesystem.unwrap_or_default(), &ns, &namespaces, cx)?;

    let mut mounts = Vec::new();
    if let Some(list) = raw.mount {
        if let (Some(first), Some(off)) = (list.first(), ns.mount.as_ref().filter(|m| !*m.get_ref())) {
            return Err(cx.conflict(("[[mount]]", first), ("namespaces.mount", off), "mount entries need a mount namespace"));
        }
        for m in &list {
            mounts.push(resolve_mount(m, cx)?);
        }
    }

    let process = resolve_process(raw.process.unwrap_or_default(), cx)?;
    let rlimits = resolve_rlimits(raw.rlimits.unwrap_or_default(), cx)?;
    let cgroup = raw.cgroup.map(|c| resolve_cgroup(c, cx)).transpose()?;
    let seccomp = raw.seccomp.map(|s| resolve_seccomp(s, cx)).transpose()?;

    Ok(Policy {
        source: cx.source.clone(),
        namespaces,
        identity,
        filesystem,
        mounts,
        network: if net { NetworkMode::None } else { NetworkMode::Host },
        process,
        rlimits,
        cgroup,
        seccomp,
    })
}

fn resolve_identity(
    id: RawIdentity,
    ns: &RawNamespaces,
    namespaces: &Namespaces,
    cx: &Ctx,
    caller: &Caller,
) -> Result<Identity, PolicyError> {
    // Without a user namespace the ids are the caller's: a different uid cannot be had.
    if !namespaces.user {
        let user_key = ns.user.as_ref().expect("user = false is explicit");
        if let Some(u) = id.uid.as_ref().filter(|u| *u.get_ref() != caller.uid) {
            return Err(cx.conflict(("identity.uid", u), ("namespaces.user", user_key), "a uid other than the caller's needs a user namespace"));
        }
        if let Some(g) = id.gid.as_ref().filter(|g| *g.get_ref() != caller.gid) {
            return Err(cx.conflict(("identity.gid", g), ("namespaces.user", user_key), "a gid other than the caller's needs a user namespace"));
        }
    }
    let hostname = match (&id.hostname, &ns.uts) {
        (Some(h), Some(u)) if !*u.get_ref() => {
            return Err(cx.conflict(("identity.hostname", h), ("namespaces.uts", u), "a hostname needs a UTS namespace"));
        }
        (Some(h), _) => {
            let name = h.get_ref();
            if name.is_empty() || name.len() > 64 || name.contains(['\0', '/']) {
                return Err(cx.err(cx.line_of(h), format!("identity.hostname {name:?} is not a valid hostname (1 to 64 characters, no NUL or '/')")));
            }
            Some(name.clone())
        }
        (None, _) if namespaces.uts => Some("sandbox".to_string()),
        (None, _) => None,
    };
    Ok(Identity {
        uid: id.uid.map(|u| u.into_inner()).unwrap_or(caller.uid),
        gid: id.gid.map(|g| g.into_inner()).unwrap_or(caller.gid),
        hostname,
    })
}

fn resolve_filesystem(fs: RawFilesystem, ns: &RawNamespaces, n: &Namespaces, cx: &Ctx) -> Result<Filesystem, PolicyError> {
    // /proc: only a pid namespace's own proc can be mounted, and only in a mount namespace.
    if let Some(p) = fs.proc.as_ref().filter(|p| *p.get_ref()) {
        if !n.pid {
            return Err(cx.conflict(("filesystem.proc", p), ("namespaces.pid", ns.pid.as_ref().expect("explicit")), "a fresh /proc needs a pid namespace"));
        }
        if !n.mount {
            return Err(cx.conflict(("filesystem.proc", p), ("namespaces.mount", ns.mount.as_ref().expect("explicit")), "a fresh /proc needs a mount namespace"));
        }
    }
    if let Some(d) = fs.dev.as_ref().filter(|d| *d.get_ref()) {
        if !n.mount {
            return Err(cx.conflict(("filesystem.dev", d), ("namespaces.mount", ns.mount.as_ref().expect("explicit")), "a minimal /dev needs a mount namespace"));
        }
    }
    if let (Some(b), Some(m)) = (&fs.bind_cwd, ns.mount.as_ref().filter(|m| !*m.get_ref())) {
        return Err(cx.conflict(("filesystem.bind_cwd", b), ("namespaces.mount", m), "binding the working directory needs a mount namespace"));
    }
    Ok(Filesystem {
        proc: val(&fs.proc).unwrap_or(n.pid && n.mount),
        dev: val(&fs.dev).unwrap_or(n.mount),
        cwd: fs.cwd,
        readonly_root: fs.readonly_root.unwrap_or(true),
        bind_cwd: fs.bind_cwd.map(|b| match b.into_inner() {
            RawBindCwd::Ro => BindCwd::ReadOnly,
            RawBindCwd::Rw => BindCwd::Writable,
        }),
    })
}

fn resolve_mount(m: &Spanned<RawMount>, cx: &Ctx) -> Result<Mount, PolicyError> {
    let line = cx.line_of(m);
    let r = m.get_ref();
    let kind = format!("{:?}", r.kind).to_lowercase();
    let not_for = |key: &str, present: bool| -> Result<(), PolicyError> {
        if present {
            Err(cx.err(line, format!("mount.{key} does not apply to a `type = \"{kind}\"` mount")))
        } else {
            Ok(())
        }
    };
    let need_target = || -> Result<AbsPath, PolicyError> {
        r.target.clone().ok_or_else(|| cx.err(line, format!("a `type = \"{kind}\"` mount needs mount.target")))
    };
    let check_target = |t: &AbsPath| -> Result<(), PolicyError> {
        if t.is_root() {
            Err(cx.err(line, "mount.target \"/\" is the sandbox's root itself; mount below it"))
        } else {
            Ok(())
        }
    };
    let bad_mode = |mode: u32| mode > 0o7777;
    let m = match r.kind {
        MountType::Bind => {
            not_for("size", r.size.is_some())?;
            not_for("mode", r.mode.is_some())?;
            let text = r.source.as_deref().ok_or_else(|| cx.err(line, "a `type = \"bind\"` mount needs mount.source"))?;
            let source = AbsPath::parse(text).map_err(|e| cx.err(line, format!("mount.source: {e}")))?;
            let target = r.target.clone().unwrap_or_else(|| source.clone());
            check_target(&target)?;
            Mount::Bind {
                source,
                target,
                writable: r.writable.unwrap_or(false),
                optional: r.optional.unwrap_or(false),
                keep_symlink: r.keep_symlink.unwrap_or(false),
            }
        }
        MountType::Tmpfs => {
            not_for("source", r.source.is_some())?;
            not_for("writable", r.writable.is_some())?;
            not_for("optional", r.optional.is_some())?;
            not_for("keep_symlink", r.keep_symlink.is_some())?;
            if let Some(size) = r.size.as_ref().filter(|s| s.get_ref().0 == 0) {
                return Err(cx.err(cx.line_of(size), "mount.size must be more than zero"));
            }
            let mode = r.mode.unwrap_or(0o755);
            if bad_mode(mode) {
                return Err(cx.err(line, format!("mount.mode {mode:#o} is not a file mode (at most 0o7777)")));
            }
            let target = need_target()?;
            check_target(&target)?;
            Mount::Tmpfs { target, size: r.size.as_ref().map(|s| *s.get_ref()), mode }
        }
        MountType::Dir => {
            for (k, p) in [("source", r.source.is_some()), ("writable", r.writable.is_some()), ("optional", r.optional.is_some()), ("size", r.size.is_some()), ("keep_symlink", r.keep_symlink.is_some())] {
                not_for(k, p)?;
            }
            let mode = r.mode.unwrap_or(0o755);
            if bad_mode(mode) {
                return Err(cx.err(line, format!("mount.mode {mode:#o} is not a file mode (at most 0o7777)")));
            }
            let target = need_target()?;
            check_target(&target)?;
            Mount::Dir { target, mode }
        }
        MountType::Symlink => {
            for (k, p) in [("writable", r.writable.is_some()), ("optional", r.optional.is_some()), ("size", r.size.is_some()), ("mode", r.mode.is_some()), ("keep_symlink", r.keep_symlink.is_some())] {
                not_for(k, p)?;
            }
            let text = r.source.clone().ok_or_else(|| cx.err(line, "a `type = \"symlink\"` mount needs mount.source (the link text)"))?;
            if text.is_empty() || text.contains('\0') {
                return Err(cx.err(line, "mount.source of a symlink must be a non-empty link text"));
            }
            let target = need_target()?;
            check_target(&target)?;
            Mount::Symlink { text, target }
        }
    };
    Ok(m)
}

fn resolve_process(p: RawProcess, cx: &Ctx) -> Result<Process, PolicyError> {
    let clear_env = p.clear_env.unwrap_or(false);
    // keep_env without clear_env is no conflict: everything is kept then, those included.
    if let Some(env) = &p.set_env {
        if let Some(bad) = env.get_ref().keys().find(|k| k.is_empty() || k.contains(['=', '\0'])) {
            return Err(cx.err(cx.line_of(env), format!("process.set_env: {bad:?} is not a valid variable name")));
        }
    }
    let mut keep_fds = Vec::new();
    for fd in p.keep_fds.unwrap_or_default() {
        let n = *fd.get_ref();
        if !(0..=i32::MAX as i64).contains(&n) {
            return Err(cx.err(cx.line_of(&fd), format!("process.keep_fds: {n} is not a file descriptor number")));
        }
        keep_fds.push(n as i32);
    }
    keep_fds.sort_unstable();
    keep_fds.dedup();
    Ok(Process {
        new_session: p.new_session.unwrap_or(false),
        die_with_parent: p.die_with_parent.unwrap_or(true),
        time_limit: p.time_limit,
        clear_env,
        keep_env: p.keep_env.unwrap_or_default(),
        set_env: p.set_env.map(|e| e.into_inner()).unwrap_or_default(),
        keep_fds,
    })
}

fn positive_int(v: &Option<Spanned<i64>>, key: &str, cx: &Ctx) -> Result<Option<u64>, PolicyError> {
    match v {
        Some(s) if *s.get_ref() <= 0 => Err(cx.err(cx.line_of(s), format!("{key} must be more than zero (got {})", s.get_ref()))),
        Some(s) => Ok(Some(*s.get_ref() as u64)),
        None => Ok(None),
    }
}

fn positive_size(v: &Option<Spanned<Size>>, key: &str, cx: &Ctx) -> Result<Option<u64>, PolicyError> {
    match v {
        Some(s) if s.get_ref().0 == 0 => Err(cx.err(cx.line_of(s), format!("{key} must be more than zero"))),
        Some(s) => Ok(Some(s.get_ref().0)),
        None => Ok(None),
    }
}

fn resolve_rlimits(r: RawRlimits, cx: &Ctx) -> Result<Rlimits, PolicyError> {
    Ok(Rlimits {
        nofile: positive_int(&r.nofile, "rlimits.nofile", cx)?,
        nproc: positive_int(&r.nproc, "rlimits.nproc", cx)?,
        fsize: positive_size(&r.fsize, "rlimits.fsize", cx)?,
        core: r.core.map(|s| s.0),
        // RLIMIT_CPU counts whole seconds: round a sub-second value up.
        cpu: r.cpu.map(|d| d.get_ref().0.as_millis().div_ceil(1000) as u64),
        r#as: positive_size(&r.r#as, "rlimits.as", cx)?,
    })
}

/// The kernel's largest pids.max (PID_MAX_LIMIT, 4M): a larger value fails to write.
const PIDS_MAX_LIMIT: i64 = 4 * 1024 * 1024;

fn resolve_cgroup(c: Spanned<RawCgroup>, cx: &Ctx) -> Result<Cgroup, PolicyError> {
    let line = cx.line_of(&c);
    let r = c.into_inner();
    if let Some(cpus) = &r.cpus {
        let v = *cpus.get_ref();
        if !(v.is_finite() && v > 0.0) {
            return Err(cx.err(cx.line_of(cpus), format!("cgroup.cpus must be more than zero (got {v})")));
        }
    }
    if let Some(p) = r.pids_max.as_ref().filter(|p| *p.get_ref() > PIDS_MAX_LIMIT) {
        return Err(cx.err(cx.line_of(p), format!("cgroup.pids_max = {} is more than the kernel allows ({PIDS_MAX_LIMIT})", p.get_ref())));
    }
    Ok(Cgroup {
        line,
        version: match r.version {
            None | Some(RawCgroupVersion::Auto) => CgroupVersion::Auto,
            Some(RawCgroupVersion::V2) => CgroupVersion::V2,
            Some(RawCgroupVersion::V1) => CgroupVersion::V1,
        },
        parent: r.parent.map(|p| Located { line: cx.line_of(&p), value: p.into_inner() }),
        memory_max: positive_size(&r.memory_max, "cgroup.memory_max", cx)?.map(Size),
        memory_swap_max: r.memory_swap_max,
        pids_max: positive_int(&r.pids_max, "cgroup.pids_max", cx)?,
        cpus: r.cpus.as_ref().map(|s| Located { value: *s.get_ref(), line: cx.line_of(s) }),
        cpuset_cpus: r.cpuset_cpus.as_ref().map(|s| Located { value: s.get_ref().clone(), line: cx.line_of(s) }),
        stats_file: r.stats_file,
    })
}

fn located(s: &Spanned<String>, cx: &Ctx) -> Located<String> {
    Located { value: s.get_ref().clone(), line: cx.line_of(s) }
}

fn resolve_seccomp(s: Spanned<RawSeccomp>, cx: &Ctx) -> Result<Seccomp, PolicyError> {
    let line = cx.line_of(&s);
    let r = s.into_inner();
    let default_action = r.default_action.as_ref().map(|a| *a.get_ref()).unwrap_or(Action::KillProcess);
    if let Some(deny) = &r.deny {
        if default_action != Action::Allow && !deny.get_ref().is_empty() {
            return Err(match &r.default_action {
                Some(d) => cx.conflict(("seccomp.deny", deny), ("seccomp.default_action", d), "a deny list needs default_action = \"allow\""),
                None => cx.err(cx.line_of(deny), "seccomp.deny needs seccomp.default_action = \"allow\" (the default is \"kill_process\")"),
            });
        }
    }
    let mut rules = Vec::new();
    for rule in r.rule.unwrap_or_default() {
        let rule = rule.into_inner();
        let mut args = Vec::new();
        for a in rule.args {
            let aline = cx.line_of(&a);
            let a = a.into_inner();
            if !(0..=5).contains(&a.index) {
                return Err(cx.err(aline, format!("seccomp.rule.args: index {} is out of range (0 to 5)", a.index)));
            }
            let op = a.op;
            match (op, a.mask) {
                (ArgOp::MaskedEq, None) => return Err(cx.err(aline, "seccomp.rule.args: op = \"masked_eq\" needs mask")),
                (ArgOp::MaskedEq, Some(_)) => {}
                (_, Some(_)) => return Err(cx.err(aline, "seccomp.rule.args: mask only applies to op = \"masked_eq\"")),
                _ => {}
            }
            // Negative numbers stand for their 64-bit two's complement (-1 = 0xffff_ffff_ffff_ffff).
            args.push(ArgCondition { index: a.index as u32, op, value: a.value as u64, mask: a.mask.map(|m| m as u64) });
        }
        rules.push(SeccompRule { syscall: located(&rule.syscall, cx), action: rule.action, args });
    }
    Ok(Seccomp {
        line,
        default_action,
        allow: r.allow.unwrap_or_default().iter().map(|s| located(s, cx)).collect(),
        deny: r.deny.map(|d| d.into_inner().iter().map(|s| located(s, cx)).collect()).unwrap_or_default(),
        deny_action: r.deny_action.unwrap_or(Action::KillProcess),
        rules,
    })
}
