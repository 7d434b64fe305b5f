import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// The limits of the HTTP edge (README "Security"), so slow or idle clients cannot hold the server: a request head
/// must arrive within `headerTimeoutSeconds` of the connection opening (or of the previous response), a connection
/// idle for `idleTimeoutSeconds` is closed, at most `maxConnections` are open at once (others wait in the kernel's
/// backlog). Request bodies have per-route limits (`ToolBody.Limit`).
public struct HTTPEdgeLimits: Sendable, Equatable {
    public var headerTimeoutSeconds = 10
    public var idleTimeoutSeconds = 60
    public var maxConnections = 2048

    public init() {}
}

/// Closes a connection whose first request head has not arrived in time: started when the connection is set up,
/// cancelled when a head is read. Hummingbird's idle timeout only counts from the last *parsed* part, so it bounds
/// a trickled head on a kept-alive connection (after a response) but a new connection's first head needs this
/// shorter limit. Not re-armed after a response: a keep-alive connection waiting for its client's next request is
/// the idle timeout's business (re-arming here made pooled client connections die after 10 s of quiet).
final class HeaderReadTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    let timeout: TimeAmount
    var scheduled: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) { arm(context) }
    func handlerRemoved(context: ChannelHandlerContext) { disarm() }
    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { disarm() }
        context.fireChannelRead(data)
    }

    func arm(_ context: ChannelHandlerContext) {
        disarm()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        scheduled = context.eventLoop.scheduleTask(in: timeout) { loopBound.value.close(promise: nil) }
    }

    func disarm() {
        scheduled?.cancel()
        scheduled = nil
    }
}

extension HTTPEdgeLimits {
    /// The HTTP/1 server with these timeouts.
    var server: HTTPServerBuilder {
        let header = TimeAmount.seconds(Int64(headerTimeoutSeconds))
        return .http1(configuration: .init(
            additionalChannelHandlers: [HeaderReadTimeoutHandler(timeout: header)],
            idleTimeout: .seconds(Int64(idleTimeoutSeconds))))
    }
}
