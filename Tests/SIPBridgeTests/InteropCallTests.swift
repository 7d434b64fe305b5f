import AlloRestoTestSupport
import Foundation
import NIOCore
import SIPBridge
import SIPCore
import Testing

/// The bridge against what real trunks, SBCs and PBXs do, each with sipp as the peer.
// One test at a time: each starts sipp, Redis and a bridge, and on 2 cores a dozen at once starve the timing of
// every other suite running beside them.
@Suite(.serialized) struct InteropCallTests {
    /// A caller behind a record-routing proxy (`uac-proxy-reinvite.xml`): OPTIONS answered with a To tag, Allow and
    /// Accept; `Require: 100rel` refused with 420 + Unsupported; the Record-Route copied into the 200 OK; a hold
    /// re-INVITE answered in its own transaction with `a=recvonly`; a resume on another port moves the media there;
    /// an INFO key press reaches the call; the bridge's BYE goes to the remote target with the route set.
    @Test(.enabled(if: Peers.enabled)) func aCallerBehindAProxyHoldsResumesAndIsHungUpThroughIt() async throws {
        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        // No worker comes: after 2 s the busy message plays, then the bridge hangs up.
        let bridge = try await BridgeCallTests.bridge(redisPort: redisPort) { $0.workerTimeout = .seconds(2) }
        let first = try await RTPListener(), second = try await RTPListener()
        let (status, errors) = try await Peers.sipp("uac-proxy-reinvite.xml", replacing: [
            "OTHER_RTP_PORT": String(second.port), "MEDIA_PORT": String(first.port),
        ], bridgePort: await bridge.localPort, timeout: 25)
        #expect(status == 0, "sipp: \(errors)")
        // The busy message went to the port of the last offer, nowhere else.
        let message = SIPBridgeService.busyMessage()
        await second.awaitPayloads(containing: message)
        #expect(second.payloads.withLockedValue { $0.flatMap { $0 } }.firstRange(of: message) != nil, "the message reached the new media port")
        #expect(first.audio.isEmpty, "nothing but silence to the old port")
        let ended = await bridge.callInfos().recent.first { $0.sipCallId != "" && $0.endReason == "no worker" }
        #expect(ended?.dtmf == ["5"], "\(String(describing: ended))")
        await bridge.stop()
    }

    /// A registrar answering 423 Interval Too Brief with Min-Expires 3600: asked again at once with 3600, and the
    /// expiry taken from our own binding among several.
    @Test(.enabled(if: Peers.enabled)) func aRegistrarWantingLongerRegistrationsGetsThem() async throws {
        let registrarPort = LocalServers.freeSIPPort(), bridgePort = LocalServers.freeSIPPort()
        async let registrar = Peers.sippServer("uas-registrar-423.xml", port: registrarPort, replacing: ["BRIDGE_PORT": String(bridgePort)])
        try await Task.sleep(for: .milliseconds(500))
        var c = BridgeConfiguration()
        c.bindHost = "127.0.0.1"
        c.sipPort = bridgePort
        c.lines = [SIPLine(domain: "alloresto.test", username: "line1", password: "x", registrar: "127.0.0.1:\(registrarPort)", expires: 300)]
        let bridge = SIPBridgeService(config: c)
        try await bridge.start()
        var info: SIPBridgeService.LineInfo?
        for _ in 0..<100 {
            info = await bridge.lineInfos().first
            if info?.state == "registered" || info?.state == "failed" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(info?.state == "registered", "\(String(describing: info))")
        let left = info?.registeredUntil.map { $0.timeIntervalSinceNow } ?? 0
        #expect(left > 3500 && left <= 3600, "our binding's 3600 s, not the other one's 42 s: \(left)")
        let (status, errors) = try await registrar
        #expect(status == 0, "registrar: \(errors)")
        await bridge.stop()
    }

    /// A caller at ptime 30 (240-byte packets) whose PBX then switches SSRC with unrelated, lower sequence numbers
    /// (a transfer): the worker gets every byte, in order, in 20 ms frames whose `media.timestamp` counts 20 ms
    /// each — nothing dropped as "late", no drift. Comfort noise packets (RFC 3389) in the first stream are not audio.
    @Test(.enabled(if: Peers.enabled)) func ptime30AndANewSSRCReachTheWorkerIn20msFrames() async throws {
        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let bridge = try await BridgeCallTests.bridge(redisPort: redisPort)
        let listener = try await RTPListener()
        let audio = (0..<2400).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) | 0x01 }
        let config = bridge.config
        let outcome = try await BridgeCallTests.withHTTP(bridge) {
            async let worker = TestWorker.takeOne(redisURL: config.redisURL, queue: config.queueKey, hangUpAfter: 15)
            async let caller: Void = {
                // Comfort noise (payload type 13) between the packets of the first stream: not audio for the worker.
                try await listener.sendAudio(Array(audio[0..<1200]), packetBytes: 240, ssrc: 0x1111, firstSequence: 40_000, comfortNoiseEvery: 2)
                try await listener.sendAudio(Array(audio[1200...]), packetBytes: 240, ssrc: 0x2222, firstSequence: 7)
            }()
            let (status, errors) = try await Peers.sipp("uac-wait-bye.xml", replacing: ["MEDIA_PORT": String(listener.port)], bridgePort: await bridge.localPort, timeout: 20)
            #expect(status == 0, "sipp: \(errors)")
            try await caller
            return try await worker
        }
        #expect(outcome.received == audio, "every byte, in order (\(outcome.received.count) of \(audio.count))")
        #expect(outcome.frames.allSatisfy { $0.bytes == 160 })
        #expect(outcome.frames.map(\.timestamp) == Array(stride(from: 20, through: 20 * outcome.frames.count, by: 20)))
        await bridge.stop()
    }

    /// Delayed offer (an INVITE without SDP, as Cisco CUCM sends): the bridge offers PCMU, PCMA and telephone-event
    /// in its 200 and takes the answer from the ACK — PCMA to the listener's port, so what it plays (the busy message,
    /// no worker) arrives there A-law encoded. An ACK without an answer ends the call with BYE.
    @Test(.enabled(if: Peers.enabled)) func aDelayedOfferIsAnsweredInTheACK() async throws {
        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let bridge = try await BridgeCallTests.bridge(redisPort: redisPort) { $0.workerTimeout = .seconds(1) }
        let listener = try await RTPListener()
        let (status, errors) = try await Peers.sipp("uac-delayed-offer.xml", replacing: ["MEDIA_PORT": String(listener.port)],
                                                    bridgePort: await bridge.localPort, timeout: 25)
        #expect(status == 0, "sipp: \(errors)")
        await listener.awaitPayloads(containing: G711.ulawToAlaw(SIPBridgeService.busyMessage()))
        let heard = listener.payloads.withLockedValue { $0.flatMap { $0 } }
        #expect(heard.firstRange(of: G711.ulawToAlaw(SIPBridgeService.busyMessage())) != nil, "the busy message, A-law, at the port the ACK gave")

        let (noAnswer, why) = try await Peers.sipp("uac-delayed-offer-no-answer.xml", bridgePort: await bridge.localPort, timeout: 15)
        #expect(noAnswer == 0, "sipp: \(why)")
        #expect(await bridge.callInfos().recent.first?.endReason == "no answer in the ACK")
        await bridge.stop()
    }

    /// What SBCs and softphones offer, and mid-call changes (`uac-offers-update-glare.xml`): an SRTP-only offer is
    /// 488; an offer of SRTP audio, plain PCMA (static type, no rtpmap) and video from behind NAT gets a 200 whose
    /// Via has `received`/`rport` and whose SDP answers the three m= lines in order (port 0 but for plain audio);
    /// UPDATE puts the call on hold (a=recvonly in the UPDATE's own 200); a re-INVITE without SDP gets our offer,
    /// an UPDATE crossing it gets 491, the ACK's answer resumes; an INFO outside the dialog (wrong To tag) is 481.
    @Test(.enabled(if: Peers.enabled)) func offersUpdateGlareAndNAT() async throws {
        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let bridge = try await BridgeCallTests.bridge(redisPort: redisPort) { $0.workerTimeout = .seconds(30) }
        let listener = try await RTPListener()
        let (status, errors) = try await Peers.sipp("uac-offers-update-glare.xml", replacing: ["MEDIA_PORT": String(listener.port)],
                                                    bridgePort: await bridge.localPort, timeout: 25)
        #expect(status == 0, "sipp: \(errors)")
        let recent = await bridge.callInfos().recent
        #expect(recent.contains { $0.endReason == "no common codec" }, "the SRTP-only offer was refused")
        #expect(recent.first?.endReason == "caller hung up", "\(recent)")
        await bridge.stop()
    }

    /// RFC 3261 §15: the bridge wants to end the call after 1 s (longest call) while the caller's ACK comes only
    /// after 2.5 s — its BYE waits for the ACK (sipp aborts on a BYE during its pause).
    @Test(.enabled(if: Peers.enabled)) func noBYEBeforeTheACKOfOur200() async throws {
        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let bridge = try await BridgeCallTests.bridge(redisPort: redisPort) {
            $0.maxCallDuration = .seconds(1)
            $0.workerTimeout = .seconds(30)
        }
        let listener = try await RTPListener()
        let (status, errors) = try await Peers.sipp("uac-late-ack.xml", replacing: ["MEDIA_PORT": String(listener.port)],
                                                    bridgePort: await bridge.localPort, timeout: 15)
        #expect(status == 0, "sipp: \(errors)")
        #expect(await bridge.callInfos().recent.first?.endReason == "max duration")
        await bridge.stop()
    }

    /// A dead trunk: no RTP from the caller for `--rtp-timeout` (1 s here) ends the call with BYE.
    @Test(.enabled(if: Peers.enabled)) func noRTPForTheTimeoutEndsTheCall() async throws {
        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let bridge = try await BridgeCallTests.bridge(redisPort: redisPort) {
            $0.rtpTimeout = .seconds(1)
            $0.workerTimeout = .seconds(30)
        }
        let listener = try await RTPListener()
        let (status, errors) = try await Peers.sipp("uac-wait-bye.xml", replacing: ["MEDIA_PORT": String(listener.port)],
                                                    bridgePort: await bridge.localPort, timeout: 15)
        #expect(status == 0, "sipp: \(errors)")
        #expect(await bridge.callInfos().recent.first?.endReason == "rtp timeout")
        await bridge.stop()
    }

    /// A registrar whose nonce goes stale: answered at once with the new nonce; at shutdown the line unregisters
    /// (Expires 0, challenged and answered). A registrar that answers 403: the line shows "refused" with the
    /// reason and is not asked again.
    @Test(.enabled(if: Peers.enabled)) func staleNoncesUnregistrationAndARefusedLine() async throws {
        let registrarPort = LocalServers.freeSIPPort(), bridgePort = LocalServers.freeSIPPort()
        async let registrar = Peers.sippServer("uas-registrar-stale.xml", port: registrarPort, replacing: ["BRIDGE_PORT": String(bridgePort)],
                                               extra: ["-au", "line1", "-ap", "secret-1"])
        try await Task.sleep(for: .milliseconds(500))
        var c = BridgeConfiguration()
        c.bindHost = "127.0.0.1"
        c.sipPort = bridgePort
        c.lines = [SIPLine(domain: "alloresto.test", username: "line1", password: "secret-1", registrar: "127.0.0.1:\(registrarPort)", expires: 120)]
        let bridge = SIPBridgeService(config: c)
        try await bridge.start()
        let registered = try await Self.lineState(bridge) { $0 == "registered" }
        #expect(registered.state == "registered", "\(registered)")
        await bridge.stop()
        let (status, errors) = try await registrar
        #expect(status == 0, "registrar: \(errors)")

        let refusingPort = LocalServers.freeSIPPort()
        async let refusing = Peers.sippServer("uas-registrar-403.xml", port: refusingPort)
        try await Task.sleep(for: .milliseconds(500))
        c.sipPort = 0
        c.lines[0].registrar = "127.0.0.1:\(refusingPort)"
        let second = SIPBridgeService(config: c)
        try await second.start()
        let refused = try await Self.lineState(second) { $0 == "refused" }
        #expect(refused.state == "refused" && refused.lastError?.contains("403") == true, "\(refused)")
        let (refusingStatus, refusingErrors) = try await refusing
        #expect(refusingStatus == 0, "registrar: \(refusingErrors)")
        #expect(await second.lineInfos().first?.state == "refused", "still refused, not retried")
        await second.stop()
    }

    /// RTCP (RFC 3550 §6) on the port after RTP: the bridge's sender reports reach the caller's RTP port + 1 (our
    /// SSRC, packet and octet counts that grow, SDES CNAME), the last one followed by BYE; the caller's own SR sent
    /// to the bridge's RTP port + 1 is counted.
    @Test(.enabled(if: Peers.enabled)) func rtcpReportsOnTheNextPort() async throws {
        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let bridge = try await BridgeCallTests.bridge(redisPort: redisPort) {
            $0.rtcpInterval = .milliseconds(500)
            $0.workerTimeout = .seconds(2)
        }
        var pair: (RTPListener, RTPListener)?
        for _ in 0..<20 where pair == nil {
            let rtp = try await RTPListener()
            if rtp.port % 2 == 0, let rtcp = try? await RTPListener(port: rtp.port + 1) { pair = (rtp, rtcp) } else { try await rtp.channel.close() }
        }
        let (rtp, rtcp) = try #require(pair)
        async let call = Peers.sipp("uac-wait-bye.xml", replacing: ["MEDIA_PORT": String(rtp.port)], bridgePort: await bridge.localPort, timeout: 20)
        // Once the bridge's RTP arrives (up to 10 s on a loaded machine), the caller reports too, to the bridge's RTP
        // port + 1.
        for _ in 0..<500 where rtp.source.withLockedValue({ $0 }) == nil { try await Task.sleep(for: .milliseconds(20)) }
        let bridgeRTP = try #require(rtp.source.withLockedValue { $0 })
        let report = RTCPPacket.senderReport(ssrc: 0xCA11E4, ntp: 0xE000_0000_1234_5678, rtpTimestamp: 1, packets: 0, octets: 0, blocks: []).serialized()
            + RTCPPacket.sourceDescription(ssrc: 0xCA11E4, cname: "caller@test").serialized()
        var buffer = rtcp.channel.allocator.buffer(capacity: report.count)
        buffer.writeBytes(report)
        try await rtcp.channel.writeAndFlush(AddressedEnvelope(remoteAddress: try SocketAddress(ipAddress: "127.0.0.1", port: bridgeRTP.port! + 1), data: buffer))
        let (status, errors) = try await call
        #expect(status == 0, "sipp: \(errors)")

        // The RTCP BYE leaves from the media event loop, which may run after the SIP BYE went out: wait for it.
        for _ in 0..<250 where !rtcp.datagrams.withLockedValue({ $0 }).contains(where: { RTCPPacket.parseCompound($0).contains { if case .bye = $0 { true } else { false } } }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let firstRTP = rtp.datagrams.withLockedValue { $0.first }.flatMap(RTPPacket.parse)
        let ssrc = try #require(firstRTP?.ssrc)
        let compounds = rtcp.datagrams.withLockedValue { $0 }.map(RTCPPacket.parseCompound)
        let reports = compounds.flatMap { $0 }.compactMap { p -> (UInt32, UInt32)? in
            if case .senderReport(let s, _, _, let packets, let octets, _) = p, s == ssrc { return (packets, octets) }
            return nil
        }
        // NTP seconds since 1900 in the high word: today's, within a minute.
        let ntpSeconds = compounds.flatMap { $0 }.compactMap { p -> Double? in
            if case .senderReport(_, let ntp, _, _, _, _) = p { return Double(ntp >> 32) - 2_208_988_800 }
            return nil
        }
        #expect(ntpSeconds.allSatisfy { abs($0 - Date().timeIntervalSince1970) < 60 }, "\(ntpSeconds)")
        #expect(reports.count >= 3, "a report every 500 ms of a call of a few seconds: \(reports.count)")
        #expect(reports.map(\.0) == reports.map(\.0).sorted() && (reports.last?.0 ?? 0) > 0 && reports.allSatisfy { $0.1 == $0.0 * 160 })
        #expect(compounds.allSatisfy { $0.contains { if case .sourceDescription(let s, _) = $0 { s == ssrc } else { false } } })
        #expect(compounds.last?.contains(.bye(ssrcs: [ssrc])) == true, "BYE in the last compound")
        let ended = await bridge.callInfos().recent.first
        #expect((ended?.rtcpReceived ?? 0) >= 1 && (ended?.rtcpSent ?? 0) == compounds.count, "\(String(describing: ended))")
        await bridge.stop()
    }

    /// A caller hanging up with BYE while it still rings (an early dialog): 200 to the BYE and 487 to the INVITE.
    @Test(.enabled(if: Peers.enabled)) func aBYEWhileRingingAnswersTheINVITEToo() async throws {
        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let bridge = try await BridgeCallTests.bridge(redisPort: redisPort) { $0.ringTime = .seconds(5) }
        let (status, errors) = try await Peers.sipp("uac-bye-while-ringing.xml", replacing: ["MEDIA_PORT": "40000"], bridgePort: await bridge.localPort,
                                                    timeout: 15)
        #expect(status == 0, "sipp: \(errors)")
        #expect(await bridge.callInfos().recent.first?.endReason == "caller hung up")
        await bridge.stop()
    }

    /// An outbound call through a proxy that answers 100 Trying and nothing more: the ring timeout (from the
    /// INVITE) still ends it, with a CANCEL (allowed once a provisional response came) and the 487 ACKed.
    @Test(.enabled(if: Peers.enabled)) func anOutboundCallHeldAt100TryingIsCancelledAtTheRingTimeout() async throws {
        let calleePort = LocalServers.freeSIPPort()
        let bridge = try await BridgeCallTests.bridge(redisPort: 9) {
            $0.lines = [SIPLine(domain: "alloresto.test", username: "line1", password: "x", registrar: "127.0.0.1:9", proxy: "127.0.0.1:\(calleePort)")]
        }
        async let callee = Peers.sippServer("uas-callee-trying-only.xml", port: calleePort, timeout: 20)
        try await Task.sleep(for: .milliseconds(500))
        let call = try await bridge.dial(.init(to: "+33611111111", ringTimeout: .seconds(1)))
        let (status, errors) = try await callee
        #expect(status == 0, "proxy: \(errors)")
        let ended = await bridge.callInfos().recent.first
        #expect(ended?.sid == call.sid && ended?.endReason == "no answer", "\(String(describing: ended))")
        await bridge.stop()
    }

    /// A caller whose SDP says `a=maxptime:10` gets 10 ms packets (80 bytes, timestamps 80 apart, sequence numbers
    /// one apart) — the busy message still arrives whole, in order.
    @Test(.enabled(if: Peers.enabled)) func maxptime10IsHonouredOnSend() async throws {
        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let bridge = try await BridgeCallTests.bridge(redisPort: redisPort) { $0.workerTimeout = .seconds(1) }
        let listener = try await RTPListener()
        let (status, errors) = try await Peers.sipp("uac-wait-bye.xml", replacing: [
            "MEDIA_PORT": String(listener.port), "a=rtpmap:0 PCMU/8000": "a=rtpmap:0 PCMU/8000\na=maxptime:10",
        ], bridgePort: await bridge.localPort, timeout: 20)
        #expect(status == 0, "sipp: \(errors)")
        // The last packets may still be on their way to the listener's event loop when sipp exits: wait for the
        // whole message (5 s at most) before looking.
        let busy = SIPBridgeService.busyMessage()
        for _ in 0..<250 where listener.datagrams.withLockedValue({ $0 }).compactMap(RTPPacket.parse).flatMap(\.payload).firstRange(of: busy) == nil {
            try await Task.sleep(for: .milliseconds(20))
        }
        let packets = listener.datagrams.withLockedValue { $0 }.compactMap(RTPPacket.parse)
        #expect(packets.count > 100 && packets.allSatisfy { $0.payload.count == 80 }, "\(Set(packets.map(\.payload.count)))")
        // Sequence numbers one per packet and timestamps 80 (10 ms) per sequence number. UDP on a loaded machine
        // may lose a datagram on its way to the listener: a gap is allowed, an inconsistent step is not.
        let steps = zip(packets, packets.dropFirst()).map { (seq: $1.sequence &- $0.sequence, ts: $1.timestamp &- $0.timestamp) }
        #expect(steps.allSatisfy { $0.seq >= 1 && $0.seq < 1000 && $0.ts == UInt32($0.seq) * 80 }, "\(steps.filter { $0.seq != 1 || $0.ts != 80 }.prefix(10))")
        let lost = steps.reduce(0) { $0 + Int($1.seq) - 1 }
        #expect(lost * 20 <= packets.count, "\(lost) packets lost of \(packets.count + lost)")
        // The message in order, each packet where its timestamp puts it: the whole message when nothing was lost
        // and the pacer kept up (frames skipped are counted), else every packet received at its place.
        let skipped = await bridge.metrics().framesSkipped
        if lost == 0 {
            #expect(packets.flatMap(\.payload).firstRange(of: skipped == 0 ? busy[...] : busy.prefix(1600)) != nil, "frames skipped: \(skipped)")
        } else {
            let start = try #require(packets.first { $0.payload[...] == busy.prefix(80) }, "the message's first 10 ms")
            let misplaced = packets.filter { $0.timestamp &- start.timestamp < UInt32(busy.count) }.filter { p in
                let at = Int(p.timestamp &- start.timestamp)
                return at + 80 <= busy.count && p.payload[...] != busy[at..<(at + 80)]
            }
            #expect(misplaced.isEmpty, "\(misplaced.count) packets not where their timestamp puts them")
        }
        await bridge.stop()
    }

    /// Waits (up to 30 s, on the bridge's own state: a TLS handshake on a loaded machine is slow) for the first line
    /// to reach a state.
    static func lineState(_ bridge: SIPBridgeService, until done: (String) -> Bool) async throws -> SIPBridgeService.LineInfo {
        var info = await bridge.lineInfos().first
        for _ in 0..<300 where !done(info?.state ?? "") {
            try await Task.sleep(for: .milliseconds(100))
            info = await bridge.lineInfos().first
        }
        return try #require(info)
    }
}
