import Foundation
import Shared

/// Reads `proxy_settings.incoming` as envoy-control does: RBAC only when `endpoints` is given and the server's
/// incoming permissions are on; the health-check route and the ingress timeouts always.
enum IncomingParser {
    static let httpMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]

    static func parse(
        _ incoming: MetadataReader?, serviceName: String, properties: SnapshotProperties, unsupported: inout Set<String>
    ) throws(NodeMetadataError) -> Incoming {
        guard let incoming else { return Incoming() }
        var result = Incoming()
        if let health = try incoming.child("healthCheck"), let path = try health.child("path")?.string(), !path.isEmpty {
            result.healthCheck = .init(path: path, clusterName: try health.child("clusterName")?.string() ?? Incoming.HealthCheck.defaultClusterName)
        }
        if let timeouts = try incoming.child("timeoutPolicy") {
            result.timeoutPolicy = .init(
                responseTimeout: try timeouts.child("responseTimeout")?.duration(), idleTimeout: try timeouts.child("idleTimeout")?.duration(),
                connectionIdleTimeout: try timeouts.child("connectionIdleTimeout")?.duration())
        }
        let permissions = try parsePermissions(
            incoming, serviceName: serviceName, properties: properties, oauth: &result.oauthEndpoints, unsupported: &unsupported)
        result.rateLimits = try parseRateLimits(incoming)
        // As in envoy-control: no `endpoints` key means no rules at all, and the server switch wins over the metadata.
        result.permissions = properties.incomingPermissions.enabled ? permissions : nil
        return result
    }

    /// The endpoints, and among them those that require a token (kept even when the server's permissions are off:
    /// an endpoint with `oauth` is never silently left open).
    private static func parsePermissions(
        _ incoming: MetadataReader, serviceName: String, properties: SnapshotProperties, oauth: inout [OAuthEndpoint],
        unsupported: inout Set<String>
    ) throws(NodeMetadataError) -> IncomingPermissions? {
        var roles: [IncomingPermissions.Role] = []
        for role in try incoming.child("roles")?.elements() ?? [] {
            guard let name = try role.child("name")?.string(), !name.isEmpty else { throw role.error("needs a 'name'") }
            roles.append(.init(name: name, clients: try role.child("clients")?.stringList() ?? []))
        }
        let unlisted = try policy(incoming.child("unlistedEndpointsPolicy"))
        guard let endpoints = try incoming.child("endpoints")?.elements() else { return nil }
        var parsed: [IncomingPermissions.Endpoint] = []
        for endpoint in endpoints {
            let methods = try methods(endpoint)
            let clients = try endpoint.child("clients")?.stringList() ?? []
            if clients.contains("*"), properties.incomingPermissions.enabled {
                guard clients.count == 1 else { throw endpoint.error("clients: either '*' or a list of clients, not both") }
                guard properties.incomingPermissions.tlsAuthentication.servicesAllowedToUseWildcard.contains(serviceName) else {
                    throw endpoint.error(
                        "clients: '*' (everyone) is allowed only for the services in "
                            + "snapshot.incomingPermissions.tlsAuthentication.servicesAllowedToUseWildcard")
                }
            }
            let paths = try paths(endpoint, allowingList: true)
            let token = try endpoint.child("oauth").map { field throws(NodeMetadataError) in try parseOAuth(field, properties.jwt) }
            let selectorProviders = properties.incomingPermissions.enabled ? tokenSelectorProviders(clients, roles, properties.jwt) : []
            if token != nil || !selectorProviders.isEmpty {
                oauth.append(OAuthEndpoint(paths: paths, methods: methods, oauth: token, selectorProviders: selectorProviders))
            }
            parsed.append(.init(
                paths: paths, methods: methods, clients: clients, unlistedClientsPolicy: try policy(endpoint.child("unlistedClientsPolicy"))))
        }
        return IncomingPermissions(endpoints: parsed, roles: roles, unlistedEndpointsPolicy: unlisted)
    }

    /// `rateLimitEndpoints`: exactly one of `path`, `pathPrefix`, `pathRegex`, optional methods and clients, and a
    /// `rateLimit` like `10/s`, `100/m`, `1000/h`.
    private static func parseRateLimits(_ incoming: MetadataReader) throws(NodeMetadataError) -> [RateLimitedEndpoint] {
        var result: [RateLimitedEndpoint] = []
        for endpoint in try incoming.child("rateLimitEndpoints")?.elements() ?? [] {
            let path = try paths(endpoint, allowingList: false)[0]
            let methods = try methods(endpoint)
            let clients = try endpoint.child("clients")?.stringList() ?? []
            if clients.contains("*") && clients.count != 1 { throw endpoint.error("clients: either '*' or a list of clients, not both") }
            guard let field = try endpoint.child("rateLimit") else { throw endpoint.error("needs a 'rateLimit' (like 10/s)") }
            let text = try field.string()
            guard let limit = RateLimit(text) else { throw field.error("'\(text)' is not a rate limit like 10/s, 100/m or 1000/h") }
            result.append(RateLimitedEndpoint(path: path, methods: methods, clients: clients == ["*"] ? [] : clients, limit: limit))
        }
        return result
    }

    /// The providers whose `matchings` name one of these clients (roles expanded), as envoy-control's JWT filter finds them.
    private static func tokenSelectorProviders(
        _ clients: [String], _ roles: [IncomingPermissions.Role], _ jwt: SnapshotProperties.JwtProperties
    ) -> [String] {
        let names = Set(clients.flatMap { client in roles.first { $0.name == client }?.clients ?? [client] }.map { ClientSelector($0).name })
        return jwt.providers.filter { !names.isDisjoint(with: $0.value.matchings.keys) }.keys.sorted()
    }

    /// `oauth: {provider, verification, policy}`: the provider must be one of the server's `jwt.providers`.
    private static func parseOAuth(_ field: MetadataReader, _ jwt: SnapshotProperties.JwtProperties) throws(NodeMetadataError) -> OAuth {
        guard let provider = try field.child("provider")?.string(), !provider.isEmpty else { throw field.error("needs a 'provider'") }
        guard jwt.providers[provider] != nil else {
            let known = jwt.providers.keys.sorted().joined(separator: ", ")
            throw field.error("provider '\(provider)' is not one of the server's jwt.providers (\(known.isEmpty ? "none" : known))")
        }
        var verification = jwt.defaultVerificationType
        if let text = try field.child("verification")?.string() {
            guard let parsed = OAuth.Verification(rawValue: text) else { throw field.error("verification: '\(text)' is not offline") }
            verification = parsed
        }
        var policy = jwt.defaultOAuthPolicy
        if let text = try field.child("policy")?.string() {
            guard let parsed = OAuth.Policy(rawValue: text) else {
                throw field.error("policy: '\(text)' is not \(OAuth.Policy.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            policy = parsed
        }
        return OAuth(provider: provider, verification: verification, policy: policy)
    }

    private static func methods(_ endpoint: MetadataReader) throws(NodeMetadataError) -> [String] {
        let methods = try endpoint.child("methods")?.stringList() ?? []
        if let bad = methods.first(where: { !httpMethods.contains($0) }) {
            throw endpoint.error("methods: '\(bad)' is not an HTTP method (\(httpMethods.sorted().joined(separator: ", ")))")
        }
        return methods
    }

    /// Exactly one of `path`, `pathPrefix`, `pathRegex` (and, for permissions, `paths`).
    private static func paths(_ endpoint: MetadataReader, allowingList: Bool) throws(NodeMetadataError) -> [PathMatch] {
        var found: [[PathMatch]] = []
        if allowingList, let list = try endpoint.child("paths")?.stringList(), !list.isEmpty { found.append(list.sorted().map(PathMatch.exact)) }
        if let path = try endpoint.child("path")?.string() { found.append([.exact(path)]) }
        if let prefix = try endpoint.child("pathPrefix")?.string() { found.append([.prefix(prefix)]) }
        if let regex = try endpoint.child("pathRegex")?.string() {
            guard (try? NSRegularExpression(pattern: regex)) != nil else { throw endpoint.error("pathRegex: '\(regex)' is not a regular expression") }
            found.append([.regex(regex)])
        }
        let keys = allowingList ? "'paths', 'path', 'pathPrefix' or 'pathRegex'" : "'path', 'pathPrefix' or 'pathRegex'"
        guard found.count == 1 else {
            throw endpoint.error(found.isEmpty ? "needs one of \(keys)" : "must have precisely one of \(keys)")
        }
        return found[0]
    }

    private static func policy(_ reader: MetadataReader?) throws(NodeMetadataError) -> IncomingPermissions.UnlistedPolicy {
        guard let reader else { return .blockAndLog }
        let text = try reader.string()
        if text.isEmpty { return .blockAndLog }
        guard let policy = IncomingPermissions.UnlistedPolicy(rawValue: text) else { throw reader.error("'\(text)' is not blockAndLog or log") }
        return policy
    }
}
