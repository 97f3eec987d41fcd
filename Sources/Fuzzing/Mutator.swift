import Foundation

/// Turns a valid document into a nearly valid one: byte-level damage (flips, cuts, inserts, splices) and the
/// hostile inputs every parser must refuse cleanly (deep nesting, huge numbers, invalid UTF-8, duplicate keys,
/// oversized strings).
public enum Mutator {
    public static func mutate(_ seed: [UInt8], _ random: inout FuzzRandom) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            switch Int.random(in: 0..<12, using: &random) {
            case 0 where !bytes.isEmpty:  // flip a bit
                let index = Int.random(in: 0..<bytes.count, using: &random)
                bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &random)
            case 1 where !bytes.isEmpty:  // cut the tail
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &random))
            case 2 where !bytes.isEmpty:  // delete a span
                let start = Int.random(in: 0..<bytes.count, using: &random)
                bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...16, using: &random)))
            case 3:  // insert syntax
                insert(Array(random.pick(["{", "}", "[", "]", ",", ":", "\"", "\\", "\n", "  ", "- ", "null", "-1", "0"]).utf8), into: &bytes, &random)
            case 4:  // duplicate a span (duplicate keys, repeated entries)
                guard !bytes.isEmpty else { continue }
                let start = Int.random(in: 0..<bytes.count, using: &random)
                insert(Array(bytes[start..<min(bytes.count, start + Int.random(in: 1...64, using: &random))]), into: &bytes, &random)
            case 5:  // huge or odd numbers
                insert(Array(random.pick(["99999999999999999999999999", "1e400", "-9223372036854775808", "9223372036854775807", "4294967296", "NaN", "0.5", "-0"]).utf8), into: &bytes, &random)
            case 6:  // invalid UTF-8
                insert(random.pick([[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x00]]), into: &bytes, &random)
            case 7:  // deep nesting
                let depth = Int.random(in: 10...2_000, using: &random)
                let open = random.chance(0.5) ? UInt8(ascii: "[") : UInt8(ascii: "{")
                insert([UInt8](repeating: open, count: depth), into: &bytes, &random)
            case 8:  // a long string
                insert([UInt8](repeating: UInt8(ascii: "a"), count: Int.random(in: 256...70_000, using: &random)), into: &bytes, &random)
            case 9:  // swap a digit or letter for another character class
                guard let index = bytes.indices.randomElement(using: &random) else { continue }
                bytes[index] = random.pick(Array("a0Z9-_. /:\"'#&*!|>%@`".utf8))
            case 10 where bytes.count > 1:  // splice the document with itself
                let cut = Int.random(in: 0..<bytes.count, using: &random)
                bytes = Array(bytes[..<cut]) + Array(seed[Int.random(in: 0..<seed.count, using: &random)...])
            default:  // YAML-specific damage: anchors, tags, tabs, flow/block mixes
                insert(Array(random.pick(["&a ", "*a", "!!binary ", "\t", "? ", "--- ", "...", "<<: *a", "|\n", "{a: 1, a: 2}"]).utf8), into: &bytes, &random)
            }
        }
        return bytes
    }

    private static func insert(_ piece: [UInt8], into bytes: inout [UInt8], _ random: inout FuzzRandom) {
        bytes.insert(contentsOf: piece, at: Int.random(in: 0...bytes.count, using: &random))
    }
}
