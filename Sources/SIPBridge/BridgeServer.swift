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
                let redis: Bool
                let activeCalls: Int
                let lines: [SIPBridgeService.LineInfo]
            }
            let redisUp = await bridge.redis.healthy()
            let lines = await bridge.lineInfos()
            return try json(Health(status: redisUp ? "ok" : "degraded", redis: redisUp, activeCalls: await bridge.activeCallCount, lines: lines))
        }
        router.get("/api/lines") { _, _ -> Response in
            struct Lines: Encodable { let lines: [SIPBridgeService.LineInfo] }
            return try json(Lines(lines: await bridge.lineInfos()))
        }
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
            let stream = media.attachWorker(customParameters: custom) {}
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await text in stream { try await outbound.write(.text(text)) }
                    // The call ended (stop sent): close the socket.
                    try? await outbound.close(.normalClosure, reason: "call ended")
                }
                group.addTask {
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        if case .text(let text) = message { media.fromWorker(text) }
                    }
                    media.workerGone()
                    await bridge.workerLeft(sid: sid)
                }
                try await group.next()
                group.cancelAll()
            }
        }
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: ws),
            configuration: .init(address: .hostname(config.httpHost, port: config.httpPort), serverName: "AlloResto-SIPBridge"),
            logger: logger)
    }
}
