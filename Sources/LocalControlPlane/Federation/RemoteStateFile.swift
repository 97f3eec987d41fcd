import Foundation
import Shared

/// The `--remote-state-file`: the applied remote state, the newest generation per aggregator and the owner of each
/// source DC's slice, as one JSON document replaced atomically. Each service's JSON is kept between writes and only
/// changed services are encoded again: at 20 DCs × 2,000 services × 20 instances the document is ~60 MB, and a
/// one-instance delta must not cost a full encoding.
struct RemoteStateFile: Sendable {
    /// What the file holds (absent `owners`: written before slices had owners).
    struct Contents: Codable {
        var state: RemoteState
        var generations: [String: UInt64]
        var owners: [String: String]?
    }

    let url: URL
    private var fragments: [String: Data] = [:]

    init(url: URL) {
        self.url = url
    }

    func read() throws -> Contents? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try JSONDecoder().decode(Contents.self, from: data)
    }

    /// Writes `contents`, encoding anew only the services named in `changed` (nil: all of them) and those it has not
    /// encoded yet.
    mutating func write(_ contents: Contents, changed: Set<String>?) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var fragments = changed == nil ? [:] : self.fragments.filter { contents.state.services[$0.key] != nil }
        // Changed services, and any not encoded yet (the first write after a restore).
        for (name, service) in contents.state.services where fragments[name] == nil || changed?.contains(name) == true {
            fragments[name] = try encoder.encode(service)
        }
        var envelope = contents
        envelope.state.services = [:]
        let frame = try encoder.encode(envelope)
        // With sorted keys the one empty `"services":{}` is the state's (a JSON string cannot hold an unescaped quote).
        guard let slot = frame.range(of: Data(#""services":{}"#.utf8)) else { throw CocoaError(.coderInvalidValue) }
        var document = Data(capacity: frame.count + fragments.values.reduce(0) { $0 + $1.count + 8 + 64 })
        document.append(frame[..<slot.lowerBound])
        document.append(contentsOf: #""services":{"#.utf8)
        for (position, name) in fragments.keys.sorted().enumerated() {
            if position > 0 { document.append(UInt8(ascii: ",")) }
            document.append(try encoder.encode(name))
            document.append(UInt8(ascii: ":"))
            document.append(fragments[name]!)
        }
        document.append(UInt8(ascii: "}"))
        document.append(frame[slot.upperBound...])
        try document.write(to: url, options: .atomic)
        self.fragments = fragments
    }
}
