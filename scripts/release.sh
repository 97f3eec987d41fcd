#!/usr/bin/env bash
# Release artifacts: `local-control-plane` and `global-aggregator` built in release mode with the Swift runtime
# linked statically, stripped, in dist/federated-control-plane-<version>-linux-<arch>.tar.gz with SHA-256 sums.
# The build runs from the commit's tree (git archive) with the version and commit stamped into BuildInfo.swift, so
# the checkout stays untouched and a tarball always names the commit it was built from.
#   VERSION=1.4.0 bash scripts/release.sh      (default version: git describe)
# Needs: the Swift toolchain (static stdlib included in the Linux toolchain), git, tar, sha256sum, strip.
set -euo pipefail
cd "$(dirname "$0")/.."

version="${VERSION:-$(git describe --tags --always 2>/dev/null || echo 0.0.0)}"
commit="$(git rev-parse HEAD)"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    echo "release: uncommitted changes are not in the release (it builds $commit)" >&2
fi
arch="$(uname -m)"
name="federated-control-plane-${version}-linux-${arch}"
scratch="${SCRATCH:-$PWD/.build-release}"
dist="$PWD/dist"
source="$scratch/source"

rm -rf "$source" && mkdir -p "$source" "$dist"
git archive "$commit" | tar -x -C "$source"
sed -i -e "s/version = \"dev\"/version = \"${version}\"/" -e "s/commit = \"unknown\"/commit = \"${commit}\"/" \
    "$source/Sources/Shared/Release/BuildInfo.swift"
grep -q "$commit" "$source/Sources/Shared/Release/BuildInfo.swift"

# One build of both executables (see FCP_RELEASE_ONLY in Package.swift).
FCP_RELEASE_ONLY=1 swift build -c release --static-swift-stdlib --package-path "$source" --scratch-path "$scratch/build"

stage="$scratch/$name"
rm -rf "$stage" && mkdir -p "$stage/bin" "$stage/deploy"
for product in local-control-plane global-aggregator; do
    cp "$scratch/build/release/$product" "$stage/bin/"
    strip "$stage/bin/$product"
done
cp -r deploy/config deploy/systemd deploy/docker deploy/kubernetes deploy/helm "$stage/deploy/"
cp README.md docs/OPERATIONS.md "$stage/"
"$stage/bin/local-control-plane" --version | grep -q "$commit"

tar -C "$scratch" -czf "$dist/$name.tar.gz" "$name"
(cd "$dist" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
(cd "$stage/bin" && sha256sum local-control-plane global-aggregator) > "$dist/$name.binaries.sha256"
echo "release: $dist/$name.tar.gz"
cat "$dist/$name.tar.gz.sha256"
