import Shared
import Testing

@testable import LocalControlPlane

/// What the Consul watches have read, turned into catalogs: complete ones only, following instances and tags.
@Suite("Consul catalog state")
struct ConsulCatalogStateTests {
    @Test("a catalog once every listed service was read; it follows new instances, a retag alone and a removal")
    func followsReads() async throws {
        let state = ConsulCatalogState()
        let watches = await state.setServices(["web": ["v1"], "db": []], index: 1)
        let generation = Dictionary(uniqueKeysWithValues: watches.map { ($0.name, $0.generation) })
        await state.update("web", generation: generation["web"]!, instances: [ServiceInstance(address: "10.0.0.1", port: 80)], index: 2)
        #expect(await state.catalog() == nil, "db is listed but not read yet")
        await state.update("db", generation: generation["db"]!, instances: [], index: 3)
        let first = try #require(await state.catalog())
        #expect(first.catalog["web"]?.tags == ["v1"] && first.catalog["web"]?.instances.count == 1 && first.sourceIndex == 3)

        await state.update("web", generation: generation["web"]!, instances: [
            ServiceInstance(address: "10.0.0.2", port: 80), ServiceInstance(address: "10.0.0.1", port: 80),
        ], index: 4)
        #expect(await state.catalog()?.catalog["web"]?.instances.map(\.address) == ["10.0.0.1", "10.0.0.2"])
        #expect(await state.catalog()?.catalog["db"] == first.catalog["db"])

        _ = await state.setServices(["web": ["v2"], "db": []], index: 5)
        #expect(await state.catalog()?.catalog["web"]?.tags == ["v2"], "a retag alone reaches the catalog")
        #expect(await state.catalog()?.catalog["web"]?.instances.count == 2)

        _ = await state.setServices(["web": ["v2"]], index: 6)
        #expect(await state.catalog()?.catalog.services.keys.sorted() == ["web"], "a service the list dropped leaves")
        await state.update("db", generation: generation["db"]!, instances: [ServiceInstance(address: "10.0.0.9", port: 1)], index: 7)
        #expect(await state.catalog()?.catalog["db"] == nil, "a read of the dropped service's old watch is ignored")
    }
}
