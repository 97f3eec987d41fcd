import EnvoyAPI
import Foundation
import SwiftProtobuf

/// Renders a snapshot as Envoy-style JSON (proto3 JSON of every resource) for `/debug/snapshot`.
enum SnapshotJSON {
    static func render(_ snapshot: Snapshot, group: String) -> String {
        EnvoyTypeRegistry.registerForJSON()
        var document: [String: Any] = ["group": group]
        for type in ResourceType.allCases {
            document[type.shortName] = [
                "version": snapshot.version(type),
                "resources": snapshot.resources(type).map { resource in
                    ["name": resource.name, "version": resource.version, "resource": json(redacted(resource.any))]
                },
            ]
        }
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Private keys never leave the control plane except to the Envoy they were issued for.
    private static func redacted(_ any: Google_Protobuf_Any) -> Google_Protobuf_Any {
        guard var secret = try? Envoy_Extensions_TransportSockets_Tls_V3_Secret(unpackingAny: any), secret.tlsCertificate.hasPrivateKey else {
            return any
        }
        secret.tlsCertificate.privateKey.inlineString = "[redacted]"
        return (try? Google_Protobuf_Any(message: secret)) ?? any
    }

    /// The resource as proto3 JSON; a type missing from the registry shows as an error string rather than a crash.
    private static func json(_ any: Google_Protobuf_Any) -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(any.jsonString().utf8))
        } catch {
            return "unrenderable \(any.typeURL): \(error)"
        }
    }
}
