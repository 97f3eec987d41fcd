import Foundation
import GlobalAggregator
import Testing

/// The aggregator's status page rendered by a real browser (Debian's headless Chromium): the DOM it builds
/// shows every DC with its freshness, the replicas' push status and the policy; a search finds a service and its
/// routing matrix; `global-aggregator explain` prints what `/v1/routes` answers. Screenshots are taken too
/// (`UPDATE_SCREENSHOT=1` writes docs/status-page.png and docs/status-page-routes.png).
@Suite("Status page in headless Chromium", .serialized, .timeLimit(.minutes(2)))
struct StatusPageTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test("DCs, services, push status and policy render", .enabled(if: chromium != nil, "Chromium is installed by scripts/setup.sh"))
    func rendersInChromium() async throws {
        let world = try await FederationWorld(
            name: "status-page", dc1Backends: ["dc1-a"], dc2Backends: ["dc2-a", "dc2-b"],
            policyYAML: "staleAfter: 45s\nservices:\n  backend: { split: { dc1: 80, dc2: 20 } }\n")
        defer { world.stop() }
        // First convergence of a new federation (two control planes, an aggregator, an Envoy): about 10 s alone; 20 s
        // was once too short in a full run, so the bound is generous.
        #expect(await TestEnvironment.waitUntil(timeout: .seconds(60)) { await world.endpointsInDC1().count == 3 }, "federation converged")
        let pushed = await TestEnvironment.waitUntil {
            let page = await HTTP.text("\(world.aggregator.api)/") ?? ""
            return page.components(separatedBy: "class=ok><code>").count == 3  // both replicas report the desired version
        }
        #expect(pushed, "both control planes applied the desired version")

        let profile = world.directory.appendingPathComponent("chromium-profile")
        let dom = try Self.chromium(["--dump-dom", "\(world.aggregator.api)/"], profile: profile)
        for expected in [
            "region test", "<td>dc1</td>", "<td>dc2</td>", "fresh", "1 of 1", world.dc1.api, world.dc2.api,
            "staleAfter", "45s", "split dc1: 80, dc2: 20",
        ] {
            #expect(dom.contains(expected), "rendered page shows \(expected)")
        }
        #expect(!dom.contains("never seen") && !dom.contains("Storage degraded"))
        #expect(dom.contains("<svg") && dom.contains("merge → replica holds it: p50"), "the push history chart")

        let screenshot = ProcessInfo.processInfo.environment["UPDATE_SCREENSHOT"] == "1"
            ? TestEnvironment.packageRoot.appendingPathComponent("docs/status-page.png")
            : world.directory.appendingPathComponent("status-page.png")
        _ = try Self.chromium(["--screenshot=\(screenshot.path)", "--window-size=1280,720", "\(world.aggregator.api)/"], profile: profile)
        let size = (try FileManager.default.attributesOfItem(atPath: screenshot.path)[.size] as? Int) ?? 0
        #expect(size > 10_000, "a real rendering, not a blank page (\(size) bytes)")

        // The operator's questions: find the service, see where each DC's Envoys send it and why.
        let found = try Self.chromium(["--dump-dom", "\(world.aggregator.api)/?q=back"], profile: profile)
        #expect(found.contains("Services matching “back” (1)") && found.contains("href=\"/?service=backend\""), "search finds the service")
        let matrix = try Self.chromium(["--dump-dom", "\(world.aggregator.api)/?service=backend"], profile: profile)
        for expected in ["Routing of backend", "services.backend.split: dc1 80, dc2 20", "split: weight 20 (services.backend.split)",
                         "local, sharing under services.backend.split"] {
            #expect(matrix.contains(expected), "matrix shows \(expected)")
        }
        let matrixShot = ProcessInfo.processInfo.environment["UPDATE_SCREENSHOT"] == "1"
            ? TestEnvironment.packageRoot.appendingPathComponent("docs/status-page-routes.png")
            : world.directory.appendingPathComponent("status-page-routes.png")
        _ = try Self.chromium(["--screenshot=\(matrixShot.path)", "--window-size=1280,720", "\(world.aggregator.api)/?service=backend"], profile: profile)

        // A control plane's own view: its Envoys, and what one of them received, with each locality's DC and priority.
        let envoys = try Self.chromium(["--dump-dom", "\(world.dc1.api)/debug/envoys.html"], profile: profile)
        #expect(envoys.contains("href=\"/debug/envoy?node=client-dc1\"") && envoys.contains("1 of 1 streams"), "Envoy listed")
        let received = try Self.chromium(["--dump-dom", "\(world.dc1.api)/debug/envoy?node=client-dc1"], profile: profile)
        #expect(received.contains("<td>backend</td><td class=\"ok\">dc1 (local)</td><td>0</td><td>80</td><td>1</td>")
                || received.contains("<td>backend</td><td class=ok>dc1 (local)</td><td>0</td><td>80</td><td>1</td>"), "local locality")
        #expect(received.contains("dc2</td><td>0</td><td>20</td><td>2</td>"), "dc2 at priority 0, weight 20, 2 endpoints")

        // `global-aggregator explain` says in words what /v1/routes answers.
        let json = try #require(await HTTP.text("\(world.aggregator.api)/v1/routes?service=backend&dc=dc1"))
        let routes = try JSONDecoder().decode(ServiceRoutes.self, from: Data(json.utf8))
        let explained = try TestEnvironment.capture(
            TestEnvironment.executable("global-aggregator"), ["explain", "--service", "backend", "--datacenter", "dc1", "--url", world.aggregator.api])
        #expect(explained.status == 0)
        #expect(explained.output == routes.explanation(from: "dc1"), "\(explained.output)")
        #expect(explained.output.contains("1. dc1: priority 0, weight 80, 1 instance — local"), "\(explained.output)")
        #expect(explained.output.contains("2. dc2: priority 0, weight 20, 2 instances — split"), "\(explained.output)")
        let unknown = try TestEnvironment.capture(
            TestEnvironment.executable("global-aggregator"), ["explain", "--service", "backend", "--datacenter", "dc7", "--url", world.aggregator.api])
        #expect(unknown.status != 0 && unknown.output.contains("'dc7' is not a datacenter of this region"), "\(unknown.output)")
    }

    /// Runs headless Chromium and returns what it printed to stdout.
    static func chromium(_ arguments: [String], profile: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(chromium))
        process.arguments = ["--headless", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(profile.path)"]
            + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
