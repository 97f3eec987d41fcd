import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Shared

/// Watches `--registry-file`: re-reads it when its content changes and applies the new catalog.
/// A file that does not parse is logged and counted; the last good catalog stays in force.
public struct FileRegistrySource: Service {
    private let path: String
    private let interval: Duration
    private let cache: SnapshotCache
    private let status: RegistryStatus
    private let logger = Logger(label: "registry.file")
    private let updates = Counter(label: MetricNames.registryUpdates, dimensions: [(MetricNames.sourceLabel, "file")])
    private let errors = Counter(label: MetricNames.registryErrors, dimensions: [(MetricNames.sourceLabel, "file")])
    private let lastSuccess = Gauge(label: MetricNames.registryLastSuccess, dimensions: [(MetricNames.sourceLabel, "file")])

    public init(path: String, cache: SnapshotCache, status: RegistryStatus, interval: Duration = .milliseconds(200)) {
        self.path = path
        self.interval = interval
        self.cache = cache
        self.status = status
    }

    public func run() async throws {
        var lastContent: Data?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            lastContent = await poll(lastContent)
            try? await Task.sleep(for: interval)
        }
    }

    /// Reads the file once; returns the content now in force (unchanged on errors, so they are retried).
    private func poll(_ lastContent: Data?) async -> Data? {
        guard let content = FileManager.default.contents(atPath: path) else {
            let synced = await status.hasSynced
            if lastContent != nil || !synced {
                await fail("cannot read \(path)", previous: lastContent)
            }
            return lastContent
        }
        guard content != lastContent else { return lastContent }
        do {
            let catalog = try RegistryFile.parse(String(decoding: content, as: UTF8.self))
            await cache.apply(catalog)
            await status.succeeded(detail: "\(catalog.services.count) services from \(path)")
            updates.increment()
            lastSuccess.record(Date().timeIntervalSince1970)
            logger.info("registry file loaded", metadata: ["path": "\(path)", "services": "\(catalog.services.count)"])
            return content
        } catch {
            await fail("\(error)", previous: lastContent)
            return content  // do not re-parse the same bad bytes every tick
        }
    }

    private func fail(_ reason: String, previous: Data?) async {
        errors.increment()
        await status.failed(reason)
        logger.error("registry file rejected; keeping the last good catalog", metadata: ["path": "\(path)", "error": "\(reason)"])
    }
}
