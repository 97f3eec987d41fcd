import Shared
import Foundation
import SwiftProtobuf

/// One xDS resource, serialized once and shared by every stream that sends it.
/// `version` is derived from the bytes, so identical content has an identical version on every replica.
public struct EncodedResource: Sendable, Equatable {
    public let name: String
    public let version: String
    public let any: Google_Protobuf_Any

    public init(name: String, message: some SwiftProtobuf.Message, typeURL: String) {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        let bytes: [UInt8] = (try? message.serializedBytes(options: options)) ?? []
        var any = Google_Protobuf_Any()
        any.typeURL = typeURL
        any.value = Data(bytes)
        self.name = name
        self.version = ContentHash.hex(of: bytes)
        self.any = any
    }

    public static func == (lhs: EncodedResource, rhs: EncodedResource) -> Bool {
        lhs.name == rhs.name && lhs.version == rhs.version
    }
}
