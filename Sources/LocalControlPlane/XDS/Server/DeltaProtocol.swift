import EnvoyAPI

/// The incremental (delta) xDS protocol for one stream, free of I/O. It tracks, per type, what the
/// Envoy subscribed to and which version of each resource it has, and sends only the differences:
/// changed resources, and `removed_resources` for those that no longer exist.
struct DeltaProtocol {
    struct TypeState {
        var wildcard: Bool
        var names: Set<String>
        /// Resource name → the version the Envoy has (after applying what was sent).
        var clientVersions: [String: String]
        var lastNonce: String?
        var answered = false
        /// The version of the type whose resources `clientVersions` mirror over the scope: set by every answer, cleared
        /// when the scope changes. A stream in step with the snapshot it served before owes exactly that snapshot's
        /// changes within its scope, which every stream of the group shares (`Snapshot.changes`).
        var inStepWith: String?
    }

    var ledger: StreamLedger<TypeState>

    init(controlPlaneId: String) {
        ledger = StreamLedger(controlPlaneId: controlPlaneId)
    }

    mutating func handle(_ incoming: IncomingRequest<DeltaDiscoveryRequest>) -> (outcome: RequestOutcome, responses: [EncodedResponse]) {
        let request = incoming.message
        guard let type = ResourceType(rawValue: request.typeURL) else { return (.unknownType(request.typeURL), []) }
        let isFirst = !ledger.types.holds(type)
        if isFirst {
            ledger.types[type] = TypeState(
                wildcard: type.isWildcardByDefault && request.resourceNamesSubscribe.isEmpty,
                names: [], clientVersions: request.initialResourceVersions)
        }
        // Changed in place: an ACK, most requests, only reads the nonce.
        let (outcome, scopeChanged) = Self.apply(request, isFirst: isFirst, to: &ledger.types[held: type])
        // A request that leaves the subscription as it was (an ACK, a NACK) owes nothing: every snapshot is diffed
        // when it is pushed, so an answered type is always in step with the stream's snapshot.
        guard scopeChanged || !ledger.types[held: type].answered else { return (outcome, []) }
        let subscribedNew = !request.resourceNamesSubscribe.isEmpty
        let responses = respond(type, answerEvenIfEmpty: isFirst || subscribedNew).map { [$0] } ?? []
        return (outcome, responses)
    }

    /// `request`'s subscription changes and what it says of the last response; whether the scope changed.
    private static func apply(
        _ request: DeltaDiscoveryRequest, isFirst: Bool, to state: inout TypeState
    ) -> (outcome: RequestOutcome, scopeChanged: Bool) {
        for name in request.resourceNamesSubscribe {
            if name == "*" { state.wildcard = true } else { state.names.insert(name) }
        }
        for name in request.resourceNamesUnsubscribe {
            if name == "*" { state.wildcard = false } else { state.names.remove(name) }
            state.clientVersions[name] = nil
        }
        let outcome: RequestOutcome
        if request.responseNonce.isEmpty {
            outcome = .subscribe
        } else if request.responseNonce != state.lastNonce {
            outcome = .stale
        } else if request.hasErrorDetail {
            outcome = .nack(version: request.responseNonce, detail: request.errorDetail.message)
        } else {
            outcome = .ack(version: request.responseNonce)
        }
        let scopeChanged = isFirst || !request.resourceNamesSubscribe.isEmpty || !request.resourceNamesUnsubscribe.isEmpty
        if scopeChanged && !state.wildcard {
            // What is out of scope is forgotten (initial versions of names not subscribed, what a wildcard held), once
            // here: the scope stays as it is until the next such request.
            let names = state.names
            state.clientVersions = state.clientVersions.filter { names.contains($0.key) }
        }
        if scopeChanged { state.inStepWith = nil }
        return (outcome, scopeChanged)
    }

    mutating func respondToNewSnapshot(_ type: ResourceType, previous: Snapshot?) -> EncodedResponse? {
        respond(type, answerEvenIfEmpty: false, previous: previous)
    }

    private mutating func respond(_ type: ResourceType, answerEvenIfEmpty: Bool, previous: Snapshot? = nil) -> EncodedResponse? {
        guard let snapshot = ledger.snapshot, var state = ledger.types.take(type) else { return nil }
        // Taken out of the ledger while it changes, so its `clientVersions` are updated in place, not copied.
        defer { ledger.types[type] = state }
        // The first answer of a type is owed even when empty, also if the snapshot arrived after the request.
        let answerEvenIfEmpty = answerEvenIfEmpty || !state.answered
        let (changed, removed) =
            if !answerEvenIfEmpty, let previous, let synced = state.inStepWith, synced == previous.version(type) {
                Self.differences(snapshot.changes(type, since: previous), within: state)
            } else {
                Self.differences(snapshot.resources[type] ?? [:], from: state, answerEvenIfEmpty: answerEvenIfEmpty)
            }
        state.inStepWith = snapshot.version(type)
        guard !changed.isEmpty || !removed.isEmpty || !state.answered else { return nil }
        // Streams of a group that were up to date receive the same differences: their body is encoded once.
        let controlPlaneId = ledger.controlPlaneId
        let response = ledger.response(
            type, protocolName: Self.protocolName, resources: .listed(changed.map(\.name)), removed: removed, from: snapshot
        ) {
            EncodedResponse.deltaBody(
                type, systemVersion: snapshot.version(type), resources: changed, removed: removed, controlPlaneId: controlPlaneId)
        }
        for resource in changed { state.clientVersions[resource.name] = resource.version }
        for name in removed { state.clientVersions[name] = nil }
        state.lastNonce = response.nonce
        state.answered = true
        return response
    }

    /// What `state` lacks of `available`, resource by resource over its scope; sorted by name.
    private static func differences(
        _ available: [String: EncodedResource], from state: TypeState, answerEvenIfEmpty: Bool
    ) -> (changed: [EncodedResource], removed: [String]) {
        // Wildcard scope includes what the Envoy holds, so resources that disappeared are reported removed.
        let inScope = state.wildcard ? Set(available.keys).union(state.names).union(state.clientVersions.keys) : state.names
        var changed: [EncodedResource] = []
        var removed: [String] = []
        for name in inScope {
            if let resource = available[name] {
                if state.clientVersions[name] != resource.version { changed.append(resource) }
            } else if state.clientVersions[name] != nil || (answerEvenIfEmpty && state.names.contains(name)) {
                removed.append(name)  // gone, or never existed: tell the Envoy so it stops waiting for it
            }
        }
        // Sorted for one body per group (and a stable order); usually one or two, where the scope is a dozen or more.
        changed.sort { $0.name < $1.name }
        removed.sort()
        return (changed, removed)
    }

    /// The snapshot's `changes` within `state`'s scope, for a state in step with the snapshot they are counted from:
    /// what it holds of a changed name is that snapshot's version, so every change in scope is owed.
    private static func differences(
        _ changes: [ResourceChange], within state: TypeState
    ) -> (changed: [EncodedResource], removed: [String]) {
        var changed: [EncodedResource] = []
        var removed: [String] = []
        for change in changes where state.wildcard || state.names.contains(change.name) {
            if let resource = change.resource { changed.append(resource) } else { removed.append(change.name) }
        }
        return (changed, removed)
    }
}
