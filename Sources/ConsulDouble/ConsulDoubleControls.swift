import Foundation
import Hummingbird

/// `/_double/…`: what real Consul does not have — fault injection, an index reset as after a snapshot restore,
/// request counters, and bulk registration for load tests.
struct ConsulDoubleControls: Sendable {
    struct Stats: Encodable {
        var requests: [String: Int]
        /// Instances (the `consul` service included) whose checks all pass: what a watcher should route to.
        var passingInstances: Int
    }

    let catalog: ConsulDoubleCatalog

    func add(to router: Router<BasicRequestContext>) {
        // PUT /_double/fault?mode=none|error|slow|garbage|drop|zero-index[&delay=10s]
        router.put("/_double/fault") { request, _ in
            let parameters = request.uri.queryParameters
            let delay = parameters["delay"].flatMap { ConsulDoubleServer.duration(String($0)) } ?? .seconds(10)
            let faults: [String: ConsulDoubleCatalog.Fault] = [
                "none": .none, "error": .serverError, "slow": .slow(delay), "garbage": .garbage, "drop": .drop, "zero-index": .zeroIndex,
            ]
            guard let mode = parameters["mode"].map(String.init), let fault = faults[mode] else {
                throw HTTPError(.badRequest, message: "mode must be one of \(faults.keys.sorted())")
            }
            await catalog.inject(fault)
            return HTTPResponse.Status.ok
        }
        router.put("/_double/reset-index") { _, _ in
            await catalog.resetIndex()
            return HTTPResponse.Status.ok
        }
        router.get("/_double/stats") { _, _ in
            let stats = Stats(requests: await catalog.requestCounts, passingInstances: await catalog.passingInstanceCount)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: .init(data: try JSONEncoder().encode(stats))))
        }
        // PUT /_double/churn?rate=50&seconds=60: flips random instances' checks (passing ⇄ critical) at `rate` per
        // second, then sets every check passing again; answers when done.
        router.put("/_double/churn") { request, _ in
            let parameters = request.uri.queryParameters
            let rate = max(1, parameters["rate"].flatMap { Int(String($0)) } ?? 50)
            let seconds = max(1, parameters["seconds"].flatMap { Int(String($0)) } ?? 60)
            let start = ContinuousClock.now
            for change in 0..<(rate * seconds) {
                await catalog.flipRandomCheck()
                try await Task.sleep(until: start + .seconds(Double(change + 1) / Double(rate)))
            }
            await catalog.passAllChecks()
            return "{\"changes\": \(rate * seconds)}"
        }
        // PUT /_double/move?id=s0001-0&port=20001: the instance moves to another port (an endpoint change for load tests).
        router.put("/_double/move") { request, _ in
            let parameters = request.uri.queryParameters
            guard let id = parameters["id"].map(String.init), let port = parameters["port"].flatMap({ Int(String($0)) }) else {
                throw HTTPError(.badRequest, message: "id and port are required")
            }
            return await catalog.movePort(of: id, to: port) ? HTTPResponse.Status.ok : .notFound
        }
        // PUT /_double/seed?services=1000&instances=10: services s0000… with passing instances 10.x.y.z:8080.
        router.put("/_double/seed") { request, _ in
            let parameters = request.uri.queryParameters
            let services = parameters["services"].flatMap { Int(String($0)) } ?? 0
            let instances = parameters["instances"].flatMap { Int(String($0)) } ?? 1
            await catalog.seed(services: services, instancesEach: instances)
            return HTTPResponse.Status.ok
        }
    }
}

extension ConsulDoubleCatalog {
    /// Registers `services` services with `instancesEach` passing instances each (for load tests).
    public func seed(services: Int, instancesEach: Int) {
        for service in 0..<services {
            let name = String(format: "s%04d", service)
            for instance in 0..<instancesEach {
                let id = "\(name)-\(instance)"
                registerInstance(id: id, service: name, address: "10.\(service / 250).\(service % 250).\(instance + 1)", port: 8080)
            }
        }
    }
}

extension ConsulDoubleCatalog {
    /// Fails a random passing check or passes a random failing one (the `consul` service is left alone).
    func flipRandomCheck() {
        guard let id = randomCheckedInstance() else { return }
        setStatus(of: id, to: status(of: id) == "passing" ? "critical" : "passing")
    }

    func passAllChecks() {
        for id in checkedInstanceIDs where status(of: id) != "passing" { setStatus(of: id, to: "passing") }
    }
}
