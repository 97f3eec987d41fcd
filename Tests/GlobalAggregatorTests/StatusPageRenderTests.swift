import Foundation
import Testing

@testable import GlobalAggregator
@testable import Shared

/// The status page's HTML as rendered, without a browser (headless Chromium renders it in the end-to-end tests).
@Suite("Status page rendering")
struct StatusPageRenderTests {
    static func view(_ name: String, stale: Bool = false, dropped: Bool = false, seen: Bool = true, error: String? = nil,
                     held: AggregatorCore.HeldShrink? = nil) -> AggregatorCore.DatacenterView {
        var replica = ReplicaBoard.Status(url: "http://\(name):18080")
        replica.lastError = error
        return AggregatorCore.DatacenterView(
            datacenter: name, stale: stale, dropped: dropped, lastStateAt: seen ? Date() : nil, sourceIndex: 1, heldShrink: held,
            services: ["backend": 2], desiredVersion: "v1", replicas: [replica])
    }

    @Test("fresh, stale, dropped, never seen and held DCs are told apart")
    func states() {
        let page = StatusPage.render(
            region: "eu",
            datacenters: [
                Self.view("dc1"), Self.view("dc2", stale: true), Self.view("dc3", dropped: true), Self.view("dc4", seen: false),
                Self.view("dc5", held: .init(since: Date(), instancesBefore: 40, instancesAfter: 3)),
            ],
            policy: FederationPolicy(), storageProblem: "disk full", services: ["backend"], query: .init(), routes: nil)
        for expected in ["<td>dc1</td><td><span class=ok>fresh</span>", "<td>dc2</td><td><span class=warn>stale</span>",
                         "<td>dc3</td><td><span class=bad>dropped</span>", "<td>dc4</td><td><span class=bad>never seen</span>",
                         "shrink held (40 → 3 instances", "Storage degraded: disk full"] {
            #expect(page.contains(expected), "\(expected)")
        }
    }

    @Test("text from control planes and the policy is escaped")
    func escaping() throws {
        var policy = FederationPolicy()
        policy.services["svc"] = .init(split: ["dc1": 1])
        let page = StatusPage.render(
            region: "eu", datacenters: [Self.view("dc1", error: "HTTP 500: <script>alert('x')</script> & more")], policy: policy,
            storageProblem: "<b>", services: [], query: .init(), routes: nil)
        #expect(!page.contains("<script>") && !page.contains("<b>"))
        #expect(page.contains("HTTP 500: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"))
    }

    /// Three DCs: payments split 90/10 between dc1 and dc2, failing over to dc3; dc3 stale in `stale` runs.
    static func routes(service: String = "payments", staleDC3: Bool = false) -> ServiceRoutes {
        var policy = FederationPolicy()
        policy.services[service] = .init(split: ["dc1": 90, "dc2": 10], failover: .init(everywhere: ["dc3", "dc2", "dc1"]))
        let datacenters = ["dc1", "dc2", "dc3"]
        var snapshots: [String: DatacenterSnapshot] = [:]
        for (index, datacenter) in datacenters.enumerated() {
            snapshots[datacenter] = FederationMergerTests.snapshot(datacenter, [service: index + 1], age: staleDC3 && datacenter == "dc3" ? 600 : 0)
        }
        let merge = FederationMerger.merge(snapshots, datacenters: datacenters, policy: policy, now: FederationMergerTests.now)
        return ServiceRoutes(service: service, datacenters: datacenters, instances: ["dc1": 1, "dc2": 2, "dc3": 3], merge: merge, policy: policy)
    }

    @Test("routes: the merge read back with its rules — split partners share priority 0, the failover list after them, stale DCs last")
    func serviceRoutes() throws {
        let routes = Self.routes()
        let fromDC1 = try #require(routes.sources.first { $0.datacenter == "dc1" })
        #expect(fromDC1.destinations.map(\.datacenter) == ["dc1", "dc2", "dc3"])
        #expect(fromDC1.destinations.map(\.priority) == [0, 0, 1])
        #expect(fromDC1.destinations.map(\.weight) == [90, 10, nil])
        #expect(fromDC1.destinations.map(\.reason) == ["local, sharing under services.payments.split", "split: weight 10 (services.payments.split)",
                                                       "failover #1 (services.payments.failover)"])
        let fromDC3 = try #require(routes.sources.first { $0.datacenter == "dc3" })
        #expect(fromDC3.destinations.map(\.datacenter) == ["dc3", "dc1", "dc2"], "dc3 is not in the split: local first, then the split DCs")
        #expect(fromDC3.destinations.map(\.priority) == [0, 1, 1])
        let text = routes.explanation(from: "dc1")
        #expect(text.contains("1. dc1: priority 0, weight 90, 1 instance — local, sharing under services.payments.split"))
        #expect(text.contains("3. dc3: priority 1, 3 instances — failover #1 (services.payments.failover)"))
        #expect(text.contains("services.payments.failover: dc3 → dc2 → dc1"))
        #expect(routes.explanation(from: "dc9").contains("dc9 is not a datacenter of this region"))

        let stale = try #require(Self.routes(staleDC3: true).sources.first { $0.datacenter == "dc1" })
        #expect(stale.destinations.last?.stale == true && stale.destinations.last?.reason.hasPrefix("stale") == true)
    }

    @Test("push history: latency from the merge that made the version to the push; failures kept; at most 200; drawn as SVG")
    func pushHistory() {
        var history = PushHistory()
        let start = Date(timeIntervalSince1970: 1_000)
        history.planned(["dc1": "v1", "dc2": "w1"], at: start)
        #expect(history.pushed("v1", to: "dc1", replica: "a", at: start.addingTimeInterval(0.25)) == 0.25)
        history.planned(["dc1": "v1", "dc2": "w2"], at: start.addingTimeInterval(1))
        #expect(history.pushed("v1", to: "dc1", replica: "b", at: start.addingTimeInterval(2)) == 2, "dc1's clock did not restart")
        #expect(history.pushed("w1", to: "dc2", replica: "c", at: start.addingTimeInterval(2)) == nil, "an outdated version")
        history.failed(to: "dc2", replica: "<c>", error: "HTTP 500 <x>", at: start.addingTimeInterval(3))
        let svg = PushHistoryChart.render(history.entries)
        #expect(svg.hasPrefix("<svg") && svg.contains("4 pushes · slowest 2.000 s · 1 failed"))
        #expect(svg.components(separatedBy: "fill=\"#3b6fb6\"").count == 3 && svg.contains("fill=\"#b3261e\""))
        #expect(!svg.contains("<x>") && svg.contains("&lt;c&gt;"))
        for second in 0..<300 { history.failed(to: "dc1", replica: "a", error: "down", at: start.addingTimeInterval(Double(second))) }
        #expect(history.entries.count == PushHistory.capacity)
    }

    @Test("service pages: search paginates, the matrix marks local and stale cells, hostile names and tags stay text")
    func servicePages() {
        let names = (1...120).map { "svc-\($0)" } + ["<img src=x onerror=alert(1)>"]
        let list = StatusPage.render(
            region: "eu", datacenters: [Self.view("dc1")], policy: FederationPolicy(), storageProblem: nil, services: names,
            query: .init(search: "svc-", page: 2), routes: nil)
        #expect(list.contains("Services matching “svc-” (120)") && list.contains("page 2 of 3") && list.contains(">svc-51<")
                && !list.contains(">svc-50<") && !list.contains(">svc-101<"))
        let hostile = "<img src=x onerror=alert(1)>"
        let matrix = StatusPage.render(
            region: "eu", datacenters: [Self.view("dc1")], policy: FederationPolicy(), storageProblem: nil, services: [hostile],
            query: .init(service: hostile), routes: Self.routes(service: hostile, staleDC3: true))
        #expect(!matrix.contains("<img") && matrix.contains("Routing of &lt;img src=x onerror=alert(1)&gt;"))
        #expect(matrix.contains("class=\"cell local\"") && matrix.contains("class=\"cell stale\""))
        #expect(matrix.contains("href=\"/v1/routes?service=%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E\""))
    }
}
