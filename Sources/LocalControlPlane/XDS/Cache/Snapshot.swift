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
    private let namedVersions = SnapshotMemo<NamedResources, String>()
    /// Encoded response bodies (all but the nonce): streams of a group that need the same response share one.
    private let responseBodies = SnapshotMemo<ResponseBodyKey, [UInt8]>()

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
        return namedVersions.value(for: NamedResources(type: type, names: names)) {
            Self.version(of: resources(type, named: names))
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
    /// The resources in the response (`nil`: all of the type).
    let resources: Set<String>?
    /// Delta only: the names reported removed.
    let removed: [String]
    let controlPlaneId: String
}

private struct NamedResources: Hashable, Sendable {
    let type: ResourceType
    let names: Set<String>
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
