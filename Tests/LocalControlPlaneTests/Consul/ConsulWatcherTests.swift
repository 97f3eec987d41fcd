import AsyncHTTPClient
import ConsulDouble
import Foundation
import NIOCore
import Testing

@testable import LocalControlPlane

/// The Consul watcher over real HTTP against the project's Consul API test double.
@Suite("Consul watcher against the Consul test double", .timeLimit(.minutes(2)))
struct ConsulWatcherTests {
    @Test("register, fail a check, warn, deregister and remove a service: the catalog follows")
    func followsCatalog() async throws {
        try await ConsulWatchHarness.run(seed: { consul in
            await consul.registerInstance(id: "a", service: "backend", address: "10.0.0.1", port: 80)
        }) { harness in
            let consul = harness.consul
            #expect(await harness.eventually { await harness.endpoints("backend") == ["10.0.0.1:80"] })
            #expect(await harness.status.hasSynced)

            await consul.registerInstance(id: "b", service: "backend", address: "10.0.0.2", port: 80, weights: (5, 1))
            #expect(await harness.eventually { await harness.endpoints("backend").count == 2 })
            let b = await harness.cache.currentCatalog?["backend"]?.instances.first { $0.address == "10.0.0.2" }
            #expect(b?.weight == 5, "Weights.Passing becomes the endpoint weight")

            await consul.setStatus(of: "a", to: "critical")
            #expect(await harness.eventually { await harness.endpoints("backend") == ["10.0.0.2:80"] }, "a failing check removes the instance")
            await consul.setStatus(of: "a", to: "warning")
            // The read that shows a later instance also shows a's warning.
            await consul.registerInstance(id: "w", service: "backend", address: "10.0.0.3", port: 80)
            #expect(await harness.eventually { await harness.endpoints("backend").contains("10.0.0.3:80") })
            #expect(await harness.endpoints("backend") == ["10.0.0.2:80", "10.0.0.3:80"], "warning is not routed by default")
            await consul.deregisterInstance(id: "w")
            #expect(await harness.eventually { await !harness.endpoints("backend").contains("10.0.0.3:80") })
            await consul.setStatus(of: "a", to: "passing")
            #expect(await harness.eventually { await harness.endpoints("backend").count == 2 })

            await consul.registerInstance(id: "c", service: "db", address: "", port: 5432, tags: ["primary"])
            #expect(await harness.eventually { await harness.endpoints("db") == ["127.0.0.1:5432"] }, "no Service.Address: the node's")
            await consul.deregisterInstance(id: "c")
            #expect(await harness.eventually { await harness.cache.currentCatalog?["db"] == nil }, "a service that left is dropped")
            await consul.deregisterInstance(id: "b")
            #expect(await harness.eventually { await harness.endpoints("backend") == ["10.0.0.1:80"] })
        }
    }

    @Test("the ACL token goes in X-Consul-Token: the right one syncs; a wrong one is refused, reported and serves nothing")
    func aclToken() async throws {
        let seed: @Sendable (ConsulDoubleCatalog) async -> Void = { consul in
            await consul.registerInstance(id: "a", service: "backend", address: "10.0.0.1", port: 80)
        }
        try await ConsulWatchHarness.run(aclToken: "s3cret", token: "s3cret", seed: seed) { harness in
            #expect(await harness.eventually { await harness.endpoints("backend") == ["10.0.0.1:80"] })
        }
        try await ConsulWatchHarness.run(aclToken: "s3cret", token: "wrong", seed: seed) { harness in
            let reported = await harness.eventually { await harness.status.current.lastError?.contains("403") == true }
            let report = await harness.status.current
            #expect(reported, "the refusal is reported: \(report)")
            #expect(await harness.cache.isReady == false, "nothing is served from a Consul that refused us")
            #expect(await !harness.status.hasSynced)
        }
    }

    @Test("more services than watches: every valid service is still read (watches wait for a slot); invalid names are left out")
    func watchLimitAndInvalidNames() async throws {
        var settings = ConsulWatchSettings.fast
        settings.maxConcurrentWatches = 3
        try await ConsulWatchHarness.run(settings: settings, seed: { consul in
            for index in 0..<12 {
                await consul.registerInstance(id: "i\(index)", service: "s\(index)", address: "10.0.0.\(index + 1)", port: 80)
            }
            await consul.registerInstance(id: "bad", service: "bad name!", address: "10.0.1.1", port: 80)
        }) { harness in
            let wanted = Set((0..<12).map { "s\($0)" })
            let all = await harness.eventually(timeout: .seconds(20)) {
                wanted.isSubset(of: Set(await harness.cache.currentCatalog?.services.keys.map { $0 } ?? []))
            }
            let names = await harness.cache.currentCatalog?.services.keys.sorted() ?? []
            #expect(all, "12 services through 3 watch slots: \(names)")
            #expect(await harness.cache.currentCatalog?["bad name!"] == nil, "a name Envoy cannot carry is left out")
            await harness.consul.registerInstance(id: "i12", service: "s5", address: "10.0.0.99", port: 80)
            #expect(await harness.eventually(timeout: .seconds(10)) { await harness.endpoints("s5").count == 2 }, "later changes still arrive")
        }
    }

    @Test("a change after a quiet window reaches the cache at once, not a window later")
    func firstChangeGoesAtOnce() async throws {
        try await withSyncedBackend(debounce: .seconds(3)) { harness in
            // Two windows: the first sync's trailing publish (one window after its first, when watches answered
            // within it) has passed, and a quiet window after it: what this test is about.
            try await Task.sleep(for: .seconds(6.5))
            let registered = ContinuousClock.now
            await harness.consul.registerInstance(id: "b", service: "backend", address: "10.0.0.2", port: 80)
            #expect(await harness.eventually { await harness.endpoints("backend").count == 2 })
            let latency = ContinuousClock.now - registered
            print("one change after a quiet 3 s window reached the cache after \(latency)")
            #expect(latency < .seconds(2), "published at once, not at the end of a 3 s window")
        }
    }

    @Test("changes within the debounce window reach the cache as at most two updates")
    func debounce() async throws {
        try await withSyncedBackend(debounce: .seconds(1)) { harness in
            let before = await harness.publisher.current.index
            for index in 2...11 {
                await harness.consul.registerInstance(id: "i\(index)", service: "backend", address: "10.0.0.\(index)", port: 80)
                try await Task.sleep(for: .milliseconds(20))  // spacing the changes, not waiting for a result
            }
            #expect(await harness.eventually { await harness.endpoints("backend").count == 11 })
            let updates = await harness.publisher.current.index - before
            print("10 registrations 20 ms apart with a 1 s debounce: \(updates) catalog update(s)")
            #expect(updates <= 2, "the first change at once (when the sync's window has passed), the rest as one update")
        }
    }

    /// A watcher with this debounce whose first sync (one `backend` instance) has reached the cache.
    private func withSyncedBackend(debounce: Duration, _ body: @Sendable (ConsulWatchHarness) async throws -> Void) async throws {
        var settings = ConsulWatchSettings.fast
        settings.debounce = debounce
        try await ConsulWatchHarness.run(settings: settings, seed: { consul in
            await consul.registerInstance(id: "a", service: "backend", address: "10.0.0.1", port: 80)
        }) { harness in
            #expect(await harness.eventually { await harness.endpoints("backend").count == 1 })
            try await body(harness)
        }
    }

    @Test("--include-warning routes to instances in warning, with Weights.Warning")
    func includeWarning() async throws {
        var settings = ConsulWatchSettings.fast
        settings.includeWarning = true
        try await ConsulWatchHarness.run(settings: settings, seed: { consul in
            await consul.registerInstance(id: "a", service: "backend", address: "10.0.0.1", port: 80, weights: (3, 2), status: "warning")
        }) { harness in
            #expect(await harness.eventually { await harness.endpoints("backend") == ["10.0.0.1:80"] })
            #expect(await harness.cache.currentCatalog?["backend"]?.instances.first?.weight == 2)
        }
    }

    @Test(
        "every fault keeps the last good catalog, shows in /ready detail, and heals by itself",
        arguments: [
            ConsulDoubleCatalog.Fault.serverError, .slow(.seconds(3)), .garbage, .drop, .zeroIndex,
        ])
    func faults(_ fault: ConsulDoubleCatalog.Fault) async throws {
        try await ConsulWatchHarness.run(seed: { consul in
            await consul.registerInstance(id: "a", service: "backend", address: "10.0.0.1", port: 80)
        }) { harness in
            let consul = harness.consul
            #expect(await harness.eventually { await harness.endpoints("backend") == ["10.0.0.1:80"] })
            await consul.inject(fault)
            // A blocking query already in flight passed the fault and may still answer with good data: once a read
            // of backend has met the fault, the watch's earlier query is over.
            #expect(await harness.eventually { await consul.faultedReads["health:backend", default: 0] > 0 }, "\(fault) reached the watch")
            await consul.registerInstance(id: "b", service: "backend", address: "10.0.0.2", port: 80)
            let deadline = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < deadline {
                let endpoints = await harness.endpoints("backend")
                #expect(endpoints.contains("10.0.0.1:80"), "\(fault): the last good instance stays during the fault")
                if fault == .zeroIndex { break }  // the data is still right; only the index is broken
                try await Task.sleep(for: .milliseconds(100))
            }
            if fault != .zeroIndex && !(fault == .slow(.seconds(3))) {
                #expect(await harness.status.current.lastError != nil, "\(fault) shows in the registry status")
                #expect(await harness.endpoints("backend") == ["10.0.0.1:80"], "\(fault): nothing half-read is applied")
            }
            await consul.inject(.none)
            let healed = ContinuousClock.now
            #expect(await harness.eventually(timeout: .seconds(10)) { await harness.endpoints("backend").count == 2 }, "\(fault): converges")
            print("Consul fault \(fault): converged \(ContinuousClock.now - healed) after it cleared")
        }
    }

    @Test("an index reset (snapshot restore) is detected and the watcher reads afresh")
    func indexReset() async throws {
        try await ConsulWatchHarness.run(seed: { consul in
            await consul.registerInstance(id: "a", service: "backend", address: "10.0.0.1", port: 80)
        }) { harness in
            #expect(await harness.eventually { await harness.endpoints("backend") == ["10.0.0.1:80"] })
            await harness.consul.resetIndex()
            await harness.consul.registerInstance(id: "b", service: "backend", address: "10.0.0.2", port: 80)
            #expect(await harness.eventually { await harness.endpoints("backend").count == 2 })
        }
    }

    @Test("idle catalog of 1,000 services: each watch asks at most about once per wait")
    func idleRequestRate() async throws {
        var settings = ConsulWatchSettings.fast
        settings.maxConcurrentWatches = 1100
        try await ConsulWatchHarness.run(settings: settings, seed: { consul in
            await consul.seed(services: 1000, instancesEach: 1)
        }) { harness in
            // A measurement, with a bound a loaded 2-core machine meets (alone it takes about 14 s in a debug build).
            let syncStarted = ContinuousClock.now
            #expect(await harness.eventually(timeout: .seconds(120)) { await harness.cache.currentCatalog?.services.count == 1001 })
            print("first sync of 1,001 services from the Consul double: \(ContinuousClock.now - syncStarted)")
            // Count from when every watch is blocking: each has asked at least twice (its first read, then a wait).
            #expect(await harness.eventually(timeout: .seconds(30)) { await harness.consul.requestCounts["health", default: 0] >= 2 * 1001 })
            let before = await harness.consul.requestCounts.values.reduce(0, +)
            let waits = 4  // of 1 s (ConsulWatchSettings.fast)
            try await Task.sleep(for: .seconds(waits))
            let requests = await harness.consul.requestCounts.values.reduce(0, +) - before
            let perWatchPerWait = Double(requests) / 1001 / Double(waits)
            print("idle Consul catalog, 1,001 watches, wait 1 s: \(requests) requests in \(waits) s = \(perWatchPerWait) per watch per wait")
            #expect(perWatchPerWait <= 1.1, "an idle watch asks once per wait (plus Consul's jitter)")
        }
    }

    @Test("a Consul that answers at once without blocking cannot make the watches spin")
    func rateLimit() async throws {
        try await ConsulWatchHarness.run(seed: { consul in
            for index in 0..<20 { await consul.registerInstance(id: "i\(index)", service: "svc\(index)", address: "10.0.0.\(index)", port: 80) }
        }) { harness in
            #expect(await harness.eventually { await harness.cache.currentCatalog?.services.count == 21 })
            await harness.consul.inject(.zeroIndex)
            let before = await harness.consul.requestCounts.values.reduce(0, +)
            try await Task.sleep(for: .seconds(3))
            let requests = await harness.consul.requestCounts.values.reduce(0, +) - before
            print("Consul answering X-Consul-Index 0 for 3 s: \(requests) requests from 21 watches")
            #expect(requests < 21 * 3 * 5, "backoff holds each watch well below its 20/s floor")
        }
    }

    @Test("the double answers the same state with the same bytes, as Consul does (a repeated answer is recognised by them)")
    func sameStateSameBytes() async throws {
        try await ConsulWatchHarness.run(seed: { consul in
            await consul.registerInstance(
                id: "a", service: "backend", address: "10.0.0.1", port: 80, tags: ["x", "y"], meta: ["k1": "v", "k2": "w", "k3": "z"])
        }) { harness in
            for path in ["/v1/health/service/backend?passing=1", "/v1/catalog/services"] {
                var bodies: Set<String> = []
                for _ in 0..<5 {
                    let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: harness.url + path), timeout: .seconds(5))
                    bodies.insert(String(buffer: try await response.body.collect(upTo: 1 << 20)))
                }
                #expect(bodies.count == 1, "\(path): \(bodies)")
            }
        }
    }
}

