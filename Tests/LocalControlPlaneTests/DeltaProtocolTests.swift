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

    @Test("NACK is recorded and not answered; the rejected resources are not re-sent, the next change is")
    func nack() async throws {
        let catalog = Fixtures.catalog(["a": []])
        var machine = DecodingMachine<DeltaProtocol, DeltaDiscoveryResponse>()
        _ = machine.handle(try await Fixtures.snapshot(catalog, profile: profile))
        let sent = try #require(machine.handle(Fixtures.deltaRequest(.cluster)).responses.first)
        let nack = machine.handle(Fixtures.deltaRequest(.cluster, nonce: sent.nonce, nack: "rejected"))
        #expect(nack.outcome == .nack(version: sent.nonce, detail: "rejected"))
        #expect(nack.responses.isEmpty, "a NACK is not answered with the resources it rejected")
        let republished = try await Fixtures.snapshot(catalog, profile: profile)
        #expect(machine.handle(republished).isEmpty, "the rejected resources are not re-sent when the cache publishes them again")

        let changed = Fixtures.catalog(["a": [Fixtures.instance("10.0.0.1", 80, tags: ["canary"])]])
        let fixed = try #require(machine.handle(try await Fixtures.snapshot(changed, profile: profile)).first)
        #expect(fixed.resources.map(\.name) == ["a"] && fixed.resources.first?.version != sent.resources.first?.version,
                "recovery: the changed resource is sent")
    }
}

extension DeltaProtocolTests {
    @Test("a delta request with an old nonce is stale: recorded, not answered, and the subscription still moves")
    func staleNonce() async throws {
        var machine = DecodingMachine<DeltaProtocol, DeltaDiscoveryResponse>()
        _ = machine.handle(try await Fixtures.snapshot(Fixtures.catalog(["a": [], "b": []]), profile: profile))
        let first = try #require(machine.handle(Fixtures.deltaRequest(.endpoint, subscribe: ["a"])).responses.first)
        let stale = machine.handle(Fixtures.deltaRequest(.endpoint, nonce: "not-\(first.nonce)"))
        #expect(stale.outcome == .stale && stale.responses.isEmpty)
        #expect(machine.handle(Fixtures.deltaRequest(.endpoint, nonce: first.nonce)).outcome == .ack(version: first.nonce))
    }

    @Test("an unknown type URL is named in the outcome and answered with nothing")
    func unknownType() {
        var machine = DecodingMachine<DeltaProtocol, DeltaDiscoveryResponse>()
        var request = Fixtures.deltaRequest(.cluster)
        request.typeURL = "type.googleapis.com/envoy.config.nothing.v3.Nothing"
        let outcome = machine.handle(request)
        #expect(outcome.outcome == .unknownType(request.typeURL) && outcome.responses.isEmpty)
    }

    @Test("'*' subscribes to every resource of the type; unsubscribing '*' keeps only the named ones")
    func starSubscription() async throws {
        var machine = DecodingMachine<DeltaProtocol, DeltaDiscoveryResponse>()
        _ = machine.handle(try await Fixtures.snapshot(Fixtures.catalog(["a": [], "b": []]), profile: profile))
        let all = try #require(machine.handle(Fixtures.deltaRequest(.endpoint, subscribe: ["*"])).responses.first)
        #expect(all.resources.map(\.name) == ["a", "b"])
        _ = machine.handle(Fixtures.deltaRequest(.endpoint, nonce: all.nonce))
        _ = machine.handle(Fixtures.deltaRequest(.endpoint, subscribe: ["a"], unsubscribe: ["*"]))
        let changed = Fixtures.catalog(["a": [Fixtures.instance("10.0.0.1", 80)], "b": [Fixtures.instance("10.0.0.2", 80)]])
        let update = try #require(machine.handle(try await Fixtures.snapshot(changed, profile: profile)).first)
        #expect(update.resources.map(\.name) == ["a"], "only the named resource after '*' left")
    }

    @Test("what leaves the scope is forgotten: a resource held through '*' is sent again when named after '*' left")
    func outOfScopeForgotten() async throws {
        var machine = DecodingMachine<DeltaProtocol, DeltaDiscoveryResponse>()
        _ = machine.handle(try await Fixtures.snapshot(Fixtures.catalog(["a": [], "b": []]), profile: profile))
        let all = try #require(machine.handle(Fixtures.deltaRequest(.endpoint, subscribe: ["*"])).responses.first)
        #expect(all.resources.map(\.name) == ["a", "b"])
        let narrowed = machine.handle(Fixtures.deltaRequest(.endpoint, subscribe: ["a"], unsubscribe: ["*"], nonce: all.nonce))
        #expect(narrowed.responses.isEmpty, "the Envoy has 'a' at this version already")
        let again = try #require(machine.handle(Fixtures.deltaRequest(.endpoint, subscribe: ["b"], nonce: all.nonce)).responses.first)
        #expect(again.resources.map(\.name) == ["b"], "the Envoy dropped 'b' when '*' left; it must be sent, not assumed held")
    }
}
