import Foundation
import Metrics

/// The connected Envoys and what each has subscribed to, ACKed and NACKed (for `/debug/envoys`).
public actor StreamRegistry {
    public struct TypeStatus: Codable, Sendable, Equatable {
        public var lastAckedVersion: String?
        public var lastNack: String?
        public var responses = 0
    }

    public struct Entry: Encodable, Sendable {
        public let streamId: Int
        public let nodeId: String
        public let service: String
        public let group: String
        public let protocolName: String
        public let connectedAt: Date
        public var types: [String: TypeStatus] = [:]
        let profile: ProxyProfile

        enum CodingKeys: String, CodingKey {
            case streamId, nodeId, service, group, connectedAt, types
            case protocolName = "protocol"
        }
    }

    private var entries: [Int: Entry] = [:]
    private var nextId = 0
    private let connected = Gauge(label: MetricNames.connectedStreams)

    public init() {}

    func register(nodeId: String, profile: ProxyProfile, protocolName: String) -> Int {
        nextId += 1
        entries[nextId] = Entry(
            streamId: nextId, nodeId: nodeId, service: profile.serviceName, group: profile.groupId,
            protocolName: protocolName, connectedAt: Date(), profile: profile)
        connected.record(entries.count)
        return nextId
    }

    func unregister(_ id: Int) {
        entries[id] = nil
        connected.record(entries.count)
    }

    func record(_ id: Int, type: ResourceType, outcome: RequestOutcome) {
        guard var entry = entries[id] else { return }
        var status = entry.types[type.shortName] ?? TypeStatus()
        switch outcome {
        case .ack(let version): status.lastAckedVersion = version
        case .nack(_, let detail): status.lastNack = detail
        case .subscribe, .stale, .unknownType: break
        }
        entry.types[type.shortName] = status
        entries[id] = entry
    }

    func recordResponses(_ id: Int, types: [ResourceType]) {
        guard var entry = entries[id] else { return }
        for type in types {
            entry.types[type.shortName, default: TypeStatus()].responses += 1
        }
        entries[id] = entry
    }

    /// The profile of a connected Envoy, to show what its group receives.
    public func profile(ofNode nodeId: String) -> ProxyProfile? {
        entries.values.first { $0.nodeId == nodeId }?.profile
    }

    public var all: [Entry] { entries.values.sorted { $0.streamId < $1.streamId } }

    public var count: Int { entries.count }
}
