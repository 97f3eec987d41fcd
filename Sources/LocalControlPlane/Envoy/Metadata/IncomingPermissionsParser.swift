import Shared

/// Reads `proxy_settings.incoming` (envoy-control syntax) into `IncomingPermissions`.
enum IncomingPermissionsParser {
    static func parse(_ incoming: MetadataReader) throws(NodeMetadataError) -> IncomingPermissions {
        var permissions = IncomingPermissions()
        for role in try incoming.child("roles")?.elements() ?? [] {
            guard let name = try role.child("name")?.string(), !name.isEmpty else { throw role.error("needs a 'name'") }
            permissions.roles[name] = try role.child("clients")?.stringList() ?? []
        }
        for endpoint in try incoming.child("endpoints")?.elements() ?? [] {
            let path: IncomingPermissions.PathMatch
            switch (try endpoint.child("path")?.string(), try endpoint.child("pathPrefix")?.string(), try endpoint.child("pathRegex")?.string()) {
            case (let exact?, nil, nil): path = .exact(exact)
            case (nil, let prefix?, nil): path = .prefix(prefix)
            case (nil, nil, let regex?): path = .regex(regex)
            default: throw endpoint.error("needs exactly one of 'path', 'pathPrefix' or 'pathRegex'")
            }
            let methods = try endpoint.child("methods")?.stringList().map { $0.uppercased() } ?? []
            let clients = try endpoint.child("clients")?.stringList() ?? []
            if let bad = clients.first(where: { $0 != "*" && !ServiceName.isValid($0) && permissions.roles[$0] == nil }) {
                throw endpoint.error("clients: '\(bad)' is not a service name, a role or '*'")
            }
            permissions.endpoints.append(.init(path: path, methods: methods, clients: clients))
        }
        if let policy = try incoming.child("unlistedEndpointsPolicy") {
            let text = try policy.string()
            guard let parsed = IncomingPermissions.UnlistedPolicy(rawValue: text) else {
                throw policy.error("'\(text)' is not blockAndLog or log")
            }
            permissions.unlistedEndpointsPolicy = parsed
        }
        return permissions
    }
}
