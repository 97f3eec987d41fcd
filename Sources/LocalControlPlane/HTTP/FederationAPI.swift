import CompressNIO
import Foundation
import Hummingbird
import Logging
import Metrics
import Shared

/// The federation endpoints: `GET /v1/state` (long-poll of this DC's services) and
/// `PUT /v1/remote-state` (the aggregator's push, bearer-token protected; `GET /v1/state` too with a state token).
struct FederationAPI: Sendable {
    static let maxWait: Duration = .seconds(300)
    static let defaultWait: Duration = .seconds(30)
    static let maxPushBytes = 64 * 1024 * 1024

    let publisher: LocalStatePublisher
    let remoteState: RemoteStateStore
    /// Tells how long the source has been failing, so the aggregator ages this DC's state by as much.
    let registryStatus: RegistryStatus
    /// `nil`: pushes are refused, since an unauthenticated push could replace every remote endpoint.
    let pushToken: String?
    /// When set, `GET /v1/state` needs it as a bearer token (the state lists every instance of the DC).
    var stateToken: String? = nil

    func register(on router: Router<BasicRequestContext>) {
        router.get("v1/state") { request, _ in try await state(request) }
        router.put("v1/remote-state") { request, context in try await push(request, context: context) }
    }

    private func state(_ request: Request) async throws -> Response {
        if let stateToken {
            guard BearerToken.authorizes(request.headers[.authorization], stateToken) else {
                return JSONBody.error("missing or wrong bearer token (GET /v1/state needs --state-token-file's token)", status: .unauthorized)
            }
        }
        let query = request.uri.queryParameters
        let index = query["index"].flatMap { UInt64($0) }
        guard let wait = query["wait"].map({ DurationText.parse(String($0)) }) ?? Self.defaultWait else {
            return JSONBody.error("wait: not a duration (like 30s)", status: .badRequest)
        }
        Counter(label: MetricNames.stateLongPolls).increment()
        Gauge(label: MetricNames.federationLastPoll).record(Date().timeIntervalSince1970)
        var state = await publisher.state(after: index, timeout: min(wait, Self.maxWait))
        state.sourceFailingSeconds = await registryStatus.failingSeconds
        var body = ByteBuffer(data: try JSONBody.encode(state))
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.init("X-State-Index")!] = String(state.index)
        if request.headers[.acceptEncoding]?.contains("gzip") == true {
            // DC states compress about tenfold (repeated keys, addresses and tags).
            body = try body.compress(with: .gzip)
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    private func push(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard let pushToken else {
            return JSONBody.error("remote-state pushes are disabled: start with --push-token-file", status: .forbidden)
        }
        guard BearerToken.authorizes(request.headers[.authorization], pushToken) else {
            Counter(label: MetricNames.remoteStateRejects, dimensions: [("reason", "unauthorized")]).increment()
            return JSONBody.error("missing or wrong bearer token", status: .unauthorized)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxPushBytes)
        } catch {
            return JSONBody.error("body larger than \(Self.maxPushBytes) bytes", status: .contentTooLarge)
        }
        let state: RemoteState
        do {
            state = try StrictJSON.decode(RemoteState.self, from: Data(buffer: body))
        } catch {
            Counter(label: MetricNames.remoteStateRejects, dimensions: [("reason", "malformed")]).increment()
            return JSONBody.error("invalid remote state: \(error)", status: .badRequest)
        }
        let outcome = await remoteState.apply(state)
        // `appliedVersion` differs from `version` where fresher slices of another aggregator's push were kept.
        let appliedVersion = await remoteState.current.version
        switch outcome {
        case .applied: return try JSONBody.response(["status": "applied", "version": state.version, "appliedVersion": appliedVersion])
        case .unchanged: return try JSONBody.response(["status": "unchanged", "version": state.version, "appliedVersion": appliedVersion])
        case .conflict(let reason, let applied):
            struct Conflict: Encodable { var error: String; var appliedGeneration: UInt64 }
            return try JSONBody.response(Conflict(error: reason, appliedGeneration: applied), status: .conflict)
        case .invalid(let problems): return JSONBody.error("invalid remote state: " + problems.joined(separator: "; "), status: .badRequest)
        case .storageFailed(let reason): return JSONBody.error(reason, status: .internalServerError)
        }
    }
}
