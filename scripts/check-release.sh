#!/usr/bin/env bash
# Proves a release tarball runs without a Swift toolchain: makes a minimal Debian bookworm root file system with
# debootstrap (the base debian:bookworm-slim is built from; cached in .build-release/rootfs) plus the packages
# deploy/docker/Dockerfile installs, unpacks the tarball
# into it, and inside a chroot runs `--version` on both executables, `check-config` on the example configs, and a
# short `serve` of each that must answer /ready. Also prints what the binaries link against.
#   bash scripts/check-release.sh dist/federated-control-plane-<version>-linux-x86_64.tar.gz
# Needs root (chroot), debootstrap (installed with apt-get when missing) and network to deb.debian.org.
set -euo pipefail
cd "$(dirname "$0")/.."
tarball="$(readlink -f "${1:?usage: check-release.sh TARBALL}")"
rootfs="$PWD/.build-release/rootfs"

if ! command -v debootstrap > /dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap > /dev/null
fi
if [ ! -x "$rootfs/bin/bash" ]; then
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian > "$rootfs.log" 2>&1 \
        || { tail -20 "$rootfs.log"; exit 1; }
fi
# The packages the image adds to bookworm-slim, read from the Dockerfile so the two cannot drift apart.
packages="$(sed -n 's/.*apt-get install -y --no-install-recommends \(.*\) \\$/\1/p' deploy/docker/Dockerfile)"
[ -n "$packages" ] || { echo "check-release: no package list in deploy/docker/Dockerfile" >&2; exit 1; }
# shellcheck disable=SC2086
chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c "apt-get update -q > /dev/null && apt-get install -y -q --no-install-recommends $packages > /dev/null"
if [ -e "$rootfs/usr/bin/swift" ] || ls "$rootfs"/usr/lib/swift* > /dev/null 2>&1; then
    echo "check-release: the root file system has a Swift toolchain" >&2; exit 1
fi

rm -rf "$rootfs/opt/release" && mkdir -p "$rootfs/opt/release"
tar -xzf "$tarball" -C "$rootfs/opt/release" --strip-components 1
mount --bind /proc "$rootfs/proc"
cleanup() {
    # The serves run below chroot in background subshells: stop them by their path inside the root.
    pkill -f '^/opt/release/bin/' 2> /dev/null || true
    wait 2> /dev/null || true
    umount "$rootfs/proc" 2> /dev/null || true
}
trap cleanup EXIT
inside() { chroot "$rootfs" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/tmp "$@"; }

echo "== libraries"
for binary in local-control-plane global-aggregator; do
    echo "$binary:" && ldd "$rootfs/opt/release/bin/$binary" | sed 's/^/  /'
done
echo "== --version"
inside /opt/release/bin/local-control-plane --version
inside /opt/release/bin/global-aggregator --version
echo "== check-config"
inside /opt/release/bin/local-control-plane check-config /opt/release/deploy/config/local-control-plane.yaml
inside /opt/release/bin/global-aggregator check-config /opt/release/deploy/config/global-aggregator.yaml

ready() {  # waits up to 20 s for http://127.0.0.1:$1/ready to answer 200
    for _ in $(seq 1 100); do
        if python3 -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:$1/ready', timeout=1).status == 200 else 1)" 2> /dev/null; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}
echo "== serve"
mkdir -p "$rootfs/tmp/serve"
cp deploy/config/services.yaml "$rootfs/tmp/serve/services.yaml"
echo "check-release-token" > "$rootfs/tmp/serve/push-token"
inside /opt/release/bin/local-control-plane serve --datacenter dc1 --registry-file /tmp/serve/services.yaml \
    --xds-port 18000 --http-port 18080 --remote-state-file /tmp/serve/remote-state.json --push-token-file /tmp/serve/push-token \
    > "$rootfs/tmp/serve/local.log" 2>&1 &
ready 18080 || { cat "$rootfs/tmp/serve/local.log"; exit 1; }
echo "local-control-plane: /ready 200"
inside /opt/release/bin/global-aggregator serve --region check --datacenter dc1=http://127.0.0.1:18080 --http-port 18090 \
    --database /tmp/serve/aggregator.sqlite --push-token-file /tmp/serve/push-token > "$rootfs/tmp/serve/aggregator.log" 2>&1 &
ready 18090 || { cat "$rootfs/tmp/serve/aggregator.log"; exit 1; }
echo "global-aggregator: /ready 200"
echo "== systemd install, upgrade, rollback (below a scratch root)"
target="$(mktemp -d)"
ROOT="$target" bash "$rootfs/opt/release/deploy/systemd/install.sh" "$tarball"
test -f "$target/etc/systemd/system/local-control-plane.service" -a -f "$target/etc/federated-control-plane/global-aggregator.yaml"
test "$(readlink "$target/usr/local/bin/global-aggregator")" = /opt/federated-control-plane/current/bin/global-aggregator
"$target/opt/federated-control-plane/current/bin/global-aggregator" --version
mkdir -p "$target/opt/federated-control-plane/older/bin"   # a stand-in for the release installed before
ln -sfn "$target/opt/federated-control-plane/older" "$target/opt/federated-control-plane/previous"
ROOT="$target" bash "$rootfs/opt/release/deploy/systemd/install.sh" --rollback
test "$(readlink "$target/opt/federated-control-plane/current")" = "$target/opt/federated-control-plane/older"
rm -rf "$target"
echo "check-release: $(basename "$tarball") runs on Debian bookworm without a Swift toolchain"
