import CompressNIO
import Foundation
import Hummingbird
import Shared
import Synchronization

/// `GET /v1/state` bodies, encoded (and gzip-compressed) once per state index: every aggregator and every poll of
/// an unchanged state gets the same bytes. A DC of 40,000 instances is megabytes of JSON, and one change alters one
/// service: each service's JSON is reused while the service is unchanged (`DatacenterStateEncoder`).
final class StateBodyCache: Sendable {
    private struct Entry {
        var index: UInt64
        var plain: ByteBuffer
        var gzip: ByteBuffer?
    }

    private let entry = Mutex<Entry?>(nil)
    private let encoder = Mutex(DatacenterStateEncoder())

    /// The body of `state`; its index tells whether the cached one still stands.
    func body(of state: DatacenterState, gzip: Bool) throws -> ByteBuffer {
        let cached = entry.withLock { $0?.index == state.index ? $0 : nil }
        if gzip, let compressed = cached?.gzip { return compressed }
        let plain = try cached?.plain ?? ByteBuffer(data: encoder.withLock { try $0.encode(state) })
        var source = plain
        // DC states compress about tenfold (repeated keys, addresses and tags).
        let compressed = gzip ? try source.compress(with: .gzip) : nil
        entry.withLock { current in
            if var same = current, same.index == state.index {
                same.gzip = same.gzip ?? compressed
                current = same
            } else {
                current = Entry(index: state.index, plain: plain, gzip: compressed)
            }
        }
        return compressed ?? plain
    }
}
