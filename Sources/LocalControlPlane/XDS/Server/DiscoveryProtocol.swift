import EnvoyAPI

/// What the stream loop needs from a protocol variant (state of the world or delta).
protocol DiscoveryProtocol: SendableMetatype {
    associatedtype Request: Sendable

    static var protocolName: String { get }
    static func node(of request: Request) -> EnvoyNode?
    static func typeURL(of request: Request) -> String

    init(controlPlaneId: String)
    mutating func handle(_ request: Request) -> (outcome: RequestOutcome, responses: [EncodedResponse])
    mutating func handle(_ snapshot: Snapshot) -> [EncodedResponse]
}

extension SotWProtocol: DiscoveryProtocol {
    static let protocolName = "sotw"
    static func node(of request: DiscoveryRequest) -> EnvoyNode? { request.hasNode ? request.node : nil }
    static func typeURL(of request: DiscoveryRequest) -> String { request.typeURL }
}

extension DeltaProtocol: DiscoveryProtocol {
    static let protocolName = "delta"
    static func node(of request: DeltaDiscoveryRequest) -> EnvoyNode? { request.hasNode ? request.node : nil }
    static func typeURL(of request: DeltaDiscoveryRequest) -> String { request.typeURL }
}
