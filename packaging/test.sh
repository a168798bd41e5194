#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what Redrive needs, then builds and runs the whole test suite under
# AddressSanitizer + UndefinedBehaviorSanitizer, checks the .deb (packaging/deb-test.sh), runs
# each libFuzzer target briefly (packaging/fuzz.sh), and last builds and runs the whole suite as
# a normal build with warnings as errors. Tests start their own redis-server processes; the
# keychain tests run in a private D-Bus session with an unlocked gnome-keyring; GUI tests run on
# the offscreen platform.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${REDRIVE_SKIP_INSTALL:-0}" != 1 ]; then bash packaging/install-deps.sh; fi
jobs=$(nproc)

bash packaging/build.sh build/asan -DCMAKE_BUILD_TYPE=Debug -DREDRIVE_WERROR=ON -DREDRIVE_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
LSAN_OPTIONS=suppressions=$PWD/tests/support/lsan.supp \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  tests/support/keychain-session.sh ctest --test-dir build/asan --output-on-failure -j "$jobs"

REDRIVE_DEB_INSTALL_TEST=1 bash packaging/deb-test.sh # the .deb: files, lintian, unit, man page

# Fuzzing smoke: each libFuzzer target for 20 s from its seed corpus; a crash fails the run
# (docs/RELIABILITY.md, "Fuzzing").
REDRIVE_FUZZ_SECONDS=20 bash packaging/fuzz.sh

# Last, so that the run ends with CTest's summary: the normal build with warnings as errors.
bash packaging/build.sh build/test -DCMAKE_BUILD_TYPE=Debug -DREDRIVE_WERROR=ON
tests/support/keychain-session.sh ctest --test-dir build/test --output-on-failure -j "$jobs"
