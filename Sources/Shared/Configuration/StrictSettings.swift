/// A nested settings section decoded strictly: every key optional (absent keeps the default), an unknown key refused
/// with its whole path and the keys that exist.
public struct SettingKey: CodingKey, Hashable {
    public let stringValue: String
    public var intValue: Int? { nil }

    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

public struct StrictSettings {
    public let container: KeyedDecodingContainer<SettingKey>

    /// Replaces `value` with the key's value when the key is present.
    public func set<Value: Decodable>(_ value: inout Value, _ key: String) throws {
        if let decoded = try container.decodeIfPresent(Value.self, forKey: SettingKey(key)) { value = decoded }
    }

    /// A duration written like `120s`, `250ms`, `2m`.
    public func setDuration(_ value: inout Duration, _ key: String) throws {
        guard let text = try container.decodeIfPresent(String.self, forKey: SettingKey(key)) else { return }
        guard let parsed = DurationText.parse(text) else { throw invalid(key, "'\(text)' is not a duration (like 250ms, 15s, 2m)") }
        value = parsed
    }

    /// One of an enumeration's raw values, in any letter case (envoy-control writes `LEAST_REQUEST`, `least_request`).
    public func setCase<Value: RawRepresentable & CaseIterable>(_ value: inout Value, _ key: String) throws where Value.RawValue == String {
        guard let text = try container.decodeIfPresent(String.self, forKey: SettingKey(key)) else { return }
        guard let match = Value.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
            throw invalid(key, "'\(text)' is not one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        value = match
    }

    public func invalid(_ key: String, _ reason: String) -> DecodingError {
        DecodingError.dataCorruptedError(forKey: SettingKey(key), in: container, debugDescription: reason)
    }
}

extension Decoder {
    /// This section's keys, after refusing any not in `known`.
    public func settings(known: [String]) throws -> StrictSettings {
        let container = try container(keyedBy: SettingKey.self)
        if let unknown = container.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw DecodingError.dataCorruptedError(
                forKey: unknown, in: container, debugDescription: "unknown setting (known: \(known.sorted().joined(separator: ", ")))")
        }
        return StrictSettings(container: container)
    }
}
