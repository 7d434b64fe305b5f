import Foundation
import SIPCore
import Testing

/// The transaction, dialog, offer/answer and registration machines driven without sockets or clocks: each test feeds
/// events (a message, a timer) and checks the actions (RFC 3261 §10, §12, §13, §17; RFC 6026; RFC 3264; RFC 3311).
@Suite struct StateMachineTests {
    static func request(_ method: String, branch: String = "z9hG4bKabc", cseq: Int = 1, extra: [(String, String)] = [], body: String = "") -> SIPMessage {
        SIPMessage(.request(method: method, uri: "sip:bob@192.0.2.9:5080"), headers: [
            ("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=\(branch)"), ("From", "<sip:alice@a.test>;tag=alice1"), ("To", "<sip:bob@b.test>"),
            ("Call-ID", "call-1@a.test"), ("CSeq", "\(cseq) \(method)"), ("Contact", "<sip:alice@192.0.2.1:5060>"),
        ] + extra, body: Array(body.utf8))
    }

    static func response(_ code: Int, to request: SIPMessage, toTag: String? = "bob1", extra: [(String, String)] = []) -> SIPMessage {
        var headers: [(String, String)] = request.all("Via").map { ("Via", $0) }
        headers += [("From", request["From"]!), ("To", request["To"]! + (toTag.map { ";tag=\($0)" } ?? "")), ("Call-ID", request.callId!),
                    ("CSeq", request["CSeq"]!)]
        return SIPMessage(.response(code: code, reason: "R"), headers: headers + extra)
    }

    static func sent(_ actions: [TransactionAction]) -> [SIPMessage] {
        actions.compactMap { if case .send(let m) = $0 { m } else { nil } }
    }

    static func started(_ actions: [TransactionAction]) -> [TransactionTimer: Duration] {
        var out: [TransactionTimer: Duration] = [:]
        for case .startTimer(let t, let d) in actions { out[t] = d }
        return out
    }

    // MARK: client transactions

    /// INVITE over UDP (§17.1.1.2): A doubles from T1 while Calling, B ends it with a timeout after 64·T1.
    @Test func inviteClientRetransmitsWithTimerADoublingThenTimesOutWithB() {
        var t = ClientTransaction(request: Self.request("INVITE"))
        let first = t.start()
        #expect(Self.sent(first).count == 1 && Self.started(first) == [.a: .milliseconds(500), .b: .seconds(32)])
        var intervals: [Duration] = []
        for _ in 0..<6 {
            let a = t.timerFired(.a)
            #expect(Self.sent(a).count == 1)
            intervals += Self.started(a).values
        }
        #expect(intervals == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(32)])
        #expect(t.timerFired(.b) == [.cancelTimer(.a), .timedOut, .terminated] && t.state == .terminated)
        #expect(t.timerFired(.a).isEmpty, "no retransmission once terminated")
    }

    /// Over TCP/TLS there is no retransmission at all (§17.1.1.2: A only for unreliable transports), D is zero.
    @Test func inviteClientOverAReliableTransportNeverRetransmits() {
        var t = ClientTransaction(request: Self.request("INVITE"), reliable: true)
        #expect(Self.started(t.start()) == [.b: .seconds(32)])
        let busy = t.receive(Self.response(486, to: t.request))
        #expect(Self.started(busy) == [.d: .zero] && t.state == .completed)
    }

    /// 1xx stops A (Proceeding); a non-2xx final is ACKed by the transaction with the response's To tag, the same
    /// branch and CSeq number (§17.1.1.3), and a retransmitted final gets the ACK again.
    @Test func inviteClientACKsAFailureItselfAndAgainForItsRetransmission() throws {
        var t = ClientTransaction(request: Self.request("INVITE", cseq: 7, extra: [("Route", "<sip:proxy.test;lr>")]))
        _ = t.start()
        #expect(t.receive(Self.response(180, to: t.request)) == [.cancelTimer(.a), .deliver(Self.response(180, to: t.request))])
        #expect(t.state == .proceeding)
        let busy = Self.response(486, to: t.request)
        let actions = t.receive(busy)
        let ack = try #require(Self.sent(actions).first)
        #expect(ack.method == "ACK" && ack.uri == "sip:bob@192.0.2.9:5080" && ack["CSeq"] == "7 ACK")
        #expect(SIPHeader.parameter("branch", in: ack["Via"]!) == "z9hG4bKabc" && SIPHeader.parameter("tag", in: ack["To"]!) == "bob1")
        #expect(ack["Route"] == "<sip:proxy.test;lr>")
        #expect(actions.contains(.deliver(busy)) && Self.started(actions) == [.d: .seconds(32)])
        #expect(Self.sent(t.receive(busy)) == [ack], "a retransmitted 486 is ACKed again, not delivered")
        #expect(t.timerFired(.d) == [.terminated])
    }

    /// RFC 6026: after a 2xx the transaction is Accepted for 64·T1 and passes every further 2xx (retransmissions,
    /// other forks) to the user, who ACKs them.
    @Test func inviteClientAcceptedStatePassesEvery2xxToTheUser() {
        var t = ClientTransaction(request: Self.request("INVITE"))
        _ = t.start()
        let ok = Self.response(200, to: t.request)
        #expect(t.receive(ok) == [.cancelTimer(.a), .cancelTimer(.b), .startTimer(.m, .seconds(32)), .deliver(ok)])
        #expect(t.receive(ok) == [.deliver(ok)])
        #expect(t.timerFired(.m) == [.terminated])
    }

    /// Non-INVITE (§17.1.2.2): E doubles up to T2 while Trying and stays at T2 once Proceeding; a final response
    /// completes it (K = T4 over UDP), retransmitted finals are absorbed; F times it out.
    @Test func nonInviteClientTimersEFAndK() {
        var t = ClientTransaction(request: Self.request("BYE"))
        #expect(Self.started(t.start()) == [.e: .milliseconds(500), .f: .seconds(32)])
        var intervals: [Duration] = []
        for _ in 0..<4 { intervals += Self.started(t.timerFired(.e)).values }
        #expect(intervals == [.seconds(1), .seconds(2), .seconds(4), .seconds(4)])
        _ = t.receive(Self.response(100, to: t.request))
        #expect(Self.started(t.timerFired(.e)) == [.e: .seconds(4)])
        let ok = Self.response(200, to: t.request)
        #expect(t.receive(ok) == [.cancelTimer(.e), .cancelTimer(.f), .startTimer(.k, .seconds(5)), .deliver(ok)])
        #expect(t.receive(ok).isEmpty && t.timerFired(.k) == [.terminated])

        var lost = ClientTransaction(request: Self.request("OPTIONS"))
        _ = lost.start()
        #expect(lost.timerFired(.f) == [.cancelTimer(.e), .timedOut, .terminated])
    }

    // MARK: server transactions

    /// INVITE server with a 2xx (§13.3.1.4 with RFC 6026): the 2xx is retransmitted from T1 doubling to T2 until
    /// the ACK; a retransmitted INVITE is absorbed in Accepted; no ACK by timer L → `ackTimedOut`.
    @Test func inviteServerRetransmitsIts2xxUntilTheACKOrGivesUpAtL() {
        let invite = Self.request("INVITE")
        var t = ServerTransaction(request: invite)
        let trying = Self.response(100, to: invite, toTag: nil)
        #expect(t.respond(trying) == [.send(trying)])
        #expect(t.receive(invite) == [.send(trying)], "a retransmitted INVITE gets the last provisional again")
        let ok = Self.response(200, to: invite)
        #expect(t.respond(ok) == [.send(ok), .startTimer(.g, .milliseconds(500)), .startTimer(.l, .seconds(32))])
        #expect(t.receive(invite).isEmpty, "absorbed once accepted")
        var intervals: [Duration] = []
        for _ in 0..<5 {
            let g = t.timerFired(.g)
            #expect(Self.sent(g) == [ok])
            intervals += Self.started(g).values
        }
        #expect(intervals == [.seconds(1), .seconds(2), .seconds(4), .seconds(4), .seconds(4)])
        #expect(t.timerFired(.l) == [.cancelTimer(.g), .ackTimedOut, .terminated])

        var acked = ServerTransaction(request: invite)
        _ = acked.respond(ok)
        let ack = Self.request("ACK", branch: "z9hG4bKack")
        #expect(acked.receive(ack) == [.cancelTimer(.g), .acknowledged(ack)])
        #expect(acked.receive(ack).isEmpty, "a retransmitted ACK is absorbed")
        #expect(acked.timerFired(.g).isEmpty && acked.timerFired(.l) == [.terminated])
    }

    /// INVITE server with a failure (§17.2.1): G retransmits it over UDP (not over TCP), H gives up, the ACK
    /// confirms and I absorbs ACK retransmissions; a retransmitted INVITE in Completed gets the failure again.
    @Test func inviteServerFailureIsRetransmittedUntilACKed() {
        let invite = Self.request("INVITE")
        var t = ServerTransaction(request: invite)
        let busy = Self.response(486, to: invite)
        #expect(Self.started(t.respond(busy)) == [.g: .milliseconds(500), .h: .seconds(32)])
        #expect(t.receive(invite) == [.send(busy)])
        #expect(Self.sent(t.timerFired(.g)) == [busy])
        let ack = Self.request("ACK")
        #expect(t.receive(ack) == [.cancelTimer(.g), .cancelTimer(.h), .startTimer(.i, .seconds(5)), .acknowledged(ack)])
        #expect(t.state == .confirmed && t.timerFired(.i) == [.terminated])

        var tcp = ServerTransaction(request: invite, reliable: true)
        #expect(Self.started(tcp.respond(busy)) == [.h: .seconds(32)])
        #expect(tcp.timerFired(.h) == [.cancelTimer(.g), .ackTimedOut, .terminated])
    }

    /// Non-INVITE server (§17.2.2): a retransmitted request gets the last response again, J keeps it 64·T1 over
    /// UDP and zero over TCP.
    @Test func nonInviteServerAnswersRetransmissionsUntilJ() {
        let bye = Self.request("BYE", cseq: 2)
        var t = ServerTransaction(request: bye)
        #expect(t.receive(bye).isEmpty, "nothing sent yet: absorbed in Trying")
        let ok = Self.response(200, to: bye)
        #expect(t.respond(ok) == [.send(ok), .startTimer(.j, .seconds(32))])
        #expect(t.receive(bye) == [.send(ok)])
        #expect(t.timerFired(.j) == [.terminated])
        var tcp = ServerTransaction(request: bye, reliable: true)
        #expect(Self.started(tcp.respond(ok)) == [.j: .zero])
    }

    // MARK: dialogs

    /// UAS dialog (§12.1.1): the route set is the Record-Route in order, the remote target the Contact; our BYE
    /// goes to the remote target with the routes (loose) or to a strict router with the target as last Route.
    @Test func uasDialogBuildsInDialogRequestsWithTheRouteSet() {
        let invite = Self.request("INVITE", cseq: 3, extra: [("Record-Route", "<sip:p1.test;lr>"), ("Record-Route", "<sip:p2.test;lr>")])
        var d = Dialog(uas: invite, localTag: "ours", localSequence: 100)
        let (bye, hop) = d.request("BYE", via: "SIP/2.0/UDP 192.0.2.9:5080;branch=z9hG4bKb")
        #expect(bye.uri == "sip:alice@192.0.2.1:5060" && bye.all("Route") == ["<sip:p1.test;lr>", "<sip:p2.test;lr>"] && hop == "sip:p1.test;lr")
        #expect(bye["From"] == "<sip:bob@b.test>;tag=ours" && bye["To"] == "<sip:alice@a.test>;tag=alice1" && bye["CSeq"] == "101 BYE")

        let strict = Self.request("INVITE", extra: [("Record-Route", "<sip:strict.test>"), ("Record-Route", "<sip:p2.test;lr>")])
        var s = Dialog(uas: strict, localTag: "ours")
        let (sb, shop) = s.request("BYE", via: "SIP/2.0/UDP h;branch=z9hG4bKc")
        #expect(sb.uri == "sip:strict.test" && sb.all("Route") == ["<sip:p2.test;lr>", "<sip:alice@192.0.2.1:5060>"] && shop == "sip:strict.test")
    }

    /// UAC dialog (§12.1.2): the route set is the 2xx's Record-Route reversed, the remote target its Contact.
    @Test func uacDialogReversesTheRecordRoute() {
        let invite = Self.request("INVITE")
        let ok = Self.response(200, to: invite, extra: [("Record-Route", "<sip:p2.test;lr>, <sip:p1.test;lr>"), ("Contact", "<sip:bob@198.51.100.4:5070>")])
        var d = Dialog(uac: invite, response: ok)
        let (bye, hop) = d.request("BYE", via: "v")
        #expect(d.routeSet == ["<sip:p1.test;lr>", "<sip:p2.test;lr>"] && hop == "sip:p1.test;lr" && bye.uri == "sip:bob@198.51.100.4:5070")
        #expect(bye["CSeq"] == "2 BYE" && bye["To"] == "<sip:bob@b.test>;tag=bob1" && bye["From"] == "<sip:alice@a.test>;tag=alice1")
    }

    /// §12.2.2: a request with a lower CSeq than the last is out of order; a re-INVITE or UPDATE with a Contact
    /// moves the remote target (target refresh), a BYE does not.
    @Test func dialogChecksCSeqAndRefreshesTheTarget() {
        var d = Dialog(uas: Self.request("INVITE", cseq: 5), localTag: "ours")
        #expect(d.receive(Self.request("INFO", cseq: 4)) == .outOfOrder)
        let update = Self.request("UPDATE", cseq: 6, extra: []).replacing("Contact", with: "<sip:alice@203.0.113.50:5062>")
        #expect(d.receive(update) == .accept && d.remoteTarget == "sip:alice@203.0.113.50:5062")
        #expect(d.receive(Self.request("ACK", cseq: 5)) == .accept, "ACK carries the INVITE's number")
        let bye = Self.request("BYE", cseq: 7).replacing("Contact", with: "<sip:elsewhere@203.0.113.99>")
        #expect(d.receive(bye) == .accept && d.remoteTarget == "sip:alice@203.0.113.50:5062")
    }

    // MARK: offer/answer

    static let twoStreams = """
        v=0\r\no=cucm 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n\
        m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\n\
        m=audio 4002 RTP/AVP 18 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=maxptime:40\r\n\
        m=video 4004 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n
        """

    /// RFC 3264 §6: every offered m= line is answered in order; the plain-RTP audio line with a codec we take is
    /// ours (static type 8 without rtpmap), the SRTP one and the video get port 0.
    @Test func theAnswerHasOneLinePerOfferedStreamInOrder() throws {
        let offer = try SDPDescription.parse(Self.twoStreams)
        let chosen = try #require(offer.choice())
        #expect(chosen.index == 1 && chosen.audio.name == "PCMA" && chosen.dtmf?.payloadType == 101 && chosen.session.maxptime == 40)
        let answer = offer.answer(choosing: chosen.index, address: "192.0.2.9", port: 30000, audio: chosen.audio, dtmf: chosen.dtmf,
                                  sessionId: 1, version: 1, direction: .sendrecv)
        let lines = answer.split(separator: "\r\n").filter { $0.hasPrefix("m=") }
        #expect(lines == ["m=audio 0 RTP/SAVP 0", "m=audio 30000 RTP/AVP 8 101", "m=video 0 RTP/AVP 96"])
        // SRTP or DTLS-SRTP only: nothing we can take.
        let secure = try SDPDescription.parse("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5 UDP/TLS/RTP/SAVPF 0\r\nm=audio 6 RTP/SAVP 8\r\n")
        #expect(secure.choice() == nil)
    }

    /// RFC 3311 §5.2 / RFC 3261 §14.2: an offer while ours is outstanding is glare (491); a second offer before
    /// we answered the first is 500 (with Retry-After).
    @Test func offerAnswerGlareAndPending() {
        var o = OfferAnswer()
        let sent = o.offerSent()
        #expect(sent)
        let crossing = o.offerReceived()
        #expect(crossing == .glare)
        o.offerWithdrawn()
        let first = o.offerReceived(), second = o.offerReceived(), ours = o.offerSent()
        #expect(first == .accept && second == .pending && !ours)
        o.answerSent()
        #expect(o.state == .stable && o.established)
    }

    /// Delayed offer: our offer in the 2xx, the answer in the ACK; an ACK without SDP or without a codec we
    /// offered ends the call with BYE.
    @Test func delayedOfferTakesTheAnswerFromTheACKOrHangsUp() throws {
        let ours = [SDPSession.Codec(payloadType: 0, name: "PCMU"), SDPSession.Codec(payloadType: 8, name: "PCMA")]
        var s = InviteSession()
        s.invited(withOffer: false)
        s.answered()
        #expect(s.delayedOffer && s.negotiation.state == .localOffer)
        let answer = "v=0\r\nc=IN IP4 198.51.100.7\r\nm=audio 4002 RTP/AVP 8\r\n"
        let actions = s.acknowledged(body: Array(answer.utf8), offered: ours)
        #expect(actions == [.startMedia(try SDPDescription.parse(answer))] && s.phase == .confirmed && s.negotiation.established)

        var empty = InviteSession()
        empty.invited(withOffer: false)
        empty.answered()
        #expect(empty.acknowledged(body: [], offered: ours) == [.sendBye("no answer in the ACK")])
        var g729 = InviteSession()
        g729.invited(withOffer: false)
        g729.answered()
        #expect(g729.acknowledged(body: Array("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP 18\r\n".utf8), offered: ours) == [.sendBye("no common codec in the ACK")])
    }

    /// RFC 3261 §15: no BYE before the ACK of our 2xx — a hang-up meanwhile waits for the ACK, or for the ACK's
    /// timeout.
    @Test func noBYEBeforeTheACK() {
        var s = InviteSession()
        s.invited(withOffer: true)
        s.answered()
        #expect(s.hangUp("worker hung up").isEmpty)
        #expect(s.acknowledged(body: [], offered: []) == [.sendBye("worker hung up")])
        var never = InviteSession()
        never.invited(withOffer: true)
        never.answered()
        #expect(never.hangUp("max duration").isEmpty && never.ackTimedOut() == [.sendBye("max duration")])
        var confirmed = InviteSession()
        confirmed.invited(withOffer: true)
        confirmed.answered()
        _ = confirmed.acknowledged(body: [], offered: [])
        #expect(confirmed.hangUp("done") == [.sendBye("done")] && confirmed.hangUp("again").isEmpty)
    }

    // MARK: registration

    static func registration(expires: Int = 300) -> Registration {
        let counter = Counter()
        return Registration(line: .init(domain: "trunk.test", username: "line1", password: "secret", expires: expires, contact: "sip:line1@192.0.2.9:5080"),
                            callId: "reg-1", tag: "t1", branch: { "z9hG4bK\(counter.next())" })
    }

    final class Counter: @unchecked Sendable {
        var n = 0
        func next() -> Int { n += 1; return n }
    }

    static func sentRegister(_ actions: [Registration.Action]) -> SIPMessage? {
        actions.compactMap { if case .send(let m) = $0 { m } else { nil } }.first
    }

    static let via = "SIP/2.0/UDP 192.0.2.9:5080"

    /// Challenge, answer, 200: our own binding's expiry among several Contacts, refresh at 80 % (≥ 30 s early).
    @Test func registrationAnswersTheChallengeAndRefreshesBeforeExpiry() throws {
        var r = Self.registration()
        let first = try #require(Self.sentRegister(r.start(via: Self.via)))
        #expect(first["Expires"] == "300" && first["Authorization"] == nil && first["CSeq"] == "1 REGISTER" && r.state == .registering)
        let challenge = Self.response(401, to: first, extra: [("WWW-Authenticate", "Digest realm=\"trunk.test\", nonce=\"n1\", qop=\"auth\"")])
        let second = try #require(Self.sentRegister(r.receive(challenge, via: Self.via, cnonce: "c1")))
        #expect(second["CSeq"] == "2 REGISTER" && second["Authorization"]?.contains("nonce=\"n1\"") == true)
        let ok = Self.response(200, to: second, extra: [("Contact", "<sip:line1@198.51.100.3:5060>;expires=42, <sip:line1@192.0.2.9:5080;transport=udp>;expires=600")])
        #expect(r.receive(ok, via: Self.via, cnonce: "c1") == [.wait(.seconds(480))] && r.state == .registered(expires: 600))
        // A refresh starts without the old credentials.
        #expect(Self.sentRegister(r.start(via: Self.via))?["Authorization"] == nil)
    }

    /// A stale nonce is answered at once with the new one; the same nonce refused again means a wrong password:
    /// the line is refused and waits half an hour instead of hammering.
    @Test func staleNonceIsRetriedAtOnceAWrongPasswordIsNotHammered() throws {
        var r = Self.registration()
        let first = try #require(Self.sentRegister(r.start(via: Self.via)))
        let c1 = Self.response(401, to: first, extra: [("WWW-Authenticate", "Digest realm=\"t\", nonce=\"n1\"")])
        let second = try #require(Self.sentRegister(r.receive(c1, via: Self.via, cnonce: "c")))
        let stale = Self.response(401, to: second, extra: [("WWW-Authenticate", "Digest realm=\"t\", nonce=\"n2\", stale=true")])
        let third = try #require(Self.sentRegister(r.receive(stale, via: Self.via, cnonce: "c")))
        #expect(third["Authorization"]?.contains("nonce=\"n2\"") == true)
        let again = Self.response(401, to: third, extra: [("WWW-Authenticate", "Digest realm=\"t\", nonce=\"n2\"")])
        #expect(r.receive(again, via: Self.via, cnonce: "c") == [.wait(Registration.refusedRetry)] && r.state.label == "refused")
    }

    /// 403 and 404 are a refused line (clear state, no hammering); 423 asks again at once with Min-Expires; a 503
    /// with Retry-After waits that long; no answer backs off 5 s, 10 s, 20 s…
    @Test func refusalsIntervalTooBriefAndBackoff() throws {
        for code in [403, 404] {
            var r = Self.registration()
            let req = try #require(Self.sentRegister(r.start(via: Self.via)))
            #expect(r.receive(Self.response(code, to: req), via: Self.via, cnonce: "c") == [.wait(.seconds(1800))])
            guard case .refused(let why) = r.state else { Issue.record("\(r.state)"); continue }
            #expect(why.contains(String(code)))
        }
        var r = Self.registration()
        let req = try #require(Self.sentRegister(r.start(via: Self.via)))
        let retried = try #require(Self.sentRegister(r.receive(Self.response(423, to: req, extra: [("Min-Expires", "3600")]), via: Self.via, cnonce: "c")))
        #expect(retried["Expires"] == "3600")
        #expect(r.receive(Self.response(503, to: retried, extra: [("Retry-After", "120")]), via: Self.via, cnonce: "c") == [.wait(.seconds(120))])
        var waits: [Registration.Action] = []
        for _ in 0..<3 {
            _ = r.start(via: Self.via)
            waits += r.timedOut()
        }
        #expect(waits == [.wait(.seconds(10)), .wait(.seconds(20)), .wait(.seconds(40))], "the 503 counted as the first failure")
        #expect(r.state == .failed("no answer from the registrar"))
    }

    /// Shutdown: a registered line sends Expires 0 and is done when answered (or not); an unregistered one sends
    /// nothing.
    @Test func unregisterOnShutdown() throws {
        var r = Self.registration()
        let req = try #require(Self.sentRegister(r.start(via: Self.via)))
        _ = r.receive(Self.response(200, to: req, extra: [("Expires", "300")]), via: Self.via, cnonce: "c")
        let bye = try #require(Self.sentRegister(r.stop(via: Self.via)))
        #expect(bye["Expires"] == "0")
        #expect(r.receive(Self.response(200, to: bye), via: Self.via, cnonce: "c") == [.done] && r.state == .unregistered)
        var idle = Self.registration()
        #expect(idle.stop(via: Self.via) == [.done])
    }
}

extension SIPMessage {
    /// A copy with one header's value replaced.
    func replacing(_ name: String, with value: String) -> SIPMessage {
        var copy = self
        copy.headers = headers.map { $0.name == SIPMessage.canonical(name) ? ($0.name, value) : $0 }
        return copy
    }
}

/// A blind transfer by REFER from the transferor's side (RFC 3515), and the NOTIFYs it reads (RFC 3420 sipfrag).
@Suite struct BlindTransferTests {
    static func notify(event: String = "refer", state: String = "active;expires=60", body: String) -> SIPMessage {
        let text = "NOTIFY sip:bridge@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-n\r\nFrom: <sip:a@x>;tag=1\r\n"
            + "To: <sip:b@y>;tag=2\r\nCall-ID: c\r\nCSeq: 2 NOTIFY\r\no: \(event)\r\nSubscription-State: \(state)\r\n"
            + "Content-Type: message/sipfrag;version=2.0\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        return try! SIPMessage.parse(Array(text.utf8))
    }

    /// The sipfrag's status line and the subscription state are read (the compact `o` Event name and an `;id=`
    /// parameter included); another event, a body without a status line or an out-of-range code is not a REFER
    /// progress.
    @Test func notifiesAreRead() {
        #expect(ReferProgress.parse(Self.notify(body: "SIP/2.0 100 Trying\r\n")) == ReferProgress(statusCode: 100, terminated: false))
        #expect(ReferProgress.parse(Self.notify(event: "refer;id=93809824", state: "terminated;reason=noresource", body: "SIP/2.0 200 OK"))
            == ReferProgress(statusCode: 200, terminated: true))
        #expect(ReferProgress.parse(Self.notify(body: "SIP/2.0 486 Busy Here\r\nVia: x\r\n")) == ReferProgress(statusCode: 486, terminated: false))
        #expect(ReferProgress.parse(Self.notify(event: "presence", body: "SIP/2.0 200 OK")) == nil)
        #expect(ReferProgress.parse(Self.notify(body: "")) == nil)
        #expect(ReferProgress.parse(Self.notify(body: "HTTP/1.1 200 OK")) == nil)
        #expect(ReferProgress.parse(Self.notify(body: "SIP/2.0 99 Early")) == nil)
        #expect(ReferProgress.parse(Self.notify(body: "SIP/2.0 2000 OK")) == nil)
    }

    /// The target busy (486, 600) or not answering (408, 480, 487), as the NOTIFY reports: the transfer fails without
    /// a bridged attempt (calling it again would not help); the REFER is then over.
    @Test func anUnreachableTargetFailsTheTransfer() {
        for (code, reason) in [(486, "busy (486)"), (600, "busy (600)"), (480, "did not answer (480)"), (408, "did not answer (408)"), (487, "did not answer (487)")] {
            var t = BlindTransfer()
            _ = t.referAnswered(202)
            #expect(t.notified(ReferProgress(statusCode: code, terminated: true)) == .fail(reason: "the transfer target \(code == 486 || code == 600 ? "is " : "")\(reason)"))
            #expect(!t.isOpen && t.timedOut() == .none)
        }
    }

    /// 202 then NOTIFY 100 then 200: the transferor hangs up. A NOTIFY before the 202 (UDP reorders) counts.
    @Test func acceptedThenSucceeded() {
        var t = BlindTransfer()
        #expect(t.referAnswered(202) == .none && t.state == .accepted)
        #expect(t.notified(ReferProgress(statusCode: 100, terminated: false)) == .none)
        #expect(t.notified(ReferProgress(statusCode: 200, terminated: true)) == .hangUp && t.state == .succeeded)
        #expect(t.referAnswered(202) == .none && t.timedOut() == .none, "done: nothing more happens")

        var early = BlindTransfer()
        #expect(early.notified(ReferProgress(statusCode: 180, terminated: false)) == .none)
        #expect(early.referAnswered(202) == .none)
        #expect(early.notified(ReferProgress(statusCode: 200, terminated: true)) == .hangUp)
    }

    /// Every way REFER fails ends in a bridged transfer, once: refused (405, 501, 603), no answer, a NOTIFY with a
    /// failure that is not about the target (403), a subscription ended without a final status, no final NOTIFY in
    /// time.
    @Test func failuresFallBackToABridgedTransfer() {
        for code in [405, 501, 603, 481, 403] {
            var t = BlindTransfer()
            #expect(t.referAnswered(100) == .none)
            #expect(t.referAnswered(code) == .bridge(reason: "REFER refused (\(code))"))
            #expect(t.notified(ReferProgress(statusCode: 200, terminated: true)) == .none, "a late NOTIFY changes nothing")
        }
        var silent = BlindTransfer()
        #expect(silent.timedOut() == .bridge(reason: "no answer to REFER"))
        var refusedByTrunk = BlindTransfer()
        _ = refusedByTrunk.referAnswered(202)
        #expect(refusedByTrunk.notified(ReferProgress(statusCode: 403, terminated: true)) == .bridge(reason: "the transfer target answered 403"))
        var cut = BlindTransfer()
        _ = cut.referAnswered(202)
        #expect(cut.notified(ReferProgress(statusCode: 100, terminated: true)) == .bridge(reason: "subscription ended without a final status"))
        var slow = BlindTransfer()
        _ = slow.referAnswered(202)
        #expect(slow.timedOut() == .bridge(reason: "no final NOTIFY"))
        #expect(slow.timedOut() == .none)
    }
}
