#!/bin/bash
# Install what building and testing libsandbox needs on Debian 12 (run as root).
# Idempotent: a second run installs nothing.
set -euo pipefail
need=()
# build: gcc libc6-dev libseccomp-dev pkg-config; tests: util-linux (setpriv) passwd (useradd) python3 tar
# curl iproute2, the profiles' tools (sqlite3 jq make git openssl), libcap2-bin (setcap); bench: bubblewrap
for pkg in gcc libc6-dev libseccomp-dev pkg-config util-linux passwd python3 tar curl ca-certificates iproute2 \
           sqlite3 jq make git openssl libcap2-bin bubblewrap; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "install-deps: apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Rust >= 1.85 (Debian 12's packaged cargo is too old): rustup when missing.
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
if ! command -v cargo >/dev/null || [ "$(cargo --version | awk '{split($2,v,"."); print (v[1] > 1 || v[2] >= 85)}')" != 1 ]; then
    echo "install-deps: installing Rust with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >/dev/null
    . "$HOME/.cargo/env"
fi
cargo --version
