/// A stable 64-bit FNV-1a hash of content, for versions that depend only on what is versioned
/// (identical content on two replicas gives an identical version).
public struct ContentHash: Sendable {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
    }

    public mutating func add(_ text: String) {
        add(text.utf8)
        add(CollectionOfOne(0))  // separator, so ("ab","c") and ("a","bc") differ
    }

    public var hex: String {
        let digits = String(state, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public static func hex(of bytes: some Sequence<UInt8>) -> String {
        var hash = ContentHash()
        hash.add(bytes)
        return hash.hex
    }
}
