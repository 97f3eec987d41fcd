#!/usr/bin/env bash
# The whole test suite: set-up, the Envoy API check against xds-protos, then every Swift test
# (unit, gRPC and real-Envoy end-to-end). This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
.venv/bin/python3 scripts/check-envoy-protos.py
swift build --build-tests
# Serial: end-to-end suites start real Envoys and measure latencies; run side by side on 2 cores they
# starve each other. Unit suites take about a second either way.
swift test --skip-build --no-parallel
