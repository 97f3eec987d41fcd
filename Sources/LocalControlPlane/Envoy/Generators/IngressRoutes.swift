import EnvoyAPI

/// `ingress_secured_routes`: every request to the bootstrap's `local_service` with the ingress timeouts; first the
/// custom health check (GET on `healthCheck.path` to its cluster), for the services in
/// `routes.status.separatedRouteWhiteList` the status routes at high priority, and the rate-limited endpoints. `localService.retryPolicy`: the default policy on the virtual host,
/// and for each method with its own policy a route of that method before each route to the local service.
enum IngressRoutes {
    static func configuration(_ profile: ProxyProfile, _ properties: SnapshotProperties) -> Envoy_Config_Route_V3_RouteConfiguration {
        let status = properties.routes.status
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = "secured_local_service"
        host.domains = ["*"]
        if let health = profile.incoming.healthCheck {
            var route = forward(profile, properties, to: health.clusterName, match: .prefix(health.path))
            route.match.headers = [RouteMatching.exactHeader(":method", "GET")]
            host.routes.append(route)
        }
        // As envoy-control: own high-priority routes only for the listed services, virtual clusters for all.
        if status.separatesRoutes(of: profile.serviceName) {
            for path in status.endpoints {
                host.routes += local(profile, properties, match: path, priority: .high)
            }
        }
        if status.enabled, status.createVirtualCluster {
            host.virtualClusters = status.endpoints.map { virtualCluster("status", $0) } + [virtualCluster("endpoints", .prefix("/"))]
        }
        host.routes += RateLimitGenerator.routes(profile.incoming.rateLimits, clientHeader: properties.incomingPermissions.serviceNameHeader) {
            forward(profile, properties, to: RouteGenerator.localServiceCluster, match: $0)
        }
        host.routes += local(profile, properties, match: .prefix("/"))
        let retries = properties.localService.retryPolicy.default
        if retries.enabled { host.retryPolicy = RouteMatching.retryPolicy(retries.policy) }
        var configuration = Envoy_Config_Route_V3_RouteConfiguration()
        configuration.name = RouteGenerator.ingressName
        configuration.virtualHosts = [host]
        let ingress = properties.ingress
        configuration.requestHeadersToRemove = ingress.headersToRemove
        if ingress.addServiceNameHeaderToResponse {
            configuration.responseHeadersToAdd.append(EnvoyValues.header(ingress.serviceNameHeader, profile.serviceName))
        }
        if ingress.addRequestedAuthorityHeaderToResponse {
            configuration.responseHeadersToAdd.append(EnvoyValues.header(ingress.requestedAuthorityHeader, "%REQ(:authority)%"))
        }
        return configuration
    }

    private static func forward(
        _ profile: ProxyProfile, _ properties: SnapshotProperties, to cluster: String, match: PathMatch,
        priority: Envoy_Config_Core_V3_RoutingPriority = .default
    ) -> Envoy_Config_Route_V3_Route {
        let timeouts = profile.incoming.timeoutPolicy
        var route = Envoy_Config_Route_V3_Route()
        route.match = RouteMatching.path(match)
        route.route.cluster = cluster
        route.route.timeout = EnvoyValues.duration(timeouts.responseTimeout ?? properties.localService.responseTimeout)
        route.route.idleTimeout = EnvoyValues.duration(timeouts.idleTimeout ?? properties.localService.idleTimeout)
        route.route.priority = priority
        return route
    }

    /// The routes to the local service for `match`: one per method with a retry policy of its own, then the rest.
    private static func local(
        _ profile: ProxyProfile, _ properties: SnapshotProperties, match: PathMatch,
        priority: Envoy_Config_Core_V3_RoutingPriority = .default
    ) -> [Envoy_Config_Route_V3_Route] {
        let plain = forward(profile, properties, to: RouteGenerator.localServiceCluster, match: match, priority: priority)
        let perMethod = properties.localService.retryPolicy.perHttpMethod.filter(\.value.enabled).sorted { $0.key < $1.key }
        return perMethod.map { method, policy in
            var route = plain
            route.match.headers.append(RouteMatching.exactHeader(":method", method))
            route.route.retryPolicy = RouteMatching.retryPolicy(policy.policy)
            return route
        } + [plain]
    }

    private static func virtualCluster(_ name: String, _ match: PathMatch) -> Envoy_Config_Route_V3_VirtualCluster {
        var cluster = Envoy_Config_Route_V3_VirtualCluster()
        cluster.name = name
        cluster.headers = [RouteMatching.pathHeader(match)]
        return cluster
    }
}
