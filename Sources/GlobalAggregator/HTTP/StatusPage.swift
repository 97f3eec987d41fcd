import Foundation
import Shared

/// The aggregator's status page: plain HTML and CSS, readable without JavaScript, refreshed every 5 s.
enum StatusPage {
    static func render(
        region: String, datacenters: [AggregatorCore.DatacenterView], policy: FederationPolicy, storageProblem: String?
    ) -> String {
        var html = """
            <!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
            <title>global-aggregator \(escape(region))</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1d2330;background:#f6f7f9}
            h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
            table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002}
            th,td{padding:.4em .8em;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
            th{background:#eef1f5}.ok{color:#137333}.bad{color:#b3261e;font-weight:600}.warn{color:#a05a00}
            code{font-size:.9em}
            </style></head><body>
            <h1>global-aggregator — region \(escape(region))</h1>
            """
        if let storageProblem { html += "<p class=bad>Storage degraded: \(escape(storageProblem))</p>" }
        html += "<h2>Datacenters</h2><table><tr><th>DC</th><th>state</th><th>last state</th><th>services (instances)</th><th>desired version</th></tr>"
        for dc in datacenters {
            var state = dc.lastStateAt == nil ? "<span class=bad>never seen</span>"
                : dc.dropped ? "<span class=bad>dropped</span>" : dc.stale ? "<span class=warn>stale</span>" : "<span class=ok>fresh</span>"
            if let held = dc.heldShrink {
                state += " <span class=warn>shrink held (\(held.instancesBefore) → \(held.instancesAfter) instances since \(time(held.since)))</span>"
            }
            let services = dc.services.keys.sorted().map { "\(escape($0)) (\(dc.services[$0]!))" }.joined(separator: ", ")
            html += "<tr><td>\(escape(dc.datacenter))</td><td>\(state)</td><td>\(time(dc.lastStateAt))</td><td>\(services.isEmpty ? "—" : services)</td><td><code>\(escape(dc.desiredVersion ?? "—"))</code></td></tr>"
        }
        html += "</table><h2>Control-plane replicas</h2><table><tr><th>DC</th><th>replica</th><th>last poll</th><th>poll error</th><th>applied version</th><th>last push</th><th>push error</th></tr>"
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
        html += "</table><h2>Policy</h2><table><tr><th>staleAfter</th><td>\(DurationText.format(policy.staleAfter))</td></tr>"
        html += "<tr><th>dropAfter</th><td>\(policy.dropAfter.map(DurationText.format) ?? "off")</td></tr>"
        html += "<tr><th>default failover</th><td>\(escape(describe(policy.defaultFailover)))</td></tr>"
        for (name, service) in policy.services.sorted(by: { $0.key < $1.key }) {
            var parts: [String] = []
            if !service.split.isEmpty { parts.append("split " + service.split.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")) }
            if let failover = service.failover { parts.append("failover " + describe(failover)) }
            if !service.crossDc { parts.append("local only") }
            html += "<tr><th>\(escape(name))</th><td>\(escape(parts.joined(separator: "; ")))</td></tr>"
        }
        return html + "</table></body></html>\n"
    }

    private static func describe(_ order: FederationPolicy.FailoverOrder) -> String {
        if !order.perDestination.isEmpty {
            return order.perDestination.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value.joined(separator: ", "))" }.joined(separator: "; ")
        }
        return order.everywhere.isEmpty ? "all other DCs together" : order.everywhere.joined(separator: " → ")
    }

    private static func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        return "\(Int(Date().timeIntervalSince(date)))s ago"
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
