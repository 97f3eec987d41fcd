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
            policy: FederationPolicy(), storageProblem: "disk full")
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
            storageProblem: "<b>")
        #expect(!page.contains("<script>") && !page.contains("<b>"))
        #expect(page.contains("HTTP 500: &lt;script&gt;alert('x')&lt;/script&gt; &amp; more"))
    }
}
