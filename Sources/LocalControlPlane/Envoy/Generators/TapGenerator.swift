import EnvoyAPI

/// envoy-control's `tcpDumpsEnabled` (on by default): the transport sockets it already generates (the mTLS and
/// plaintext matches of secured clusters, https domain, forward-proxy and JWKS clusters, the ingress TLS chain) are
/// wrapped in Envoy's tap socket, so an operator can record a connection's bytes through the Envoy's admin `/tap`
/// endpoint under `config_id`. Nothing is recorded until someone asks.
enum TapGenerator {
    static func wrap(_ socket: Envoy_Config_Core_V3_TransportSocket, configID: String, enabled: Bool) -> Envoy_Config_Core_V3_TransportSocket {
        guard enabled else { return socket }
        var tap = Envoy_Extensions_TransportSockets_Tap_V3_Tap()
        tap.commonConfig.adminConfig.configID = configID
        tap.transportSocket = socket
        var wrapped = Envoy_Config_Core_V3_TransportSocket()
        wrapped.name = "envoy.transport_sockets.tap"
        wrapped.typedConfig = EnvoyValues.typedConfig(tap)
        return wrapped
    }
}
