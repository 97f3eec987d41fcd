import Foundation
import Shared

/// The `--remote-state-file`: the applied remote state, the newest generation per aggregator and the owner of each
/// source DC's slice. At 20 DCs × 2,000 services × 20 instances the document is ~60 MB, and every DC's control
/// plane applies every one-instance change: rewriting it whole each time cost each of them a 60 MB write per change.
/// So the file is a base document (replaced atomically) plus a journal beside it (`<file>.journal`) of one JSON
/// line per later write, holding only the services that changed. The base is written again once the journal grows
/// past a quarter of it. Journal lines name the base they follow, so after a crash between a new base and the
/// journal's truncation, the old lines are ignored; a torn last line (a crash mid-append) ends the replay.
struct RemoteStateFile: Sendable {
    /// What the file holds (absent `owners`: written before slices had owners; absent `baseID`: before the journal).
    struct Contents: Codable {
        var state: RemoteState
        var generations: [String: UInt64]
        var owners: [String: String]?
        var baseID: String?

        init(state: RemoteState, generations: [String: UInt64], owners: [String: String]?) {
            self.state = state
            self.generations = generations
            self.owners = owners
        }
    }

    /// One journal line: the state's envelope (no services), what changed, and the bookkeeping as a whole.
    private struct JournalEntry: Codable {
        var base: String
        var envelope: RemoteState
        var services: [String: RemoteService]
        var removed: [String]
        var generations: [String: UInt64]
        var owners: [String: String]?
    }

    let url: URL
    var journalURL: URL { url.appendingPathExtension("journal") }
    /// Each service as last written, with its JSON (for the next base).
    private var fragments: [String: (service: RemoteService, json: Data)] = [:]
    /// The base this process wrote, which journal lines may follow; nil until it wrote one.
    private var base: (id: String, bytes: Int)?
    private var journalBytes = 0

    init(url: URL) {
        self.url = url
    }

    /// The last written contents: the base with the journal's lines that follow it replayed.
    func read() throws -> Contents? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        var contents = try JSONDecoder().decode(Contents.self, from: data)
        guard let baseID = contents.baseID, let journal = FileManager.default.contents(atPath: journalURL.path) else { return contents }
        let decoder = JSONDecoder()
        for line in journal.split(separator: UInt8(ascii: "\n")) {
            guard let entry = try? decoder.decode(JournalEntry.self, from: Data(line)) else { break }  // torn last line
            guard entry.base == baseID else { continue }  // lines of an older base
            var services = contents.state.services
            for name in entry.removed { services[name] = nil }
            services.merge(entry.services) { _, changed in changed }
            contents.state = entry.envelope
            contents.state.services = services
            contents.generations = entry.generations
            contents.owners = entry.owners
        }
        return contents
    }

    /// Writes `contents`: a journal line with the services that differ from the last write, or a new base.
    mutating func write(_ contents: Contents) throws {
        var changed: [String: RemoteService] = [:]
        var fragments = self.fragments
        for (name, service) in contents.state.services where fragments[name]?.service != service {
            changed[name] = service
            fragments[name] = (service, try SplicedJSON.encode(service))
        }
        let removed = fragments.keys.filter { contents.state.services[$0] == nil }.sorted()
        for name in removed { fragments[name] = nil }

        var envelope = contents
        envelope.state.services = [:]
        if let base {
            var entry = try SplicedJSON.encode(JournalEntry(
                base: base.id, envelope: envelope.state, services: changed, removed: removed, generations: contents.generations,
                owners: contents.owners))
            if journalBytes + entry.count <= base.bytes / 4 {
                entry.append(UInt8(ascii: "\n"))
                try append(entry)
                journalBytes += entry.count
                self.fragments = fragments
                return
            }
        }
        let baseID = UUID().uuidString
        envelope.baseID = baseID
        let document = try RemoteStateJSON.splice(envelope, services: fragments.mapValues(\.json))
        try document.write(to: url, options: .atomic)
        try Data().write(to: journalURL, options: .atomic)
        base = (baseID, document.count)
        journalBytes = 0
        self.fragments = fragments
    }

    private func append(_ line: Data) throws {
        let handle = try FileHandle(forWritingTo: journalURL)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
    }
}
