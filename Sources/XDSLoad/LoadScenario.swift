import EnvoyAPI
import Foundation
import LocalControlPlane
import SwiftProtobuf

/// What one load run simulates: N Envoys in G groups (identical node metadata per group, D dependencies each, plus
/// `sharedDependencies` services every group uses), over a catalog of S services × I instances.
public struct LoadScenario: Sendable, Codable {
    public enum XDSProtocol: String, Sendable, Codable, CaseIterable { case sotw, delta }

    public var streams = 10_000
    /// HTTP/2 connections the streams share; the default (0) is one per stream, as real Envoys do.
    public var connections = 0
    public var groups = 100
    public var dependencies = 10
    public var sharedDependencies = 1
    public var services = 1_000
    public var instances = 10
    public var xdsProtocol: XDSProtocol = .sotw
    /// One-at-a-time endpoint changes, each waited for until every subscribed stream ACKed it.
    public var singleChanges = 20
    /// Sustained phase: changes per second and how long.
    public var changeRate = 100
    public var sustainSeconds = 60
    /// Streams opened per second while connecting (0: all at once).
    public var connectRate = 0
    /// Envoy's `set_node_on_first_message_only`: off by default, so every state-of-the-world request carries the node
    /// (the server decodes it each time, as it must for real Envoys).
    public var nodeOnFirstMessageOnly = false

    public init() {}

    /// The options that shape the catalog and the groups, as `xds-load floor-server` takes them.
    public var catalogArguments: [String] {
        [
            "--groups", "\(groups)", "--dependencies", "\(dependencies)", "--shared-dependencies", "\(sharedDependencies)",
            "--services", "\(services)", "--instances", "\(instances)",
        ]
    }

    public var connectionCount: Int { connections <= 0 ? streams : min(connections, streams) }

    /// Consul service names, as the Consul double seeds them.
    public func serviceName(_ index: Int) -> String { String(format: "s%04d", index) }

    /// The services group `group` depends on: the shared ones (the first services) and D of its own.
    public func dependencies(ofGroup group: Int) -> [String] {
        let shared = (0..<min(sharedDependencies, services)).map(serviceName)
        let ownRange = max(services - sharedDependencies, 1)
        let own = (0..<dependencies).map { serviceName(sharedDependencies + (group * dependencies + $0) % ownRange) }
        return Array(Set(shared + own)).sorted()
    }

    public func group(ofStream stream: Int) -> Int { stream % max(groups, 1) }

    /// Per service, the streams whose group depends on it: the receivers of a change to it.
    public func subscriberCounts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for group in 0..<groups {
            for service in dependencies(ofGroup: group) { counts[service, default: 0] += streamCount(inGroup: group) }
        }
        return counts
    }

    public func streamCount(inGroup group: Int) -> Int { streams / groups + (group < streams % groups ? 1 : 0) }

    /// The control plane's snapshot settings for a load run: simulated Envoys get the services they declare, as with
    /// envoy-control's outgoing permissions on (`snapshotYAML` says the same for the real control plane's `--config`).
    public static let snapshotProperties: SnapshotProperties = {
        var properties = SnapshotProperties()
        properties.outgoingPermissions.enabled = true
        return properties
    }()
    public static let snapshotYAML = "snapshot: { outgoingPermissions: { enabled: true } }\n"

    /// The node an Envoy of `group` presents: envoy-control style metadata, ADS, an egress and an ingress listener.
    public func node(stream: Int) throws -> Envoy_Config_Core_V3_Node {
        let group = group(ofStream: stream)
        let dependencies = dependencies(ofGroup: group).map { "{\"service\": \"\($0)\"}" }.joined(separator: ",")
        var node = Envoy_Config_Core_V3_Node()
        node.id = "load-\(stream)"
        node.cluster = "app-\(group)"
        node.locality.zone = "dc1"
        node.metadata = try Google_Protobuf_Struct(jsonString: """
            {"service_name": "app-\(group)", "ads": true, "ingress_host": "0.0.0.0", "ingress_port": 5001,
             "egress_host": "0.0.0.0", "egress_port": 5000,
             "proxy_settings": {"outgoing": {"dependencies": [\(dependencies)]}}}
            """)
        return node
    }
}
