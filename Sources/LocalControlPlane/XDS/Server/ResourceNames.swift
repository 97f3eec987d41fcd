import Synchronization

/// The names a stream subscribed to, one instance shared by every stream that names the same resources. Snapshots
/// memoise versions and response bodies per subscription: a shared instance is hashed and compared by identity, where
/// a `Set<String>` hashed each of its dozen names again for every stream on every push (perf: 2–3 % of the CPU).
final class ResourceNames: Hashable, Sendable {
    let names: Set<String>

    private init(_ names: Set<String>) {
        self.names = names
    }

    static func == (lhs: ResourceNames, rhs: ResourceNames) -> Bool { lhs === rhs }
    func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }

    /// Whether two subscriptions name the same resources (instances differ only after the table was emptied).
    static func same(_ lhs: ResourceNames?, _ rhs: ResourceNames?) -> Bool { lhs === rhs || lhs?.names == rhs?.names }

    /// The shared instance for `names`. The table is emptied when it outgrows `capacity` (subscriptions come and go
    /// with services); that costs sharing for a while, never correctness: a memo entry is only found by the instance
    /// it was made for.
    static func interned(_ names: Set<String>) -> ResourceNames {
        table.withLock { table in
            if let known = table[names] { return known }
            if table.count >= capacity { table.removeAll() }
            let made = ResourceNames(names)
            table[names] = made
            return made
        }
    }

    private static let capacity = 100_000
    private static let table = Mutex<[Set<String>: ResourceNames]>([:])
}
