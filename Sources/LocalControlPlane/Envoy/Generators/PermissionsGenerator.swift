import EnvoyAPI

/// Builds the ingress RBAC filter from `proxy_settings.incoming`: one ALLOW policy per endpoint
/// (path + methods + callers). The caller is the `x-service-name` header its egress listener set.
enum PermissionsGenerator {
    static let filterName = "envoy.filters.http.rbac"

    static func rbacFilter(_ incoming: IncomingPermissions) -> Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter {
        var rules = Envoy_Config_Rbac_V3_RBAC()
        rules.action = .allow
        for (index, endpoint) in incoming.endpoints.enumerated() {
            var policy = Envoy_Config_Rbac_V3_Policy()
            policy.permissions = [permission(endpoint)]
            policy.principals = [principal(endpoint.clients, incoming)]
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
        var path = Envoy_Config_Rbac_V3_Permission()
        switch endpoint.path {
        case .exact(let value): path.urlPath.path.exact = value
        case .prefix(let value): path.urlPath.path.prefix = value
        case .regex(let value): path.urlPath.path.safeRegex.regex = value
        }
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

    private static func principal(_ clients: [String], _ incoming: IncomingPermissions) -> Envoy_Config_Rbac_V3_Principal {
        let callers = Set(clients.flatMap(incoming.callers)).sorted()
        var principal = Envoy_Config_Rbac_V3_Principal()
        if callers.contains("*") {
            principal.any = true
            return principal
        }
        principal.orIds.ids = callers.map { caller in
            var id = Envoy_Config_Rbac_V3_Principal()
            id.header.name = RouteGenerator.serviceNameHeader
            id.header.stringMatch.exact = caller
            return id
        }
        if callers.isEmpty { principal.notID.any = true }  // nobody: an empty or_ids would be invalid
        return principal
    }
}
