import Testing

@testable import Shared

@Suite("Shared support")
struct SupportTests {
    @Test("durations as operators write them", arguments: [
        ("250ms", Duration.milliseconds(250)), ("2s", .seconds(2)), ("1.5s", .milliseconds(1500)), ("1m", .seconds(60)),
        ("1h", .seconds(3600)),
    ])
    func parsesDurations(text: String, expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test("bad durations are refused, also beyond what Envoy accepts (1e20s trapped converting to Int64)", arguments: ["", "2", "s", "-1s", "2 s", "twos", "infs", "1e20s", "315576000001s"])
    func refusesDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test("content hashes are stable and separate fields")
    func contentHash() {
        var first = ContentHash()
        first.add("ab")
        first.add("c")
        var second = ContentHash()
        second.add("a")
        second.add("bc")
        #expect(first.hex != second.hex)
        // Reference values from an independent Python version of the algorithm: a change to it changes every
        // version, which a mixed deployment of aggregator and control planes would see as different content.
        #expect(ContentHash.hex(of: Array("hello".utf8)) == "ecc4575b224f46d1")
        #expect(ContentHash.hex(of: Array("hello, content hash".utf8)) == "a3182a0d1b430b03")
        #expect(first.hex.count == 16)
    }

    @Test("service names", arguments: [("backend", true), ("b-2_x.y", true), ("", false), ("a b", false), ("ä", false), ("a/b", false)])
    func serviceNames(name: String, valid: Bool) {
        #expect(ServiceName.isValid(name) == valid)
    }
}
