import EnvoyAPI
import Testing

@testable import LocalControlPlane

@Suite("State-of-the-world protocol")
struct SotWProtocolTests {
    let catalog = Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)], "other": []])

    @Test("first requests are answered, ACKs are not, and a change is pushed in CDS→EDS→LDS→RDS order")
    func ackAndPushOrder() async throws {
        let profile = try Fixtures.profile()
        var machine = DecodingMachine<SotWProtocol, DiscoveryResponse>()
        #expect(machine.handle(try await Fixtures.snapshot(catalog, profile: profile)).isEmpty)

        let cds = machine.handle(Fixtures.sotwRequest(.cluster))
        #expect(cds.outcome == .subscribe)
        let clusters = try #require(cds.responses.first)
        #expect(clusters.resources.count == 1)
        #expect(clusters.nonce == "1")

        let ack = machine.handle(Fixtures.sotwRequest(.cluster, version: clusters.versionInfo, nonce: clusters.nonce))
        #expect(ack.outcome == .ack(version: clusters.versionInfo))
        #expect(ack.responses.isEmpty)

        let eds = machine.handle(Fixtures.sotwRequest(.endpoint, names: ["backend"])).responses
        #expect(eds.count == 1)
        _ = machine.handle(Fixtures.sotwRequest(.listener))
        _ = machine.handle(Fixtures.sotwRequest(.route, names: ["default_routes"]))

        let changed = Fixtures.catalog([
            "backend": [Fixtures.instance("10.0.0.1", 80)], "other": [], "third": [Fixtures.instance("10.0.0.3", 80)],
        ])
        var wildcardProfile = profile
        wildcardProfile.outgoing.allServices = .init()
        var wildcard = DecodingMachine<SotWProtocol, DiscoveryResponse>()
        _ = wildcard.handle(try await Fixtures.snapshot(catalog, profile: wildcardProfile))
        for type in ResourceType.allCases {
            _ = wildcard.handle(Fixtures.sotwRequest(type, names: type.isWildcardByDefault ? [] : ["backend", "other", "third", "default_routes"]))
        }
        let pushed = wildcard.handle(try await Fixtures.snapshot(changed, profile: wildcardProfile))
        #expect(pushed.map(\.typeURL) == [ResourceType.cluster, .endpoint, .route].map(\.typeURL))
    }

    @Test("nothing is sent when nothing changed")
    func noChangeNoResponse() async throws {
        let profile = try Fixtures.profile()
        var machine = DecodingMachine<SotWProtocol, DiscoveryResponse>()
        let snapshot = try await Fixtures.snapshot(catalog, profile: profile)
        _ = machine.handle(snapshot)
        _ = machine.handle(Fixtures.sotwRequest(.cluster))
        #expect(machine.handle(snapshot).isEmpty)
    }

    @Test("a NACK is recorded and not answered; the rejected version is not re-sent, the next change is")
    func nack() async throws {
        let profile = try Fixtures.profile()
        var machine = DecodingMachine<SotWProtocol, DiscoveryResponse>()
        _ = machine.handle(try await Fixtures.snapshot(catalog, profile: profile))
        let sent = try #require(machine.handle(Fixtures.sotwRequest(.cluster)).responses.first)
        let nack = machine.handle(Fixtures.sotwRequest(.cluster, version: "", nonce: sent.nonce, nack: "bad cluster"))
        #expect(nack.outcome == .nack(version: "", detail: "bad cluster"))
        #expect(nack.responses.isEmpty, "a NACK is not answered with the config it rejected")
        // The Envoy still has version "": a machine that went back to it would send the rejected clusters again.
        let republished = try await Fixtures.snapshot(catalog, profile: profile)
        #expect(machine.handle(republished).isEmpty, "the rejected version is not re-sent when the cache publishes it again")

        let canary = Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80, tags: ["canary"])], "other": []])
        let fixed = try #require(machine.handle(try await Fixtures.snapshot(canary, profile: profile)).first)
        #expect(fixed.typeURL == ResourceType.cluster.typeURL && fixed.versionInfo != sent.versionInfo, "recovery: the next change is sent")
        #expect(machine.handle(Fixtures.sotwRequest(.cluster, version: fixed.versionInfo, nonce: fixed.nonce)).outcome
                == .ack(version: fixed.versionInfo))
    }

    @Test("a request with an old nonce is stale and ignored")
    func staleNonce() async throws {
        let profile = try Fixtures.profile()
        var machine = DecodingMachine<SotWProtocol, DiscoveryResponse>()
        _ = machine.handle(try await Fixtures.snapshot(catalog, profile: profile))
        _ = machine.handle(Fixtures.sotwRequest(.endpoint, names: ["backend"]))
        let stale = machine.handle(Fixtures.sotwRequest(.endpoint, names: [], nonce: "99"))
        #expect(stale.outcome == .stale)
        #expect(stale.responses.isEmpty)
    }

    @Test("changing resource_names answers with exactly the named resources")
    func resourceNamesChange() async throws {
        var profile = try Fixtures.profile()
        profile.outgoing.allServices = .init()
        var machine = DecodingMachine<SotWProtocol, DiscoveryResponse>()
        _ = machine.handle(try await Fixtures.snapshot(catalog, profile: profile))
        let first = try #require(machine.handle(Fixtures.sotwRequest(.endpoint, names: ["backend"])).responses.first)
        #expect(first.resources.count == 1)
        let both = machine.handle(
            Fixtures.sotwRequest(.endpoint, names: ["backend", "other"], version: first.versionInfo, nonce: first.nonce))
        #expect(both.responses.first?.resources.count == 2)
        #expect(both.responses.first?.versionInfo != first.versionInfo)
    }

    @Test("a reconnecting Envoy that already has the current version gets no duplicate")
    func reconnectWithCurrentVersion() async throws {
        let profile = try Fixtures.profile()
        let snapshot = try await Fixtures.snapshot(catalog, profile: profile)
        var machine = DecodingMachine<SotWProtocol, DiscoveryResponse>()
        _ = machine.handle(snapshot)
        let reconnect = machine.handle(Fixtures.sotwRequest(.cluster, version: snapshot.version(.cluster)))
        #expect(reconnect.responses.isEmpty)
        var fresh = DecodingMachine<SotWProtocol, DiscoveryResponse>()
        _ = fresh.handle(snapshot)
        #expect(fresh.handle(Fixtures.sotwRequest(.cluster, version: "older")).responses.count == 1)
    }
}

extension SotWProtocolTests {
    @Test("'*' in resource_names subscribes to every resource of a type that is otherwise named")
    func starSubscription() async throws {
        var profile = try Fixtures.profile()
        profile.outgoing.allServices = .init()
        var machine = DecodingMachine<SotWProtocol, DiscoveryResponse>()
        _ = machine.handle(try await Fixtures.snapshot(catalog, profile: profile))
        let all = try #require(machine.handle(Fixtures.sotwRequest(.endpoint, names: ["*"])).responses.first)
        #expect(Set(all.resources.map { $0.typeURL }) == [ResourceType.endpoint.typeURL])
        #expect(all.resources.count == 2, "backend and other")
        let named = try #require(machine.handle(Fixtures.sotwRequest(.endpoint, names: ["backend"], version: all.versionInfo, nonce: all.nonce)).responses.first)
        #expect(named.resources.count == 1)
    }
}
