"""Consul load scenario: 1,000 services x 10 instances in the Consul test double, 50 check flips per second for
a minute, one local control plane watching it. Samples the control plane's CPU and memory and how far its
catalog trails Consul's, then measures how fast it converges once the churn stops. Usage: see consul-load.sh."""
import json
import os
import subprocess
import sys
import time
import urllib.request

BIN = sys.argv[1]  # directory with release binaries
SERVICES, INSTANCES, RATE, SECONDS = 1000, 10, 50, 60
CONSUL, HTTP, XDS = 18599, 18598, 18597
run = "run/consul-load"
os.makedirs(run, exist_ok=True)


def get(url, method="GET", timeout=120):
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def cp_instances():
    state = json.loads(get(f"http://127.0.0.1:{HTTP}/v1/state"))
    return sum(len(service["instances"]) for service in state["services"])


def consul_passing():
    return json.loads(get(f"http://127.0.0.1:{CONSUL}/_double/stats"))["passingInstances"]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024


logs = [open(f"{run}/{name}.log", "w") for name in ("consul-double", "local-control-plane")]
double = subprocess.Popen([f"{BIN}/consul-double", "--port", str(CONSUL)], stdout=logs[0], stderr=logs[0])
time.sleep(1)
get(f"http://127.0.0.1:{CONSUL}/_double/seed?services={SERVICES}&instances={INSTANCES}", "PUT")
expected = SERVICES * INSTANCES + 1
started = time.time()
cp = subprocess.Popen(
    [f"{BIN}/local-control-plane", "--datacenter", "dc1", "--consul-url", f"http://127.0.0.1:{CONSUL}",
     "--http-port", str(HTTP), "--xds-port", str(XDS), "--log-level", "warning", "--remote-state-file", f"{run}/remote.json"],
    stdout=logs[1], stderr=logs[1])
try:
    while True:
        try:
            if cp_instances() == expected:
                break
        except OSError:
            pass
        time.sleep(0.2)
    print(f"initial sync of {SERVICES} services x {INSTANCES} instances: {time.time() - started:.1f} s")
    churn = subprocess.Popen(["curl", "-s", "-X", "PUT", f"http://127.0.0.1:{CONSUL}/_double/churn?rate={RATE}&seconds={SECONDS}"],
                             stdout=subprocess.DEVNULL)
    samples = []
    last_cpu, last_time = cpu_seconds(cp.pid), time.time()
    while churn.poll() is None:
        time.sleep(2)
        now_cpu, now = cpu_seconds(cp.pid), time.time()
        lag = abs(consul_passing() - cp_instances())
        samples.append(((now_cpu - last_cpu) / (now - last_time) * 100, rss_mb(cp.pid), lag))
        last_cpu, last_time = now_cpu, now
    stopped = time.time()
    while cp_instances() != expected:
        time.sleep(0.05)
    converged = time.time() - stopped
    samples = samples[:-1]  # the last one overlaps the double passing every check again at the end
    cpu = [s[0] for s in samples]
    lags = [s[2] for s in samples]
    half = len(lags) // 2
    median = lambda values: sorted(values)[len(values) // 2]
    print(f"churn {RATE} check flips/s for {SECONDS} s ({RATE * SECONDS} changes):")
    print(f"  control plane CPU: mean {sum(cpu) / len(cpu):.0f}%, max {max(cpu):.0f}% (of one core)")
    print(f"  control plane RSS: max {max(s[1] for s in samples):.0f} MB")
    print(f"  instances its catalog trails Consul by (sampled every 2 s): first half median {median(lags[:half])}, "
          f"second half median {median(lags[half:])}, max {max(lags)}")
    print(f"  converged {converged:.2f} s after the churn stopped")
    stats = json.loads(get(f"http://127.0.0.1:{CONSUL}/_double/stats"))
    print(f"  Consul reads during the run: {stats['requests']}")
finally:
    cp.terminate()
    double.terminate()
