import CompressNIO
import Foundation
import NIOCore
import Shared

/// Push bodies, JSON then gzip, encoded once per destination, version and base and shared by the destination's
/// replicas. One encoding at a time: a whole state at 20 DCs × 2,000 services × 20 instances is ~75 MB of JSON,
/// and encoding every destination's at once (an aggregator's start) would hold them all in memory together.
actor PushBodies {
    private struct Key: Hashable {
        var destination: String
        var version: String
        var base: String?
    }

    private var bodies: [Key: ByteBuffer] = [:]

    /// The gzip-compressed body of `state` (a delta when `state.base` is set), pushed to `destination`.
    func body(of state: RemoteState, to destination: String) throws -> ByteBuffer {
        let key = Key(destination: destination, version: state.version, base: state.base)
        if let body = bodies[key] { return body }
        var json = ByteBuffer(data: try JSONEncoder().encode(state))
        let body = try json.compress(with: .gzip)
        // Older versions of this destination will not be pushed again.
        bodies = bodies.filter { $0.key.destination != destination || $0.key.version == state.version }
        bodies[key] = body
        return body
    }
}
