#!/usr/bin/env python3
"""Federation at scale with real processes: N DCs (a release local-control-plane each, on a registry file) and one
release global-aggregator, all on this machine. After the first full convergence it changes one instance at a time in
a rotating DC and measures, per change:

- propagation: from the registry file's rename to each other DC's control plane applying the push (its
  `remote_state_last_applied_timestamp_seconds`), p50 / p99 over all (change, destination) pairs;
- bytes on the wire per destination: the aggregator's `aggregator_push_bytes_total` (gzip bodies) per change, and
  the gzip `/v1/state` answer of the changed DC that the aggregator reads;
- the aggregator's resident memory (now and peak).

Usage: scripts/federation-scale.py [--dcs 20 --services 2000 --instances 20 --changes 40] --json OUT.json
Prints a markdown report; `scripts/federation-scale.sh` builds the binaries and writes it into docs/PERFORMANCE.md.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, headers=None, timeout=30):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read(), dict(response.headers)


def metric(url, name):
    """Sum of a metric's samples in a Prometheus text page, by label set."""
    text = http(url + "/metrics")[0].decode()
    values = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            key, _, value = line.rpartition(" ")
            values[key] = float(value)
    return values


def poll_body_bytes(aggregator_api, dc):
    """JSON bytes of `dc`'s states the aggregator has received (whole and delta answers)."""
    return sum(value for key, value in metric(aggregator_api, "aggregator_poll_body_bytes_total").items()
               if f'dc="{dc}"' in key)


def registry_lines(dc, services, instances, form):
    """The registry file as lines, one instance a line: instance (s, i) is on line 1 + s * (instances + 2) + 2 + i.
    `form` json (YAML's subset, which the control plane decodes on a faster path) or yaml."""
    lines = ["{\"services\": [" if form == "json" else "services:"]
    for s in range(services):
        last_service = s == services - 1
        lines.append(f'  {{"name": "svc-{s:04d}",' if form == "json" else f"  - name: svc-{s:04d}")
        lines.append('   "instances": [' if form == "json" else "    instances:")
        for i in range(instances):
            address = f"10.{dc}.{s // 250}.{(s % 250) + 1}"
            if form == "json":
                end = ("]}" + ("" if last_service else ",")) if i == instances - 1 else ","
                lines.append(f'    {{"id": "i{i}", "address": "{address}", "port": {20000 + i}}}{end}')
            else:
                lines.append(f"      - {{ id: i{i}, address: {address}, port: {20000 + i} }}")
    if form == "json":
        lines.append("]}")
    return lines


def instance_line(services_index, instance, instances):
    return 1 + services_index * (instances + 2) + 2 + instance


def write_atomically(path, lines):
    temporary = path + ".tmp"
    with open(temporary, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.rename(temporary, path)


def rss_megabytes(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(len(ordered) * p + 0.4999)) - 1))]


def wait_until(condition, timeout, every=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if condition():
            return True
        time.sleep(every)
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dcs", type=int, default=20)
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--registry-format", choices=["json", "yaml"], default="json",
                        help="registry files as JSON (default; YAML's subset, decoded fast) or YAML (Yams: ~2 s a read at 40,000 instances)")
    parser.add_argument("--work", default=os.path.join(ROOT, "run", "federation-scale"))
    parser.add_argument("--json", required=True)
    parser.add_argument("--bin", default=BIN, help="directory of the release executables (default .build/release)")
    args = parser.parse_args()
    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)
    token = os.path.join(args.work, "token")
    with open(token, "w") as f:
        f.write("scale-token\n")
    processes = []

    def start(name, command):
        log = open(os.path.join(args.work, name + ".log"), "w")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=args.work)
        processes.append(process)
        return process

    try:
        planes = []
        registries = {}
        started = time.time()
        for dc in range(1, args.dcs + 1):
            name = f"dc{dc}"
            registries[name] = registry_lines(dc, args.services, args.instances, args.registry_format)
            path = os.path.join(args.work, f"services-{name}.yaml")
            write_atomically(path, registries[name])
            http_port, xds_port = free_port(), free_port()
            start(f"cp-{name}", [
                os.path.join(args.bin, "local-control-plane"), "--datacenter", name, "--registry-file", path,
                "--xds-port", str(xds_port), "--http-port", str(http_port), "--push-token-file", token,
                "--remote-state-file", os.path.join(args.work, f"remote-{name}.json"), "--log-level", "warning"])
            planes.append((name, f"http://127.0.0.1:{http_port}", path))
        for name, api, _ in planes:
            if not wait_until(lambda: ready(api) or any(p.poll() is not None for p in processes), 600, 0.5) or not ready(api):
                sys.exit(f"{name} never became ready; see {args.work}/cp-{name}.log")
        print(f"{args.dcs} control planes ready in {time.time() - started:.1f} s", flush=True)

        aggregator_port = free_port()
        aggregator_api = f"http://127.0.0.1:{aggregator_port}"
        datacenters = [arg for name, api, _ in planes for arg in ("--datacenter", f"{name}={api}")]
        aggregator = start("aggregator", [
            os.path.join(args.bin, "global-aggregator"), "--region", "scale", *datacenters, "--push-token-file", token,
            "--database", os.path.join(args.work, "aggregator.sqlite"), "--http-port", str(aggregator_port),
            "--log-level", "warning"])
        started = time.time()
        if not wait_until(lambda: all(applied_at(api) > 0 for _, api, _ in planes), 1200, 1):
            sys.exit("the first pushes never reached every control plane")
        first_convergence = time.time() - started
        print(f"first full convergence in {first_convergence:.1f} s", flush=True)
        # Measure from a quiet start: no push for 15 s (the first full pushes and their follow-ups are done).
        quiet_since, last = time.time(), None
        while time.time() - quiet_since < 15 and time.time() - started < 1800:
            pushes = sum(metric(aggregator_api, "aggregator_pushes_total").values())
            if pushes != last:
                quiet_since, last = time.time(), pushes
            time.sleep(1)
        print(f"quiet after {time.time() - started:.1f} s", flush=True)

        latencies, published, push_bytes, poll_bytes = [], [], [], []
        for change in range(args.changes):
            name, api, path = planes[change % len(planes)]
            service = (change * 37) % args.services
            instance = change % args.instances
            before_bytes = sum(metric(aggregator_api, "aggregator_push_bytes_total").values())
            before_poll = poll_body_bytes(aggregator_api, name)
            before = {other: applied_at(other_api) for other, other_api, _ in planes if other != name}
            lines = registries[name]
            index = instance_line(service, instance, args.instances)
            lines[index] = re.sub(r'port"?: \d+', lambda m: m.group(0).split(":")[0] + f": {30000 + change}", lines[index])
            write_atomically(path, lines)
            changed_at = time.time()
            others = [(other, other_api) for other, other_api, _ in planes if other != name]
            arrived = wait_until(lambda: all(applied_at(o_api) > before[o] for o, o_api in others), 60, 0.02)
            if not arrived:
                print(f"change {change}: not every DC applied it within 60 s", flush=True)
            for other, other_api in others:
                at = applied_at(other_api)
                if at > before[other]:
                    latencies.append(at - changed_at)
            # When the changed DC's control plane had read its file: the registry's share of the latency.
            loaded = max(metric(api, "registry_last_success_timestamp_seconds").values() or [0])
            if loaded > changed_at:
                published.append(loaded - changed_at)
            time.sleep(1)  # pushes of this change are done; count its bytes
            push_bytes.append((sum(metric(aggregator_api, "aggregator_push_bytes_total").values()) - before_bytes) / len(others))
            poll_bytes.append(poll_body_bytes(aggregator_api, name) - before_poll)
            print(f"change {change} in {name}: max {max(latencies[-len(others):]) if latencies else 0:.3f} s, "
                  f"{push_bytes[-1] / 1024:.1f} KB pushed per destination", flush=True)
        pages = status_pages(aggregator_api)
        rss, peak = rss_megabytes(aggregator.pid)
        report = {
            "statusPages": pages,
            "registryFormat": args.registry_format, "datacenters": args.dcs, "services": args.services, "instances": args.instances, "changes": args.changes,
            "firstConvergenceSeconds": first_convergence,
            "propagationP50Seconds": percentile(latencies, 0.5), "propagationP99Seconds": percentile(latencies, 0.99),
            "propagationMaxSeconds": max(latencies), "samples": len(latencies),
            "registryReadP50Seconds": percentile(published, 0.5) if published else None,
            "registryReadP99Seconds": percentile(published, 0.99) if published else None,
            "pushBytesPerDestinationMean": sum(push_bytes) / len(push_bytes), "pushBytesPerDestinationMax": max(push_bytes),
            "pollBytesOfChangedDC": sum(poll_bytes) / len(poll_bytes),
            "aggregatorRSSMegabytes": rss, "aggregatorPeakRSSMegabytes": peak,
        }
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
        print(json.dumps(report, indent=2))
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def status_pages(api):
    """The operator's pages at this scale: render time (median of 5, server and transfer on loopback) and size."""
    measured = {}
    for name, path in [("overview", "/"), ("search", "/?q=svc-01"), ("matrix", "/?service=svc-0001"),
                       ("routesJSON", "/v1/routes?service=svc-0001")]:
        times, size = [], 0
        for _ in range(5):
            started = time.monotonic()
            body, _ = http(api + path)
            times.append(time.monotonic() - started)
            size = len(body)
        measured[name] = {"path": path, "medianSeconds": sorted(times)[2], "bytes": size}
        print(f"status page {path}: {sorted(times)[2] * 1000:.1f} ms, {size / 1024:.1f} KB", flush=True)
    return measured


def ready(api):
    try:
        return http(api + "/ready", timeout=5)[0] is not None
    except Exception:
        return False


def applied_at(api):
    try:
        return max(metric(api, "remote_state_last_applied_timestamp_seconds").values() or [0])
    except Exception:
        return 0


if __name__ == "__main__":
    main()
