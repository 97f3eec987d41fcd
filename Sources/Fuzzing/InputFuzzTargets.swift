import EnvoyAPI
import Foundation
import GlobalAggregator
import LocalControlPlane
import Shared
import SwiftProtobuf

/// Node metadata as Envoy sends it: a protobuf `Struct` in the first request, parsed into a profile; an accepted
/// profile is then generated for, since a value that parses but breaks generation would crash the control plane.
struct NodeMetadataFuzzTarget: FuzzTarget {
    let name = "node-metadata"
    private let cache = SnapshotCache(datacenter: "dc1")
    private static let catalog = ServiceCatalog(services: [
        CatalogService(name: "backend", instances: [ServiceInstance(address: "10.0.0.1", port: 8080, tags: ["canary"])]),
        CatalogService(name: "client", instances: [ServiceInstance(address: "10.0.0.2", port: 8080)]),
    ])

    func input(_ random: inout FuzzRandom) -> [UInt8] {
        guard random.chance(0.2), let metadata = try? Google_Protobuf_Struct(jsonString: FuzzSeeds.nodeMetadata) else {
            return jsonInput(FuzzSeeds.nodeMetadata, &random)
        }
        // The wire form: a DiscoveryRequest whose node carries the metadata, damaged as bytes.
        var request = Envoy_Service_Discovery_V3_DiscoveryRequest()
        request.node.metadata = metadata
        request.node.cluster = "server"
        return [0] + Mutator.mutate((try? request.serializedBytes()) ?? [], &random)
    }

    func check(_ input: [UInt8]) async -> FuzzOutcome {
        let node: Envoy_Config_Core_V3_Node
        do {
            if input.first == 0 {
                node = try Envoy_Service_Discovery_V3_DiscoveryRequest(serializedBytes: Array(input.dropFirst())).node
            } else {
                var built = Envoy_Config_Core_V3_Node()
                built.metadata = try Google_Protobuf_Struct(jsonUTF8Bytes: input)
                node = built
            }
        } catch {
            return refused(error)  // gRPC refuses a request that does not decode
        }
        let profile: ProxyProfile
        do {
            profile = try NodeMetadataParser.parse(metadata: node.metadata, nodeCluster: node.cluster)
        } catch {
            return refused(error)
        }
        if await !cache.isReady { await cache.apply(Self.catalog) }
        guard let snapshot = await cache.snapshot(for: profile) else { return .violation("no snapshot for an accepted profile") }
        return snapshot.resources(.listener).isEmpty && profile.listeners != nil ? .violation("listeners asked for, none generated") : .accepted
    }
}

/// A `PUT /v1/remote-state` body through the same decoding and the real store: a refused body leaves the applied
/// state exactly as it was; an applied one passed every check.
struct RemoteStateFuzzTarget: FuzzTarget {
    let name = "remote-state"
    private let store: RemoteStateStore

    init() {
        store = RemoteStateStore(
            datacenter: "dc1", file: nil, cache: SnapshotCache(datacenter: "dc1"), publisher: LocalStatePublisher(datacenter: "dc1"))
    }

    func input(_ random: inout FuzzRandom) -> [UInt8] {
        let services = String(decoding: StructuralMutator.mutateJSON(FuzzSeeds.remoteServices, &random), as: UTF8.self)
        // Most bodies carry the right content version, or validation would stop every one at the first check.
        var version = "stale"
        if random.chance(0.8), let decoded = try? JSONDecoder().decode([String: RemoteService].self, from: Data(services.utf8)) {
            version = RemoteStateVersion.version(of: decoded)
        }
        let generation = random.pick(["1", "\(Int.random(in: 0...1_000, using: &random))", "-1", "18446744073709551616"])
        let body = "{\"version\": \"\(version)\", \"generatedBy\": \"aggregator-1\", \"generation\": \(generation), \"services\": \(services)}"
        return random.chance(0.7) ? Array(body.utf8) : Mutator.mutate(Array(body.utf8), &random)
    }

    func check(_ input: [UInt8]) async -> FuzzOutcome {
        let before = await store.current
        let state: RemoteState
        do {
            state = try StrictJSON.decode(RemoteState.self, from: Data(input))
        } catch {
            return await store.current == before ? refused(error) : .violation("state changed by an undecodable body")
        }
        switch await store.apply(state) {
        case .applied, .unchanged:
            let problems = StateValidation.problems(in: state, destination: "dc1")
            return problems.isEmpty ? .accepted : .violation("applied despite: \(problems.joined(separator: "; "))")
        case .invalid(let problems):
            return await store.current == before ? .refused(problems.joined(separator: "; ")) : .violation("partially applied")
        case .conflict(let reason, _), .storageFailed(let reason):
            return await store.current == before ? .refused(reason) : .violation("partially applied")
        case .baseMismatch(let held):
            return await store.current == before ? .refused("base mismatch, holds \(held)") : .violation("partially applied")
        }
    }
}

/// A `/v1/state` body as the aggregator's poller reads it, then merged as every accepted state is.
struct DatacenterStateFuzzTarget: FuzzTarget {
    let name = "datacenter-state"

    func input(_ random: inout FuzzRandom) -> [UInt8] { jsonInput(FuzzSeeds.datacenterState, &random) }

    func check(_ input: [UInt8]) async -> FuzzOutcome {
        var state: DatacenterState
        do {
            state = try StrictJSON.decode(DatacenterState.self, from: Data(input))
        } catch {
            return refused(error)
        }
        do {
            state = try StateValidation.admit(state).state
        } catch {
            return .refused(error.description)
        }
        let merged = FederationMerger.merge(
            [state.datacenter: DatacenterSnapshot(state: state, receivedAt: Date())], datacenters: [state.datacenter, "dc9"],
            policy: FederationPolicy(), now: Date())
        let reached = merged.remote["dc9"]?.keys.sorted() ?? []
        let offered = state.services.filter { !$0.instances.isEmpty }.map(\.name).sorted()
        return Set(offered).isSubset(of: reached) ? .accepted : .violation("merge lost services: offered \(offered), dc9 got \(reached)")
    }
}

/// A YAML file as its watcher re-reads it: the registry file or the aggregator's policy.
struct YAMLFuzzTarget: FuzzTarget {
    let name: String
    let seed: String
    let parse: @Sendable (String) throws -> Void

    static let registry = YAMLFuzzTarget(name: "registry-yaml", seed: FuzzSeeds.registryYAML) { _ = try RegistryFile.parse($0) }
    static let policy = YAMLFuzzTarget(name: "policy-yaml", seed: FuzzSeeds.policyYAML) { _ = try PolicyParser.parse($0) }

    func input(_ random: inout FuzzRandom) -> [UInt8] { Mutator.mutate(Array(seed.utf8), &random) }

    func check(_ input: [UInt8]) async -> FuzzOutcome {
        do {
            try parse(String(decoding: input, as: UTF8.self))
            return .accepted
        } catch {
            return refused(error)
        }
    }
}

/// Consul's health and catalog answers as the watcher decodes them.
struct ConsulAnswerFuzzTarget: FuzzTarget {
    let name = "consul-answers"

    func input(_ random: inout FuzzRandom) -> [UInt8] {
        random.chance(0.75) ? [1] + jsonInput(FuzzSeeds.consulHealth, &random) : [2] + jsonInput(FuzzSeeds.consulCatalog, &random)
    }

    func check(_ input: [UInt8]) async -> FuzzOutcome {
        let body = Data(input.dropFirst())
        do {
            if input.first == 1 {
                let instances = try ConsulHealthAnswer.instances(from: body, service: "fuzzed", includeWarning: true).kept
                if let bad = instances.first(where: {
                    InstanceRules.problem(address: $0.address, port: $0.port, weight: $0.weight) != nil
                }) {
                    return .violation("unusable instance accepted: \(bad)")
                }
            } else {
                _ = try StrictJSON.decode([String: [String]].self, from: body)
            }
            return .accepted
        } catch {
            return refused(error)
        }
    }
}
