import EnvoyAPI
import Foundation
import GRPCCore
import SwiftProtobuf
import Testing

@testable import LocalControlPlane

/// Requests read with their node (and state of the world's names) set apart decode to exactly what the plain protobuf
/// decoder reads.
@Suite("Node-deferring request deserializer")
struct NodeDeferringDeserializerTests {
    static func node(_ id: String) -> EnvoyNode {
        var node = EnvoyNode()
        node.id = id
        node.cluster = "backend"
        node.metadata = Google_Protobuf_Struct(fields: [
            "service_name": Google_Protobuf_Value(stringValue: "backend"),
            "proxy_settings": Google_Protobuf_Value(structValue: Google_Protobuf_Struct(fields: [
                "outgoing": Google_Protobuf_Value(structValue: Google_Protobuf_Struct(fields: [
                    "dependencies": Google_Protobuf_Value(listValue: Google_Protobuf_ListValue(values: [
                        Google_Protobuf_Value(structValue: Google_Protobuf_Struct(fields: ["service": Google_Protobuf_Value(stringValue: "db")])),
                    ])),
                ])),
            ])),
        ])
        return node
    }

    static func sotw(node: EnvoyNode?) -> DiscoveryRequest {
        var request = DiscoveryRequest()
        request.versionInfo = "v7"
        if let node { request.node = node }
        request.resourceNames = ["a", "b"]
        request.typeURL = ResourceType.endpoint.typeURL
        request.responseNonce = "n3"
        request.errorDetail.message = "rejected"
        return request
    }

    static func delta(node: EnvoyNode?) -> DeltaDiscoveryRequest {
        var request = DeltaDiscoveryRequest()
        if let node { request.node = node }
        request.typeURL = ResourceType.cluster.typeURL
        request.resourceNamesSubscribe = ["x"]
        request.initialResourceVersions = ["x": "1"]
        request.responseNonce = "n1"
        return request
    }

    static func check<Message: SwiftProtobuf.Message & Sendable & Equatable>(
        _ original: Message, _ deserializer: NodeDeferringDeserializer<Message>, node: KeyPath<Message, EnvoyNode>,
        hasNode: KeyPath<Message, Bool>, names: WritableKeyPath<Message, [String]>? = nil, clear: (inout Message) -> Void
    ) throws {
        let bytes: [UInt8] = try original.serializedBytes()
        let incoming = try deserializer.deserialize(bytes)
        var rest = original
        clear(&rest)
        if let names { rest[keyPath: names] = [] }
        #expect(incoming.message == rest, "everything but the node and names decoded")
        #expect(incoming.message[keyPath: hasNode] == false, "the node is left encoded")
        #expect(try incoming.node(in: node, present: hasNode) == (original[keyPath: hasNode] ? original[keyPath: node] : nil))
        if let names { #expect(incoming.names(in: names) == original[keyPath: names], "the names, in order") }
    }

    @Test("state of the world and delta, with and without a node: the same message, node and names as a whole decode")
    func sameAsWholeDecode() throws {
        for node in [Self.node("envoy-1"), nil] {
            try Self.check(Self.sotw(node: node), SotWProtocol.deserializer, node: \.node, hasNode: \.hasNode, names: \.resourceNames) {
                $0.clearNode()
            }
            try Self.check(Self.delta(node: node), DeltaProtocol.deserializer, node: \.node, hasNode: \.hasNode) { $0.clearNode() }
        }
        var unusual = Self.sotw(node: nil)
        unusual.resourceNames = ["", "zażółć", String(repeating: "x", count: 300), "*"]
        try Self.check(unusual, SotWProtocol.deserializer, node: \.node, hasNode: \.hasNode, names: \.resourceNames) { $0.clearNode() }
    }

    @Test("names interleaved with other fields keep their order; names that are not UTF-8 are refused as the plain decoder refuses them")
    func namesApart() throws {
        var first = DiscoveryRequest()
        first.resourceNames = ["b", "a"]
        var middle = DiscoveryRequest()
        middle.typeURL = ResourceType.endpoint.typeURL
        var last = DiscoveryRequest()
        last.resourceNames = ["c"]
        let bytes: [UInt8] = try first.serializedBytes() + middle.serializedBytes() + last.serializedBytes()
        let incoming = try SotWProtocol.deserializer.deserialize(bytes)
        #expect(incoming.names(in: \.resourceNames) == ["b", "a", "c"])
        #expect(incoming.message.typeURL == middle.typeURL)

        let invalid: [UInt8] = [0x1a, 0x02, 0xc3, 0x28]  // resource_names: one name, a broken two-byte sequence
        #expect(throws: (any Error).self) { try DiscoveryRequest(serializedBytes: invalid) }
        #expect(throws: RPCError.self) { try SotWProtocol.deserializer.deserialize(invalid) }
    }

    @Test("a node sent in two parts is merged as protobuf merges it")
    func splitNode() throws {
        var first = DiscoveryRequest()
        first.node = Self.node("envoy-1")
        var second = DiscoveryRequest()
        second.node.userAgentName = "envoy"
        second.typeURL = ResourceType.cluster.typeURL
        let bytes: [UInt8] = try first.serializedBytes() + second.serializedBytes()
        let whole = try DiscoveryRequest(serializedBytes: bytes)
        let incoming = try NodeDeferringDeserializer<DiscoveryRequest>(nodeField: 2).deserialize(bytes)
        #expect(try incoming.node(in: \.node, present: \.hasNode) == whole.node)
        #expect(incoming.message.typeURL == whole.typeURL)
    }

    @Test("truncated or garbled bytes are refused as the plain decoder refuses them")
    func malformed() throws {
        let bytes: [UInt8] = try Self.sotw(node: Self.node("envoy-1")).serializedBytes()
        for broken in [Array(bytes.dropLast(3)), [0x12, 0xff, 0xff], [0x0b, 0x01]] {
            #expect(throws: RPCError.self) { try NodeDeferringDeserializer<DiscoveryRequest>(nodeField: 2).deserialize(broken) }
        }
    }
}
