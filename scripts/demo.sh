#!/usr/bin/env bash
# The demo: a local control plane serving a real Envoy from a registry file, two real backends,
# traffic through the Envoy, and a live registry edit. Runs until Ctrl-C (or DEMO_SECONDS).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
swift build --product local-control-plane

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

for n in 1 2; do
    mkdir -p "$run/www-$n" && echo "hello from backend-$n" >"$run/www-$n/index.html"
    start "backend-$n" .venv/bin/python3 -m http.server "1810$n" --bind 127.0.0.1 --directory "$run/www-$n"
done

cat >"$run/services.yaml" <<YAML
services:
  - name: backend
    instances:
      - { id: backend-1, address: 127.0.0.1, port: 18101 }
YAML
start local-control-plane .build/debug/local-control-plane --datacenter dc1 --registry-file "$run/services.yaml" \
    --xds-port 18000 --http-port 18080

cat >"$run/envoy.yaml" <<YAML
node:
  id: client-1
  cluster: client
  locality: { zone: dc1 }
  metadata:
    service_name: client
    egress_host: 127.0.0.1
    egress_port: 15000
    proxy_settings:
      outgoing:
        dependencies:
          - service: backend
            timeoutPolicy: { requestTimeout: 2s }
dynamic_resources:
  ads_config:
    api_type: GRPC
    transport_api_version: V3
    grpc_services: [{ envoy_grpc: { cluster_name: xds } }]
  cds_config: { ads: {}, resource_api_version: V3 }
  lds_config: { ads: {}, resource_api_version: V3 }
static_resources:
  clusters:
    - name: xds
      type: STATIC
      connect_timeout: 1s
      typed_extension_protocol_options:
        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
          "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
          explicit_http_config: { http2_protocol_options: {} }
      load_assignment:
        cluster_name: xds
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 18000 } } } }] }]
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: 19000 } }
YAML
start envoy .venv/bin/envoy -c "$run/envoy.yaml" --base-id 42 -l warning

echo "waiting for Envoy to receive its configuration..."
for _ in $(seq 100); do
    curl -s localhost:19000/clusters | grep -q "backend::127.0.0.1:18101" && break
    sleep 0.1
done

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; eval "$*"; }
step "curl -s -H 'Host: backend' localhost:15000/"
step "curl -s localhost:19000/clusters | grep -E '^backend::.*::health_flags'"
echo; echo "adding backend-2 (weight 3) to $run/services.yaml ..."
cat >>"$run/services.yaml" <<YAML
      - { id: backend-2, address: 127.0.0.1, port: 18102, weight: 3 }
YAML
sleep 1
step "curl -s localhost:19000/clusters | grep -E '^backend::.*::(health_flags|weight)'"
step "for i in 1 2 3 4 5 6 7 8; do curl -s -H 'Host: backend' localhost:15000/; done | sort | uniq -c"
step "curl -s -H 'Host: unknown' localhost:15000/"
step "curl -s localhost:18080/debug/envoys; echo"

cat <<TEXT

The demo keeps running. Try:
  curl -H 'Host: backend' localhost:15000/          # traffic through Envoy's egress listener
  curl localhost:19000/config_dump                   # what Envoy received
  curl localhost:18080/ready                         # control plane readiness and registry freshness
  curl 'localhost:18080/debug/snapshot?node=client-1'
  curl localhost:18080/metrics
  edit $run/services.yaml                            # changes reach Envoy in well under a second
Logs are in $run/. Ctrl-C stops everything.
TEXT
if [ -n "${DEMO_SECONDS:-}" ]; then sleep "$DEMO_SECONDS"; else wait; fi
