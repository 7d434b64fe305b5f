import AlloRestoTestSupport
import Foundation
import SIPCore
import Testing

@Suite struct SIPMessageTests {
    static let invite = """
        INVITE sip:+33142601234@alloresto.example SIP/2.0\r
        v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1;rport, SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK-0\r
        Via: SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK-x\r
        f: "Jean" <sip:+33612345678@trunk.example>;tag=abc\r
        t: <sip:+33142601234@alloresto.example>\r
        i: call-1@10.0.0.1\r
        CSeq: 1 INVITE\r
        Subject: a folded\r
         header value\r
        m: <sip:+33612345678@10.0.0.1:5060>\r
        c: application/sdp\r
        l: 127\r
        \r
        v=0\r
        o=- 1 1 IN IP4 10.0.0.1\r
        s=-\r
        c=IN IP4 10.0.0.1\r
        t=0 0\r
        m=audio 40000 RTP/AVP 8 0 101\r
        a=rtpmap:101 telephone-event/8000\r

        """

    @Test func compactHeadersFoldingMultipleViaAndBody() throws {
        let m = try SIPMessage.parse(Array(Self.invite.utf8))
        #expect(m.method == "INVITE" && m.uri == "sip:+33142601234@alloresto.example")
        #expect(m.all("Via").count == 3)
        #expect(SIPHeader.parameter("branch", in: m.all("via")[0]) == "z9hG4bK-1")
        #expect(m["FROM"] == "\"Jean\" <sip:+33612345678@trunk.example>;tag=abc")
        #expect(SIPHeader.parameter("tag", in: m["From"]!) == "abc")
        #expect(SIPHeader.user(of: SIPHeader.uri(in: m["From"]!)) == "+33612345678")
        #expect(m["Subject"] == "a folded header value")
        #expect(m.cseq?.number == 1 && m.cseq?.method == "INVITE")
        #expect(m.body.count == 127)
        let sdp = try SDPSession.parse(String(decoding: m.body, as: UTF8.self))
        #expect(sdp.address == "10.0.0.1" && sdp.port == 40000)
        #expect(sdp.codecs.map(\.name) == ["PCMA", "PCMU", "telephone-event"])
        let chosen = try #require(sdp.negotiate())
        #expect(chosen.audio.name == "PCMU" && chosen.dtmf?.payloadType == 101)
        // Round trip: written with full names, parsed back equal.
        let again = try SIPMessage.parse(m.serialized())
        #expect(again == m)
        #expect(String(decoding: m.serialized(), as: UTF8.self).contains("Call-ID: call-1@10.0.0.1\r\n"))
    }

    @Test func malformedMessagesAreErrorsNotCrashes() throws {
        for bad in ["", "INVITE\r\n\r\n", "SIP/2.0 99 Nope\r\n\r\n", "INVITE sip:x SIP/2.0\r\nVia: x\r\n\r\n",
                    "INVITE sip:x SIP/2.0\r\nVia: a\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 50\r\n\r\nshort",
                    " folded first\r\n", "INVITE sip:x SIP/2.0\r\nBad Header Name: v\r\n\r\n",
                    // A request without its Request-URI (what a UAC sends when it lost the Contact).
                    "ACK  SIP/2.0\r\nVia: a\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 ACK\r\n\r\n"] {
            #expect(throws: SIPParseError.self) { try SIPMessage.parse(Array(bad.utf8)) }
        }
        // A datagram cut short inside its head (no empty line): refused, even when every required header made it.
        let whole = Array(Self.invite.utf8)
        let headEnd = try #require(whole.firstRange(of: Array("\r\n\r\n".utf8))).lowerBound
        #expect(throws: SIPParseError.self) { try SIPMessage.parse(Array(whole[..<(headEnd + 2)])) }
        #expect(throws: SIPParseError.self) { try SIPMessage.parse(Array(whole[..<headEnd])) }
        let bodyless = "OPTIONS sip:x SIP/2.0\r\nVia: a\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
        #expect(throws: SIPParseError.self) { try SIPMessage.parse(Array(bodyless.utf8)) }
        #expect(try SIPMessage.parse(Array((bodyless + "\r\n").utf8)).method == "OPTIONS")
    }

    @Test func digestMD5AndSHA256MatchTheRFCExamples() throws {
        // RFC 2617 §3.5 (MD5, qop=auth).
        let md5 = try #require(DigestChallenge.parse(#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#))
        #expect(md5.response(method: "GET", uri: "/dir/index.html", username: "Mufasa", password: "Circle Of Life", cnonce: "0a4f113b", nc: 1) == "6629fae49393a05397450978507c4ef1")
        // RFC 7616 §3.9.1 (SHA-256, qop=auth).
        let sha = try #require(DigestChallenge.parse(#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#))
        #expect(sha.algorithm == "SHA-256" && sha.supported)
        #expect(sha.response(method: "GET", uri: "/dir/index.html", username: "Mufasa", password: "Circle of Life", cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", nc: 1)
                == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
        let header = md5.authorization(method: "REGISTER", uri: "sip:host", username: "u", password: "p", cnonce: "c", nc: 2)
        #expect(header.contains("nc=00000002") && header.contains("qop=auth") && header.contains(#"opaque="5ccc069c403ebaf9f0171e9517f40e41""#))
    }

    @Test func g711RoundTripsAndTranscodes() {
        for u in 0...255 where u != 0x7F {
            let code = UInt8(u)
            #expect(G711.linearToUlaw(G711.ulawToLinear(code)) == code || G711.ulawToLinear(code) == 0)
        }
        for a in 0...255 {
            #expect(G711.linearToAlaw(G711.alawToLinear(UInt8(a))) == UInt8(a))
        }
        #expect(G711.ulawToLinear(0xFF) == 0 && G711.ulawToLinear(0x00) == -32124)
        #expect(G711.alawToUlaw(G711.ulawToAlaw([0x80, 0x10])).count == 2)
    }

    @Test func rtpPacketsDTMFAndTheJitterBuffer() throws {
        let p = RTPPacket(payloadType: 0, marker: true, sequence: 65535, timestamp: 160, ssrc: 0xDEADBEEF, payload: Array(repeating: 0xFF, count: 160))
        #expect(RTPPacket.parse(p.serialized()) == p)
        #expect(RTPPacket.parse([0x80, 0]) == nil)
        let dtmf = try #require(DTMFEvent.parse([11, 0x8A, 0x03, 0x20]))
        #expect(dtmf.digit == "#" && dtmf.end && dtmf.duration == 800)
        var jb = JitterBuffer(depth: 3)
        func pkt(_ s: UInt16) -> RTPPacket { RTPPacket(payloadType: 0, sequence: s, timestamp: 0, ssrc: 1, payload: [UInt8(s & 0xFF)]) }
        #expect(jb.push(pkt(10)).map(\.sequence) == [10])
        #expect(jb.push(pkt(12)).isEmpty)                        // 11 missing: wait
        #expect(jb.push(pkt(11)).map(\.sequence) == [11, 12])    // reordered
        #expect(jb.push(pkt(11)).isEmpty && jb.dropped == 1)     // duplicate
        #expect(jb.push(pkt(14)).isEmpty)
        #expect(jb.push(pkt(15)).isEmpty)
        #expect(jb.push(pkt(16)).map(\.sequence) == [14, 15, 16]) // 13 lost: skipped after the window
        var wrap = JitterBuffer()
        #expect(wrap.push(pkt(65535)).count == 1 && wrap.push(pkt(0)).count == 1)
    }

    /// 100,000 malformed, truncated or random datagrams: every one is an error or a message, never a crash.
    @Test func fuzzedDatagramsNeverCrash() {
        var rng = SeededGenerator(seed: 42)
        let base = Array(SIPMessageTests.invite.utf8)
        var parsed = 0
        for i in 0..<100_000 {
            var bytes: [UInt8]
            switch i % 4 {
            case 0: bytes = Array(base.prefix(Int(rng.next() % UInt64(base.count))))
            case 1:
                bytes = base
                for _ in 0..<(1 + Int(rng.next() % 8)) { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            case 2: bytes = (0..<Int(rng.next() % 512)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            default:
                bytes = base
                let cut = Int(rng.next() % UInt64(bytes.count))
                bytes.insert(contentsOf: Array("\r\nX: \(rng.next())\r\n".utf8), at: cut)
            }
            if (try? SIPMessage.parse(bytes)) != nil { parsed += 1 }
            _ = RTPPacket.parse(bytes)
            _ = DigestChallenge.parse(String(decoding: bytes, as: UTF8.self))
            _ = try? SDPSession.parse(String(decoding: bytes, as: UTF8.self))
        }
        #expect(parsed > 0 && parsed < 100_000)
    }
}
