import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SIPCore

/// Why a SIP destination could not be reached (DNS, connection).
struct SIPTransportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What the sockets hand the bridge, in arrival order.
enum SIPInboundEvent: Sendable {
    case datagram([UInt8], SocketAddress)
    /// A TCP/TLS connection is up (accepted on our port, or opened by us), its bytes, and its end.
    case opened(any Channel, SocketAddress, SIPTransportKind)
    case bytes([UInt8], SocketAddress)
    case closed(SocketAddress)
    /// The connection failed (e.g. a TLS certificate refused): why, before it closes.
    case failed(SocketAddress, String)
}

/// SIP over TCP and TLS (RFC 3261 §18): connections by peer address, reused both ways (a trunk sends its INVITEs
/// down the connection we registered over), framed by Content-Length; the registrar or proxy found by RFC 3263.
extension SIPBridgeService {
    struct StreamConnection {
        let channel: any Channel
        let kind: SIPTransportKind
        var framer = SIPStreamFramer()
    }

    /// Listens for TCP on the SIP port too (RFC 3261 §18: UDP and TCP both).
    func listenTCP(port: Int, continuation: AsyncStream<SIPInboundEvent>.Continuation) async {
        do {
            tcpListener = try await ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(SIPStreamInbound(continuation: continuation, kind: .tcp))
                    }
                }
                .bind(host: config.bindHost, port: port).get()
        } catch {
            logger.warning("SIP over TCP not available", metadata: ["port": "\(port)", "error": "\(error)"])
        }
    }

    func streamEvent(_ event: SIPInboundEvent) {
        switch event {
        case .datagram(let bytes, let from):
            receive(bytes, from: from)
        case .opened(let channel, let from, let kind):
            if streams[from] == nil { streams[from] = StreamConnection(channel: channel, kind: kind) }
        case .bytes(let bytes, let from):
            guard var connection = streams[from] else { return }
            let messages: [[UInt8]]
            do { messages = try connection.framer.append(bytes) } catch {
                logger.warning("closing a SIP connection that cannot be framed", metadata: ["peer": "\(from)", "why": "\(error)"])
                streams[from] = nil
                connection.channel.close(promise: nil)
                return
            }
            streams[from] = connection
            for message in messages { receive(message, from: from) }
        case .failed(let from, let why):
            // Read by whoever's request needed that connection (the registration loop); bounded.
            if transportErrors.count > 100 { transportErrors = [:] }
            transportErrors[from] = why
            logger.warning("SIP connection failed", metadata: ["peer": "\(from)", "why": "\(why)"])
        case .closed(let from):
            streams[from] = nil
            // RFC 3261 §17.1.4: a transport error ends the client transactions that were using the connection.
            for (key, entry) in clients where entry.peer == from { finishClient(key) }
        }
    }

    /// The address to send to for `target` (`host`, `host:port`, or a domain to look up with RFC 3263), with a
    /// TCP/TLS connection opened (or reused) when the line's transport is not UDP.
    func destination(_ target: String) async throws -> SocketAddress {
        let (host, port) = Self.hostAndPort(target)
        let found = try await locator.locate(host: host, port: port, transport: config.sipTransport)
        var lastError: (any Error)?
        for destination in found {
            do {
                let address = try SocketAddress(ipAddress: destination.address, port: destination.port)
                if destination.transport.isReliable { try await connect(address, destination) }
                return address
            } catch {
                lastError = error
                logger.warning("SIP destination unreachable", metadata: ["target": "\(destination.address):\(destination.port)", "error": "\(error)"])
            }
        }
        throw lastError ?? SIPTransportError("no destination for \(target)")
    }

    /// `host:port` (or `[v6]:port`) split; nil port when absent or not a port.
    static func hostAndPort(_ target: String) -> (String, Int?) {
        let parts = target.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port) else { return (target, nil) }
        return (String(parts[0]), port)
    }

    /// Opens (or joins the opening of) the connection to a destination.
    func connect(_ address: SocketAddress, _ destination: SIPDestination) async throws {
        guard streams[address] == nil else { return }
        if let opening = connecting[address] { return try await opening.value }
        let opening = Task { try await self.open(address, destination) }
        connecting[address] = opening
        defer { connecting[address] = nil }
        try await opening.value
    }

    func open(_ address: SocketAddress, _ destination: SIPDestination) async throws {
        guard streams[address] == nil else { return }
        guard let continuation = inboundContinuation else { throw SIPTransportError("bridge not started") }
        let tls: NIOSSLContext?
        if destination.transport == .tls {
            tls = try tlsContext()
        } else {
            tls = nil
        }
        let serverName = SIPLocator.isIPv4(destination.host) ? nil : destination.host
        let kind = destination.transport
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName)) }
                    try channel.pipeline.syncOperations.addHandler(SIPStreamInbound(continuation: continuation, kind: kind))
                }
            }
            .connect(to: address).get()
        if streams[address] == nil { streams[address] = StreamConnection(channel: channel, kind: kind) }
        logger.info("SIP connection open", metadata: ["peer": "\(address)", "transport": "\(kind.rawValue)"])
    }

    /// The TLS client context: the system's trust store, or the CA file given (`--sip-tls-ca`); the server's name
    /// is checked against its certificate.
    func tlsContext() throws -> NIOSSLContext {
        if let sslContext { return sslContext }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let file = config.tlsCAFile { configuration.trustRoots = .file(file) }
        let context = try NIOSSLContext(configuration: configuration)
        sslContext = context
        return context
    }

    /// The DNS lookups of RFC 3263: NAPTR and SRV over UDP to `--dns-server` or the system's first name server;
    /// A records from `--dns-server` when given, else (or when it has none) from the system's resolver, so
    /// /etc/hosts names such as `localhost` work.
    nonisolated static func dnsLookup(server: String?, group: any EventLoopGroup) -> SIPLocator.Lookup {
        { name, type in
            if type == .a, server == nil { return await systemAddress(name).map { [.a(name: name, address: $0)] } ?? [] }
            let (host, port) = hostAndPort(server ?? systemNameServer() ?? "127.0.0.53")
            let address = try SocketAddress(ipAddress: host, port: port ?? 53)
            let records = try await DNSQuery.ask(name, type, server: address, group: group)
            if type == .a, records.isEmpty { return await systemAddress(name).map { [.a(name: name, address: $0)] } ?? [] }
            return records
        }
    }

    /// The system resolver's IPv4 address for a name (getaddrinfo, on a thread of its own: it blocks).
    nonisolated static func systemAddress(_ name: String) async -> String? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let address = try? SocketAddress.makeAddressResolvingHost(name, port: 0)
                continuation.resume(returning: address?.protocol == .inet ? address?.ipAddress : nil)
            }
        }
    }

    /// The first `nameserver` of /etc/resolv.conf.
    nonisolated static func systemNameServer() -> String? {
        guard let text = try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if parts.count >= 2, parts[0] == "nameserver", SIPLocator.isIPv4(String(parts[1])) { return String(parts[1]) }
        }
        return nil
    }
}

/// One DNS question over UDP: sent twice at most, 2 s each.
enum DNSQuery {
    static func ask(_ name: String, _ type: DNSRecordType, server: SocketAddress, group: any EventLoopGroup) async throws -> [DNSRecord] {
        let id = UInt16.random(in: 0...UInt16.max)
        let query = DNSMessage.query(id: id, name: name, type: type)
        var lastError: any Error = SIPTransportError("no DNS answer for \(name)")
        for _ in 0..<2 {
            let promise = group.next().makePromise(of: [UInt8].self)
            let channel = try await DatagramBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(DNSAnswer(promise: promise)) }
                }
                .bind(host: server.protocol == .inet6 ? "::" : "0.0.0.0", port: 0).get()
            let timeout = channel.eventLoop.scheduleTask(in: .seconds(2)) { promise.fail(SIPTransportError("DNS timeout for \(name)")) }
            defer {
                timeout.cancel()
                channel.close(promise: nil)
            }
            var buffer = channel.allocator.buffer(capacity: query.count)
            buffer.writeBytes(query)
            try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: server, data: buffer))
            do {
                return try DNSMessage.answers(try await promise.futureResult.get(), id: id)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    final class DNSAnswer: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let promise: EventLoopPromise<[UInt8]>
        init(promise: EventLoopPromise<[UInt8]>) { self.promise = promise }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            promise.succeed(Array(unwrapInboundIn(data).data.readableBytesView))
        }
    }
}

/// Moves a TCP/TLS connection's bytes to the bridge, in order, with its opening and closing.
final class SIPStreamInbound: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let continuation: AsyncStream<SIPInboundEvent>.Continuation
    let kind: SIPTransportKind

    init(continuation: AsyncStream<SIPInboundEvent>.Continuation, kind: SIPTransportKind) {
        self.continuation = continuation
        self.kind = kind
    }

    func channelActive(context: ChannelHandlerContext) {
        if let remote = context.channel.remoteAddress { continuation.yield(.opened(context.channel, remote, kind)) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let remote = context.channel.remoteAddress else { return }
        continuation.yield(.bytes(Array(unwrapInboundIn(data).readableBytesView), remote))
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let remote = context.channel.remoteAddress { continuation.yield(.closed(remote)) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let remote = context.channel.remoteAddress { continuation.yield(.failed(remote, "\(error)")) }
        context.close(promise: nil)
    }
}
