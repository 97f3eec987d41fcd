import EnvoyAPI
import SwiftProtobuf

@testable import LocalControlPlane

/// A protocol machine whose encoded responses are decoded back into messages, so tests assert on fields.
struct DecodingMachine<Machine: DiscoveryProtocol, Response: SwiftProtobuf.Message> {
    private var machine: Machine

    init(_ machine: Machine) {
        self.machine = machine
    }

    mutating func handle(_ request: Machine.Request) -> (outcome: RequestOutcome, responses: [Response]) {
        let (outcome, responses) = machine.handle(Machine.incoming(request))
        return (outcome, responses.map(Self.decode))
    }

    mutating func handle(_ snapshot: Snapshot) -> [Response] {
        machine.handle(snapshot).map(Self.decode)
    }

    private static func decode(_ response: EncodedResponse) -> Response {
        // The bytes came from a serialised message plus a well-formed field: failing to decode is a bug to surface.
        try! response.decoded(as: Response.self)
    }
}

extension DecodingMachine where Machine == SotWProtocol, Response == DiscoveryResponse {
    init() { self.init(SotWProtocol(controlPlaneId: "test")) }
}

extension DecodingMachine where Machine == DeltaProtocol, Response == DeltaDiscoveryResponse {
    init() { self.init(DeltaProtocol(controlPlaneId: "test")) }
}

extension DiscoveryProtocol {
    /// `request` as the stream reads it off the wire (encoded, then split by the protocol's deserializer).
    static func incoming(_ request: Request) -> IncomingRequest<Request> {
        // A message the test built always encodes and reads back: failing here is a bug to surface.
        try! deserializer.deserialize(try! request.serializedBytes() as [UInt8])
    }

    mutating func handle(_ request: Request) -> (outcome: RequestOutcome, responses: [EncodedResponse]) {
        handle(Self.incoming(request))
    }
}
