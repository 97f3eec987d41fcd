import Foundation
import Shared
import SwiftProtobuf

/// envoy-control's `dynamicListeners.*`: whether Envoys get listeners, the access log their connection managers
/// write (`httpFilters.accessLog`) and the local reply mapper (`localReplyMapper`) that rewrites replies Envoy makes
/// itself (no route, no healthy upstream, RBAC denials...).
extension SnapshotProperties {
    public struct DynamicListenersProperties: Hashable, Sendable {
        /// Off: no Envoy gets listeners (every bootstrap brings static ones).
        public var enabled = true
        public var httpFilters = HttpFiltersProperties()
        public var localReplyMapper = LocalReplyMapperProperties()
    }

    public struct HttpFiltersProperties: Hashable, Sendable {
        public var accessLog = AccessLogProperties()
    }

    /// One JSON object per request, in envoy-control's fields, to the Envoy's `access_log_path`.
    public struct AccessLogProperties: Hashable, Sendable {
        /// Whether listeners log when the Envoy's metadata does not say (`access_log_enabled`).
        public var enabled = false
        public var timeFormat = "%START_TIME(%FT%T.%3fZ)%"
        public var messageFormat = "%PROTOCOL% %REQ(:METHOD)% %REQ(:authority)% %REQ(:PATH)% %DOWNSTREAM_REMOTE_ADDRESS% -> %UPSTREAM_HOST%"
        public var level = "TRACE"
        public var logger = "envoy.AccessLog"
        /// More fields (name → Envoy format string); they may replace the standard ones.
        public var customFields: [String: String] = [:]
        public var filters = AccessLogFilterProperties()
    }

    /// The access log filter of Envoys whose `access_log_filter` leaves a key out, in its formats.
    public struct AccessLogFilterProperties: Hashable, Sendable {
        public var statusCode: String?
        public var duration: String?
        public var notHealthCheck = true
        public var responseFlag: String?
        public var header: String?

        func value(of key: AccessLogFilterSpec.StructKey) -> AccessLogFilterSpec.StructValue? {
            switch key {
            case .statusCode: statusCode.map { .text($0) }
            case .duration: duration.map { .text($0) }
            case .notHealthCheck: .flag(notHealthCheck)
            case .responseFlag: responseFlag.map { .text($0) }
            case .header: header.map { .text($0) }
            }
        }
    }

    /// Mappers tried in order on every local reply of every connection manager; the first whose matcher matches
    /// may change the status and body and format it; other replies take `responseFormat`.
    public struct LocalReplyMapperProperties: Hashable, Sendable {
        public var enabled = false
        public var responseFormat = ResponseFormat()
        public var matchers: [LocalReplyMatcher] = []
    }

    /// `textFormat` or `jsonFormat` (a JSON object whose string values are Envoy format strings), not both.
    public struct ResponseFormat: Hashable, Sendable {
        public var textFormat = ""
        public var jsonFormat: Google_Protobuf_Struct?
        public var contentType = ""

        var isSet: Bool { !textFormat.isEmpty || jsonFormat != nil }
    }

    /// Exactly one of a status comparison (`EQ:400`), a header or response flags.
    public struct LocalReplyMatcher: Hashable, Sendable {
        public enum Match: Hashable, Sendable {
            case statusCode(AccessLogFilterSpec.Clause)
            case header(name: String, exact: String?, regex: String?)
            case responseFlags([String])
        }

        public var match: Match
        public var statusCodeToReturn: Int?
        public var bodyToReturn: String?
        public var responseFormat = ResponseFormat()
    }
}

extension SnapshotProperties.DynamicListenersProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("enabled", \.enabled),
            .value("httpFilters", \.httpFilters),
            .value("localReplyMapper", \.localReplyMapper),
        ]
    }
}

extension SnapshotProperties.HttpFiltersProperties: Decodable {
    public init(from decoder: any Swift.Decoder) throws {
        self.init()
        try decoder.settings(known: ["accessLog"]).set(&accessLog, "accessLog")
    }
}

extension SnapshotProperties.AccessLogProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("enabled", \.enabled),
            .value("timeFormat", \.timeFormat),
            .value("messageFormat", \.messageFormat),
            .value("level", \.level),
            .value("logger", \.logger),
            .value("customFields", \.customFields),
            .value("filters", \.filters),
        ]
    }
}

extension SnapshotProperties.AccessLogFilterProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("statusCode", \.statusCode),
            .value("duration", \.duration),
            .value("notHealthCheck", \.notHealthCheck),
            .value("responseFlag", \.responseFlag),
            .value("header", \.header),
        ]
    }

    public mutating func check(_ keys: StrictSettings) throws {
        for (key, name) in [(AccessLogFilterSpec.StructKey.statusCode, "statusCode"), (.duration, "duration"), (.responseFlag, "responseFlag"), (.header, "header")] {
            guard let value = value(of: key), case .failure(let invalid) = AccessLogFilterSpec.clause(key, value) else { continue }
            throw keys.invalid(name, invalid.text)
        }
    }
}

extension SnapshotProperties.LocalReplyMapperProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("enabled", \.enabled),
            .value("responseFormat", \.responseFormat),
            .value("matchers", \.matchers),
        ]
    }
}

extension SnapshotProperties.ResponseFormat: Decodable {
    public init(from decoder: any Swift.Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["textFormat", "jsonFormat", "contentType"])
        try keys.set(&textFormat, "textFormat")
        try keys.set(&contentType, "contentType")
        // envoy-control's property is a string holding a JSON object.
        if let json = try keys.container.decodeIfPresent(String.self, forKey: SettingKey("jsonFormat")), !json.isEmpty {
            guard let parsed = try? Google_Protobuf_Struct(jsonString: json) else {
                throw keys.invalid("jsonFormat", "is not a JSON object")
            }
            jsonFormat = parsed
        }
        if !textFormat.isEmpty, jsonFormat != nil {
            throw keys.invalid("jsonFormat", "only one of jsonFormat, textFormat can be defined")
        }
    }
}

extension SnapshotProperties.LocalReplyMatcher: Decodable {
    public init(from decoder: any Swift.Decoder) throws {
        let keys = try decoder.settings(known: [
            "statusCodeMatcher", "headerMatcher", "responseFlagMatcher", "statusCodeToReturn", "bodyToReturn", "responseFormat",
        ])
        var matches: [Match] = []
        if let text = try keys.container.decodeIfPresent(String.self, forKey: SettingKey("statusCodeMatcher")), !text.isEmpty {
            switch AccessLogFilterSpec.clause(.statusCode, .text(text)) {
            case .success(let clause?): matches.append(.statusCode(clause))
            case .success(nil): break
            case .failure(let invalid): throw keys.invalid("statusCodeMatcher", invalid.text)
            }
        }
        if let header = try keys.container.decodeIfPresent(HeaderMatcher.self, forKey: SettingKey("headerMatcher")), !header.name.isEmpty {
            matches.append(.header(name: header.name, exact: header.exactMatch, regex: header.regexMatch))
        }
        if let flags = try keys.container.decodeIfPresent([String].self, forKey: SettingKey("responseFlagMatcher")), !flags.isEmpty {
            matches.append(.responseFlags(flags))
        }
        guard matches.count == 1, let match = matches.first else {
            throw keys.invalid("statusCodeMatcher", "one and only one of headerMatcher, responseFlagMatcher, statusCodeMatcher has to be defined")
        }
        self.match = match
        let status = try keys.container.decodeIfPresent(Int.self, forKey: SettingKey("statusCodeToReturn")) ?? 0
        guard status == 0 || (100...599).contains(status) else { throw keys.invalid("statusCodeToReturn", "\(status) is not an HTTP status") }
        statusCodeToReturn = status == 0 ? nil : status
        bodyToReturn = try keys.container.decodeIfPresent(String.self, forKey: SettingKey("bodyToReturn")).flatMap { $0.isEmpty ? nil : $0 }
        try keys.set(&responseFormat, "responseFormat")
    }

    private struct HeaderMatcher: Decodable {
        var name = ""
        var exactMatch: String?
        var regexMatch: String?

        init(from decoder: any Swift.Decoder) throws {
            let keys = try decoder.settings(known: ["name", "exactMatch", "regexMatch"])
            try keys.set(&name, "name")
            exactMatch = try keys.container.decodeIfPresent(String.self, forKey: SettingKey("exactMatch")).flatMap { $0.isEmpty ? nil : $0 }
            regexMatch = try keys.container.decodeIfPresent(String.self, forKey: SettingKey("regexMatch")).flatMap { $0.isEmpty ? nil : $0 }
            if exactMatch != nil, regexMatch != nil { throw keys.invalid("regexMatch", "only one of exactMatch, regexMatch can be defined") }
        }
    }
}
