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
    /// A whole remote state at 20 DCs × 2,000 services × 20 instances is ~75 MB of JSON (about a tenth of it gzipped).
    static let maxDecodedPushBytes = 256 * 1024 * 1024
    static let stateIndexHeader = HTTPFields.Element.Name(FederationHeaders.stateIndex)!
    static let appliedRemoteVersionHeader = HTTPFields.Element.Name(FederationHeaders.appliedRemoteVersion)!
    static let sourceFailingSecondsHeader = HTTPFields.Element.Name(FederationHeaders.sourceFailingSeconds)!
    static let deltaBaseHeader = HTTPFields.Element.Name(FederationHeaders.deltaBase)!

    let publisher: LocalStatePublisher
    let remoteState: RemoteStateStore
    /// Tells how long the source has been failing, so the aggregator ages this DC's state by as much.
    let registryStatus: RegistryStatus
    /// `nil`: pushes are refused, since an unauthenticated push could replace every remote endpoint.
    let pushToken: String?
    /// When set, `GET /v1/state` needs it as a bearer token (the state lists every instance of the DC).
    var stateToken: String? = nil
    private let bodies = StateBodyCache()
    private let pushes = PushDeduplication()
    private let metrics = FederationMetrics()

    /// Created once: a metric handle made per request is a registry lookup per request.
    private struct FederationMetrics: Sendable {
        let longPolls = Counter(label: MetricNames.stateLongPolls)
        let lastPoll = Gauge(label: MetricNames.federationLastPoll)
        let unauthorized = Counter(label: MetricNames.remoteStateRejects, dimensions: [("reason", "unauthorized")])
        let malformed = Counter(label: MetricNames.remoteStateRejects, dimensions: [("reason", "malformed")])
    }

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
        metrics.longPolls.increment()
        metrics.lastPoll.record(Date().timeIntervalSince1970)
        // `delta=<bootId>`: the poller holds this boot's state at `index` and can apply what changed since.
        let heldBootId = query["delta"].map(String.init)
        let answer = await publisher.answer(after: index, heldBootId: heldBootId, timeout: min(wait, Self.maxWait))
        var headers: HTTPFields = [.contentType: "application/json"]
        let etag = "\"\(answer.bootId)-\(answer.index)\""
        headers[.eTag] = etag
        headers[Self.stateIndexHeader] = String(answer.index)
        // Current at every answer, though the body is encoded once per index (an applied push or a failing source
        // does not move the index, so they never force the aggregator to read the whole state again).
        headers[Self.appliedRemoteVersionHeader] = answer.appliedRemoteVersion ?? ""
        headers[Self.sourceFailingSecondsHeader] = String(Int(await registryStatus.failingSeconds))
        // A long-poll that ends without a change confirms the state the poller has: no body (a DC of 40,000
        // instances is megabytes, and every aggregator asks every `wait`).
        if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: headers) }
        let gzip = request.headers[.acceptEncoding]?.contains("gzip") == true
        var body: ByteBuffer
        switch answer {
        case .whole(let state):
            body = try bodies.body(of: state, gzip: gzip)
        case .delta(let delta):
            headers[Self.deltaBaseHeader] = String(delta.baseIndex)
            body = ByteBuffer(data: try JSONBody.encode(delta))
            if gzip { body = try body.compress(with: .gzip) }
        }
        if gzip { headers[.contentEncoding] = "gzip" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    private func push(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard let pushToken else {
            return JSONBody.error("remote-state pushes are disabled: start with --push-token-file", status: .forbidden)
        }
        guard BearerToken.authorizes(request.headers[.authorization], pushToken) else {
            metrics.unauthorized.increment()
            return JSONBody.error("missing or wrong bearer token", status: .unauthorized)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxPushBytes)
        } catch {
            return JSONBody.error("body larger than \(Self.maxPushBytes) bytes", status: .contentTooLarge)
        }
        let gzip = request.headers[.contentEncoding] == "gzip"
        let digest = PushDeduplication.digest(of: body, gzip: gzip)
        let answer = await pushes.once(digest) { [self] in await apply(body, gzip: gzip) }
        return Response(
            status: .init(code: answer.status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    private func apply(_ received: ByteBuffer, gzip: Bool) async -> PushDeduplication.Answer {
        var body = received
        if gzip {
            do {
                // The same limit after decompression: a small gzip body must not expand without bound.
                body = try body.decompress(with: .gzip, maxSize: Self.maxDecodedPushBytes)
                guard body.readableBytes <= Self.maxDecodedPushBytes else { throw CompressNIOError.bufferOverflow }
            } catch {
                metrics.malformed.increment()
                return .error("gzip body does not decompress within \(Self.maxDecodedPushBytes) bytes: \(error)", status: .badRequest)
            }
        }
        let state: RemoteState
        do {
            state = try StrictJSON.decode(RemoteState.self, from: Data(buffer: body))
        } catch {
            metrics.malformed.increment()
            return .error("invalid remote state: \(error)", status: .badRequest)
        }
        let outcome = await remoteState.apply(state)
        // `appliedVersion` differs from `version` where fresher slices of another aggregator's push were kept.
        let appliedVersion = await remoteState.current.version
        switch outcome {
        case .applied, .unchanged:
            let unchanged = PushDeduplication.Answer.json(["status": "unchanged", "version": state.version, "appliedVersion": appliedVersion])
            guard outcome == .applied else { return unchanged }
            var applied = PushDeduplication.Answer.json(["status": "applied", "version": state.version, "appliedVersion": appliedVersion])
            applied.repeated = unchanged.body
            return applied
        case .conflict(let reason, let applied):
            struct Conflict: Encodable { var error: String; var appliedGeneration: UInt64 }
            return .json(Conflict(error: reason, appliedGeneration: applied), status: .conflict)
        case .invalid(let problems): return .error("invalid remote state: " + problems.joined(separator: "; "), status: .badRequest)
        case .storageFailed(let reason): return .error(reason, status: .internalServerError)
        case .baseMismatch(let held):
            struct Mismatch: Encodable { var error: String; var appliedVersion: String }
            return .json(
                Mismatch(error: "base \(state.base ?? "") is not the applied version; send the whole state", appliedVersion: held),
                status: .preconditionFailed)
        }
    }
}

extension PushDeduplication.Answer {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Self {
        // The answers are plain structs and string dictionaries: they always encode.
        Self(status: status.code, body: (try? JSONBody.encode(value)) ?? Data("{}".utf8))
    }

    static func error(_ message: String, status: HTTPResponse.Status) -> Self {
        json(["error": message], status: status)
    }
}
