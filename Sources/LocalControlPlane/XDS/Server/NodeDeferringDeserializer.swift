import EnvoyAPI
import GRPCCore
import SwiftProtobuf

/// A discovery request as read off the wire with its node still encoded. Envoy sends the node on every request
/// unless `set_node_on_first_message_only` is set, and a node with its metadata `Struct` is most of a request's
/// decoding; a stream reads the node of its first request only.
public struct IncomingRequest<Message: SwiftProtobuf.Message & Sendable>: Sendable {
    /// The request without its node (or with it, when the bytes could not be split; see the deserializer).
    public var message: Message
    /// The node field's payload, as sent; empty when the request carried none.
    public var encodedNode: [UInt8]

    /// The request's node, decoded now.
    public func node(in field: KeyPath<Message, Envoy_Config_Core_V3_Node>, present: KeyPath<Message, Bool>) throws -> Envoy_Config_Core_V3_Node? {
        if message[keyPath: present] { return message[keyPath: field] }
        guard !encodedNode.isEmpty else { return nil }
        return try Envoy_Config_Core_V3_Node(serializedBytes: encodedNode)
    }
}

/// Splits a request's node field from the rest before decoding the rest. `nodeField` is the node's field number
/// (2 in `DiscoveryRequest`, 1 in `DeltaDiscoveryRequest`). Bytes it cannot split (groups, truncation) are decoded
/// whole, so a malformed request fails exactly as it does with the plain protobuf deserializer.
public struct NodeDeferringDeserializer<Message: SwiftProtobuf.Message & Sendable>: MessageDeserializer {
    let nodeField: UInt64

    public init(nodeField: UInt64) {
        self.nodeField = nodeField
    }

    public func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> IncomingRequest<Message> {
        try serializedMessageBytes.withUnsafeBytes { bytes in
            do {
                guard let split = ProtobufFieldSplitter.split(bytes, field: nodeField) else {
                    return IncomingRequest(message: try Message(serializedBytes: Array(bytes)), encodedNode: [])
                }
                return IncomingRequest(message: try Message(serializedBytes: split.rest), encodedNode: split.field)
            } catch {
                throw RPCError(code: .invalidArgument, message: "cannot decode \(Message.protoMessageName): \(error)")
            }
        }
    }
}

/// Top-level protobuf wire format, just enough to lift one length-delimited field out of a message.
enum ProtobufFieldSplitter {
    /// The payloads of every occurrence of `field` concatenated (protobuf merges repeated occurrences of a message
    /// field, which is what concatenating their payloads means) and the message's other fields; nil when the bytes
    /// do not read as a sequence of fields, or `field` is not length-delimited.
    static func split(_ bytes: UnsafeRawBufferPointer, field: UInt64) -> (field: [UInt8], rest: [UInt8])? {
        var lifted: [UInt8] = []
        var rest: [UInt8] = []
        var position = 0
        var keptFrom = 0
        while position < bytes.count {
            let fieldStart = position
            guard let key = varint(bytes, &position) else { return nil }
            let number = key >> 3
            switch key & 7 {
            case 0:
                guard varint(bytes, &position) != nil else { return nil }
            case 1:
                position += 8
            case 2:
                guard let length = varint(bytes, &position), length <= UInt64(bytes.count - position) else { return nil }
                let payload = position..<(position + Int(length))
                position = payload.upperBound
                if number == field {
                    rest.append(contentsOf: bytes[keptFrom..<fieldStart])
                    lifted.append(contentsOf: bytes[payload])
                    keptFrom = position
                }
            case 5:
                position += 4
            default:
                return nil  // groups (deprecated) and invalid wire types: left to the full decoder
            }
            guard position <= bytes.count else { return nil }
            if number == field, key & 7 != 2 { return nil }
        }
        if keptFrom == 0 { return ([], Array(bytes)) }
        rest.append(contentsOf: bytes[keptFrom..<bytes.count])
        return (lifted, rest)
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
