import Foundation
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

    /// A parsed file: the catalog (healthy, valid instances only) and the instances left out by `InstanceRules`.
    public struct Parsed: Sendable {
        public var catalog: ServiceCatalog
        public var dropped: [InstanceRules.Drop]
    }

    /// Parses a registry file. Broken YAML or a bad service refuses the file (the last good one stays in force); a
    /// bad instance is only left out, so one typo does not freeze every other change of the file.
    public static func parse(_ text: String) throws(RegistryFileError) -> Parsed {
        let file: RegistryFile
        do {
            // JSON is YAML too, and decodes many times faster than Yams parses it: a generated file of 40,000
            // instances takes about a tenth of the time as JSON.
            if text.first(where: { !$0.isWhitespace }) == "{" {
                file = try StrictJSON.decode(RegistryFile.self, from: Data(text.utf8))
            } else {
                file = try YAMLDecoder().decode(RegistryFile.self, from: text)
            }
        } catch let refusal as StrictJSON.Refusal {
            throw RegistryFileError(reason: refusal.description)
        } catch let error as DecodingError {
            throw RegistryFileError(reason: ConfigFile.describe(error))
        } catch {
            throw RegistryFileError(reason: "\(error)")
        }
        var problems: [String] = []
        var services: [CatalogService] = []
        var dropped: [InstanceRules.Drop] = []
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
            let healthy = (service.instances ?? []).filter { $0.healthy ?? true }.map { entry in
                ServiceInstance(
                    id: entry.id, address: entry.address, port: entry.port, tags: entry.tags ?? [],
                    weight: entry.weight ?? ServiceInstance.weight(fromTags: entry.tags ?? []) ?? 1, meta: entry.meta ?? [:])
            }
            let admitted = InstanceRules.admit(healthy, of: service.name)
            dropped += admitted.dropped
            services.append(CatalogService(name: service.name, tags: service.tags ?? [], instances: admitted.kept))
        }
        guard problems.isEmpty else { throw RegistryFileError(reason: problems.joined(separator: "; ")) }
        return Parsed(catalog: ServiceCatalog(services: services), dropped: dropped)
    }
}

/// Why a registry file was refused; the last good catalog stays in force.
public struct RegistryFileError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "invalid registry file: \(reason)" }

}
