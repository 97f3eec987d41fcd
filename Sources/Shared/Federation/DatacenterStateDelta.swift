/// What changed in one DC's state since an index the poller holds: `GET /v1/state` answers this instead of the whole
/// state when the poller names a state of the same boot (a DC of 40,000 instances is megabytes of JSON; one change
/// alters one service). The poller applies it to the state it holds; when that is not the base, it asks for the whole.
public struct DatacenterStateDelta: Codable, Sendable, Equatable {
    public var datacenter: String
    public var bootId: String
    /// The index of the state this delta applies to.
    public var baseIndex: UInt64
    /// The index of the state the delta produces.
    public var index: UInt64
    /// Services added or changed since `baseIndex`, whole.
    public var changed: [WireService]
    /// Names of services removed since `baseIndex`.
    public var removed: [String]
    public var appliedRemoteVersion: String?
    public var synced: Bool
    public var sourceIndex: UInt64

    public init(
        datacenter: String, bootId: String, baseIndex: UInt64, index: UInt64, changed: [WireService], removed: [String],
        appliedRemoteVersion: String?, synced: Bool, sourceIndex: UInt64
    ) {
        self.datacenter = datacenter
        self.bootId = bootId
        self.baseIndex = baseIndex
        self.index = index
        self.changed = changed
        self.removed = removed
        self.appliedRemoteVersion = appliedRemoteVersion
        self.synced = synced
        self.sourceIndex = sourceIndex
    }

    public struct BaseMismatch: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }
}

extension DatacenterState {
    /// The state `delta` produces from this one, services in name order as the control plane serves them.
    public func applying(_ delta: DatacenterStateDelta) throws(DatacenterStateDelta.BaseMismatch) -> DatacenterState {
        guard delta.datacenter == datacenter, delta.bootId == bootId, delta.baseIndex == index else {
            throw .init(description: "delta on \(delta.datacenter) \(delta.bootId)@\(delta.baseIndex); held: \(datacenter) \(bootId)@\(index)")
        }
        var byName = Dictionary(services.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        for name in delta.removed { byName[name] = nil }
        for service in delta.changed { byName[service.name] = service }
        var next = self
        next.index = delta.index
        next.services = byName.keys.sorted().map { byName[$0]! }
        next.appliedRemoteVersion = delta.appliedRemoteVersion
        next.synced = delta.synced
        next.sourceIndex = delta.sourceIndex
        return next
    }
}
