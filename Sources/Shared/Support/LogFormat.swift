import Logging

/// How log lines are written: `text` for people, `json` for log shippers.
public enum LogFormat: String, Sendable, Codable, CaseIterable {
    case text
    case json
}

/// Installs the process-wide log handler; called once by each executable.
public enum LoggingBootstrap {
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch format {
            case .text: handler = StreamLogHandler.standardError(label: label)
            case .json: handler = JSONLogHandler(label: label)
            }
            handler.logLevel = level
            return handler
        }
    }
}
