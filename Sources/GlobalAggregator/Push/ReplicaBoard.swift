import Foundation

/// What the aggregator knows of every control-plane replica: its last poll (boot, applied remote version, error)
/// and its last push (which version reached which boot). Pushers read it to decide whether to push.
public struct ReplicaBoard: Sendable {
    public struct Status: Codable, Sendable, Equatable {
        public var url: String
        public var lastSuccess: Date?
        public var lastError: String?
        public var lastErrorAt: Date?
        public var bootId: String?
        /// False while the replica has not finished its first registry sync (its services are not used then).
        public var synced: Bool?
        public var appliedRemoteVersion: String?
        /// The version this replica's boot `pushedBootId` acknowledged (applied, or kept fresher slices of another
        /// aggregator): not pushed again until the desired version or the boot changes.
        public var pushedVersion: String?
        public var pushedBootId: String?
        public var lastPushAt: Date?
        public var lastPushError: String?

        public init(url: String) { self.url = url }
    }

    private var statuses: [String: [String: Status]]

    public init(datacenters: [String: [String]]) {
        statuses = datacenters.mapValues { urls in Dictionary(uniqueKeysWithValues: urls.map { ($0, Status(url: $0)) }) }
    }

    public subscript(datacenter: String, url: String) -> Status? { statuses[datacenter]?[url] }

    /// Replicas of `datacenter` in URL order.
    public func replicas(of datacenter: String) -> [Status] {
        (statuses[datacenter] ?? [:]).values.sorted { $0.url < $1.url }
    }

    public mutating func polled(_ datacenter: String, _ url: String, bootId: String, synced: Bool, appliedRemoteVersion: String?, at now: Date) {
        update(datacenter, url) { status in
            status.lastSuccess = now
            status.lastError = nil
            status.bootId = bootId
            status.synced = synced
            status.appliedRemoteVersion = appliedRemoteVersion
        }
    }

    public mutating func pollFailed(_ datacenter: String, _ url: String, error: String, at now: Date) {
        update(datacenter, url) { status in
            status.lastError = error
            status.lastErrorAt = now
        }
    }

    public mutating func pushed(_ version: String, to datacenter: String, _ url: String, bootId: String?, at now: Date) {
        update(datacenter, url) { status in
            status.pushedVersion = version
            status.pushedBootId = bootId
            status.lastPushAt = now
            status.lastPushError = nil
        }
    }

    public mutating func pushFailed(to datacenter: String, _ url: String, error: String, at now: Date) {
        update(datacenter, url) { status in
            status.lastPushError = error
            status.lastPushAt = now
        }
    }

    private mutating func update(_ datacenter: String, _ url: String, _ change: (inout Status) -> Void) {
        guard statuses[datacenter]?[url] != nil else { return }
        change(&statuses[datacenter]![url]!)
    }

    /// Push to each boot of a replica once (a restarted control plane re-learns the current state even if its file
    /// matched), then only when the desired version is neither applied nor acknowledged by that boot. No timer
    /// re-pushes: with two aggregators, one whose slices the control plane keeps from a fresher push must not push
    /// the same thing again and again.
    public static func needsPush(desired: String, status: Status?) -> Bool {
        guard let status, let bootId = status.bootId else { return true }
        if status.pushedBootId != bootId { return true }
        if status.lastPushError == nil && status.pushedVersion == desired { return false }
        return status.appliedRemoteVersion != desired
    }
}
