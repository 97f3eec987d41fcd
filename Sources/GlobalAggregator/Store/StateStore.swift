import Foundation
import GRDB
import Logging
import Shared

/// The aggregator's last-known view in SQLite (GRDB, WAL): every DC's last good state, written before it
/// is used, and the generation counter of pushes. A file that cannot be opened is reported and replaced
/// by an in-memory database, so the aggregator keeps serving from memory.
public final class StateStore: Sendable {
    private let database: any DatabaseWriter
    /// Why the store runs in memory, when it does.
    public let degradedReason: String?

    public init(path: String?, logger: Logger = Logger(label: "aggregator.store")) {
        var reason: String?
        if let path {
            do {
                var configuration = Configuration()
                configuration.busyMode = .timeout(5)
                let pool = try DatabasePool(path: path, configuration: configuration)
                try Self.migrator.migrate(pool)
                database = pool
                degradedReason = nil
                return
            } catch {
                reason = "cannot use \(path): \(error)"
                logger.error("SQLite store unusable; keeping state in memory only", metadata: ["error": "\(error)"])
            }
        } else {
            reason = "no --database given"
        }
        // An in-memory queue always opens; the schema is ours, so migrating it cannot fail.
        let memory = try! DatabaseQueue()
        try! Self.migrator.migrate(memory)
        database = memory
        degradedReason = reason
    }

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

    /// Stores a DC's state; the caller uses it only after this returned.
    public func save(_ snapshot: DatacenterSnapshot) async throws {
        let body = try JSONEncoder().encode(snapshot.state)
        try await database.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO datacenter_state (datacenter, body, received_at) VALUES (?, ?, ?)",
                arguments: [snapshot.state.datacenter, body, snapshot.receivedAt.timeIntervalSince1970])
        }
    }

    /// Every stored DC state that still decodes and validates; a bad row is skipped with its reason.
    public func loadAll() async throws -> (snapshots: [String: DatacenterSnapshot], problems: [String]) {
        let rows = try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT datacenter, body, received_at FROM datacenter_state")
        }
        var snapshots: [String: DatacenterSnapshot] = [:]
        var problems: [String] = []
        for row in rows {
            let datacenter: String = row["datacenter"]
            do {
                let state = try JSONDecoder().decode(DatacenterState.self, from: row["body"] as Data)
                let invalid = StateValidation.problems(in: state)
                guard invalid.isEmpty, state.datacenter == datacenter else {
                    problems.append("\(datacenter): stored state is invalid: \(invalid.joined(separator: "; "))")
                    continue
                }
                snapshots[datacenter] = DatacenterSnapshot(state: state, receivedAt: Date(timeIntervalSince1970: row["received_at"]))
            } catch {
                problems.append("\(datacenter): stored state does not decode: \(error)")
            }
        }
        return (snapshots, problems)
    }

    /// The next push generation; persisted so it keeps growing across restarts.
    public func nextGeneration() async throws -> UInt64 {
        try await database.write { db in
            try db.execute(sql: "INSERT INTO counter (name, value) VALUES ('generation', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1")
            return try UInt64.fetchOne(db, sql: "SELECT value FROM counter WHERE name = 'generation'") ?? 1
        }
    }

    /// Makes the persisted generation at least `value` (after a control plane reported a newer one).
    public func raiseGeneration(to value: UInt64) async throws {
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO counter (name, value) VALUES ('generation', ?) ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)",
                arguments: [value])
        }
    }
}
