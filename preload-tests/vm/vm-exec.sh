#!/bin/bash
# vm-exec.sh: run one host command as root inside a throw-away QEMU guest whose kernel has a pure cgroup-v2
# hierarchy, and return its exit status. See README.md beside this file.
#
#   usage: vm-exec.sh [-w WORK] [-s SMP] [-m MEM] [-t TIMEOUT_S] [--] CMD [ARGS...]
#     -w WORK     directory shared read-write at the same path, and the command's cwd (default: $PWD);
#                 absolute after realpath, no whitespace/commas/quotes, not /
#     -s SMP      virtual CPUs (default: $VM_SMP or 2)
#     -m MEM      guest memory, QEMU syntax (default: $VM_MEM or 1G)
#     -t TIMEOUT  seconds before the VM is killed (default: $VM_TIMEOUT or 1800)
#   env: SANDBOX_VM_DIR   the VM dir made by vm-setup.sh (default <repo>/target/vm)
#        VM_ACCEL         tcg (default) | kvm | auto (kvm if /dev/kvm is usable). Nested KVM hangs at boot on
#                         this workplace's machines: keep tcg there.
#        VM_VERBOSE=1     print the QEMU command line, the guest console, boot time and rc to stderr
#
# The guest sees: the host's / read-only (9p), WORK read-write at the same path, fresh tmpfs on /tmp, /run and
# /dev/shm, cgroup2 on /sys/fs/cgroup (cgroup v1 disabled: cgroup_no_v1=all), no network but lo.
# CMD runs under bash as root (PID 1's child) with stdin=/dev/null; its stdout and stderr both arrive, byte
# for byte, on our stdout (through a virtio console and a file). The guest kernel's console (serial) goes to a
# log that is shown on stderr when the guest fails, or always with VM_VERBOSE=1.
# Exit status: CMD's; 125 when the guest did not report one (timeout, boot failure), on bad usage or when the
# VM is not set up; 130 when vm-exec.sh itself is interrupted (QEMU is killed).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
VMDIR=${SANDBOX_VM_DIR:-$repo/target/vm}
case "$VMDIR" in /*) ;; *) VMDIR=$PWD/$VMDIR;; esac

err() { echo "vm-exec: $*" >&2; }
usage() { err "usage: vm-exec.sh [-w WORK] [-s SMP] [-m MEM] [-t TIMEOUT_S] [--] CMD [ARGS...]"; exit 125; }

work=$PWD smp=${VM_SMP:-2} mem=${VM_MEM:-1G} tmo=${VM_TIMEOUT:-1800} accel=${VM_ACCEL:-tcg}
while getopts :w:s:m:t:h o; do
  case $o in
    w) work=$OPTARG;; s) smp=$OPTARG;; m) mem=$OPTARG;; t) tmo=$OPTARG;;
    *) usage;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || usage
[[ $smp =~ ^[1-9][0-9]*$ ]] || { err "bad -s $smp"; usage; }
[[ $mem =~ ^[1-9][0-9]*[MGmg]?$ ]] || { err "bad -m $mem"; usage; }
[[ $tmo =~ ^[1-9][0-9]*$ ]] || { err "bad -t $tmo"; usage; }
[ -d "$work" ] || { err "WORK $work is not a directory"; exit 125; }
work=$(realpath "$work")
# WORK travels on the kernel command line and in QEMU's -virtfs option: keep it to plain characters
[[ $work =~ ^/[A-Za-z0-9._/+@%:~=-]+$ ]] || { err "WORK '$work' must be a plain absolute path (no spaces, commas, quotes), not /"; exit 125; }

qroot=$VMDIR/root qemu=$VMDIR/root/usr/bin/qemu-system-x86_64
if [ ! -f "$VMDIR/ready" ] || [ ! -x "$qemu" ]; then
  err "VM not set up in $VMDIR: run preload-tests/vm/vm-setup.sh first"; exit 125
fi

# The guest shares the host's /etc: the unprivileged test user must exist on the host before boot.
"$here/ensure-test-user.sh" >&2 || err "warning: could not create the test user (guest tests needing it will fail)"

case $accel in
  tcg) accel_args=(-accel tcg -cpu qemu64);;
  kvm) accel_args=(-accel kvm -cpu host);;
  auto) if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then accel_args=(-accel kvm -cpu host); else accel_args=(-accel tcg -cpu qemu64); fi;;
  *) err "VM_ACCEL must be tcg, kvm or auto"; exit 125;;
esac

# control dir, shared with the guest: cmd (the command as a bash script), rc and boot-uptime (from the guest)
ctl=$(mktemp -d /tmp/vm-exec.XXXXXX)
trap 'rm -rf "$ctl"' EXIT
{ echo '#!/bin/bash'; printf '%q ' "$@"; echo; } > "$ctl/cmd"
chmod 755 "$ctl" "$ctl/cmd"

# shellcheck disable=SC2054  # the commas belong to QEMU option strings
qemu_cmd=("$qemu" -L "$qroot/usr/share/qemu" -L "$qroot/usr/share/seabios"
  "${accel_args[@]}" -M pc -smp "$smp" -m "$mem"
  -nodefaults -no-user-config -display none -no-reboot
  -chardev "file,id=con,path=$ctl/console.log" -serial chardev:con
  -device virtio-serial-pci,max_ports=1 -chardev "file,id=out,path=$ctl/out" -device virtconsole,chardev=out
  -kernel "$VMDIR/vmlinux" -initrd "$VMDIR/initrd.cpio.gz"
  -append "console=ttyS0 quiet panic=-1 cryptomgr.notests cgroup_no_v1=all rdinit=/init vmwork=$work"
  -virtfs "local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap"
  -virtfs "local,path=$work,mount_tag=work,security_model=none,multidevs=remap"
  -virtfs "local,path=$ctl,mount_tag=ctl,security_model=none,multidevs=remap")
[ "${VM_VERBOSE:-0}" = 1 ] && err "$(printf '%q ' "${qemu_cmd[@]}")"

# The command's output goes through a regular file, streamed to our stdout by tail: QEMU's virtconsole DROPS
# data when its chardev returns EAGAIN (a pipe on stdout that is not read fast enough), a file never does.
: > "$ctl/out"
t0=$(date +%s.%N)
# --foreground: Ctrl-C still reaches QEMU; -k: SIGKILL 10 s after the SIGTERM if QEMU hangs on.
timeout --foreground -k 10 "$tmo" \
  env LD_LIBRARY_PATH="$qroot/usr/lib/x86_64-linux-gnu:$qroot/lib/x86_64-linux-gnu" "${qemu_cmd[@]}" \
  </dev/null &
qpid=$!
trap 'kill "$qpid" 2>/dev/null || true; rm -rf "$ctl"' EXIT
trap 'exit 130' INT TERM HUP
# tail ends (after a last read) once timeout+QEMU has exited, so this is bounded by the timeout too
tail -c +1 -s 0.2 -f --pid="$qpid" "$ctl/out" || true
set +e; wait "$qpid"; qrc=$?; set -e
t1=$(date +%s.%N)

rc=$(cat "$ctl/rc" 2>/dev/null || true)
if [ "${VM_VERBOSE:-0}" = 1 ] || ! [[ $rc =~ ^[0-9]+$ ]] || [ "$rc" = 125 ]; then
  [ -s "$ctl/console.log" ] && { err "guest console (last 40 lines):"; tail -n 40 "$ctl/console.log" | tr -d '\r' >&2; }
fi
if [ "${VM_VERBOSE:-0}" = 1 ]; then
  err "boot to command: $(cat "$ctl/boot-uptime" 2>/dev/null || echo '?') s guest uptime;" \
      "wall time: $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s; rc=${rc:-none}; qemu rc=$qrc"
fi
if ! [[ $rc =~ ^[0-9]+$ ]]; then
  if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then err "timed out after ${tmo}s: VM killed"
  else err "guest did not report an exit status (qemu rc=$qrc)"; fi
  exit 125
fi
exit "$rc"
