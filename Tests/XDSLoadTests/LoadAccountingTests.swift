import EnvoyAPI
import SwiftProtobuf
import Testing

@testable import XDSLoad

/// The load generator's bookkeeping: who must receive a change, when a change is complete, when a stream is configured.
@Suite("xds-load accounting")
struct LoadAccountingTests {
    @Test("groups depend on the shared services plus their own; subscriber counts follow")
    func scenarioDependencies() throws {
        var scenario = LoadScenario()
        (scenario.streams, scenario.groups, scenario.dependencies, scenario.sharedDependencies, scenario.services) = (1_000, 10, 3, 1, 100)
        #expect(scenario.dependencies(ofGroup: 0) == ["s0000", "s0001", "s0002", "s0003"])
        #expect(scenario.dependencies(ofGroup: 1) == ["s0000", "s0004", "s0005", "s0006"])
        let subscribers = scenario.subscriberCounts()
        #expect(subscribers["s0000"] == 1_000, "every stream uses the shared service")
        #expect(subscribers["s0004"] == 100, "one group of ten")
        #expect(subscribers["s0099"] == nil, "no group uses it")
        let node = try scenario.node(stream: 11)
        #expect(node.id == "load-11" && node.cluster == "app-1")
        #expect(node.metadata.fields["service_name"]?.stringValue == "app-1")
    }

    @Test("a change is complete when every subscriber has it; a newer change carries the older ones")
    func changeCompletion() {
        let recorder = LoadRecorder(streams: 2)
        recorder.begin(change: 1, service: "s1", expected: 2)
        recorder.begin(change: 2, service: "s1", expected: 2)
        recorder.sampleBacklog()
        recorder.observe(stream: 0, service: "s1", previous: 0, sequence: 1)
        #expect(!recorder.isDone(1))
        recorder.observe(stream: 1, service: "s1", previous: 0, sequence: 2)
        #expect(recorder.isDone(1) && !recorder.isDone(2), "stream 1 skipped straight to change 2")
        recorder.observe(stream: 0, service: "s1", previous: 1, sequence: 2)
        #expect(recorder.isDone(2) && recorder.pendingChanges == 0)
        recorder.sent(after: .milliseconds(3))
        let (changes, arrivals, sends) = recorder.takeLatencies()
        #expect(changes.count == 2 && arrivals.count == 4 && sends == [.milliseconds(3)])
        #expect(recorder.takeLatencies().sends.isEmpty, "taken once")
        recorder.sampleBacklog()
        #expect(recorder.takeBacklog() == [2, 0] && recorder.takeBacklog().isEmpty)
    }

    @Test("a stream is configured once it has all four types; a disconnect unconfigures it")
    func configuredStreams() {
        let recorder = LoadRecorder(streams: 1)
        var tracker = ConfigTracker(stream: 0, recorder: recorder)
        let clusters = tracker.apply(ResourceTypeURL.cluster, resources: [(nil, .cluster(edsName: "s1")), (nil, .cluster(edsName: nil))], replacesAll: true)
        #expect(clusters?.typeURL == ResourceTypeURL.endpoints && clusters?.old == [] && clusters?.new == ["s1"])
        let listeners = tracker.apply(ResourceTypeURL.listener, resources: [(nil, .listener(routeNames: ["egress"]))], replacesAll: true)
        #expect(listeners?.typeURL == ResourceTypeURL.route && listeners?.new == ["egress"])
        let removal = tracker.apply(ResourceTypeURL.cluster, resources: [], removed: ["s1"], replacesAll: false)
        #expect(removal?.old == ["s1"] && removal?.new == [], "delta removes a cluster by name")
        _ = tracker.apply(ResourceTypeURL.cluster, resources: [("s1", .cluster(edsName: "s1"))], replacesAll: false)
        _ = tracker.apply(ResourceTypeURL.endpoints, resources: [(nil, .endpoints(cluster: "s1", newestChange: nil))], replacesAll: true)
        #expect(recorder.configuredCount == 0, "no routes yet")
        _ = tracker.apply(ResourceTypeURL.route, resources: [(nil, .other)], replacesAll: true)
        #expect(recorder.configuredCount == 1)

        recorder.begin(change: 7, service: "s1", expected: 1)
        _ = tracker.apply(ResourceTypeURL.endpoints, resources: [(nil, .endpoints(cluster: "s1", newestChange: 7))], replacesAll: true)
        #expect(recorder.isDone(7), "the marker port arrived")
        recorder.disconnected(0)
        #expect(recorder.configuredCount == 0 && recorder.reconnects == 1)
    }

    @Test("resources are digested from their bytes: EDS names, route names, the newest change marker of the cluster")
    func digests() throws {
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = "s1"
        cluster.type = .eds
        var assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment()
        assignment.clusterName = "s1"
        let markers = ChangeMarkers()
        let older = markers.register(sequence: 3, service: "s1")
        let newer = markers.register(sequence: 5, service: "s1")
        let otherService = markers.register(sequence: 9, service: "s2")
        var locality = Envoy_Config_Endpoint_V3_LocalityLbEndpoints()
        locality.lbEndpoints = [8080, older, newer, otherService].map { port in
            var endpoint = Envoy_Config_Endpoint_V3_LbEndpoint()
            endpoint.endpoint.address.socketAddress.portValue = UInt32(port)
            return endpoint
        }
        assignment.endpoints = [locality]
        let digests = ResourceDigests(markers: markers)
        let resources = [try Google_Protobuf_Any(message: cluster), try Google_Protobuf_Any(message: assignment)]
        for pass in ["decoded", "cached"] {
            let found = digests.digests(resources)
            guard found.count == 2, case .cluster(let edsName) = found[0], case .endpoints(let name, let newest) = found[1] else {
                Issue.record("\(pass): not a cluster and an assignment: \(found)")
                return
            }
            #expect(edsName == "s1" && name == "s1" && newest == 5, "\(pass)")
        }
    }
}

@Suite("xds-load reading the control plane's histogram")
struct HistogramScrapeTests {
    @Test("buckets parse from the text exposition; two scrapes subtract; quantiles are bucket bounds")
    func scrape() {
        let before = HistogramScrape(prometheusText: """
            # TYPE xds_change_propagation_seconds histogram
            xds_change_propagation_seconds_bucket{le="0.1"} 10
            xds_change_propagation_seconds_bucket{le="1.0"} 10
            xds_change_propagation_seconds_bucket{le="+Inf"} 10
            xds_change_propagation_seconds_count 10
            """, name: "xds_change_propagation_seconds")
        let after = HistogramScrape(prometheusText: """
            xds_change_propagation_seconds_bucket{le="0.1"} 60
            xds_change_propagation_seconds_bucket{le="1.0"} 109
            xds_change_propagation_seconds_bucket{le="+Inf"} 110
            other_bucket{le="0.1"} 5
            """, name: "xds_change_propagation_seconds")
        let phase = after.subtracting(before)
        #expect(phase.total == 100)
        #expect(phase.quantileBound(0.5) == 0.1)
        #expect(phase.quantileBound(0.99) == 1.0)
        #expect(phase.quantileBound(1.0) == nil, "beyond the last finite bucket: no bound (JSON has no infinity)")
        #expect(HistogramScrape(buckets: []).quantileBound(0.5) == nil)
    }
}
