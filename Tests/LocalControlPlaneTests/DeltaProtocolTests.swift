import EnvoyAPI
import Testing

@testable import LocalControlPlane

@Suite("Delta protocol")
struct DeltaProtocolTests {
    let profile: ProxyProfile

    init() throws {
        var profile = try Fixtures.profile()
        profile.outgoing.allServices = .init()
        self.profile = profile
    }

    @Test("wildcard subscription sends everything once, then only changes and removals")
    func wildcardDiffs() async throws {
        let before = Fixtures.catalog(["a": [Fixtures.instance("10.0.0.1", 80)], "b": []])
        let after = Fixtures.catalog(["a": [Fixtures.instance("10.0.0.2", 80)], "c": []])
        var machine = DecodingMachine<DeltaProtocol, DeltaDiscoveryResponse>()
        _ = machine.handle(try await Fixtures.snapshot(before, profile: profile))
        let initial = try #require(machine.handle(Fixtures.deltaRequest(.cluster)).responses.first)
        #expect(initial.resources.map(\.name) == ["a", "b"])
        #expect(initial.removedResources.isEmpty)
        #expect(machine.handle(Fixtures.deltaRequest(.cluster, nonce: initial.nonce)).outcome == .ack(version: initial.nonce))

        let update = machine.handle(try await Fixtures.snapshot(after, profile: profile))
        let clusters = try #require(update.first)
        #expect(clusters.resources.map(\.name) == ["c"])  // cluster "a" is unchanged: only its endpoints changed
        #expect(clusters.removedResources == ["b"])
    }

    @Test("named subscriptions: subscribe, unsubscribe and unknown names")
    func namedSubscriptions() async throws {
        let catalog = Fixtures.catalog(["a": [Fixtures.instance("10.0.0.1", 80)], "b": []])
        var machine = DecodingMachine<DeltaProtocol, DeltaDiscoveryResponse>()
        _ = machine.handle(try await Fixtures.snapshot(catalog, profile: profile))
        let first = try #require(machine.handle(Fixtures.deltaRequest(.endpoint, subscribe: ["a", "missing"])).responses.first)
        #expect(first.resources.map(\.name) == ["a"])
        #expect(first.removedResources == ["missing"])
        let more = try #require(machine.handle(Fixtures.deltaRequest(.endpoint, subscribe: ["b"], nonce: first.nonce)).responses.first)
        #expect(more.resources.map(\.name) == ["b"])
        let after = Fixtures.catalog(["a": [Fixtures.instance("10.0.0.9", 80)], "b": [Fixtures.instance("10.0.0.8", 80)]])
        _ = machine.handle(Fixtures.deltaRequest(.endpoint, unsubscribe: ["b"], nonce: more.nonce))
        let update = machine.handle(try await Fixtures.snapshot(after, profile: profile))
        #expect(update.first?.resources.map(\.name) == ["a"])
    }

    @Test("a reconnect with initial_resource_versions only receives what changed")
    func reconnect() async throws {
        let catalog = Fixtures.catalog(["a": [Fixtures.instance("10.0.0.1", 80)], "b": []])
        let snapshot = try await Fixtures.snapshot(catalog, profile: profile)
        let versions = Dictionary(uniqueKeysWithValues: snapshot.resources(.cluster).map { ($0.name, $0.version) })
        var machine = DecodingMachine<DeltaProtocol, DeltaDiscoveryResponse>()
        _ = machine.handle(snapshot)
        var known = versions
        known["b"] = "outdated"
        known["gone"] = "x"
        let response = try #require(machine.handle(Fixtures.deltaRequest(.cluster, initialVersions: known)).responses.first)
        #expect(response.resources.map(\.name) == ["b"])
        #expect(response.removedResources == ["gone"])
    }

    @Test("NACK is recorded; the rejected resources are not re-sent")
    func nack() async throws {
        let catalog = Fixtures.catalog(["a": []])
        let snapshot = try await Fixtures.snapshot(catalog, profile: profile)
        var machine = DecodingMachine<DeltaProtocol, DeltaDiscoveryResponse>()
        _ = machine.handle(snapshot)
        let sent = try #require(machine.handle(Fixtures.deltaRequest(.cluster)).responses.first)
        let nack = machine.handle(Fixtures.deltaRequest(.cluster, nonce: sent.nonce, nack: "rejected"))
        #expect(nack.outcome == .nack(version: sent.nonce, detail: "rejected"))
        #expect(nack.responses.isEmpty)
        #expect(machine.handle(snapshot).isEmpty)
    }
}
