import AlloRestoTestSupport
import Foundation
import SIPBridge
import Testing

@Suite struct HistogramTests {
    /// Within the histogram's precision (two significant digits: 1 %).
    static func near(_ value: Int, _ expected: Int) -> Bool { abs(value - expected) <= expected / 100 + 1 }

    @Test func percentilesMergeAndClamp() {
        var h = LatencyHistogram()
        #expect(h.percentile(0.99) == 0 && h.maxUs == 0 && h.count == 0)
        for us in 0..<990 { h.record(us: us % 50) }  // 990 sends within 50 µs
        for us in [1_500, 2_500, 3_000, 4_000, 5_000, 6_000, 7_000, 8_000, 9_000, 50_000] { h.record(us: us) }
        #expect(h.count == 1000)
        #expect(h.percentile(0.5) <= 25)  // half the sends within 25 µs
        #expect(h.percentile(0.99) <= 50)  // the 990th value is still one of the fast ones
        #expect(Self.near(h.percentile(0.995), 5_000), "\(h.percentile(0.995))")  // the 995th: 5,000 µs
        #expect(Self.near(h.percentile(1), 50_000) && Self.near(h.maxUs, 50_000))
        h.record(us: -30)  // early (a timer that fired before its instant) counts as on time
        #expect(h.count == 1001 && h.percentile(0.001) == 0)
        h.record(us: Int.max)  // beyond a minute: counted at the top, no trap
        #expect(Self.near(h.maxUs, 60_000_000))

        var other = LatencyHistogram()
        for _ in 0..<1001 { other.record(us: 2_050) }
        var merged = h
        merged.merge(other)
        #expect(merged.count == 2003)
        #expect(Self.near(merged.percentile(0.5), 2_050), "\(merged.percentile(0.5))")
        #expect(Self.near(merged.maxUs, 60_000_000))
    }
}

@Suite struct WorkerMessageTests {
    /// The worker's media messages are read on the bytes; what the fast path cannot be sure of goes to the parser.
    @Test func mediaPayloadFastPathAndItsFallbacks() {
        let audio: [UInt8] = [0xFF, 0xFF, 0xFF] + (3..<160).map { UInt8($0) }
        let b64 = Data(audio).base64EncodedString()
        #expect(b64.hasPrefix("////"))  // a slash, which a JSON writer may escape
        func read(_ s: String) -> [UInt8]? { MediaSession.mediaPayload(Array(s.utf8)) }
        #expect(read(#"{"event":"media","streamSid":"MZ1","media":{"payload":"\#(b64)"}}"#) == audio)  // JavaScript's JSON.stringify
        #expect(read(#"{"event": "media", "media": {"track": "outbound", "payload": "\#(b64)"}}"#) == audio)  // Python's json.dumps
        #expect(read(#"{"media":{"payload":"\#(b64)"},"event":"media"}"#) == audio)  // any field order
        // Left to the parser: an escaped slash, another event, no payload, not base64.
        #expect(read(#"{"event":"media","media":{"payload":"\#(b64.replacingOccurrences(of: "/", with: "\\/"))"}}"#) == nil)
        #expect(read(#"{"event":"mark","mark":{"name":"payload"}}"#) == nil)
        #expect(read(#"{"event":"media"}"#) == nil)
        #expect(read(#"{"event":"media","media":{"payload":"***"}}"#) == nil)
        #expect(read(#"{"event":"media","media":{"payload":"QUJD="}}"#) == nil)  // not a multiple of 4
        #expect(read(#"{"event":"media","media":{"payload":"QQ==QUJD"}}"#) == nil)  // padding in the middle
        #expect(read(#"{"event":"media","media":{"payload":"QQ=A"}}"#) == nil)
        #expect(read(#"{"event":"media","media":{"payload":""}}"#) == [])
        // Every length and byte value decodes as Foundation does.
        var rng = SeededGenerator(seed: 3)
        for n in 0..<300 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(read(#"{"event":"media","media":{"payload":"\#(Data(bytes).base64EncodedString())"}}"#) == bytes)
        }
    }
}

/// Numbers in records and callbacks as the original writes them (`_normalize_number` with the trunk's calling code).
@Suite struct RecordNumberTests {
    /// The calling code comes from a trunk number in E.164 or 00 form (1, 2 or 3 digits, the longest known first);
    /// a national or named username gives none.
    @Test func callingCodeOfTheTrunk() {
        #expect(SIPBridgeService.countryCode(ofTrunk: "+33142601234") == "+33")
        #expect(SIPBridgeService.countryCode(ofTrunk: "0033142601234") == "+33")
        #expect(SIPBridgeService.countryCode(ofTrunk: "+12125550100") == "+1")
        #expect(SIPBridgeService.countryCode(ofTrunk: "+352621123456") == "+352")
        #expect(SIPBridgeService.countryCode(ofTrunk: "0142601234") == nil)
        #expect(SIPBridgeService.countryCode(ofTrunk: "alloresto") == nil)
        #expect(SIPBridgeService.countryCode(ofTrunk: "+33") == nil)
    }

    /// National numbers take the trunk's code, 00 becomes +, the rest (E.164, SIP URIs, names) is left alone.
    @Test func numbersInRecords() {
        #expect(SIPBridgeService.recordNumber("0612345678", countryCode: "+33") == "+33612345678")
        #expect(SIPBridgeService.recordNumber("0612345678", countryCode: nil) == "0612345678")
        #expect(SIPBridgeService.recordNumber("0612345678", countryCode: "+39") == "+390612345678", "Italy keeps its 0 (no trunk prefix)")
        #expect(SIPBridgeService.recordNumber("0301234567", countryCode: "+49") == "+49301234567")
        #expect(SIPBridgeService.recordNumber("0041791234567", countryCode: "+33") == "+41791234567")
        #expect(SIPBridgeService.recordNumber("+33612345678", countryCode: "+33") == "+33612345678")
        #expect(SIPBridgeService.recordNumber("sip:+33611111111@127.0.0.1:5062", countryCode: "+33") == "sip:+33611111111@127.0.0.1:5062")
        #expect(SIPBridgeService.recordNumber("anonymous", countryCode: "+33") == "anonymous")
        #expect(SIPBridgeService.recordNumber("0", countryCode: "+33") == "0")
        #expect(SIPBridgeService.recordNumber("1234", countryCode: "+33") == "1234")
    }
}
