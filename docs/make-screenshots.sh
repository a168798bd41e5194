#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Saves screenshots of the console's main views to docs/screenshots/: builds the screenshot
# tool, which starts a private redis-server, fills it with realistic dead-letter entries (the
# sample Genesys notification with varied topics, errors and status codes; the same data set
# for every shot) and opens the console on it at 1440x900, under a virtual X server so fonts and
# style are those of a desktop. The last shot is the dead-letter queue in the dark theme.
# Usage: docs/make-screenshots.sh [build-dir]   (default build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/release}
if [ ! -f "$dir/build.ninja" ]; then
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$dir" --target redrive-console-shots
export REDRIVE_TEST_DATA="$PWD/tests/data"
# A scratch home: the shots show "~/.config/Redrive/redrive.ini", no temporary folder, and
# nothing of the user's own settings, window state or keychain.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export HOME="$scratch" XDG_CONFIG_HOME="$scratch/.config" XDG_DATA_HOME="$scratch/.local/share"
export XDG_RUNTIME_DIR="$scratch/runtime" && mkdir -m 700 "$XDG_RUNTIME_DIR"
unset QT_QPA_PLATFORMTHEME QT_STYLE_OVERRIDE
xvfb-run -a -s "-screen 0 1600x1000x24" "$dir/bench/console/redrive-console-shots" docs/screenshots
ls -l docs/screenshots/*.png
