/// One instance of a service in one datacenter, as the registry reported it.
public struct ServiceInstance: Hashable, Sendable, Codable {
    public var id: String
    public var address: String
    public var port: Int
    public var tags: [String]
    /// Relative load-balancing weight (Envoy `load_balancing_weight`), at least 1.
    public var weight: Int
    public var meta: [String: String]

    public init(id: String? = nil, address: String, port: Int, tags: [String] = [], weight: Int = 1, meta: [String: String] = [:]) {
        self.id = id ?? "\(address):\(port)"
        self.address = address
        self.port = port
        self.tags = tags
        self.weight = weight
        self.meta = meta
    }
}

extension ServiceInstance {
    public static let weightTagPrefix = "weight:"

    /// The weight a `weight:N` tag gives (envoy-control's convention), if any tag is a valid one.
    public static func weight(fromTags tags: [String]) -> Int? {
        tags.lazy.compactMap { tag in
            tag.hasPrefix(weightTagPrefix) ? Int(tag.dropFirst(weightTagPrefix.count)).flatMap { $0 >= 1 ? $0 : nil } : nil
        }.first
    }
}

extension ServiceInstance {
    /// envoy-control's `InstanceMerger`: instances of one service at the same address and port are one endpoint,
    /// with the ids joined, the tags of all, the weights summed (Envoy keeps one host per address).
    public static func mergingSameAddress(_ instances: [ServiceInstance]) -> [ServiceInstance] {
        struct Address: Hashable {
            let host: String
            let port: Int
        }
        var merged: [ServiceInstance] = []
        var index: [Address: Int] = [:]
        for instance in instances {
            let key = Address(host: instance.address, port: instance.port)
            guard let position = index[key] else {
                index[key] = merged.count
                merged.append(instance)
                continue
            }
            var first = merged[position]
            first.id += ",\(instance.id)"
            first.tags += instance.tags.filter { !first.tags.contains($0) }
            first.weight += instance.weight
            first.meta.merge(instance.meta) { kept, _ in kept }
            merged[position] = first
        }
        return merged
    }
}
