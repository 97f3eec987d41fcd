import EnvoyAPI
import Foundation

/// Preference routing (`routing.serviceTags.preferenceRouting`), for the services it is enabled for. Envoy has no
/// native filter that turns a header into a list, so, as envoy-control does, a Lua filter on the egress reads
/// `x-service-tag-preference: a|b|c` (or the default preference: the Envoy's environment variable
/// `defaultPreferenceEnv`, else `defaultPreferenceFallback`) and hands Envoy's subset load balancer the list as
/// `envoy.lb` `fallback_list` (the clusters use `FALLBACK_LIST`), unless the request names a tag itself; it also
/// adds the header so the callee sees the preference. On the ingress a request without the header gets the default
/// one, and a preference that only shortens the default one is widened back to it.
enum ServiceTagPreferenceGenerator {
    typealias HTTPFilter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter

    static func egressFilter(for service: String, _ tags: SnapshotProperties.ServiceTagsProperties) -> HTTPFilter? {
        guard tags.enabled, tags.preferenceRouting.isEnabled(for: service) else { return nil }
        let preference = tags.preferenceRouting
        return lua("envoy.lua.service_tag_preference", """
            \(defaultPreference(preference))
            local fallbackToAnyFor = \(quoted(preference.fallbackToAnyForDefaultPreference ?? ""))
            local fallbackToAny = fallbackToAnyFor ~= "" and fallbackToAnyFor == defaultPreference

            local function fallbackList(preference)
              local list = {}
              for tag in string.gmatch(preference, "[^|]+") do
                list[#list + 1] = { [\(quoted(tags.metadataKey))] = tag }
              end
              if fallbackToAny then list[#list + 1] = {} end
              return list
            end

            local defaultList = fallbackList(defaultPreference)

            function envoy_on_request(handle)
              local headers = handle:headers()
              local requested = headers:get(\(quoted(preference.header)))
              if requested == nil then headers:add(\(quoted(preference.header)), defaultPreference) end
              local tag = headers:get(\(quoted(tags.header)))
              if tag ~= nil and tag ~= "" then return end
              local list = defaultList
              if requested ~= nil then list = fallbackList(requested) end
              if #list > 0 then handle:streamInfo():dynamicMetadata():set("envoy.lb", "fallback_list", list) end
            end
            """)
    }

    static func ingressFilter(for service: String, _ tags: SnapshotProperties.ServiceTagsProperties) -> HTTPFilter? {
        guard tags.enabled, tags.preferenceRouting.isEnabled(for: service) else { return nil }
        let header = quoted(tags.preferenceRouting.header)
        return lua("ingress.lua.service_tag_preference", """
            \(defaultPreference(tags.preferenceRouting))

            function envoy_on_request(handle)
              local headers = handle:headers()
              local requested = headers:get(\(header))
              if requested == nil then
                headers:add(\(header), defaultPreference)
              elseif #requested < #defaultPreference and string.sub(defaultPreference, -#requested - 1) == "|" .. requested then
                headers:replace(\(header), defaultPreference)
              end
            end
            """)
    }

    private static func defaultPreference(_ preference: SnapshotProperties.ServiceTagPreferenceProperties) -> String {
        "local defaultPreference = os.getenv(\(quoted(preference.defaultPreferenceEnv))) or \(quoted(preference.defaultPreferenceFallback))"
    }

    private static func lua(_ name: String, _ source: String) -> HTTPFilter {
        var config = Envoy_Extensions_Filters_Http_Lua_V3_Lua()
        config.defaultSourceCode.inlineString = source + "\n\nfunction envoy_on_response(handle)\nend\n"
        var filter = HTTPFilter()
        filter.name = name
        filter.typedConfig = EnvoyValues.typedConfig(config)
        return filter
    }

    /// A Lua string literal of `text` (settings are operator-written, but a quote must not end the literal).
    static func quoted(_ text: String) -> String {
        var literal = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": literal += "\\\\"
            case "\"": literal += "\\\""
            case "\n": literal += "\\n"
            case "\r": literal += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { literal += "\\" + String(format: "%03d", scalar.value) } else { literal.unicodeScalars.append(scalar) }
            }
        }
        return literal + "\""
    }
}
