import Foundation
import GRDB
import Logging
import Shared
import Synchronization

/// The aggregator's last-known view in SQLite (GRDB, WAL): every DC's last good state and the push generation.
/// The store never stops the aggregator: a file that cannot be used leaves it running from memory, with the reason
/// in `problem`, and every write tries the disk again. A corrupt file (at start or found while writing) is moved
/// aside to `<path>.corrupt-<time>` and a new file started; so is a deleted one (SQLite would otherwise go on
/// writing to the unlinked inode and lose it all at the next restart). After such a fresh start the caller must
/// write everything again (`takeFreshStart`).
public final class StateStore: Sendable {
    private struct Storage {
        var database: any DatabaseWriter
        var onDisk: Bool
        var problem: String?
        var freshStart = false
        /// A write failed: open the file again before the next one (a connection SQLite opened read-only, or
        /// one that saw an I/O error, stays that way).
        var reopen = false
    }

    private let path: String?
    private let storage: Mutex<Storage>
    /// Per DC: a new state of a DC is encoded reusing the JSON of its unchanged services (megabytes per DC per change otherwise).
    private let encoders = Mutex<[String: DatacenterStateEncoder]>([:])
    private let logger: Logger

    public init(path: String?, logger: Logger = Logger(label: "aggregator.store")) {
        self.path = path
        self.logger = logger
        guard let path else {
            storage = Mutex(Storage(database: Self.memoryDatabase(), onDisk: false, problem: "no --database given"))
            return
        }
        storage = Mutex(Self.open(path, logger: logger))
    }

    /// Why the state is not safely on disk right now (unusable file, failed write), or nil.
    public var problem: String? { storage.withLock { $0.problem } }

    /// True once after the store started over on a new file (or got its file back): every state must be written again.
    public func takeFreshStart() -> Bool {
        storage.withLock { storage in
            defer { storage.freshStart = false }
            return storage.freshStart
        }
    }

    // MARK: - data

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "datacenter_state") { table in
                table.primaryKey("datacenter", .text)
                table.column("body", .blob).notNull()
                table.column("received_at", .double).notNull()
            }
            try db.create(table: "counter") { table in
                table.primaryKey("name", .text)
                table.column("value", .integer).notNull()
            }
        }
        return migrator
    }

    /// Stores DC states, the new times of `confirmed` ones (stored before, unchanged since), and raises the generation
    /// to at least `generation`, in one transaction; the caller keeps the states pending until this returned.
    public func save(_ snapshots: [DatacenterSnapshot], confirmed: [String: Date] = [:], generation: UInt64 = 0) async throws {
        let rows = try encoders.withLock { encoders in
            try snapshots.map { ($0.state.datacenter, try encoders[$0.state.datacenter, default: .init()].encode($0.state), $0.receivedAt.timeIntervalSince1970) }
        }
        try await write { db in
            for (datacenter, body, receivedAt) in rows {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO datacenter_state (datacenter, body, received_at) VALUES (?, ?, ?)",
                    arguments: [datacenter, body, receivedAt])
            }
            for (datacenter, receivedAt) in confirmed {
                try db.execute(
                    sql: "UPDATE datacenter_state SET received_at = ? WHERE datacenter = ?",
                    arguments: [receivedAt.timeIntervalSince1970, datacenter])
            }
            if generation > 0 { try Self.raise(db, to: generation) }
        }
    }

    /// Every stored DC state that still decodes and validates; a bad row is skipped with its reason.
    public func loadAll() async throws -> (snapshots: [String: DatacenterSnapshot], problems: [String]) {
        let rows = try storage.withLock { $0.database }.read { db in
            try Row.fetchAll(db, sql: "SELECT datacenter, body, received_at FROM datacenter_state")
        }
        var snapshots: [String: DatacenterSnapshot] = [:]
        var problems: [String] = []
        for row in rows {
            let datacenter: String = row["datacenter"]
            do {
                let admitted = try StateValidation.admit(try JSONDecoder().decode(DatacenterState.self, from: row["body"] as Data))
                let state = admitted.state
                guard state.datacenter == datacenter else {
                    problems.append("\(datacenter): stored state is of datacenter '\(state.datacenter)'")
                    continue
                }
                if !admitted.dropped.isEmpty || !admitted.droppedServices.isEmpty {
                    problems.append("\(datacenter): stored state used without \(admitted.dropped.count) instances and "
                        + "\(admitted.droppedServices.count) services that are no longer valid")
                }
                snapshots[datacenter] = DatacenterSnapshot(state: state, receivedAt: Date(timeIntervalSince1970: row["received_at"]))
            } catch {
                problems.append("\(datacenter): stored state does not decode: \(error)")
            }
        }
        return (snapshots, problems)
    }

    /// The push generation last persisted (0 for a new file); generations keep growing across restarts.
    public func storedGeneration() async throws -> UInt64 {
        try await storage.withLock { $0.database }.read { db in
            try UInt64.fetchOne(db, sql: "SELECT value FROM counter WHERE name = 'generation'") ?? 0
        }
    }

    /// This aggregator's identity: drawn at random once and kept in the file, so each aggregator of a region pushes
    /// under its own name across restarts (a memory-only store draws a new one per run).
    public func aggregatorID() async throws -> UInt64 {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO counter (name, value) VALUES ('aggregator_id', ?) ON CONFLICT(name) DO NOTHING",
                arguments: [Int64.random(in: 1...Int64.max)])
            return try UInt64.fetchOne(db, sql: "SELECT value FROM counter WHERE name = 'aggregator_id'") ?? 0
        }
    }

    /// Makes the persisted generation at least `value` (after a control plane reported a newer one).
    public func raiseGeneration(to value: UInt64) async throws {
        try await write { db in try Self.raise(db, to: value) }
    }

    private static func raise(_ db: Database, to value: UInt64) throws {
        try db.execute(
            sql: "INSERT INTO counter (name, value) VALUES ('generation', ?) ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)",
            arguments: [value])
    }

    // MARK: - the file's health

    /// Every write goes through here: first the file is checked (deleted? back after an outage?), then a failure
    /// is recorded, and a corrupt file replaced.
    private func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let database = ensureFile()
        do {
            let result = try await database.write(updates)
            storage.withLock { storage in
                if storage.onDisk, storage.problem != nil {
                    storage.reopen = false
                    logger.notice("SQLite store writable again", metadata: ["path": "\(path ?? "")"])
                    storage.problem = nil
                }
            }
            return result
        } catch {
            let corrupt = Self.isCorrupt(error)
            storage.withLock { storage in
                guard storage.onDisk, let path else { return }
                storage.problem = "cannot write \(path): \(error)"
                storage.reopen = true
                if corrupt { storage = Self.startOver(path, because: "\(error)", logger: logger) }
            }
            throw error
        }
    }

    /// The database to write to: the file, started anew when it was deleted, opened again after a failed write, or
    /// retried when the store runs in memory.
    private func ensureFile() -> any DatabaseWriter {
        storage.withLock { storage in
            guard let path else { return storage.database }
            if storage.onDisk, !FileManager.default.fileExists(atPath: path) {
                logger.error("SQLite file deleted while in use; starting a new one", metadata: ["path": "\(path)"])
                storage = Self.startOver(path, because: "the file was deleted", logger: logger)
            } else if !storage.onDisk || storage.reopen {
                // SQLite shares one inode's locks and WAL index between the connections of a process: a connection
                // opened while the disk was read-only keeps the new ones read-only too, so it is closed first.
                if storage.onDisk { try? (storage.database as? DatabasePool)?.close() }
                let reopened = Self.open(path, logger: logger)
                if reopened.onDisk {
                    if !storage.onDisk { logger.notice("SQLite store usable again", metadata: ["path": "\(path)"]) }
                    // Keep the reason until a write succeeds.
                    storage = Storage(database: reopened.database, onDisk: true, problem: storage.problem, freshStart: true)
                } else if storage.onDisk {
                    storage = reopened  // in memory until the file opens again
                }
            }
            return storage.database
        }
    }

    /// Opens `path`; a corrupt file is moved aside and replaced, an unusable one leaves the store in memory.
    private static func open(_ path: String, logger: Logger) -> Storage {
        do {
            return Storage(database: try openFile(path), onDisk: true)
        } catch where isCorrupt(error) {
            return startOver(path, because: "\(error)", logger: logger)
        } catch {
            logger.error("SQLite store unusable; keeping state in memory only", metadata: ["path": "\(path)", "error": "\(error)"])
            return Storage(database: memoryDatabase(), onDisk: false, problem: "cannot use \(path): \(error)")
        }
    }

    /// A file SQLite cannot read as a database, as opposed to one it cannot write right now.
    private static func isCorrupt(_ error: any Error) -> Bool {
        (error as? DatabaseError).map { [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains($0.resultCode) } ?? false
    }

    private static func openFile(_ path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        let pool = try DatabasePool(path: path, configuration: configuration)
        try migrator.migrate(pool)
        // A file damaged past its header opens fine; find that now rather than at the first read after a crash.
        let check = try pool.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check") }
        guard check == "ok" else { throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "quick_check: \(check ?? "no answer")") }
        return pool
    }

    /// Moves a broken file (and its WAL) aside and starts a new one; in memory if even that fails.
    private static func startOver(_ path: String, because reason: String, logger: Logger) -> Storage {
        let aside = "\(path).corrupt-\(Int(Date().timeIntervalSince1970))"
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            try? FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
        }
        logger.error("SQLite file unusable; moved aside, starting a new one", metadata: [
            "path": "\(path)", "movedTo": "\(aside)", "reason": "\(reason)",
        ])
        do {
            return Storage(database: try openFile(path), onDisk: true, problem: nil, freshStart: true)
        } catch {
            return Storage(database: memoryDatabase(), onDisk: false, problem: "cannot use \(path): \(error)")
        }
    }

    private static func memoryDatabase() -> DatabaseQueue {
        // An in-memory queue always opens; the schema is ours, so migrating it cannot fail.
        let memory = try! DatabaseQueue()
        try! migrator.migrate(memory)
        return memory
    }
}
