import EnvoyAPI
import GRPCCore
import Testing

@testable import LocalControlPlane

/// Drives the real gRPC ADS server over HTTP/2 on loopback with raw Envoy-like clients.
@Suite("ADS server over gRPC", .timeLimit(.minutes(1)))
struct ADSServerTests {
    static let catalog = Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)], "other": []])
    static let updated = Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.2", 80)], "other": []])
    static let quiet: Duration = .milliseconds(300)

    static func withNode(
        _ request: Envoy_Service_Discovery_V3_DiscoveryRequest, id: String = "envoy-1", metadata: String = Fixtures.clientMetadata
    ) throws -> Envoy_Service_Discovery_V3_DiscoveryRequest {
        var request = request
        request.node = try Fixtures.node(id: id, metadata: metadata)
        return request
    }

    @Test("state of the world: ACK, NACK, resource_names change, push on change, reconnect")
    func stateOfTheWorld() async throws {
        try await ADSTestHarness.with(catalog: Self.catalog) { harness in
            var edsVersion = ""
            try await harness.sotw { stream in
                stream.send(try Self.withNode(Fixtures.sotwRequest(.cluster)))
                let clusters = try #require(try await stream.receive())
                #expect(clusters.resources.map(\.typeURL) == [ResourceType.cluster.typeURL])
                stream.send(Fixtures.sotwRequest(.cluster, version: clusters.versionInfo, nonce: clusters.nonce))
                #expect(try await stream.receive(within: Self.quiet) == nil, "an ACK is not answered")

                stream.send(Fixtures.sotwRequest(.endpoint, names: ["backend"]))
                let endpoints = try #require(try await stream.receive())
                #expect(endpoints.resources.count == 1)
                stream.send(Fixtures.sotwRequest(.endpoint, names: ["backend"], version: endpoints.versionInfo, nonce: endpoints.nonce))
                #expect(try await stream.receive(within: Self.quiet) == nil)

                await harness.cache.apply(Self.updated)
                let pushed = try #require(try await stream.receive())
                #expect(pushed.typeURL == ResourceType.endpoint.typeURL)
                #expect(pushed.versionInfo != endpoints.versionInfo)
                stream.send(Fixtures.sotwRequest(
                    .endpoint, names: ["backend"], version: endpoints.versionInfo, nonce: pushed.nonce, nack: "bad endpoints"))
                #expect(try await stream.receive(within: Self.quiet) == nil, "a NACK is not answered with the same config")
                let status = try #require(harness.streams.all.first?.types["EDS"])
                #expect(status.lastNack == "bad endpoints")
                #expect(status.lastAckedVersion == endpoints.versionInfo)

                stream.send(Fixtures.sotwRequest(.endpoint, names: [], version: endpoints.versionInfo, nonce: pushed.nonce))
                let unsubscribed = try #require(try await stream.receive())
                #expect(unsubscribed.resources.isEmpty)
                edsVersion = pushed.versionInfo
            }
            try await harness.sotw { stream in
                stream.send(try Self.withNode(Fixtures.sotwRequest(.endpoint, names: ["backend"], version: edsVersion)))
                #expect(try await stream.receive(within: Self.quiet) == nil, "a reconnect with the current version gets nothing")
                stream.send(Fixtures.sotwRequest(.cluster, version: "stale"))
                #expect(try await stream.receive() != nil)
            }
        }
    }

    @Test("delta: initial state, ACK, change, removal, unsubscribe, reconnect with known versions")
    func delta() async throws {
        try await ADSTestHarness.with(catalog: Self.catalog) { harness in
            var known: [String: String] = [:]
            try await harness.delta { stream in
                var first = Fixtures.deltaRequest(.cluster)
                first.node = try Fixtures.node(metadata: #"{"service_name": "client", "proxy_settings": {"outgoing": {"dependencies": [{"service": "*"}]}}}"#)
                stream.send(first)
                let clusters = try #require(try await stream.receive())
                #expect(clusters.resources.map(\.name) == ["backend", "other"])
                stream.send(Fixtures.deltaRequest(.cluster, nonce: clusters.nonce))
                #expect(try await stream.receive(within: Self.quiet) == nil)

                await harness.cache.apply(Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)]]))
                let removal = try #require(try await stream.receive())
                #expect(removal.removedResources == ["other"])
                #expect(removal.resources.isEmpty)
                known = Dictionary(uniqueKeysWithValues: clusters.resources.filter { $0.name == "backend" }.map { ($0.name, $0.version) })
            }
            try await harness.delta { stream in
                var reconnect = Fixtures.deltaRequest(.cluster, initialVersions: known)
                reconnect.node = try Fixtures.node(metadata: #"{"service_name": "client", "proxy_settings": {"outgoing": {"dependencies": [{"service": "*"}]}}}"#)
                stream.send(reconnect)
                let response = try #require(try await stream.receive())
                #expect(response.resources.isEmpty && response.removedResources.isEmpty, "nothing changed since the Envoy's versions")
            }
        }
    }

    @Test("malformed metadata closes only that stream with INVALID_ARGUMENT naming the field")
    func malformedMetadataIsolated() async throws {
        try await ADSTestHarness.with(catalog: Self.catalog) { harness in
            try await harness.sotw { good in
                good.send(try Self.withNode(Fixtures.sotwRequest(.cluster)))
                let clusters = try #require(try await good.receive())
                try await harness.sotw { bad in
                    bad.send(try Self.withNode(
                        Fixtures.sotwRequest(.cluster), id: "bad", metadata: #"{"service_name": "x", "egress_port": "many"}"#))
                    await #expect {
                        _ = try await bad.receive()
                    } throws: { error in
                        let rpc = error as? RPCError
                        return rpc?.code == .invalidArgument && rpc?.message.contains("metadata.egress_port") == true
                    }
                }
                try await harness.delta { bad in
                    var request = Fixtures.deltaRequest(.cluster)
                    request.node = try Fixtures.node(id: "bad-delta", metadata: #"{"service_name": "x", "ads": "maybe"}"#)
                    bad.send(request)
                    await #expect(throws: RPCError.self) { _ = try await bad.receive() }
                }
                try await harness.sotw { nodeless in
                    nodeless.send(Fixtures.sotwRequest(.cluster))
                    await #expect {
                        _ = try await nodeless.receive()
                    } throws: { error in
                        let rpc = error as? RPCError
                        return rpc?.code == .invalidArgument && rpc?.message.contains("must carry the node") == true
                    }
                }
                do {
                    good.send(Fixtures.sotwRequest(.endpoint, names: ["backend"]))
                    #expect(try await good.receive() != nil, "the good stream keeps working")
                }
                #expect(clusters.resources.count == 1)
                #expect(harness.streams.count == 1)
            }
        }
    }
}
