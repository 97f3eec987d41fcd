/// The immutable view of one datacenter's services that every resource is generated from.
public struct ServiceCatalog: Hashable, Sendable {
    public let services: [String: CatalogService]

    public init(services: [CatalogService] = []) {
        var byName: [String: CatalogService] = [:]
        for service in services {
            byName[service.name] = service
        }
        self.services = byName
    }

    /// A catalog of services already keyed by their names (each key its service's `name`).
    public init(byName services: [String: CatalogService]) {
        self.services = services
    }

    public static let empty = ServiceCatalog()

    public var serviceNames: [String] { services.keys.sorted() }

    public subscript(name: String) -> CatalogService? { services[name] }

    /// Names of services that were added, removed or changed between `self` and `newer`.
    public func changedServices(in newer: ServiceCatalog) -> Set<String> {
        var changed = Set<String>()
        for (name, service) in newer.services where services[name] != service {
            changed.insert(name)
        }
        for name in services.keys where newer.services[name] == nil {
            changed.insert(name)
        }
        return changed
    }
}
