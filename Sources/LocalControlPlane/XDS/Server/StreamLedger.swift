/// What both protocol machines keep for one stream besides their rules: the snapshot it serves, each subscribed
/// type's state, and the nonces it has issued.
struct StreamLedger<TypeState> {
    /// A type, once subscribed, stays (a state is only ever taken out while it is being changed).
    var types = TypeSlots<TypeState>()
    var snapshot: Snapshot?
    let controlPlaneId: String
    private var noncesIssued = 0

    init(controlPlaneId: String) {
        self.controlPlaneId = controlPlaneId
    }

    /// Serves `newSnapshot` from now on: the one served before, and the subscribed types. One mutating call, so the
    /// generic snapshot path (`DiscoveryProtocol.handle`) does not copy the ledger to read it (a read of `ledger`
    /// there goes through the protocol's getter, which copies it).
    mutating func serve(_ newSnapshot: Snapshot) -> (previous: Snapshot?, types: TypeSet) {
        defer { snapshot = newSnapshot }
        return (snapshot, types.heldTypes)
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
