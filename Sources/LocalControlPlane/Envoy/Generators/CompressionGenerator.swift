import EnvoyAPI
import SwiftProtobuf

/// envoy-control's egress compressor filters: gzip, then brotli, each when the Envoy's `compression` enables it. A
/// response (or request) is compressed only if its direction's runtime flag is on (`response_compressor_enabled`,
/// default `compression.responseCompressionEnabled`), the client accepts the encoding and the body is long enough.
enum CompressionGenerator {
    static let filterName = "envoy.filters.http.compressor"

    private typealias Compressor = Envoy_Extensions_Filters_Http_Compressor_V3_Compressor
    typealias HTTPFilter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter

    static func filters(_ settings: CompressionSettings, _ properties: SnapshotProperties.CompressionProperties) -> [HTTPFilter] {
        var filters: [HTTPFilter] = []
        if settings.gzip.enabled {
            var gzip = Envoy_Extensions_Compression_Gzip_Compressor_V3_Gzip()
            gzip.compressionStrategy = .defaultStrategy
            gzip.compressionLevel = .init(rawValue: settings.gzip.quality) ?? .bestSpeed
            filters.append(filter("envoy.compression.gzip.compressor", gzip, chooseFirst: properties.gzip.chooseFirst, properties))
        }
        if settings.brotli.enabled {
            var brotli = Envoy_Extensions_Compression_Brotli_Compressor_V3_Brotli()
            brotli.quality = EnvoyValues.uint32(settings.brotli.quality)
            filters.append(filter("envoy.compression.brotli.compressor", brotli, chooseFirst: properties.brotli.chooseFirst, properties))
        }
        return filters
    }

    private static func filter(
        _ library: String, _ config: some SwiftProtobuf.Message, chooseFirst: Bool, _ properties: SnapshotProperties.CompressionProperties
    ) -> HTTPFilter {
        var compressor = Compressor()
        compressor.compressorLibrary.name = library
        compressor.compressorLibrary.typedConfig = EnvoyValues.typedConfig(config)
        compressor.chooseFirst = chooseFirst
        compressor.requestDirectionConfig.commonConfig = direction("request_compressor_enabled", properties.requestCompressionEnabled, properties)
        compressor.responseDirectionConfig.commonConfig = direction(
            "response_compressor_enabled", properties.responseCompressionEnabled, properties)
        compressor.responseDirectionConfig.disableOnEtagHeader = properties.disableOnEtagHeader
        var filter = HTTPFilter()
        filter.name = filterName
        filter.typedConfig = EnvoyValues.typedConfig(compressor)
        return filter
    }

    private static func direction(
        _ runtimeKey: String, _ enabled: Bool, _ properties: SnapshotProperties.CompressionProperties
    ) -> Compressor.CommonDirectionConfig {
        var config = Compressor.CommonDirectionConfig()
        config.enabled.runtimeKey = runtimeKey
        config.enabled.defaultValue = .init(enabled)
        config.minContentLength = EnvoyValues.uint32(properties.minContentLength)
        return config
    }
}
