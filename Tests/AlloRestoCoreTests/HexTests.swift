import AlloRestoCore
import Foundation
import Testing

@Suite struct HexTests {
    @Test func everyByteValueAndKnownDigests() {
        #expect(Hex.lowercase([UInt8]()) == "")
        #expect(Hex.lowercase([0x00, 0x0f, 0x10, 0xa5, 0xff]) == "000f10a5ff")
        // Every byte round-trips through its two digits.
        let all = Hex.lowercase((0...255).map(UInt8.init))
        #expect(all.count == 512)
        let back = stride(from: 0, to: 512, by: 2).map { i -> UInt8 in
            let s = all.utf8.dropFirst(i).prefix(2)
            return UInt8(String(decoding: s, as: UTF8.self), radix: 16)!
        }
        #expect(back == (0...255).map(UInt8.init))
    }
}

@Suite struct TimeOrderedIDTests {
    @Test func version7WithTheTimeFirst() {
        var g = SeededGenerator(seed: 42)
        let t = Date(timeIntervalSince1970: 1_795_694_700.123)
        let id = TimeOrderedID.make(at: t, using: &g)
        let text = id.uuidString.lowercased()
        // 1_795_694_700_123 ms = 0x01a2 1a5c 7a5b
        #expect(text.hasPrefix(String(1_795_694_700_123, radix: 16).leftPadded(12).prefix(8)))
        #expect(Array(text)[14] == "7")
        #expect("89ab".contains(Array(text)[19]))
        // Later ids sort after earlier ones, as bytes and as text.
        var ids: [UUID] = []
        for ms in stride(from: 0, to: 5000, by: 7) { ids.append(TimeOrderedID.make(at: t.addingTimeInterval(Double(ms) / 1000), using: &g)) }
        let texts = ids.map { $0.uuidString }
        #expect(texts == texts.sorted())
        #expect(Set(ids).count == ids.count)
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
