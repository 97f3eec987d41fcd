import EnvoyAPI
import SwiftProtobuf

/// Small Envoy values every generator needs, built one way everywhere.
enum EnvoyValues {
    /// Where an Envoy fetches EDS and RDS: its ADS stream, or (`ads: false`) the bootstrap's control-plane cluster.
    static func configSource(
        _ mode: ProxyProfile.CommunicationMode, _ properties: SnapshotProperties, initialFetchTimeout: Duration? = nil
    ) -> Envoy_Config_Core_V3_ConfigSource {
        var source = Envoy_Config_Core_V3_ConfigSource()
        switch mode {
        case .ads:
            source.ads = Envoy_Config_Core_V3_AggregatedConfigSource()
        case .xds:
            var api = Envoy_Config_Core_V3_ApiConfigSource()
            api.apiType = properties.deltaXdsEnabled ? .deltaGrpc : .grpc
            api.transportApiVersion = .v3
            var service = Envoy_Config_Core_V3_GrpcService()
            service.envoyGrpc.clusterName = properties.xdsClusterName
            api.grpcServices = [service]
            source.apiConfigSource = api
        }
        source.resourceApiVersion = .v3
        if let initialFetchTimeout { source.initialFetchTimeout = duration(initialFetchTimeout) }
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
