#!/bin/bash
# run-cgroup-tests.sh: the cgroup tests (preload-tests/cgroup.rs) on a pure cgroup-v2 kernel, for real.
#
#   usage: run-cgroup-tests.sh [TEST-FILTER...]     (default filter: cgroup::)
#
# On the host: builds the workspace (target/debug/libsandbox.so) and the preload test executable without
# running it, and prepares the VM (vm-setup.sh: a one-time download, then a no-op). In the guest (vm-exec.sh:
# a Debian kernel booted with cgroup_no_v1=all under QEMU, the host's / shared read-only, so the test
# executable and the library are at the same paths): runs the test executable as root with the filter. The
# harness compiles the C fixtures with the host's cc into the guest's /tmp and runs every case as root and as
# `sandbox-test`; the v2_* tests also delegate a cgroup sub-tree to `sandbox-test` (chown, as Delegate=yes).
#
# Exit status: the tests' (0 = all passed); 125 when the VM could not run them. The whole run takes about a
# minute with TCG (VM_ACCEL=kvm or auto speeds it up where /dev/kvm is usable); VM_TIMEOUT (seconds, default
# 540) bounds the guest. Needs root on Debian 12 (vm-setup.sh's apt-get download, the test user).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
log() { echo "run-cgroup-tests: $*" >&2; }

[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
filters=("$@")
[ ${#filters[@]} -gt 0 ] || filters=(cgroup::)

t0=$(date +%s)
cargo build --workspace --locked
# The test executable's path, from cargo's JSON messages (the "executable" of the preload test target).
exe=$(cargo test --locked --no-run --test preload --message-format=json 2>/dev/null \
        | sed -n 's/.*"target":{[^}]*"name":"preload"[^}]*}.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
[ -n "$exe" ] && [ -x "$exe" ] || { log "cannot find the preload test executable (cargo test --no-run --test preload)"; exit 125; }
[ -f target/debug/libsandbox.so ] || { log "target/debug/libsandbox.so is missing after the build"; exit 125; }

bash "$here/vm-setup.sh"

# The guest shares the whole repository read-write at the same path (WORK): the test executable,
# libsandbox.so and c-fixtures/ must be visible there even when the clone lives under /tmp, which the
# guest replaces with a fresh tmpfs. The status file goes into a directory removed afterwards.
work=$(mktemp -d "$repo/target/cgroup-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "host preparation took $(( $(date +%s) - t0 )) s; running ${filters[*]} from $exe in the cgroup-v2 VM"
# The tests' own status is written into the work directory by the guest and read from there: it does not
# depend on how vm-exec.sh reports it (125 is vm-exec's "the guest did not run the command").
set +e
"$here/vm-exec.sh" -w "$repo" -t "${VM_TIMEOUT:-540}" -- \
  sh -c 'status=$1; shift; RUST_BACKTRACE=1 "$@" --test-threads=2; echo $? > "$status"' sh "$work/tests-status" "$exe" "${filters[@]}"
vrc=$?
set -e
rc=$(cat "$work/tests-status" 2>/dev/null || true)
if ! [[ $rc =~ ^[0-9]+$ ]]; then
  log "the tests did not run to the end in the VM (vm-exec.sh exit status $vrc)"
  exit 125
fi
log "exit status $rc after $(( $(date +%s) - t0 )) s"
exit "$rc"
