import Foundation
import Yams

/// Every problem found in a configuration, reported together so an operator fixes them in one go.
public struct ConfigError: Error, CustomStringConvertible {
    public let problems: [String]

    public init(problems: [String]) {
        self.problems = problems
    }

    public var description: String {
        "invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// Loads a YAML configuration file into a `Decodable` configuration value.
public enum ConfigFile {
    public static func load<Config: Decodable>(_ type: Config.Type, from path: String) throws(ConfigError) -> Config {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(problems: ["\(path): cannot be read"])
        }
        do {
            return try YAMLDecoder().decode(type, from: String(decoding: data, as: UTF8.self))
        } catch let error as DecodingError {
            throw ConfigError(problems: ["\(path): \(describe(error))"])
        } catch {
            throw ConfigError(problems: ["\(path): \(error)"])
        }
    }

    /// "field.path: what is wrong" for a decoding error, without Swift type noise.
    public static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
            .dataCorrupted(let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            let place = path.isEmpty ? "document" : String(path.drop { $0 == "." })
            return "\(place): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
