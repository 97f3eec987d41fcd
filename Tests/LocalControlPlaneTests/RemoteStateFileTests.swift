import Foundation
import Testing

@testable import LocalControlPlane
@testable import Shared

@Suite("Remote state file")
struct RemoteStateFileTests {
    static func services(_ backendPort: Int) -> [String: RemoteService] {
        func service(_ port: Int) -> RemoteService {
            RemoteService(localities: [RemoteLocality(
                datacenter: "dc2", priority: 1, instances: [WireInstance(ServiceInstance(address: "10.0.0.2", port: port))])])
        }
        return ["backend": service(backendPort), "payments": service(9000)]
    }

    @Test("each write reads back whole; a service changed since the last write is written anew, the rest reused")
    func writesWhatChanged() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("remote-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        var file = RemoteStateFile(url: url)
        for (generation, port) in [(1, 8080), (2, 8081), (3, 8081)] {
            let state = RemoteState(generatedBy: "agg/test", generation: UInt64(generation), services: Self.services(port))
            let contents = RemoteStateFile.Contents(state: state, generations: ["agg/test": UInt64(generation)], owners: ["dc2": "agg/test"])
            try file.write(contents)
            let read = try #require(try file.read())
            #expect(read.state == state && read.generations == contents.generations && read.owners == contents.owners)
        }
    }
}
