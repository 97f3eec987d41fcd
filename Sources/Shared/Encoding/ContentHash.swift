/// A stable 64-bit hash of content, for versions that depend only on what is versioned (identical content on two
/// replicas, or on an aggregator and a control plane, gives an identical version).
///
/// Each `add` is one field: its length, then its bytes eight at a time, mixed as MurmurHash64A mixes a word. So
/// ("ab", "c") and ("a", "bc") differ, and hashing costs a few cycles per word rather than per byte (remote-state
/// versions hash every instance of every DC; FNV-1a's byte-at-a-time loop was most of the merge's hashing time).
public struct ContentHash: Sendable {
    private static let multiplier: UInt64 = 0xc6a4_a793_5bd1_e995
    private var state: UInt64 = 0x2545_f491_4f6c_dd1d

    public init() {}

    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        mix(UInt64(bytes.count))
        var offset = 0
        while offset + 8 <= bytes.count {
            mix(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            offset += 8
        }
        if offset < bytes.count {
            var tail: UInt64 = 0
            for index in offset..<bytes.count { tail |= UInt64(bytes[index]) << (8 * UInt64(index - offset)) }
            mix(tail)
        }
    }

    public mutating func add(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { add($0) }
    }

    public mutating func add(_ text: String) {
        var text = text
        text.withUTF8 { add(UnsafeRawBufferPointer($0)) }
    }

    public mutating func add(_ value: Int) {
        add(UInt64(bitPattern: Int64(value)))
    }

    public mutating func add(_ value: UInt64) {
        mix(8)
        mix(value)
    }

    public var value: UInt64 {
        var hash = state
        hash ^= hash >> 47
        hash &*= Self.multiplier
        hash ^= hash >> 47
        return hash
    }

    public var hex: String { Self.hex(value) }

    public static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public static func hex(of bytes: [UInt8]) -> String {
        var hash = ContentHash()
        hash.add(bytes)
        return hash.hex
    }

    private mutating func mix(_ word: UInt64) {
        var word = word &* Self.multiplier
        word ^= word >> 47
        word &*= Self.multiplier
        state ^= word
        state &*= Self.multiplier
    }
}
