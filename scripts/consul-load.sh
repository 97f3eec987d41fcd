#!/usr/bin/env bash
# Consul load scenario (not part of the test command; about 2 minutes after the build):
# 1,000 services x 10 instances, 50 changes/s for 60 s against one local control plane.
# BUILD=release (default) or BUILD=debug.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build=${BUILD:-release}
swift build -c "$build" --product local-control-plane
swift build -c "$build" --product consul-double
.venv/bin/python3 scripts/consul-load.py "$(swift build -c "$build" --show-bin-path)"
