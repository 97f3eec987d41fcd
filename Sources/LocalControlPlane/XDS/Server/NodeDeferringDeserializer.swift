import EnvoyAPI
import GRPCCore
import SwiftProtobuf

/// A discovery request as read off the wire with its node still encoded, and for state of the world its
/// `resource_names` too. Envoy sends the node on every request unless `set_node_on_first_message_only` is set, and a
/// node with its metadata `Struct` is most of a request's decoding; a stream reads the node of its first request
/// only. Every ACK repeats the stream's list of names: it is compared as bytes and decoded only when it changed.
public struct IncomingRequest<Message: SwiftProtobuf.Message & Sendable>: Sendable {
    /// The request without its node and names (or with them, when the bytes could not be split; see the deserializer).
    public var message: Message
    /// The node field's payload, as sent; empty when the request carried none.
    public var encodedNode: [UInt8]
    /// Every occurrence of the names field as sent (key, length, UTF-8 checked); empty when none or not split.
    public var encodedNames: [UInt8]

    /// The request's node, decoded now.
    public func node(in field: KeyPath<Message, Envoy_Config_Core_V3_Node>, present: KeyPath<Message, Bool>) throws -> Envoy_Config_Core_V3_Node? {
        if message[keyPath: present] { return message[keyPath: field] }
        guard !encodedNode.isEmpty else { return nil }
        return try Envoy_Config_Core_V3_Node(serializedBytes: encodedNode)
    }

    /// The names of `encodedNames` followed by any left in `field` (none once split).
    public func names(in field: KeyPath<Message, [String]>) -> [String] {
        ProtobufFieldSplitter.strings(encodedNames) + message[keyPath: field]
    }
}

/// Splits a request's node field (and, when given, its names field) from the rest before decoding the rest.
/// `nodeField` is the node's field number (2 in `DiscoveryRequest`, 1 in `DeltaDiscoveryRequest`), `namesField`
/// that of the repeated string field kept encoded (3, `resource_names`, in `DiscoveryRequest`). Bytes it cannot
/// split (groups, truncation) are decoded whole, so a malformed request fails exactly as it does with the plain
/// protobuf deserializer; names that are not valid UTF-8 fail as SwiftProtobuf fails them.
public struct NodeDeferringDeserializer<Message: SwiftProtobuf.Message & Sendable>: MessageDeserializer {
    let nodeField: UInt64
    let namesField: UInt64?

    public init(nodeField: UInt64, namesField: UInt64? = nil) {
        (self.nodeField, self.namesField) = (nodeField, namesField)
    }

    public func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> IncomingRequest<Message> {
        try serializedMessageBytes.withUnsafeBytes { bytes in
            do {
                guard let split = ProtobufFieldSplitter.split(bytes, field: nodeField, keepingEncoded: namesField) else {
                    return IncomingRequest(message: try Message(serializedBytes: Array(bytes)), encodedNode: [], encodedNames: [])
                }
                if !split.encoded.allSatisfy({ $0 < 0x80 }) {
                    _ = try Message(serializedBytes: split.encoded)  // not all ASCII: SwiftProtobuf checks the UTF-8
                }
                return IncomingRequest(
                    message: try Message(serializedBytes: split.rest), encodedNode: split.field, encodedNames: split.encoded)
            } catch {
                throw RPCError(code: .invalidArgument, message: "cannot decode \(Message.protoMessageName): \(error)")
            }
        }
    }
}

/// Top-level protobuf wire format, just enough to lift length-delimited fields out of a message.
enum ProtobufFieldSplitter {
    /// The payloads of every occurrence of `field` concatenated (protobuf merges repeated occurrences of a message
    /// field, which is what concatenating their payloads means), every occurrence of `keepingEncoded` as it was
    /// (key and length included), and the message's other fields; nil when the bytes do not read as a sequence of
    /// fields, or either field is not length-delimited.
    static func split(
        _ bytes: UnsafeRawBufferPointer, field: UInt64, keepingEncoded kept: UInt64? = nil
    ) -> (field: [UInt8], encoded: [UInt8], rest: [UInt8])? {
        var lifted: [UInt8] = []
        var encoded: [UInt8] = []
        var rest: [UInt8] = []
        var position = 0
        var keptFrom = 0
        while position < bytes.count {
            let fieldStart = position
            guard let key = varint(bytes, &position) else { return nil }
            let number = key >> 3
            let liftedField = number == field || number == kept
            if liftedField, key & 7 != 2 { return nil }
            switch key & 7 {
            case 0:
                guard varint(bytes, &position) != nil else { return nil }
            case 1:
                position += 8
            case 2:
                guard let length = varint(bytes, &position), length <= UInt64(bytes.count - position) else { return nil }
                let payload = position..<(position + Int(length))
                position = payload.upperBound
                if liftedField {
                    rest.append(contentsOf: bytes[keptFrom..<fieldStart])
                    if number == field {
                        lifted.append(contentsOf: bytes[payload])
                    } else {
                        encoded.append(contentsOf: bytes[fieldStart..<position])
                    }
                    keptFrom = position
                }
            case 5:
                position += 4
            default:
                return nil  // groups (deprecated) and invalid wire types: left to the full decoder
            }
            guard position <= bytes.count else { return nil }
        }
        if keptFrom == 0 { return ([], [], Array(bytes)) }
        rest.append(contentsOf: bytes[keptFrom..<bytes.count])
        return (lifted, encoded, rest)
    }

    /// The strings of fields as `split` keeps them encoded (each key, length and payload; read by `split` first).
    static func strings(_ encoded: [UInt8]) -> [String] {
        guard !encoded.isEmpty else { return [] }
        return encoded.withUnsafeBytes { bytes in
            var strings: [String] = []
            var position = 0
            while position < bytes.count, varint(bytes, &position) != nil, let length = varint(bytes, &position) {
                let end = min(position + Int(length), bytes.count)
                strings.append(String(decoding: bytes[position..<end], as: UTF8.self))
                position = end
            }
            return strings
        }
    }

    private static func varint(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count, shift < 64 {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}
