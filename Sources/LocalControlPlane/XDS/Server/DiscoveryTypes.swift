import EnvoyAPI

typealias DiscoveryRequest = Envoy_Service_Discovery_V3_DiscoveryRequest
typealias DiscoveryResponse = Envoy_Service_Discovery_V3_DiscoveryResponse
typealias DeltaDiscoveryRequest = Envoy_Service_Discovery_V3_DeltaDiscoveryRequest
typealias DeltaDiscoveryResponse = Envoy_Service_Discovery_V3_DeltaDiscoveryResponse
typealias EnvoyNode = Envoy_Config_Core_V3_Node

/// What one request from an Envoy meant, for logs, metrics and `/debug/envoys`.
enum RequestOutcome: Equatable {
    /// The first request of a type, or a change of subscribed names.
    case subscribe
    case ack(version: String)
    case nack(version: String, detail: String)
    /// A request answering an older response; ignored as the xDS protocol asks.
    case stale
    case unknownType(String)
}
