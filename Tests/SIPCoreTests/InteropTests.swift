import Foundation
import SIPCore
import Testing

/// What real trunks, SBCs and PBXs send: hold in its three spellings, several values in one header, a new SSRC.
@Suite struct InteropTests {
    static func sdp(session: String = "", media: String = "", address: String = "203.0.113.7", port: Int = 40000) -> String {
        "v=0\r\no=pbx 1 2 IN IP4 \(address)\r\ns=-\r\nc=IN IP4 \(address)\r\nt=0 0\r\n\(session)m=audio \(port) RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n\(media)"
    }

    /// RFC 3264 §6.1 and §8.4: the answer's direction mirrors the offer's; media level wins over session level;
    /// `c=0.0.0.0` (RFC 2543 hold) without a direction is inactive.
    @Test(arguments: [
        ("a=sendonly\r\n", SDPSession.Direction.sendonly, SDPSession.Direction.recvonly),
        ("a=recvonly\r\n", .recvonly, .sendonly),
        ("a=inactive\r\n", .inactive, .inactive),
        ("a=sendrecv\r\n", .sendrecv, .sendrecv),
        ("", .sendrecv, .sendrecv),
    ])
    func holdDirectionsAndTheirAnswers(_ line: String, _ offered: SDPSession.Direction, _ answered: SDPSession.Direction) throws {
        let media = try SDPSession.parse(Self.sdp(media: line))
        #expect(media.direction == offered && media.direction.answer == answered)
        // The same attribute at session level (before m=), and a media-level one winning over it.
        #expect(try SDPSession.parse(Self.sdp(session: line)).direction == offered)
        #expect(try SDPSession.parse(Self.sdp(session: "a=inactive\r\n", media: line)).direction == (line.isEmpty ? .inactive : offered))
    }

    @Test func zeroAddressHoldAndOurAnswerBody() throws {
        let hold = try SDPSession.parse(Self.sdp(address: "0.0.0.0"))
        #expect(hold.direction == .inactive && !hold.direction.answer.weSend)
        let body = SDPSession.body(address: "192.0.2.1", port: 30000, audio: [.init(payloadType: 0, name: "PCMU")], dtmf: nil, sessionId: 7, version: 3, direction: .recvonly)
        #expect(body.contains("o=alloresto 7 3 IN IP4 192.0.2.1") && body.contains("a=recvonly") && !body.contains("a=sendrecv"))
    }

    @Test func headersWithSeveralValues() {
        #expect(SIPHeader.split("<sip:a@x;lr>, <sip:b@y;lr>") == ["<sip:a@x;lr>", "<sip:b@y;lr>"])
        #expect(SIPHeader.split(#""Doe, John" <sip:j@x>;expires=60, <sip:k@y>;expires=3600"#) == [#""Doe, John" <sip:j@x>;expires=60"#, "<sip:k@y>;expires=3600"])
        #expect(SIPHeader.split("  ") == [])
    }

    /// After a transfer the far end switches SSRC with an unrelated sequence number: the new stream is played,
    /// not dropped as late (RFC 3550 §8.2).
    /// Comfort noise (RFC 3389) and telephone events (RFC 4733) take sequence numbers of the audio stream: pushed
    /// without audio, they keep the buffer from waiting for them as lost; a new SSRC releases what the old stream
    /// still held, in order, before starting again.
    @Test func comfortNoiseAndEventsKeepTheSequenceAndANewSourceReleasesTheOld() {
        var j = JitterBuffer(depth: 3)
        func audio(_ seq: UInt16, ssrc: UInt32 = 1) -> RTPPacket { RTPPacket(payloadType: 0, sequence: seq, timestamp: UInt32(seq) * 160, ssrc: ssrc, payload: [UInt8(seq & 0xff)]) }
        func marker(_ seq: UInt16, _ type: UInt8) -> RTPPacket { RTPPacket(payloadType: type, sequence: seq, timestamp: UInt32(seq) * 160, ssrc: 1, payload: []) }
        #expect(j.push(audio(10)).map(\.sequence) == [10])
        #expect(j.push(marker(11, 13)).map(\.sequence) == [11])
        #expect(j.push(audio(12)).map(\.sequence) == [12], "no wait after comfort noise")
        #expect(j.push(marker(13, 101)).map(\.sequence) == [13])
        #expect(j.push(audio(15)).isEmpty, "waits for 14")
        #expect(j.push(audio(500, ssrc: 2)).map(\.sequence) == [15, 500], "the old stream's packet first, then the new one")
        #expect(j.push(audio(501, ssrc: 2)).map(\.sequence) == [501])
        #expect(j.dropped == 0 && j.sourceChanges == 1)
    }

    @Test func aNewSSRCRestartsTheReceiveSide() {
        var jitter = JitterBuffer(depth: 3)
        var out: [RTPPacket] = []
        for n in 0..<5 { out += jitter.push(RTPPacket(payloadType: 0, sequence: UInt16(30_000 + n), timestamp: UInt32(n * 160), ssrc: 0xAAAA, payload: [UInt8(n)])) }
        // The new leg starts "behind" the old sequence numbers.
        for n in 0..<5 { out += jitter.push(RTPPacket(payloadType: 0, sequence: UInt16(100 + n), timestamp: UInt32(n * 160), ssrc: 0xBBBB, payload: [UInt8(10 + n)])) }
        #expect(out.map { $0.payload[0] } == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14])
        #expect(jitter.dropped == 0 && jitter.sourceChanges == 1)
    }

    /// SDP lines cut short where a split would come back empty (`m=audio / …`, `a=rtpmap:0 /`): an error or the
    /// line ignored, never a trap.
    @Test(arguments: [
        "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio / RTP/AVP 0\r\n",
        "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 /\r\n",
        "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000/2 RTP/AVP 0\r\na=rtpmap:8 /8000\r\na=ptime:\r\na=maxptime:99999999999999999999\r\n",
        "m=\r\nc=\r\na=\r\n",
    ])
    func truncatedSDPLinesAreNeverATrap(_ text: String) {
        if let parsed = try? SDPDescription.parse(text) { _ = parsed.choice() }
        _ = try? SDPSession.parse(text)
    }

    /// A body trickled in after its head is complete is framed once it is all there.
    @Test func aBodyArrivingLaterIsFramed() throws {
        var framer = SIPStreamFramer()
        let head = Array("INFO sip:a SIP/2.0\r\nContent-Length: 6\r\n\r\n".utf8)
        #expect(try framer.append(head + Array("Sig".utf8)).isEmpty)
        #expect(try framer.append(Array("nal".utf8)) == [head + Array("Signal".utf8)])
    }

    /// `--rx-gain`/`--tx-gain` tables: 0 dB (or not a finite number within ±40 dB) is no table — the audio stays
    /// bit-exact; +6 dB about doubles a sample; full scale clips instead of wrapping; −6 dB about halves.
    @Test func gainTables() throws {
        #expect(G711.ulawGainTable(dB: 0) == nil && G711.ulawGainTable(dB: .nan) == nil && G711.ulawGainTable(dB: 41) == nil)
        let up = try #require(G711.ulawGainTable(dB: 6)), down = try #require(G711.ulawGainTable(dB: -6))
        let mid = G711.linearToUlaw(1000)
        let louder = Double(G711.ulawToLinear(up[Int(mid)])), quieter = Double(G711.ulawToLinear(down[Int(mid)]))
        #expect(abs(louder / Double(G711.ulawToLinear(mid)) - 1.995) < 0.1 && abs(quieter / Double(G711.ulawToLinear(mid)) - 0.501) < 0.05)
        let loudest = G711.linearToUlaw(32000)
        #expect(G711.ulawToLinear(up[Int(loudest)]) == G711.ulawToLinear(G711.linearToUlaw(32767)), "clipped at full scale")
        #expect(G711.ulawToLinear(up[Int(G711.linearToUlaw(-32000))]) < -30_000, "negative full scale clips too")
    }
}
