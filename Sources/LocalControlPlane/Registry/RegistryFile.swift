import Shared
import Yams

/// The `--registry-file` format: services with their instances, for DCs without Consul and for tests.
public struct RegistryFile: Decodable, Sendable {
    public struct Instance: Decodable, Sendable {
        var id: String?
        var address: String
        var port: Int
        var tags: [String]?
        var weight: Int?
        var healthy: Bool?
        var meta: [String: String]?
    }

    public struct Service: Decodable, Sendable {
        var name: String
        var tags: [String]?
        var instances: [Instance]?
    }

    var services: [Service]?

    /// Parses and validates a registry file; only healthy instances become part of the catalog.
    public static func parse(_ text: String) throws(RegistryFileError) -> ServiceCatalog {
        let file: RegistryFile
        do {
            file = try YAMLDecoder().decode(RegistryFile.self, from: text)
        } catch let error as DecodingError {
            throw RegistryFileError(reason: ConfigFile.describe(error))
        } catch {
            throw RegistryFileError(reason: "\(error)")
        }
        var problems: [String] = []
        var services: [CatalogService] = []
        var seenServices = Set<String>()
        for (index, service) in (file.services ?? []).enumerated() {
            let place = "services[\(index)]"
            guard ServiceName.isValid(service.name) else {
                problems.append("\(place).name: '\(service.name)' is not a valid service name (letters, digits, '-', '_', '.')")
                continue
            }
            guard seenServices.insert(service.name).inserted else {
                problems.append("\(place).name: service '\(service.name)' is listed twice")
                continue
            }
            var instances: [ServiceInstance] = []
            var seenIds = Set<String>()
            for (position, entry) in (service.instances ?? []).enumerated() {
                let where_ = "\(place).instances[\(position)]"
                if entry.address.isEmpty { problems.append("\(where_).address: must not be empty") }
                if !(1...65535).contains(entry.port) { problems.append("\(where_).port: \(entry.port) is not a port (1-65535)") }
                if let weight = entry.weight, weight < 1 { problems.append("\(where_).weight: \(weight) must be at least 1") }
                let instance = ServiceInstance(
                    id: entry.id, address: entry.address, port: entry.port, tags: entry.tags ?? [],
                    weight: entry.weight ?? ServiceInstance.weight(fromTags: entry.tags ?? []) ?? 1, meta: entry.meta ?? [:])
                if !seenIds.insert(instance.id).inserted { problems.append("\(where_).id: '\(instance.id)' is used twice") }
                if entry.healthy ?? true { instances.append(instance) }
            }
            services.append(CatalogService(name: service.name, tags: service.tags ?? [], instances: instances))
        }
        guard problems.isEmpty else { throw RegistryFileError(reason: problems.joined(separator: "; ")) }
        return ServiceCatalog(services: services)
    }
}

/// Why a registry file was refused; the last good catalog stays in force.
public struct RegistryFileError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "invalid registry file: \(reason)" }

}
