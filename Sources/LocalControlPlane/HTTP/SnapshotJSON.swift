import Foundation
import EnvoyAPI
import SwiftProtobuf

/// Renders a snapshot as Envoy-style JSON (proto3 JSON of every resource) for `/debug/snapshot`.
enum SnapshotJSON {
    /// Every message that can appear inside an `Any` in our resources, so JSON can show it unpacked.
    private static let registered: Bool = {
        let types: [any SwiftProtobuf.Message.Type] = [
            Envoy_Config_Cluster_V3_Cluster.self, Envoy_Config_Endpoint_V3_ClusterLoadAssignment.self,
            Envoy_Config_Listener_V3_Listener.self, Envoy_Config_Route_V3_RouteConfiguration.self,
            Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.self,
            Envoy_Extensions_Filters_Http_Router_V3_Router.self, Envoy_Extensions_Filters_Http_Rbac_V3_RBAC.self,
            Envoy_Extensions_AccessLoggers_File_V3_FileAccessLog.self, Envoy_Extensions_AccessLoggers_Stream_V3_StdoutAccessLog.self,
            Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext.self,
            Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext.self,
            Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions.self,
        ]
        for type in types { Google_Protobuf_Any.register(messageType: type) }
        return true
    }()

    static func render(_ snapshot: Snapshot, group: String) -> String {
        _ = registered
        var parts: [String] = []
        for type in ResourceType.allCases {
            let items = snapshot.resources(type).map { resource in
                let json = (try? resource.any.jsonString()) ?? "null"
                return "{\"name\":\(quoted(resource.name)),\"version\":\(quoted(resource.version)),\"resource\":\(json)}"
            }
            parts.append("\(quoted(type.shortName)):{\"version\":\(quoted(snapshot.version(type))),\"resources\":[\(items.joined(separator: ","))]}")
        }
        return "{\"group\":\(quoted(group)),\(parts.joined(separator: ","))}\n"
    }

    private static func quoted(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case _ where scalar.value < 0x20: escaped += String(format: "\\u%04x", scalar.value)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }
}
