import AlloRestoCore
import Foundation
import Testing

@Suite struct JSONReaderTests {
    func read(_ s: String) throws -> JSONValue { try JSONReader.parse(Array(s.utf8)) }

    @Test func readsWhatFoundationReads() throws {
        let docs = [
            #"{"a": [1, -2, 3.5, -0.25E-2, true, false, null, "x\"y\\z\/\n\u00e9\ud83d\ude00"], "b": {"c": {}}, "d": []}"#,
            #"  [ ]  "#, #""plain""#, "42", "-0", "12345678901234", #"{"order_type":"pickup","items":[{"id":3,"quantity":"2","selected_options":[{"name":"Taille","choice":"Grande"}]}],"total":27.5}"#,
        ]
        for d in docs {
            #expect(try read(d) == (try JSONDecoder().decode(JSONValue.self, from: Data(d.utf8))), "\(d)")
        }
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "{'a': 1}", "tru", "01", "1.", "-", "\"\\x\"", "\"\u{01}\"", "\"\\ud800\"", "1e999", "[1] 2", String(repeating: "[", count: 100) + String(repeating: "]", count: 100)])
    func rejectsMalformedInput(_ s: String) {
        #expect(throws: JSONReader.Failure.self) { try read(s) }
    }

    @Test func randomBytesNeverCrash() {
        var state: UInt64 = 42
        for _ in 0..<5000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(state % 40) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(Array("{}[]\",:0123456789.eE+-tfnul \\ab".utf8)[Int(state >> 33) % 31])
            }
            _ = try? JSONReader.parse(bytes)
        }
    }
}
