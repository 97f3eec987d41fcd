import Foundation
import Metrics
import Synchronization

/// The connected Envoys and what each has subscribed to, ACKed and NACKed (for `/debug/envoys`).
///
/// Locks, not an actor: every stream records every response and ACK, and 10,000 streams hopping onto one actor for
/// that queued behind each other on the path a change takes to the Envoys. Each stream records into a status of its
/// own (`Stream`), so they do not meet on one lock either; the registry's lock is taken only to connect, disconnect
/// and list.
public final class StreamRegistry: Sendable {
    public struct TypeStatus: Codable, Sendable, Equatable {
        public var lastAckedVersion: String?
        public var lastNack: String?
        public var responses = 0
    }

    /// One stream as the status pages show it.
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

    /// A connected stream's status, written by the stream and read by the pages.
    final class Stream: Sendable {
        private let described: Entry
        private let types = Mutex(TypeSlots<TypeStatus>())

        fileprivate init(_ described: Entry) {
            self.described = described
        }

        var id: Int { described.streamId }
        var nodeId: String { described.nodeId }

        func record(_ type: ResourceType, outcome: RequestOutcome) {
            types.withLock { types in Self.record(outcome, in: &types[type, default: TypeStatus()]) }
        }

        private static func record(_ outcome: RequestOutcome, in status: inout TypeStatus) {
            switch outcome {
            case .ack(let version): status.lastAckedVersion = version
            case .nack(_, let detail): status.lastNack = detail
            case .subscribe, .stale, .unknownType: break
            }
        }

        func recordResponses(_ sent: [EncodedResponse]) {
            types.withLock { types in
                for response in sent { types[response.type, default: TypeStatus()].responses += 1 }
            }
        }

        var entry: Entry {
            var entry = described
            entry.types = types.withLock { types in
                Dictionary(uniqueKeysWithValues: types.held.map { ($0.type.shortName, $0.state) })
            }
            return entry
        }
    }

    private struct State {
        var streams: [Int: Stream] = [:]
        var nextId = 0
    }

    private let state = Mutex(State())
    private let connected = Gauge(label: MetricNames.connectedStreams)

    public init() {}

    func register(nodeId: String, profile: ProxyProfile, group: String, protocolName: String, api: String = "ADS") -> Stream {
        let (stream, count) = state.withLock { state in
            state.nextId += 1
            let stream = Stream(Entry(
                streamId: state.nextId, nodeId: nodeId, service: profile.serviceName, group: group,
                protocolName: protocolName, api: api, connectedAt: Date(), profile: profile))
            state.streams[stream.id] = stream
            return (stream, state.streams.count)
        }
        connected.record(count)
        return stream
    }

    func unregister(_ stream: Stream) {
        let count = state.withLock { state in
            state.streams[stream.id] = nil
            return state.streams.count
        }
        connected.record(count)
    }

    public func entry(ofNode nodeId: String) -> Entry? {
        state.withLock { $0.streams.values.first { $0.nodeId == nodeId } }?.entry
    }

    public var all: [Entry] {
        state.withLock { Array($0.streams.values) }.map(\.entry).sorted { $0.streamId < $1.streamId }
    }

    public var count: Int { state.withLock { $0.streams.count } }
}
