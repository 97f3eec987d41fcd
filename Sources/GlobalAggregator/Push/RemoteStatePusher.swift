import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOFoundationCompat
import ServiceLifecycle
import Shared

/// Keeps one control-plane replica's remote state equal to what the merge says it should be.
/// Level-triggered: on every change, and every `recheck`, it compares the desired version with what the
/// replica reported applying (and its boot id) and pushes when they differ.
struct RemoteStatePusher: Service {
    let datacenter: String
    let url: String
    let core: AggregatorCore
    let client: HTTPClient
    let token: String
    var recheck: Duration = .seconds(5)
    private let logger = Logger(label: "aggregator.push")

    init(datacenter: String, url: String, core: AggregatorCore, client: HTTPClient, token: String) {
        self.datacenter = datacenter
        self.url = url
        self.core = core
        self.client = client
        self.token = token
    }

    func run() async throws {
        let changes = core.changes()
        var backoff = Backoff(base: .milliseconds(500), max: .seconds(30))
        let pushes = Counter(label: AggregatorMetricNames.pushes, dimensions: [(AggregatorMetricNames.datacenterLabel, datacenter)])
        let failures = Counter(label: AggregatorMetricNames.pushErrors, dimensions: [(AggregatorMetricNames.datacenterLabel, datacenter)])
        try await withThrowingTaskGroup(of: Void.self) { group in
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
                do {
                    try await push(desired)
                    pushes.increment()
                    await core.pushed(desired.version, to: datacenter, url: url, bootId: status?.bootId)
                    backoff.reset()
                } catch {
                    failures.increment()
                    await core.pushFailed(to: datacenter, url: url, error: "\(error)")
                    logger.warning("push failed; will retry", metadata: ["dc": "\(datacenter)", "url": "\(url)", "error": "\(error)"])
                    try? await Task.sleep(for: backoff.next())
                    tick.yield()
                }
            }
            group.cancelAll()
        }
    }

    private func push(_ state: RemoteState) async throws {
        var request = HTTPClientRequest(url: "\(url)/v1/remote-state")
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(state)))
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = String(buffer: try await response.body.collect(upTo: 1024 * 1024))
        switch response.status.code {
        case 200:
            logger.info("pushed", metadata: ["dc": "\(datacenter)", "url": "\(url)", "version": "\(state.version)", "generation": "\(state.generation)"])
        case 409:
            if let applied = Self.appliedGeneration(in: body) { await core.raiseGeneration(above: applied) }
            throw PushError.rejected(409, body)
        default:
            throw PushError.rejected(Int(response.status.code), body)
        }
    }

    private static func appliedGeneration(in body: String) -> UInt64? {
        struct Conflict: Decodable { var appliedGeneration: UInt64? }
        return (try? JSONDecoder().decode(Conflict.self, from: Data(body.utf8)))?.appliedGeneration
    }
}

/// Why a push failed, as operators read it.
enum PushError: Error, CustomStringConvertible {
    case rejected(Int, String)

    var description: String {
        switch self {
        case .rejected(let code, let body): "HTTP \(code): \(body.prefix(300))"
        }
    }
}
