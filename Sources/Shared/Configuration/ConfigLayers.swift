import ArgumentParser
import Yams

/// Both executables' one way to combine their settings: the `--config` YAML file, then every flag that was given laid
/// over it, decoded once into the executable's `Decodable` config. A flag's key is its property name, which must be
/// the config key it sets (`ConfigLayers.flagKeys` lets a test check that), so a setting is declared as a flag and as a
/// config field and never copied by hand from one to the other.
public enum ConfigLayers {
    /// The config from `file` (if any) with `flags` over it. Unset flags (nil, false, empty lists) leave the file's value.
    public static func load<Config: Decodable>(
        _ type: Config.Type, file: String?, flags: any ParsableArguments
    ) throws(ConfigError) -> Config {
        var merged: [String: Any] = [:]
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ConfigError(problems: ["\(file): cannot be read"]) }
            do {
                if let mapping = try Yams.load(yaml: text) as? [String: Any] {
                    merged = mapping
                } else if !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    throw ConfigError(problems: ["\(file): not a mapping of settings"])
                }
            } catch let error as ConfigError {
                throw error
            } catch {
                throw ConfigError(problems: ["\(file): \(error)"])
            }
        }
        merged.merge(given(flags), uniquingKeysWith: { _, flag in flag })
        do {
            return try YAMLDecoder().decode(type, from: try Yams.dump(object: merged))
        } catch let error as DecodingError {
            throw ConfigError(problems: ["\(file ?? "flags"): \(ConfigFile.describe(error))"])
        } catch {
            throw ConfigError(problems: ["\(file ?? "flags"): \(error)"])
        }
    }

    /// The config key of every flag of `arguments` (option groups included), whether given or not.
    public static func flagKeys(_ arguments: any ParsableArguments) -> Set<String> {
        Set(fields(arguments).map(\.key))
    }

    /// The flags that were given, by config key, as plain YAML values.
    static func given(_ arguments: any ParsableArguments) -> [String: Any] {
        var values: [String: Any] = [:]
        for (key, value) in fields(arguments) {
            if let plain = plainValue(value) { values[key] = plain }
        }
        return values
    }

    /// Every option and flag as (property name, parsed value); option groups are flattened; `--config` itself is left out.
    private static func fields(_ arguments: any ParsableArguments) -> [(key: String, value: Any)] {
        Mirror(reflecting: arguments).children.flatMap { child -> [(key: String, value: Any)] in
            guard let label = child.label?.drop(while: { $0 == "_" }) else { return [] }
            if let group = child.value as? any OptionGroupValue { return fields(group.group) }
            guard let parsed = child.value as? any ParsedArgumentValue, label != "config" else { return [] }
            return [(String(label), parsed.parsedValue)]
        }
    }

    /// nil for what was not given; enums as their raw values.
    private static func plainValue(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return nil }
            return plainValue(wrapped)
        }
        switch value {
        case let flag as Bool: return flag ? true : nil
        case let list as [String]: return list.isEmpty ? nil : list
        case let raw as any RawRepresentable: return raw.rawValue
        default: return value
        }
    }
}

/// A parsed `@Option` or `@Flag`, read without knowing its value type.
protocol ParsedArgumentValue {
    var parsedValue: Any { get }
}

extension Option: ParsedArgumentValue {
    var parsedValue: Any { wrappedValue }
}

extension Flag: ParsedArgumentValue {
    var parsedValue: Any { wrappedValue }
}

/// An `@OptionGroup`, whose options belong to the same config.
protocol OptionGroupValue {
    var group: any ParsableArguments { get }
}

extension OptionGroup: OptionGroupValue {
    var group: any ParsableArguments { wrappedValue }
}
