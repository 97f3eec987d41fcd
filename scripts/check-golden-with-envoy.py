#!/usr/bin/env python3
"""An oracle for the generators' golden files that the code under test did not write: Envoy itself.

Each golden file (Tests/LocalControlPlaneTests/Golden/*.json, a list of resources in proto3 JSON) is put into a
bootstrap of its own and checked with `envoy --mode validate`, which parses it against Envoy's own descriptors and
applies Envoy's validation rules (required fields, ranges, known extensions): clusters as they are, endpoints
(load assignments) as those of static clusters, listeners as they are, route configurations inline in a listener.
A field Envoy does not know, a bad value or an unknown `@type` fails the check.

Usage: .venv/bin/python3 scripts/check-golden-with-envoy.py   (exit 1 when Envoy rejects a file)
"""
import copy
import glob
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENVOY = os.environ.get("ENVOY_BIN", os.path.join(ROOT, ".venv", "bin", "envoy"))
GOLDEN = os.path.join(ROOT, "Tests", "LocalControlPlaneTests", "Golden")

ADS = {"ads": {}, "resource_api_version": "V3"}
XDS_CLUSTER = {
    "name": "golden_xds", "type": "STATIC", "connect_timeout": "1s",
    "typed_extension_protocol_options": {"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        "explicit_http_config": {"http2_protocol_options": {}}}},
    "load_assignment": {"cluster_name": "golden_xds", "endpoints": [{"lb_endpoints": [
        {"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 1}}}}]}]},
}


def kind(resource):
    if "virtualHosts" in resource:
        return "route"
    if "filterChains" in resource:
        return "listener"
    if "clusterName" in resource and "name" not in resource:
        return "endpoints"
    if "name" in resource and "connectTimeout" in resource:
        return "cluster"
    raise SystemExit(f"a golden resource of no known kind: {sorted(resource)}")


def static_secrets(directory):
    """envoy-control's static secrets (`server_cert`, `validation_context`) that mTLS resources refer to by name."""
    key, certificate = os.path.join(directory, "golden.key"), os.path.join(directory, "golden.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "1", "-subj", "/CN=golden", "-addext", "subjectAltName=URI:spiffe://golden",
                    "-keyout", key, "-out", certificate], check=True, capture_output=True)
    return [
        {"name": "server_cert", "tls_certificate": {"certificate_chain": {"filename": certificate}, "private_key": {"filename": key}}},
        {"name": "validation_context", "validation_context": {"trusted_ca": {"filename": certificate}}},
    ]


def bootstrap(resources, secrets):
    # Envoys without ADS fetch EDS and RDS from the bootstrap's `envoy-control-xds` cluster (envoy-control's name).
    clusters, listeners = [XDS_CLUSTER, dict(copy.deepcopy(XDS_CLUSTER), name="envoy-control-xds")], []
    for index, resource in enumerate(resources):
        found = kind(resource)
        if found == "cluster":
            clusters.append(resource)
        elif found == "endpoints":
            clusters.append({"name": f"golden_{index}_" + resource["clusterName"], "type": "STATIC", "connect_timeout": "1s",
                             "load_assignment": resource})
        elif found == "listener":
            listeners.append(resource)
        else:
            inline = copy.deepcopy(resource)
            inline["validateClusters"] = False  # the clusters they name are not in this bootstrap
            listeners.append({
                "name": f"golden_routes_{index}",
                "address": {"socket_address": {"address": "127.0.0.1", "port_value": 10000 + index}},
                "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    "stat_prefix": "golden", "route_config": inline,
                    "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}]}}]}],
            })
    return {
        "node": {"id": "golden", "cluster": "golden"},
        # An admin listener, as every sidecar has: the tap sockets (`tcpDumpsEnabled`) need one.
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
        "dynamic_resources": {"ads_config": {"api_type": "GRPC", "transport_api_version": "V3",
                                             "grpc_services": [{"envoy_grpc": {"cluster_name": "golden_xds"}}]},
                              "cds_config": ADS, "lds_config": ADS},
        "static_resources": {"clusters": clusters, "listeners": listeners, "secrets": secrets},
    }


def main():
    files = sorted(glob.glob(os.path.join(GOLDEN, "*.json")))
    if not files:
        sys.exit(f"no golden files in {GOLDEN}")
    failures = 0
    with tempfile.TemporaryDirectory() as directory:
        secrets = static_secrets(directory)
        for path in files:
            name = os.path.basename(path)
            config = os.path.join(directory, name)
            with open(path) as golden, open(config, "w") as out:
                json.dump(bootstrap(json.load(golden), secrets), out)
            result = subprocess.run([ENVOY, "--mode", "validate", "-c", config, "-l", "error"], capture_output=True, text=True)
            if result.returncode != 0:
                failures += 1
                print(f"golden: Envoy rejects {name}:\n{(result.stdout + result.stderr).strip()[-2000:]}")
    print(f"golden: {len(files)} files validated by Envoy, {failures} rejected")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
