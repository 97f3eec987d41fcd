import EnvoyAPI
import SwiftProtobuf

/// Builds access logs: the listeners' log (`access_log_enabled`, to `access_log_path`, filtered by
/// `access_log_filter`), and the RBAC shadow verdict log of an ingress whose unlisted endpoints are only logged.
enum AccessLogGenerator {
    /// envoy-control's JSON line: its standard fields, then the server's `customFields`.
    static func file(
        _ settings: AccessLogSettings, direction: String, format: SnapshotProperties.AccessLogProperties
    ) -> Envoy_Config_Accesslog_V3_AccessLog {
        var config = Envoy_Extensions_AccessLoggers_File_V3_FileAccessLog()
        config.path = settings.path
        var fields: [String: String] = [
            "time": format.timeFormat, "message": format.messageFormat, "level": format.level, "logger": format.logger,
            "access_log_type": direction, "request_protocol": "%PROTOCOL%", "request_method": "%REQ(:METHOD)%",
            "request_authority": "%REQ(:authority)%", "request_path": "%REQ(:PATH)%", "response_code": "%RESPONSE_CODE%",
            "response_flags": "%RESPONSE_FLAGS%", "bytes_received": "%BYTES_RECEIVED%", "bytes_sent": "%BYTES_SENT%",
            "duration_ms": "%DURATION%", "downstream_remote_address": "%DOWNSTREAM_REMOTE_ADDRESS%", "upstream_host": "%UPSTREAM_HOST%",
            "upstream_cluster": "%UPSTREAM_CLUSTER%", "user_agent": "%REQ(USER-AGENT)%",
        ]
        fields.merge(format.customFields) { _, custom in custom }
        config.logFormat.jsonFormat = Google_Protobuf_Struct(fields: fields.mapValues { Google_Protobuf_Value(stringValue: $0) })
        var log = Envoy_Config_Accesslog_V3_AccessLog()
        log.name = "envoy.access_loggers.file"
        log.typedConfig = EnvoyValues.typedConfig(config)
        let filters = settings.filter?.clauses.map { filter($0) } ?? []
        if filters.count == 1 {
            log.filter = filters[0]
        } else if filters.count > 1 {
            log.filter.andFilter.filters = filters
        }
        return log
    }

    /// One line per request with the shadow RBAC verdict (`allowed` / `denied`).
    static func shadowVerdicts() -> Envoy_Config_Accesslog_V3_AccessLog {
        stdout(format: "[%START_TIME%] rbac-shadow %REQ(:METHOD)% %REQ(:PATH)% caller=%REQ(X-SERVICE-NAME)% "
            + "verdict=%DYNAMIC_METADATA(envoy.filters.http.rbac:shadow_engine_result)%\n")
    }

    private static func stdout(format: String) -> Envoy_Config_Accesslog_V3_AccessLog {
        var config = Envoy_Extensions_AccessLoggers_Stream_V3_StdoutAccessLog()
        config.logFormat.textFormatSource.inlineString = format
        var log = Envoy_Config_Accesslog_V3_AccessLog()
        log.name = "envoy.access_loggers.stdout"
        log.typedConfig = EnvoyValues.typedConfig(config)
        return log
    }

    /// One clause as an Envoy filter; `runtimeKey` names the status comparison's runtime override.
    static func filter(
        _ clause: AccessLogFilterSpec.Clause, runtimeKey: String = "access_log_filter_http_code"
    ) -> Envoy_Config_Accesslog_V3_AccessLogFilter {
        var filter = Envoy_Config_Accesslog_V3_AccessLogFilter()
        switch clause {
        case .statusCode(let comparison): filter.statusCodeFilter.comparison = self.comparison(comparison, runtimeKey: runtimeKey)
        case .duration(let comparison): filter.durationFilter.comparison = self.comparison(comparison, runtimeKey: "access_log_filter_duration")
        case .header(let name, let value):
            filter.headerFilter.header.name = name
            filter.headerFilter.header.stringMatch.exact = value
        case .headerRegex(let name, let regex):
            filter.headerFilter.header.name = name
            filter.headerFilter.header.stringMatch.safeRegex.regex = regex
        case .responseFlags(let flags): filter.responseFlagFilter.flags = flags
        case .notHealthCheck: filter.notHealthCheckFilter = .init()
        }
        return filter
    }

    private static func comparison(
        _ comparison: AccessLogFilterSpec.Comparison, runtimeKey: String
    ) -> Envoy_Config_Accesslog_V3_ComparisonFilter {
        var filter = Envoy_Config_Accesslog_V3_ComparisonFilter()
        switch comparison {
        case .atLeast: filter.op = .ge
        case .atMost: filter.op = .le
        case .equal: filter.op = .eq
        }
        filter.value.defaultValue = UInt32(comparison.value)
        filter.value.runtimeKey = runtimeKey
        return filter
    }
}
