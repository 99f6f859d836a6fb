#!/bin/bash
# smoke.sh: guest-side smoke check for the VM made by vm-setup.sh / vm-exec.sh. Run it inside the guest:
#   preload-tests/vm/vm-exec.sh -w "$PWD" -- bash preload-tests/vm/smoke.sh
# Checks: root, WORK (cwd) writable, pure cgroup v2 (no v1 mounted), memory/pids/cpu/cpuset controllers at the
# root, `unshare -Urmpf` as root and as the unprivileged `sandbox-test` user (via setpriv). Exit 0 iff all pass.
set -euo pipefail
user=sandbox-test
pass=0 fail=0
ok()  { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

echo "kernel: $(uname -srm)  cpus: $(nproc)  mem: $(awk '/^MemTotal/{print $2 " kB"}' /proc/meminfo)" \
     " uptime: $(cut -d' ' -f1 /proc/uptime)s  cwd: $PWD"

[ "$(id -u)" = 0 ] && ok "running as root" || bad "not root (uid $(id -u))"

probe=$(mktemp -p "$PWD" .smoke.XXXXXX 2>/dev/null) && rm -f "$probe" && ok "cwd $PWD is writable" \
  || bad "cwd $PWD is not writable"

if grep -q '^cgroup2 /sys/fs/cgroup cgroup2 ' /proc/mounts && ! grep -q ' cgroup ' /proc/mounts; then
  ok "pure cgroup v2: cgroup2 on /sys/fs/cgroup, no cgroup v1 mounted"
else
  bad "not a pure cgroup v2 setup:"; grep cgroup /proc/mounts || true
fi

ctl=$(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null || true)
for c in memory pids cpu cpuset; do
  case " $ctl " in *" $c "*) ok "controller $c at the root";; *) bad "controller $c missing (have: $ctl)";; esac
done

# in the new namespaces: uid 0 (mapped), pid 1
probe_ns='echo "uid=$(id -u) pid=$$"'
out=$(timeout 30 unshare -Urmpf sh -c "$probe_ns" 2>&1) || true
[ "$out" = "uid=0 pid=1" ] && ok "unshare -Urmpf as root: $out" || bad "unshare -Urmpf as root: $out"

if uid=$(id -u "$user" 2>/dev/null) && gid=$(id -g "$user" 2>/dev/null); then
  who=$(timeout 30 setpriv --reuid="$uid" --regid="$gid" --clear-groups id -u 2>&1) || true
  [ "$who" = "$uid" ] && ok "setpriv to $user (uid $uid)" || bad "setpriv to $user: $who"
  out=$(cd / && timeout 30 setpriv --reuid="$uid" --regid="$gid" --clear-groups unshare -Urmpf sh -c "$probe_ns" 2>&1) || true
  [ "$out" = "uid=0 pid=1" ] && ok "unshare -Urmpf as $user: $out" || bad "unshare -Urmpf as $user: $out"
else
  bad "user $user unknown in the guest (run preload-tests/vm/ensure-test-user.sh on the host)"
fi

echo "smoke: $pass passed, $fail failed"
[ "$fail" = 0 ]
