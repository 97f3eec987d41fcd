import EnvoyAPI

/// `endpoints[].oauth` and token client selectors with Envoy's JWT filter: the providers the Envoy's endpoints name
/// (their JWKS fetched through `clusterName`) and one rule per endpoint path and methods. An `oauth` endpoint's
/// requirement follows its policy; the filter runs before RBAC, so a request without the token it needs is refused
/// with 401 before anything else. A token a selector client may carry is verified when present (its payload goes to
/// the request's metadata, where RBAC matches the selector) and never required by the filter itself.
enum JwtGenerator {
    static let filterName = "envoy.filters.http.jwt_authn"

    private typealias Requirement = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtRequirement

    /// nil when no endpoint of the Envoy requires a token. `failureStatus`: the Envoy can put a failure's reason in
    /// the request's metadata (`failedStatusInMetadata`).
    static func filter(
        _ endpoints: [OAuthEndpoint], _ properties: SnapshotProperties.JwtProperties, failureStatus: Bool = false
    ) -> Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter? {
        guard !endpoints.isEmpty else { return nil }
        var config = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtAuthentication()
        for name in Set(endpoints.flatMap(\.providers)) {
            guard let provider = properties.providers[name] else { continue }  // the parser refuses unknown providers
            config.providers[name] = self.provider(provider, properties)
            if failureStatus, properties.failedStatusInMetadataEnabled {
                config.providers[name]?.failedStatusInMetadata = properties.failedStatusInMetadata
            }
        }
        config.rules = endpoints.flatMap { endpoint in
            endpoint.paths.map { path in
                var rule = Envoy_Extensions_Filters_Http_JwtAuthn_V3_RequirementRule()
                rule.match = RouteMatching.path(path)
                if !endpoint.methods.isEmpty { rule.match.headers = [RouteMatching.methods(endpoint.methods)] }
                rule.requires = requirement(endpoint)
                return rule
            }
        }
        var filter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        filter.name = filterName
        filter.typedConfig = EnvoyValues.typedConfig(config)
        return filter
    }

    /// The clusters the control plane creates for the JWKS of the providers `endpoints` name.
    static func clusters(_ endpoints: [OAuthEndpoint], _ properties: SnapshotProperties) -> [Envoy_Config_Cluster_V3_Cluster] {
        Set(endpoints.flatMap(\.providers)).sorted().compactMap { name in
            guard let provider = properties.jwt.providers[name], let jwks = provider.jwksCluster else { return nil }
            return ClusterGenerator.domainCluster(jwks, named: provider.clusterName, properties: properties)
        }
    }

    private static func provider(
        _ provider: SnapshotProperties.OAuthProvider, _ properties: SnapshotProperties.JwtProperties
    ) -> Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtProvider {
        var result = Envoy_Extensions_Filters_Http_JwtAuthn_V3_JwtProvider()
        if let issuer = provider.issuer { result.issuer = issuer }
        result.requireExpiration = properties.fieldRequiredInToken == "exp"
        result.remoteJwks.httpUri.uri = provider.jwksUri
        result.remoteJwks.httpUri.cluster = provider.clusterName
        result.remoteJwks.httpUri.timeout = EnvoyValues.duration(provider.connectionTimeout)
        result.remoteJwks.cacheDuration = EnvoyValues.duration(provider.cacheDuration)
        result.forward = properties.forwardJwt
        result.forwardPayloadHeader = properties.forwardPayloadHeader
        result.payloadInMetadata = properties.payloadInMetadata
        return result
    }

    /// A token of any of the endpoint's providers; without one, what its `oauth` policy allows (strict: nothing),
    /// and for selector clients alone anything (RBAC decides).
    private static func requirement(_ endpoint: OAuthEndpoint) -> Requirement {
        let tokens = endpoint.providers.map { name in
            var token = Requirement()
            token.providerName = name
            return token
        }
        let policy = endpoint.oauth?.policy ?? .allowMissingOrFailed
        if policy == .strict, tokens.count == 1 { return tokens[0] }
        var fallback: [Requirement] = []
        if policy != .strict {
            var missing = Requirement()
            if policy == .allowMissing { missing.allowMissing = .init() } else { missing.allowMissingOrFailed = .init() }
            fallback = [missing]
        }
        var either = Requirement()
        either.requiresAny.requirements = tokens + fallback
        return either
    }
}
