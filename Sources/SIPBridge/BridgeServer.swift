import AlloRestoCore
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// The bridge's HTTP side: `/health`, `/api/lines`, `/api/calls` (list, hang up) and the per-call media
/// WebSocket `/media/{sid}` the worker connects to (Twilio Media Streams protocol).
public enum BridgeServer {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: try encoder.encode(value))))
    }

    public static func application(bridge: SIPBridgeService, logger: Logger) async -> some ApplicationProtocol {
        let config = bridge.config
        let router = Router()
        router.get("/health") { _, _ -> Response in
            struct Health: Encodable {
                let status: String
                /// Whether Redis answers; null in push mode (`--ws-target`), which does not use it.
                let redis: Bool?
                let handOff: String
                let activeCalls: Int
                let lines: [SIPBridgeService.LineInfo]
            }
            let redisUp = config.wsTarget == nil ? await bridge.redis.healthy() : nil
            let lines = await bridge.lineInfos()
            return try json(Health(status: redisUp == false ? "degraded" : "ok", redis: redisUp, handOff: config.wsTarget == nil ? "queue" : "push",
                                   activeCalls: await bridge.activeCallCount, lines: lines))
        }
        router.get("/api/lines") { _, _ -> Response in
            struct Lines: Encodable { let lines: [SIPBridgeService.LineInfo] }
            return try json(Lines(lines: await bridge.lineInfos()))
        }
        router.get("/api/metrics") { _, _ -> Response in try json(await bridge.metrics()) }
        router.get("/api/calls") { _, _ -> Response in
            struct Calls: Encodable { let active: [SIPBridgeService.CallInfo]; let recent: [SIPBridgeService.CallInfo] }
            let (active, recent) = await bridge.callInfos()
            return try json(Calls(active: active, recent: recent))
        }
        // An outbound call: {to, line?, params?, statusCallback?, ringTimeoutSec?} → 201 with the call (ringing).
        router.post("/api/calls") { request, context -> Response in
            struct Dial: Decodable {
                let to: String
                let line: String?
                let params: [String: String]?
                let statusCallback: String?
                let ringTimeoutSec: Int?
            }
            let dial: Dial
            do { dial = try await request.decode(as: Dial.self, context: context) } catch {
                return try json(["success": "false", "error": "body: {\"to\": \"+33…\" or \"sip:…\", \"line\", \"params\", \"statusCallback\", \"ringTimeoutSec\"}"], status: .badRequest)
            }
            if let url = dial.statusCallback, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                return try json(["success": "false", "error": "statusCallback: an http(s) URL"], status: .unprocessableContent)
            }
            do {
                let call = try await bridge.dial(.init(
                    to: dial.to, line: dial.line, params: dial.params ?? [:], statusCallback: dial.statusCallback,
                    ringTimeout: .seconds(min(max(dial.ringTimeoutSec ?? 45, 5), 300))))
                return try json(call, status: .created)
            } catch let error as SIPBridgeService.DialError {
                return try json(["success": "false", "error": error.description], status: .unprocessableContent)
            }
        }
        router.delete("/api/calls/:sid") { _, context -> Response in
            let sid = context.parameters.get("sid") ?? ""
            guard await bridge.hangUp(sid: sid) else {
                return try json(["success": "false", "error": "unknown or ended call"], status: .notFound)
            }
            return try json(["success": "true"])
        }

        let ws = Router(context: BasicWebSocketRequestContext.self)
        ws.ws("/media/:sid") { _, context in
            guard let sid = context.parameters.get("sid"), await bridge.attach(sid: sid) != nil else { return .dontUpgrade }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            guard let sid = context.requestContext.parameters.get("sid"), let (media, custom) = await bridge.attach(sid: sid) else { return }
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
