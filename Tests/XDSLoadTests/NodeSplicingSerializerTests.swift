import EnvoyAPI
import GRPCCore
import GRPCProtobuf
import SwiftProtobuf
import Testing

@testable import XDSLoad

/// The generator's requests with the node spliced in from bytes encoded once: what the server decodes must be the
/// very request protobuf's own serializer would have sent.
@Suite("xds-load node-splicing serializer")
struct NodeSplicingSerializerTests {
    private let node = try! LoadScenario().node(stream: 7)

    @Test("a state-of-the-world ACK with the node decodes as the request itself; one without stays without")
    func sotw() throws {
        var ack = Envoy_Service_Discovery_V3_DiscoveryRequest()
        ack.node = node
        ack.typeURL = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
        ack.resourceNames = ["s0001", "s0002"]
        ack.versionInfo = "v7"
        ack.responseNonce = "n9"
        let serializer = try NodeSplicingSerializer<Envoy_Service_Discovery_V3_DiscoveryRequest>(node: node)
        let spliced: [UInt8] = try serializer.serialize(ack)
        #expect(try Envoy_Service_Discovery_V3_DiscoveryRequest(serializedBytes: spliced) == ack)
        #expect(spliced.count == (try ack.serializedBytes() as [UInt8]).count)

        var withoutNode = ack
        withoutNode.clearNode()
        let plain: [UInt8] = try serializer.serialize(withoutNode)
        #expect(try Envoy_Service_Discovery_V3_DiscoveryRequest(serializedBytes: plain) == withoutNode)
    }

    @Test("a delta subscription with the node decodes as the request itself")
    func delta() throws {
        var subscribe = Envoy_Service_Discovery_V3_DeltaDiscoveryRequest()
        subscribe.node = node
        subscribe.typeURL = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
        subscribe.resourceNamesSubscribe = ["default_routes"]
        subscribe.responseNonce = "n3"
        let serializer = try NodeSplicingSerializer<Envoy_Service_Discovery_V3_DeltaDiscoveryRequest>(node: node)
        let spliced: [UInt8] = try serializer.serialize(subscribe)
        #expect(try Envoy_Service_Discovery_V3_DeltaDiscoveryRequest(serializedBytes: spliced) == subscribe)
    }
}
