import EnvoyAPI
import Testing

@testable import LocalControlPlane

@Suite("Encoded responses")
struct EncodedResponseTests {
    @Test("a shared body plus an appended nonce decodes as the response with that nonce", arguments: ["1", String(repeating: "9", count: 300)])
    func appendedNonce(nonce: String) throws {
        var response = DiscoveryResponse()
        response.typeURL = ResourceType.cluster.typeURL
        response.versionInfo = "v1"
        response.controlPlane.identifier = "cp"
        let encoded = EncodedResponse(type: .cluster, body: EncodedResponse.serialize(response), nonce: nonce)
        response.nonce = nonce
        #expect(try encoded.decoded(as: DiscoveryResponse.self) == response)
    }

    @Test("streams of one group share the encoded body of a snapshot; only the nonces differ")
    func sharedBodies() async throws {
        let catalog = Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)], "other": []])
        let snapshot = try await Fixtures.snapshot(catalog, profile: try Fixtures.profile())
        var first = SotWProtocol(controlPlaneId: "test")
        var second = SotWProtocol(controlPlaneId: "test")
        _ = first.handle(snapshot)
        _ = second.handle(snapshot)
        _ = second.handle(Fixtures.sotwRequest(.listener))  // `second` is one nonce ahead of `first`
        let a = try #require(first.handle(Fixtures.sotwRequest(.endpoint, names: ["backend"])).responses.first)
        let b = try #require(second.handle(Fixtures.sotwRequest(.endpoint, names: ["backend"])).responses.first)
        #expect(a.body == b.body)
        #expect(a.nonce != b.nonce)
        #expect(try a.decoded(as: DiscoveryResponse.self).resources.count == 1)
    }
}
