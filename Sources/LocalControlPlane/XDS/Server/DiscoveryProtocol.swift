import EnvoyAPI
import SwiftProtobuf

/// What the stream loop needs from a protocol variant (state of the world or delta).
protocol DiscoveryProtocol: SendableMetatype {
    associatedtype Request: SwiftProtobuf.Message & Sendable

    static var protocolName: String { get }
    /// The node's field number in `Request` (read apart, see `NodeDeferringDeserializer`).
    static var nodeField: UInt64 { get }
    static func node(of request: IncomingRequest<Request>) throws -> EnvoyNode?
    static func typeURL(of request: Request) -> String

    associatedtype TypeState
    var ledger: StreamLedger<TypeState> { get set }

    init(controlPlaneId: String)
    mutating func handle(_ request: Request) -> (outcome: RequestOutcome, responses: [EncodedResponse])
    /// What a stream owes of `type` after a new snapshot: a response if what it subscribed to changed.
    mutating func respondToNewSnapshot(_ type: ResourceType) -> EncodedResponse?
}

extension DiscoveryProtocol {
    /// A new snapshot: responses for every subscribed type whose resources changed, in push order.
    mutating func handle(_ newSnapshot: Snapshot) -> [EncodedResponse] {
        ledger.snapshot = newSnapshot
        return ledger.types.keys.sorted().compactMap { respondToNewSnapshot($0) }
    }
}

extension SotWProtocol: DiscoveryProtocol {
    static let protocolName = "sotw"
    static let nodeField: UInt64 = 2
    static func node(of request: IncomingRequest<DiscoveryRequest>) throws -> EnvoyNode? {
        try request.node(in: \.node, present: \.hasNode)
    }
    static func typeURL(of request: DiscoveryRequest) -> String { request.typeURL }
}

extension DeltaProtocol: DiscoveryProtocol {
    static let protocolName = "delta"
    static let nodeField: UInt64 = 1
    static func node(of request: IncomingRequest<DeltaDiscoveryRequest>) throws -> EnvoyNode? {
        try request.node(in: \.node, present: \.hasNode)
    }
    static func typeURL(of request: DeltaDiscoveryRequest) -> String { request.typeURL }
}
