#!/usr/bin/env bash
# Federation at 20 DCs × 2,000 services × 20 instances with real release processes (20 control planes on registry
# files and the aggregator), never part of the test command: about 15 minutes after the release build. Writes the
# figures into docs/PERFORMANCE.md between the `federation-scale:start` and `federation-scale:end` markers.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 65536 2>/dev/null || true
# BIN=dir: use release binaries built elsewhere (e.g. .build-release/build/release from scripts/release.sh).
bin="${BIN:-}"
if [ -z "$bin" ]; then
  for product in local-control-plane global-aggregator; do
    swift build -c release --product "$product"
  done
  bin="$PWD/.build/release"
fi
out=run/federation-scale
rm -rf "$out" && mkdir -p "$out"
python3 scripts/federation-scale.py --work "$out" --json "$out/report.json" --bin "$(cd "$bin" && pwd)" "$@" | tee "$out/run.log"

python3 - "$out/report.json" <<'PY'
import datetime, json, os, re, subprocess, sys
r = json.load(open(sys.argv[1]))
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
def verdict(ok): return "met" if ok else "**missed**"
def fmt(value): return "—" if value is None else f"{value:.3f}"
body = f"""Run by `scripts/federation-scale.sh` on {datetime.date.today()} at commit `{commit}`: {r['datacenters']} DCs ×
{r['services']:,} services × {r['instances']} instances, {r['datacenters']} release `local-control-plane` processes on
registry files and one release `global-aggregator`, all on this {os.cpu_count()}-core machine; {r['changes']} single-instance
changes, one DC after another.

| measure | figure | target |
|---|---|---|
| first full convergence (aggregator start → every DC applied its whole remote state) | {r['firstConvergenceSeconds']:.1f} s | |
| one instance change → each other DC's control plane applied it, p50 / p99 / max over {r['samples']} | {r['propagationP50Seconds']:.3f} / {r['propagationP99Seconds']:.3f} / {r['propagationMaxSeconds']:.3f} s | p99 ≤ 2 s: {verdict(r['propagationP99Seconds'] <= 2)} |
| of which: the changed DC's control plane reading its registry file ({r.get('registryFormat', 'yaml').upper()}, 40,000 instances), p50 / p99 | {fmt(r.get('registryReadP50Seconds'))} / {fmt(r.get('registryReadP99Seconds'))} s | |
| push bytes per destination per change (gzip delta), mean / max | {r['pushBytesPerDestinationMean'] / 1024:.1f} / {r['pushBytesPerDestinationMax'] / 1024:.1f} KB | ≤ 100 KB: {verdict(r['pushBytesPerDestinationMax'] <= 100 * 1024)} |
| the changed DC's state read by the aggregator per change (JSON; a delta of what changed) | {r['pollBytesOfChangedDC'] / 1024:.1f} KB | |
| aggregator resident memory, at the end / peak | {r['aggregatorRSSMegabytes']:.0f} / {r['aggregatorPeakRSSMegabytes']:.0f} MB | ≤ 1 GB: {verdict(r['aggregatorPeakRSSMegabytes'] <= 1024)} |
"""
path = "docs/PERFORMANCE.md"
text = open(path).read()
start, end = "<!-- federation-scale:start -->", "<!-- federation-scale:end -->"
if start in text:
    text = re.sub(re.escape(start) + ".*?" + re.escape(end), start + "\n" + body + end, text, flags=re.S)
else:
    text += f"\n## Federation at scale\n\n{start}\n{body}{end}\n"
open(path, "w").write(text)
print(body)
PY
