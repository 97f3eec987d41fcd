/// An executable's whole `--config`: the shared `ServerSettings` and its own settings, read from the same flat
/// mapping of keys. Members of either read and write through (`config.httpPort`, `config.datacenter`), so each key is
/// declared once, as a property of one of the two.
@dynamicMemberLookup
public struct ServerConfig<Own: ConfigFileSettings>: ConfigFileSettings {
    public var server: ServerSettings
    public var own: Own

    public init() {
        server = ServerSettings()
        own = Own()
    }

    public init(from decoder: any Decoder) throws {
        server = try ServerSettings(from: decoder)
        own = try Own(from: decoder)
    }

    public static var keys: Set<String> { ServerSettings.keys.union(Own.keys) }

    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<ServerSettings, Value>) -> Value {
        get { server[keyPath: keyPath] }
        set { server[keyPath: keyPath] = newValue }
    }

    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<Own, Value>) -> Value {
        get { own[keyPath: keyPath] }
        set { own[keyPath: keyPath] = newValue }
    }
}

extension ServerConfig: Equatable where Own: Equatable {}
