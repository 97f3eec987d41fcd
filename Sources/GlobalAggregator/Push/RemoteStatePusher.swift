import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOFoundationCompat
import ServiceLifecycle
import Shared

/// Keeps one control-plane replica's remote state equal to what the merge says it should be.
/// Level-triggered: on every change, and every `recheck`, it compares the desired version with what the replica
/// acknowledged (`ReplicaBoard.needsPush`) and pushes when they differ: a delta against the version the replica
/// holds when this pusher knows that version's content, else the whole state; gzip-compressed either way.
struct RemoteStatePusher: Service {
    let datacenter: String
    let url: String
    let core: AggregatorCore
    let client: HTTPClient
    let token: String
    let bodies: PushBodies
    var recheck: Duration = .seconds(5)
    private let logger = Logger(label: "aggregator.push")

    init(datacenter: String, url: String, core: AggregatorCore, client: HTTPClient, token: String, bodies: PushBodies) {
        self.datacenter = datacenter
        self.url = url
        self.core = core
        self.client = client
        self.token = token
        self.bodies = bodies
    }

    /// What a boot of the replica holds, as far as this pusher knows: the base of the next delta.
    private struct Held {
        let bootId: String?
        let version: String
        let services: [String: RemoteService]
    }

    func run() async throws {
        // A push in flight when shutdown begins is cancelled; the next start pushes again (to every new boot anyway).
        try? await cancelWhenGracefulShutdown { try await pushLoop() }
    }

    private func pushLoop() async throws {
        let changes = core.changes()
        var backoff = Backoff(base: .milliseconds(500), max: .seconds(30))
        let labels = [(AggregatorMetricNames.datacenterLabel, datacenter)]
        let failures = Counter(label: AggregatorMetricNames.pushErrors, dimensions: labels)
        let fullPushes = Counter(label: AggregatorMetricNames.pushes, dimensions: labels + [("kind", "full")])
        let deltaPushes = Counter(label: AggregatorMetricNames.pushes, dimensions: labels + [("kind", "delta")])
        let sentBytes = Counter(label: AggregatorMetricNames.pushBytes, dimensions: labels)
        var held: Held?
        await withThrowingTaskGroup(of: Void.self) { group in
            let (ticks, tick) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            group.addTask {
                for await _ in changes { tick.yield() }
                tick.finish()
            }
            group.addTask { [recheck] in
                while !Task.isCancelled {
                    try await Task.sleep(for: recheck)
                    tick.yield()
                }
            }
            for await _ in ticks {
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                guard let desired = await core.desired(for: datacenter) else { continue }
                let status = await core.replicaStatus(datacenter, url)
                guard ReplicaBoard.needsPush(desired: desired.version, status: status) else { continue }
                let base = held.flatMap { $0.bootId == status?.bootId && $0.version != desired.version ? $0 : nil }
                let push = base.map { desired.delta(from: $0.services, baseVersion: $0.version) } ?? desired
                do {
                    let body = try await bodies.body(of: push, to: datacenter)
                    let appliedVersion = try await send(push, body: body)
                    sentBytes.increment(by: Int64(body.readableBytes))
                    (base == nil ? fullPushes : deltaPushes).increment()
                    // Where the replica kept fresher slices of another aggregator, its content is not ours to diff.
                    held = appliedVersion == desired.version ? Held(bootId: status?.bootId, version: desired.version, services: desired.services) : nil
                    await core.pushed(desired.version, to: datacenter, url: url, bootId: status?.bootId)
                    backoff.reset()
                } catch PushError.baseMismatch {
                    held = nil  // the replica holds something else: the whole state, at once
                    tick.yield()
                } catch {
                    failures.increment()
                    await core.pushFailed(to: datacenter, url: url, error: "\(error)")
                    logger.warning("push failed; will retry", metadata: [LogKey.datacenter: "\(datacenter)", "url": "\(url)", "error": "\(error)"])
                    try? await Task.sleep(for: backoff.next())
                    tick.yield()
                }
            }
            group.cancelAll()
        }
    }

    /// Sends one push; returns the version the replica holds afterwards.
    private func send(_ state: RemoteState, body: ByteBuffer) async throws -> String? {
        var request = HTTPClientRequest(url: "\(url)/v1/remote-state")
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Content-Encoding", value: "gzip")
        request.body = .bytes(body)
        let response = try await client.execute(request, timeout: .seconds(60))
        let reply = String(buffer: try await response.body.collect(upTo: 1024 * 1024))
        switch response.status.code {
        case 200:
            logger.info("pushed", metadata: [
                LogKey.datacenter: "\(datacenter)", "url": "\(url)", "version": "\(state.version)", "generation": "\(state.generation)",
                "kind": "\(state.base == nil ? "full" : "delta")", "services": "\(state.services.count)", "bytes": "\(body.readableBytes)",
            ])
            return Reply(reply)?.appliedVersion
        case 409:
            if let applied = Reply(reply)?.appliedGeneration { await core.raiseGeneration(above: applied) }
            throw PushError.rejected(409, reply)
        case 412:
            throw PushError.baseMismatch
        default:
            throw PushError.rejected(Int(response.status.code), reply)
        }
    }

    /// What a control plane's answer to a push says: the version it holds (200) or its newest generation (409).
    private struct Reply: Decodable {
        var appliedVersion: String?
        var appliedGeneration: UInt64?

        init?(_ body: String) {
            guard let reply = try? JSONDecoder().decode(Reply.self, from: Data(body.utf8)) else { return nil }
            self = reply
        }
    }
}

/// Why a push failed, as operators read it.
enum PushError: Error, CustomStringConvertible {
    case rejected(Int, String)
    /// 412: the replica does not hold the delta's base.
    case baseMismatch

    var description: String {
        switch self {
        case .rejected(let code, let body): "HTTP \(code): \(body.prefix(300))"
        case .baseMismatch: "HTTP 412: the replica does not hold the delta's base"
        }
    }
}
