import Foundation
import Shared

/// envoy-control's `routing.serviceTags`: a request with `x-service-tag: <tag>` goes only to instances with that tag
/// (503 when none has it); which tags count is `--routable-tags` minus `routingExcludedTags`, plus the joined
/// combinations `allowedTagsCombinations` allows. A dependency's `routingPolicy` picks a tag automatically
/// (`autoServiceTagEnabled`); `preferenceRouting` reads a preference list per request (`x-service-tag-preference`).
extension SnapshotProperties {
    public struct ServiceTagsProperties: Hashable, Sendable {
        public var enabled = false
        public var metadataKey = "tag"
        public var header = "x-service-tag"
        public var preferenceRouting = ServiceTagPreferenceProperties()
        public var routingExcludedTags: [TagMatcher] = []
        public var allowedTagsCombinations: [TagsCombination] = []
        public var autoServiceTagEnabled = false
        public var rejectRequestsWithDuplicatedAutoServiceTag = true
        /// `x-envoy-upstream-service-tags` on egress responses: the tags of the instance that answered.
        public var addUpstreamServiceTagsHeader = false

        public init() {}

        /// A dependency's routing policy when it picks a tag automatically (and the server allows that).
        func automaticTags(_ policy: DependencySettings.RoutingPolicy) -> DependencySettings.RoutingPolicy? {
            enabled && autoServiceTagEnabled && policy.autoServiceTag ? policy : nil
        }

        /// Some requests carry a list of preferred tags (preference routing): clusters need Envoy's `FALLBACK_LIST`
        /// and a tag selector even before any endpoint has a tag.
        var choosesFromPreferences: Bool { enabled && preferenceRouting.isEnabledForSome }
    }

    /// Preference routing: `x-service-tag-preference: a|b|c` (or, when absent, the Envoy's environment variable
    /// `defaultPreferenceEnv`, else `defaultPreferenceFallback`) sends a request without `x-service-tag` to the
    /// instances of the first tag in the list that any instance has.
    public struct ServiceTagPreferenceProperties: Hashable, Sendable {
        public var enableForAll = false
        public var enableForServices: [String] = []
        public var disableForServices: [String] = []
        public var header = "x-service-tag-preference"
        public var defaultPreferenceEnv = "DEFAULT_SERVICE_TAG_PREFERENCE"
        public var defaultPreferenceFallback = "global"
        /// With this default preference, a request whose preferred tags no instance has goes to any instance.
        public var fallbackToAnyForDefaultPreference: String?

        func isEnabled(for service: String) -> Bool {
            (enableForAll || enableForServices.contains(service)) && !disableForServices.contains(service)
        }

        var isEnabledForSome: Bool { enableForAll || !enableForServices.isEmpty }
    }

    /// envoy-control's `StringMatcher` over a tag: `PREFIX` (its default), `EXACT` or `REGEX` (whole tag).
    public struct TagMatcher: Hashable, Sendable {
        public enum Kind: String, CaseIterable, Sendable { case prefix = "PREFIX", exact = "EXACT", regex = "REGEX" }
        public var type = Kind.prefix
        public var value = ""
    }

    /// Two or three tag patterns (whole-tag regexes) a request may select together on `serviceName`, as `a,b`.
    public struct TagsCombination: Hashable, Sendable {
        public var serviceName = ""
        public var tags: [String] = []
    }
}

extension SnapshotProperties.ServiceTagsProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("enabled", \.enabled),
            .value("metadataKey", \.metadataKey),
            .value("header", \.header),
            .value("preferenceRouting", \.preferenceRouting),
            .value("routingExcludedTags", \.routingExcludedTags),
            .value("allowedTagsCombinations", \.allowedTagsCombinations),
            .value("autoServiceTagEnabled", \.autoServiceTagEnabled),
            .value("rejectRequestsWithDuplicatedAutoServiceTag", \.rejectRequestsWithDuplicatedAutoServiceTag),
            .value("addUpstreamServiceTagsHeader", \.addUpstreamServiceTagsHeader),
        ]
    }
}

extension SnapshotProperties.ServiceTagPreferenceProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: [
            "enableForAll", "enableForServices", "disableForServices", "header", "defaultPreferenceEnv",
            "defaultPreferenceFallback", "fallbackToAny",
        ])
        try keys.set(&enableForAll, "enableForAll")
        try keys.set(&enableForServices, "enableForServices")
        try keys.set(&disableForServices, "disableForServices")
        try keys.set(&header, "header")
        try keys.set(&defaultPreferenceEnv, "defaultPreferenceEnv")
        try keys.set(&defaultPreferenceFallback, "defaultPreferenceFallback")
        fallbackToAnyForDefaultPreference = try keys.container.decodeIfPresent(FallbackToAny.self, forKey: SettingKey("fallbackToAny"))?
            .enableForServicesWithDefaultPreferenceEqualTo
    }

    private struct FallbackToAny: Decodable {
        let enableForServicesWithDefaultPreferenceEqualTo: String?

        init(from decoder: any Decoder) throws {
            let keys = try decoder.settings(known: ["enableForServicesWithDefaultPreferenceEqualTo"])
            enableForServicesWithDefaultPreferenceEqualTo = try keys.container.decodeIfPresent(
                String.self, forKey: SettingKey("enableForServicesWithDefaultPreferenceEqualTo"))
        }
    }
}

extension SnapshotProperties.TagMatcher: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .anyCase("type", \.type),
            .value("value", \.value),
        ]
    }

    public mutating func check(_ keys: StrictSettings) throws {
        if type == .regex, (try? NSRegularExpression(pattern: value)) == nil {
            throw keys.invalid("value", "'\(value)' is not a regular expression")
        }
    }
}

extension SnapshotProperties.TagsCombination: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("serviceName", \.serviceName),
            .value("tags", \.tags),
        ]
    }

    public mutating func check(_ keys: StrictSettings) throws {
        guard (2...3).contains(tags.count) else {
            throw keys.invalid("tags", "a tags combination must contain 2 or 3 tags, not \(tags.count)")
        }
        if let bad = tags.first(where: { (try? NSRegularExpression(pattern: $0)) == nil }) {
            throw keys.invalid("tags", "'\(bad)' is not a regular expression")
        }
    }
}
