#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring and a scratch
# HOME, so keychain tests use a real Secret Service without touching anyone's real keyring.
# DISPLAY is unset: with it, a locked keyring opens a password prompt and waits forever.
set -euo pipefail
scratch=$(mktemp -d /tmp/redrive-test-home.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/.local/share" "$scratch/.config" "$scratch/runtime"
chmod 700 "$scratch/runtime"
export HOME="$scratch" XDG_DATA_HOME="$scratch/.local/share" XDG_CONFIG_HOME="$scratch/.config" \
       XDG_RUNTIME_DIR="$scratch/runtime"
unset DISPLAY WAYLAND_DISPLAY
exec dbus-run-session -- bash -c '
  echo "" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 \
    || echo "warning: gnome-keyring-daemon did not start; keychain tests will fail" >&2
  exec "$@"' keychain-session "$@"
