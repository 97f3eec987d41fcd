#!/usr/bin/env bash
# The demo: two datacenters (each a local control plane with its registry, backends and a real Envoy)
# and the global aggregator. Shows cross-DC routing and a failover with plain curl output.
# Runs until Ctrl-C (or DEMO_SECONDS). DEMO_REGISTRY=consul gives each DC a Consul agent instead of a
# registry file: a real `consul agent -dev` when `consul` is on PATH, else the project's Consul test double.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
# The tests' build (testable modules): building products alone compiles every module again with other flags, so
# switching between the demo and the tests would rebuild everything each time.
swift build --build-tests
mode=${DEMO_REGISTRY:-file}

run=run/demo
rm -rf "$run" && mkdir -p "$run"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
start() {  # name, command...
    local name=$1; shift
    "$@" >"$run/$name.log" 2>&1 &
    pids+=($!)
}
backend() {  # name, port
    mkdir -p "$run/www-$1" && echo "hello from $1" >"$run/www-$1/index.html"
    start "$1" .venv/bin/python3 -m http.server "$2" --bind 127.0.0.1 --directory "$run/www-$1"
}
registry() {  # file, then "service=name:port" entries
    local file=$1; shift
    echo "services:" >"$file.tmp"
    for service in $(printf '%s\n' "$@" | cut -d= -f1 | sort -u); do
        echo "  - name: $service" >>"$file.tmp"
        echo "    instances:" >>"$file.tmp"
        for entry in "$@"; do
            [ "${entry%%=*}" = "$service" ] || continue
            local id=${entry#*=}
            echo "      - { id: ${id%%:*}, address: 127.0.0.1, port: ${id##*:} }" >>"$file.tmp"
        done
    done
    mv "$file.tmp" "$file"
}
consul_agent() {  # dc number: a Consul HTTP API on 1850<n>
    if command -v consul >/dev/null; then
        start "consul-dc$1" consul agent -dev -datacenter "dc$1" -node "node-dc$1" -bind 127.0.0.1 -http-port "1850$1" \
            -dns-port -1 -grpc-port -1 -serf-lan-port "1860$1" -serf-wan-port "1870$1" -server-port "1880$1"
    else
        start "consul-dc$1" .build/debug/consul-double --port "1850$1" --datacenter "dc$1"
    fi
    for _ in $(seq 100); do curl -sf "localhost:1850$1/v1/status/leader" | grep -q : && return; sleep 0.1; done
}
consul_register() {  # dc number, service, id, port
    curl -sf -X PUT "localhost:1850$1/v1/agent/service/register" -d "{\"ID\": \"$3\", \"Name\": \"$2\", \"Address\": \"127.0.0.1\",
        \"Port\": $4, \"Check\": {\"CheckID\": \"service:$3\", \"TTL\": \"10m\", \"Status\": \"passing\"}}"
}
dc1_backend() {  # down | up: take dc1's backend out of dc1's registry, or put it back
    if [ "$mode" = consul ]; then
        if [ "$1" = down ]; then curl -sf -X PUT localhost:18501/v1/agent/check/fail/service:backend-dc1; else
            curl -sf -X PUT localhost:18501/v1/agent/check/pass/service:backend-dc1; fi
    elif [ "$1" = down ]; then registry "$run/dc1.yaml" other=placeholder:9
    else registry "$run/dc1.yaml" backend=backend-dc1:18101; fi
}
envoy_bootstrap() {  # dc, xds port, egress port, admin port: the sidecar bootstrap every deployment uses
    .build/debug/local-control-plane bootstrap --service-name client --node-id "client-$1" --datacenter "$1" \
        --control-plane "127.0.0.1:$2" --ingress-host 127.0.0.1 --ingress-port $(( $3 + 1000 )) --egress-port "$3" \
        --local-service-port 9 --admin-port "$4" --metadata-file "$run/client-metadata.yaml"
}

head -c 24 /dev/urandom | base64 >"$run/push-token"
cat >"$run/client-metadata.yaml" <<'YAML'
proxy_settings:
  outgoing:
    dependencies:
      - service: "*"
        timeoutPolicy: { requestTimeout: 2s }
YAML
backend backend-dc1 18101
backend backend-dc2 18102
backend payments-dc2 18103
if [ "$mode" = consul ]; then
    consul_agent 1 && consul_agent 2
    consul_register 1 backend backend-dc1 18101
    consul_register 2 backend backend-dc2 18102
    consul_register 2 payments payments-dc2 18103
else
    registry "$run/dc1.yaml" backend=backend-dc1:18101
    registry "$run/dc2.yaml" backend=backend-dc2:18102 payments=payments-dc2:18103
fi

for dc in 1 2; do
    if [ "$mode" = consul ]; then source_flags=(--consul-url "http://127.0.0.1:1850$dc"); else
        source_flags=(--registry-file "$run/dc$dc.yaml"); fi
    start "local-control-plane-dc$dc" .build/debug/local-control-plane --datacenter "dc$dc" "${source_flags[@]}" \
        --xds-port "1800$dc" --http-port "1808$dc" --push-token-file "$run/push-token" --remote-state-file "$run/remote-state-dc$dc.json"
    envoy_bootstrap "dc$dc" "1800$dc" "1500$dc" "1990$dc" >"$run/envoy-dc$dc.yaml"
    start "envoy-dc$dc" .venv/bin/envoy -c "$run/envoy-dc$dc.yaml" --base-id "4$dc" -l warning
done
start global-aggregator .build/debug/global-aggregator --region demo \
    --datacenter dc1=http://127.0.0.1:18081 --datacenter dc2=http://127.0.0.1:18082 \
    --database "$run/aggregator.sqlite" --push-token-file "$run/push-token" --http-port 19000

echo "waiting for both Envoys to receive their configuration..."
for _ in $(seq 150); do
    curl -s localhost:19901/clusters | grep -q "payments::127.0.0.1:18103" && break
    sleep 0.1
done

step() { printf '\n$ %s\n' "$*"; eval "$*"; }
echo; echo "== cross-DC routing: 'payments' exists only in dc2; dc1's Envoy routes there"
step "curl -s -H 'Host: payments' localhost:15001/"
step "curl -s localhost:19901/clusters | grep -E '^payments::.*::health_flags'"
echo; echo "== locality: dc1's Envoy keeps 'backend' traffic in dc1 while dc1 is healthy"
step "for i in 1 2 3 4 5; do curl -s -H 'Host: backend' localhost:15001/; done | sort | uniq -c"
echo; echo "== failover: dc1's backend leaves dc1's registry ($mode)"
dc1_backend down
sleep 1.5
step "for i in 1 2 3 4 5; do curl -s -H 'Host: backend' localhost:15001/; done | sort | uniq -c"
echo; echo "== recovery: it comes back"
dc1_backend up
sleep 1.5
step "for i in 1 2 3 4 5; do curl -s -H 'Host: backend' localhost:15001/; done | sort | uniq -c"

cat <<TEXT

The demo keeps running (logs in $run/). Try:
  open http://127.0.0.1:19000/                       # the aggregator's status page
  curl localhost:19000/v1/datacenters                 # per DC: freshness, poll and push status
  curl localhost:19000/v1/merged                      # what each DC receives
  curl -H 'Host: backend' localhost:15002/            # dc2's Envoy
  curl localhost:18081/v1/state                       # dc1's state as the aggregator reads it
  curl 'localhost:18081/debug/snapshot?node=client-dc1'
  edit $run/dc1.yaml or $run/dc2.yaml                 # (file mode) changes reach both DCs' Envoys in well under a second
  curl -X PUT localhost:18501/v1/agent/check/fail/service:backend-dc1   # (consul mode) the same through Consul
Ctrl-C stops everything.
TEXT
if [ -n "${DEMO_SECONDS:-}" ]; then sleep "$DEMO_SECONDS"; else wait; fi
