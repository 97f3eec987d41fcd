import Foundation
import Testing

@testable import Shared

@Suite("Remote state JSON from encoded parts")
struct RemoteStateJSONTests {
    static func instance(_ id: String, tags: [String] = [], meta: [String: String] = [:]) -> WireInstance {
        WireInstance(ServiceInstance(id: id, address: "10.0.0.\(id.count)", port: 8080, tags: tags, weight: 3, meta: meta))
    }

    /// Localities with and without weights, a split's local weight, names and values JSON must escape.
    static let state: RemoteState = {
        var state = RemoteState(
            version: "v\"1", generatedBy: "global-aggregator/eu", generation: 7,
            services: [
                "backend": RemoteService(localities: [
                    RemoteLocality(datacenter: "dc2", priority: 0, weight: 20, instances: [instance("a", tags: ["x\"y", "ü"])]),
                    RemoteLocality(datacenter: "dc3", priority: 1, instances: [instance("b"), instance("c", meta: ["k": "\\v\n"])]),
                ], localWeight: 80),
                "services\":{}": RemoteService(localities: [RemoteLocality(datacenter: "dc\"2", priority: 1, instances: [])]),
            ],
            sources: ["dc2": 4, "dc3": 9], datacenters: ["dc1", "dc2", "dc3"])
        state.base = "b1"
        state.removed = ["gone"]
        return state
    }()

    static func encodedWhole<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(value)
    }

    @Test("spliced from per-service JSON: the very bytes JSONEncoder writes with sorted keys")
    func spliceMatchesEncoder() throws {
        var envelope = Self.state
        envelope.services = [:]
        let services = try Self.state.services.mapValues { try Self.encodedWhole($0) }
        let spliced = try RemoteStateJSON.splice(envelope, services: services)
        #expect(spliced == (try Self.encodedWhole(Self.state)), "\(String(decoding: spliced, as: UTF8.self))")
        #expect(try JSONDecoder().decode(RemoteState.self, from: spliced) == Self.state)
    }

    @Test("a service from its localities' encoded instance lists: the very bytes JSONEncoder writes")
    func serviceMatchesEncoder() throws {
        var names: [String: Data] = [:]
        for service in Self.state.services.values {
            let lists = try service.localities.map { try RemoteStateJSON.instances($0.instances) }
            let json = try RemoteStateJSON.service(service, instanceLists: lists, datacenterNames: &names)
            #expect(json == (try Self.encodedWhole(service)), "\(String(decoding: json, as: UTF8.self))")
        }
        #expect(Set(names.keys) == ["dc2", "dc3", "dc\"2"])
    }
}
