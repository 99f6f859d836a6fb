#!/bin/bash
# Install libsandbox into PREFIX (default /usr/local):
#   PREFIX/bin/sandbox                                   the command
#   PREFIX/lib/libsandbox.so                             the library (preload + C API)
#   PREFIX/include/sandbox.h                             the C API
#   PREFIX/share/libsandbox/profiles/*.toml              the shipped profiles
#   PREFIX/share/man/man1/sandbox.1, man5/sandbox.toml.5
#   PREFIX/share/bash-completion/completions/sandbox
#   PREFIX/share/doc/libsandbox/                         sandbox.toml.example, README.md
#
# Usage: scripts/install.sh [--from DIR] [PREFIX]     build (release) unless --from names
#                                                     a directory with sandbox and libsandbox.so
#        scripts/install.sh --uninstall [PREFIX]
# DESTDIR is prepended to every path (for packaging). The layout is relative: the command
# finds the library and the profiles from its own location, so PREFIX may be moved.
set -euo pipefail
cd "$(dirname "$0")/.."
from='' uninstall=0
while [ $# -gt 0 ]; do
    case $1 in
        --from) from=$2; shift 2 ;;
        --uninstall) uninstall=1; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) break ;;
    esac
done
prefix=${1:-/usr/local}
case $prefix in /*) ;; *) echo "install.sh: PREFIX must be an absolute path: $prefix" >&2; exit 2 ;; esac
root=${DESTDIR:-}$prefix

files=(
    bin/sandbox lib/libsandbox.so include/sandbox.h
    share/man/man1/sandbox.1 share/man/man5/sandbox.toml.5
    share/bash-completion/completions/sandbox
    share/doc/libsandbox/sandbox.toml.example share/doc/libsandbox/README.md
)
if [ $uninstall = 1 ]; then
    for f in "${files[@]}"; do rm -f "$root/$f"; done
    rm -rf "$root/share/libsandbox" "$root/share/doc/libsandbox"
    echo "install.sh: removed libsandbox from $root"
    exit 0
fi

if [ -z "$from" ]; then
    [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
    cargo build --release --locked -q -p sandbox-preload -p sandbox-cli
    from=target/release
fi
for f in "$from/sandbox" "$from/libsandbox.so"; do
    [ -f "$f" ] || { echo "install.sh: $f is missing (build first, or name the build directory with --from)" >&2; exit 2; }
done

install -d -m 0755 "$root/bin" "$root/lib" "$root/include" "$root/share/man/man1" "$root/share/man/man5" \
    "$root/share/bash-completion/completions" "$root/share/libsandbox/profiles" "$root/share/doc/libsandbox"
install -m 0755 "$from/sandbox" "$root/bin/sandbox"
install -m 0644 "$from/libsandbox.so" "$root/lib/libsandbox.so"
install -m 0644 include/sandbox.h "$root/include/sandbox.h"
install -m 0644 man/sandbox.1 "$root/share/man/man1/sandbox.1"
install -m 0644 man/sandbox.toml.5 "$root/share/man/man5/sandbox.toml.5"
install -m 0644 completions/sandbox.bash "$root/share/bash-completion/completions/sandbox"
install -m 0644 sandbox.toml.example README.md "$root/share/doc/libsandbox/"
# Profiles: files as they are, aliases (gcc -> cc) as symlinks.
rm -f "$root/share/libsandbox/profiles/"*.toml
for p in profiles/*.toml; do
    if [ -L "$p" ]; then
        ln -s "$(readlink "$p")" "$root/share/libsandbox/profiles/$(basename "$p")"
    else
        install -m 0644 "$p" "$root/share/libsandbox/profiles/"
    fi
done
echo "install.sh: installed libsandbox into $root"
