#!/usr/bin/env bash
# Regenerates Sources/EnvoyAPI from protos/ (the trimmed Envoy API; see scripts/trim-envoy-protos.py).
# Needs Debian's protobuf-compiler and libprotobuf-dev; the Swift plugins are built from the
# package's own swift-protobuf and grpc-swift-protobuf dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build --product protoc-gen-swift
swift build --product protoc-gen-grpc-swift-2
bin="$(swift build --show-bin-path)"

out=Sources/EnvoyAPI/Generated
rm -rf "$out" && mkdir -p "$out"
protos=$(cd protos && find . -name '*.proto' | sed 's|^\./||' | sort)

(cd protos && protoc -I. -I/usr/include \
    --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
    --swift_out="../$out" --swift_opt=Visibility=Public,FileNaming=PathToUnderscores \
    $protos)
(cd protos && protoc -I. -I/usr/include \
    --plugin=protoc-gen-grpc-swift="$bin/protoc-gen-grpc-swift-2" \
    --grpc-swift_out="../$out" --grpc-swift_opt=Visibility=Public,Server=true,Client=true,FileNaming=PathToUnderscores \
    envoy/service/discovery/v3/ads.proto)
echo "generated $(ls "$out" | wc -l) files in $out"
