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

extension SnapshotProperties.CompressionProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("gzip", \.gzip),
            .value("brotli", \.brotli),
            .value("minContentLength", \.minContentLength),
            .value("disableOnEtagHeader", \.disableOnEtagHeader),
            .value("requestCompressionEnabled", \.requestCompressionEnabled),
            .value("responseCompressionEnabled", \.responseCompressionEnabled),
        ]
    }

    public mutating func check(_ keys: StrictSettings) throws {
        guard minContentLength >= 0 else { throw keys.invalid("minContentLength", "must be 0 or more") }
        guard CompressionSettings.gzipLevels.contains(gzip.quality) else {
            throw keys.invalid("gzip", "quality \(gzip.quality) is not in \(CompressionSettings.gzipLevels)")
        }
        guard CompressionSettings.brotliLevels.contains(brotli.quality) else {
            throw keys.invalid("brotli", "quality \(brotli.quality) is not in \(CompressionSettings.brotliLevels)")
        }
    }
}

extension SnapshotProperties.CompressorProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("enabled", \.enabled),
            .value("quality", \.quality),
            .value("chooseFirst", \.chooseFirst),
        ]
    }
}
