/// What both protocol machines keep for one stream besides their rules: the snapshot it serves, each subscribed
/// type's state, and the nonces it has issued.
struct StreamLedger<TypeState> {
    /// A type, once subscribed, stays (an entry is only ever taken out while it is being changed).
    var types: [ResourceType: TypeState] = [:]
    var snapshot: Snapshot?
    let controlPlaneId: String
    private var noncesIssued = 0
    /// `types`' keys in push order, kept for every push instead of picked again (an array per stream per push).
    private var subscribedTypes: [ResourceType] = []

    init(controlPlaneId: String) {
        self.controlPlaneId = controlPlaneId
    }

    /// Serves `newSnapshot` from now on: the one served before, and the subscribed types in push order. One mutating
    /// call, so the generic snapshot path (`DiscoveryProtocol.handle`) does not copy the ledger to read it; the types
    /// are picked from `allCases` (push order) by key rather than sorted, which ran unspecialised here (3 % of the CPU),
    /// or read through `types[type]`, which copies each type's state to test it, and only when one was added.
    mutating func serve(_ newSnapshot: Snapshot) -> (previous: Snapshot?, types: [ResourceType]) {
        defer { snapshot = newSnapshot }
        if subscribedTypes.count != types.count {
            subscribedTypes = ResourceType.allCases.filter(types.keys.contains)
        }
        return (snapshot, subscribedTypes)
    }

    /// The next response of `type` with this stream's next nonce. Its body is encoded once per snapshot for every
    /// stream of a group that sends the same resources (`resources`, `removed`).
    mutating func response(
        _ type: ResourceType, protocolName: String, resources: ResponseResources, removed: [String] = [],
        from snapshot: Snapshot, encode: () -> [UInt8]
    ) -> EncodedResponse {
        noncesIssued += 1
        let key = ResponseBodyKey(
            protocolName: protocolName, type: type, resources: resources, removed: removed, controlPlaneId: controlPlaneId)
        return EncodedResponse(type: type, body: snapshot.responseBody(key, encode: encode), nonce: String(noncesIssued))
    }
}
