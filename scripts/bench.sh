#!/usr/bin/env bash
# Performance runs, never part of the test command (about 30 minutes after the release build): the ordo-one micro-benchmarks
# (Benchmarks/ControlPlaneBenchmarks), then release binaries and the xds-load scenarios against a real
# local-control-plane; the figures go into docs/PERFORMANCE.md between the `bench:start` and `bench:end` markers
# (the text around them is kept).
set -euo pipefail
cd "$(dirname "$0")/.."
# BIN=dir: release binaries built elsewhere (local-control-plane, consul-double and xds-load side by side);
# SKIP_MICRO=1 leaves out the micro-benchmarks (they need a release build of the benchmark target).
bin="${BIN:-}"
if [ -z "$bin" ]; then
  for product in local-control-plane consul-double xds-load; do
    swift build -c release --product "$product"
  done
  bin=.build/release
fi
out=run/bench
rm -rf "$out" && mkdir -p "$out"
if [ -z "${SKIP_MICRO:-}" ]; then
  swift package --disable-sandbox benchmark --target ControlPlaneBenchmarks --no-progress --format markdown \
    | sed -n '/^## Baseline/,$p' > "$out/micro.md"
fi
# The measured server (control plane or floor) gets CPU 0 to itself; the simulated Envoys and the Consul double run
# on the others, so "one core serves N Envoys" is what is measured, whatever the generator costs.
cpus=$(nproc)
pin=()
server=()
if [ "$cpus" -ge 2 ]; then
  pin=(taskset -c "1-$((cpus - 1))")
  server=(--server-cpus 0)
fi
load() { # name, then xds-load options
  local name=$1; shift
  echo "== $name"
  "${pin[@]}" "$bin/xds-load" --control-plane "$bin/local-control-plane" "${server[@]}" \
    --work-directory "$out/$name" --markdown "$out/$name.md" --json "$out/$name.json" "$@"
}
load sotw --streams 10000 --protocol sotw --no-restart
load delta --streams 10000 --protocol delta --no-restart
# The floor: the same scenario served as pre-encoded responses with no generation (xds-load floor-server), on the
# control plane's transport; and once on grpc-swift's server, which the control plane ran until 2026-12-04.
load floor-sotw --target floor --streams 10000 --protocol sotw
load floor-delta --target floor --streams 10000 --protocol delta
load floor-grpc-sotw --target floor --floor-transport grpc --streams 10000 --protocol sotw
# Reconnect storm: this sandbox caps a process at 20,000 descriptors and the gRPC client briefly holds two sockets
# per reconnecting connection, so 10,000 streams share 5,000 connections here (see docs/PERFORMANCE.md).
load restart --streams 10000 --connections 5000 --single-changes 2 --sustain-seconds 5
load restart-one-per-stream --streams 3000 --single-changes 2 --sustain-seconds 5

python3 - "$out" <<'PY'
import datetime, json, os, platform, re, subprocess, sys
out = sys.argv[1]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
memory = next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")) 
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
sections = {
    "micro": "Micro-benchmarks (ordo-one `benchmark`, release build)",
    "sotw": "10,000 state-of-the-world streams, one HTTP/2 connection each",
    "delta": "10,000 delta streams, one HTTP/2 connection each",
    "floor-sotw": "The floor, state of the world: the same 10,000 streams served pre-encoded responses, no generation",
    "floor-delta": "The floor, delta: the same 10,000 streams served pre-encoded responses, no generation",
    "floor-grpc-sotw": "The floor on grpc-swift's server, state of the world (the control plane's transport until 2026-12-04)",
    "restart": "kill -9 and restart with 10,000 streams (over 5,000 connections)",
    "restart-one-per-stream": "kill -9 and restart with 3,000 streams, one connection each",
}
lines = [f"Run by `scripts/bench.sh` on {datetime.date.today()} at commit `{commit}`: {os.cpu_count()} × {cpu}, "
         f"{int(memory) // 1024 // 1024} GiB; the measured server pinned to CPU 0, the load generator and the Consul "
         "double to the others (`taskset`); every state-of-the-world request carries the node, as Envoy's do.", ""]
def report(name):
    path = os.path.join(out, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None
pairs = [("sotw", "floor-sotw"), ("delta", "floor-delta")]
if all(report(name) for pair in pairs for name in pair):
    rows = [
        ("all streams configured (s)", lambda r: f"{r.get('initialConfigSeconds') or 0:.2f}"),
        ("one change to every stream, p50 / p99 (s)", lambda r: f"{r['singleChange']['p50Seconds']:.3f} / {r['singleChange']['p99Seconds']:.3f}"),
        ("one change to one group, p50 / p99 (s)", lambda r: f"{r['singleSmallChange']['p50Seconds']:.3f} / {r['singleSmallChange']['p99Seconds']:.3f}"),
        ("server CPU per change per 1,000 receiving streams (ms)", lambda r: f"{(r.get('singleChangeCPUSecondsPer1000Streams') or 0) * 1000:.0f}"),
        ("sustained, per change p50 / p99 (s)", lambda r: f"{r['sustainedChange']['p50Seconds']:.3f} / {r['sustainedChange']['p99Seconds']:.3f}"),
        ("sustained, changes done", lambda r: str(r['sustainedChange']['count'])),
        ("sustained, change accepted by the source p50 / p99 (s)", lambda r: f"{r['sustainedSend']['p50Seconds']:.3f} / {r['sustainedSend']['p99Seconds']:.3f}"),
        ("server CPU while sustained (% of a core)", lambda r: f"{r.get('sustainedCPUPercent') or 0:.0f}"),
        ("server peak memory (MB)", lambda r: f"{r.get('residentMegabytesPeak') or 0:.0f}"),
    ]
    lines += ["#### Control plane next to the floor (same run, same scenario, same generator)", "",
              "| measure | control plane, SotW | floor, SotW | control plane, delta | floor, delta |", "|---|---|---|---|---|"]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(report(n)) for pair in pairs for n in pair) + " |")
    lines.append("")
doc = "docs/PERFORMANCE.md"
text = open(doc).read()
for name, title in sections.items():
    path = os.path.join(out, name + ".md")
    if name == "micro" and not os.path.exists(path):
        # SKIP_MICRO: keep the micro-benchmarks of the run before, marked as such.
        earlier = re.search(r"#### Micro-benchmarks.*?(?=\n#### |\n<!-- bench:end -->)", text, flags=re.S)
        if earlier:
            kept = earlier.group(0).replace(title, title + " — from an earlier run (SKIP_MICRO)", 1) if "earlier run" not in earlier.group(0) else earlier.group(0)
            lines += [kept.strip(), ""]
        continue
    if os.path.exists(path):
        # The benchmark tool's own headings (## / ###) go below this section's.
        body = re.sub(r"^(#+) ", lambda m: "#" * (len(m.group(1)) + 3) + " ", open(path).read().strip(), flags=re.M)
        lines += [f"#### {title}", "", body, ""]
block = "<!-- bench:start -->\n" + "\n".join(lines) + "<!-- bench:end -->"
open(doc, "w").write(re.sub(r"<!-- bench:start -->.*<!-- bench:end -->", lambda _: block, text, flags=re.S))
print(f"wrote {doc}")
PY
