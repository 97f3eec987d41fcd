import Logging

/// How log lines are written: `text` for people, `json` for log shippers.
public enum LogFormat: String, Sendable, Codable, CaseIterable {
    case text
    case json
}

/// Installs the process-wide log handler; called once by each executable. `metadata` goes on every line (the
/// datacenter or region), so logs shipped from many processes can be filtered by where they came from.
public enum LoggingBootstrap {
    public static func bootstrap(format: LogFormat, level: Logger.Level, metadata: Logger.Metadata = [:]) {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch format {
            case .text: handler = StreamLogHandler.standardError(label: label)
            case .json: handler = JSONLogHandler(label: label)
            }
            handler.logLevel = level
            handler.metadata = metadata
            return handler
        }
    }
}
