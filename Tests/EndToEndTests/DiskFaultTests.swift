import Foundation
import GRDB
import Testing

/// The aggregator's SQLite file under real disk faults: the state keeps flowing to Envoys from memory, the fault is
/// reported (`/ready` storage, `aggregator_store_healthy`, `aggregator_store_errors_total`), and the state is on
/// disk again once the disk is.
@Suite("Reliability: the aggregator's disk", .serialized, .timeLimit(.minutes(5)))
struct DiskFaultTests {
    @Test("disk full, read-only, file deleted, file truncated: served from memory, reported, written again",
          .enabled(if: TmpfsMount.available, "needs permission to mount a tmpfs"))
    func diskFaults() async throws {
        let disk = try TmpfsMount(at: try TestEnvironment.temporaryDirectory("reliability-disk").appendingPathComponent("disk"), megabytes: 8)
        defer { disk.unmount() }
        let database = disk.path.appendingPathComponent("state.sqlite")
        let world = try await FederationWorld(
            name: "reliability-disk", dc1Backends: [], dc2Backends: ["dc2-a", "dc2-b"], aggregatorDatabase: database)
        defer { world.stop() }
        #expect(await TestEnvironment.waitUntil { await world.endpointsInDC1() == [world.backend("dc2-a").address, world.backend("dc2-b").address] })

        for (round, fault) in ["full", "read-only", "deleted", "truncated"].enumerated() {
            let target = round.isMultiple(of: 2) ? "dc2-a" : "dc2-b"
            switch fault {
            case "full": disk.fill()
            case "read-only":
                // A filesystem with files open for writing cannot be remounted read-only, so the aggregator restarts
                // onto it, as after a host whose disk came back read-only.
                world.aggregator.process.kill9()
                try disk.remount(readOnly: true)
                world.aggregator = try world.aggregator.restarted()
            case "deleted": try FileManager.default.removeItem(at: database)
            default:
                let size = (try FileManager.default.attributesOfItem(atPath: database.path)[.size] as? Int) ?? 0
                let handle = try FileHandle(forWritingTo: database)
                try handle.truncate(atOffset: UInt64(size / 2))
                try handle.close()
            }
            try world.dc2.writeRegistry(world.registry([target]))
            let served = await TestEnvironment.waitUntil(timeout: .seconds(20)) { await world.endpointsInDC1() == [world.backend(target).address] }
            let metrics = await HTTP.text("\(world.aggregator.api)/metrics") ?? ""
            let readiness = await HTTP.text("\(world.aggregator.api)/ready") ?? ""
            let reported = metrics.contains("aggregator_store_healthy 0") && readiness.contains("cannot write")
            switch fault {
            case "full": disk.unfill()
            case "read-only": try disk.remount(readOnly: false)
            default: break
            }
            let repaired = ContinuousClock.now
            let port = world.backend(target).address.split(separator: ":").last.map(String.init) ?? ""
            let persisted = await TestEnvironment.waitUntil(timeout: .seconds(20), every: .milliseconds(200)) {
                let stored = Self.storedDC2(at: database)?.contains("\"port\":\(port)") == true
                let healthy = (await HTTP.text("\(world.aggregator.api)/metrics") ?? "").contains("aggregator_store_healthy 1")
                return stored && healthy
            }
            ReliabilityScale.report(
                "disk \(fault): change served from memory \(served), fault reported \(reported), on disk again \(ContinuousClock.now - repaired) after the repair (\(persisted))")
            #expect(served, "\(fault): the change reached dc1's Envoy from memory")
            if fault == "full" || fault == "read-only" { #expect(reported, "\(fault): reported in /ready and metrics") }
            #expect(persisted, "\(fault): written again; log:\n\(world.aggregator.process.log.suffix(1500))")
            #expect(Self.integrity(at: database) == "ok", "\(fault): the file on disk is sound")
            #expect(world.aggregator.process.isRunning)
        }
    }

    private static func integrity(at database: URL) -> String? {
        var configuration = Configuration()
        configuration.readonly = true
        return try? DatabaseQueue(path: database.path, configuration: configuration).read { db in
            try String.fetchOne(db, sql: "PRAGMA integrity_check")
        }
    }

    /// dc2's stored state as JSON text, read like an operator would with sqlite3.
    private static func storedDC2(at database: URL) -> String? {
        var configuration = Configuration()
        configuration.readonly = true
        return try? DatabaseQueue(path: database.path, configuration: configuration).read { db in
            try Data.fetchOne(db, sql: "SELECT body FROM datacenter_state WHERE datacenter = 'dc2'").map { String(decoding: $0, as: UTF8.self) }
        }
    }
}
