import EnvoyAPI
import GRPCCore
import Logging
import Metrics
import NIOCore

/// One xDS stream (ADS, or one type's) on its HTTP/2 stream's event loop: reads Envoy's requests, watches its
/// group's snapshots and writes what the protocol machine decides, in arrival order. Nothing here awaits: a request is
/// answered in the read that brought it, and a new snapshot hops onto the event loop once. Only opening the watch
/// (an actor call) runs in a task; requests that arrive meanwhile wait for it in order.
final class ADSStream<Machine: DiscoveryProtocol>: XDSCall {
    let context: StreamContext
    let metrics: XDSMetrics
    /// On a per-type service (CDS, EDS, LDS, RDS, SDS): the only type its requests may name.
    let onlyType: ResourceType?
    /// Who the TLS handshake says the Envoy is.
    let peer: PeerIdentity
    private unowned let output: XDSStreamHandler

    private var cache: SnapshotCache { context.cache }
    private var registry: StreamRegistry { context.registry }
    private var logger: Logger { context.logger }

    /// A class: every push and request reads it, and copying a `ProxyProfile` retains each of its many fields.
    private final class Session {
        let profile: ProxyProfile
        let watch: SnapshotCache.Watch
        let status: StreamRegistry.Stream
        let nodeId: String

        init(profile: ProxyProfile, watch: SnapshotCache.Watch, status: StreamRegistry.Stream, nodeId: String) {
            (self.profile, self.watch, self.status, self.nodeId) = (profile, watch, status, nodeId)
        }
    }

    private var machine: Machine
    private var propagation = PropagationClock()
    private var session: Session?
    /// Requests read while the watch opens, answered in order once it is open.
    private var waiting: [IncomingRequest<Machine.Request>] = []
    private var closed = false
    /// Set when the watch starts opening.
    private var mailbox: SnapshotMailbox?

    init(context: StreamContext, metrics: XDSMetrics, onlyType: ResourceType?, peer: PeerIdentity, output: XDSStreamHandler) {
        (self.context, self.metrics, self.onlyType, self.peer, self.output) = (context, metrics, onlyType, peer, output)
        machine = Machine(controlPlaneId: context.controlPlaneId)
    }

    func receive(_ message: [UInt8]) throws {
        let incoming = try Machine.deserializer.deserialize(message)
        try checkType(of: incoming.message)
        guard let session else {
            waiting.append(incoming)
            if mailbox == nil { try open(first: incoming) }
            return
        }
        send(answer(incoming, session: session), session: session)
    }

    /// A snapshot is waiting, or the stream can take writes again: push the newest snapshot. A stream whose Envoy
    /// does not read leaves it in the mailbox, where later snapshots replace it, so it holds at most one snapshot and
    /// what HTTP/2 flow control already buffered.
    func pushIfReady() {
        guard !closed, let session, output.isWritable, let snapshot = mailbox?.take() else { return }
        send(push(snapshot), session: session)
        output.flush()
    }

    func resumed() {
        pushIfReady()
    }

    func close() {
        guard !closed else { return }
        closed = true
        guard let session else { return }
        cancel(session.watch, profile: session.profile)
        registry.unregister(session.status)
        logger.info("stream closed", metadata: ["node": "\(session.nodeId)", "group": "\(session.watch.group)"])
    }

    /// Reads the profile now; the watch opens in a task, and the stream goes on on its event loop once it is open.
    private func open(first request: IncomingRequest<Machine.Request>) throws {
        let (nodeId, profile) = try profile(of: request)
        let stream = NIOLoopBound(self, eventLoop: output.eventLoop)
        let mailbox = SnapshotMailbox { stream.eventLoop.execute { stream.value.pushIfReady() } }
        self.mailbox = mailbox
        let cache = cache
        Task {
            let watch = await cache.watch(profile, into: mailbox)
            stream.eventLoop.execute { stream.value.opened(watch, nodeId: nodeId) }
        }
    }

    private func opened(_ watch: SnapshotCache.Watch, nodeId: String) {
        let profile = watch.profile
        guard !closed else {
            cancel(watch, profile: profile)
            return
        }
        let api = onlyType?.shortName ?? "ADS"
        let status = registry.register(nodeId: nodeId, profile: profile, group: watch.group, protocolName: Machine.protocolName, api: api)
        logOpened(nodeId: nodeId, profile: profile, group: watch.group, api: api)
        let session = Session(profile: profile, watch: watch, status: status, nodeId: nodeId)
        self.session = session
        for request in waiting {
            send(answer(request, session: session), session: session)
        }
        waiting = []
        // The watch's first snapshot may have woken the stream before it was open; it is taken now.
        pushIfReady()
        output.flush()
    }

    private func cancel(_ watch: SnapshotCache.Watch, profile: ProxyProfile) {
        let cache = cache
        Task { await cache.cancelWatch(watch.id, profile: profile) }
    }

    private func checkType(of request: Machine.Request) throws {
        if let onlyType, Machine.typeURL(of: request) != onlyType.typeURL {
            throw RPCError(
                code: .invalidArgument,
                message: "this is the \(onlyType.shortName) service; request \(Machine.typeURL(of: request)) over ADS or its own service")
        }
    }

    private func answer(_ request: IncomingRequest<Machine.Request>, session: Session) -> [EncodedResponse] {
        let (outcome, responses) = machine.handle(request)
        let typeURL = Machine.typeURL(of: request.message)
        guard let type = ResourceType(rawValue: typeURL) else {
            logger.warning("request for an unknown resource type", metadata: ["node": "\(session.nodeId)", "type": "\(typeURL)"])
            return responses
        }
        if let elapsed = propagation.settle(type, outcome) {
            metrics.changePropagation.record(duration: elapsed)
        }
        note(outcome, of: type, session: session)
        return responses
    }

    private func push(_ snapshot: Snapshot) -> [EncodedResponse] {
        let responses = machine.handle(snapshot)
        for response in responses {
            propagation.sent(response.type, changedAt: snapshot.changedAt)
        }
        return responses
    }

    /// The node of a stream's first request and the profile its metadata asks for; refusals are counted and logged.
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

    private func note(_ outcome: RequestOutcome, of type: ResourceType, session: Session) {
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
        session.status.record(type, outcome: outcome)
    }

    private func send(_ responses: [EncodedResponse], session: Session) {
        guard !responses.isEmpty else { return }
        for response in responses {
            output.write(response)
            metrics.responses(response.type).increment()
        }
        session.status.recordResponses(responses)
    }
}

/// Per type, the oldest change sent to one stream and not yet ACKed; `xds_change_propagation_seconds` ends at the
/// ACK (a later ACK covers the earlier changes too).
struct PropagationClock {
    private var pendingSince = TypeSlots<ContinuousClock.Instant>()

    mutating func sent(_ type: ResourceType, changedAt: ContinuousClock.Instant) {
        if !pendingSince.holds(type) { pendingSince[type] = changedAt }
    }

    /// The propagation time when `outcome` ACKs a pending change; a NACK drops it, since that change never arrives.
    mutating func settle(_ type: ResourceType, _ outcome: RequestOutcome) -> Duration? {
        switch outcome {
        case .ack: return pendingSince.take(type).map { .now - $0 }
        case .nack: pendingSince[type] = nil
        case .stale, .subscribe, .unknownType: break
        }
        return nil
    }
}
