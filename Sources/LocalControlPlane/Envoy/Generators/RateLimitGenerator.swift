import EnvoyAPI

/// `rateLimitEndpoints` with Envoy's local rate limit filter: the ingress gets the filter without a bucket of its
/// own, and each limited endpoint (per listed client) a route of its own carrying its token bucket, so limits hold
/// per endpoint and client and other requests are never counted. A request over the limit gets 429.
enum RateLimitGenerator {
    static let filterName = "envoy.filters.http.local_ratelimit"
    static let statPrefix = "ingress_rate_limit"

    static let filter: Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter = {
        var config = Envoy_Extensions_Filters_Http_LocalRatelimit_V3_LocalRateLimit()
        config.statPrefix = statPrefix
        var filter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        filter.name = filterName
        filter.typedConfig = EnvoyValues.typedConfig(config)
        return filter
    }()

    /// One route per endpoint and listed client, placed before the ingress's catch-all: `forward` is that route's
    /// action for a path (the local service with the ingress timeouts).
    static func routes(
        _ endpoints: [RateLimitedEndpoint], clientHeader: String, forward: (PathMatch) -> Envoy_Config_Route_V3_Route
    ) -> [Envoy_Config_Route_V3_Route] {
        endpoints.flatMap { endpoint in
            (endpoint.clients.isEmpty ? [nil] : endpoint.clients.map(Optional.some)).map { client in
                var route = forward(endpoint.path)
                if !endpoint.methods.isEmpty { route.match.headers.append(RouteMatching.methods(endpoint.methods)) }
                if let client { route.match.headers.append(RouteMatching.exactHeader(clientHeader, client)) }
                limit(&route, endpoint.limit)
                return route
            }
        }
    }

    private static func limit(_ route: inout Envoy_Config_Route_V3_Route, _ limit: RateLimit) {
        guard limit.requests > 0 else {
            route.directResponse.status = 429  // 0/s: nothing gets through (a token bucket needs at least one token)
            return
        }
        var config = Envoy_Extensions_Filters_Http_LocalRatelimit_V3_LocalRateLimit()
        config.statPrefix = statPrefix
        config.tokenBucket.maxTokens = UInt32(limit.requests)
        config.tokenBucket.tokensPerFill = EnvoyValues.uint32(limit.requests)
        config.tokenBucket.fillInterval = EnvoyValues.duration(limit.interval)
        config.filterEnabled = always
        config.filterEnforced = always
        route.typedPerFilterConfig[filterName] = EnvoyValues.typedConfig(config)
    }

    private static let always: Envoy_Config_Core_V3_RuntimeFractionalPercent = {
        var percent = Envoy_Config_Core_V3_RuntimeFractionalPercent()
        percent.defaultValue.numerator = 100
        percent.defaultValue.denominator = .hundred
        percent.runtimeKey = "ingress_rate_limit_enabled"
        return percent
    }()
}
