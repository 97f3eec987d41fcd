import EnvoyAPI

/// The state-of-the-world xDS protocol for one stream, free of I/O: it takes Envoy's requests and
/// new snapshots and says which responses to send. Rules (Envoy's xDS protocol doc):
/// - a request whose `response_nonce` is not the last one sent for its type is stale and ignored;
/// - `error_detail` marks a NACK: the Envoy keeps its last good config, nothing is re-sent until something changes;
/// - a response is sent only when the resources an Envoy subscribed to differ from what it has.
struct SotWProtocol {
    struct TypeState {
        /// `nil` means wildcard: every resource of the type.
        var names: ResourceNames?
        /// The names as the last request sent them (`IncomingRequest.encodedNames`; nil when they came decoded):
        /// an ACK repeats the list, and comparing its bytes costs less than decoding it and building the set again.
        var requested: [UInt8]?
        /// The version the Envoy has, or will have once it applies the last response.
        var knownVersion: String
        var lastNonce: String?
    }

    var ledger: StreamLedger<TypeState>

    init(controlPlaneId: String) {
        ledger = StreamLedger(controlPlaneId: controlPlaneId)
    }

    mutating func handle(_ incoming: IncomingRequest<DiscoveryRequest>) -> (outcome: RequestOutcome, responses: [EncodedResponse]) {
        let request = incoming.message
        guard let type = ResourceType(rawValue: request.typeURL) else { return (.unknownType(request.typeURL), []) }
        let requested = request.resourceNames.isEmpty ? incoming.encodedNames : nil
        guard ledger.types.holds(type) else {
            let names = Self.subscription(type, incoming.names(in: \.resourceNames))
            ledger.types[type] = TypeState(names: names, requested: requested, knownVersion: request.versionInfo)
            let outcome: RequestOutcome = request.hasErrorDetail
                ? .nack(version: request.versionInfo, detail: request.errorDetail.message) : .subscribe
            return (outcome, respond(type, force: true).map { [$0] } ?? [])
        }
        // Changed in place: an ACK, most requests, compares the nonce and the names' bytes.
        let (outcome, subscriptionChanged) = Self.apply(incoming, requested: requested, of: type, to: &ledger.types[held: type])
        // A request that keeps the subscription (an ACK, a NACK) owes nothing: every snapshot is checked when it is
        // pushed, so a subscribed type is always answered up to the stream's snapshot.
        guard subscriptionChanged else { return (outcome, []) }
        return (outcome, respond(type, force: true).map { [$0] } ?? [])
    }

    /// A request on a subscribed type: what it says of the last response; whether its names change the subscription.
    private static func apply(
        _ incoming: IncomingRequest<DiscoveryRequest>, requested: [UInt8]?, of type: ResourceType, to state: inout TypeState
    ) -> (outcome: RequestOutcome, subscriptionChanged: Bool) {
        let request = incoming.message
        if !request.responseNonce.isEmpty, request.responseNonce != state.lastNonce { return (.stale, false) }
        var subscriptionChanged = false
        if requested == nil || state.requested != requested {
            let names = Self.subscription(type, incoming.names(in: \.resourceNames))
            subscriptionChanged = !ResourceNames.same(state.names, names)
            state.names = names
            state.requested = requested
        }
        if request.hasErrorDetail {
            // knownVersion stays at the rejected version: re-sending it would only be rejected again.
            return (.nack(version: request.versionInfo, detail: request.errorDetail.message), subscriptionChanged)
        }
        let outcome: RequestOutcome = subscriptionChanged && request.responseNonce.isEmpty ? .subscribe : .ack(version: request.versionInfo)
        return (outcome, subscriptionChanged)
    }

    mutating func respondToNewSnapshot(_ type: ResourceType, previous: Snapshot?) -> EncodedResponse? { respond(type, force: false) }

    private mutating func respond(_ type: ResourceType, force: Bool) -> EncodedResponse? {
        guard let snapshot = ledger.snapshot, ledger.types.holds(type) else { return nil }
        // The fields read in place: copying the whole state retained each of them.
        let names = ledger.types[held: type].names
        let knownVersion = ledger.types[held: type].knownVersion
        let version = snapshot.version(type, named: names)
        guard force || version != knownVersion else { return nil }
        // A forced answer to an Envoy that already has this exact version is still skipped (reconnects).
        if force, version == knownVersion, ledger.types[held: type].lastNonce == nil, !knownVersion.isEmpty { return nil }
        let controlPlaneId = ledger.controlPlaneId
        let carried: ResponseResources = names.map { .subscribed($0) } ?? .all
        let response = ledger.response(type, protocolName: Self.protocolName, resources: carried, from: snapshot) {
            EncodedResponse.sotwBody(
                type, version: version, resources: snapshot.resources(type, named: names?.names), controlPlaneId: controlPlaneId)
        }
        ledger.types[held: type].knownVersion = version
        ledger.types[held: type].lastNonce = response.nonce
        return response
    }

    private static func subscription(_ type: ResourceType, _ names: [String]) -> ResourceNames? {
        if names.contains("*") || (names.isEmpty && type.isWildcardByDefault) { return nil }
        return .interned(Set(names))
    }
}
