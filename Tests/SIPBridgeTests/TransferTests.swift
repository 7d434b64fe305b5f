import AlloRestoCore
import AlloRestoTestSupport
import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import SIPBridge
import SIPCore
import Testing

/// `POST /api/calls/{sid}/transfer` (the original's route, the `transfer_call` tool): sipp as the caller's phone or
/// trunk — one that takes REFER and reports through NOTIFY, ones that refuse it (405, 501, 603) — and as the
/// transfer target of the bridged fallback, with real audio both ways.
@Suite(.serialized) struct TransferTests {
    static let line = SIPLine(domain: "sip.test", username: "0142601234", password: "x", registrar: "127.0.0.1:9", params: ["restaurantId": "r-1"])

    /// Waits until the bridge lists an inbound call (this sid, when given) with this status, this transfer state,
    /// or ended; returns its record.
    static func awaitCall(_ base: String, sid: String? = nil, status: String? = nil, transferState: String? = nil, ended: Bool = false) async throws -> JSONValue? {
        for _ in 0..<200 {
            let calls = try await Peers.http("GET", "\(base)/api/calls", body: .null).1.arrayValue ?? []
            let match = calls.first { c in
                c["direction"] == "inbound" && (sid == nil || c["sid"]?.stringValue == sid) && (status == nil || c["status"]?.stringValue == status)
                    && (transferState == nil || c["transfer"]?["state"]?.stringValue == transferState) && (!ended || c["endedAt"] != .null)
            }
            if let match { return match }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// A receiver of status callbacks (the original's POST JSON); returns the app and what it got.
    static func callbackReceiver(port: Int) -> (some ApplicationProtocol, NIOLockedValueBox<[JSONValue]>) {
        let got = NIOLockedValueBox<[JSONValue]>([])
        let router = Router()
        router.post("/status") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 16)
            if let json = try? JSONReader.parse(Array(buffer: body)) { got.withLockedValue { $0.append(json) } }
            return .noContent
        }
        return (Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port))), got)
    }

    /// The caller's phone takes the REFER: `Refer-To` is the bare number made `sip:N@<line's domain>`, with
    /// `Referred-By`; after 202 and the NOTIFYs (100 Trying, then 200 OK terminated) the bridge leaves with BYE, the
    /// worker gets `stop`, the record and the callbacks say `transferred`. An unknown sid is 404, a body without
    /// `destination` 422.
    @Test(.enabled(if: Peers.enabled)) func blindTransferByREFER() async throws {
        let redisPort = Peers.freePort(), callbackPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let (callbackApp, statuses) = Self.callbackReceiver(port: callbackPort)
        let bridge = try await BridgeCallTests.bridge(redisPort: redisPort) {
            $0.lines = [Self.line]
            $0.statusCallbackURL = "http://127.0.0.1:\(callbackPort)/status"
        }
        let config = bridge.config, port = await bridge.localPort
        let base = "http://127.0.0.1:\(config.httpPort)"
        let listener = try await RTPListener()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await callbackApp.runService() }
            for _ in 0..<100 where !LocalServers.accepts(port: callbackPort) { try await Task.sleep(for: .milliseconds(50)) }
            try await BridgeCallTests.withHTTP(bridge) {
                let unknown = try await Peers.http("POST", "\(base)/api/calls/CAnope/transfer", body: ["destination": "0600000001"])
                #expect(unknown.0 == 404 && unknown.1["detail"] == "Appel non trouvé" && unknown.1["success"] == false)
                async let worker = TestWorker.takeOne(redisURL: config.redisURL, queue: config.queueKey)
                async let caller = Peers.sipp("uac-transfer-refer.xml", replacing: [
                    "MEDIA_PORT": String(listener.port), "TARGET": "&lt;sip:0600000001@sip\\.test&gt;",
                ], bridgePort: port, timeout: 25)
                let active = try #require(try await Self.awaitCall(base, status: "active"))
                let sid = try #require(active["sid"]?.stringValue)
                #expect(try await Peers.http("POST", "\(base)/api/calls/\(sid)/transfer", body: ["to": "0600000001"]).0 == 422)
                let (code, answer) = try await Peers.http("POST", "\(base)/api/calls/\(sid)/transfer", body: ["destination": "0600000001"])
                #expect(code == 200 && answer["status"] == "transferred" && answer["sid"]?.stringValue == sid)
                #expect(answer["destination"] == "sip:0600000001@sip.test" && answer["method"] == "refer")
                let (status, errors) = try await caller
                #expect(status == 0, "caller: \(errors)")
                let outcome = try await worker
                #expect(outcome.stopped)
                let record = try #require(try await Self.awaitCall(base, sid: sid, ended: true))
                #expect(record["status"] == "transferred" && record["transfer"]?["method"] == "refer" && record["transfer"]?["state"] == "transferred",
                        "\(record)")
                let again = try await Peers.http("POST", "\(base)/api/calls/\(sid)/transfer", body: ["destination": "0600000001"])
                #expect(again.0 == 404)
            }
            for _ in 0..<50 where !statuses.withLockedValue({ $0.contains { $0["status"] == "transferred" } }) {
                try await Task.sleep(for: .milliseconds(100))
            }
            group.cancelAll()
        }
        let got = statuses.withLockedValue { $0 }.compactMap { $0["status"]?.stringValue }
        #expect(got.starts(with: ["ringing", "answered", "active"]) && got.last == "transferred", "\(got)")
        await bridge.stop()
    }

    /// The caller's trunk refuses REFER (405, 501, 603): the bridge calls the target itself (a SIP URI: where its
    /// host says), joins the two calls — the caller's audio reaches the target bit-exact and the target's reaches
    /// the caller bit-exact —, the worker gets `stop`. When the target hangs up (405, 603) the bridge hangs up the
    /// caller; when the caller's side ends (501: hung up through the API) the bridge hangs up the target. The record
    /// says `transferred`, `bridged`, and why REFER gave way.
    @Test(.enabled(if: Peers.enabled), arguments: [(405, "Method Not Allowed", true), (501, "Not Implemented", false), (603, "Decline", true)])
    func bridgedTransferWhenTheTrunkRefusesREFER(code refusal: Int, reason: String, targetHangsUp: Bool) async throws {
        let redisPort = Peers.freePort(), targetPort = LocalServers.freeSIPPort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let callbackPort = Peers.freePort()
        let (callbackApp, statuses) = Self.callbackReceiver(port: callbackPort)
        let bridge = try await BridgeCallTests.bridge(redisPort: redisPort) {
            $0.lines = [Self.line]
            $0.statusCallbackURL = "http://127.0.0.1:\(callbackPort)/status"
        }
        let config = bridge.config, port = await bridge.localPort
        let base = "http://127.0.0.1:\(config.httpPort)"
        let callerMedia = try await RTPListener(), targetMedia = try await RTPListener(), signalling = try await RTPListener()
        let callbacks = Task { try await callbackApp.runService() }
        defer { callbacks.cancel() }
        for _ in 0..<100 where !LocalServers.accepts(port: callbackPort) { try await Task.sleep(for: .milliseconds(50)) }
        let fromCaller = (0..<1600).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) | 0x10 }
        let fromTarget = (0..<1600).map { UInt8(truncatingIfNeeded: $0 &* 11 &+ 1) & 0x7F }
        try await BridgeCallTests.withHTTP(bridge) {
            async let worker = TestWorker.takeOne(redisURL: config.redisURL, queue: config.queueKey)
            async let target = Peers.sippServer("uas-transfer-target.xml", port: targetPort, replacing: ["MEDIA_PORT": String(targetMedia.port)], timeout: 40)
            let destination = "sip:0600000002@127.0.0.1:\(targetPort)"
            async let caller = Peers.sipp("uac-transfer-refused.xml", replacing: [
                "MEDIA_PORT": String(callerMedia.port), "TARGET": destination.replacingOccurrences(of: ".", with: "\\."),
                "REFUSAL_CODE": String(refusal), "REFUSAL_REASON": reason,
            ], bridgePort: port, timeout: 40)
            let active = try #require(try await Self.awaitCall(base, status: "active"))
            let sid = try #require(active["sid"]?.stringValue)
            let (code, _) = try await Peers.http("POST", "\(base)/api/calls/\(sid)/transfer", body: ["destination": .string(destination)])
            #expect(code == 200)
            let joined = try await Self.awaitCall(base, sid: sid, transferState: "transferred")
            #expect(joined?["status"] == "transferred" && joined?["transfer"]?["method"] == "bridged", "\(String(describing: joined))")
            #expect(joined?["transfer"]?["reason"]?.stringValue == "REFER refused (\(refusal))")
            // The caller speaks; once its audio reaches the target (whose media address the bridge then knows from
            // the first packet), the target answers.
            async let callerSpeaks: Void = callerMedia.sendAudio(fromCaller, packetBytes: 160, ssrc: 0xCA11, firstSequence: 100)
            async let targetSpeaks: Void = targetMedia.sendAudio(fromTarget, packetBytes: 160, ssrc: 0x7A26, firstSequence: 60_000)
            try await callerSpeaks
            try await targetSpeaks
            await targetMedia.awaitPayloads(containing: fromCaller)
            await callerMedia.awaitPayloads(containing: fromTarget)
            #expect(targetMedia.payloads.withLockedValue { $0.flatMap { $0 } }.firstRange(of: fromCaller) != nil, "the caller's audio at the target")
            #expect(callerMedia.payloads.withLockedValue { $0.flatMap { $0 } }.firstRange(of: fromTarget) != nil, "the target's audio at the caller")
            let targetSid = try #require(joined?["transfer"]?["targetSid"]?.stringValue)
            let leg = try await Peers.http("GET", "\(base)/api/calls", body: .null).1.arrayValue?.first { $0["sid"]?.stringValue == targetSid }
            #expect(leg?["customParams"]?["transferOf"]?.stringValue == sid && leg?["direction"] == "outbound")
            if targetHangsUp {
                // A MESSAGE in the target's call tells sipp to hang up there (BYE from the target).
                let callId = try #require(leg?["sipCallId"]?.stringValue)
                try await signalling.send(Array(("MESSAGE sip:target@127.0.0.1:\(targetPort) SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:\(signalling.port);branch=z9hG4bK-hangup\r\n"
                    + "From: <sip:test@127.0.0.1>;tag=test\r\nTo: <sip:target@127.0.0.1>\r\nCall-ID: \(callId)\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\n"
                    + "Content-Length: 0\r\n\r\n").utf8), to: try SocketAddress(ipAddress: "127.0.0.1", port: targetPort))
            } else {
                #expect(try await Peers.http("DELETE", "\(base)/api/calls/\(sid)", body: .null).1["status"] == "cancelled")
            }
            let (targetStatus, targetErrors) = try await target
            #expect(targetStatus == 0, "target: \(targetErrors)")
            let (callerStatus, callerErrors) = try await caller
            #expect(callerStatus == 0, "caller: \(callerErrors)")
            #expect(try await worker.stopped)
            let ended = try await Self.awaitCall(base, sid: sid, ended: true)
            #expect(ended?["status"] == "transferred", "\(String(describing: ended))")
            #expect(ended?["endReason"]?.stringValue == (targetHangsUp ? "the transfer target hung up" : "hung up by API"))
            // The caller's call reports `transferred` once joined, then `completed`; the bridge's own call to the
            // target reports nothing.
            for _ in 0..<50 where !statuses.withLockedValue({ $0.contains { $0["status"] == "completed" } }) { try await Task.sleep(for: .milliseconds(100)) }
            let got = statuses.withLockedValue { $0 }
            #expect(got.allSatisfy { $0["sid"]?.stringValue == sid }, "\(got)")
            #expect(got.compactMap { $0["status"]?.stringValue } == ["ringing", "answered", "active", "transferred", "completed"], "\(got)")
        }
        await bridge.stop()
    }
}
