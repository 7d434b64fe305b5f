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
