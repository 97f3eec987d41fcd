/// An executable's `--config` value. Its keys are its stored properties' names (the keys `Decodable` synthesizes),
/// so a setting is declared once, as a property: `check-config` knows the keys from the properties, and
/// `ConfigLayers` lays each flag over the key of its property's name.
public protocol ConfigFileSettings: Decodable, Sendable {
    /// Nothing set: every property nil.
    init()

    /// Every key the file may hold.
    static var keys: Set<String> { get }
}

extension ConfigFileSettings {
    public static var keys: Set<String> {
        Set(Mirror(reflecting: Self()).children.compactMap(\.label))
    }
}
