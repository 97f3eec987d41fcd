/// A service of one datacenter's catalog with its healthy instances, sorted by id.
public struct CatalogService: Hashable, Sendable, Codable {
    public var name: String
    public var tags: [String]
    public var instances: [ServiceInstance]

    public init(name: String, tags: [String] = [], instances: [ServiceInstance]) {
        self.name = name
        self.tags = tags
        self.instances = instances.sorted { $0.id < $1.id }
    }
}
