/// `compression` in node metadata: each of `gzip` and `brotli` may set `enabled` and `quality`; what it leaves out
/// comes from the server's `compression` properties (envoy-control's `getCompressionSettings`).
enum CompressionParser {
    static func parse(
        _ node: MetadataReader?, defaults: SnapshotProperties.CompressionProperties
    ) throws(NodeMetadataError) -> CompressionSettings {
        var settings = CompressionSettings(defaults)
        guard let node else { return settings }
        if let gzip = try node.child("gzip") {
            settings.gzip = try compressor(gzip, default: settings.gzip, levels: CompressionSettings.gzipLevels)
        }
        if let brotli = try node.child("brotli") {
            settings.brotli = try compressor(brotli, default: settings.brotli, levels: CompressionSettings.brotliLevels)
        }
        return settings
    }

    private static func compressor(
        _ node: MetadataReader, default value: CompressionSettings.Compressor, levels: ClosedRange<Int>
    ) throws(NodeMetadataError) -> CompressionSettings.Compressor {
        CompressionSettings.Compressor(
            enabled: try node.child("enabled")?.bool() ?? value.enabled,
            quality: try node.child("quality")?.integer(in: levels) ?? value.quality)
    }
}
