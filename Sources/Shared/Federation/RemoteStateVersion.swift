/// The version of a remote state: derived from its content alone, so two aggregators that merge the same DC states
/// push the same version, and a local control plane can check that a body matches its version.
///
/// It is built from digests of the parts (one DC's instances → a service's localities → the state) so the
/// aggregator can keep each part's digest between merges and recompute only what changed: with 20 DCs × 2,000
/// services × 20 instances every destination holds ~760,000 instances, far too many to hash again on every merge.
public enum RemoteStateVersion {
    /// One DC's instances of a service, in the order given (the merge sorts them by id).
    public static func digest(of instances: [WireInstance]) -> UInt64 {
        var hash = ContentHash()
        hash.add(instances.count)
        for instance in instances {
            hash.add(instance.id)
            hash.add(instance.address)
            hash.add(instance.port)
            hash.add(instance.weight)
            hash.add(instance.tags.count)
            for tag in instance.tags { hash.add(tag) }
            hash.add(instance.meta.count)
            if !instance.meta.isEmpty {  // sorting allocates even for no keys; most instances have none
                for key in instance.meta.keys.sorted() {
                    hash.add(key)
                    hash.add(instance.meta[key]!)
                }
            }
        }
        return hash.value
    }

    /// A service's remote part, given the digest of each locality's instances (in locality order).
    public static func digest(of service: RemoteService, instanceDigests: [UInt64]) -> UInt64 {
        precondition(instanceDigests.count == service.localities.count, "one instance digest per locality")
        var hash = ContentHash()
        hash.add(service.localWeight ?? 0)
        hash.add(service.localities.count)
        for index in service.localities.indices {
            let locality = service.localities[index]
            hash.add(locality.datacenter)
            hash.add(locality.priority)
            hash.add(locality.weight ?? 0)
            hash.add(instanceDigests[index])
        }
        return hash.value
    }

    /// The state's version from each service's digest; `services` must be sorted by name.
    public static func version(ofSortedServiceDigests services: [(name: String, digest: UInt64)]) -> String {
        var hash = ContentHash()
        for service in services {
            hash.add(service.name)
            hash.add(service.digest)
        }
        return hash.hex
    }

    /// One service's digest, its instances' digests computed afresh.
    public static func digest(of service: RemoteService) -> UInt64 {
        digest(of: service, instanceDigests: service.localities.map { digest(of: $0.instances) })
    }

    /// The version from every service's digest (any order).
    public static func version(ofServiceDigests digests: [String: UInt64]) -> String {
        version(ofSortedServiceDigests: digests.keys.sorted().map { ($0, digests[$0]!) })
    }

    /// The version of `services`, every digest computed afresh (what a receiving control plane checks).
    public static func version(of services: [String: RemoteService]) -> String {
        version(ofServiceDigests: services.mapValues(digest(of:)))
    }
}
