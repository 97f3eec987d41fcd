import EnvoyAPI

/// Builds LDS resources: the `egress` listener for outgoing calls and the `ingress` listener in front
/// of the local service. Both take their routes from RDS over ADS.
enum ListenerGenerator {
    static let egressName = "egress"
    static let ingressName = "ingress"

    static func listeners(for profile: ProxyProfile) -> [Envoy_Config_Listener_V3_Listener] {
        var listeners: [Envoy_Config_Listener_V3_Listener] = []
        let accessLogs = { (name: String) in profile.accessLogFilter.map { [AccessLogGenerator.filtered($0, listener: name)] } ?? [] }
        if let egress = profile.egress {
            listeners.append(httpListener(name: egressName, address: egress, direction: .outbound, accessLogs: accessLogs(egressName)))
        }
        if let ingress = profile.ingress {
            var logs = accessLogs(ingressName)
            if profile.incoming?.unlistedEndpointsPolicy == .log { logs.append(AccessLogGenerator.shadowVerdicts()) }
            listeners.append(httpListener(
                name: ingressName, address: ingress.listener, direction: .inbound, accessLogs: logs,
                filters: profile.incoming.map { [PermissionsGenerator.rbacFilter($0)] } ?? []))
        }
        return listeners
    }

    private static func httpListener(
        name: String, address: ProxyProfile.ListenerAddress, direction: Envoy_Config_Core_V3_TrafficDirection,
        accessLogs: [Envoy_Config_Accesslog_V3_AccessLog],
        filters: [Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter] = []
    ) -> Envoy_Config_Listener_V3_Listener {
        var manager = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager()
        manager.statPrefix = name
        manager.codecType = .auto
        manager.rds.configSource = EnvoyValues.adsConfigSource
        manager.rds.routeConfigName = name
        var router = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        router.name = "envoy.filters.http.router"
        router.typedConfig = EnvoyValues.typedConfig(Envoy_Extensions_Filters_Http_Router_V3_Router())
        manager.httpFilters = filters + [router]
        manager.accessLog = accessLogs

        var filter = Envoy_Config_Listener_V3_Filter()
        filter.name = "envoy.filters.network.http_connection_manager"
        filter.typedConfig = EnvoyValues.typedConfig(manager)
        var chain = Envoy_Config_Listener_V3_FilterChain()
        chain.filters = [filter]

        var listener = Envoy_Config_Listener_V3_Listener()
        listener.name = name
        listener.address = EnvoyValues.address(host: address.host, port: address.port)
        listener.trafficDirection = direction
        listener.filterChains = [chain]
        return listener
    }
}
