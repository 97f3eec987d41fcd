import Foundation
import Testing

/// The aggregator's status page rendered by a real browser (Debian's headless Chromium): the DOM it builds
/// shows every DC with its freshness, the services, the replicas' push status and the policy; a screenshot is
/// taken too (`UPDATE_SCREENSHOT=1` writes it to docs/status-page.png).
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
            "region test", "<td>dc1</td>", "<td>dc2</td>", "fresh", "backend (2)", "backend (1)", world.dc1.api, world.dc2.api,
            "staleAfter", "45s", "split dc1: 80, dc2: 20",
        ] {
            #expect(dom.contains(expected), "rendered page shows \(expected)")
        }
        #expect(!dom.contains("never seen") && !dom.contains("Storage degraded"))

        let screenshot = ProcessInfo.processInfo.environment["UPDATE_SCREENSHOT"] == "1"
            ? TestEnvironment.packageRoot.appendingPathComponent("docs/status-page.png")
            : world.directory.appendingPathComponent("status-page.png")
        _ = try Self.chromium(["--screenshot=\(screenshot.path)", "--window-size=1280,720", "\(world.aggregator.api)/"], profile: profile)
        let size = (try FileManager.default.attributesOfItem(atPath: screenshot.path)[.size] as? Int) ?? 0
        #expect(size > 10_000, "a real rendering, not a blank page (\(size) bytes)")
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
