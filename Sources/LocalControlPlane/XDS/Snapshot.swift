import Shared
import Synchronization

/// The immutable set of resources one group of Envoys receives, with a content-derived version per type.
public struct Snapshot: Sendable {
    public let resources: [ResourceType: [String: EncodedResource]]
    private let versions: [ResourceType: String]
    /// When the change this snapshot carries reached the cache: the start of `xds_change_propagation_seconds`.
    public let changedAt: ContinuousClock.Instant
    /// Encoded size of every resource in it.
    public let byteCount: Int
    /// Named subscriptions (EDS, RDS) → their version: every stream of a group subscribes to the same names, so
    /// the version is computed once per snapshot instead of once per stream.
    private let namedVersions = NamedVersions()

    public init(_ byType: [ResourceType: [EncodedResource]], changedAt: ContinuousClock.Instant = .now) {
        var resources: [ResourceType: [String: EncodedResource]] = [:]
        var versions: [ResourceType: String] = [:]
        for type in ResourceType.allCases {
            let list = byType[type] ?? []
            resources[type] = Dictionary(list.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
            versions[type] = Self.version(of: list)
        }
        self.resources = resources
        self.versions = versions
        self.changedAt = changedAt
        byteCount = byType.values.joined().reduce(0) { $0 + $1.any.value.count }
    }

    /// The resources of `type` an Envoy subscribed to (`nil` names: all of them), sorted by name.
    public func resources(_ type: ResourceType, named names: Set<String>? = nil) -> [EncodedResource] {
        let all = resources[type] ?? [:]
        let selected = names.map { $0.compactMap { all[$0] } } ?? Array(all.values)
        return selected.sorted { $0.name < $1.name }
    }

    /// The version of exactly the resources `resources(type, named:)` returns.
    public func version(_ type: ResourceType, named names: Set<String>? = nil) -> String {
        guard let names else { return versions[type] ?? Self.version(of: []) }
        return namedVersions.value(for: type, names) { Self.version(of: resources(type, named: names)) }
    }

    public var resourceCount: Int { resources.values.reduce(0) { $0 + $1.count } }

    private static func version(of resources: [EncodedResource]) -> String {
        var hash = ContentHash()
        for resource in resources.sorted(by: { $0.name < $1.name }) {
            hash.add(resource.name)
            hash.add(resource.version)
        }
        return hash.hex
    }
}

/// A snapshot's memo of named-subscription versions, shared by the streams that read the snapshot.
private final class NamedVersions: Sendable {
    private struct Key: Hashable {
        let type: ResourceType
        let names: Set<String>
    }

    private let memo = Mutex<[Key: String]>([:])

    func value(for type: ResourceType, _ names: Set<String>, compute: () -> String) -> String {
        let key = Key(type: type, names: names)
        if let known = memo.withLock({ $0[key] }) { return known }
        let version = compute()
        memo.withLock { $0[key] = version }
        return version
    }
}
