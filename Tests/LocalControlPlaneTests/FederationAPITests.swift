import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import LocalControlPlane
@testable import Shared

/// `/v1/state` and `/v1/remote-state` through the real router (Hummingbird's test client), with the real
/// cache, publisher and a remote-state file on disk.
@Suite("Federation API of the local control plane")
struct FederationAPITests {
    struct Plane: Sendable {
        let cache = SnapshotCache(datacenter: "dc1", properties: Fixtures.strict)
        let publisher = LocalStatePublisher(datacenter: "dc1")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("remote-\(UUID().uuidString).json")
        let remote: RemoteStateStore
        let api: ControlPlaneAPI
        var router: Router<BasicRequestContext> { api.router() }

        init(token: String? = "secret", stateToken: String? = nil) async {
            remote = RemoteStateStore(datacenter: "dc1", file: file, cache: cache, publisher: publisher)
            let status = RegistryStatus(source: "test")
            api = ControlPlaneAPI(
                cache: cache, streams: StreamRegistry(), registryStatus: status, metrics: nil,
                federation: FederationAPI(
                    publisher: publisher, remoteState: remote, registryStatus: status, pushToken: token, stateToken: stateToken),
                datacenter: "dc1")
        }

        /// The registry source's first full sync.
        func sync() async {
            await CatalogSink(cache: cache, state: publisher).apply(
                Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)]]), sourceIndex: 7)
        }
    }

    static func remoteState(generation: UInt64 = 1, datacenter: String = "dc2", port: Int = 8080) -> RemoteState {
        let services = ["backend": RemoteService(localities: [
            RemoteLocality(datacenter: datacenter, priority: 1, instances: [WireInstance(ServiceInstance(address: "10.2.0.1", port: port))]),
        ])]
        return RemoteState(generatedBy: "agg", generation: generation, services: services)
    }

    static func body(_ state: RemoteState) throws -> ByteBuffer {
        ByteBuffer(data: try JSONEncoder().encode(state))
    }

    @Test("GET /v1/state returns at once for an old index and long-polls on the current one")
    func longPoll() async throws {
        let plane = await Plane()
        await plane.sync()
        let app = Application(router: plane.router)
        try await app.test(.router) { client in
            let first = try await client.execute(uri: "/v1/state", method: .get)
            #expect(first.status == .ok)
            let state = try JSONDecoder().decode(DatacenterState.self, from: Data(buffer: first.body))
            #expect(state.services.map(\.name) == ["backend"])
            #expect(first.headers[.init("X-State-Index")!] == String(state.index))

            let started = ContinuousClock.now
            let idle = try await client.execute(uri: "/v1/state?index=\(state.index)&wait=300ms", method: .get)
            #expect(ContinuousClock.now - started >= .milliseconds(250), "nothing changed: the request waited")
            #expect(idle.headers[.init("X-State-Index")!] == String(state.index))

            async let changed = client.execute(uri: "/v1/state?index=\(state.index)&wait=10s", method: .get)
            try await Task.sleep(for: .milliseconds(100))
            await CatalogSink(cache: plane.cache, state: plane.publisher).apply(Fixtures.catalog(["backend": [], "new": []]), sourceIndex: 8)
            let woke = try await changed
            let newer = try JSONDecoder().decode(DatacenterState.self, from: Data(buffer: woke.body))
            #expect(newer.index > state.index)
            #expect(newer.services.map(\.name) == ["backend", "new"])
        }
    }

    @Test("PUT /v1/remote-state: 401 without or with a wrong token, 400 for bad bodies, 409 for older generations")
    func pushRules() async throws {
        let plane = await Plane()
        await plane.sync()
        let app = Application(router: plane.router)
        try await app.test(.router) { client in
            let good = try Self.body(Self.remoteState(generation: 5))
            #expect(try await client.execute(uri: "/v1/remote-state", method: .put, body: good).status == .unauthorized)
            #expect(try await client.execute(uri: "/v1/remote-state", method: .put, headers: [.authorization: "Bearer wrong"], body: good).status == .unauthorized)
            #expect(await plane.remote.current.version == "", "a rejected push changes nothing")

            let auth: HTTPFields = [.authorization: "Bearer secret"]
            let garbage = try await client.execute(uri: "/v1/remote-state", method: .put, headers: auth, body: ByteBuffer(string: "{\"version\": 1"))
            #expect(garbage.status == .badRequest)
            let own = try await client.execute(uri: "/v1/remote-state", method: .put, headers: auth, body: try Self.body(Self.remoteState(datacenter: "dc1")))
            #expect(own.status == .badRequest)
            #expect(String(buffer: own.body).contains("its own instances are never remote"))
            var tampered = Self.remoteState()
            tampered.version = "forged"
            #expect(try await client.execute(uri: "/v1/remote-state", method: .put, headers: auth, body: try Self.body(tampered)).status == .badRequest)

            let applied = try await client.execute(uri: "/v1/remote-state", method: .put, headers: auth, body: good)
            #expect(applied.status == .ok)
            #expect(String(buffer: applied.body).contains("applied"))
            let again = try await client.execute(uri: "/v1/remote-state", method: .put, headers: auth, body: good)
            #expect(String(buffer: again.body).contains("unchanged"))
            let older = try await client.execute(
                uri: "/v1/remote-state", method: .put, headers: auth, body: try Self.body(Self.remoteState(generation: 4, port: 9090)))
            #expect(older.status == .conflict)
            #expect(String(buffer: older.body).contains("\"appliedGeneration\":5"))
            #expect(await plane.remote.current.generation == 5)
        }
        let state = await plane.publisher.current
        #expect(state.appliedRemoteVersion == Self.remoteState().version)
    }

    @Test("hostile push bodies are refused with what is wrong, and nothing is applied")
    func hostileBodies() async throws {
        let plane = await Plane()
        await plane.sync()
        let auth: HTTPFields = [.authorization: "Bearer secret"]
        let good = String(buffer: try Self.body(Self.remoteState()))
        let cases: [(String, ByteBuffer, HTTPResponse.Status, String)] = [
            ("oversized", ByteBuffer(repeating: UInt8(ascii: " "), count: FederationAPI.maxPushBytes + 1), .contentTooLarge, "larger than"),
            ("deeply nested", ByteBuffer(string: String(repeating: "[", count: 100_000)), .badRequest, "nested deeper than 32"),
            ("invalid UTF-8", ByteBuffer(bytes: Array(good.replacingOccurrences(of: "\"agg\"", with: "\"agg\u{1}\"").utf8)
                .map { $0 == 1 ? 0xFF : $0 }), .badRequest, "not valid UTF-8"),
            ("duplicate key", ByteBuffer(string: "{\"generation\": 1, " + good.dropFirst()), .badRequest, "duplicate key"),
            ("huge number", ByteBuffer(string: good.replacingOccurrences(of: "\"generation\":1", with: "\"generation\":1e999")), .badRequest, "not a number in range"),
        ]
        try await Application(router: plane.router).test(.router) { client in
            for (name, body, status, message) in cases {
                let response = try await client.execute(uri: "/v1/remote-state", method: .put, headers: auth, body: body)
                #expect(response.status == status, "\(name)")
                #expect(String(buffer: response.body).contains(message), "\(name): \(String(buffer: response.body))")
            }
        }
        #expect(await plane.remote.current.version == "", "nothing was applied")
    }

    @Test("with a state token, GET /v1/state needs it")
    func stateToken() async throws {
        let plane = await Plane(stateToken: "reader")
        try await Application(router: plane.router).test(.router) { client in
            let anonymous = try await client.execute(uri: "/v1/state", method: .get)
            let wrong = try await client.execute(uri: "/v1/state", method: .get, headers: [.authorization: "Bearer secret"])
            let right = try await client.execute(uri: "/v1/state", method: .get, headers: [.authorization: "Bearer reader"])
            #expect(anonymous.status == .unauthorized && wrong.status == .unauthorized)
            #expect(right.status == .ok)
        }
    }

    @Test("pushes are refused when no token is configured")
    func noToken() async throws {
        let plane = await Plane(token: nil)
        try await Application(router: plane.router).test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/remote-state", method: .put, headers: [.authorization: "Bearer x"], body: try Self.body(Self.remoteState()))
            #expect(response.status == .forbidden)
        }
    }

    @Test("remote localities reach EDS and survive a restart through the file")
    func remoteEndpointsAndRestore() async throws {
        let plane = await Plane()
        await plane.sync()
        #expect(await plane.remote.apply(Self.remoteState()) == .applied)
        let profile = try Fixtures.profile()
        let snapshot = try #require(await plane.cache.snapshot(for: profile))
        let endpoints = try #require(snapshot.resources[.endpoint]?["backend"])
        #expect(endpoints.version != "")

        let restarted = SnapshotCache(datacenter: "dc1", properties: Fixtures.strict)
        await restarted.apply(Fixtures.catalog(["backend": [Fixtures.instance("10.0.0.1", 80)]]))
        let store = RemoteStateStore(datacenter: "dc1", file: plane.file, cache: restarted, publisher: LocalStatePublisher(datacenter: "dc1"))
        await store.restore()
        #expect(await store.current == Self.remoteState())
        #expect(await restarted.snapshot(for: profile)?.resources[.endpoint]?["backend"] == endpoints)
    }
}

extension FederationAPITests {
    @Test("GET /v1/state is gzip-compressed when asked")
    func gzip() async throws {
        let plane = await Plane()
        await plane.sync()
        try await Application(router: plane.router).test(.router) { client in
            let response = try await client.execute(uri: "/v1/state", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(response.headers[.contentEncoding] == "gzip")
            var body = response.body
            let plain = try body.decompress(with: .gzip)
            let state = try JSONDecoder().decode(DatacenterState.self, from: Data(buffer: plain))
            #expect(state.datacenter == "dc1")
        }
    }
}

extension FederationAPITests {
    @Test("before the first registry sync /v1/state says unsynced, even with a restored remote state; a failing source shows its age")
    func unsyncedUntilFirstSync() async throws {
        let plane = await Plane()
        #expect(await plane.remote.apply(Self.remoteState()) == .applied, "a restored remote state, before any sync")
        try await Application(router: plane.router).test(.router) { client in
            let response = try await client.execute(uri: "/v1/state", method: .get)
            let early = try JSONDecoder().decode(DatacenterState.self, from: Data(buffer: response.body))
            #expect(!early.synced && early.services.isEmpty)
            #expect(response.headers[FederationAPI.appliedRemoteVersionHeader] == Self.remoteState().version)
            #expect(response.headers[FederationAPI.sourceFailingSecondsHeader] == "0")

            await plane.sync()
            let synced = try JSONDecoder().decode(
                DatacenterState.self, from: Data(buffer: try await client.execute(uri: "/v1/state", method: .get).body))
            #expect(synced.synced && synced.sourceIndex == 7 && synced.services.map(\.name) == ["backend"])
            #expect(synced.sourceFailingSeconds == 0)
        }
    }
}

extension FederationAPITests {
    @Test("a delta push on the applied version is applied whole; on another base it gets 412; gzip bodies are read within the limit")
    func deltaAndGzipPushes() async throws {
        let plane = await Plane()
        await plane.sync()
        let auth: HTTPFields = [.authorization: "Bearer secret", .contentEncoding: "gzip"]
        let first = Self.remoteState(generation: 1)
        var changed = Self.remoteState(generation: 2, port: 9191)
        changed.services["extra"] = changed.services["backend"]
        changed.version = RemoteStateVersion.version(of: changed.services)
        let second = changed
        try await Application(router: plane.router).test(.router) { client in
            func put(_ state: RemoteState) async throws -> TestResponse {
                var body = try Self.body(state)
                return try await client.execute(uri: "/v1/remote-state", method: .put, headers: auth, body: try body.compress(with: .gzip))
            }
            #expect(try await put(first).status == .ok)
            let delta = second.delta(from: first.services, baseVersion: first.version)
            #expect(Set(delta.services.keys) == ["backend", "extra"] && delta.removed.isEmpty)
            let stale = second.delta(from: [:], baseVersion: "not-held")
            let mismatch = try await put(stale)
            #expect(mismatch.status == .preconditionFailed)
            #expect(String(buffer: mismatch.body).contains(first.version), "412 names the version held")
            #expect(try await put(delta).status == .ok)
            #expect(await plane.remote.current.services == second.services)
            #expect(await plane.remote.current.version == second.version)

            let removal = first.delta(from: second.services, baseVersion: second.version)
            #expect(removal.removed == ["extra"])
            var third = removal
            third.generation = 3
            #expect(try await put(third).status == .ok)
            #expect(await plane.remote.current.services == first.services)

            for size in [FederationAPI.maxDecodedPushBytes + 1] {
                var bomb = ByteBuffer(repeating: UInt8(ascii: " "), count: size)
                let compressedBomb = try bomb.compress(with: .gzip)
                let refused = try await client.execute(uri: "/v1/remote-state", method: .put, headers: auth, body: compressedBomb)
                #expect(refused.status == .badRequest && String(buffer: refused.body).contains("does not decompress within"),
                        "\(size) bytes: \(String(buffer: refused.body))")
            }
        }
    }
}

extension FederationAPITests {
    @Test("a remote-state file that cannot be written: the push gets 500 and nothing is applied")
    func unwritableFile() async throws {
        let cache = SnapshotCache(datacenter: "dc1", properties: Fixtures.strict)
        let publisher = LocalStatePublisher(datacenter: "dc1")
        let file = URL(fileURLWithPath: "/proc/remote-state-\(UUID().uuidString).json")  // not writable, even for root
        let store = RemoteStateStore(datacenter: "dc1", file: file, cache: cache, publisher: publisher)
        guard case .storageFailed(let reason) = await store.apply(Self.remoteState()) else {
            Issue.record("the push must fail on the file")
            return
        }
        #expect(reason.contains(file.path))
        #expect(await store.current == .empty)
        #expect(await publisher.current.appliedRemoteVersion == nil)
    }
}

extension FederationAPITests {
    @Test("a long-poll that ends without a change answers 304 to the state's ETag, with the current headers")
    func notModified() async throws {
        let plane = await Plane()
        await plane.sync()
        try await Application(router: plane.router).test(.router) { client in
            let first = try await client.execute(uri: "/v1/state", method: .get)
            let etag = try #require(first.headers[.eTag])
            let index = try #require(first.headers[FederationAPI.stateIndexHeader])
            let unchanged = try await client.execute(uri: "/v1/state?index=\(index)&wait=100ms", method: .get, headers: [.ifNoneMatch: etag])
            #expect(unchanged.status == .notModified && unchanged.body.readableBytes == 0)
            #expect(unchanged.headers[FederationAPI.stateIndexHeader] == index && unchanged.headers[FederationAPI.sourceFailingSecondsHeader] == "0")
            await CatalogSink(cache: plane.cache, state: plane.publisher).apply(Fixtures.catalog(["other": []]), sourceIndex: 9)
            let changed = try await client.execute(uri: "/v1/state?index=\(index)&wait=1s", method: .get, headers: [.ifNoneMatch: etag])
            #expect(changed.status == .ok && changed.headers[.eTag] != etag)
        }
    }
}

extension FederationAPITests {
    @Test("the remote-state file written from kept per-service JSON reads back as the state applied, after deltas too")
    func fileFromFragments() async throws {
        let plane = await Plane()
        await plane.sync()
        let first = Self.remoteState(generation: 1)
        #expect(await plane.remote.apply(first) == .applied)
        var changed = Self.remoteState(generation: 2, port: 9292)
        changed.services["extra"] = changed.services["backend"]
        changed.version = RemoteStateVersion.version(of: changed.services)
        #expect(await plane.remote.apply(changed.delta(from: first.services, baseVersion: first.version)) == .applied)
        let restarted = RemoteStateStore(
            datacenter: "dc1", file: plane.file, cache: SnapshotCache(datacenter: "dc1", properties: Fixtures.strict), publisher: LocalStatePublisher(datacenter: "dc1"))
        await restarted.restore()
        #expect(await restarted.current.services == changed.services)
        #expect(await restarted.current.version == changed.version)
    }
}
