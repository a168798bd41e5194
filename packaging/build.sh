#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Configures and builds one build folder. Usage: build.sh <dir> [cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1; shift
cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
cmake --build "$dir" --parallel "$(nproc)"
