import EnvoyAPI
import Foundation
import Shared

/// The control plane's own view, server-rendered: the connected Envoys (filtered and paginated: a DC has thousands)
/// with their group and last ACK or NACK per resource type, and for one Envoy the clusters and endpoints it was
/// sent, with each locality's DC and priority.
enum EnvoysPage {
    static let pageSize = 100

    static func list(datacenter: String, entries: [StreamRegistry.Entry], search: String, page: Int) -> String {
        let escape = HTMLText.escape
        let matches = search.isEmpty ? entries : entries.filter {
            $0.nodeId.localizedCaseInsensitiveContains(search) || $0.service.localizedCaseInsensitiveContains(search)
        }
        let pages = max(1, (matches.count + pageSize - 1) / pageSize)
        let page = min(max(1, page), pages)
        var html = head("local-control-plane \(datacenter): Envoys")
        html += "<form method=get><label>Envoy or service <input name=q value=\"\(escape(search))\"></label> <button>Filter</button> "
        html += "<span class=muted>\(matches.count) of \(entries.count) streams · page \(page) of \(pages)</span></form>"
        html += "<table><tr><th>node</th><th>service</th><th>group</th><th>stream</th><th>connected</th><th>last ACK / NACK per type</th></tr>"
        for entry in matches.dropFirst((page - 1) * pageSize).prefix(pageSize) {
            let types = entry.types.sorted { $0.key < $1.key }.map { type, status in
                let nack = status.lastNack.map { " <span class=bad>NACK: \(escape($0))</span>" } ?? ""
                return "\(type) <code>\(escape(status.lastAckedVersion.map { String($0.prefix(12)) } ?? "—"))</code>\(nack)"
            }.joined(separator: "<br>")
            html += "<tr><td><a href=\"/debug/envoy?node=\(HTMLText.queryValue(entry.nodeId))\">\(escape(entry.nodeId))</a></td>"
            html += "<td>\(escape(entry.service))</td><td><code>\(escape(entry.group))</code></td><td>\(escape(entry.api)) \(escape(entry.protocolName))</td>"
            html += "<td>\(Int(Date().timeIntervalSince(entry.connectedAt)))s ago</td><td>\(types)</td></tr>"
        }
        html += "</table>"
        if pages > 1 {
            let query = HTMLText.queryValue(search)
            if page > 1 { html += "<p><a href=\"/debug/envoys.html?q=\(query)&page=\(page - 1)\">previous</a></p>" }
            if page < pages { html += "<p><a href=\"/debug/envoys.html?q=\(query)&page=\(page + 1)\">next</a></p>" }
        }
        return html + "<p class=muted>JSON: <a href=\"/debug/envoys\">/debug/envoys</a></p></body></html>\n"
    }

    /// One Envoy: every cluster it received and, per cluster, its localities (DC = zone, priority, weight, endpoints).
    static func envoy(datacenter: String, entry: StreamRegistry.Entry, snapshot: Snapshot) -> String {
        let escape = HTMLText.escape
        var html = head("Envoy \(entry.nodeId) in \(datacenter)")
        html += "<p>service <b>\(escape(entry.service))</b> · group <code>\(escape(entry.group))</code> · \(escape(entry.api)) \(escape(entry.protocolName))</p>"
        let clusters = (snapshot.resources[.cluster] ?? [:]).keys.sorted()
        let endpoints = snapshot.resources[.endpoint] ?? [:]
        html += "<h2>Clusters and endpoints (\(clusters.count))</h2><table><tr><th>cluster</th><th>DC</th><th>priority</th><th>weight</th><th>endpoints</th></tr>"
        for name in clusters {
            guard let resource = endpoints[name],
                  let assignment = try? Envoy_Config_Endpoint_V3_ClusterLoadAssignment(serializedBytes: resource.any.value) else {
                html += "<tr><td>\(escape(name))</td><td colspan=4 class=muted>no EDS (static or DNS cluster)</td></tr>"
                continue
            }
            if assignment.endpoints.isEmpty { html += "<tr><td>\(escape(name))</td><td colspan=4 class=warn>no endpoints</td></tr>" }
            for (index, locality) in assignment.endpoints.enumerated() {
                let local = locality.locality.zone == datacenter
                html += "<tr><td>\(index == 0 ? escape(name) : "")</td><td class=\(local ? "ok" : "")>\(escape(locality.locality.zone))\(local ? " (local)" : "")</td>"
                html += "<td>\(locality.priority)</td><td>\(locality.hasLoadBalancingWeight ? "\(locality.loadBalancingWeight.value)" : "—")</td>"
                html += "<td>\(locality.lbEndpoints.count)</td></tr>"
            }
        }
        return html + "</table><p class=muted><a href=\"/debug/envoys.html\">all Envoys</a> · JSON: "
            + "<a href=\"/debug/snapshot?node=\(HTMLText.queryValue(entry.nodeId))\">/debug/snapshot</a></p></body></html>\n"
    }

    private static func head(_ title: String) -> String {
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>\(HTMLText.escape(title))</title>\(HTMLText.style)</head>"
            + "<body><h1>\(HTMLText.escape(title))</h1>"
    }
}
