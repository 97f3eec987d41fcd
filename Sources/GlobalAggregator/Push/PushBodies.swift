import CompressNIO
import Foundation
import NIOCore
import Shared

/// Push bodies, JSON then gzip, encoded once per destination, version and base and shared by the destination's
/// replicas. A source DC's instance list of a service is the same in every destination's state (only priority and
/// weight differ), so its JSON is encoded once and spliced into each body (`RemoteStateJSON`): a whole state at
/// 20 DCs × 2,000 services × 20 instances (~75 MB) then costs copies, not `JSONEncoder` runs. One body at a time:
/// building every destination's at once (an aggregator's start) would hold them all in memory together.
actor PushBodies {
    private struct Key: Hashable {
        var destination: String
        var version: String
        var base: String?
    }

    private struct LocalityKey: Hashable {
        var datacenter: String
        var service: String
    }

    private struct InstanceList {
        var instances: [WireInstance]
        var json: Data
        var lastUsed: UInt64
    }

    private var bodies: [Key: ByteBuffer] = [:]
    private var instanceLists: [LocalityKey: InstanceList] = [:]
    private var datacenterNames: [String: Data] = [:]
    private var built: UInt64 = 0
    /// An instance list no body used in this many builds is dropped (its service or DC left the region).
    private let unusedBuildsKept: UInt64 = 256

    /// The gzip-compressed body of `state` (a delta when `state.base` is set), pushed to `destination`.
    func body(of state: RemoteState, to destination: String) throws -> ByteBuffer {
        let key = Key(destination: destination, version: state.version, base: state.base)
        if let body = bodies[key] { return body }
        built += 1
        var services: [String: Data] = [:]
        for (name, service) in state.services {
            let lists = try service.localities.map { try instanceList(of: $0, service: name) }
            services[name] = try RemoteStateJSON.service(service, instanceLists: lists, datacenterNames: &datacenterNames)
        }
        var envelope = state
        envelope.services = [:]
        var json = ByteBuffer(data: try RemoteStateJSON.splice(envelope, services: services))
        let body = try json.compress(with: .gzip)
        // Older versions of this destination will not be pushed again.
        bodies = bodies.filter { $0.key.destination != destination || $0.key.version == state.version }
        bodies[key] = body
        if built % unusedBuildsKept == 0 { instanceLists = instanceLists.filter { built - $0.value.lastUsed < unusedBuildsKept } }
        return body
    }

    /// The JSON of a locality's instances: the one encoded before while they are the same (the arrays are usually
    /// the very ones of the DC's state, so the comparison is a pointer check), else encoded now.
    private func instanceList(of locality: RemoteLocality, service: String) throws -> Data {
        let key = LocalityKey(datacenter: locality.datacenter, service: service)
        if var known = instanceLists[key], known.instances == locality.instances {
            known.lastUsed = built
            instanceLists[key] = known
            return known.json
        }
        let json = try RemoteStateJSON.instances(locality.instances)
        instanceLists[key] = InstanceList(instances: locality.instances, json: json, lastUsed: built)
        return json
    }
}
