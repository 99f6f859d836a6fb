#!/bin/bash
# The whole test suite: unit tests, the preload tests (each case as root and as the
# unprivileged user sandbox-test, created if missing) and the cgroup-v2 tests inside a
# small qemu VM with a pure cgroup-v2 kernel. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
id sandbox-test >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin sandbox-test
cargo build --workspace --locked
cargo test --workspace --locked -- --test-threads=2
bash bench/run.sh --quick          # benchmark smoke run: keeps the benchmark working (no timing is asserted)
if [ -f preload-tests/vm/run-cgroup-tests.sh ]; then
    bash preload-tests/vm/run-cgroup-tests.sh
fi
