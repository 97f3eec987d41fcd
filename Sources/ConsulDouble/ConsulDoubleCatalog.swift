import Foundation
import Shared

/// The state of a one-node Consul agent as its HTTP API shows it: service registrations with TTL checks, a Raft
/// index that every write advances, per-resource modify indexes for blocking queries, and the faults a test injects.
public actor ConsulDoubleCatalog {
    struct Registration: Sendable {
        var id: String
        var name: String
        var address: String
        var port: Int
        var tags: [String]
        var meta: [String: String]
        var weights: (passing: Int, warning: Int)
        /// The service's TTL check (the double keeps one per service, as `Check` in a registration gives).
        var check: Check?
    }

    struct Check: Sendable {
        var id: String
        var serviceID: String
        var status: String
    }

    /// Faults applied to catalog and health reads (agent and control endpoints always work).
    public enum Fault: Sendable, Equatable {
        case none
        /// HTTP 500, as when the cluster has no leader.
        case serverError
        /// Answers only after this delay.
        case slow(Duration)
        /// HTTP 200 with a body that is not JSON.
        case garbage
        /// The connection is closed in the middle of the response.
        case drop
        /// `X-Consul-Index: 0`, a bug older Consul versions had.
        case zeroIndex
    }

    public let datacenter: String
    public let nodeName = "consul-double"
    public let nodeAddress = "127.0.0.1"
    private(set) var raftIndex: UInt64 = 10
    private var registrations: [String: Registration] = [:]
    /// Service name → ids of its instances, and check id → service id: reads stay O(instances of one service).
    private var members: [String: Set<String>] = [:]
    private var checkOwners: [String: String] = [:]
    private var catalogIndex: UInt64 = 10
    private var serviceIndexes: [String: UInt64] = [:]
    /// Per blocking-query key (`services`, `health:<name>`): wakes the queries waiting on it.
    private var signals: [String: ChangeSignal] = [:]
    public private(set) var fault: Fault = .none
    /// Reads served, by endpoint (`catalog`, `health`), for tests of the watcher's request rate.
    public private(set) var requestCounts: [String: Int] = [:]
    /// Reads that met a fault, by resource (`health:<service>`, `catalog`): once one has, no read of that
    /// resource from before the fault is still in flight.
    public private(set) var faultedReads: [String: Int] = [:]

    public init(datacenter: String = "dc1") {
        self.datacenter = datacenter
        registrations["consul"] = Registration(
            id: "consul", name: "consul", address: nodeAddress, port: 8300, tags: [], meta: [:], weights: (1, 1))
        members["consul"] = ["consul"]
        serviceIndexes["consul"] = raftIndex
    }

    // MARK: - writes (the agent API)

    func register(_ registration: Registration) {
        let previous = registrations[registration.id]
        if let previous {
            members[previous.name]?.remove(previous.id)
            if let check = previous.check { checkOwners[check.id] = nil }
        }
        registrations[registration.id] = registration
        members[registration.name, default: []].insert(registration.id)
        if let check = registration.check { checkOwners[check.id] = registration.id }
        let index = advance()
        if previous?.name != registration.name || previous?.tags != registration.tags {
            catalogIndex = index
            wake("catalog")
        }
        if let previous, previous.name != registration.name { touch(service: previous.name, index: index) }
        touch(service: registration.name, index: index)
    }

    /// False when no such service is registered.
    func deregister(id: String) -> Bool {
        guard let registration = registrations.removeValue(forKey: id) else { return false }
        members[registration.name]?.remove(id)
        if members[registration.name]?.isEmpty == true { members[registration.name] = nil }
        if let check = registration.check { checkOwners[check.id] = nil }
        let index = advance()
        catalogIndex = index
        wake("catalog")
        touch(service: registration.name, index: index)
        return true
    }

    /// False when no such check exists.
    func updateCheck(id: String, status: String) -> Bool {
        guard let owner = checkOwners[id], var registration = registrations[owner] else { return false }
        guard registration.check?.status != status else { return true }
        registration.check?.status = status
        registrations[owner] = registration
        touch(service: registration.name, index: advance())
        return true
    }

    /// Registers (or replaces) an instance with one TTL check `service:<id>` in `status`, as the agent API does.
    public func registerInstance(
        id: String, service: String, address: String, port: Int, tags: [String] = [], meta: [String: String] = [:],
        weights: (passing: Int, warning: Int) = (1, 1), status: String = "passing"
    ) {
        register(Registration(
            id: id, name: service, address: address, port: port, tags: tags, meta: meta, weights: weights,
            check: Check(id: "service:\(id)", serviceID: id, status: status)))
    }

    /// Sets the TTL check of instance `id` to passing, warning or critical.
    public func setStatus(of id: String, to status: String) {
        _ = updateCheck(id: "service:\(id)", status: status)
    }

    func status(of id: String) -> String? { registrations[id]?.check?.status }

    var passingInstanceCount: Int { registrations.values.filter { $0.check.map { $0.status == "passing" } ?? true }.count }

    var checkedInstanceIDs: [String] { checkOwners.values.sorted() }

    func randomCheckedInstance() -> String? { checkOwners.values.randomElement() }

    /// Moves instance `id` to another port (a load test's endpoint change); false when there is no such instance.
    func movePort(of id: String, to port: Int) -> Bool {
        guard var registration = registrations[id] else { return false }
        registration.port = port
        register(registration)
        return true
    }

    public func deregisterInstance(id: String) {
        _ = deregister(id: id)
    }

    // MARK: - reads

    var catalogServices: (body: [String: [String]], index: UInt64) {
        var services: [String: [String]] = [:]
        for (name, ids) in members {
            services[name] = Set(ids.flatMap { registrations[$0]?.tags ?? [] }).sorted()
        }
        return (services, catalogIndex)
    }

    /// Entries of `/v1/health/service/<name>` (all, or only those whose every check passes).
    func health(of name: String, passingOnly: Bool) -> (body: Data, index: UInt64) {
        var entries: [HealthEntry] = []
        for id in (members[name] ?? []).sorted() {
            guard let registration = registrations[id] else { continue }
            if passingOnly && registration.check.map({ $0.status != "passing" }) == true { continue }
            entries.append(entry(registration))
        }
        // swiftlint:disable:next force_try
        return (try! JSONEncoder.consul.encode(entries), index(of: name))
    }

    /// Consul answers for a service it never saw with the index of the service table.
    func index(of name: String) -> UInt64 { serviceIndexes[name] ?? catalogIndex }

    // MARK: - blocking

    /// Waits until `key`'s index may have moved past `index`, or `deadline`.
    func waitForChange(_ key: String, deadline: ContinuousClock.Instant) async {
        let signal = signals[key] ?? ChangeSignal()
        signals[key] = signal
        let changed = signal.changes()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in changed { return } }
            group.addTask { try? await Task.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    // MARK: - faults and counters

    public func inject(_ fault: Fault) { self.fault = fault }

    /// As after a snapshot restore: every index drops to 1 and grows again from there.
    public func resetIndex() {
        raftIndex = 1
        catalogIndex = 1
        serviceIndexes = serviceIndexes.mapValues { _ in 1 }
        for key in signals.keys { wake(key) }
    }

    func countRequest(_ endpoint: String) { requestCounts[endpoint, default: 0] += 1 }

    func countFaultedRead(_ key: String) { faultedReads[key, default: 0] += 1 }

    // MARK: - private

    private func advance() -> UInt64 {
        raftIndex += 1
        return raftIndex
    }

    private func touch(service name: String, index: UInt64) {
        serviceIndexes[name] = index
        wake("health:\(name)")
    }

    private func wake(_ key: String) {
        signals[key]?.notify()
    }

    private func entry(_ registration: Registration) -> HealthEntry {
        let nodeCheck = HealthEntry.CheckInfo(
            Node: nodeName, CheckID: "serfHealth", Name: "Serf Health Status", Status: "passing", ServiceID: "", ServiceName: "")
        let serviceChecks = (registration.check.map { [$0] } ?? []).map { check in
            HealthEntry.CheckInfo(
                Node: nodeName, CheckID: check.id, Name: "Service '\(registration.name)' check", Status: check.status,
                ServiceID: registration.id, ServiceName: registration.name)
        }
        return HealthEntry(
            Node: .init(ID: "00000000-0000-0000-0000-000000000001", Node: nodeName, Address: nodeAddress, Datacenter: datacenter),
            Service: .init(
                ID: registration.id, Service: registration.name, Tags: registration.tags, Address: registration.address,
                Port: registration.port, Meta: registration.meta,
                Weights: .init(Passing: registration.weights.passing, Warning: registration.weights.warning)),
            Checks: [nodeCheck] + serviceChecks)
    }
}

/// One entry of `/v1/health/service/<name>`, in Consul's field names. Typed rather than `[String: Any]`: at 100
/// changes/s `JSONSerialization`'s dynamic casts took 70 % of the double's CPU and made it accept changes late.
/// The properties carry Consul's JSON names as they are.
struct HealthEntry: Encodable {
    struct NodeInfo: Encodable {
        let ID: String
        let Node: String
        let Address: String
        let Datacenter: String
    }

    struct WeightsInfo: Encodable {
        let Passing: Int
        let Warning: Int
    }

    struct ServiceInfo: Encodable {
        let ID: String
        let Service: String
        let Tags: [String]
        let Address: String
        let Port: Int
        let Meta: [String: String]
        let Weights: WeightsInfo
    }

    struct CheckInfo: Encodable {
        let Node: String
        let CheckID: String
        let Name: String
        let Status: String
        let ServiceID: String
        let ServiceName: String
    }

    let Node: NodeInfo
    let Service: ServiceInfo
    let Checks: [CheckInfo]
}

extension JSONEncoder {
    /// Consul (Go's `encoding/json`) writes the same state as the same bytes: struct fields in declaration order, map
    /// keys sorted. Foundation's encoder orders keys differently from one call to the next unless told to sort them,
    /// and a watcher that recognises a repeated answer by its bytes would never see one.
    static var consul: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}
