import Foundation
import Shared

/// The `--remote-state-file`: the applied remote state, the newest generation per aggregator and the owner of each
/// source DC's slice, as one JSON document replaced atomically. Each service's JSON is kept between writes and only
/// services that differ from the last write are encoded again: at 20 DCs × 2,000 services × 20 instances the
/// document is ~60 MB, and a one-instance change must not cost a full encoding.
struct RemoteStateFile: Sendable {
    /// What the file holds (absent `owners`: written before slices had owners).
    struct Contents: Codable {
        var state: RemoteState
        var generations: [String: UInt64]
        var owners: [String: String]?
    }

    let url: URL
    /// Each service as last written, with its JSON.
    private var fragments: [String: (service: RemoteService, json: Data)] = [:]

    init(url: URL) {
        self.url = url
    }

    func read() throws -> Contents? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try JSONDecoder().decode(Contents.self, from: data)
    }

    /// Writes `contents`, encoding anew only the services that differ from the last write (all of them the first time).
    mutating func write(_ contents: Contents) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var fragments: [String: (service: RemoteService, json: Data)] = [:]
        for (name, service) in contents.state.services {
            if let written = self.fragments[name], written.service == service {
                fragments[name] = written
            } else {
                fragments[name] = (service, try encoder.encode(service))
            }
        }
        var envelope = contents
        envelope.state.services = [:]
        let document = try RemoteStateJSON.splice(envelope, services: fragments.mapValues(\.json))
        try document.write(to: url, options: .atomic)
        self.fragments = fragments
    }
}
