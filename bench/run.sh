#!/bin/bash
# The libsandbox benchmark (issue 6): start-up against bare and bubblewrap, seccomp per
# syscall, memory, growth. One command, as root on Debian 12:
#
#   bash bench/run.sh            # full run: >= 300 alternating runs per variant (a few minutes)
#   bash bench/run.sh --quick    # smoke run: a few iterations of everything (seconds)
#
# Installs what it needs (gcc, bubblewrap, util-linux's unshare, python3), builds the
# release libsandbox.so, then runs bench/bench.py: prints a table and writes
# target/bench/results.json. Every compared figure is a ratio measured in the same run.
# Extra arguments go to bench.py (--runs N, --only SECTIONS, --json PATH, --no-rt).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pkg in gcc libc6-dev libseccomp-dev pkg-config bubblewrap util-linux python3 binutils; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "bench: missing packages ${need[*]}: run as root once, or install them" >&2
        exit 1
    fi
    echo "bench: apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
command -v cargo >/dev/null || bash scripts/install-deps.sh
cargo build --release --locked -p sandbox-preload
# Nothing of the caller's sandbox settings may leak into the measured runs.
unset SANDBOX_POLICY SANDBOX_LOG LD_PRELOAD
exec python3 bench/bench.py "$@"
