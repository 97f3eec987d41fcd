import Foundation
import Metrics
import Synchronization

/// The connected Envoys and what each has subscribed to, ACKed and NACKed (for `/debug/envoys`).
///
/// A lock, not an actor: every stream records every response and ACK here, and 10,000 streams hopping onto one actor
/// for that queued behind each other on the path a change takes to the Envoys.
public final class StreamRegistry: Sendable {
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
        /// The gRPC service of the stream: `ADS`, or `CDS`/`EDS`/`LDS`/`RDS` for Envoys without `ads: true`.
        public let api: String
        public let connectedAt: Date
        public var types: [String: TypeStatus] = [:]
        let profile: ProxyProfile

        enum CodingKeys: String, CodingKey {
            case streamId, nodeId, service, group, api, connectedAt, types
            case protocolName = "protocol"
        }
    }

    private struct State {
        var entries: [Int: Entry] = [:]
        var nextId = 0
    }

    private let state = Mutex(State())
    private let connected = Gauge(label: MetricNames.connectedStreams)

    public init() {}

    func register(nodeId: String, profile: ProxyProfile, group: String, protocolName: String, api: String = "ADS") -> Int {
        let (id, count) = state.withLock { state in
            state.nextId += 1
            state.entries[state.nextId] = Entry(
                streamId: state.nextId, nodeId: nodeId, service: profile.serviceName, group: group,
                protocolName: protocolName, api: api, connectedAt: Date(), profile: profile)
            return (state.nextId, state.entries.count)
        }
        connected.record(count)
        return id
    }

    func unregister(_ id: Int) {
        let count = state.withLock { state in
            state.entries[id] = nil
            return state.entries.count
        }
        connected.record(count)
    }

    func record(_ id: Int, type: ResourceType, outcome: RequestOutcome) {
        state.withLock { state in
            guard var status = state.entries[id]?.types[type.shortName, default: TypeStatus()] else { return }
            switch outcome {
            case .ack(let version): status.lastAckedVersion = version
            case .nack(_, let detail): status.lastNack = detail
            case .subscribe, .stale, .unknownType: break
            }
            state.entries[id]?.types[type.shortName] = status
        }
    }

    func recordResponses(_ id: Int, types: [ResourceType]) {
        state.withLock { state in
            for type in types {
                state.entries[id]?.types[type.shortName, default: TypeStatus()].responses += 1
            }
        }
    }

    public func entry(ofNode nodeId: String) -> Entry? {
        state.withLock { $0.entries.values.first { $0.nodeId == nodeId } }
    }

    public var all: [Entry] { state.withLock { $0.entries.values.sorted { $0.streamId < $1.streamId } } }

    public var count: Int { state.withLock { $0.entries.count } }
}
