import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOFoundationCompat
import ServiceLifecycle
import Shared

/// Long-polls one control-plane replica's `GET /v1/state` and hands every valid state to the core,
/// which stores it before use. Errors back off with jitter; the last good state stays in force.
struct DatacenterPoller: Service {
    static let maxBodyBytes = 64 * 1024 * 1024

    let datacenter: String
    let url: String
    let core: AggregatorCore
    let client: HTTPClient
    let wait: Duration
    let stateToken: String?
    private let logger = Logger(label: "aggregator.poll")
    private let wholeBytes: Counter
    private let deltaBytes: Counter
    private var drops: InstanceDropLog { InstanceDropLog(source: datacenter, logger: logger) }

    init(datacenter: String, url: String, core: AggregatorCore, client: HTTPClient, wait: Duration, stateToken: String?) {
        self.datacenter = datacenter
        self.url = url
        self.core = core
        self.client = client
        self.wait = wait
        self.stateToken = stateToken
        let bytes = { (form: String) in
            Counter(label: AggregatorMetricNames.pollBodyBytes, dimensions: [
                (AggregatorMetricNames.datacenterLabel, datacenter), (AggregatorMetricNames.formLabel, form),
            ])
        }
        wholeBytes = bytes("whole")
        deltaBytes = bytes("delta")
    }

    func run() async throws {
        // An open long-poll would hold shutdown for up to its wait: cancel it.
        await cancelWhenGracefulShutdown { await poll() }
    }

    private func poll() async {
        /// The last state this replica answered, as admitted: deltas apply to it.
        var held: DatacenterState?
        var backoff = Backoff()
        let polls = Counter(label: AggregatorMetricNames.polls, dimensions: [(AggregatorMetricNames.datacenterLabel, datacenter)])
        let errors = Counter(label: AggregatorMetricNames.pollErrors, dimensions: [(AggregatorMetricNames.datacenterLabel, datacenter)])
        let latency = Metrics.Timer(label: AggregatorMetricNames.pollSeconds, dimensions: [(AggregatorMetricNames.datacenterLabel, datacenter)])
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                let answer = try await fetch(after: held)
                polls.increment()
                latency.record(duration: ContinuousClock.now - started)
                switch answer {
                case .state(let state):
                    if let held, state.bootId != held.bootId {
                        logger.info("control plane restarted", metadata: [LogKey.datacenter: "\(datacenter)", "url": "\(url)"])
                    }
                    await core.accept(state, from: url)
                    held = state
                case .unchanged(let appliedRemoteVersion, let sourceFailingSeconds):
                    guard let held else { throw PollError.invalid("'not modified' to a poll that named no state") }
                    await core.confirm(
                        datacenter: datacenter, url: url, bootId: held.bootId, index: held.index,
                        appliedRemoteVersion: appliedRemoteVersion, sourceFailingSeconds: sourceFailingSeconds)
                }
                backoff.reset()
            } catch where Task.isCancelled {
                return
            } catch {
                errors.increment()
                // A delta this poller could not place: the next poll asks for the whole state.
                if error is DatacenterStateDelta.BaseMismatch { held = nil }
                await core.pollFailed(datacenter: datacenter, url: url, error: "\(error)")
                logger.warning("poll failed; keeping the last good state", metadata: [
                    LogKey.datacenter: "\(datacenter)", "url": "\(url)", "error": "\(error)",
                ])
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    /// What a poll returned: a state to use, or "unchanged" (the replica confirmed the state this poller has).
    enum Answer {
        case state(DatacenterState)
        case unchanged(appliedRemoteVersion: String?, sourceFailingSeconds: Double)
    }

    private func fetch(after held: DatacenterState?) async throws -> Answer {
        var query = "wait=\(DurationText.format(wait))"
        if let held { query += "&index=\(held.index)&delta=\(held.bootId)" }
        var request = HTTPClientRequest(url: "\(url)/v1/state?\(query)")
        request.headers.add(name: "Accept-Encoding", value: "gzip")
        if let held { request.headers.add(name: "If-None-Match", value: "\"\(held.bootId)-\(held.index)\"") }
        if let stateToken { request.headers.add(name: "Authorization", value: "Bearer \(stateToken)") }
        let response = try await client.execute(request, timeout: .seconds(wait.components.seconds + 15))
        let applied = response.headers.first(name: FederationHeaders.appliedRemoteVersion).map { $0.isEmpty ? nil : $0 }
        let failing = response.headers.first(name: FederationHeaders.sourceFailingSeconds).flatMap(Double.init)
        if response.status == .notModified {
            return .unchanged(appliedRemoteVersion: applied ?? nil, sourceFailingSeconds: failing ?? 0)
        }
        let body = try await response.body.collect(upTo: Self.maxBodyBytes)
        guard response.status == .ok else {
            throw PollError.status(Int(response.status.code), String(buffer: body).prefix(200).description)
        }
        let isDelta = response.headers.first(name: FederationHeaders.deltaBase) != nil
        (isDelta ? deltaBytes : wholeBytes).increment(by: body.readableBytes)
        let admitted: StateValidation.Admitted
        do {
            if isDelta {
                admitted = try admit(try StrictJSON.decode(DatacenterStateDelta.self, from: Data(buffer: body)), onto: held)
            } else {
                admitted = try StateValidation.admit(try StrictJSON.decode(DatacenterState.self, from: Data(buffer: body)))
            }
        } catch let mismatch as DatacenterStateDelta.BaseMismatch {
            throw mismatch
        } catch let refusal as StateValidation.Refusal {
            throw PollError.invalid(refusal.description)
        } catch {
            throw PollError.invalid("\(error)")
        }
        var state = admitted.state
        // Current at every answer, while the body is encoded once per state index.
        if let applied { state.appliedRemoteVersion = applied }
        if let failing { state.sourceFailingSeconds = failing }
        guard state.datacenter == datacenter else {
            throw PollError.invalid("replica reports datacenter '\(admitted.state.datacenter)', configured as '\(datacenter)'")
        }
        // One bad instance or service is left out on its own; the DC's other changes still flow.
        drops.report(admitted.dropped)
        if !admitted.droppedServices.isEmpty {
            logger.warning("services left out of a DC state", metadata: [
                LogKey.datacenter: "\(datacenter)", "url": "\(url)", "problems": "\(admitted.droppedServices.prefix(5))",
            ])
        }
        return .state(state)
    }

    /// The held state with `delta` applied; only the changed services are checked (the rest passed before).
    private func admit(_ delta: DatacenterStateDelta, onto held: DatacenterState?) throws -> StateValidation.Admitted {
        guard let held else { throw DatacenterStateDelta.BaseMismatch(description: "a delta to a poll that named no state") }
        var changes = delta
        let checked = try StateValidation.admit(DatacenterState(
            datacenter: delta.datacenter, index: delta.index, bootId: delta.bootId, services: delta.changed,
            appliedRemoteVersion: delta.appliedRemoteVersion))
        changes.changed = checked.state.services
        // A changed service dropped as a whole is gone from this DC's state, as in a whole answer.
        let kept = Set(changes.changed.map(\.name))
        changes.removed += delta.changed.map(\.name).filter { !kept.contains($0) }
        return StateValidation.Admitted(
            state: try held.applying(changes), dropped: checked.dropped, droppedServices: checked.droppedServices)
    }
}

/// Why a poll failed, as operators read it in logs and `/v1/datacenters`.
enum PollError: Error, CustomStringConvertible {
    case status(Int, String)
    case invalid(String)

    var description: String {
        switch self {
        case .status(let code, let body): "HTTP \(code): \(body)"
        case .invalid(let reason): "invalid state: \(reason)"
        }
    }
}
