import Foundation
import Testing

@testable import LocalControlPlane
@testable import Shared

@Suite("Remote state file")
struct RemoteStateFileTests {
    /// `count` services of 20 instances each; `backendPort` moves one instance of `svc-0`.
    static func contents(generation: UInt64, backendPort: Int, count: Int = 50, without: Set<String> = []) -> RemoteStateFile.Contents {
        var services: [String: RemoteService] = [:]
        for index in 0..<count where !without.contains("svc-\(index)") {
            let instances = (0..<20).map { WireInstance(ServiceInstance(address: "10.0.\(index).\($0)", port: index == 0 && $0 == 0 ? backendPort : 8080)) }
            services["svc-\(index)"] = RemoteService(localities: [RemoteLocality(datacenter: "dc2", priority: 1, instances: instances)])
        }
        let state = RemoteState(generatedBy: "agg/test", generation: generation, services: services)
        return RemoteStateFile.Contents(state: state, generations: ["agg/test": generation], owners: ["dc2": "agg/test"])
    }

    static func file() -> (RemoteStateFile, URL) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("remote-\(UUID()).json")
        return (RemoteStateFile(url: url), url)
    }

    static func expectSame(_ read: RemoteStateFile.Contents?, _ written: RemoteStateFile.Contents, _ comment: Comment) {
        #expect(read?.state == written.state && read?.generations == written.generations && read?.owners == written.owners, comment)
    }

    static func size(_ url: URL) -> Int { (try? Data(contentsOf: url).count) ?? -1 }

    @Test("small changes go to the journal, the base stays; each write reads back whole; a large journal makes a new base")
    func journal() throws {
        var (file, url) = Self.file()
        defer { try? FileManager.default.removeItem(at: url); try? FileManager.default.removeItem(at: file.journalURL) }
        try file.write(Self.contents(generation: 1, backendPort: 1))
        let base = try Data(contentsOf: url)
        #expect(Self.size(file.journalURL) == 0)
        var last = Self.contents(generation: 1, backendPort: 1)
        for generation in UInt64(2)...6 {
            last = Self.contents(generation: generation, backendPort: Int(generation), without: generation == 4 ? ["svc-7"] : [])
            try file.write(last)
            Self.expectSame(try file.read(), last, "after write \(generation)")
        }
        let unchangedBase = try Data(contentsOf: url)
        #expect(unchangedBase == base, "one-service changes leave the base alone")
        let journalSize = Self.size(file.journalURL)
        #expect(journalSize > 0 && journalSize < base.count / 4, "\(journalSize) bytes of journal for a \(base.count)-byte base")

        var generation: UInt64 = 7
        while Self.size(file.journalURL) > 0, generation < 200 {  // each line holds one changed service
            last = Self.contents(generation: generation, backendPort: Int(generation))
            try file.write(last)
            generation += 1
        }
        let newBase = try Data(contentsOf: url)
        #expect(Self.size(file.journalURL) == 0 && newBase != base, "the journal was folded into a new base")
        Self.expectSame(try file.read(), last, "after the new base")
    }

    @Test("a torn last line ends the replay; lines of an older base are ignored; a restarted writer starts with a base")
    func crashes() throws {
        var (file, url) = Self.file()
        defer { try? FileManager.default.removeItem(at: url); try? FileManager.default.removeItem(at: file.journalURL) }
        try file.write(Self.contents(generation: 1, backendPort: 1))
        let second = Self.contents(generation: 2, backendPort: 2)
        try file.write(second)
        let handle = try FileHandle(forWritingTo: file.journalURL)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"base": "torn", "envel"#.utf8))
        try handle.close()
        Self.expectSame(try file.read(), second, "the torn line is left out")

        // A new writer (a restart) holds no base of its own: it writes one, and lines of the old base no longer count.
        let oldJournal = try Data(contentsOf: file.journalURL)
        var restarted = RemoteStateFile(url: url)
        let third = Self.contents(generation: 3, backendPort: 3)
        try restarted.write(third)
        #expect(Self.size(file.journalURL) == 0)
        try oldJournal.write(to: file.journalURL)  // as if the crash came between the new base and the journal's truncation
        Self.expectSame(try restarted.read(), third, "lines of the older base are not replayed")
    }
}
