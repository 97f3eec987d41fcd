import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Shared

/// Assembles the aggregator: SQLite store → core (restored) → pollers and pushers per control-plane
/// replica, the policy watcher and the HTTP API.
public struct GlobalAggregatorApp {
    public let config: ValidAggregatorConfig
    private let metrics: MetricsBootstrap?

    public init(config: ValidAggregatorConfig, metrics: MetricsBootstrap?) {
        self.config = config
        self.metrics = metrics
    }

    public func run() async throws {
        let logger = Logger(label: "global-aggregator")
        let store = StateStore(path: config.database)
        // Each aggregator of a region pushes under its own name (kept in its database), so two never share a
        // generation counter and control planes can tell whose slice of a DC they hold.
        let id = (try? await store.aggregatorID()) ?? UInt64.random(in: 1...UInt64.max)
        let core = AggregatorCore(
            generatedBy: "global-aggregator/\(config.region)/\(String(id, radix: 16))", datacenters: config.datacenters,
            policy: config.policy, store: store, initialSyncGrace: config.initialSyncGrace)
        await core.restore()
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 4
        clientConfiguration.timeout.connect = .seconds(3)
        // DC states arrive gzip-compressed; the limit guards against a decompression bomb.
        if let tls = config.tls { clientConfiguration.tlsConfiguration = tls.clientConfiguration }
        clientConfiguration.decompression = .enabled(limit: .size(DatacenterPoller.maxBodyBytes))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        var services: [any Service] = [PolicyWatcher(core: core, policyFile: config.policyFile)]
        if let reloader = config.tls?.reloader { services.append(reloader) }
        let bodies = PushBodies()
        for (datacenter, urls) in config.datacenters.sorted(by: { $0.key < $1.key }) {
            for url in urls {
                services.append(DatacenterPoller(
                    datacenter: datacenter, url: url, core: core, client: client, wait: config.pollWait, stateToken: config.stateToken))
                services.append(RemoteStatePusher(
                    datacenter: datacenter, url: url, core: core, client: client, token: config.pushToken, bodies: bodies))
            }
        }
        let api = AggregatorAPI(core: core, metrics: metrics, region: config.region)
        services.append(Application(
            router: api.router(),
            server: try HTTPServerSettings.builder(tls: config.tls),
            configuration: .init(address: .hostname(config.bind, port: config.httpPort), serverName: "global-aggregator"),
            logger: Logger(label: "http")))
        logger.info("starting", metadata: [
            "region": "\(config.region)", "generatedBy": "\(core.generatedBy)", "datacenters": "\(config.datacenters)", "database": "\(config.database ?? "memory")",
            "http": "\(config.bind):\(config.httpPort)", "mtls": "\(config.tls != nil)",
        ])
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}
