import EnvoyAPI
import SwiftProtobuf

/// One service an Envoy's egress routes to, with everything its routes depend on.
struct RoutedDependency: Hashable, Sendable {
    var service: String
    var timeouts: ProxyProfile.TimeoutPolicy
    var traits: RoutingTraits
}

/// Builds RDS resources. `egress` routes by Host header (the service name, with or without a port, or an
/// external domain) and marks each request with the caller's service name; per service it adds the
/// `x-service-tag` and `x-canary` routes. `ingress` sends everything to the local service.
enum RouteGenerator {
    /// The header that tells the called service who is calling (used by its ingress permissions).
    static let serviceNameHeader = "x-service-name"
    /// Retried once on another host: failures that happen before the request reached the service.
    static let retryOn = "connect-failure,refused-stream,reset"

    static func routes(for profile: ProxyProfile, dependencies: [RoutedDependency]) -> [Envoy_Config_Route_V3_RouteConfiguration] {
        var routes: [Envoy_Config_Route_V3_RouteConfiguration] = []
        if profile.egress != nil {
            routes.append(egress(for: profile, dependencies: dependencies))
        }
        if profile.ingress != nil {
            routes.append(ingress())
        }
        return routes
    }

    static func egress(for profile: ProxyProfile, dependencies: [RoutedDependency]) -> Envoy_Config_Route_V3_RouteConfiguration {
        var configuration = Envoy_Config_Route_V3_RouteConfiguration()
        configuration.name = ListenerGenerator.egressName
        configuration.virtualHosts = dependencies.map(serviceHost)
            + profile.outgoing.domains.sorted { $0.key.clusterName < $1.key.clusterName }.map(domainHost)
            + [unknownHost(caller: profile.serviceName)]
        configuration.requestHeadersToAdd = [EnvoyValues.header(serviceNameHeader, profile.serviceName)]
        configuration.validateClusters = .init(false)
        return configuration
    }

    static func ingress() -> Envoy_Config_Route_V3_RouteConfiguration {
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = "local_service"
        host.domains = ["*"]
        host.routes = [forward(to: ClusterGenerator.localServiceClusterName, timeouts: .init(), retries: false)]
        var configuration = Envoy_Config_Route_V3_RouteConfiguration()
        configuration.name = ListenerGenerator.ingressName
        configuration.virtualHosts = [host]
        return configuration
    }

    private static func serviceHost(_ dependency: RoutedDependency) -> Envoy_Config_Route_V3_VirtualHost {
        let service = dependency.service
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = service
        host.domains = [service, "\(service):*"]
        for tag in dependency.traits.tags {
            var route = forward(to: service, timeouts: dependency.timeouts, subset: ["tag": tag])
            route.match.headers = [exactHeader(RoutingTraits.tagHeader, tag)]
            host.routes.append(route)
        }
        host.routes.append(unknownTag(service))
        if dependency.traits.hasCanary {
            var canary = forward(to: service, timeouts: dependency.timeouts, subset: ["canary": "1"])
            canary.match.headers = [exactHeader(RoutingTraits.canaryHeader, "1")]
            host.routes.append(canary)
            host.routes.append(forward(to: service, timeouts: dependency.timeouts, subset: ["canary": "0"]))
        } else {
            host.routes.append(forward(to: service, timeouts: dependency.timeouts))
        }
        return host
    }

    private static func domainHost(_ domain: DomainDependency, _ timeouts: ProxyProfile.TimeoutPolicy) -> Envoy_Config_Route_V3_VirtualHost {
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = domain.clusterName
        host.domains = [domain.host, "\(domain.host):\(domain.port)"]
        host.routes = [forward(to: domain.clusterName, timeouts: timeouts)]
        return host
    }

    private static func forward(
        to cluster: String, timeouts: ProxyProfile.TimeoutPolicy, subset: [String: String] = [:], retries: Bool = true
    ) -> Envoy_Config_Route_V3_Route {
        var route = Envoy_Config_Route_V3_Route()
        route.match.prefix = "/"
        route.route.cluster = cluster
        if let timeout = timeouts.requestTimeout { route.route.timeout = EnvoyValues.duration(timeout) }
        if let idle = timeouts.idleTimeout { route.route.idleTimeout = EnvoyValues.duration(idle) }
        if retries {
            route.route.retryPolicy.retryOn = retryOn
            route.route.retryPolicy.numRetries = EnvoyValues.uint32(1)
        }
        if !subset.isEmpty {
            var values = Google_Protobuf_Struct()
            for (key, value) in subset { values.fields[key] = Google_Protobuf_Value(stringValue: value) }
            route.route.metadataMatch.filterMetadata[RoutingTraits.subsetNamespace] = values
        }
        return route
    }

    /// A tag no instance has: a clear 503 instead of traffic to an instance without the tag.
    private static func unknownTag(_ service: String) -> Envoy_Config_Route_V3_Route {
        var route = Envoy_Config_Route_V3_Route()
        route.match.prefix = "/"
        var present = Envoy_Config_Route_V3_HeaderMatcher()
        present.name = RoutingTraits.tagHeader
        present.presentMatch = true
        route.match.headers = [present]
        route.directResponse.status = 503
        route.directResponse.body.inlineString = "no instance of '\(service)' has the requested x-service-tag\n"
        route.responseHeadersToAdd = [EnvoyValues.header(RoutingTraits.tagErrorHeader, "no instance of \(service) has the requested tag")]
        return route
    }

    private static func exactHeader(_ name: String, _ value: String) -> Envoy_Config_Route_V3_HeaderMatcher {
        var matcher = Envoy_Config_Route_V3_HeaderMatcher()
        matcher.name = name
        matcher.stringMatch.exact = value
        return matcher
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
