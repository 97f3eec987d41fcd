#!/usr/bin/env bash
# Installs a release tarball for the systemd units: the binaries under /opt/federated-control-plane/<release>,
# /opt/federated-control-plane/current pointing at them, /usr/local/bin links through `current`, the `fcp` user,
# the units in /etc/systemd/system and, where none exists yet, the example configs in /etc/federated-control-plane.
#   sudo bash install.sh federated-control-plane-1.0.0-linux-x86_64.tar.gz   install or upgrade (restart yourself)
#   sudo bash install.sh --rollback                                           back to the release installed before
# ROOT=/some/dir installs below that directory instead of / and skips useradd and systemctl (for tests and images).
set -euo pipefail
root="${ROOT:-}"
base="$root/opt/federated-control-plane"

switch_to() {  # makes $1 (a directory under $base) current, remembering the one before
    local previous
    previous="$(readlink "$base/current" 2> /dev/null || true)"
    if [ -n "$previous" ] && [ "$previous" != "$1" ]; then ln -sfn "$previous" "$base/previous"; fi
    ln -sfn "$1" "$base/current"
    echo "install: current release $(basename "$1")"
}

if [ "${1:-}" = "--rollback" ]; then
    target="$(readlink "$base/previous" 2> /dev/null)" || { echo "install: no previous release to roll back to" >&2; exit 1; }
    switch_to "$target"
else
    tarball="${1:?usage: install.sh TARBALL | --rollback}"
    release="$(tar -tzf "$tarball" | awk -F/ 'NR == 1 { print $1 }')"
    mkdir -p "$base"
    tar -xzf "$tarball" -C "$base"
    switch_to "$base/$release"
    mkdir -p "$root/usr/local/bin" "$root/etc/systemd/system" "$root/etc/federated-control-plane"
    for binary in local-control-plane global-aggregator; do
        ln -sfn "/opt/federated-control-plane/current/bin/$binary" "$root/usr/local/bin/$binary"
    done
    cp "$base/$release"/deploy/systemd/*.service "$root/etc/systemd/system/"
    for config in "$base/$release"/deploy/config/*.yaml; do
        [ -e "$root/etc/federated-control-plane/$(basename "$config")" ] || cp "$config" "$root/etc/federated-control-plane/"
    done
fi

if [ -z "$root" ]; then
    id fcp > /dev/null 2>&1 || useradd --system --user-group --no-create-home --home-dir /nonexistent fcp
    systemctl daemon-reload
    echo "install: restart the services to run it: systemctl restart local-control-plane (or global-aggregator)"
fi
