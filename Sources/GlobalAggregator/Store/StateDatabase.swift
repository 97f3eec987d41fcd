import Foundation
import GRDB
import Shared

/// The aggregator's SQLite schema and its queries: every DC's last good state (one JSON row per DC) and the counters
/// (push generation, aggregator id). Only SQL lives here; which file it runs on, and what happens when that file
/// fails, is `StateStore`'s policy.
enum StateDatabase {
    /// One row of `datacenter_state`, encoded before the write transaction starts.
    struct StateRow: Sendable {
        let datacenter: String
        let body: Data
        let receivedAt: Date
    }

    static var migrator: DatabaseMigrator {
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

    /// Opens (creating and migrating) the file and checks it: a file damaged past its header opens fine, so that is
    /// found now rather than at the first read after a crash.
    static func openFile(_ path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        let pool = try DatabasePool(path: path, configuration: configuration)
        try migrator.migrate(pool)
        let check = try pool.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check") }
        guard check == "ok" else { throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "quick_check: \(check ?? "no answer")") }
        return pool
    }

    static func memory() -> DatabaseQueue {
        // An in-memory queue always opens; the schema is ours, so migrating it cannot fail.
        let memory = try! DatabaseQueue()
        try! migrator.migrate(memory)
        return memory
    }

    /// A file SQLite cannot read as a database, as opposed to one it cannot write right now.
    static func isCorrupt(_ error: any Error) -> Bool {
        (error as? DatabaseError).map { [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains($0.resultCode) } ?? false
    }

    static func save(_ db: Database, rows: [StateRow], confirmed: [String: Date], generation: UInt64) throws {
        for row in rows {
            try db.execute(
                sql: "INSERT OR REPLACE INTO datacenter_state (datacenter, body, received_at) VALUES (?, ?, ?)",
                arguments: [row.datacenter, row.body, row.receivedAt.timeIntervalSince1970])
        }
        for (datacenter, receivedAt) in confirmed {
            try db.execute(
                sql: "UPDATE datacenter_state SET received_at = ? WHERE datacenter = ?",
                arguments: [receivedAt.timeIntervalSince1970, datacenter])
        }
        if generation > 0 { try raise(db, to: generation) }
    }

    static func stateRows(_ db: Database) throws -> [StateRow] {
        try Row.fetchAll(db, sql: "SELECT datacenter, body, received_at FROM datacenter_state").map { row in
            StateRow(datacenter: row["datacenter"], body: row["body"], receivedAt: Date(timeIntervalSince1970: row["received_at"]))
        }
    }

    static func generation(_ db: Database) throws -> UInt64 {
        try UInt64.fetchOne(db, sql: "SELECT value FROM counter WHERE name = 'generation'") ?? 0
    }

    /// Draws the id at the first call and keeps it.
    static func aggregatorID(_ db: Database) throws -> UInt64 {
        try db.execute(
            sql: "INSERT INTO counter (name, value) VALUES ('aggregator_id', ?) ON CONFLICT(name) DO NOTHING",
            arguments: [Int64.random(in: 1...Int64.max)])
        return try UInt64.fetchOne(db, sql: "SELECT value FROM counter WHERE name = 'aggregator_id'") ?? 0
    }

    static func raise(_ db: Database, to value: UInt64) throws {
        try db.execute(
            sql: "INSERT INTO counter (name, value) VALUES ('generation', ?) ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)",
            arguments: [value])
    }
}
