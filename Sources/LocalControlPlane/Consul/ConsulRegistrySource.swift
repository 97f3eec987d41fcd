import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Shared

/// Watches a Consul agent's catalog with blocking queries: one watch on the service list, one per service on its
/// healthy instances, started and stopped as services come and go. Changes are debounced into one catalog update.
/// On any fault the last good catalog stays in force; the fault shows in logs, metrics and `/ready`.
public struct ConsulRegistrySource: Service {
    private let client: ConsulClient
    private let settings: ConsulWatchSettings
    private let sink: CatalogSink
    private let status: RegistryStatus
    private let logger = Logger(label: "registry.consul")

    public init(url: String, token: String?, http: HTTPClient, settings: ConsulWatchSettings, sink: CatalogSink, status: RegistryStatus) {
        client = ConsulClient(baseURL: url.hasSuffix("/") ? String(url.dropLast()) : url, token: token, http: http)
        self.settings = settings
        self.sink = sink
        self.status = status
    }

    public func run() async throws {
        let state = ConsulCatalogState()
        let slots = WatchSlots(settings.maxConcurrentWatches)
        let metrics = ConsulMetrics()
        try await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await publish(state, metrics) }
                await watchServiceList(state, slots, metrics) { name, generation in
                    group.addTask { await watchService(name, generation, state, slots, metrics) }
                }
                await state.finish()
            }
        }
    }

    /// The `/v1/catalog/services` watch; `startWatch` is called for every service that appears.
    private func watchServiceList(
        _ state: ConsulCatalogState, _ slots: WatchSlots, _ metrics: ConsulMetrics, startWatch: (String, Int) -> Void
    ) async {
        var index = BlockingIndex()
        var pacer = WatchPacer(settings)
        var failing = false
        while !Task.isCancelled {
            guard (try? await pacer.awaitTurn()) != nil else { return }
            let started = ContinuousClock.now
            await slots.acquire()
            let result = await Result { () async throws(ConsulError) in try await client.services(index: index.value, wait: settings.wait) }
            await slots.release()
            switch result {
            case .success(let response):
                metrics.succeeded(.services, after: ContinuousClock.now - started)
                recovered(&failing, endpoint: .services)
                let outcome = index.accept(response.index)
                pacer.succeeded(outcome)
                if outcome == .reset { logger.notice("Consul index went backwards; reading the service list afresh") }
                guard outcome != .unchanged else { continue }
                let valid = response.body.filter { ServiceName.isValid($0.key) }
                if valid.count < response.body.count {
                    logger.warning("ignoring services whose names are not valid", metadata: [
                        "names": "\(response.body.keys.filter { !ServiceName.isValid($0) }.prefix(10))",
                    ])
                }
                for (name, generation) in await state.setServices(valid) { startWatch(name, generation) }
                metrics.watches.record(await state.watchCount)
            case .failure(let error):
                guard !Task.isCancelled else { return }
                pacer.failed()
                await failed(error, endpoint: .services, metrics, alreadyFailing: &failing)
            }
        }
    }

    /// The `/v1/health/service/<name>` watch of one service; ends when the service leaves the catalog.
    private func watchService(_ name: String, _ generation: Int, _ state: ConsulCatalogState, _ slots: WatchSlots, _ metrics: ConsulMetrics) async {
        var index = BlockingIndex()
        var pacer = WatchPacer(settings)
        var failing = false
        while !Task.isCancelled, await state.isWatched(name, generation: generation) {
            guard (try? await pacer.awaitTurn()) != nil else { return }
            let started = ContinuousClock.now
            await slots.acquire()
            let result = await Result { () async throws(ConsulError) in
                try await client.health(of: name, index: index.value, wait: settings.wait, passingOnly: !settings.includeWarning)
            }
            await slots.release()
            switch result {
            case .success(let response):
                metrics.succeeded(.health, after: ContinuousClock.now - started)
                recovered(&failing, endpoint: .health, service: name)
                let outcome = index.accept(response.index)
                pacer.succeeded(outcome)
                guard outcome != .unchanged else { continue }
                let instances = response.body.compactMap { $0.instance(includeWarning: settings.includeWarning) }
                await state.update(name, generation: generation, instances: instances)
            case .failure(let error):
                guard !Task.isCancelled else { return }
                pacer.failed()
                await failed(error, endpoint: .health, metrics, service: name, alreadyFailing: &failing)
            }
        }
    }

    /// Hands the catalog to the cache once per debounce window while changes keep coming.
    private func publish(_ state: ConsulCatalogState, _ metrics: ConsulMetrics) async {
        for await _ in state.changeSignals {
            try? await Task.sleep(for: settings.debounce)
            guard let catalog = await state.catalog() else { continue }
            await sink.apply(catalog)
            metrics.updates.increment()
            let instances = catalog.services.values.reduce(0) { $0 + $1.instances.count }
            await status.succeeded(detail: "\(catalog.services.count) services, \(instances) instances from \(client.baseURL)")
            logger.debug("catalog published", metadata: ["services": "\(catalog.services.count)", "instances": "\(instances)"])
        }
    }

    /// Counts every failure; logs only the first of a streak (a Consul outage would otherwise log once per watch
    /// per backoff step).
    private func failed(
        _ error: ConsulError, endpoint: ConsulMetrics.Endpoint, _ metrics: ConsulMetrics, service: String? = nil,
        alreadyFailing: inout Bool
    ) async {
        metrics.failed(endpoint)
        await status.failed("\(error)")
        guard !alreadyFailing else { return }
        alreadyFailing = true
        var metadata: Logger.Metadata = ["endpoint": "\(endpoint.rawValue)", "error": "\(error)"]
        if let service { metadata["service"] = "\(service)" }
        logger.warning("Consul watch failing; keeping the last good catalog", metadata: metadata)
    }

    private func recovered(_ failing: inout Bool, endpoint: ConsulMetrics.Endpoint, service: String? = nil) {
        guard failing else { return }
        failing = false
        var metadata: Logger.Metadata = ["endpoint": "\(endpoint.rawValue)"]
        if let service { metadata["service"] = "\(service)" }
        logger.info("Consul watch recovered", metadata: metadata)
    }
}

extension Result where Failure == ConsulError {
    init(catching body: () async throws(ConsulError) -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
