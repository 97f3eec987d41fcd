import Foundation

/// The last pushes to every replica, for the status page's chart: when, where, and how long after the merge that
/// made a DC's content the pushed version reached the replica (the aggregator's share of propagation latency).
public struct PushHistory: Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var at: Date
        public var datacenter: String
        public var replica: String
        /// Seconds from the merge that produced the version to the replica holding it; nil for a failed push.
        public var latency: Double?
        public var error: String?
    }

    public static let capacity = 200
    public private(set) var entries: [Entry] = []
    /// Per destination DC, the version it should hold and since when.
    private var desiredSince: [String: (version: String, since: Date)] = [:]

    public init() {}

    /// A merge published these versions; a DC whose version changed starts a new clock.
    public mutating func planned(_ versions: [String: String], at now: Date) {
        for (datacenter, version) in versions where desiredSince[datacenter]?.version != version {
            desiredSince[datacenter] = (version, now)
        }
    }

    /// Records a push that left `replica` holding `version`; returns its latency when it is the desired one.
    @discardableResult
    public mutating func pushed(_ version: String, to datacenter: String, replica: String, at now: Date) -> Double? {
        let latency = desiredSince[datacenter].flatMap { $0.version == version ? now.timeIntervalSince($0.since) : nil }
        append(Entry(at: now, datacenter: datacenter, replica: replica, latency: latency, error: nil))
        return latency
    }

    public mutating func failed(to datacenter: String, replica: String, error: String, at now: Date) {
        append(Entry(at: now, datacenter: datacenter, replica: replica, latency: nil, error: error))
    }

    private mutating func append(_ entry: Entry) {
        entries.append(entry)
        if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
    }
}
