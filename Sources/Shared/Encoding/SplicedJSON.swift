import Foundation

/// JSON documents written from parts encoded earlier. The large wire documents (a DC's state: 40,000 instances; a
/// remote state: 760,000 at 20 DCs × 2,000 services × 20 instances) change by a few kilobytes at a time, while
/// `JSONEncoder` takes seconds and hundreds of megabytes of intermediate values for a whole one. So their parts are
/// encoded once and spliced into an envelope: the document encoded with sorted keys and the large member empty.
/// The result is byte for byte what `JSONEncoder` with sorted keys writes.
public enum SplicedJSON {
    /// `envelope`'s one empty object member `key` (`"key":{}`) filled with `members`: name → JSON of its value,
    /// written in name order.
    public static func object<Envelope: Encodable>(_ envelope: Envelope, key: String, members: [String: Data]) throws -> Data {
        let names = members.keys.sorted()
        let encoder = Self.encoder  // one for all names (the property makes a new one each time)
        let encodedNames = try names.map { try encoder.encode($0) }
        return try splice(envelope, key: key, empty: "{}", count: names.count) { position, document in
            document.append(encodedNames[position])
            document.append(UInt8(ascii: ":"))
            document.append(members[names[position]]!)
        }
    }

    /// `envelope`'s one empty array member `key` (`"key":[]`) filled with `elements`, in order.
    public static func array<Envelope: Encodable>(_ envelope: Envelope, key: String, elements: [Data]) throws -> Data {
        try splice(envelope, key: key, empty: "[]", count: elements.count) { position, document in
            document.append(elements[position])
        }
    }

    /// What `JSONEncoder` with sorted keys writes for `value`.
    public static func encode(_ value: some Encodable) throws -> Data {
        try encoder.encode(value)
    }

    private static func splice<Envelope: Encodable>(
        _ envelope: Envelope, key: String, empty: String, count: Int, write: (Int, inout Data) -> Void
    ) throws -> Data {
        let frame = try encoder.encode(envelope)
        // The byte sequence `"key":{}` needs the quote after the key unescaped, so it cannot occur inside a JSON
        // string; with sorted keys it is the member itself (the envelopes hold no other member of that name).
        let slot = Data("\"\(key)\":\(empty)".utf8)
        guard let found = frame.range(of: slot) else { throw CocoaError(.coderInvalidValue) }
        var document = Data(capacity: frame.count + count * 64)
        document.append(frame[..<(found.upperBound - 1)])
        for position in 0..<count {
            if position > 0 { document.append(UInt8(ascii: ",")) }
            write(position, &document)
        }
        document.append(frame[(found.upperBound - 1)...])
        return document
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}
