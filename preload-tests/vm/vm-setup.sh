#!/bin/bash
# vm-setup.sh: prepare a throw-away QEMU VM for vm-exec.sh (see README.md beside this file).
#
#   usage: vm-setup.sh            (VM dir: $SANDBOX_VM_DIR, default <repo>/target/vm)
#
# Nothing is installed system-wide. With `apt-get download` it fetches the .debs of qemu-system-x86 (plus the
# libraries this host lacks), seabios, busybox-static and the Debian kernel that linux-image-amd64 depends on,
# unpacks them with `dpkg-deb -x` and builds:
#   VMDIR/root/            qemu-system-x86_64, its libraries and firmware (run with LD_LIBRARY_PATH)
#   VMDIR/vmlinux          the kernel, uncompressed: QEMU boots it through its PVH entry point, which skips
#                          the bzImage's xz decompression (seconds under TCG)
#   VMDIR/initrd.cpio.gz   busybox + virtio_pci/9pnet_virtio/9p/virtio_console modules + /init (boot script)
#   VMDIR/ready            stamp written last; a second run with the same SETUP_VERSION is a no-op
#
# WARNING: do NOT `apt-get install qemu-system-x86` instead: on a host that has qemu-utils from
# bookworm-backports (10.x), apt resolves the conflict by REMOVING qemu-utils (its qemu-system-common
# << 8.0 Breaks). That is why the packages are only downloaded and unpacked here.
#
# Needs: Debian 12 (bookworm) amd64, root (for apt-get update/download), network access to Debian's mirror.
set -euo pipefail

SETUP_VERSION=8   # bump when the layout or the guest /init changes: forces a rebuild
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
VMDIR=${SANDBOX_VM_DIR:-$repo/target/vm}
case "$VMDIR" in /*) ;; *) VMDIR=$PWD/$VMDIR;; esac
stamp="setup-version=$SETUP_VERSION"

ready() { [ -f "$VMDIR/ready" ] && [ "$(cat "$VMDIR/ready")" = "$stamp" ] && [ -s "$VMDIR/vmlinux" ] \
          && [ -s "$VMDIR/initrd.cpio.gz" ] && [ -x "$VMDIR/root/usr/bin/qemu-system-x86_64" ]; }
log() { echo "vm-setup: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if ready; then log "$VMDIR is ready (nothing to do)"; exit 0; fi

[ "$(uname -m)" = x86_64 ] || die "only x86_64 hosts are supported"
for t in apt-get apt-cache dpkg-deb grep sed awk od timeout flock; do
  command -v "$t" >/dev/null || die "missing host tool: $t"
done
[ "$(id -u)" = 0 ] || die "run as root (apt-get update/download need it)"

# One set-up at a time (two callers may share the VM dir); wait at most 20 min for the other one.
mkdir -p "$(dirname "$VMDIR")"
exec 9>"$VMDIR.lock"
flock -w 1200 9 || die "timed out waiting for $VMDIR.lock"
if ready; then log "$VMDIR is ready (built by a concurrent run)"; exit 0; fi

t0=$(date +%s)
new=$VMDIR.new
rm -rf "$new"; mkdir -p "$new/debs" "$new/root"
tmpd=$(mktemp -d)
trap 'rm -rf "$tmpd" "$new"' EXIT

lists_present() { compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; }
if ! lists_present; then log "apt lists missing: apt-get update"; timeout 600 apt-get update -qq; fi

resolve() {
  # The kernel package that linux-image-amd64 depends on (e.g. linux-image-6.1.0-NN-amd64).
  kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  # Everything `apt-get install qemu-system-x86` would install on this host (simulation only: -s).
  missing=$(apt-get install -s --no-install-recommends qemu-system-x86 2>/dev/null | awk '/^Inst /{print $2}' || true)
}
download() {
  local pkgs
  pkgs=$(printf '%s\n' qemu-system-x86 qemu-system-common qemu-system-data seabios busybox-static "$kpkg" \
           $missing $extra | sort -u)
  rm -f "$new"/debs/*.deb
  # shellcheck disable=SC2086
  (cd "$new/debs" && timeout 900 apt-get -q -o APT::Sandbox::User=root download $pkgs) >"$tmpd/download.log" 2>&1
}
extra=""
command -v xz >/dev/null || extra="xz-utils"   # to unpack the kernel (Debian's bzImage is xz-compressed)
resolve
if [ -z "$kpkg" ] || ! download; then
  # stale lists (the kernel package or a security update moved on): refresh once and retry
  log "download failed or kernel package unknown; apt-get update and retry"
  timeout 600 apt-get update -qq
  resolve
  [ -n "$kpkg" ] || die "cannot resolve linux-image-amd64's kernel package"
  download || { cat "$tmpd/download.log" >&2; die "apt-get download failed"; }
fi
log "downloaded $(ls "$new/debs" | wc -l) packages ($(du -sh "$new/debs" | cut -f1)), kernel: $kpkg"
for d in "$new"/debs/*.deb; do dpkg-deb -x "$d" "$new/root"; done
rm -rf "$new/debs"

R=$new/root
libpath=$R/usr/lib/x86_64-linux-gnu:$R/lib/x86_64-linux-gnu
LD_LIBRARY_PATH=$libpath "$R/usr/bin/qemu-system-x86_64" --version | head -1 >&2 \
  || die "the unpacked qemu-system-x86_64 does not run"
kver=$(ls "$R/lib/modules")
[ "$(echo "$kver" | wc -l)" = 1 ] || die "expected one kernel in $R/lib/modules, got: $kver"
bb=$R/bin/busybox
[ -x "$bb" ] || die "busybox-static did not unpack to $bb"

# 1. uncompressed vmlinux: find the compressed payload inside the bzImage and decompress it (at most 16
#    candidate offsets per format; the payload is an ELF file).
xz_cmd=$(command -v xz || echo "$R/usr/bin/xz")
extract_vmlinux() {
  local img=$1 out=$2 spec name magic off
  for spec in "xz|\\xfd7zXZ\\x00" "gzip|\\x1f\\x8b\\x08" "zstd|\\x28\\xb5\\x2f\\xfd"; do
    name=${spec%%|*}; magic=${spec#*|}
    case $name in xz) set -- "$xz_cmd";; *) set -- "$name";; esac
    command -v "$1" >/dev/null || continue
    for off in $(LC_ALL=C grep -obUaP "$magic" "$img" | head -n 16 | cut -d: -f1); do
      # decompressors complain about the bytes after the payload: ignore their status, check the output
      (tail -c "+$((off + 1))" "$img" | LD_LIBRARY_PATH=$libpath "$1" -dc 2>/dev/null || true) > "$out"
      if [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
        log "vmlinux: $(stat -c %s "$out") bytes ($name payload at offset $off)"; return 0
      fi
    done
  done
  rm -f "$out"; return 1
}
extract_vmlinux "$R/boot/vmlinuz-$kver" "$new/vmlinux" || die "no compressed ELF payload in vmlinuz-$kver"

# 2. initramfs
M=$R/lib/modules/$kver
"$bb" depmod -b "$R" "$kver"     # the .deb ships no modules.dep (its postinst makes it)
ird=$tmpd/initrd
mkdir -p "$ird/bin" "$ird/proc" "$ird/sys" "$ird/dev" "$ird/mnt" "$ird/ctl" "$ird/lib/modules/$kver"
cp "$bb" "$ird/bin/busybox"
for a in $("$bb" --list); do [ -e "$ird/bin/$a" ] || ln -s busybox "$ird/bin/$a"; done
mods=$(for m in virtio_pci 9pnet_virtio 9p virtio_console; do
         grep -E "/$m\.ko:" "$M/modules.dep" || grep -qE "/$m\.ko$" "$M/modules.builtin" \
           || die "module $m not found in $kver"
       done | tr ' :' '\n\n' | grep '\.ko$' | sort -u)
for m in $mods; do mkdir -p "$ird/lib/modules/$kver/$(dirname "$m")"; cp "$M/$m" "$ird/lib/modules/$kver/$m"; done
grep -E "^($(echo $mods | tr ' ' '|')):" "$M/modules.dep" > "$ird/lib/modules/$kver/modules.dep"

# /init runs in the initramfs. Kernel command line (set by vm-exec.sh): vmwork=WORK.
# Shares (9p over virtio): "root" = host / (read-only), "work" = WORK (read-write), "ctl" = vm-exec's control
# dir (read-write: holds the command script `cmd`; the guest writes `rc` and `boot-uptime` into it).
# The command's output goes to /dev/hvc0 (virtio console, byte-exact and fast; vm-exec's stdout); the kernel
# and these scripts' own messages go to ttyS0 (vm-exec keeps them in ctl/console.log).
cat > "$ird/init" <<'EOF'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
ctl_ok=
fail() { echo "vm-init: FAILED: $1" >&2; [ -n "$ctl_ok" ] && echo 125 > /ctl/rc; sync; poweroff -f; sleep 5; }
for m in virtio_pci 9pnet_virtio 9p virtio_console; do modprobe $m || [ -d /sys/module/$m ] || fail "modprobe $m"; done
p9="trans=virtio,version=9p2000.L,msize=262144"
mount -t 9p -o $p9 ctl /ctl && ctl_ok=1 || fail "9p mount of the control dir"
work=$(sed -n 's/.*[ ]vmwork=\([^ ]*\).*/\1/p' /proc/cmdline)
mount -t 9p -o $p9,ro,cache=loose root /mnt || fail "9p mount of the host root"
for fs in proc sys dev; do mount --move /$fs /mnt/$fs || fail "move /$fs"; done
mount -t tmpfs -o mode=1777 tmpfs /mnt/tmp || fail "tmpfs /tmp"
mount -t tmpfs -o mode=755 tmpfs /mnt/run || fail "tmpfs /run"
mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /mnt/sys/fs/cgroup || fail "cgroup2 mount"
mkdir -p /mnt/dev/pts /mnt/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /mnt/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /mnt/dev/shm
if [ -n "$work" ]; then
  mkdir -p "/mnt$work" 2>/dev/null   # exists already unless WORK is under /tmp or /run (fresh tmpfs)
  # cache=mmap: shared writable mmap works in WORK (linkers need it); otherwise uncached, coherent with the host
  mount -t 9p -o $p9,cache=mmap work "/mnt$work" || fail "9p mount of WORK ($work)"
fi
mkdir -p /mnt/run/vm/ctl && cp /bin/busybox /stage2 /mnt/run/vm/ || fail "populate /run/vm"
mount --move /ctl /mnt/run/vm/ctl || fail "move the control dir"
# stage 2 runs as PID 1 of the real root (a chroot would make `unshare -U` fail with EPERM)
exec switch_root /mnt /run/vm/busybox sh /run/vm/stage2 "${work:-/}"
fail "switch_root"
EOF
cat > "$ird/stage2" <<'EOF'
# stage 2 (PID 1 after switch_root): run /run/vm/ctl/cmd with cwd=$1, store its status, power off.
bb=/run/vm/busybox
cut -d' ' -f1 /proc/uptime > /run/vm/ctl/boot-uptime
$bb ip link set lo up 2>/dev/null
cd "$1" || { echo "vm-init: cannot cd to $1" >&2; echo 125 > /run/vm/ctl/rc; sync; $bb poweroff -f; }
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root USER=root LOGNAME=root
export LANG=C.UTF-8 TERM=dumb
unset vmwork
# the output tty stays open on fd 3: hvc resets its termios (raw: no \n -> \r\n) at the last close
if [ -c /dev/hvc0 ] && exec 3>/dev/hvc0; then $bb stty raw -echo <&3
else echo "vm-init: no /dev/hvc0, output via the console" >&2; exec 3>/dev/console; fi
# stdout+stderr through a pipe (a fifo read by cat), stdin from /dev/null, as in CI (no tty: no colour codes)
$bb mkfifo /run/vm/out
$bb cat /run/vm/out >&3 & catpid=$!
/bin/bash /run/vm/ctl/cmd </dev/null >/run/vm/out 2>&1 3>&- & cmdpid=$!
wait $cmdpid; rc=$?
echo $rc > /run/vm/ctl/rc
# processes the command left behind would keep the fifo open (and cat waiting): kill them, let cat drain
n=0
for p in /proc/[0-9]*; do
  pid=${p#/proc/}
  case $pid in 1|2|$catpid) continue;; esac
  read -r st < $p/stat 2>/dev/null || continue
  set -- ${st##*) }                       # the fields after "(comm) ": state ppid ...
  [ "$1" = Z ] || [ "$2" = 2 ] && continue  # zombies, kernel threads (children of kthreadd)
  kill -9 $pid 2>/dev/null && n=$((n + 1))
done
[ $n = 0 ] || echo "vm-init: killed $n processes left behind by the command" >&2
i=0
while [ $i -lt 50 ] && [ -d /proc/$catpid ] && ! grep -q '^State:.*Z' /proc/$catpid/status 2>/dev/null; do
  $bb sleep 0.1; i=$((i + 1))
done
exec 3>&-   # the last close of the hvc tty waits (briefly) until its output is sent
sync; $bb poweroff -f
EOF
chmod +x "$ird/init"
(cd "$ird" && find . | "$bb" cpio -o -H newc 2>/dev/null | gzip -1) > "$new/initrd.cpio.gz"

# 3. keep only what vm-exec.sh needs (the modules tree alone is ~400 MB)
rm -rf "${R:?}/lib/modules" "${R:?}/usr/share/doc" "${R:?}/usr/share/man" "${R:?}/boot" "${R:?}/usr/lib/modules"
echo "$kver" > "$new/kernel-version"
echo "$stamp" > "$new/ready"
rm -rf "$VMDIR"; mv "$new" "$VMDIR"
log "kernel $kver ready in $VMDIR ($(du -sh "$VMDIR" | cut -f1), $(( $(date +%s) - t0 )) s)"
