import Shared
import Synchronization

/// The immutable set of resources one group of Envoys receives, with a content-derived version per type.
public final class Snapshot: Sendable {
    public let resources: [ResourceType: [String: EncodedResource]]
    /// Indexed by `ResourceType.pushOrder`: every stream compares two snapshots' versions of each type on each push.
    private let versions: [String]
    /// When the change this snapshot carries reached the cache: the start of `xds_change_propagation_seconds`.
    public let changedAt: ContinuousClock.Instant
    /// Encoded size of every resource in it.
    public let byteCount: Int
    /// Named subscriptions (EDS, RDS) → their version: every stream of a group subscribes to the same names, so
    /// the version is computed once per snapshot instead of once per stream.
    private let namedVersions = SnapshotMemo<NamedResources, String>()
    /// `changes(_:since:)` per type and earlier version.
    private let typeChanges = SnapshotMemo<TypeChangesKey, [ResourceChange]>()
    /// Encoded response bodies (all but the nonce): streams of a group that need the same response share one.
    private let responseBodies = SnapshotMemo<ResponseBodyKey, [UInt8]>()

    public init(_ byType: [ResourceType: [EncodedResource]], changedAt: ContinuousClock.Instant = .now) {
        var resources: [ResourceType: [String: EncodedResource]] = [:]
        var versions: [String] = []
        for type in ResourceType.allCases {
            let list = byType[type] ?? []
            resources[type] = Dictionary(list.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
            versions.append(Self.version(of: list))
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

    /// The version of every resource of `type`.
    public func version(_ type: ResourceType) -> String { versions[type.pushOrder] }

    /// The version of exactly the resources `resources(type, named: names?.names)` returns.
    func version(_ type: ResourceType, named names: ResourceNames?) -> String {
        guard let names else { return version(type) }
        return namedVersions.value(for: NamedResources(type: type, names: names)) {
            Self.version(of: resources(type, named: names.names))
        }
    }

    /// What changed in `type` since `previous`, sorted by name: resources added or changed, and names removed (`nil`
    /// resource). Computed once per pair for every stream of the group that was in step with `previous`.
    func changes(_ type: ResourceType, since previous: Snapshot) -> [ResourceChange] {
        typeChanges.value(for: TypeChangesKey(type: type, from: previous.version(type))) {
            let before = previous.resources[type] ?? [:]
            let after = resources[type] ?? [:]
            let changed = after.values.filter { before[$0.name]?.version != $0.version }
                .map { ResourceChange(name: $0.name, resource: $0) }
            let removed = before.keys.filter { after[$0] == nil }.map { ResourceChange(name: $0, resource: nil) }
            return (changed + removed).sorted { $0.name < $1.name }
        }
    }

    /// The body of a response built from this snapshot, encoded by `encode` the first time a stream needs it.
    func responseBody(_ key: ResponseBodyKey, encode: () -> [UInt8]) -> [UInt8] {
        responseBodies.value(for: key, compute: encode)
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

/// What a response body depends on besides the snapshot it is built from.
struct ResponseBodyKey: Hashable, Sendable {
    let protocolName: String
    let type: ResourceType
    let resources: ResponseResources
    /// Delta only: the names reported removed.
    let removed: [String]
    let controlPlaneId: String
}

/// The resources a response body carries.
enum ResponseResources: Hashable, Sendable {
    /// Every resource of the type (a wildcard subscription).
    case all
    /// Those of a named subscription.
    case subscribed(ResourceNames)
    /// Exactly these (delta: the changed ones, sorted).
    case listed([String])
}

/// A resource added or changed (`resource`), or removed (`nil`), between two snapshots.
struct ResourceChange: Sendable {
    let name: String
    let resource: EncodedResource?
}

private struct NamedResources: Hashable, Sendable {
    let type: ResourceType
    let names: ResourceNames
}

private struct TypeChangesKey: Hashable, Sendable {
    let type: ResourceType
    let from: String
}

/// Values derived from one snapshot that every stream of its group would otherwise compute again.
private final class SnapshotMemo<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let memo = Mutex<[Key: Value]>([:])

    func value(for key: Key, compute: () -> Value) -> Value {
        if let known = memo.withLock({ $0[key] }) { return known }
        let value = compute()
        memo.withLock { $0[key] = value }
        return value
    }
}
