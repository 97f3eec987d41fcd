import EnvoyAPI
import Foundation
import PropertyBased
import SwiftProtobuf
import Testing

@testable import LocalControlPlane

/// Whatever order snapshots and subscription changes come in, an Envoy that applies every delta response holds exactly
/// the snapshot's resources within its scope. Checks the shortcut for streams in step with their previous snapshot
/// (`Snapshot.changes`) against the resource-by-resource diff it replaces.
@Suite("Delta protocol convergence")
struct DeltaConvergenceTests {
    static let names = ["a", "b", "c", "d"]
    /// Per step: 0 a new snapshot, 1 subscribe, 2 unsubscribe; `step / 3` picks the name ('*' for the last).
    static let steps = Gen.int(in: 0...14).array(of: 24)
    /// Per snapshot and name: 0 absent, else the resource's content.
    static let worlds = Gen.int(in: 0...2).array(of: 24 * names.count)

    @Test("properties: after every step the Envoy holds the snapshot within its scope, wildcard (CDS) and named (EDS)")
    func converges() async {
        await propertyCheck(count: 300, input: Self.steps, Self.worlds) { steps, worlds in
            for type in [ResourceType.cluster, .endpoint] {
                var run = Run(type: type)
                var worlds = worlds.makeIterator()
                for step in steps {
                    let target = step / 3 < Self.names.count ? Self.names[step / 3] : "*"
                    switch step % 3 {
                    case 0: run.publish(Self.names.map { _ in worlds.next() ?? 0 })
                    case 1: run.request(subscribe: [target])
                    default: run.request(unsubscribe: [target])
                    }
                    #expect(run.envoy == run.expected, "\(type.shortName) after steps \(steps)")
                }
            }
        }
    }

    /// One stream and the resources its Envoy holds, applying responses as Envoy does.
    struct Run {
        let type: ResourceType
        var machine = DeltaProtocol(controlPlaneId: "test")
        var envoy: [String: String] = [:]
        var wildcard: Bool
        var names: Set<String> = []
        var snapshot: Snapshot?
        var nonce = ""
        var answered = false

        init(type: ResourceType) {
            self.type = type
            wildcard = type.isWildcardByDefault
            apply(machine.handle(Fixtures.deltaRequest(type)).responses)
        }

        /// What the Envoy should hold once answered: the snapshot's resources within its scope.
        var expected: [String: String] {
            guard answered, let snapshot else { return envoy }
            let held = snapshot.resources(type).filter { wildcard || names.contains($0.name) }
            return Dictionary(uniqueKeysWithValues: held.map { ($0.name, $0.version) })
        }

        mutating func publish(_ contents: [Int]) {
            let resources = zip(DeltaConvergenceTests.names, contents).filter { $0.1 > 0 }.map { name, content in
                EncodedResource(name: name, message: Google_Protobuf_StringValue("\(name)-\(content)"), typeURL: type.typeURL)
            }
            let snapshot = Snapshot([type: resources])
            self.snapshot = snapshot
            apply(machine.handle(snapshot))
        }

        mutating func request(subscribe: [String] = [], unsubscribe: [String] = []) {
            for name in subscribe {
                if name == "*" { wildcard = true } else { names.insert(name) }
            }
            for name in unsubscribe {
                // Envoy drops what it no longer asks for; leaving '*' drops what was held only through it.
                if name == "*" { wildcard = false } else { names.remove(name) }
                envoy[name] = nil
                if !wildcard { envoy = envoy.filter { names.contains($0.key) } }
            }
            apply(machine.handle(Fixtures.deltaRequest(type, subscribe: subscribe, unsubscribe: unsubscribe, nonce: nonce)).responses)
        }

        private mutating func apply(_ responses: [EncodedResponse]) {
            for encoded in responses {
                let response = try! encoded.decoded(as: DeltaDiscoveryResponse.self)
                for resource in response.resources { envoy[resource.name] = resource.version }
                for name in response.removedResources { envoy[name] = nil }
                nonce = response.nonce
                answered = true
            }
        }
    }
}
