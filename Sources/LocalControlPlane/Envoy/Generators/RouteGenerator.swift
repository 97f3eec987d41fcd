import EnvoyAPI

/// Builds RDS resources. `egress` routes by Host header (the service name, with or without a port)
/// to the dependency's cluster and marks each request with the caller's service name;
/// `ingress` sends everything to the local service.
enum RouteGenerator {
    /// The header that tells the called service who is calling (used by its ingress permissions).
    static let serviceNameHeader = "x-service-name"

    static func routes(
        for profile: ProxyProfile, dependencies: [(service: String, timeouts: ProxyProfile.TimeoutPolicy)]
    ) -> [Envoy_Config_Route_V3_RouteConfiguration] {
        var routes: [Envoy_Config_Route_V3_RouteConfiguration] = []
        if profile.egress != nil {
            routes.append(egress(for: profile, dependencies: dependencies))
        }
        if profile.ingress != nil {
            routes.append(ingress())
        }
        return routes
    }

    static func egress(
        for profile: ProxyProfile, dependencies: [(service: String, timeouts: ProxyProfile.TimeoutPolicy)]
    ) -> Envoy_Config_Route_V3_RouteConfiguration {
        var configuration = Envoy_Config_Route_V3_RouteConfiguration()
        configuration.name = ListenerGenerator.egressName
        configuration.virtualHosts = dependencies.map { dependency in
            var host = Envoy_Config_Route_V3_VirtualHost()
            host.name = dependency.service
            host.domains = [dependency.service, "\(dependency.service):*"]
            host.routes = [forward(to: dependency.service, timeouts: dependency.timeouts)]
            return host
        } + [unknownHost(caller: profile.serviceName)]
        configuration.requestHeadersToAdd = [EnvoyValues.header(serviceNameHeader, profile.serviceName)]
        configuration.validateClusters = .init(false)
        return configuration
    }

    static func ingress() -> Envoy_Config_Route_V3_RouteConfiguration {
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = "local_service"
        host.domains = ["*"]
        host.routes = [forward(to: ClusterGenerator.localServiceClusterName, timeouts: .init())]
        var configuration = Envoy_Config_Route_V3_RouteConfiguration()
        configuration.name = ListenerGenerator.ingressName
        configuration.virtualHosts = [host]
        return configuration
    }

    private static func forward(to cluster: String, timeouts: ProxyProfile.TimeoutPolicy) -> Envoy_Config_Route_V3_Route {
        var route = Envoy_Config_Route_V3_Route()
        route.match.prefix = "/"
        route.route.cluster = cluster
        if let timeout = timeouts.requestTimeout { route.route.timeout = EnvoyValues.duration(timeout) }
        if let idle = timeouts.idleTimeout { route.route.idleTimeout = EnvoyValues.duration(idle) }
        return route
    }

    /// Calls to a host that is not a declared dependency get a clear 404 instead of a silent reset.
    private static func unknownHost(caller: String) -> Envoy_Config_Route_V3_VirtualHost {
        var route = Envoy_Config_Route_V3_Route()
        route.match.prefix = "/"
        route.directResponse.status = 404
        route.directResponse.body.inlineString = "no route: the Host header names no service that '\(caller)' depends on\n"
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = "unknown-service"
        host.domains = ["*"]
        host.routes = [route]
        return host
    }
}
