import Foundation
import Testing

/// The load generator itself, end to end at a small scale: the `xds-load` binary against the real control plane
/// (with the Consul double and a kill -9 restart) and against the floor server, reading the JSON report.
@Suite("xds-load end to end", .serialized, .timeLimit(.minutes(3)))
struct LoadGeneratorTests {
    struct Report: Decodable {
        struct Latencies: Decodable { let count: Int }
        let target: String
        let configuredStreams: Int
        let singleChange: Latencies
        let singleSmallChange: Latencies
        let sustainedChange: Latencies
        let sustainedSend: Latencies
        let restartReconfigureSeconds: Double?
        let singleChangeCPUSecondsPer1000Streams: Double?
    }

    @Test("every stream configured, every change seen by every subscriber", arguments: [
        (target: "control-plane", protocolName: "delta"), (target: "floor", protocolName: "sotw"),
    ])
    func smallRun(target: String, protocolName: String) async throws {
        let directory = try TestEnvironment.temporaryDirectory("xds-load-\(target)")
        let json = directory.appendingPathComponent("report.json").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.executable("xds-load"))
        process.arguments = [
            "--target", target, "--control-plane", TestEnvironment.executable("local-control-plane"),
            "--protocol", protocolName, "--streams", "60", "--groups", "6", "--dependencies", "3", "--services", "30",
            "--instances", "2", "--single-changes", "2", "--change-rate", "20", "--sustain-seconds", "2",
            "--work-directory", directory.path, "--json", json, "--server-cpus", "0",
        ]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "see \(directory.path)")
        let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(report.configuredStreams == 60)
        #expect(report.singleChange.count == 1 && report.singleSmallChange.count == 1,
                "a single change is counted once every subscriber has it, as shared or small by whom it reaches")
        #expect(report.sustainedChange.count > 0 && report.sustainedSend.count == report.sustainedChange.count)
        #expect(report.target.hasPrefix(target == "floor" ? "floor" : "local-control-plane"))
        #expect(report.singleChangeCPUSecondsPer1000Streams != nil, "the server's CPU of the change to the shared service, pinned to CPU 0")
        if target == "control-plane" {
            #expect(report.restartReconfigureSeconds != nil, "reconfigured after kill -9")
        }
    }
}
