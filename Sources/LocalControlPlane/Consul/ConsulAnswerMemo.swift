import NIOCore

/// One watch's last decoded answer. Every idle watch is answered again once per `wait` with the same index and the
/// same body (1,000 services at a 30 s wait: 33 answers a second); decoding each again was most of the control
/// plane's idle CPU. An answer with the index and a hash of the bytes of the last one is that answer: Consul's index
/// says nothing changed, and the hash still catches a broken body sent under an old index (it is decoded and fails).
/// Only the hash is kept, not the bytes (a large catalog has thousands of watches).
struct ConsulAnswerMemo<Body: Sendable>: Sendable {
    private var last: (index: UInt64, bodyHash: Int, body: Body)?

    init() {}

    mutating func body(index: UInt64, bytes: ByteBuffer, decode: () throws(ConsulError) -> Body) throws(ConsulError) -> Body {
        let bodyHash = bytes.withUnsafeReadableBytes { raw in
            var hasher = Hasher()
            hasher.combine(bytes: raw)
            return hasher.finalize()
        }
        if let last, last.index == index, last.bodyHash == bodyHash { return last.body }
        let body = try decode()
        last = (index, bodyHash, body)
        return body
    }
}
