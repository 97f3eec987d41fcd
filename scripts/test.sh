#!/usr/bin/env bash
# The whole test suite: set-up, the Envoy API check against xds-protos, then every Swift test
# (unit, gRPC and real-Envoy end-to-end). This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
.venv/bin/python3 scripts/check-envoy-protos.py
.venv/bin/python3 scripts/check-golden-with-envoy.py
swift build --build-tests

# Envoys, control planes and hundreds of test streams need descriptors beyond the usual 1,024.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
# Every test's files and processes live under one directory, removed (and its processes ended) even when a test
# crashes the runner: each child process of the tests runs with its working directory in it.
export TMPDIR
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/fcp-tests.XXXXXX")
cleanup() {
  for proc in /proc/[0-9]*; do
    case "$(readlink "$proc/cwd" 2>/dev/null)" in "$TMPDIR"/*) kill -9 "${proc#/proc/}" 2>/dev/null || true ;; esac
  done
  rm -rf "$TMPDIR"
}
trap cleanup EXIT

# Serial: end-to-end suites start real Envoys and measure latencies; run side by side on 2 cores they
# starve each other. Unit suites take about a second either way.
# CI keeps only the tail of the output, so the failures (if any) are printed again at the end.
log="$TMPDIR/swift-test.log"
status=0
swift test --skip-build --no-parallel 2>&1 | tee "$log" || status=$?
if [ "$status" -ne 0 ]; then
  echo "---- failures ----"
  grep -a -E '✘|recorded an issue|Fatal error|error:' "$log" | head -60 || true
fi
exit "$status"
