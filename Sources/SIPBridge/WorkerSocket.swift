import Foundation
import HummingbirdWSClient
import HummingbirdWebSocket
import Logging
import NIOConcurrencyHelpers

extension MediaSession {
    /// One worker WebSocket, whichever side opened it (the worker on `/media/{sid}`, or the bridge in push mode):
    /// the bridge's events go out (`connected`, `start`, `media`, `dtmf`, `mark`, `stop`), the worker's messages
    /// come in. Returns when either side is done; the worker is then detached from the call.
    func serveWorker(customParameters: [String: String], inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let stream = attachWorker(customParameters: customParameters) {}
        defer { workerGone() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await text in stream { try await outbound.write(.text(text)) }
                // The call ended (stop sent): close the socket.
                try? await outbound.close(.normalClosure, reason: "call ended")
            }
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { self.fromWorker(text) }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}

extension SIPBridgeService {
    /// Push mode (`--ws-target`): once the call is answered the bridge dials the worker's WebSocket itself and
    /// speaks the same protocol as on `/media/{sid}` (the worker learns the call from `start`). No Redis in this
    /// mode. When the target cannot be reached the caller hears the busy message at once; when the worker closes
    /// the socket the bridge hangs up.
    func push(_ call: Call, media: MediaSession, to target: String) {
        let sid = call.sid, custom = call.customParameters, logger = logger
        // Off the actor: the socket lives as long as the call, and the actor keeps serving SIP meanwhile.
        Task.detached { [weak self] in
            let reached = NIOLockedValueBox(false)
            do {
                try await WebSocketClient.connect(url: target, configuration: .init(maxFrameSize: 1 << 20), logger: logger) { inbound, outbound, _ in
                    reached.withLockedValue { $0 = true }
                    try await media.serveWorker(customParameters: custom, inbound: inbound, outbound: outbound)
                }
            } catch {
                logger.warning("push target: \(error)", metadata: ["call": "\(sid)", "target": "\(target)"])
            }
            if reached.withLockedValue({ $0 }) {
                await self?.workerLeft(sid: sid)
            } else {
                await self?.noWorker(sid: sid)
            }
        }
    }

    /// The worker could not be reached: the busy message now rather than after `--worker-timeout`.
    func noWorker(sid: String) async {
        guard let call = bySid[sid] else { return }
        await noWorkerCheck(call)
    }
}
