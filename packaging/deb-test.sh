#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the .deb (packaging/deb.sh) and checks it as Debian would see it: its file list against
# packaging/deb-files.txt, the unpacked program's --version and --help, the desktop file, the
# AppStream metainfo, lintian (no errors), the systemd unit (systemd-analyze verify, where the
# command works) and the manual page (man renders it without warnings). With
# REDRIVE_DEB_INSTALL_TEST=1, as root, it also installs the package with apt-get, runs
# /usr/bin/redrive --version and removes it again: that changes the machine, so CI only.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
fail() { echo "deb-test: FAIL: $*" >&2; exit 1; }

deb=$(bash packaging/deb.sh | tail -n 1)
[ -f "$deb" ] || fail "packaging/deb.sh made no package"
version=$(dpkg-deb -f "$deb" Version)
echo "deb-test: $deb ($(stat -c %s "$deb") bytes, version $version)"
case "$deb" in *"/redrive_${version}_amd64.deb") ;; *) fail "unexpected file name $deb" ;; esac

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
root=$scratch/root
dpkg-deb -x "$deb" "$root"

# Files: exactly the expected ones.
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' | sort > "$scratch/files"
grep -v '^#' packaging/deb-files.txt | sort > "$scratch/expected"
diff -u "$scratch/expected" "$scratch/files" || fail "the package's files differ from packaging/deb-files.txt"
depends=$(dpkg-deb -f "$deb" Depends)
for dep in redis-server libqt6svg6 libqt6charts6 libqt6core6 libhiredis; do
  [[ "$depends" == *"$dep"* ]] || fail "Depends lacks $dep: $depends"
done
out=$(file "$root/usr/bin/redrive")
[[ "$out" == *", stripped"* ]] || fail "usr/bin/redrive is not stripped: $out"

# The unpacked program, on the system's Qt.
# (Output captured first: grep -q stopping early would break the pipe under pipefail.)
out=$("$root/usr/bin/redrive" --version)
[ "$out" = "Redrive $version" ] || fail "redrive --version: $out"
out=$("$root/usr/bin/redrive" --help)
[[ "$out" == *--headless* && "$out" == *--worker-only* ]] || fail "redrive --help: $out"

desktop-file-validate "$root/usr/share/applications/io.github.redrive.Redrive.desktop"
appstreamcli validate --no-net "$root/usr/share/metainfo/io.github.redrive.Redrive.metainfo.xml"

# Lintian: errors fail; what it still says is explained in packaging/README.md.
report=$(lintian --fail-on error --pedantic --display-info "$deb" 2>&1) || fail "lintian: $report"
printf '%s\n' "$report" | grep -v 'running with root privileges' || true

# The manual page renders without a single warning.
warnings=$(MANWIDTH=80 man --warnings -l "$root/usr/share/man/man1/redrive.1.gz" 2>&1 >/dev/null)
[ -z "$warnings" ] || fail "man page warnings: $warnings"
out=$(MANWIDTH=80 man -l "$root/usr/share/man/man1/redrive.1.gz" 2>/dev/null)
for section in SYNOPSIS OPTIONS ENVIRONMENT FILES 'EXIT STATUS' EXAMPLES 'SEE ALSO'; do
  [[ "$out" == *"$section"* ]] || fail "the manual page has no $section"
done

# The unit, pointed at the unpacked program (its manual page was checked above).
if command -v systemd-analyze >/dev/null 2>&1; then
  mkdir "$scratch/unit"
  sed "s|^ExecStart=/usr/bin/redrive|ExecStart=$root/usr/bin/redrive|" \
    "$root/lib/systemd/system/redrive.service" > "$scratch/unit/redrive.service"
  systemd-analyze verify --man=no "$scratch/unit/redrive.service" || fail "systemd-analyze verify"
  systemd-analyze security --offline=yes "$scratch/unit/redrive.service" 2>/dev/null \
    | grep 'Overall exposure' || true
else
  echo "deb-test: systemd-analyze not installed: the unit is not verified"
fi

if [ "${REDRIVE_DEB_INSTALL_TEST:-0}" = 1 ] && [ "$(id -u)" -eq 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "./$deb" >/dev/null
  out=$(/usr/bin/redrive --version)
  [ "$out" = "Redrive $version" ] || fail "installed redrive --version: $out"
  [ -f /etc/default/redrive ] || fail "/etc/default/redrive not installed"
  DEBIAN_FRONTEND=noninteractive apt-get remove -y redrive >/dev/null
  [ ! -e /usr/bin/redrive ] || fail "apt-get remove left /usr/bin/redrive"
  echo "deb-test: installed with apt-get, ran, removed"
fi
echo "deb-test: passed in $((SECONDS - started)) s"
