import EnvoyAPI
import SwiftProtobuf

/// Every message that can appear inside an `Any` in the resources this control plane generates, so their JSON (debug
/// endpoints, golden files) shows them unpacked. swift-protobuf keeps one process-wide registry; this is the one place
/// that fills it, called where JSON is rendered.
enum EnvoyTypeRegistry {
    static let types: [any SwiftProtobuf.Message.Type] = [
        Envoy_Config_Cluster_V3_Cluster.self, Envoy_Config_Endpoint_V3_ClusterLoadAssignment.self,
        Envoy_Config_Listener_V3_Listener.self, Envoy_Config_Route_V3_RouteConfiguration.self,
        Envoy_Extensions_TransportSockets_Tls_V3_Secret.self,
        Envoy_Extensions_Filters_Http_Compressor_V3_Compressor.self, Envoy_Extensions_Compression_Gzip_Compressor_V3_Gzip.self,
        Envoy_Extensions_Compression_Brotli_Compressor_V3_Brotli.self,
        Envoy_Extensions_Filters_Http_DynamicForwardProxy_V3_FilterConfig.self,
        Envoy_Extensions_Clusters_DynamicForwardProxy_V3_ClusterConfig.self,
        Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.self,
        Envoy_Extensions_Filters_Http_Router_V3_Router.self, Envoy_Extensions_Filters_Http_Rbac_V3_RBAC.self,
        Envoy_Extensions_AccessLoggers_File_V3_FileAccessLog.self, Envoy_Extensions_AccessLoggers_Stream_V3_StdoutAccessLog.self,
        Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext.self,
        Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext.self,
        Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions.self,
        Envoy_Extensions_Retry_Host_PreviousHosts_V3_PreviousHostsPredicate.self,
        Envoy_Extensions_Retry_Host_OmitCanaryHosts_V3_OmitCanaryHostsPredicate.self,
        Envoy_Extensions_Retry_Host_OmitHostMetadata_V3_OmitHostMetadataConfig.self,
        Envoy_Extensions_Filters_Http_Lua_V3_Lua.self, Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtAuthentication.self,
        Envoy_Extensions_Filters_Http_LocalRatelimit_V3_LocalRateLimit.self,
        Envoy_Extensions_Filters_Listener_TlsInspector_V3_TlsInspector.self, Envoy_Extensions_TransportSockets_Tap_V3_Tap.self,
    ]

    private static let registered: Bool = {
        for type in types { Google_Protobuf_Any.register(messageType: type) }
        return true
    }()

    static func registerForJSON() { _ = registered }
}
