import EnvoyAPI

/// Builds LDS resources as envoy-control names them: `egress_listener` for outgoing calls (routes
/// `default_routes`) and `ingress_listener` in front of the local service (routes `ingress_secured_routes`). Only
/// for Envoys whose metadata gives both listeners' addresses; others bring static listeners that use the same routes.
enum ListenerGenerator {
    static let egressName = "egress_listener"
    static let ingressName = "ingress_listener"

    /// `sourceAddresses`: the instance addresses of the services the RBAC authenticates by source IP.
    static func listeners(
        for profile: ProxyProfile, properties: SnapshotProperties, sourceAddresses: [String: [String]] = [:]
    ) -> [Envoy_Config_Listener_V3_Listener] {
        guard let config = profile.listeners else { return [] }
        let identity = CallerIdentity(properties.incomingPermissions, jwt: properties.jwt, sourceAddresses: sourceAddresses)
        let plaintext = chain(ingressManager(profile, config, properties, identity, tls: false))
        var ingress = listener(ingressName, config.ingress, .inbound, [plaintext])
        if let certificate = profile.certificate {
            // The TLS inspector picks the TLS chain for a TLS handshake; anything else takes the plaintext one.
            var tls = chain(ingressManager(profile, config, properties, identity, tls: true))
            tls.filterChainMatch.transportProtocol = "tls"
            tls.transportSocket = MutualTLSGenerator.downstreamSocket(
                secrets: MutualTLSGenerator.SecretSource(certificate, mode: profile.communicationMode, properties),
                properties.incomingPermissions.tlsAuthentication, tap: properties.tcpDumpsEnabled)
            ingress.listenerFilters = [MutualTLSGenerator.tlsInspector]
            ingress.filterChains = [tls, plaintext]
        }
        return [ingress, listener(egressName, config.egress, .outbound, [chain(egressManager(profile, config, properties))])]
    }

    private typealias Manager = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager
    private typealias HTTPFilter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter

    private static func egressManager(_ profile: ProxyProfile, _ config: ListenersConfig, _ properties: SnapshotProperties) -> Manager {
        var manager = baseManager(
            profile, config, properties, statPrefix: "egress_http", routes: RouteGenerator.egressName, initialFetchTimeout: .seconds(20))
        manager.httpProtocolOptions.allowAbsoluteURL = .init(true)
        if properties.ignoreTLSUpgradeEnabled, config.ignoreHttp11Upgrades {
            var tls = Envoy_Type_Matcher_V3_StringMatcher()
            tls.prefix = "TLS/"
            manager.httpProtocolOptions.ignoreHTTP11Upgrade = [tls]
        }
        let forwardProxy = profile.outgoing.domainPatterns.isEmpty ? [] : [ForwardProxyGenerator.filter(properties.dynamicForwardProxy)]
        let preference = ServiceTagPreferenceGenerator.egressFilter(for: profile.serviceName, properties.routing.serviceTags)
        manager.httpFilters = [preference].compactMap { $0 } + forwardProxy
            + CompressionGenerator.filters(profile.compression, properties.compression) + [router]
        manager.accessLog = accessLogs(config, properties, direction: "egress")
        return manager
    }

    private static func ingressManager(
        _ profile: ProxyProfile, _ config: ListenersConfig, _ properties: SnapshotProperties, _ identity: CallerIdentity, tls: Bool
    ) -> Manager {
        var manager = baseManager(
            profile, config, properties, statPrefix: tls ? MutualTLSGenerator.ingressStatPrefix : "ingress_http",
            routes: RouteGenerator.ingressName, initialFetchTimeout: .seconds(30))
        if tls {
            // The local service learns the verified caller from `x-forwarded-client-cert` (URI=spiffe://...).
            manager.forwardClientCertDetails = .sanitizeSet
            manager.setCurrentClientCertDetails.uri = true
        }
        manager.useRemoteAddress = .init(config.useRemoteAddress)
        if config.useRemoteAddress { manager.xffNumTrustedHops = 1 }
        manager.delayedCloseTimeout = EnvoyValues.duration(.zero)
        manager.commonHTTPProtocolOptions.idleTimeout = EnvoyValues.duration(
            profile.incoming.timeoutPolicy.connectionIdleTimeout ?? properties.localService.connectionIdleTimeout)
        manager.normalizePath = .init(profile.pathNormalization.enabled)
        manager.mergeSlashes = profile.pathNormalization.mergeSlashes
        manager.pathWithEscapedSlashesAction = escapedSlashes(profile.pathNormalization.pathWithEscapedSlashesAction)
        manager.httpProtocolOptions.acceptHTTP10 = true
        manager.httpProtocolOptions.defaultHostForHTTP10 = profile.serviceName
        // Tokens first (401), then RBAC (403): a refused caller spends no token of an endpoint's rate limit.
        manager.httpFilters = [
            JwtGenerator.filter(profile.incoming.oauthEndpoints, properties.jwt, failureStatus: config.jwtFailureStatus),
        ].compactMap { $0 }
            + (profile.incoming.permissions.map { [PermissionsGenerator.rbacFilter($0, identity: identity)] } ?? [])
            + (profile.incoming.rateLimits.isEmpty ? [] : [RateLimitGenerator.filter])
            + [ServiceTagPreferenceGenerator.ingressFilter(for: profile.serviceName, properties.routing.serviceTags)].compactMap { $0 } + [router]
        var logs = accessLogs(config, properties, direction: "ingress")
        if profile.incoming.permissions?.unlistedEndpointsPolicy == .log { logs.append(AccessLogGenerator.shadowVerdicts()) }
        manager.accessLog = logs
        return manager
    }

    private static func escapedSlashes(_ action: PathNormalization.EscapedSlashesAction) -> Manager.PathWithEscapedSlashesAction {
        switch action {
        case .implementationSpecificDefault: .implementationSpecificDefault
        case .keepUnchanged: .keepUnchanged
        case .rejectRequest: .rejectRequest
        case .unescapeAndRedirect: .unescapeAndRedirect
        case .unescapeAndForward: .unescapeAndForward
        }
    }

    private static func baseManager(
        _ profile: ProxyProfile, _ config: ListenersConfig, _ properties: SnapshotProperties, statPrefix: String, routes: String,
        initialFetchTimeout: Duration
    ) -> Manager {
        var manager = Manager()
        manager.statPrefix = statPrefix
        manager.codecType = .auto
        manager.rds.configSource = EnvoyValues.configSource(profile.communicationMode, properties, initialFetchTimeout: initialFetchTimeout)
        manager.rds.routeConfigName = routes
        manager.generateRequestID = .init(config.generateRequestId)
        manager.preserveExternalRequestID = config.preserveExternalRequestId
        if let localReply = LocalReplyGenerator.config(properties.dynamicListeners.localReplyMapper) { manager.localReplyConfig = localReply }
        return manager
    }

    private static func accessLogs(
        _ config: ListenersConfig, _ properties: SnapshotProperties, direction: String
    ) -> [Envoy_Config_Accesslog_V3_AccessLog] {
        guard config.accessLog.enabled else { return [] }
        return [AccessLogGenerator.file(config.accessLog, direction: direction, format: properties.dynamicListeners.httpFilters.accessLog)]
    }

    private static let router: HTTPFilter = {
        var router = HTTPFilter()
        router.name = "envoy.filters.http.router"
        router.typedConfig = EnvoyValues.typedConfig(Envoy_Extensions_Filters_Http_Router_V3_Router())
        return router
    }()

    private static func chain(_ manager: Manager) -> Envoy_Config_Listener_V3_FilterChain {
        var filter = Envoy_Config_Listener_V3_Filter()
        filter.name = "envoy.filters.network.http_connection_manager"
        filter.typedConfig = EnvoyValues.typedConfig(manager)
        var chain = Envoy_Config_Listener_V3_FilterChain()
        chain.filters = [filter]
        return chain
    }

    private static func listener(
        _ name: String, _ address: ListenerAddress, _ direction: Envoy_Config_Core_V3_TrafficDirection,
        _ chains: [Envoy_Config_Listener_V3_FilterChain]
    ) -> Envoy_Config_Listener_V3_Listener {
        var listener = Envoy_Config_Listener_V3_Listener()
        listener.name = name
        listener.address = EnvoyValues.address(host: address.host, port: address.port)
        listener.trafficDirection = direction
        listener.filterChains = chains
        return listener
    }
}
