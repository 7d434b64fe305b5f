import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One connection to Redis: commands are pipelined and answered in order.
public final class RedisConnection: Sendable {
    let channel: any Channel

    init(channel: any Channel) { self.channel = channel }

    /// `redis://host:port[/db]`.
    public static func connect(url: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, timeout: TimeAmount = .seconds(3)) async throws -> RedisConnection {
        let (host, port, db) = try parse(url)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(RESPHandler()) }
            }
            .connect(host: host, port: port).get()
        let connection = RedisConnection(channel: channel)
        if db != 0 { _ = try await connection.send(["SELECT", String(db)]) }
        return connection
    }

    static func parse(_ url: String) throws -> (String, Int, Int) {
        guard url.hasPrefix("redis://") else { throw RESPError(description: "expected redis://host:port, got \(url)") }
        var rest = url.dropFirst("redis://".count)
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        var db = 0
        if let slash = rest.firstIndex(of: "/") {
            db = Int(rest[rest.index(after: slash)...]) ?? 0
            rest = rest[..<slash]
        }
        let parts = rest.split(separator: ":")
        let host = parts.first.map(String.init) ?? "127.0.0.1"
        let port = parts.count > 1 ? Int(parts[1]) ?? 6379 : 6379
        return (host.isEmpty ? "127.0.0.1" : host, port, db)
    }

    public var isActive: Bool { channel.isActive }

    /// Sends one command and waits for its answer; a Redis error answer is thrown.
    @discardableResult
    public func send(_ args: [String]) async throws -> RESPValue {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        var buffer = channel.allocator.buffer(capacity: 64)
        RESP.command(args, into: &buffer)
        let written = channel.eventLoop.makePromise(of: Void.self)
        let accepted = NIOLockedValueBox(false)
        // A write that never reached the handler (connection closed) fails the answer too, instead of leaving it
        // pending; once the handler has it, the handler answers or fails it.
        written.futureResult.whenFailure { error in
            if !accepted.withLockedValue({ $0 }) { promise.fail(error) }
        }
        channel.writeAndFlush(RESPHandler.Outbound(bytes: buffer, promise: promise, accepted: accepted), promise: written)
        let value = try await promise.futureResult.get()
        if case .error(let message) = value { throw RESPError(description: message) }
        return value
    }

    public func close() async {
        try? await channel.close()
    }
}

/// Moves commands out and answers in, matching them in order. Lives on its channel's event loop only.
final class RESPHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Outbound
    typealias OutboundOut = ByteBuffer

    struct Outbound {
        let bytes: ByteBuffer
        let promise: EventLoopPromise<RESPValue>
        let accepted: NIOLockedValueBox<Bool>
    }

    private var pending = CircularBuffer<EventLoopPromise<RESPValue>>()
    private var buffer: ByteBuffer?
    /// Set once the connection is gone: a command that still reaches the handler (it stays in the pipeline a little
    /// after `channelInactive`) is failed at once instead of waiting for an answer that cannot come.
    private var closed = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let out = unwrapOutboundIn(data)
        out.accepted.withLockedValue { $0 = true }
        guard !closed else {
            let error = RESPError(description: "connection to Redis closed")
            out.promise.fail(error)
            promise?.fail(error)
            return
        }
        pending.append(out.promise)
        // A write that fails fails its answer, and the connection (the answers would no longer line up).
        let written = promise ?? context.eventLoop.makePromise()
        written.futureResult.whenFailure { error in
            out.promise.fail(error)
            context.close(promise: nil)
        }
        context.write(wrapOutboundOut(out.bytes), promise: written)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer == nil { buffer = incoming } else { buffer!.writeBuffer(&incoming) }
        do {
            while var b = buffer, let value = try RESP.parse(&b) {
                buffer = b
                if let p = pending.popFirst() { p.succeed(value) }
            }
            if buffer?.readableBytes == 0 { buffer = nil } else { buffer?.discardReadBytes() }
        } catch {
            failAll(error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RESPError(description: "connection to Redis closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        closed = true
        while let p = pending.popFirst() { p.fail(error) }
    }
}

/// A Redis link that reconnects by itself: a command on a dead connection reconnects first; while Redis is down
/// commands fail fast (no queueing), so callers can answer 503 at once.
public actor RedisLink {
    public let url: String
    private var connection: RedisConnection?

    public init(url: String) { self.url = url }

    public func send(_ args: [String]) async throws -> RESPValue {
        let c = try await current()
        do {
            return try await c.send(args)
        } catch let e as RESPError where c.isActive {
            throw e  // a Redis error answer, the connection is fine
        } catch {
            connection = nil
            throw error
        }
    }

    private func current() async throws -> RedisConnection {
        if let c = connection, c.isActive { return c }
        connection = nil
        let c = try await RedisConnection.connect(url: url)
        connection = c
        return c
    }

    /// PING succeeds.
    public func healthy() async -> Bool {
        (try? await send(["PING"])) == .simple("PONG")
    }

    public func close() async {
        await connection?.close()
        connection = nil
    }
}
