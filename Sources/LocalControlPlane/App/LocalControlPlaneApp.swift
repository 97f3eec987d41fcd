import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Shared

/// Assembles the local control plane: registry source → snapshot cache → xDS services (ADS, CDS, EDS, LDS, RDS), plus
/// the HTTP API.
public struct LocalControlPlaneApp {
    public let config: ValidLocalControlPlaneConfig
    public let cache: SnapshotCache
    public let streams = StreamRegistry()
    public let registryStatus: RegistryStatus
    public let publisher: LocalStatePublisher
    public let remoteState: RemoteStateStore
    private let metrics: MetricsBootstrap?

    public init(config: ValidLocalControlPlaneConfig, metrics: MetricsBootstrap?) {
        self.config = config
        self.metrics = metrics
        cache = SnapshotCache(
            datacenter: config.datacenter, properties: config.snapshot, tagFilter: config.tagFilter,
            sidecarCertificates: config.sidecarCertificates)
        registryStatus = RegistryStatus(
            source: config.consul.map { "consul:\($0.url)" } ?? config.registryFile.map { "file:\($0)" } ?? "embedded")
        publisher = LocalStatePublisher(datacenter: config.datacenter)
        remoteState = RemoteStateStore(
            datacenter: config.datacenter, file: URL(fileURLWithPath: config.remoteStateFile), cache: cache, publisher: publisher)
    }

    public func run() async throws {
        let logger = Logger(label: "local-control-plane")
        let controlPlaneId = "local-control-plane/\(config.datacenter)/\(ProcessInfo.processInfo.hostName)"
        let discovery = DiscoveryService(
            cache: cache, registry: streams, controlPlaneId: controlPlaneId, properties: config.snapshot,
            nodeAuthentication: config.sidecarCertificates?.settings.nodeAuthentication)
        let xds = XDSServer(host: config.bind, port: config.xdsPort, tls: config.tls, discovery: discovery)
        let api = ControlPlaneAPI(
            cache: cache, streams: streams, registryStatus: registryStatus, metrics: metrics,
            federation: FederationAPI(
                publisher: publisher, remoteState: remoteState, registryStatus: registryStatus, pushToken: config.pushToken,
                stateToken: config.stateToken),
            datacenter: config.datacenter)
        if config.pushToken == nil {
            logger.warning("no --push-token-file: PUT /v1/remote-state is refused, this DC gets no cross-DC endpoints")
        }
        await remoteState.restore()
        let sink = CatalogSink(cache: cache, state: publisher)
        let http = Application(
            router: api.router(),
            server: try HTTPServerSettings.builder(tls: config.tls),
            configuration: .init(address: .hostname(config.bind, port: config.httpPort), serverName: "local-control-plane"),
            logger: Logger(label: "http"))

        var services: [any Service] = [xds, http]
        if let reloader = config.tls?.reloader { services.append(reloader) }
        if let issuer = config.sidecarCertificates {
            services.append(SidecarCertificateRotation(cache: cache, settings: issuer.settings))
            if issuer.settings.nodeAuthentication == .nodeMetadata {
                logger.warning("sidecarCertificates.nodeAuthentication is nodeMetadata: any peer that reaches the xDS port gets any service's key")
            }
        }
        var consulConnections: ConsulConnections?
        if let consul = config.consul {
            let connections = ConsulConnections(maxConcurrentWatches: consul.settings.maxConcurrentWatches)
            consulConnections = connections
            services.append(ConsulRegistrySource(
                url: consul.url, token: consul.token, connections: connections, settings: consul.settings, sink: sink, status: registryStatus))
        } else if let registryFile = config.registryFile {
            services.append(FileRegistrySource(path: registryFile, sink: sink, status: registryStatus))
        } else {
            await sink.apply(.empty, sourceIndex: 0)
            await registryStatus.succeeded(detail: "embedded default registry (no services)")
        }
        // Last in the list, so first to run at shutdown: open long-polls end before the HTTP server drains.
        services.append(ShutdownAction { [publisher] in await publisher.close() })
        let registrySource = await registryStatus.current.source
        logger.info("starting", metadata: [
            "datacenter": "\(config.datacenter)", "xds": "\(config.bind):\(config.xdsPort)",
            "http": "\(config.bind):\(config.httpPort)", "registry": "\(registrySource)", "mtls": "\(config.tls != nil)",
        ])
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await consulConnections?.shutdown()
            throw error
        }
        try await consulConnections?.shutdown()
    }
}
