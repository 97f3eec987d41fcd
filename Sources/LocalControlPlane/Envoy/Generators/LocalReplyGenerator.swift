import EnvoyAPI

/// envoy-control's local reply mapper (`dynamicListeners.localReplyMapper`) as every connection manager's
/// `local_reply_config`: the mappers in order, then the common body format. Format strings reach Envoy unchanged.
enum LocalReplyGenerator {
    typealias Config = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_LocalReplyConfig

    static func config(_ properties: SnapshotProperties.LocalReplyMapperProperties) -> Config? {
        guard properties.enabled else { return nil }
        var config = Config()
        config.mappers = properties.matchers.map(mapper)
        if properties.responseFormat.isSet { config.bodyFormat = format(properties.responseFormat) }
        return config
    }

    private static func mapper(_ matcher: SnapshotProperties.LocalReplyMatcher) -> Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_ResponseMapper {
        var mapper = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_ResponseMapper()
        switch matcher.match {
        case .statusCode(let clause):
            mapper.filter = AccessLogGenerator.filter(clause, runtimeKey: "local_reply_mapper_http_code")
        case .header(let name, let exact, let regex):
            mapper.filter.headerFilter.header.name = name
            if let regex {
                mapper.filter.headerFilter.header.stringMatch.safeRegex.regex = regex
            } else if let exact {
                mapper.filter.headerFilter.header.stringMatch.exact = exact
            } else {
                mapper.filter.headerFilter.header.presentMatch = true
            }
        case .responseFlags(let flags):
            mapper.filter.responseFlagFilter.flags = flags
        }
        if let status = matcher.statusCodeToReturn { mapper.statusCode = EnvoyValues.uint32(status) }
        if let body = matcher.bodyToReturn { mapper.body.inlineString = body }
        if matcher.responseFormat.isSet { mapper.bodyFormatOverride = format(matcher.responseFormat) }
        return mapper
    }

    private static func format(_ format: SnapshotProperties.ResponseFormat) -> Envoy_Config_Core_V3_SubstitutionFormatString {
        var substitution = Envoy_Config_Core_V3_SubstitutionFormatString()
        if let json = format.jsonFormat {
            substitution.jsonFormat = json
        } else {
            substitution.textFormatSource.inlineString = format.textFormat
        }
        if !format.contentType.isEmpty { substitution.contentType = format.contentType }
        return substitution
    }
}
