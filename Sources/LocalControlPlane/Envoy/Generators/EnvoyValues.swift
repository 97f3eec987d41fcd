import EnvoyAPI
import SwiftProtobuf

/// Small Envoy values every generator needs, built one way everywhere.
enum EnvoyValues {
    /// "Fetch this over the ADS stream": how every cluster's EDS and every listener's RDS is configured.
    static var adsConfigSource: Envoy_Config_Core_V3_ConfigSource {
        var source = Envoy_Config_Core_V3_ConfigSource()
        source.ads = Envoy_Config_Core_V3_AggregatedConfigSource()
        source.resourceApiVersion = .v3
        return source
    }

    static func address(host: String, port: Int) -> Envoy_Config_Core_V3_Address {
        var socket = Envoy_Config_Core_V3_SocketAddress()
        socket.address = host
        socket.portValue = UInt32(port)
        var address = Envoy_Config_Core_V3_Address()
        address.socketAddress = socket
        return address
    }

    static func duration(_ duration: Duration) -> Google_Protobuf_Duration {
        let (seconds, attoseconds) = duration.components
        return Google_Protobuf_Duration(seconds: seconds, nanos: Int32(attoseconds / 1_000_000_000))
    }

    static func uint32(_ value: Int) -> Google_Protobuf_UInt32Value {
        Google_Protobuf_UInt32Value(UInt32(clamping: value))
    }

    /// Packs an extension's typed config; our own messages always serialize.
    static func typedConfig(_ message: some SwiftProtobuf.Message) -> Google_Protobuf_Any {
        // swiftlint:disable:next force_try
        try! Google_Protobuf_Any(message: message)
    }

    static func header(_ key: String, _ value: String) -> Envoy_Config_Core_V3_HeaderValueOption {
        var option = Envoy_Config_Core_V3_HeaderValueOption()
        option.header.key = key
        option.header.value = value
        option.appendAction = .overwriteIfExistsOrAdd
        return option
    }
}
