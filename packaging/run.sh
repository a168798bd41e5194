#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what Redrive needs, builds it and starts it. Arguments go to redrive
# (for example --headless). Without a Redis URL it starts its own embedded redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
bash packaging/build.sh build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREDRIVE_BUILD_TESTS=OFF
exec build/release/app/redrive "$@"
