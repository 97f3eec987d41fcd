import EnvoyAPI
import Foundation
import Synchronization
import SwiftProtobuf

/// What a simulated Envoy needs from a resource: the EDS names a cluster asks for, the route names a listener
/// asks for, the newest change an endpoint assignment carries. Every stream of a group receives the same bytes, so
/// each distinct resource is decoded once and the summary shared, keeping the load generator cheap: a response's
/// resources are looked up under one lock, and its change markers resolved when it is first decoded (a marker's
/// port is registered before the change that uses it is sent).
final class ResourceDigests: Sendable {
    enum Digest: Sendable {
        case cluster(edsName: String?)
        case listener(routeNames: [String])
        /// `newestChange`: the highest change sequence among the assignment's marker ports of this cluster.
        case endpoints(cluster: String, newestChange: Int?)
        case other
    }

    private static let capacity = 50_000
    private let markers: ChangeMarkers
    private let cache = Mutex<[Data: Digest]>([:])

    init(markers: ChangeMarkers) {
        self.markers = markers
    }

    func digests(_ resources: [Google_Protobuf_Any]) -> [Digest] {
        var digests = cache.withLock { cache in resources.map { cache[$0.value] } }
        var decoded: [(bytes: Data, digest: Digest)] = []
        for index in digests.indices where digests[index] == nil {
            let digest = decode(resources[index])
            digests[index] = digest
            decoded.append((resources[index].value, digest))
        }
        if !decoded.isEmpty {
            cache.withLock { cache in
                if cache.count + decoded.count > Self.capacity { cache.removeAll(keepingCapacity: true) }
                for (bytes, digest) in decoded { cache[bytes] = digest }
            }
        }
        return digests.compactMap { $0 }
    }

    private func decode(_ any: Google_Protobuf_Any) -> Digest {
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
            let changes = ports.compactMap { markers.change(at: $0) }.filter { $0.service == assignment.clusterName }
            return .endpoints(cluster: assignment.clusterName, newestChange: changes.map(\.sequence).max())
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
