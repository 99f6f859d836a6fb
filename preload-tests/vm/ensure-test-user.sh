#!/bin/bash
# ensure-test-user.sh: make sure the unprivileged test user `sandbox-test` exists on this host (idempotent).
# The VM guest shares the host's /etc read-only, so a user the guest tests switch to (with
# `setpriv --reuid/--regid`) must exist on the host before the VM boots. Creating it needs root.
set -euo pipefail
user=sandbox-test
getent passwd "$user" >/dev/null && exit 0
[ "$(id -u)" = 0 ] || { echo "ensure-test-user: user $user is missing and only root can create it" >&2; exit 1; }
if ! useradd --system --no-create-home --shell /usr/sbin/nologin "$user"; then
  getent passwd "$user" >/dev/null || exit 1   # a concurrent run may have created it first
fi
echo "ensure-test-user: created system user $user ($(id "$user"))" >&2
