import Foundation
import GRDB
import Logging
import Shared

/// The aggregator's last-known view in SQLite (GRDB, WAL): every DC's last good state and the push generation.
/// The store never stops the aggregator: a file that cannot be used leaves it running from memory, with the reason
/// in `problem`, and every write tries the disk again. A corrupt file (at start or found while writing) is moved
/// aside to `<path>.corrupt-<time>` and a new file started; so is a deleted one (SQLite would otherwise go on
/// writing to the unlinked inode and lose it all at the next restart). After such a fresh start the caller must
/// write everything again (`takeFreshStart`). The SQL itself is `StateDatabase`'s.
public actor StateStore {
    private let path: String?
    private var database: any DatabaseWriter
    private var onDisk: Bool
    /// Why the state is not safely on disk right now (unusable file, failed write), or nil.
    public private(set) var problem: String?
    private var freshStart = false
    /// A write failed: open the file again before the next one (a connection SQLite opened read-only, or one that
    /// saw an I/O error, stays that way).
    private var reopen = false
    /// Per DC: a new state of a DC is encoded reusing the JSON of its unchanged services (megabytes per DC per change otherwise).
    private var encoders: [String: DatacenterStateEncoder] = [:]
    private let logger: Logger

    public init(path: String?, logger: Logger = Logger(label: "aggregator.store")) {
        self.path = path
        self.logger = logger
        guard let path else {
            (database, onDisk, problem) = (StateDatabase.memory(), false, "no --database given")
            return
        }
        let opened = Self.open(path, logger: logger)
        (database, onDisk, problem, freshStart) = (opened.database, opened.onDisk, opened.problem, opened.freshStart)
    }

    /// True once after the store started over on a new file (or got its file back): every state must be written again.
    public func takeFreshStart() -> Bool {
        defer { freshStart = false }
        return freshStart
    }

    // MARK: - data

    /// Stores DC states, the new times of `confirmed` ones (stored before, unchanged since), and raises the generation
    /// to at least `generation`, in one transaction; the caller keeps the states pending until this returned.
    public func save(_ snapshots: [DatacenterSnapshot], confirmed: [String: Date] = [:], generation: UInt64 = 0) async throws {
        let rows = try snapshots.map { snapshot in
            let datacenter = snapshot.state.datacenter
            return StateDatabase.StateRow(
                datacenter: datacenter, body: try encoders[datacenter, default: .init()].encode(snapshot.state), receivedAt: snapshot.receivedAt)
        }
        try await write { db in try StateDatabase.save(db, rows: rows, confirmed: confirmed, generation: generation) }
    }

    /// Every stored DC state that still decodes and validates; a bad row is skipped with its reason.
    public func loadAll() async throws -> (snapshots: [String: DatacenterSnapshot], problems: [String]) {
        var snapshots: [String: DatacenterSnapshot] = [:]
        var problems: [String] = []
        for row in try await database.read(StateDatabase.stateRows) {
            do {
                let admitted = try StateValidation.admit(try JSONDecoder().decode(DatacenterState.self, from: row.body))
                guard admitted.state.datacenter == row.datacenter else {
                    problems.append("\(row.datacenter): stored state is of datacenter '\(admitted.state.datacenter)'")
                    continue
                }
                if !admitted.dropped.isEmpty || !admitted.droppedServices.isEmpty {
                    problems.append("\(row.datacenter): stored state used without \(admitted.dropped.count) instances and "
                        + "\(admitted.droppedServices.count) services that are no longer valid")
                }
                snapshots[row.datacenter] = DatacenterSnapshot(state: admitted.state, receivedAt: row.receivedAt)
            } catch {
                problems.append("\(row.datacenter): stored state does not decode: \(error)")
            }
        }
        return (snapshots, problems)
    }

    /// The push generation last persisted (0 for a new file); generations keep growing across restarts.
    public func storedGeneration() async throws -> UInt64 {
        try await database.read(StateDatabase.generation)
    }

    /// This aggregator's identity: drawn at random once and kept in the file, so each aggregator of a region pushes
    /// under its own name across restarts (a memory-only store draws a new one per run).
    public func aggregatorID() async throws -> UInt64 {
        try await write(StateDatabase.aggregatorID)
    }

    /// Makes the persisted generation at least `value` (after a control plane reported a newer one).
    public func raiseGeneration(to value: UInt64) async throws {
        try await write { db in try StateDatabase.raise(db, to: value) }
    }

    // MARK: - the file's health

    /// Every write goes through here: first the file is checked (deleted? back after an outage?), then a failure
    /// is recorded, and a corrupt file replaced.
    private func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        ensureFile()
        do {
            let result = try await database.write(updates)
            if onDisk, problem != nil {
                reopen = false
                logger.notice("SQLite store writable again", metadata: ["path": "\(path ?? "")"])
                problem = nil
            }
            return result
        } catch {
            if onDisk, let path {
                problem = "cannot write \(path): \(error)"
                reopen = true
                if StateDatabase.isCorrupt(error) { adopt(Self.startOver(path, because: "\(error)", logger: logger)) }
            }
            throw error
        }
    }

    /// Makes `database` the one to write to: the file, started anew when it was deleted, opened again after a failed
    /// write, or retried when the store runs in memory.
    private func ensureFile() {
        guard let path else { return }
        if onDisk, !FileManager.default.fileExists(atPath: path) {
            logger.error("SQLite file deleted while in use; starting a new one", metadata: ["path": "\(path)"])
            adopt(Self.startOver(path, because: "the file was deleted", logger: logger))
        } else if !onDisk || reopen {
            // SQLite shares one inode's locks and WAL index between the connections of a process: a connection
            // opened while the disk was read-only keeps the new ones read-only too, so it is closed first.
            if onDisk { try? (database as? DatabasePool)?.close() }
            let reopened = Self.open(path, logger: logger)
            if reopened.onDisk {
                if !onDisk { logger.notice("SQLite store usable again", metadata: ["path": "\(path)"]) }
                // Keep the reason until a write succeeds.
                adopt(Opened(database: reopened.database, onDisk: true, problem: problem, freshStart: true))
            } else if onDisk {
                adopt(reopened)  // in memory until the file opens again
            }
        }
    }

    /// What opening a path gave: the file, or memory with the reason.
    private struct Opened {
        var database: any DatabaseWriter
        var onDisk: Bool
        var problem: String?
        var freshStart = false
    }

    private func adopt(_ opened: Opened) {
        (database, onDisk, problem, freshStart, reopen) = (opened.database, opened.onDisk, opened.problem, opened.freshStart, false)
    }

    /// Opens `path`; a corrupt file is moved aside and replaced, an unusable one leaves the store in memory.
    private static func open(_ path: String, logger: Logger) -> Opened {
        do {
            return Opened(database: try StateDatabase.openFile(path), onDisk: true)
        } catch where StateDatabase.isCorrupt(error) {
            return startOver(path, because: "\(error)", logger: logger)
        } catch {
            logger.error("SQLite store unusable; keeping state in memory only", metadata: ["path": "\(path)", "error": "\(error)"])
            return Opened(database: StateDatabase.memory(), onDisk: false, problem: "cannot use \(path): \(error)")
        }
    }

    /// Moves a broken file (and its WAL) aside and starts a new one; in memory if even that fails.
    private static func startOver(_ path: String, because reason: String, logger: Logger) -> Opened {
        let aside = "\(path).corrupt-\(Int(Date().timeIntervalSince1970))"
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            try? FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
        }
        logger.error("SQLite file unusable; moved aside, starting a new one", metadata: [
            "path": "\(path)", "movedTo": "\(aside)", "reason": "\(reason)",
        ])
        do {
            return Opened(database: try StateDatabase.openFile(path), onDisk: true, freshStart: true)
        } catch {
            return Opened(database: StateDatabase.memory(), onDisk: false, problem: "cannot use \(path): \(error)")
        }
    }
}
