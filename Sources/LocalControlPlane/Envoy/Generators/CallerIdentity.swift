import EnvoyAPI

/// How RBAC recognises one caller: by its instances' addresses or a named range (source-IP authentication), else by
/// its certificate's URI SAN or, where `trustServiceNameHeader` allows, by the service-name header.
struct CallerIdentity {
    let properties: SnapshotProperties.IncomingPermissionsProperties
    /// The IP addresses of the instances of each source-IP-authenticated service (every DC's), sorted.
    let sourceAddresses: [String: [String]]

    init(_ properties: SnapshotProperties.IncomingPermissionsProperties, sourceAddresses: [String: [String]] = [:]) {
        self.properties = properties
        self.sourceAddresses = sourceAddresses
    }

    /// An endpoint's callers (roles already expanded) as the server's lists widen them, sorted and unique: a client
    /// naming a custom list stands for its clients; without any, the default list joins; the clients allowed to all
    /// endpoints always do (envoy-control's `clientsLists` and `clientsAllowedToAllEndpoints`).
    func admitted(_ callers: [String]) -> [String] {
        let lists = properties.clientsLists
        var expanded = callers.flatMap { lists.customClientsLists[$0] ?? [$0] }
        if !callers.contains(where: { lists.customClientsLists[$0] != nil }) { expanded += lists.defaultClientsList }
        return Set(expanded + properties.clientsAllowedToAllEndpoints).sorted()
    }

    /// The services whose instances' addresses these permissions name (a change to them changes the RBAC).
    static func addressAuthenticated(_ permissions: IncomingPermissions?, _ properties: SnapshotProperties.IncomingPermissionsProperties) -> Set<String> {
        guard let permissions, !properties.sourceIpAuthentication.enabledForIncomingServices.isEmpty else { return [] }
        let identity = CallerIdentity(properties)
        let callers = permissions.endpoints.flatMap { identity.admitted($0.clients.flatMap(permissions.callers)) }
        return Set(callers).intersection(properties.sourceIpAuthentication.enabledForIncomingServices)
    }

    /// Alternatives, any of which identifies `caller` (none: nobody can be it, e.g. a service with no instances).
    func principals(_ caller: String) -> [Envoy_Config_Rbac_V3_Principal] {
        let sourceIp = properties.sourceIpAuthentication
        if sourceIp.enabledForIncomingServices.contains(caller) {
            return (sourceAddresses[caller] ?? []).map { Self.source(CIDRRange(host: $0)) }
        }
        if let ranges = sourceIp.ipFromRange[caller] { return ranges.map(Self.source) }
        let certificate = MutualTLSGenerator.principal(caller, properties.tlsAuthentication)
        guard caller != properties.tlsAuthentication.wildcardClientIdentifier else { return [certificate] }
        switch properties.trustServiceNameHeader {
        case .never: return [certificate]
        case .always: return [certificate, header(properties.serviceNameHeader, caller)]
        case .originalDestination:
            var both = Envoy_Config_Rbac_V3_Principal()
            both.andIds.ids = [header(":authority", RouteGenerator.originalDestinationCluster), header(properties.serviceNameHeader, caller)]
            return [certificate, both]
        }
    }

    private func header(_ name: String, _ value: String) -> Envoy_Config_Rbac_V3_Principal {
        var principal = Envoy_Config_Rbac_V3_Principal()
        principal.header.name = name
        principal.header.stringMatch.exact = value
        return principal
    }

    private static func source(_ range: CIDRRange) -> Envoy_Config_Rbac_V3_Principal {
        var principal = Envoy_Config_Rbac_V3_Principal()
        principal.directRemoteIp.addressPrefix = range.address
        principal.directRemoteIp.prefixLen = EnvoyValues.uint32(range.prefixLength)
        return principal
    }
}
