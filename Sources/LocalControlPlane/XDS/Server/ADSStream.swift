import EnvoyAPI
import GRPCCore
import Logging
import Metrics

/// Runs one xDS stream (ADS, or one type's): reads Envoy's requests, watches its group's snapshots, and writes what
/// the protocol machine decides. Requests and snapshots are handled one at a time, in arrival order.
struct ADSStream<Machine: DiscoveryProtocol> {
    let context: StreamContext
    let metrics: XDSMetrics
    /// On a per-type service (CDS, EDS, LDS, RDS, SDS): the only type its requests may name.
    let onlyType: ResourceType?
    /// Who the TLS handshake says the Envoy is.
    let peer: PeerIdentity

    private var cache: SnapshotCache { context.cache }
    private var registry: StreamRegistry { context.registry }
    private var logger: Logger { context.logger }

    private enum Event: Sendable {
        case request(IncomingRequest<Machine.Request>)
        case snapshotReady
    }

    private struct Session {
        let profile: ProxyProfile
        let watch: SnapshotCache.Watch
        let streamID: Int
        let nodeId: String
    }

    func run(
        requests: RPCAsyncSequence<IncomingRequest<Machine.Request>, any Error>, writer: RPCWriter<EncodedResponse>
    ) async throws {
        let (events, continuation) = AsyncStream<Event>.makeStream()
        let mailbox = SnapshotMailbox { continuation.yield(.snapshotReady) }
        var session: Session?
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { continuation.finish() }
                    for try await request in requests {
                        continuation.yield(.request(request))
                    }
                }
                try await serve(events, mailbox: mailbox, session: &session, writer: writer)
                group.cancelAll()
                try await group.waitForAll()
            }
        } catch {
            await close(session)
            throw error
        }
        await close(session)
    }

    /// Answers requests and pushes snapshots, one event at a time, until the requests end.
    @inline(never)
    private func serve(
        _ events: AsyncStream<Event>, mailbox: SnapshotMailbox, session: inout Session?, writer: RPCWriter<EncodedResponse>
    ) async throws {
        var machine = Machine(controlPlaneId: context.controlPlaneId)
        var propagation = PropagationClock()
        for await event in events {
            let responses: [EncodedResponse]
            switch event {
            case .request(let incoming):
                try checkType(of: incoming.message)
                if session == nil {
                    session = try await open(first: incoming, mailbox: mailbox)
                }
                responses = answer(incoming.message, machine: &machine, propagation: &propagation, session: session!)
            case .snapshotReady:
                guard let snapshot = mailbox.take() else { continue }
                responses = push(snapshot, machine: &machine, propagation: &propagation)
            }
            try await send(responses, session: session!, writer: writer)
        }
    }

    // The loop's work runs in these synchronous, never-inlined functions: their temporaries then live on the thread's
    // stack while they run, not in the stream's async frame, which is kept for the stream's whole life (inlined, the
    // frame was 12 KB per stream).

    @inline(never)
    private func checkType(of request: Machine.Request) throws {
        if let onlyType, Machine.typeURL(of: request) != onlyType.typeURL {
            throw RPCError(
                code: .invalidArgument,
                message: "this is the \(onlyType.shortName) service; request \(Machine.typeURL(of: request)) over ADS or its own service")
        }
    }

    @inline(never)
    private func answer(
        _ request: Machine.Request, machine: inout Machine, propagation: inout PropagationClock, session: Session
    ) -> [EncodedResponse] {
        let (outcome, responses) = machine.handle(request)
        if let type = ResourceType(rawValue: Machine.typeURL(of: request)), let elapsed = propagation.settle(type, outcome) {
            metrics.changePropagation.record(duration: elapsed)
        }
        note(outcome, of: request, session: session)
        return responses
    }

    @inline(never)
    private func push(_ snapshot: Snapshot, machine: inout Machine, propagation: inout PropagationClock) -> [EncodedResponse] {
        let responses = machine.handle(snapshot)
        for response in responses {
            guard let type = ResourceType(rawValue: response.typeURL) else { continue }
            propagation.sent(type, changedAt: snapshot.changedAt)
        }
        return responses
    }

    private func open(first request: IncomingRequest<Machine.Request>, mailbox: SnapshotMailbox) async throws -> Session {
        let (nodeId, profile) = try profile(of: request)
        let api = onlyType?.shortName ?? "ADS"
        // The watch's first snapshot is only taken once `open` returned, so the stream is registered before it is sent.
        let watch = await cache.watch(profile, into: mailbox)
        let streamID = registry.register(nodeId: nodeId, profile: profile, group: watch.group, protocolName: Machine.protocolName, api: api)
        logOpened(nodeId: nodeId, profile: profile, group: watch.group, api: api)
        return Session(profile: profile, watch: watch, streamID: streamID, nodeId: nodeId)
    }

    /// The node of a stream's first request and the profile its metadata asks for; refusals are counted and logged.
    @inline(never)
    private func profile(of request: IncomingRequest<Machine.Request>) throws -> (nodeId: String, profile: ProxyProfile) {
        let node: EnvoyNode?
        do {
            node = try Machine.node(of: request)
        } catch {
            metrics.rejectedStreams.increment()
            throw RPCError(code: .invalidArgument, message: "the node does not decode: \(error)")
        }
        guard let node else {
            metrics.rejectedStreams.increment()
            throw RPCError(code: .invalidArgument, message: "the first request of a stream must carry the node")
        }
        let parsed: NodeMetadataParser.ParsedNode
        do {
            parsed = try NodeMetadataParser.read(
                metadata: node.metadata, nodeCluster: node.cluster, envoyVersion: EnvoyVersion(node), properties: context.properties)
        } catch {
            metrics.rejectedStreams.increment()
            logger.warning("stream rejected", metadata: ["node": "\(node.id)", "error": "\(error)"])
            throw RPCError(code: .invalidArgument, message: error.description)
        }
        // Once per Envoy: every Envoy has one stream that carries clusters (ADS or CDS).
        if !parsed.unsupported.isEmpty, onlyType == nil || onlyType == .cluster {
            logger.notice("node metadata accepted; these keys are not honoured yet", metadata: [
                "node": "\(node.id)", "keys": "\(parsed.unsupported.sorted().joined(separator: ", "))",
            ])
            for key in parsed.unsupported { metrics.unsupportedMetadata(key).increment() }
        }
        return (node.id, withIssuedCertificate(parsed.profile, node: node.id))
    }

    @inline(never)
    private func logOpened(nodeId: String, profile: ProxyProfile, group: String, api: String) {
        logger.info("stream opened", metadata: [
            "node": "\(nodeId)", "service": "\(profile.serviceName)", "group": "\(group)",
            "protocol": "\(Machine.protocolName)", "api": "\(api)",
        ])
    }

    /// With `sidecarCertificates` on, an Envoy with listeners and no secrets of its own gets its service's certificate
    /// over SDS — only once it proved to be that service; otherwise it is served without mTLS, logged and counted.
    private func withIssuedCertificate(_ parsed: ProxyProfile, node: String) -> ProxyProfile {
        guard let authentication = context.nodeAuthentication, parsed.listeners != nil, parsed.certificate == nil else { return parsed }
        let tls = context.properties.incomingPermissions.tlsAuthentication
        guard peer.mayReceiveCertificate(of: parsed.serviceName, authentication, tls) else {
            if onlyType == nil || onlyType == .cluster {
                metrics.certificateRefusals.increment()
                logger.warning("no sidecar certificate: the xDS client certificate does not name this service", metadata: [
                    "node": "\(node)", "service": "\(parsed.serviceName)", "expected": "\(tls.sanURI(of: parsed.serviceName))",
                    "presented": "\(peer.uris)",
                ])
            }
            return parsed
        }
        var profile = parsed
        profile.issuedCertificate = true
        return profile
    }

    private func note(_ outcome: RequestOutcome, of request: Machine.Request, session: Session) {
        let typeURL = Machine.typeURL(of: request)
        guard let type = ResourceType(rawValue: typeURL) else {
            logger.warning("request for an unknown resource type", metadata: ["node": "\(session.nodeId)", "type": "\(typeURL)"])
            return
        }
        switch outcome {
        case .ack: metrics.acks(type).increment()
        case .nack(let version, let detail):
            metrics.nacks(type).increment()
            logger.error("envoy rejected config (NACK); it keeps its last good config", metadata: [
                "node": "\(session.nodeId)", "group": "\(session.watch.group)", "type": "\(type.shortName)",
                "version": "\(version)", "error": "\(detail)",
            ])
        case .stale, .subscribe, .unknownType: break
        }
        registry.record(session.streamID, type: type, outcome: outcome)
    }

    private func send(_ responses: [EncodedResponse], session: Session, writer: RPCWriter<EncodedResponse>) async throws {
        guard !responses.isEmpty else { return }
        var types: [ResourceType] = []
        for response in responses {
            try await writer.write(response)
            if let type = ResourceType(rawValue: response.typeURL) {
                metrics.responses(type).increment()
                types.append(type)
            }
        }
        registry.recordResponses(session.streamID, types: types)
    }

    private func close(_ session: Session?) async {
        guard let session else { return }
        await cache.cancelWatch(session.watch.id, profile: session.profile)
        registry.unregister(session.streamID)
        logger.info("stream closed", metadata: ["node": "\(session.nodeId)", "group": "\(session.watch.group)"])
    }
}

/// Per type, the oldest change sent to one stream and not yet ACKed; `xds_change_propagation_seconds` ends at the
/// ACK (a later ACK covers the earlier changes too).
struct PropagationClock {
    private var pendingSince: [ResourceType: ContinuousClock.Instant] = [:]

    mutating func sent(_ type: ResourceType, changedAt: ContinuousClock.Instant) {
        pendingSince[type] = pendingSince[type] ?? changedAt
    }

    /// The propagation time when `outcome` ACKs a pending change; a NACK drops it, since that change never arrives.
    mutating func settle(_ type: ResourceType, _ outcome: RequestOutcome) -> Duration? {
        switch outcome {
        case .ack: return pendingSince.removeValue(forKey: type).map { .now - $0 }
        case .nack: pendingSince[type] = nil
        case .stale, .subscribe, .unknownType: break
        }
        return nil
    }
}
