import EnvoyAPI
import SwiftProtobuf

/// What the stream loop needs from a protocol variant (state of the world or delta).
protocol DiscoveryProtocol: SendableMetatype {
    associatedtype Request: SwiftProtobuf.Message & Sendable

    static var protocolName: String { get }
    /// Reads a request with its node (and SotW's names) apart, see `NodeDeferringDeserializer`.
    static var deserializer: NodeDeferringDeserializer<Request> { get }
    static func node(of request: IncomingRequest<Request>) throws -> EnvoyNode?
    static func typeURL(of request: Request) -> String

    associatedtype TypeState
    var ledger: StreamLedger<TypeState> { get set }

    init(controlPlaneId: String)
    mutating func handle(_ request: IncomingRequest<Request>) -> (outcome: RequestOutcome, responses: [EncodedResponse])
    /// What a stream owes of `type` after a new snapshot (the ledger's), replacing `previous`: a response if what it
    /// subscribed to changed.
    mutating func respondToNewSnapshot(_ type: ResourceType, previous: Snapshot?) -> EncodedResponse?
}

extension DiscoveryProtocol {
    /// A new snapshot: responses for every subscribed type whose resources changed, in push order. A type whose
    /// whole version equals the one in the snapshot the stream served before owes nothing new (every request since
    /// was answered from that one), so it is not checked: most snapshots change one type, and every stream of the
    /// group is pushed each.
    mutating func handle(_ newSnapshot: Snapshot) -> [EncodedResponse] {
        let (previous, types) = ledger.serve(newSnapshot)
        var responses: [EncodedResponse] = []
        for type in types {
            if let previous, previous.version(type) == newSnapshot.version(type) { continue }
            if let response = respondToNewSnapshot(type, previous: previous) { responses.append(response) }
        }
        return responses
    }
}

extension SotWProtocol: DiscoveryProtocol {
    static let protocolName = "sotw"
    static let deserializer = NodeDeferringDeserializer<DiscoveryRequest>(nodeField: 2, namesField: 3)
    static func node(of request: IncomingRequest<DiscoveryRequest>) throws -> EnvoyNode? {
        try request.node(in: \.node, present: \.hasNode)
    }
    static func typeURL(of request: DiscoveryRequest) -> String { request.typeURL }
}

extension DeltaProtocol: DiscoveryProtocol {
    static let protocolName = "delta"
    static let deserializer = NodeDeferringDeserializer<DeltaDiscoveryRequest>(nodeField: 1)
    static func node(of request: IncomingRequest<DeltaDiscoveryRequest>) throws -> EnvoyNode? {
        try request.node(in: \.node, present: \.hasNode)
    }
    static func typeURL(of request: DeltaDiscoveryRequest) -> String { request.typeURL }
}
