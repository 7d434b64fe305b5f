import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import WireFormats

/// The bridge's HTTP side: `/health`, `/api/lines`, `/api/calls` (list, hang up) and the per-call media
/// WebSocket `/media/{sid}` the worker connects to (Twilio Media Streams protocol).
public enum BridgeServer {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: try encoder.encode(value))))
    }

    /// A JSON answer written from a `JSONValue` (booleans stay booleans: `{"success": false, "error": …}`).
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.text)))
    }

    /// An error in our shape (`success`, `error`) and the original's (FastAPI's `detail`), so clients of either read it.
    static func failure(_ status: HTTPResponse.Status, _ error: String, detail: String? = nil) -> Response {
        json(["success": false, "error": .string(error), "detail": .string(detail ?? error)], status: status)
    }

    public static func application(bridge: SIPBridgeService, logger: Logger) async -> some ApplicationProtocol {
        let config = bridge.config
        let router = Router()
        // The original bridge's fields (SIP-BRIDGE.md §2) and ours.
        router.get("/health") { _, _ -> Response in
            struct Audio: Encodable {
                let codec = "PCMU/8000"
                let clock_rate = 8000
                let frame_ms = 20
                let ec_enabled = false
                let vad_enabled = false
                let rx_gain_db: Double
                let tx_gain_db: Double
            }
            struct Health: Encodable {
                let status: String
                let sip_registered: Bool
                let sip_account: String?
                let ws_target: String?
                let active_calls: Int
                let max_concurrent_calls: Int
                let audio: Audio
                /// Whether Redis answers; null in push mode (`--ws-target`), which does not use it.
                let redis: Bool?
                let handOff: String
                let activeCalls: Int
                let lines: [SIPBridgeService.LineInfo]

                enum CodingKeys: String, CodingKey {
                    case status, sip_registered, sip_account, ws_target, active_calls, max_concurrent_calls, audio, redis, handOff, activeCalls, lines
                }

                /// `null` where the original writes it (no account, no WebSocket target, Redis not used).
                func encode(to encoder: any Encoder) throws {
                    var c = encoder.container(keyedBy: CodingKeys.self)
                    try c.encode(status, forKey: .status)
                    try c.encode(sip_registered, forKey: .sip_registered)
                    try c.encode(sip_account, forKey: .sip_account)
                    try c.encode(ws_target, forKey: .ws_target)
                    try c.encode(active_calls, forKey: .active_calls)
                    try c.encode(max_concurrent_calls, forKey: .max_concurrent_calls)
                    try c.encode(audio, forKey: .audio)
                    try c.encode(redis, forKey: .redis)
                    try c.encode(handOff, forKey: .handOff)
                    try c.encode(activeCalls, forKey: .activeCalls)
                    try c.encode(lines, forKey: .lines)
                }
            }
            let redisUp = config.wsTarget == nil ? await bridge.redis.healthy() : nil
            let lines = await bridge.lineInfos()
            let active = await bridge.activeCallCount
            return try json(Health(
                status: redisUp == false ? "degraded" : "ok", sip_registered: lines.contains { $0.state == "registered" }, sip_account: lines.first?.name,
                ws_target: config.wsTarget, active_calls: active, max_concurrent_calls: config.maxConcurrentCalls,
                audio: Audio(rx_gain_db: config.rxGainDB, tx_gain_db: config.txGainDB), redis: redisUp, handOff: config.wsTarget == nil ? "queue" : "push",
                activeCalls: active, lines: lines))
        }
        router.get("/api/lines") { _, _ -> Response in
            struct Lines: Encodable { let lines: [SIPBridgeService.LineInfo] }
            return try json(Lines(lines: await bridge.lineInfos()))
        }
        router.get("/api/metrics") { _, _ -> Response in try json(await bridge.metrics()) }
        // The original's list: a JSON array of its call records (kept 30 s after the end), with our fields added.
        router.get("/api/calls") { _, _ -> Response in try json(await bridge.callRecords()) }
        // Ours: the calls in progress and the last 200 ended ones (refusals included), for the admin page.
        router.get("/api/calls/history") { _, _ -> Response in
            struct Calls: Encodable { let active: [SIPBridgeService.CallInfo]; let recent: [SIPBridgeService.CallInfo] }
            let (active, recent) = await bridge.callInfos()
            return try json(Calls(active: active, recent: recent))
        }
        // An outbound call, with the original's fields {to, from, customParams, wsTarget, callbackUrl, timeoutSec |
        // timeout_sec} or ours {line, params, statusCallback, ringTimeoutSec} → 201 with the call (`status`
        // "initiated").
        router.post("/api/calls") { request, context -> Response in
            struct Dial: Decodable {
                let to: String
                let from: String?
                let customParams: [String: String]?
                let wsTarget: String?
                let callbackUrl: String?
                let timeoutSec: Double?
                let timeout_sec: Double?
                let line: String?
                let params: [String: String]?
                let statusCallback: String?
                let ringTimeoutSec: Double?
            }
            let dial: Dial
            do { dial = try await request.decode(as: Dial.self, context: context) } catch {
                return failure(.badRequest, "body: {\"to\": \"+33…\" or \"sip:…\", \"from\", \"customParams\", \"wsTarget\", \"callbackUrl\", \"timeoutSec\"}")
            }
            let callback = dial.callbackUrl ?? dial.statusCallback
            if let url = callback, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                return failure(.unprocessableContent, "callbackUrl: an http(s) URL")
            }
            if let target = dial.wsTarget, !(target.hasPrefix("ws://") || target.hasPrefix("wss://")) {
                return failure(.unprocessableContent, "wsTarget: a ws:// or wss:// URL")
            }
            // The ring timeout in seconds, checked before it becomes a Duration: 5 … 300 (the original's default 30).
            let timeout = dial.timeoutSec ?? dial.timeout_sec ?? dial.ringTimeoutSec ?? 30
            guard timeout.isFinite, (1...600).contains(timeout) else {
                return failure(.unprocessableContent, "timeoutSec: a number of seconds between 1 and 600")
            }
            var params = dial.params ?? [:]
            params.merge(dial.customParams ?? [:]) { $1 }
            do {
                let call = try await bridge.dial(.init(
                    to: dial.to, from: dial.from, line: dial.line, params: params, statusCallback: callback, wsTarget: dial.wsTarget,
                    ringTimeout: .milliseconds(CheckedNumber.clamped(timeout * 1000, to: 1000...600_000))))
                return try json(call, status: .created)
            } catch let error as SIPBridgeService.DialError {
                return failure(.unprocessableContent, error.description)
            }
        }
        // The original's hang-up: `{"status": "cancelled", "sid"}` for a call in progress, its status for one
        // that has ended (still known for 30 s), 404 for an unknown sid.
        router.delete("/api/calls/:sid") { _, context -> Response in
            let sid = context.parameters.get("sid") ?? ""
            if await bridge.hangUp(sid: sid) { return json(["success": true, "status": "cancelled", "sid": .string(sid)]) }
            if let ended = await bridge.callRecords().first(where: { $0.sid == sid }) {
                return json(["success": true, "status": .string(ended.status), "sid": .string(sid)])
            }
            return failure(.notFound, "unknown call", detail: "Appel non trouvé")
        }
        // The original's blind transfer `{destination}` (a bare number becomes `sip:N@<domain>`): 200
        // `{"status": "transferred", "sid", "destination"}` once REFER is sent (ours adds `method`, `state`: the
        // outcome follows in the call record and the status callbacks); 404 unknown call, 400 call not answered.
        router.post("/api/calls/:sid/transfer") { request, context -> Response in
            struct Transfer: Decodable { let destination: String }
            let sid = context.parameters.get("sid") ?? ""
            guard let body = try? await request.decode(as: Transfer.self, context: context) else {
                return failure(.unprocessableContent, "body: {\"destination\": \"+33…\" or \"sip:…\"}")
            }
            do {
                let uri = try await bridge.transfer(sid: sid, to: body.destination)
                return json(["success": true, "status": "transferred", "sid": .string(sid), "destination": .string(uri), "method": "refer", "state": "trying"])
            } catch SIPBridgeService.TransferRefusal.unknownCall {
                return failure(.notFound, "unknown call", detail: "Appel non trouvé")
            } catch SIPBridgeService.TransferRefusal.notActive(let status) {
                return failure(.badRequest, "the call is not answered (status \(status))", detail: "Appel non actif (status=\(status))")
            } catch SIPBridgeService.TransferRefusal.alreadyTransferring {
                return failure(.badRequest, "a transfer of this call is under way or done", detail: "Appel non actif (status=transferred)")
            } catch {
                return failure(.unprocessableContent, "destination: a number or a sip:/tel: URI, without spaces or <>\"")
            }
        }

        let ws = Router(context: BasicWebSocketRequestContext.self)
        ws.ws("/media/:sid") { _, context in
            guard let sid = context.parameters.get("sid"), await bridge.attach(sid: sid) != nil else { return .dontUpgrade }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            guard let sid = context.requestContext.parameters.get("sid"), let (media, custom) = await bridge.attach(sid: sid) else { return }
            await bridge.workerAttached(sid: sid)
            try await media.serveWorker(customParameters: custom, inbound: inbound, outbound: outbound)
            await bridge.workerLeft(sid: sid)
        }
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: ws),
            configuration: .init(address: .hostname(config.httpHost, port: config.httpPort), serverName: "AlloResto-SIPBridge"),
            logger: logger)
    }
}
