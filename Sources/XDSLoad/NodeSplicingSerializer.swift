import EnvoyAPI
import GRPCCore
import SwiftProtobuf

/// Serialises a simulated Envoy's requests with its node encoded once per stream instead of once per request.
/// Envoy sends the node on every state-of-the-world request; encoding its metadata `Struct` again for every ACK
/// took about a third of the generator's CPU, on the core it shares with the Consul double. Protobuf merges
/// concatenated messages, so the bytes of the request without its node followed by those of a request holding only
/// the node decode as the whole request, field numbers untouched.
struct NodeSplicingSerializer<Request: OpeningRequest>: MessageSerializer {
    private let nodeBytes: [UInt8]

    init(node: Envoy_Config_Core_V3_Node) throws {
        var onlyNode = Request()
        onlyNode.node = node
        nodeBytes = try onlyNode.serializedBytes()
    }

    func serialize<Bytes: GRPCContiguousBytes>(_ message: Request) throws -> Bytes {
        guard message.hasNode else { return Bytes(try message.serializedBytes() as [UInt8]) }
        var withoutNode = message
        withoutNode.clearNode()
        let bytes: [UInt8] = try withoutNode.serializedBytes()
        return Bytes(bytes + nodeBytes)
    }
}
