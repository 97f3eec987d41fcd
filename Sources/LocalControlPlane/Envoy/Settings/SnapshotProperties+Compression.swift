import Shared

/// envoy-control's `compression.*`: gzip and brotli compressor filters on the egress, per Envoy by its `compression`
/// metadata (with these defaults); whether each direction compresses is a runtime flag defaulting to
/// `requestCompressionEnabled` / `responseCompressionEnabled`.
extension SnapshotProperties {
    public struct CompressionProperties: Hashable, Sendable {
        public var gzip = CompressorProperties()
        public var brotli = CompressorProperties()
        /// Bodies shorter than this are sent as they are.
        public var minContentLength = 100
        public var disableOnEtagHeader = true
        public var requestCompressionEnabled = false
        public var responseCompressionEnabled = false

        public init() {}
    }

    public struct CompressorProperties: Hashable, Sendable {
        public var enabled = false
        public var quality = 1
        /// Envoy's `choose_first`: this compressor answers when the client accepts several equally.
        public var chooseFirst = true
    }
}

extension SnapshotProperties.CompressionProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: [
            "gzip", "brotli", "minContentLength", "disableOnEtagHeader", "requestCompressionEnabled", "responseCompressionEnabled",
        ])
        try keys.set(&gzip, "gzip")
        try keys.set(&brotli, "brotli")
        try keys.set(&minContentLength, "minContentLength")
        guard minContentLength >= 0 else { throw keys.invalid("minContentLength", "must be 0 or more") }
        try keys.set(&disableOnEtagHeader, "disableOnEtagHeader")
        try keys.set(&requestCompressionEnabled, "requestCompressionEnabled")
        try keys.set(&responseCompressionEnabled, "responseCompressionEnabled")
        guard CompressionSettings.gzipLevels.contains(gzip.quality) else {
            throw keys.invalid("gzip", "quality \(gzip.quality) is not in \(CompressionSettings.gzipLevels)")
        }
        guard CompressionSettings.brotliLevels.contains(brotli.quality) else {
            throw keys.invalid("brotli", "quality \(brotli.quality) is not in \(CompressionSettings.brotliLevels)")
        }
    }
}

extension SnapshotProperties.CompressorProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["enabled", "quality", "chooseFirst"])
        try keys.set(&enabled, "enabled")
        try keys.set(&quality, "quality")
        try keys.set(&chooseFirst, "chooseFirst")
    }
}
