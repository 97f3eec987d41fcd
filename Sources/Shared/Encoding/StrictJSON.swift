import Foundation

/// Decodes JSON that crosses a trust boundary (remote-state pushes, polled DC states, Consul answers). Before
/// `JSONDecoder` sees a body it is checked for what the decoder would accept silently or handle badly: invalid
/// UTF-8, nesting deeper than `maxDepth`, a key twice in one object (JSONDecoder keeps one of them), and numbers
/// longer than any value the wire formats carry or beyond a Double's range. Every refusal says what and where
/// (byte offset or field path).
public enum StrictJSON {
    public static let maxDepth = 32
    public static let maxNumberLength = 24

    public struct Refusal: Error, CustomStringConvertible, Equatable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    public static func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws(Refusal) -> Value {
        try check(data)
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            // The syntax passed `check`, so Foundation's "not valid JSON" here means a number its field cannot hold.
            throw Refusal("document: a number does not fit the integer field it is in")
        } catch let error as DecodingError {
            throw Refusal(ConfigFile.describe(error))
        } catch {
            throw Refusal("\(error)")
        }
    }

    /// Checks the document's syntax and the limits above, without building any value.
    public static func check(_ data: Data) throws(Refusal) {
        var scanner = Scanner(bytes: [UInt8](data))
        try scanner.value(depth: 0)
        scanner.skipWhitespace()
        guard scanner.atEnd else { throw Refusal("unexpected data after the document at byte \(scanner.position)") }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        var atEnd: Bool { position >= bytes.count }

        mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        private func fail(_ what: String) -> Refusal { Refusal("\(what) at byte \(position)") }

        mutating func value(depth: Int) throws(Refusal) {
            skipWhitespace()
            guard !atEnd else { throw fail("unexpected end of document") }
            switch bytes[position] {
            case UInt8(ascii: "{"): try object(depth: depth + 1)
            case UInt8(ascii: "["): try array(depth: depth + 1)
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: try number()
            }
        }

        private mutating func object(depth: Int) throws(Refusal) {
            guard depth <= StrictJSON.maxDepth else { throw fail("nested deeper than \(StrictJSON.maxDepth) levels") }
            position += 1
            var keys = Set<ArraySlice<UInt8>>()  // slices of `bytes`: no copy per key
            skipWhitespace()
            if !atEnd, bytes[position] == UInt8(ascii: "}") { position += 1; return }
            repeat {
                skipWhitespace()
                guard !atEnd, bytes[position] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                let keyStart = position
                let key = bytes[try string()]
                guard keys.insert(key).inserted else {
                    position = keyStart
                    throw fail("duplicate key \(String(decoding: key.prefix(64), as: UTF8.self).debugDescription)")
                }
                skipWhitespace()
                guard !atEnd, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                position += 1
                try value(depth: depth)
            } while try another(before: "}", in: "object")
        }

        private mutating func array(depth: Int) throws(Refusal) {
            guard depth <= StrictJSON.maxDepth else { throw fail("nested deeper than \(StrictJSON.maxDepth) levels") }
            position += 1
            skipWhitespace()
            if !atEnd, bytes[position] == UInt8(ascii: "]") { position += 1; return }
            repeat {
                try value(depth: depth)
            } while try another(before: "]", in: "array")
        }

        /// After a member or element: true when a ',' announces another, false once `closer` ends the container.
        private mutating func another(before closer: Unicode.Scalar, in container: String) throws(Refusal) -> Bool {
            skipWhitespace()
            guard !atEnd else { throw fail("unterminated \(container)") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; return true }
            guard bytes[position] == UInt8(ascii: closer) else { throw fail("expected ',' or '\(closer)'") }
            position += 1
            return false
        }

        /// A string token; returns where its raw bytes lie between the quotes (escapes undecoded: keys compare as
        /// written). Non-ASCII bytes can only stand in strings, so UTF-8 is checked here, for strings that have them.
        private mutating func string() throws(Refusal) -> Range<Int> {
            position += 1
            let start = position
            var ascii = true
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    position += 1
                    let content = start..<(position - 1)
                    guard ascii || String(validating: bytes[content], as: UTF8.self) != nil else { throw Refusal("body is not valid UTF-8") }
                    return content
                }
                if byte >= 0x80 { ascii = false }
                if byte < 0x20 { throw fail("control character in a string") }
                if byte == UInt8(ascii: "\\") {
                    position += 1
                    guard position < bytes.count else { break }
                    if bytes[position] == UInt8(ascii: "u") {
                        let hex = bytes[min(position + 1, bytes.count)..<min(position + 5, bytes.count)]
                        guard hex.count == 4, hex.allSatisfy({ $0.isHexDigit }) else { throw fail("invalid \\u escape") }
                        position += 4
                    } else if !"\"\\/bfnrt".utf8.contains(bytes[position]) {
                        throw fail("invalid escape")
                    }
                }
                position += 1
            }
            throw fail("unterminated string")
        }

        private mutating func literal(_ word: String) throws(Refusal) {
            let expected = Array(word.utf8)
            guard bytes[position..<min(position + expected.count, bytes.count)].elementsEqual(expected) else {
                throw fail("unexpected character")
            }
            position += expected.count
        }

        private mutating func number() throws(Refusal) {
            let start = position
            var plainInteger = true  // digits after an optional minus: the usual number, checked without parsing
            scan: while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): break
                case UInt8(ascii: "-") where position == start: break
                case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): plainInteger = false
                default: break scan
                }
                position += 1
            }
            let length = position - start
            guard length > 0 else { throw fail("unexpected character") }
            // Up to 18 digits always fits an Int64.
            if plainInteger, bytes[position - 1] != UInt8(ascii: "-"), length <= 18 { return }
            guard length <= StrictJSON.maxNumberLength else {
                position = start
                throw fail("number longer than \(StrictJSON.maxNumberLength) characters")
            }
            let token = String(decoding: bytes[start..<position], as: UTF8.self)
            guard let value = Double(token), value.isFinite else {
                position = start
                throw fail("not a number in range")
            }
            // Every integer field on the wire is a 64-bit one; JSONDecoder reports a larger literal without a place.
            let isInteger = !token.contains { $0 == "." || $0 == "e" || $0 == "E" }
            guard !isInteger || Int64(token) != nil || UInt64(token) != nil else {
                position = start
                throw fail("integer out of the 64-bit range")
            }
        }
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}
