#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs every Debian package Redrive needs to build, run, test and benchmark. Idempotent.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: run this as root, or install sudo, to install the Debian packages" >&2
    exit 1
  fi
  SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
  build-essential cmake ninja-build pkg-config git \
  qt6-base-dev qt6-httpserver-dev qt6-websockets-dev qt6-tools-dev qt6-l10n-tools \
  libhiredis-dev qtkeychain-qt6-dev libsecret-1-0 gnome-keyring dbus dbus-x11 \
  redis-server redis-tools xvfb xauth imagemagick wrk curl ca-certificates \
  python3 python3-redis python3-requests procps \
  clang-14 libclang-rt-14-dev \
  qt6-svg-dev libqt6svg6 qt6-charts-dev libqt6opengl6-dev libqt6charts6 librsvg2-bin dpkg-dev file lintian appstream desktop-file-utils man-db systemd
