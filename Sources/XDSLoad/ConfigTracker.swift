import SwiftProtobuf
import Synchronization

/// Each change gives one instance of a service a port never used before: a stream that receives an endpoint
/// assignment with that port has the change.
final class ChangeMarkers: Sendable {
    static let firstPort = 20_000
    private let changes = Mutex<[UInt32: (service: String, sequence: Int)]>([:])

    /// The port that marks change `sequence` of `service`.
    func register(sequence: Int, service: String) -> Int {
        let port = Self.firstPort + sequence % 40_000
        changes.withLock { $0[UInt32(port)] = (service, sequence) }
        return port
    }

    func change(at port: UInt32) -> (service: String, sequence: Int)? { changes.withLock { $0[port] } }
}

/// One stream's view of its config, per connection: the EDS and RDS names it must subscribe to, the types it
/// has received, and the newest change it has seen per service.
struct ConfigTracker {
    let stream: Int
    let recorder: LoadRecorder
    private var edsNames: [String: String] = [:]
    private var routeNames: [String: [String]] = [:]
    private var seen: [String: Int] = [:]
    private var received: Set<String> = []
    private var reportedConfigured = false

    init(stream: Int, recorder: LoadRecorder) {
        (self.stream, self.recorder) = (stream, recorder)
    }

    func names(of typeURL: String) -> [String] {
        switch typeURL {
        case ResourceTypeURL.endpoints: Set(edsNames.values).sorted()
        case ResourceTypeURL.route: Set(routeNames.values.flatMap { $0 }).sorted()
        default: []
        }
    }

    /// A response changed what the stream must subscribe to: the EDS (or RDS) names before and after it.
    struct SubscriptionChange {
        let typeURL: String
        let old: [String]
        let new: [String]
    }

    /// Applies a response (`removed`: delta's removed resource names; `replacesAll`: state of the world). Clusters
    /// decide the EDS subscription and listeners the RDS one, so only those can return a change.
    mutating func apply(
        _ typeURL: String, resources: [(name: String?, digest: ResourceDigests.Digest)], removed: [String] = [],
        replacesAll: Bool
    ) -> SubscriptionChange? {
        let dependent = [ResourceTypeURL.cluster: ResourceTypeURL.endpoints, ResourceTypeURL.listener: ResourceTypeURL.route][typeURL]
        let before = dependent.map(names(of:))
        if typeURL == ResourceTypeURL.cluster {
            if replacesAll { edsNames = [:] }
            removed.forEach { edsNames[$0] = nil }
        }
        if typeURL == ResourceTypeURL.listener {
            if replacesAll { routeNames = [:] }
            removed.forEach { routeNames[$0] = nil }
        }
        for (name, digest) in resources {
            switch digest {
            case .cluster(let edsName?): edsNames[name ?? edsName] = edsName
            case .cluster(nil): if let name { edsNames[name] = nil }
            case .listener(let routes): routeNames[name ?? routes.joined(separator: ",")] = routes
            case .endpoints(let cluster, let newestChange?): see(cluster, change: newestChange)
            case .endpoints(_, nil): break
            case .other: break
            }
        }
        received.insert(typeURL)
        if !reportedConfigured && received.count == ResourceTypeURL.all.count {
            reportedConfigured = true
            recorder.configured(stream)
        }
        guard let dependent, let before else { return nil }
        let after = names(of: dependent)
        return after == before ? nil : SubscriptionChange(typeURL: dependent, old: before, new: after)
    }

    private mutating func see(_ cluster: String, change: Int) {
        guard change > seen[cluster, default: 0] else { return }
        recorder.observe(stream: stream, service: cluster, previous: seen[cluster, default: 0], sequence: change)
        seen[cluster] = change
    }
}
