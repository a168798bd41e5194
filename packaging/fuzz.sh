#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets (fuzz/, clang with ASan and UBSan) in build/fuzz and runs each
# for a fixed time, starting from its seed corpus in fuzz/corpus/<target>.
#   bash packaging/fuzz.sh                 # 20 s per target
#   REDRIVE_FUZZ_SECONDS=600 bash packaging/fuzz.sh [target...]   # longer, or only some targets
# New inputs found are kept in build/fuzz/corpus/<target> (not in the repository); a crash leaves
# its input in build/fuzz/crashes/ and makes this script fail. Reproduce one with
#   build/fuzz/fuzz_<target> build/fuzz/crashes/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${REDRIVE_FUZZ_SECONDS:-20}
build=build/fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(requestframer payloadvalidator deadletterentry redisreply redisendpoint settings)
fi
cxx=${REDRIVE_FUZZ_CXX:-clang++-14}
if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "fuzz: $cxx not found; install it with: apt-get install clang-14 libclang-rt-14-dev" >&2
  exit 2
fi

cmake -S fuzz -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
  >/dev/null
cmake --build "$build" --parallel "$(nproc)" --target "${targets[@]/#/fuzz_}"

mkdir -p "$build/crashes"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export QT_LOGGING_RULES='*.warning=false'
status=0
for target in "${targets[@]}"; do
  work="$build/corpus/$target"
  mkdir -p "$work"
  log="$build/fuzz_$target.log"
  # New inputs go to the first directory (the build's); the seeds are read, never written.
  if "$build/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/crashes/$target-" \
       "$work" "fuzz/corpus/$target" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    corpus=$(ls "$work" | wc -l)
    echo "fuzz $target: ${seconds} s, ${runs:-?} executions, no crash; corpus $(ls "fuzz/corpus/$target" | wc -l) seeds + $corpus found"
  else
    echo "fuzz $target: FAILED, the input is in $build/crashes/; last lines of $log:" >&2
    tail -40 "$log" >&2
    status=1
  fi
done
exit $status
