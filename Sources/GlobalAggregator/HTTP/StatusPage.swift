import Foundation
import Shared

/// The aggregator's status page: plain server-rendered HTML and CSS, readable without JavaScript. Sized for 20 DCs ×
/// 2,000 services: the DC overview shows counts, services are found by search (paginated), and one service's page
/// is its routing matrix.
enum StatusPage {
    /// What the page was asked for: `?q=` filters the service list (page `?page=`), `?service=` shows one matrix.
    struct Query: Sendable {
        var search = ""
        var page = 1
        var service: String?

        static let pageSize = 50
    }

    static func render(
        region: String, datacenters: [AggregatorCore.DatacenterView], policy: FederationPolicy, storageProblem: String?,
        services: [String], query: Query, routes: ServiceRoutes?, history: [PushHistory.Entry] = []
    ) -> String {
        var html = head(region, refresh: query.service == nil && query.search.isEmpty)
        if let storageProblem { html += "<p class=bad>Storage degraded: \(escape(storageProblem))</p>" }
        html += search(query, serviceCount: services.count)
        if let routes {
            html += StatusPageMatrix.render(routes)
        } else if !query.search.isEmpty {
            html += serviceList(services, query)
        }
        html += overview(datacenters) + "<h2>Push history</h2>" + PushHistoryChart.render(history)
            + replicas(datacenters) + policySection(policy)
        return html + "</body></html>\n"
    }

    private static func head(_ region: String, refresh: Bool) -> String {
        """
        <!doctype html><html><head><meta charset="utf-8">\(refresh ? "<meta http-equiv=\"refresh\" content=\"5\">" : "")
        <title>global-aggregator \(escape(region))</title>
        \(HTMLText.style)</head><body>
        <h1>global-aggregator — region \(escape(region))</h1>
        """
    }

    private static func search(_ query: Query, serviceCount: Int) -> String {
        """
        <form method=get action="/"><label>Service <input name=q value="\(escape(query.search))" placeholder="name or part of it"></label>
        <button>Search</button> <span class=muted>\(serviceCount) services in the region</span></form>
        """
    }

    private static func serviceList(_ services: [String], _ query: Query) -> String {
        let matches = services.filter { $0.localizedCaseInsensitiveContains(query.search) }
        let pages = max(1, (matches.count + Query.pageSize - 1) / Query.pageSize)
        let page = min(max(1, query.page), pages)
        var html = "<h2>Services matching “\(escape(query.search))” (\(matches.count))</h2><ul>"
        for name in matches.dropFirst((page - 1) * Query.pageSize).prefix(Query.pageSize) {
            html += "<li><a href=\"/?service=\(percentEncoded(name))\">\(escape(name))</a></li>"
        }
        html += "</ul>"
        if pages > 1 {
            html += "<p>page \(page) of \(pages)"
            if page > 1 { html += " · <a href=\"/?q=\(percentEncoded(query.search))&page=\(page - 1)\">previous</a>" }
            if page < pages { html += " · <a href=\"/?q=\(percentEncoded(query.search))&page=\(page + 1)\">next</a>" }
            html += "</p>"
        }
        return html
    }

    private static func overview(_ datacenters: [AggregatorCore.DatacenterView]) -> String {
        var html = "<h2>Datacenters</h2><table><tr><th>DC</th><th>state</th><th>last state</th><th>services</th><th>instances</th>"
            + "<th>replicas in sync</th><th>desired version</th></tr>"
        for dc in datacenters {
            var state = dc.lastStateAt == nil ? "<span class=bad>never seen</span>"
                : dc.dropped ? "<span class=bad>dropped</span>" : dc.stale ? "<span class=warn>stale</span>" : "<span class=ok>fresh</span>"
            if let held = dc.heldShrink {
                state += " <span class=warn>shrink held (\(held.instancesBefore) → \(held.instancesAfter) instances since \(time(held.since)))</span>"
            }
            let inSync = dc.replicas.filter { $0.appliedRemoteVersion != nil && $0.appliedRemoteVersion == dc.desiredVersion }.count
            html += "<tr><td>\(escape(dc.datacenter))</td><td>\(state)</td><td>\(time(dc.lastStateAt))</td><td>\(dc.services.count)</td>"
            html += "<td>\(dc.services.values.reduce(0, +))</td><td class=\(inSync == dc.replicas.count ? "ok" : "warn")>\(inSync) of \(dc.replicas.count)</td>"
            html += "<td><code>\(escape(dc.desiredVersion ?? "—"))</code></td></tr>"
        }
        return html + "</table>"
    }

    private static func replicas(_ datacenters: [AggregatorCore.DatacenterView]) -> String {
        var html = "<h2>Control-plane replicas</h2><table><tr><th>DC</th><th>replica</th><th>last poll</th><th>poll error</th><th>applied version</th><th>last push</th><th>push error</th></tr>"
        for dc in datacenters {
            for replica in dc.replicas {
                let applied = replica.appliedRemoteVersion ?? "—"
                let inSync = replica.appliedRemoteVersion != nil && replica.appliedRemoteVersion == dc.desiredVersion
                html += "<tr><td>\(escape(dc.datacenter))</td><td>\(escape(replica.url))</td><td>\(time(replica.lastSuccess))</td>"
                html += "<td class=bad>\(escape(replica.lastError ?? ""))</td>"
                html += "<td class=\(inSync ? "ok" : "warn")><code>\(escape(applied))</code></td><td>\(time(replica.lastPushAt))</td>"
                html += "<td class=bad>\(escape(replica.lastPushError ?? ""))</td></tr>"
            }
        }
        return html + "</table>"
    }

    private static func policySection(_ policy: FederationPolicy) -> String {
        var html = "<h2>Policy</h2><table><tr><th>staleAfter</th><td>\(DurationText.format(policy.staleAfter))</td></tr>"
        html += "<tr><th>dropAfter</th><td>\(policy.dropAfter.map(DurationText.format) ?? "off")</td></tr>"
        html += "<tr><th>default failover</th><td>\(escape(ServiceRoutes.describe(policy.defaultFailover)))</td></tr>"
        for (name, service) in policy.services.sorted(by: { $0.key < $1.key }) {
            var parts: [String] = []
            if !service.split.isEmpty { parts.append("split " + service.split.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")) }
            if let failover = service.failover { parts.append("failover " + ServiceRoutes.describe(failover)) }
            if !service.crossDc { parts.append("local only") }
            html += "<tr><th><a href=\"/?service=\(percentEncoded(name))\">\(escape(name))</a></th><td>\(escape(parts.joined(separator: "; ")))</td></tr>"
        }
        return html + "</table>"
    }

    static func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        return "\(Int(Date().timeIntervalSince(date)))s ago"
    }

    static func escape(_ text: String) -> String { HTMLText.escape(text) }

    static func percentEncoded(_ text: String) -> String { HTMLText.queryValue(text) }
}

/// One service's routing matrix: a row per destination DC, a column per source DC (where the calling Envoy runs),
/// each cell the destination's priority, weight and instance count for that source, with the rule that placed it.
enum StatusPageMatrix {
    static func render(_ routes: ServiceRoutes) -> String {
        let escape = StatusPage.escape
        let sources = routes.sources.map(\.datacenter)
        var html = "<h2>Routing of \(escape(routes.service))</h2><ul>"
        html += routes.policy.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
        html += "<table class=matrix><tr><th>to ↓ / from →</th>" + sources.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
        for destination in sources {
            html += "<tr><th>\(escape(destination))</th>"
            for source in routes.sources {
                guard let step = source.destinations.first(where: { $0.datacenter == destination }) else {
                    html += "<td class=cell><span class=muted>—</span></td>"
                    continue
                }
                let order = (source.destinations.firstIndex(of: step) ?? 0) + 1
                let kind = step.stale ? "cell stale" : step.datacenter == source.datacenter ? "cell local" : "cell"
                html += "<td class=\"\(kind)\" title=\"\(escape(step.reason))\">#\(order) · priority \(step.priority)"
                html += step.weight.map { " · weight \($0)" } ?? ""
                html += "<br>\(step.instances) instance\(step.instances == 1 ? "" : "s")\(step.stale ? " · <span class=warn>stale</span>" : "")"
                html += "<br><span class=muted>\(escape(step.reason))</span></td>"
            }
            html += "</tr>"
        }
        return html + "</table><p class=muted>#n: the order an Envoy in that column tries DCs; Envoy uses the lowest priority with healthy instances. "
            + "JSON: <a href=\"/v1/routes?service=\(StatusPage.percentEncoded(routes.service))\">/v1/routes</a></p>"
    }
}
