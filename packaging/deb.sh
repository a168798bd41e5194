#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds build/deb/redrive_<version>_amd64.deb: a Release build in build/release-deb (its own
# folder, not run.sh's build/release; kept and reused by the next run), with Debian's hardening
# flags, packaged by CPack's DEB generator (shlibdeps for the libraries, redis-server and
# libqt6svg6 added). packaging/install-deps.sh installs what it needs. Prints the package's path.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in dpkg-buildflags dpkg-shlibdeps rsvg-convert gzip cpack; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "deb.sh: $tool is missing: run packaging/install-deps.sh" >&2
    exit 1
  fi
done
# What a Debian build uses: _FORTIFY_SOURCE, stack protector, full RELRO, immediate binding.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cxxflags="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS)"
ldflags="$(dpkg-buildflags --get LDFLAGS)"
bash packaging/build.sh build/release-deb -DCMAKE_BUILD_TYPE=Release -DREDRIVE_BUILD_TESTS=OFF \
  -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_CXX_FLAGS="$cxxflags" \
  -DCMAKE_EXE_LINKER_FLAGS="$ldflags" -DCMAKE_SHARED_LINKER_FLAGS="$ldflags"
rm -f build/deb/redrive_*.deb
cpack --config build/release-deb/CPackConfig.cmake -B "$PWD/build/deb" -G DEB >/dev/null
ls build/deb/redrive_*_*.deb
