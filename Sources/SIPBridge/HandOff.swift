import Foundation
import HummingbirdWSClient
import Logging
import NIOConcurrencyHelpers
import RedisClient
import WireFormats

/// How a call reaches a voice worker (SPEC §10): one protocol, two ways — the Redis queue the workers pop
/// (`RedisQueueHandOff`), or the bridge dialling the worker's WebSocket itself (`WebSocketPushHandOff`, `--ws-target`).
protocol CallHandOff: Sendable {
    /// Whether the hand-off happens before the answer (a failure is then a 503 to the caller) or once answered.
    var beforeAnswer: Bool { get }
    /// Offers the call; throws when no worker can be reached this way.
    func handOff(_ call: HandOffCall, bridge: SIPBridgeService) async throws
}

/// What a hand-off needs of a call: the queue event (SPEC §10), the worker's `start.customParameters` and the media.
struct HandOffCall: Sendable {
    let sid: String
    let event: JSONValue
    let customParameters: [String: String]
    let media: MediaSession
}

/// `LPUSH` of the call event on the queue; the worker then connects to the call's `mediaUrl`.
struct RedisQueueHandOff: CallHandOff {
    let redis: RedisLink
    let key: String
    var beforeAnswer: Bool { true }

    func handOff(_ call: HandOffCall, bridge: SIPBridgeService) async throws {
        _ = try await redis.send(["LPUSH", key, call.event.text])
    }
}

/// Push mode: once the call is answered the bridge dials the worker's WebSocket and speaks the same protocol as
/// on `/media/{sid}` (the worker learns the call from `start`). When the target cannot be reached the caller hears
/// the busy message at once; when the worker closes the socket the bridge hangs up.
struct WebSocketPushHandOff: CallHandOff {
    let target: String
    var beforeAnswer: Bool { false }

    func handOff(_ call: HandOffCall, bridge: SIPBridgeService) async throws {
        let target = target, logger = bridge.logger
        // Off the actor: the socket lives as long as the call, and the actor keeps serving SIP meanwhile.
        Task.detached { [weak bridge] in
            let owner = bridge
            let reached = NIOLockedValueBox(false)
            do {
                try await WebSocketClient.connect(url: target, configuration: .init(maxFrameSize: 1 << 20), logger: logger) { inbound, outbound, _ in
                    reached.withLockedValue { $0 = true }
                    await owner?.workerAttached(sid: call.sid)
                    try await call.media.serveWorker(customParameters: call.customParameters, inbound: inbound, outbound: outbound)
                }
            } catch {
                logger.warning("push target: \(error)", metadata: ["call": "\(call.sid)", "target": "\(SIPBridgeService.redacted(target))"])
            }
            if reached.withLockedValue({ $0 }) {
                await bridge?.workerLeft(sid: call.sid)
            } else {
                await bridge?.noWorker(sid: call.sid)
            }
        }
    }
}

extension SIPBridgeService {
    /// The call event pushed on the queue for the voice workers (SPEC §10).
    func queueEvent(_ call: Call) -> JSONValue {
        let custom = call.customParameters
        var paramsJSON: [String: JSONValue] = [:]
        for (k, v) in custom { paramsJSON[k] = .string(v) }
        return [
            "callId": .string(call.sid), "sipCallId": .string(call.sipCallId), "restaurantId": custom["restaurantId"].map(JSONValue.string) ?? .null,
            "from": .string(call.from), "to": .string(call.to), "direction": .string(call.direction),
            "mediaUrl": .string("\(config.mediaBase)/media/\(call.sid)"), "createdAt": .string(call.createdAt.formatted(.iso8601)),
            "customParams": .object(paramsJSON),
        ]
    }

    func handOffCall(_ call: Call, media: MediaSession) -> HandOffCall {
        HandOffCall(sid: call.sid, event: queueEvent(call), customParameters: call.customParameters, media: media)
    }

    /// The worker could not be reached: the busy message now rather than after `--worker-timeout`.
    func noWorker(sid: String) async {
        guard let call = bySid[sid] else { return }
        await noWorkerCheck(call)
    }
}
