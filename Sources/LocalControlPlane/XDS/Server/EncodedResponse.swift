import EnvoyAPI
import Foundation
import SwiftProtobuf

/// A discovery response as it goes on the wire: the body every stream of a group shares, serialised once per
/// snapshot, followed by this stream's nonce. Protobuf lets a field follow the others, so appending the nonce
/// (field 5 in both `DiscoveryResponse` and `DeltaDiscoveryResponse`) yields exactly the response with that nonce.
public struct EncodedResponse: Sendable {
    public let type: ResourceType
    /// Every field but the nonce; shared between streams.
    public let body: [UInt8]
    public let nonce: String

    static let nonceFieldNumber = 5

    public init(type: ResourceType, body: [UInt8], nonce: String) {
        self.type = type
        self.body = body
        self.nonce = nonce
    }

    /// The nonce as a protobuf field: tag, varint length, UTF-8 bytes.
    var nonceField: [UInt8] {
        let nonceBytes = Array(nonce.utf8)
        var field: [UInt8] = [UInt8(Self.nonceFieldNumber << 3 | 2)]  // wire type 2: length-delimited
        var length = UInt64(nonceBytes.count)
        while length >= 0x80 {
            field.append(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        field.append(UInt8(length))
        return field + nonceBytes
    }

    /// The full wire form: `body` + the nonce field.
    public var bytes: [UInt8] { body + nonceField }

    /// The response as a message, for tests and logs.
    func decoded<Response: SwiftProtobuf.Message>(as type: Response.Type) throws -> Response {
        try Response(serializedBytes: bytes)
    }

    public static func serialize(_ message: some SwiftProtobuf.Message) -> [UInt8] {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        // Serialising a message built from valid parts cannot fail; an empty body would be refused by Envoy, visibly.
        return (try? message.serializedBytes(options: options)) ?? []
    }
}

extension EncodedResponse {
    /// The shared body of a state-of-the-world response: every resource of the subscription, at `version`.
    public static func sotwBody(_ type: ResourceType, version: String, resources: [EncodedResource], controlPlaneId: String) -> [UInt8] {
        var response = DiscoveryResponse()
        response.typeURL = type.typeURL
        response.versionInfo = version
        response.resources = resources.map(\.any)
        response.controlPlane.identifier = controlPlaneId
        return serialize(response)
    }

    /// The shared body of a delta response: the changed resources and the names removed.
    public static func deltaBody(
        _ type: ResourceType, systemVersion: String, resources: [EncodedResource], removed: [String], controlPlaneId: String
    ) -> [UInt8] {
        var response = DeltaDiscoveryResponse()
        response.typeURL = type.typeURL
        response.systemVersionInfo = systemVersion
        response.controlPlane.identifier = controlPlaneId
        response.resources = resources.map { resource in
            var entry = Envoy_Service_Discovery_V3_Resource()
            entry.name = resource.name
            entry.version = resource.version
            entry.resource = resource.any
            return entry
        }
        response.removedResources = removed
        return serialize(response)
    }
}
