import EnvoyAPI
import Foundation
import Synchronization
import SwiftProtobuf

/// What a simulated Envoy needs from a resource: the EDS names a cluster asks for, the route names a listener
/// asks for, the cluster and change markers of an endpoint assignment. Every stream of a group receives the same
/// bytes, so each distinct resource is decoded once and the summary shared, keeping the load generator cheap.
final class ResourceDigests: Sendable {
    enum Digest: Sendable {
        case cluster(edsName: String?)
        case listener(routeNames: [String])
        case endpoints(cluster: String, ports: [UInt32])
        case other
    }

    private static let capacity = 50_000
    private let cache = Mutex<[Data: Digest]>([:])

    func digest(_ any: Google_Protobuf_Any) -> Digest {
        if let known = cache.withLock({ $0[any.value] }) { return known }
        let digest = Self.decode(any)
        cache.withLock { cache in
            if cache.count >= Self.capacity { cache.removeAll(keepingCapacity: true) }
            cache[any.value] = digest
        }
        return digest
    }

    private static func decode(_ any: Google_Protobuf_Any) -> Digest {
        switch any.typeURL {
        case ResourceTypeURL.cluster:
            guard let cluster = try? Envoy_Config_Cluster_V3_Cluster(serializedBytes: any.value) else { return .other }
            guard cluster.type == .eds else { return .cluster(edsName: nil) }
            let serviceName = cluster.edsClusterConfig.serviceName
            return .cluster(edsName: serviceName.isEmpty ? cluster.name : serviceName)
        case ResourceTypeURL.listener:
            guard let listener = try? Envoy_Config_Listener_V3_Listener(serializedBytes: any.value) else { return .other }
            let managers = listener.filterChains.flatMap(\.filters).compactMap {
                try? Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(serializedBytes: $0.typedConfig.value)
            }
            return .listener(routeNames: managers.map(\.rds.routeConfigName).filter { !$0.isEmpty })
        case ResourceTypeURL.endpoints:
            guard let assignment = try? Envoy_Config_Endpoint_V3_ClusterLoadAssignment(serializedBytes: any.value) else { return .other }
            let ports = assignment.endpoints.flatMap(\.lbEndpoints).map(\.endpoint.address.socketAddress.portValue)
            return .endpoints(cluster: assignment.clusterName, ports: ports)
        default:
            return .other
        }
    }
}

/// The four ADS type URLs, in the order Envoy subscribes.
enum ResourceTypeURL {
    static let cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
    static let endpoints = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
    static let listener = "type.googleapis.com/envoy.config.listener.v3.Listener"
    static let route = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
    static let all = [cluster, endpoints, listener, route]
}
