#!/usr/bin/env bash
# The reliability suite at the issue's durations (about 45 minutes): Consul faults held for minutes, 100
# aggregator kills, a 10-minute DC partition, disk faults, slow Envoys, kill -9 of the control plane under
# 1,000 simulated Envoys, and 100,000 fuzz cases per input. The test command runs the same scenarios short
# (the smoke subset). Results go to docs/RELIABILITY.md between the `reliability:` markers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out=run/reliability
rm -rf "$out" && mkdir -p "$out"

scripts/fuzz.sh | tee "$out/fuzz.txt"

swift build --build-tests
RELIABILITY_SCALE=full swift test --skip-build --no-parallel --filter "ReliabilityTests|DiskFaultTests|SlowStreamTests" \
  | tee "$out/scenarios.txt"

# kill -9 of the control plane while 1,000 simulated Envoys are connected (xds-load's restart phase).
swift build -c release --product local-control-plane
swift build -c release --product consul-double
swift build -c release --product xds-load
.build/release/xds-load --streams 1000 --groups 20 --services 300 --single-changes 4 --sustain-seconds 10 \
  --work-directory "$out/xds-load" --markdown "$out/cp-kill.md" | tee "$out/cp-kill.txt"

python3 - "$out" <<'PY'
import datetime, os, re, subprocess, sys
out = sys.argv[1]
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
lines = [f"Run by `scripts/reliability.sh` on {datetime.date.today()} at commit `{commit}`.", "", "#### Scenarios (real Envoys)", ""]
scenarios = open(os.path.join(out, "scenarios.txt")).read()
lines += [f"- {m}" for m in re.findall(r"^reliability: (.*)$", scenarios, flags=re.M)]
passed = re.search(r"Test run with (\d+) tests? .* (passed|failed).*", scenarios)
lines += ["", f"Result: {passed.group(0) if passed else 'no summary line'}", "", "#### kill -9 of the control plane under 1,000 simulated Envoys", ""]
lines += [open(os.path.join(out, "cp-kill.md")).read().strip(), "", "#### Fuzzing (100,000 cases per input)", ""]
lines += ["```"] + [l for l in open(os.path.join(out, "fuzz.txt")).read().splitlines() if l.startswith(("fuzz ", "  "))] + ["```"]
doc = "docs/RELIABILITY.md"
text = open(doc).read()
block = "<!-- reliability:start -->\n" + "\n".join(lines) + "\n<!-- reliability:end -->"
open(doc, "w").write(re.sub(r"<!-- reliability:start -->.*<!-- reliability:end -->", lambda _: block, text, flags=re.S))
print(f"wrote {doc}")
PY
