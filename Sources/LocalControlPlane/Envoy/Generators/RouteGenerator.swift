import EnvoyAPI
import SwiftProtobuf

/// One service an Envoy's egress routes to, with everything its routes depend on.
struct RoutedDependency: Hashable, Sendable {
    var dependency: ServiceDependency
    var traits: RoutingTraits

    var service: String { dependency.service }
}

/// Builds RDS resources under envoy-control's names, for dynamic and static listeners alike. `default_routes`
/// (egress) routes by Host header to the dependencies' clusters, `envoy-original-destination` to the bootstrap's
/// original-destination cluster, anything else to a direct `clusterNotFoundStatusCode` reply.
/// `ingress_secured_routes` sends everything to the bootstrap's `local_service`, health checks to their cluster.
enum RouteGenerator {
    static let egressName = "default_routes"
    static let ingressName = "ingress_secured_routes"
    static let localServiceCluster = "local_service"
    static let originalDestinationCluster = "envoy-original-destination"

    static func routes(
        for profile: ProxyProfile, dependencies: [RoutedDependency], properties: SnapshotProperties, subsets: SubsetRules
    ) -> [Envoy_Config_Route_V3_RouteConfiguration] {
        [egress(for: profile, dependencies: dependencies, properties: properties, subsets: subsets), IngressRoutes.configuration(profile, properties)]
    }

    static func egress(
        for profile: ProxyProfile, dependencies: [RoutedDependency], properties: SnapshotProperties, subsets: SubsetRules
    ) -> Envoy_Config_Route_V3_RouteConfiguration {
        let rules = EgressRouteRules(properties: properties, subsets: subsets)
        var configuration = Envoy_Config_Route_V3_RouteConfiguration()
        configuration.name = egressName
        // A bare host (no port) may name one virtual host only: the domain on its scheme's default port, else the first.
        let bareHostOwners = Dictionary(grouping: profile.outgoing.domains, by: \.host)
            .mapValues { domains in (domains.first { !$0.explicitPort } ?? domains[0]).clusterName }
        configuration.virtualHosts = dependencies.map(rules.serviceHost)
            + profile.outgoing.domains.map { rules.domainHost($0, bareHost: bareHostOwners[$0.host] == $0.clusterName) }
            + (profile.outgoing.domainPatterns.isEmpty ? [] : [rules.domainPatternHost(profile.outgoing.domainPatterns)])
            + [rules.originalDestinationHost, rules.clusterNotFoundHost]
        if properties.incomingPermissions.enabled {
            configuration.requestHeadersToAdd = [EnvoyValues.header(properties.incomingPermissions.serviceNameHeader, profile.serviceName)]
        }
        if profile.listeners?.addUpstreamExternalAddressHeader == true {
            configuration.responseHeadersToAdd = [EnvoyValues.header("x-envoy-upstream-remote-address", "%UPSTREAM_REMOTE_ADDRESS%")]
        }
        if let tags = subsets.tags?.properties, tags.addUpstreamServiceTagsHeader {
            var header = EnvoyValues.header("x-envoy-upstream-service-tags", "%UPSTREAM_METADATA(\(SubsetRules.namespace):\(tags.metadataKey))%")
            header.keepEmptyValue = false
            configuration.responseHeadersToAdd.append(header)
        }
        configuration.requestHeadersToRemove = properties.egress.headersToRemove
        configuration.validateClusters = .init(false)
        return configuration
    }
}

/// The pieces of `default_routes`, under one set of server settings.
private struct EgressRouteRules {
    let properties: SnapshotProperties
    let subsets: SubsetRules

    func serviceHost(_ routed: RoutedDependency) -> Envoy_Config_Route_V3_VirtualHost {
        let service = routed.service
        let settings = routed.dependency.settings
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = service
        host.domains = ([service] + properties.egress.domains.map { service + $0 }).flatMap { [$0, "\($0):*"] }
        if let tags = subsets.tags?.properties {
            if let policy = tags.automaticTags(settings.routingPolicy) {
                // The endpoints this group receives are already those of the preferred tag (`EndpointGenerator.preferring`).
                if tags.rejectRequestsWithDuplicatedAutoServiceTag {
                    host.routes += policy.serviceTagPreference.map { duplicatedAutoTag($0, header: tags.header) }
                }
                if !tags.preferenceRouting.enableForAll {
                    var preference = EnvoyValues.header(tags.preferenceRouting.header, policy.serviceTagPreference.joined(separator: "|"))
                    preference.appendAction = .addIfAbsent
                    host.requestHeadersToAdd = [preference]
                }
            }
            for tag in routed.traits.tags {
                if routed.traits.hasCanary, let canary = subsets.canary {
                    host.routes += forwarding(
                        to: service, settings, subset: [tags.metadataKey: tag, canary.metadataKey: canary.headerValue],
                        when: [RouteMatching.exactHeader(tags.header, tag), RouteMatching.exactHeader(SubsetRules.canaryHeader, canary.headerValue)])
                }
                host.routes += forwarding(to: service, settings, subset: [tags.metadataKey: tag], when: [RouteMatching.exactHeader(tags.header, tag)])
            }
            host.routes += unknownTag(service, settings, header: tags.header, key: tags.metadataKey)
        }
        if routed.traits.hasCanary, let canary = subsets.canary {
            host.routes += forwarding(
                to: service, settings, subset: [canary.metadataKey: canary.headerValue],
                when: [RouteMatching.exactHeader(SubsetRules.canaryHeader, canary.headerValue)])
        }
        host.routes += forwarding(to: service, settings)
        return host
    }

    func domainHost(_ domain: DomainDependency, bareHost: Bool = true) -> Envoy_Config_Route_V3_VirtualHost {
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = domain.clusterName
        host.domains = (bareHost ? [domain.host] : []) + ["\(domain.host):\(domain.port)"]
        host.routes = forwarding(to: domain.clusterName, domain.settings)
        return host
    }

    /// `domainPattern` dependencies: hosts matching any pattern go to the dynamic forward proxy, with the server's
    /// default dependency settings (envoy-control's `defaultServiceSettings`).
    func domainPatternHost(_ patterns: [String]) -> Envoy_Config_Route_V3_VirtualHost {
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = properties.dynamicForwardProxy.clusterName
        host.domains = patterns
        host.routes = forwarding(to: properties.dynamicForwardProxy.clusterName, OutgoingParser.defaultSettings(properties))
        return host
    }

    /// envoy-control's `original-destination-route`: calls with `Host: envoy-original-destination` go to the
    /// address in `x-envoy-original-dst-host` through the bootstrap's original-destination cluster.
    var originalDestinationHost: Envoy_Config_Route_V3_VirtualHost {
        let common = properties.egress.commonHttp
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = "original-destination-route"
        host.domains = [RouteGenerator.originalDestinationCluster]
        var route = Envoy_Config_Route_V3_Route()
        route.match.prefix = "/"
        route.route.cluster = RouteGenerator.originalDestinationCluster
        route.route.timeout = EnvoyValues.duration(common.requestTimeout)
        route.route.idleTimeout = EnvoyValues.duration(common.idleTimeout)
        host.routes = [route]
        return host
    }

    /// A Host header that names no dependency: envoy-control's `wildcard-route`.
    var clusterNotFoundHost: Envoy_Config_Route_V3_VirtualHost {
        var route = Envoy_Config_Route_V3_Route()
        route.match.prefix = "/"
        route.directResponse.status = UInt32(properties.egress.clusterNotFoundStatusCode)
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = "wildcard-route"
        host.domains = ["*"]
        host.routes = [route]
        return host
    }

    private func forward(to cluster: String, _ settings: DependencySettings, subset: [String: String] = [:]) -> Envoy_Config_Route_V3_Route {
        var route = Envoy_Config_Route_V3_Route()
        route.match.prefix = "/"
        route.route.cluster = cluster
        route.route.timeout = EnvoyValues.duration(settings.timeoutPolicy.requestTimeout)
        route.route.idleTimeout = EnvoyValues.duration(settings.timeoutPolicy.idleTimeout)
        if let retry = settings.retryPolicy, !retry.retryOn.isEmpty { route.route.retryPolicy = RouteMatching.retryPolicy(retry) }
        if settings.handleInternalRedirect {
            route.route.internalRedirectPolicy.redirectResponseCodes = [301, 302, 303, 307, 308]
        }
        if settings.rewriteHostHeader, properties.egress.hostHeaderRewriting.enabled {
            route.route.hostRewriteHeader = properties.egress.hostHeaderRewriting.customHostHeader
        }
        if !subset.isEmpty {
            var values = Google_Protobuf_Struct()
            for (key, value) in subset { values.fields[key] = Google_Protobuf_Value(stringValue: value) }
            route.route.metadataMatch.filterMetadata[SubsetRules.namespace] = values
        }
        return route
    }

    /// The routes to `cluster` (for requests matching all `headers`): with a retry policy limited to some
    /// `methods`, a route of those methods that retries, then one that does not (envoy-control's split).
    private func forwarding(
        to cluster: String, _ settings: DependencySettings, subset: [String: String] = [:],
        when headers: [Envoy_Config_Route_V3_HeaderMatcher] = []
    ) -> [Envoy_Config_Route_V3_Route] {
        var route = forward(to: cluster, settings, subset: subset)
        route.match.headers = headers
        guard let methods = settings.retryPolicy?.methods, route.route.hasRetryPolicy else { return [route] }
        var retrying = route
        retrying.match.headers.append(RouteMatching.methods(methods))
        route.route.clearRetryPolicy()
        return [retrying, route]
    }

    /// envoy-control's answer to a request naming a tag its automatic service tag already prefers.
    private func duplicatedAutoTag(_ tag: String, header: String) -> Envoy_Config_Route_V3_Route {
        var route = Envoy_Config_Route_V3_Route()
        route.match.prefix = "/"
        route.match.headers = [RouteMatching.exactHeader(header, tag)]
        route.directResponse.status = 400
        route.directResponse.body.inlineString =
            "Request service-tag '\(tag)' duplicates auto service-tag preference. Remove service-tag parameter from the request"
        return route
    }

    /// A tag no instance has: to the cluster under a tag no endpoint can carry (the empty one), so Envoy answers
    /// as envoy-control's Envoys do (503, no healthy upstream, flag UH), with `x-service-tag-error` saying why.
    private func unknownTag(_ service: String, _ settings: DependencySettings, header: String, key: String) -> [Envoy_Config_Route_V3_Route] {
        var present = Envoy_Config_Route_V3_HeaderMatcher()
        present.name = header
        present.presentMatch = true
        return forwarding(to: service, settings, subset: [key: ServiceTagRouting.unroutableTag], when: [present]).map { route in
            var route = route
            route.responseHeadersToAdd = [EnvoyValues.header(SubsetRules.tagErrorHeader, "no instance of \(service) has the requested tag")]
            return route
        }
    }
}

/// Route pieces both directions use.
enum RouteMatching {
    static func exactHeader(_ name: String, _ value: String) -> Envoy_Config_Route_V3_HeaderMatcher {
        var matcher = Envoy_Config_Route_V3_HeaderMatcher()
        matcher.name = name
        matcher.stringMatch.exact = value
        return matcher
    }

    /// A route (or JWT rule) match on the request path.
    static func path(_ match: PathMatch) -> Envoy_Config_Route_V3_RouteMatch {
        var routeMatch = Envoy_Config_Route_V3_RouteMatch()
        switch match {
        case .exact(let path): routeMatch.path = path
        case .prefix(let path): routeMatch.prefix = path
        case .regex(let path): routeMatch.safeRegex.regex = path
        }
        return routeMatch
    }

    /// Any of `methods` (HTTP method names, which need no escaping).
    static func methods(_ methods: [String]) -> Envoy_Config_Route_V3_HeaderMatcher {
        var matcher = Envoy_Config_Route_V3_HeaderMatcher()
        matcher.name = ":method"
        matcher.stringMatch.safeRegex.regex = "^(" + methods.joined(separator: "|") + ")$"
        return matcher
    }

    static func pathHeader(_ match: PathMatch) -> Envoy_Config_Route_V3_HeaderMatcher {
        var matcher = Envoy_Config_Route_V3_HeaderMatcher()
        matcher.name = ":path"
        switch match {
        case .exact(let path): matcher.stringMatch.exact = path
        case .prefix(let path): matcher.stringMatch.prefix = path
        case .regex(let path): matcher.stringMatch.safeRegex.regex = path
        }
        return matcher
    }

    static func retryPolicy(_ retry: RetryPolicy) -> Envoy_Config_Route_V3_RetryPolicy {
        var policy = Envoy_Config_Route_V3_RetryPolicy()
        policy.retryOn = retry.retryOn.joined(separator: ",")
        policy.numRetries = EnvoyValues.uint32(retry.numberRetries)
        if let timeout = retry.perTryTimeout { policy.perTryTimeout = EnvoyValues.duration(timeout) }
        if let attempts = retry.hostSelectionRetryMaxAttempts { policy.hostSelectionRetryMaxAttempts = Int64(attempts) }
        policy.retryHostPredicate = retry.retryHostPredicates.map { name in
            var predicate = Envoy_Config_Route_V3_RetryPolicy.RetryHostPredicate()
            predicate.name = name
            predicate.typedConfig = hostPredicateConfig(name)
            return predicate
        }
        if let base = retry.backOffBaseInterval {
            policy.retryBackOff.baseInterval = EnvoyValues.duration(base)
            if let max = retry.backOffMaxInterval { policy.retryBackOff.maxInterval = EnvoyValues.duration(max) }
        }
        policy.retriableStatusCodes = retry.retriableStatusCodes.map(UInt32.init)
        // Set only with headers: an empty back-off message is invalid (Envoy needs at least one reset header).
        if !retry.resetHeaders.isEmpty {
            policy.rateLimitedRetryBackOff.resetHeaders = retry.resetHeaders.map { header in
                var reset = Envoy_Config_Route_V3_RetryPolicy.ResetHeader()
                reset.name = header.name
                reset.format = header.format == .seconds ? .seconds : .unixTimestamp
                return reset
            }
        }
        policy.retriableHeaders = retry.retriableHeaders.map { name in
            var matcher = Envoy_Config_Route_V3_HeaderMatcher()
            matcher.name = name
            matcher.presentMatch = true
            return matcher
        }
        return policy
    }

    /// envoy-control's predicate configs: empty ones (`omit_host_metadata` without a match, as it sends it).
    private static func hostPredicateConfig(_ name: String) -> Google_Protobuf_Any {
        switch name {
        case RetryHostPredicateName.omitCanaryHosts:
            EnvoyValues.typedConfig(Envoy_Extensions_Retry_Host_OmitCanaryHosts_V3_OmitCanaryHostsPredicate())
        case RetryHostPredicateName.omitHostMetadata:
            EnvoyValues.typedConfig(Envoy_Extensions_Retry_Host_OmitHostMetadata_V3_OmitHostMetadataConfig())
        default:
            EnvoyValues.typedConfig(Envoy_Extensions_Retry_Host_PreviousHosts_V3_PreviousHostsPredicate())
        }
    }
}
