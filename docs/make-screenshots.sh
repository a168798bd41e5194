#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Saves screenshots of the console's main views to docs/screenshots/: builds the screenshot
# tool, which starts a private redis-server, fills it with realistic dead-letter entries (the
# sample Genesys notification with varied topics, errors and status codes) and opens the
# console on it, under a virtual X server so fonts and style are those of a desktop.
# Usage: docs/make-screenshots.sh [build-dir]   (default build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/release}
if [ ! -f "$dir/build.ninja" ]; then
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$dir" --target redrive-console-shots
export REDRIVE_TEST_DATA="$PWD/tests/data"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
xvfb-run -a -s "-screen 0 1280x800x24" "$dir/bench/console/redrive-console-shots" docs/screenshots
ls -l docs/screenshots/*.png
