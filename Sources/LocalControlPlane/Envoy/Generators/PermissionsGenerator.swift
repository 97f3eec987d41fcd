import EnvoyAPI

/// Builds the ingress RBAC filter from `proxy_settings.incoming`: one ALLOW policy per endpoint
/// (paths + methods + callers). Who a caller is: `CallerIdentity`.
enum PermissionsGenerator {
    static let filterName = "envoy.filters.http.rbac"

    static func rbacFilter(
        _ incoming: IncomingPermissions, identity: CallerIdentity = CallerIdentity(.init())
    ) -> Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter {
        var rules = Envoy_Config_Rbac_V3_RBAC()
        rules.action = .allow
        for (index, endpoint) in incoming.endpoints.enumerated() {
            var policy = Envoy_Config_Rbac_V3_Policy()
            policy.permissions = [permission(endpoint)]
            policy.principals = [
                endpoint.unlistedClientsPolicy == .log
                    ? anyone : principal(endpoint.clients, incoming, identity)
            ]
            rules.policies["endpoint-\(index)"] = policy
        }
        var config = Envoy_Extensions_Filters_Http_Rbac_V3_RBAC()
        switch incoming.unlistedEndpointsPolicy {
        case .blockAndLog:
            config.rules = rules
        case .log:
            config.shadowRules = rules  // verdict in dynamic metadata `shadow_engine_result`
        }
        var filter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        filter.name = filterName
        filter.typedConfig = EnvoyValues.typedConfig(config)
        return filter
    }

    private static func permission(_ endpoint: IncomingPermissions.Endpoint) -> Envoy_Config_Rbac_V3_Permission {
        let paths = endpoint.paths.map { match in
            var path = Envoy_Config_Rbac_V3_Permission()
            switch match {
            case .exact(let value): path.urlPath.path.exact = value
            case .prefix(let value): path.urlPath.path.prefix = value
            case .regex(let value): path.urlPath.path.safeRegex.regex = value
            }
            return path
        }
        var path = Envoy_Config_Rbac_V3_Permission()
        if paths.count == 1 { path = paths[0] } else { path.orRules.rules = paths }
        guard !endpoint.methods.isEmpty else { return path }
        var methods = Envoy_Config_Rbac_V3_Permission()
        methods.orRules.rules = endpoint.methods.map { method in
            var rule = Envoy_Config_Rbac_V3_Permission()
            rule.header.name = ":method"
            rule.header.stringMatch.exact = method
            return rule
        }
        var both = Envoy_Config_Rbac_V3_Permission()
        both.andRules.rules = [path, methods]
        return both
    }

    private static let anyone: Envoy_Config_Rbac_V3_Principal = {
        var principal = Envoy_Config_Rbac_V3_Principal()
        principal.any = true
        return principal
    }()

    private static func principal(_ clients: [String], _ incoming: IncomingPermissions, _ identity: CallerIdentity) -> Envoy_Config_Rbac_V3_Principal {
        let callers = identity.admitted(clients.flatMap(incoming.entries))
        if callers.contains("*"), identity.properties.trustServiceNameHeader == .always { return anyone }
        return identity.principal(of: callers)
    }
}
