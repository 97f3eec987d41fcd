import Testing

@testable import LocalControlPlane
@testable import Shared

/// Two aggregators pushing to one control plane: per source DC the fresher slice wins, whoever pushed last.
@Suite("Remote state composition across aggregators")
struct RemoteStateCompositionTests {
    static func locality(_ datacenter: String, priority: Int = 1, port: Int) -> RemoteLocality {
        RemoteLocality(datacenter: datacenter, priority: priority, instances: [WireInstance(ServiceInstance(address: "10.0.0.1", port: port))])
    }

    static func push(
        by aggregator: String, _ localities: [RemoteLocality], sources: [String: UInt64], region: [String] = ["dc2", "dc3"]
    ) -> RemoteState {
        let services = ["backend": RemoteService(localities: localities)]
        return RemoteState(
            version: RemoteStateVersion.version(of: services), generatedBy: aggregator, generation: 1, services: services,
            sources: sources, datacenters: region)
    }

    @Test("a push whose sources are all at least as fresh stands as it is, version included")
    func freshPushStands() {
        let held = Self.push(by: "a", [Self.locality("dc2", port: 1)], sources: ["dc2": 5])
        let push = Self.push(by: "b", [Self.locality("dc2", port: 2), Self.locality("dc3", port: 3)], sources: ["dc2": 5, "dc3": 1])
        let composed = RemoteStateComposition.compose(push: push, held: held, owners: ["dc2": "a"])
        #expect(composed.state == push)
        #expect(composed.owners == ["dc2": "b", "dc3": "b"])
        #expect(composed.kept.isEmpty)
    }

    @Test("an aggregator with an older view of dc2 cannot roll dc2 back; its fresher dc3 is taken")
    func olderSourceIsKept() {
        let held = Self.push(by: "a", [Self.locality("dc2", port: 1), Self.locality("dc3", port: 3)], sources: ["dc2": 9, "dc3": 4])
        let push = Self.push(by: "b", [Self.locality("dc2", port: 2), Self.locality("dc3", port: 33)], sources: ["dc2": 7, "dc3": 6])
        let composed = RemoteStateComposition.compose(push: push, held: held, owners: ["dc2": "a", "dc3": "a"])
        let ports = composed.state.services["backend"]?.localities.map { "\($0.datacenter):\($0.instances[0].port)" }
        #expect(ports == ["dc3:33", "dc2:1"])
        #expect(composed.state.sources == ["dc2": 9, "dc3": 6])
        #expect(composed.owners == ["dc2": "a", "dc3": "b"])
        #expect(composed.kept == ["dc2"])
        #expect(composed.state.version == RemoteStateVersion.version(of: composed.state.services))
    }

    @Test("an aggregator that cannot see dc2 at all never withdraws it")
    func missingSourceIsKept() {
        let held = Self.push(by: "a", [Self.locality("dc2", port: 1)], sources: ["dc2": 9])
        let push = Self.push(by: "b", [Self.locality("dc3", port: 3)], sources: ["dc3": 2])
        let composed = RemoteStateComposition.compose(push: push, held: held, owners: ["dc2": "a"])
        #expect(composed.state.services["backend"]?.localities.map(\.datacenter) == ["dc3", "dc2"])
        #expect(composed.kept == ["dc2"])
    }

    @Test("a DC the push's region no longer lists is removed; the owner may move its own slice back (index reset)")
    func removalAndOwnReset() {
        let held = Self.push(by: "a", [Self.locality("dc2", port: 1), Self.locality("dc4", port: 4)], sources: ["dc2": 9, "dc4": 1])
        let push = Self.push(by: "a", [Self.locality("dc2", port: 2)], sources: ["dc2": 3], region: ["dc2"])
        let composed = RemoteStateComposition.compose(push: push, held: held, owners: ["dc2": "a", "dc4": "a"])
        #expect(composed.state == push)
        #expect(composed.removed == ["dc4"])
        #expect(composed.owners == ["dc2": "a"])
    }
}
