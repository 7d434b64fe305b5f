import Foundation
import NIOCore
import NIOPosix
import SIPCore

/// The SIP socket and the transaction layer: datagrams in (Via `received`/`rport` added, retransmissions matched to
/// their server transaction), requests out through client transactions, responses through server transactions,
/// and the machines' timers armed as tasks.
extension SIPBridgeService {
    public func start() async throws {
        // Datagrams may be dropped under a flood (the newest kept); connection events never are (a lost chunk would
        // break the framing, a lost close would leave a dead connection).
        let (stream, continuation) = AsyncStream.makeStream(of: SIPInboundEvent.self, bufferingPolicy: .bufferingNewest(10_000))
        let (connectionEvents, connectionContinuation) = AsyncStream.makeStream(of: SIPInboundEvent.self, bufferingPolicy: .unbounded)
        inboundContinuation = connectionContinuation
        if config.sipTransport == .tls { _ = try tlsContext() }  // a bad CA file is a start-up error, not a silent failure
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(SIPInbound(continuation: continuation)) }
            }
            .bind(host: config.bindHost, port: config.sipPort).get()
        transport = channel
        localPort = channel.localAddress?.port ?? config.sipPort
        await listenTCP(port: localPort, continuation: connectionContinuation)
        let transportParameter = config.sipTransport == .udp ? "" : ";transport=\(config.sipTransport.rawValue)"
        lines = config.lines.map { Line(config: $0, contact: "sip:\($0.username)@\(config.advertisedHost):\(localPort)\(transportParameter)") }
        consumer = Task { [weak self] in
            for await event in stream { await self?.streamEvent(event) }
        }
        connectionConsumer = Task { [weak self] in
            for await event in connectionEvents { await self?.streamEvent(event) }
        }
        for i in lines.indices { registrations.append(Task { [weak self] in await self?.keepRegistered(i) }) }
        logger.info("SIP bridge listening", metadata: ["udp+tcp": "\(config.bindHost):\(localPort)", "transport": "\(config.sipTransport.rawValue)",
                                                       "lines": "\(lines.count)"])
    }

    /// Hangs up every call, unregisters the lines (Expires 0, at most 2 s), closes the sockets.
    public func stop() async {
        for r in registrations { r.cancel() }
        for call in Array(calls.values) where call.state != .ended { hangUp(call, reason: "shutdown") }
        let unregistering = Task { await self.unregisterAll() }
        let deadline = Task { [weak self] in
            try? await Task.sleep(for: .seconds(2))
            if !Task.isCancelled { await self?.abandonAllClientTransactions() }
        }
        await unregistering.value
        deadline.cancel()
        consumer?.cancel()
        connectionConsumer?.cancel()
        for t in transactionTimers.values { t.cancel() }
        transactionTimers = [:]
        try? await transport?.close()
        try? await tcpListener?.close()
        for connection in streams.values { try? await connection.channel.close() }
        streams = [:]
        await redis.close()
        try? await mediaGroup.shutdownGracefully()
    }

    /// Over the TCP/TLS connection with that peer when there is one, else as a UDP datagram.
    func send(_ bytes: [UInt8], to address: SocketAddress) {
        if let connection = streams[address] {
            var buffer = connection.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            connection.channel.writeAndFlush(buffer, promise: nil)
            return
        }
        guard let channel = transport else { return }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
    }

    /// Our Via without branch, for a request going to `peer` (its transport: the connection's, else UDP).
    func via(to peer: SocketAddress? = nil) -> String {
        let kind = peer.flatMap { streams[$0]?.kind } ?? (peer == nil ? config.sipTransport : .udp)
        return "SIP/2.0/\(kind.viaToken) \(config.advertisedHost):\(localPort)"
    }

    /// The methods we handle (Allow) and the extensions we support (none: no 100rel, no session timers).
    /// Server transactions kept at once (each lives 32 s at most after its final response).
    static let maxServerTransactions = 20_000

    /// The key of a server transaction (RFC 3261 §17.2.3): the top Via's branch and sent-by, and the method (an ACK
    /// and a CANCEL looked up `as` the INVITE they belong to).
    static func key(_ message: SIPMessage, as method: String? = nil) -> String? {
        guard let via = message["Via"], let branch = SIPHeader.parameter("branch", in: via), !branch.isEmpty else { return nil }
        let sentBy = via.split(separator: ";").first.map { $0.split(separator: " ").last.map(String.init) ?? "" }?.lowercased() ?? ""
        let m = method ?? message.method ?? message.cseq?.method ?? ""
        return "\(branch)|\(sentBy)|\(m == "ACK" ? "INVITE" : m)"
    }

    // MARK: incoming datagrams

    func receive(_ bytes: [UInt8], from address: SocketAddress) {
        if bytes.allSatisfy({ $0 == 13 || $0 == 10 }) { return }  // keep-alive
        var message: SIPMessage
        do { message = try SIPMessage.parse(bytes) } catch {
            logger.debug("dropped a malformed SIP datagram", metadata: ["from": "\(address)", "why": "\(error)"])
            return
        }
        if message.statusCode != nil {
            response(message)
            return
        }
        Self.stampVia(&message, from: address)
        // A retransmitted request (or the ACK of a non-2xx final): its server transaction answers.
        if let key = Self.key(message), servers[key] != nil {
            serverReceive(message, key: key)
            return
        }
        // RFC 3261 §8.2: an unsupported required extension (420) or an unknown method (405), never ignored.
        if let refusal = RequestScreening.screen(message) {
            reply(message, refusal.code, refusal.reason, toTag: refusal.code == 420 ? "ext" : nil, extra: [(refusal.header, refusal.value)], to: address)
            return
        }
        switch message.method {
        case "INVITE": invite(message, from: address)
        case "ACK": ack(message)
        case "BYE": bye(message, from: address)
        case "CANCEL": cancel(message, from: address)
        case "OPTIONS": options(message, from: address)
        case "INFO": info(message, from: address)
        case "UPDATE": update(message, from: address)
        case "NOTIFY": notify(message, from: address)
        default: reply(message, 405, "Method Not Allowed", extra: [("Allow", RequestScreening.allow)], to: address)
        }
    }

    /// RFC 3581 §4 (and RFC 3261 §18.2.1): the top Via gets `received` when the sender's address differs from its
    /// sent-by host, and `rport` filled with the source port when the sender asked for it. Responses copy the Via
    /// and go back to that source address and port.
    static func stampVia(_ message: inout SIPMessage, from address: SocketAddress) {
        guard let i = message.headers.firstIndex(where: { $0.name == "Via" }), let ip = address.ipAddress, let port = address.port else { return }
        message.headers[i].value = RequestScreening.stampedVia(message.headers[i].value, sourceIP: ip, sourcePort: port)
    }


    // MARK: server transactions

    /// A response to `request` as RFC 3261 §8.2.6 builds it: the request's Via(s), From, Call-ID, CSeq, its To with
    /// our tag when given; Record-Route copied into responses that create or confirm a dialog (§12.1.1).
    func responseMessage(to request: SIPMessage, _ code: Int, _ reason: String, toTag: String? = nil, extra: [(String, String)] = [],
                         body: [UInt8] = []) -> SIPMessage
    {
        var headers: [(String, String)] = request.all("Via").map { ("Via", $0) }
        headers.append(("From", request["From"] ?? ""))
        var to = request["To"] ?? ""
        if let toTag, code > 100, SIPHeader.parameter("tag", in: to) == nil { to += ";tag=\(toTag)" }
        headers.append(("To", to))
        headers.append(("Call-ID", request.callId ?? ""))
        headers.append(("CSeq", request["CSeq"] ?? ""))
        headers.append(("Server", config.userAgent))
        if request.method == "INVITE", (101..<300).contains(code), toTag != nil {
            headers += request.all("Record-Route").map { ("Record-Route", $0) }
        }
        headers += extra
        return SIPMessage(.response(code: code, reason: reason), headers: headers, body: body)
    }

    /// Answers `request` through its server transaction (created on its first response), which retransmits it
    /// over UDP as RFC 3261 §17.2 says and answers retransmitted requests with it.
    func reply(_ request: SIPMessage, _ code: Int, _ reason: String, toTag: String? = nil, extra: [(String, String)] = [], body: [UInt8] = [],
               to address: SocketAddress)
    {
        let response = responseMessage(to: request, code, reason, toTag: toTag, extra: extra, body: body)
        guard let key = Self.key(request) else {
            send(response.serialized(), to: address)  // no branch: nothing to match retransmissions with
            return
        }
        if servers[key] == nil {
            // A flood of distinct requests must not grow the table without bound: past the cap, answer statelessly.
            guard request.method == "INVITE" || servers.count < Self.maxServerTransactions else {
                send(response.serialized(), to: address)
                return
            }
            servers[key] = ServerEntry(machine: ServerTransaction(request: request, reliable: streams[address] != nil, timers: timerValues), peer: address)
        }
        guard var entry = servers[key] else { return }
        let actions = entry.machine.respond(response)
        servers[key] = entry
        perform(actions, server: key)
    }

    func serverReceive(_ message: SIPMessage, key: String) {
        guard var entry = servers[key] else { return }
        let actions = entry.machine.receive(message)
        servers[key] = entry
        perform(actions, server: key)
    }

    func perform(_ actions: [TransactionAction], server key: String) {
        guard let entry = servers[key] else { return }
        for action in actions {
            switch action {
            case .send(let message): send(message.serialized(), to: entry.peer)
            case .startTimer(let timer, let after):
                arm(key, timer, after) { bridge in
                    guard var e = bridge.servers[key] else { return }
                    let next = e.machine.timerFired(timer)
                    bridge.servers[key] = e
                    bridge.perform(next, server: key)
                }
            case .cancelTimer(let timer): disarm(key, timer)
            case .acknowledged(let ack): inviteAcknowledged(ack, transaction: entry.machine)
            case .ackTimedOut: inviteNeverAcknowledged(entry.machine)
            case .terminated:
                servers[key] = nil
                for timer in TransactionTimer.allCases { disarm(key, timer) }
            case .deliver, .timedOut: break
            }
        }
    }

    // MARK: client transactions

    /// Sends a request through a client transaction (RFC 3261 §17.1: timers A/B or E/F) and waits for its final
    /// response; nil when none came (timeout) or the transaction was abandoned. Provisional responses to our
    /// INVITEs go to `provisional(_:branch:)`.
    func request(_ message: SIPMessage, to address: SocketAddress) async -> SIPMessage? {
        let machine = ClientTransaction(request: message, reliable: streams[address] != nil, timers: timerValues)
        guard !machine.branch.isEmpty, let method = message.method else { return nil }
        let key = "\(machine.branch)|\(method)"
        return await withCheckedContinuation { continuation in
            var entry = ClientEntry(machine: machine, peer: address, waiter: continuation)
            let actions = entry.machine.start()
            clients[key] = entry
            perform(actions, client: key)
        }
    }

    func response(_ message: SIPMessage) {
        guard let branch = message["Via"].flatMap({ SIPHeader.parameter("branch", in: $0) }), let method = message.cseq?.method else { return }
        let key = "\(branch)|\(method)"
        guard var entry = clients[key] else {
            if (message.statusCode ?? 0) < 200 { provisional(message, branch: branch) } else { strayResponse(message, branch: branch) }
            return
        }
        let actions = entry.machine.receive(message)
        clients[key] = entry
        perform(actions, client: key)
    }

    func perform(_ actions: [TransactionAction], client key: String) {
        for action in actions {
            guard let entry = clients[key] else { return }
            switch action {
            case .send(let message): send(message.serialized(), to: entry.peer)
            case .startTimer(let timer, let after):
                arm(key, timer, after) { bridge in
                    guard var e = bridge.clients[key] else { return }
                    let next = e.machine.timerFired(timer)
                    bridge.clients[key] = e
                    bridge.perform(next, client: key)
                }
            case .cancelTimer(let timer): disarm(key, timer)
            case .deliver(let response):
                if (response.statusCode ?? 0) < 200 {
                    provisional(response, branch: entry.machine.branch)
                } else if let waiter = entry.waiter {
                    clients[key]?.waiter = nil
                    waiter.resume(returning: response)
                } else {
                    strayResponse(response, branch: entry.machine.branch)  // a 2xx again (Accepted): our ACK was lost
                }
            case .timedOut:
                clients[key]?.waiter = nil
                entry.waiter?.resume(returning: nil)
            case .terminated:
                finishClient(key)
            case .acknowledged, .ackTimedOut: break
            }
        }
    }

    /// Gives up waiting on a client transaction (ring timeout, shutdown): its waiter gets nil.
    func finishClient(_ key: String) {
        for timer in TransactionTimer.allCases { disarm(key, timer) }
        clients.removeValue(forKey: key)?.waiter?.resume(returning: nil)
    }

    func abandonAllClientTransactions() {
        for key in Array(clients.keys) { finishClient(key) }
    }

    // MARK: timers

    func arm(_ key: String, _ timer: TransactionTimer, _ after: Duration, fire: @escaping @Sendable (isolated SIPBridgeService) -> Void) {
        let id = "\(key)/\(timer.rawValue)"
        transactionTimers.removeValue(forKey: id)?.cancel()
        transactionTimers[id] = Task { [weak self] in
            if after > .zero { try? await Task.sleep(for: after) }
            guard !Task.isCancelled, let self else { return }
            await self.fired(id, fire)
        }
    }

    func fired(_ id: String, _ fire: @Sendable (isolated SIPBridgeService) -> Void) {
        guard transactionTimers.removeValue(forKey: id) != nil else { return }  // disarmed meanwhile
        fire(self)
    }

    func disarm(_ key: String, _ timer: TransactionTimer) {
        transactionTimers.removeValue(forKey: "\(key)/\(timer.rawValue)")?.cancel()
    }

    /// `host:port` of a SIP URI when the host is a literal IP address (no DNS on the actor); nil otherwise.
    static func literalAddress(_ uri: String) -> SocketAddress? {
        guard let target = hostPort(of: uri) else { return nil }
        let (host, port) = hostAndPort(target)
        guard SIPLocator.isIPv4(host) else { return nil }
        return try? SocketAddress(ipAddress: host, port: port ?? 5060)
    }
}

/// Moves SIP datagrams from the socket to the bridge, in order.
final class SIPInbound: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let continuation: AsyncStream<SIPInboundEvent>.Continuation

    init(continuation: AsyncStream<SIPInboundEvent>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        continuation.yield(.datagram(Array(envelope.data.readableBytesView), envelope.remoteAddress))
    }
}
