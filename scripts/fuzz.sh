#!/usr/bin/env bash
# Full fuzz run (not in the test command, which runs 2,000 cases per target): 100,000 seeded cases for every
# input the processes read from outside. Options go to the fuzz tool: --cases N, --seed S, --target T, --replay N.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product fuzz
mkdir -p run/reliability
.build/release/fuzz --json run/reliability/fuzz.json "$@"
