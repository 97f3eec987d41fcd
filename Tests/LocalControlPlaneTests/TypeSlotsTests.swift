import Testing

@testable import LocalControlPlane

/// The per-type state every stream keeps (protocol machines, propagation clock, status): one slot per type.
@Suite("type slots")
struct TypeSlotsTests {
    @Test("each type has a slot of its own; held lists them in push order; take empties one")
    func slotsPerType() {
        #expect(ResourceType.pushOrdered.map(\.pushOrder) == Array(0..<ResourceType.allCases.count))
        var slots = TypeSlots<String>()
        for type in ResourceType.pushOrdered.reversed() { slots[type] = type.shortName }
        #expect(ResourceType.allCases.allSatisfy { slots[$0] == $0.shortName })
        #expect(slots.held.map(\.type) == [.secret, .cluster, .endpoint, .listener, .route])
        slots[held: .endpoint] += "!"
        #expect(slots.take(.endpoint) == "EDS!")
        #expect(!slots.holds(.endpoint) && slots.holds(.route))
        #expect(slots.held.map(\.state) == ["SDS", "CDS", "LDS", "RDS"])
        #expect(slots[.endpoint, default: "none"] == "none" && !slots.holds(.endpoint), "reading a default holds nothing")
        slots[.endpoint, default: "EDS"] += "?"
        slots[.route, default: "none"] += "?"
        #expect(slots[.endpoint] == "EDS?" && slots.holds(.endpoint) && slots[.route] == "RDS?")
    }
}
