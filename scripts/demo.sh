#!/bin/bash
# Build libsandbox.so and run a shell under the built-in default policy (SANDBOX_POLICY unset).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release --locked -q -p sandbox-preload
lib=$PWD/target/release/libsandbox.so
echo "== LD_PRELOAD=$lib sh -c '...'   (built-in default policy)"
LD_PRELOAD=$lib sh -c '
  echo "uid/gid:   $(id -u)/$(id -g)"
  echo "hostname:  $(hostname)"
  echo "pid:       $$ (parent $PPID, the sandbox init)"
  echo "/:         $(ls / | tr "\n" " ")"
  echo "network:   $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")(only loopback)"
  echo "processes: $(ls /proc | grep -c "^[0-9]") visible"
  echo "env:       LD_PRELOAD=${LD_PRELOAD:-<removed>}"
  echo "caps:      $(grep -E "^Cap(Eff|Bnd)" /proc/self/status | tr "\t\n" "  ")"
  echo "write /usr: $(touch /usr/x 2>&1 | sed "s/.*: //")"
'
echo "== exit status of the sandboxed program is kept: sh -c 'exit 42' -> $(LD_PRELOAD=$lib sh -c 'exit 42'; echo $?)"
