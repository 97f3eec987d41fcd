import NIOCore
import Testing

@testable import LocalControlPlane

/// An idle watch's repeated answer is not decoded again; anything else is.
@Suite("Consul answer memo")
struct ConsulAnswerMemoTests {
    /// Decodes `text` as its length, counting the decodes; "broken" fails as a bad body does.
    final class CountingDecoder {
        var decodes = 0
        func decode(_ text: String) throws(ConsulError) -> Int {
            decodes += 1
            guard text != "broken" else { throw .invalidBody("broken") }
            return text.count
        }
    }

    @Test("the same index and bytes again: the last body, not decoded; new bytes or a new index: decoded")
    func reusesOnlyTheSameAnswer() throws {
        var memo = ConsulAnswerMemo<Int>()
        let decoder = CountingDecoder()
        func read(_ index: UInt64, _ text: String) throws(ConsulError) -> Int {
            try memo.body(index: index, bytes: ByteBuffer(string: text)) { () throws(ConsulError) in try decoder.decode(text) }
        }
        #expect(try read(7, "[1,2]") == 5)
        #expect(try read(7, "[1,2]") == 5)
        #expect(decoder.decodes == 1, "a wait that ended without a change")
        #expect(try read(8, "[1,2]") == 5)
        #expect(decoder.decodes == 2, "a new index is decoded even with the same bytes")
        #expect(try read(8, "[1,2,3]") == 7)
        #expect(decoder.decodes == 3, "other bytes under the same index are decoded")
        #expect(throws: ConsulError.self) { try read(8, "broken") }
        #expect(try read(8, "[1,2,3]") == 7)
        #expect(decoder.decodes == 4, "a broken answer is decoded (and fails) but does not replace the last good one")
    }
}
