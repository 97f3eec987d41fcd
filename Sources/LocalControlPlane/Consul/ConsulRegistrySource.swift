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
    private let drops = InstanceDropLog(source: "consul", logger: Logger(label: "registry.consul"))

    public init(
        url: String, token: String?, connections: ConsulConnections, settings: ConsulWatchSettings, sink: CatalogSink, status: RegistryStatus
    ) {
        client = ConsulClient(baseURL: url.hasSuffix("/") ? String(url.dropLast()) : url, token: token, connections: connections)
        self.settings = settings
        self.sink = sink
        self.status = status
    }

    public func run() async throws {
        let state = ConsulCatalogState()
        let slots = WatchSlots(settings.maxConcurrentWatches)
        let metrics = ConsulMetrics()
        await cancelWhenGracefulShutdown {
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
        await blockingWatch(.services, slots, metrics) { index, memo throws(ConsulError) in
            try await client.services(index: index, wait: settings.wait, memo: &memo)
        } apply: { services, outcome, index in
            if outcome == .reset { logger.notice("Consul index went backwards; reading the service list afresh") }
            let valid = services.filter { ServiceName.isValid($0.key) }
            if valid.count < services.count {
                logger.warning("ignoring services whose names are not valid", metadata: [
                    "names": "\(services.keys.filter { !ServiceName.isValid($0) }.prefix(10))",
                ])
            }
            for (name, generation) in await state.setServices(valid, index: index) { startWatch(name, generation) }
            metrics.watches.record(await state.watchCount)
        }
    }

    /// The `/v1/health/service/<name>` watch of one service; ends when the service leaves the catalog.
    private func watchService(_ name: String, _ generation: Int, _ state: ConsulCatalogState, _ slots: WatchSlots, _ metrics: ConsulMetrics) async {
        await blockingWatch(.health, service: name, slots, metrics) {
            await state.isWatched(name, generation: generation)
        } read: { index, memo throws(ConsulError) in
            try await client.health(of: name, index: index, wait: settings.wait, passingOnly: !settings.includeWarning, memo: &memo)
        } apply: { entries, _, index in
            let (instances, dropped) = ConsulHealthAnswer.usable(entries, service: name, includeWarning: settings.includeWarning)
            drops.report(dropped)
            await state.update(name, generation: generation, instances: instances, index: index)
        }
    }

    /// One blocking-query loop: paced, within the slots, following Consul's index rules; `apply` gets every answer
    /// that is not "unchanged". Ends on cancellation or once `isWanted` turns false.
    private func blockingWatch<Body: Sendable>(
        _ endpoint: ConsulMetrics.Endpoint, service: String? = nil, _ slots: WatchSlots, _ metrics: ConsulMetrics,
        isWanted: () async -> Bool = { true },
        read: (UInt64, inout ConsulAnswerMemo<Body>) async throws(ConsulError) -> ConsulResponse<Body>,
        apply: (Body, BlockingIndex.Outcome, UInt64) async -> Void
    ) async {
        var index = BlockingIndex()
        var memo = ConsulAnswerMemo<Body>()
        var pacer = WatchPacer(settings)
        var failing = false
        while !Task.isCancelled, await isWanted() {
            guard (try? await pacer.awaitTurn()) != nil else { return }
            let started = ContinuousClock.now
            guard (try? await slots.acquire()) != nil else { return }
            let result: Result<ConsulResponse<Body>, ConsulError>
            do {
                result = .success(try await read(index.value, &memo))
            } catch {
                result = .failure(error)
            }
            await slots.release()
            switch result {
            case .success(let response):
                metrics.succeeded(endpoint, after: ContinuousClock.now - started)
                await recovered(&failing, endpoint: endpoint, service: service)
                let outcome = index.accept(response.index)
                pacer.succeeded(outcome)
                if outcome != .unchanged { await apply(response.body, outcome, response.index) }
            case .failure(let error):
                guard !Task.isCancelled else { return }
                pacer.failed()
                await failed(error, endpoint: endpoint, metrics, service: service, alreadyFailing: &failing)
            }
        }
    }

    /// Hands the catalog to the cache at most once per debounce window: a change after a quiet window goes at once,
    /// changes that follow within the window wait for its end and go together. (Waiting a whole window after every
    /// change added its length to every change; under a steady stream of changes both coalesce alike.)
    private func publish(_ state: ConsulCatalogState, _ metrics: ConsulMetrics) async {
        var lastPublished: ContinuousClock.Instant?
        for await _ in state.changeSignals {
            if let lastPublished { try? await Task.sleep(until: lastPublished + settings.debounce) }
            guard let (catalog, sourceIndex) = await state.catalog() else { continue }
            lastPublished = .now
            await sink.apply(catalog, sourceIndex: sourceIndex)
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

    private func recovered(_ failing: inout Bool, endpoint: ConsulMetrics.Endpoint, service: String? = nil) async {
        guard failing else { return }
        failing = false
        await status.recovered()
        var metadata: Logger.Metadata = ["endpoint": "\(endpoint.rawValue)"]
        if let service { metadata["service"] = "\(service)" }
        logger.info("Consul watch recovered", metadata: metadata)
    }
}
