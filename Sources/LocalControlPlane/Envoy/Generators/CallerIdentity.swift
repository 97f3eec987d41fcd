import EnvoyAPI

/// How RBAC recognises one caller: by its instances' addresses or a named range (source-IP authentication), else by
/// its certificate's URI SAN or, where `trustServiceNameHeader` allows, by the service-name header. A selector
/// (`name:selector`) narrows a source-IP client by a header (`selectorMatching`) and stands for a token field value
/// of a provider's `matchings` (the JWT filter puts the verified payload in the request's metadata).
struct CallerIdentity {
    let properties: SnapshotProperties.IncomingPermissionsProperties
    let jwt: SnapshotProperties.JwtProperties
    /// The IP addresses of the instances of each source-IP-authenticated service (every DC's), sorted.
    let sourceAddresses: [String: [String]]

    init(
        _ properties: SnapshotProperties.IncomingPermissionsProperties, jwt: SnapshotProperties.JwtProperties = .init(),
        sourceAddresses: [String: [String]] = [:]
    ) {
        self.properties = properties
        self.jwt = jwt
        self.sourceAddresses = sourceAddresses
    }

    /// The principal admitting any of `entries` (admitted clients, selectors kept). Negated selectors
    /// (`name:!selector`) must hold as well for every other client; alone, any of them admits (envoy-control's rule).
    func principal(of entries: [String]) -> Envoy_Config_Rbac_V3_Principal {
        let clients = entries.map(ClientSelector.init)
        let allowed = clients.filter { !$0.negated }.flatMap(principals)
        let excluded = clients.filter(\.negated).flatMap(principals)
        var alternatives = allowed
        if !excluded.isEmpty {
            alternatives = allowed.isEmpty ? excluded : allowed.map { Self.all([$0] + [Self.all(excluded)]) }
        }
        var principal = Envoy_Config_Rbac_V3_Principal()
        principal.orIds.ids = alternatives
        if alternatives.isEmpty { principal.notID.any = true }  // nobody: an empty or_ids would be invalid
        return principal
    }

    /// One client with its selector: a token field, a source-IP client with its header, or the name alone.
    func principals(_ client: ClientSelector) -> [Envoy_Config_Rbac_V3_Principal] {
        guard let selector = client.selector else { return principals(client.name) }
        if let claim = jwt.providers.values.lazy.compactMap({ $0.matchings[client.name] }).first {
            return [tokenField(claim, contains: selector, inverted: client.negated)]
        }
        let sourceIp = properties.sourceIpAuthentication
        let addressed = sourceIp.enabledForIncomingServices.contains(client.name) || sourceIp.ipFromRange[client.name] != nil
        guard addressed, let matching = properties.selectorMatching[client.name], !matching.header.isEmpty else {
            return principals(client.name)
        }
        let addresses = principals(client.name)
        guard !addresses.isEmpty else { return [] }
        var either = Envoy_Config_Rbac_V3_Principal()
        either.orIds.ids = addresses
        var named = header(matching.header, selector)
        named.header.invertMatch = client.negated
        return [Self.all([either, named])]
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

    /// The verified token's `claim` (a list, or one value) holds `value`.
    private func tokenField(_ claim: String, contains value: String, inverted: Bool) -> Envoy_Config_Rbac_V3_Principal {
        var matcher = Envoy_Type_Matcher_V3_MetadataMatcher()
        matcher.filter = JwtGenerator.filterName
        matcher.path = [jwt.payloadInMetadata, claim].map { key in
            var segment = Envoy_Type_Matcher_V3_MetadataMatcher.PathSegment()
            segment.key = key
            return segment
        }
        matcher.value.listMatch.oneOf.stringMatch.exact = value
        matcher.invert = inverted
        var principal = Envoy_Config_Rbac_V3_Principal()
        principal.metadata = matcher
        return principal
    }

    private static func all(_ principals: [Envoy_Config_Rbac_V3_Principal]) -> Envoy_Config_Rbac_V3_Principal {
        guard principals.count > 1 else { return principals[0] }
        var principal = Envoy_Config_Rbac_V3_Principal()
        principal.andIds.ids = principals
        return principal
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
