import EnvoyAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

/// The measured phases of a load run, against a control plane that watches `catalog`.
struct LoadPhases: Sendable {
    let scenario: LoadScenario
    let consul: ConsulDoubleDriver
    let controlPlane: ChildProcess
    let xdsPort: Int
    let metricsURL: String
    static let propagationMetric = "xds_change_propagation_seconds"
    let log: @Sendable (String) -> Void
    let recorder: LoadRecorder
    /// Receivers per service, computed once: the change driver needs it for every change.
    let subscribers: [String: Int]
    let markers: ChangeMarkers
    let digests: ResourceDigests

    init(scenario: LoadScenario, consul: ConsulDoubleDriver, controlPlane: ChildProcess, xdsPort: Int, metricsURL: String,
         log: @escaping @Sendable (String) -> Void) {
        self.metricsURL = metricsURL
        (self.scenario, self.consul, self.controlPlane, self.xdsPort, self.log) = (scenario, consul, controlPlane, xdsPort, log)
        recorder = LoadRecorder(streams: scenario.streams)
        subscribers = scenario.subscriberCounts()
        markers = ChangeMarkers()
        digests = ResourceDigests(markers: markers)
    }

    func run(into report: inout LoadReport, restart: Bool) async throws {
        let clients = try (0..<scenario.connectionCount).map { _ in try GRPCClient(transport: Self.transport(port: xdsPort)) }
        let peak = PeakMemory()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { try await client.runConnections() } }
            group.addTask { await peak.sample { controlPlane.stats } }
            let cpuBefore = controlPlane.stats?.cpuSeconds ?? 0
            let connectStarted = ContinuousClock.now
            for stream in 0..<scenario.streams {
                let envoy = SimulatedEnvoy(
                    stream: stream, node: try scenario.node(stream: stream), xdsProtocol: scenario.xdsProtocol,
                    nodeOnFirstMessageOnly: scenario.nodeOnFirstMessageOnly,
                    recorder: recorder, digests: digests)
                let client = ADSClient(wrapping: clients[stream % clients.count])
                group.addTask { await envoy.run(client) }
                if scenario.connectRate > 0 && stream % scenario.connectRate == scenario.connectRate - 1 {
                    try await Task.sleep(for: .seconds(1))
                }
            }
            let configured = await waitUntilConfigured(timeout: .seconds(300))
            report.configuredStreams = recorder.configuredCount
            report.initialConfigSeconds = configured ? (ContinuousClock.now - connectStarted).seconds : nil
            report.connectCPUSeconds = controlPlane.stats.map { $0.cpuSeconds - cpuBefore }
            report.residentMegabytesAfterConnect = controlPlane.stats?.residentMegabytes
            log("connect: \(report.configuredStreams) configured in \(report.initialConfigSeconds.map { String(format: "%.2f s", $0) } ?? "—")")
            guard configured else { throw LoadError("only \(recorder.configuredCount) of \(scenario.streams) streams got their config") }

            var sequence = 0
            var shared: [Duration] = []
            var small: [Duration] = []
            var cpuPerThousand: [Double] = []
            for round in 0..<scenario.singleChanges {
                sequence += 1
                let toEveryone = round.isMultiple(of: 2) && scenario.sharedDependencies > 0
                let service = toEveryone ? scenario.serviceName(0) : scenario.dependencies(ofGroup: round % scenario.groups).last!
                let receivers = subscribers[service, default: 0]
                let cpuBefore = await settledCPUSeconds()
                let started = ContinuousClock.now
                try await change(sequence, service)
                if await waitUntil(timeout: .seconds(30), { recorder.isDone(sequence) }) {
                    let took = ContinuousClock.now - started
                    if toEveryone { shared.append(took) } else { small.append(took) }
                    // The server's whole cost of the change: the source's update, generation, every response and ACK.
                    let cpu = await settledCPUSeconds() - cpuBefore
                    if toEveryone && receivers > 0 { cpuPerThousand.append(cpu * 1000 / Double(receivers)) }
                    log("single change \(round + 1): \(service), \(receivers) receivers, \(took), server CPU \(String(format: "%.3f", cpu)) s")
                }
            }
            _ = recorder.takeLatencies()
            report.singleChange = .init(shared)
            report.singleSmallChange = .init(small)
            report.singleChangeCPUSecondsPer1000Streams = cpuPerThousand.sorted().dropFirst(cpuPerThousand.count / 2).first
            log("single changes: \(shared.count) to every stream, p99 \(report.singleChange.p99Seconds) s; \(small.count) to one group, p99 \(report.singleSmallChange.p99Seconds) s")

            try await sustain(&sequence, report: &report)
            if restart { try await restartControlPlane(report: &report) }
            report.residentMegabytesPeak = peak.megabytes
            report.resourceBytesReceived = recorder.bytesReceived
            report.reconnects = recorder.reconnects
            group.cancelAll()
        }
    }

    /// The server's CPU seconds once it has gone quiet (two reads 100 ms apart within one clock tick), so a
    /// change's cost includes the ACKs it is still reading; gives up waiting after 3 s.
    private func settledCPUSeconds() async -> Double {
        var last = controlPlane.stats?.cpuSeconds ?? 0
        for _ in 0..<30 {
            try? await Task.sleep(for: .milliseconds(100))
            let now = controlPlane.stats?.cpuSeconds ?? 0
            if now - last < 0.015 { return now }
            last = now
        }
        return last
    }

    /// Changes at `changeRate` per second for `sustainSeconds`.
    private func sustain(_ sequence: inout Int, report: inout LoadReport) async throws {
        // Every service some group uses, in random order, changed in turn: two changes to one service are never in
        // flight together (their order could flip on the way to Consul).
        let services = Array(Set((0..<scenario.groups).flatMap { scenario.dependencies(ofGroup: $0) })).shuffled()
        let interval = Duration.seconds(1) / max(scenario.changeRate, 1)
        let propagationBefore = await HistogramScrape.fetch(metricsURL, name: Self.propagationMetric)
        let cpuBefore = controlPlane.stats?.cpuSeconds ?? 0
        let ownCPUBefore = ProcessStats(pid: getpid())?.cpuSeconds ?? 0
        let started = ContinuousClock.now
        let first = sequence + 1
        let count = scenario.changeRate * scenario.sustainSeconds
        sequence += count
        // Changes are sent without waiting for the previous one, so a slow answer does not lower the rate.
        try await consul.moves(count: count, every: interval) { number in
            let (sequence, service) = (first + number, services[(first + number) % services.count])
            recorder.begin(change: sequence, service: service, expected: subscribers[service, default: 0])
            return (service, markers.register(sequence: sequence, service: service))
        } accepted: { recorder.sent(after: $0) } everySecond: { recorder.sampleBacklog() }
        let phaseSeconds = (ContinuousClock.now - started).seconds
        report.sustainedCPUPercent = controlPlane.stats.map { 100 * ($0.cpuSeconds - cpuBefore) / phaseSeconds }
        report.sustainedLoadGeneratorCPUPercent = ProcessStats(pid: getpid()).map { 100 * ($0.cpuSeconds - ownCPUBefore) / phaseSeconds }
        let drainStarted = ContinuousClock.now
        if await waitUntil(timeout: .seconds(60), { recorder.pendingChanges == 0 }) {
            report.sustainedDrainSeconds = (ContinuousClock.now - drainStarted).seconds
        }
        if let before = propagationBefore, let after = await HistogramScrape.fetch(metricsURL, name: Self.propagationMetric) {
            let phase = after.subtracting(before)
            report.sustainedControlPlaneView = .init(
                acks: Int(phase.total), p50AtMostSeconds: phase.quantileBound(0.5), p99AtMostSeconds: phase.quantileBound(0.99))
        }
        let (changes, arrivals, sends) = recorder.takeLatencies()
        let backlog = recorder.takeBacklog()
        report.sustainedChange = .init(changes)
        report.sustainedArrival = .init(arrivals)
        report.sustainedSend = .init(sends)
        report.sustainedBacklog = backlog
        log("sustained: \(changes.count) changes, p99 \(report.sustainedChange.p99Seconds) s, backlog \(backlog)")
    }

    private func restartControlPlane(report: inout LoadReport) async throws {
        controlPlane.kill9()
        _ = await waitUntil(timeout: .seconds(30)) { recorder.configuredCount == 0 }
        let started = ContinuousClock.now
        try controlPlane.start()
        if await waitUntilConfigured(timeout: .seconds(300)) {
            report.restartReconfigureSeconds = (ContinuousClock.now - started).seconds
        }
        log("restart: all configured again after \(report.restartReconfigureSeconds.map { String(format: "%.2f s", $0) } ?? "—")")
    }

    private func change(_ sequence: Int, _ service: String) async throws {
        let port = markers.register(sequence: sequence, service: service)
        recorder.begin(change: sequence, service: service, expected: subscribers[service, default: 0])
        try await consul.move(service, to: port)
    }

    private func waitUntilConfigured(timeout: Duration) async -> Bool {
        await waitUntil(timeout: timeout) { recorder.configuredCount == scenario.streams }
    }

    private func waitUntil(timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Reconnects on Envoy's schedule.
    private static func transport(port: Int) throws -> HTTP2ClientTransport.Posix {
        var config = HTTP2ClientTransport.Posix.Config.defaults
        config.backoff = EnvoyBackoff.channelReconnects
        return try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext, config: config)
    }
}

/// The control plane's peak resident memory, sampled every 500 ms.
final class PeakMemory: @unchecked Sendable {
    private let lock = NSLock()
    private var peak = 0.0

    var megabytes: Double { lock.withLock { peak } }

    func sample(_ stats: @Sendable () -> ProcessStats?) async {
        while !Task.isCancelled {
            if let rss = stats()?.residentMegabytes { lock.withLock { peak = max(peak, rss) } }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}
