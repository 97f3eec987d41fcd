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
    private let sink: CatalogSink
    private let status: RegistryStatus
    private let logger = Logger(label: "registry.file")
    private let updates = Counter(label: MetricNames.registryUpdates, dimensions: [(MetricNames.sourceLabel, "file")])
    private let errors = Counter(label: MetricNames.registryErrors, dimensions: [(MetricNames.sourceLabel, "file")])
    private let lastSuccess = Gauge(label: MetricNames.registryLastSuccess, dimensions: [(MetricNames.sourceLabel, "file")])
    private let drops = InstanceDropLog(source: "file", logger: Logger(label: "registry.file"))

    public init(path: String, sink: CatalogSink, status: RegistryStatus, interval: Duration = .milliseconds(200)) {
        self.path = path
        self.interval = interval
        self.sink = sink
        self.status = status
    }

    /// What the watcher last saw: the file's identity, the bytes in force and the last failure (reported once, not
    /// every tick).
    private struct WatchState {
        var identity: FileIdentity?
        var content: Data?
        var failure: String?
    }

    public func run() async throws {
        var state = WatchState()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            state = await poll(state)
            try? await Task.sleep(for: interval)
        }
    }

    private func poll(_ state: WatchState) async -> WatchState {
        // A file of 40,000 instances is megabytes: read it only when its metadata says it may have changed.
        let identity = FileIdentity(of: path)
        if identity != nil, identity == state.identity { return state }
        guard let content = FileManager.default.contents(atPath: path) else {
            return await fail("cannot read \(path)", state)
        }
        var state = state
        state.identity = identity
        guard content != state.content else { return state }
        do {
            let parsed = try RegistryFile.parse(String(decoding: content, as: UTF8.self))
            let catalog = parsed.catalog
            drops.report(parsed.dropped)
            await sink.apply(catalog, sourceIndex: identity?.modifiedMilliseconds ?? 0)
            await status.succeeded(detail: "\(catalog.services.count) services from \(path)")
            updates.increment()
            lastSuccess.record(Date().timeIntervalSince1970)
            logger.info("registry file loaded", metadata: ["path": "\(path)", "services": "\(catalog.services.count)"])
            return WatchState(identity: identity, content: content)
        } catch {
            // Remember the bad bytes so they are not re-parsed every tick; the last good catalog stays in the cache.
            var failed = await fail("\(error)", state)
            failed.content = content
            return failed
        }
    }

    private func fail(_ reason: String, _ state: WatchState) async -> WatchState {
        guard reason != state.failure else { return state }
        errors.increment()
        await status.failed(reason)
        logger.error("registry file rejected; keeping the last good catalog", metadata: ["path": "\(path)", "error": "\(reason)"])
        var failed = state
        failed.failure = reason
        return failed
    }
}

/// What tells a file's versions apart without reading it: modification time, size and inode (a rename gives a new one).
private struct FileIdentity: Equatable {
    let modified: Date
    let size: UInt64
    let inode: UInt64

    init?(of path: String) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let modified = attributes[.modificationDate] as? Date else { return nil }
        self.modified = modified
        size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
    }

    /// The modification time in ms: how replicas of one DC reading copies of a file tell the newer copy.
    var modifiedMilliseconds: UInt64 { UInt64(max(0, modified.timeIntervalSince1970 * 1000)) }
}
