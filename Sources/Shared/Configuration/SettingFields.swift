/// A settings section decoded from one table of its keys: each key is named once, beside the property it sets.
/// Decoding is `StrictSettings`': every key optional (absent keeps the default), an unknown key refused with its
/// path and the keys that exist.
public protocol TableDecodedSettings: Decodable {
    /// Every setting at its default (the value an absent section has).
    static var defaults: Self { get }
    /// The section's keys, each with the property it sets.
    static var settingFields: [SettingField<Self>] { get }
    /// Checks that span fields or go beyond a value's type, once every field is read; `keys` names the culprit.
    mutating func check(_ keys: StrictSettings) throws
}

extension TableDecodedSettings {
    public init(from decoder: any Decoder) throws {
        self = Self.defaults
        let fields = Self.settingFields
        let settings = try decoder.settings(known: fields.map(\.name))
        for field in fields { try field.read(settings, &self) }
        try check(settings)
    }

    public mutating func check(_ keys: StrictSettings) throws {}
}

/// One key of a `TableDecodedSettings` section and how its value is read into the property.
public struct SettingField<Root> {
    public let name: String
    let read: (StrictSettings, inout Root) throws -> Void

    /// Any `Decodable` value (nested sections decode themselves).
    public static func value<Value: Decodable>(_ name: String, _ property: WritableKeyPath<Root, Value>) -> Self {
        Self(name: name) { settings, root in try settings.set(&root[keyPath: property], name) }
    }

    /// A duration written like `120s`, `250ms`, `2m`.
    public static func duration(_ name: String, _ property: WritableKeyPath<Root, Duration>) -> Self {
        Self(name: name) { settings, root in try settings.setDuration(&root[keyPath: property], name) }
    }

    /// One of an enumeration's raw values, in any letter case.
    public static func anyCase<Value: RawRepresentable & CaseIterable>(_ name: String, _ property: WritableKeyPath<Root, Value>) -> Self
    where Value.RawValue == String {
        Self(name: name) { settings, root in try settings.setCase(&root[keyPath: property], name) }
    }
}
