import EnvoyAPI
import Foundation
import SwiftProtobuf
import Testing

@testable import LocalControlPlane
@testable import Shared

/// Builders shared by the unit tests: catalogs, node metadata and requests.
enum Fixtures {
    static func catalog(_ services: [String: [ServiceInstance]]) -> ServiceCatalog {
        ServiceCatalog(services: services.map { CatalogService(name: $0.key, instances: $0.value) })
    }

    static func instance(_ address: String, _ port: Int, weight: Int = 1, tags: [String] = []) -> ServiceInstance {
        ServiceInstance(address: address, port: port, tags: tags, weight: weight)
    }

    static func metadata(_ json: String) throws -> Google_Protobuf_Struct {
        try Google_Protobuf_Struct(jsonString: json)
    }

    static func node(id: String = "node-1", metadata json: String) throws -> Envoy_Config_Core_V3_Node {
        var node = Envoy_Config_Core_V3_Node()
        node.id = id
        node.metadata = try metadata(json)
        return node
    }

    static let clientMetadata = """
        {"service_name": "client", "ads": true, "ingress_host": "127.0.0.1", "ingress_port": 15001,
         "egress_host": "127.0.0.1", "egress_port": 15000,
         "proxy_settings": {"outgoing": {"dependencies": [{"service": "backend"}]}}}
        """

    /// Server settings with every envoy-control switch the features under test need turned on: incoming and
    /// outgoing permissions, canary and service-tag routing; vanished services' clusters are removed, so removals
    /// can be seen.
    static let strict: SnapshotProperties = {
        var properties = SnapshotProperties()
        properties.incomingPermissions.enabled = true
        properties.outgoingPermissions.enabled = true
        properties.outgoingPermissions.servicesAllowedToUseWildcard = ["client"]
        properties.loadBalancing.canary.enabled = true
        properties.routing.serviceTags.enabled = true
        properties.egress.neverRemoveClusters = false
        return properties
    }()

    static func profile(_ json: String = clientMetadata, properties: SnapshotProperties = strict) throws -> ProxyProfile {
        try NodeMetadataParser.parse(metadata: metadata(json), properties: properties)
    }

    static func sotwRequest(
        _ type: ResourceType, names: [String] = [], version: String = "", nonce: String = "", nack: String? = nil
    ) -> Envoy_Service_Discovery_V3_DiscoveryRequest {
        var request = Envoy_Service_Discovery_V3_DiscoveryRequest()
        request.typeURL = type.typeURL
        request.resourceNames = names
        request.versionInfo = version
        request.responseNonce = nonce
        if let nack {
            request.errorDetail.code = 3
            request.errorDetail.message = nack
        }
        return request
    }

    static func deltaRequest(
        _ type: ResourceType, subscribe: [String] = [], unsubscribe: [String] = [], nonce: String = "", nack: String? = nil,
        initialVersions: [String: String] = [:]
    ) -> Envoy_Service_Discovery_V3_DeltaDiscoveryRequest {
        var request = Envoy_Service_Discovery_V3_DeltaDiscoveryRequest()
        request.typeURL = type.typeURL
        request.resourceNamesSubscribe = subscribe
        request.resourceNamesUnsubscribe = unsubscribe
        request.responseNonce = nonce
        request.initialResourceVersions = initialVersions
        if let nack {
            request.errorDetail.code = 3
            request.errorDetail.message = nack
        }
        return request
    }

    /// A snapshot built the way the cache builds it, for the protocol tests.
    static func snapshot(_ catalog: ServiceCatalog, profile: ProxyProfile) async throws -> Snapshot {
        let cache = SnapshotCache(datacenter: "dc1", properties: strict)
        await cache.apply(catalog)
        return try #require(await cache.snapshot(for: profile))
    }
}
