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

    init(controlPlaneId: String)
    mutating func handle(_ request: Request) -> (outcome: RequestOutcome, responses: [EncodedResponse])
    mutating func handle(_ snapshot: Snapshot) -> [EncodedResponse]
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
