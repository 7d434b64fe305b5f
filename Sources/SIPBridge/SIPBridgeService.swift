import AlloRestoCore
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RedisClient
import SIPCore

/// The bridge: registers the lines, answers calls, hands each answered call to a voice worker through Redis and
/// the call's media WebSocket, and hangs up. One actor owns the SIP state; datagrams reach it in arrival order.
public actor SIPBridgeService {
    public enum LineState: Sendable, Equatable {
        case idle
        case registering
        case registered(until: Date)
        case failed(String, retryAt: Date)

        public var label: String {
            switch self {
            case .idle: "idle"
            case .registering: "registering"
            case .registered: "registered"
            case .failed: "failed"
            }
        }
    }

    struct Line {
        var config: SIPLine
        var state: LineState = .idle
        let callId = "reg-" + UUID().uuidString.lowercased()
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        var cseq = 0
        var failures = 0
        var lastError: String?
    }

    public enum CallState: String, Sendable { case ringing, answered, ended }

    final class Call: @unchecked Sendable {
        // Only touched inside the actor (the class keeps identity for timers); see SIPBridgeService.
        let sid: String
        let sipCallId: String
        let invite: SIPMessage
        let remote: SocketAddress
        let localTag: String
        var remoteTag: String?
        var state: CallState = .ringing
        var finalResponse: [UInt8]?
        var provisional: [UInt8]?
        var acked = false
        var media: MediaSession?
        var from: String
        var to: String
        var params: [String: String]
        let createdAt = Date()
        /// When the INVITE arrived (set-up times).
        let arrived = ContinuousClock.now
        var answeredAt: Date?
        var endedAt: Date?
        var endReason: String?
        var cseq = 100
        var timers: [Task<Void, Never>] = []
        /// Placed by the bridge (`POST /api/calls`): `invite` is our request, the dialog's roles are reversed.
        let outbound: Bool
        /// Outbound: the callee's Contact (where in-dialog requests go), the ACK of its 2xx, where statuses are posted.
        var remoteTarget: String?
        var ackBytes: [UInt8]?
        var statusCallback: String?
        var inviteBranch: String?
        /// Outbound: the INVITE last sent (its non-2xx answer is ACKed even after the transaction was given up).
        var lastInvite: SIPMessage?
        var provisionalSeen = false
        var ringTimeout: Duration = .seconds(45)
        var callbacks: Task<Void, Never>?
        /// The dialog's route set (RFC 3261 §12.1.1): the INVITE's Record-Route values, in order; in-dialog requests
        /// carry it as Route headers.
        var routeSet: [String] = []
        /// The codecs agreed at set-up, for the answers to re-INVITEs.
        var audio: SDPSession.Codec?
        var dtmf: SDPSession.Codec?
        /// Our SDP `o=` version: one more for every new answer (RFC 3264 §8).
        var sdpVersion: UInt64 = 1
        /// Answers to re-INVITEs by Via branch: a retransmitted re-INVITE gets its own answer again.
        var reinviteAnswers: [String: [UInt8]] = [:]

        init(sid: String, invite: SIPMessage, remote: SocketAddress, from: String, to: String, params: [String: String], outbound: Bool = false,
             localTag: String = String(UInt64.random(in: 0...UInt64.max), radix: 36)) {
            self.outbound = outbound
            self.localTag = localTag
            self.sid = sid
            sipCallId = invite.callId ?? sid
            self.invite = invite
            self.remote = remote
            self.from = from
            self.to = to
            self.params = params
            remoteTag = outbound ? nil : invite["From"].flatMap { SIPHeader.parameter("tag", in: $0) }
            if !outbound { routeSet = invite.all("Record-Route").flatMap(SIPHeader.split) }
        }

        var direction: String { outbound ? "outbound" : "inbound" }

        /// What the worker gets (queue event `customParams`, `start.customParameters`): the line's parameters and
        /// the call's parties (`callerPhone` is the other party: the caller inbound, the callee outbound).
        var customParameters: [String: String] {
            var custom = params
            custom["callerPhone"] = outbound ? to : from
            custom["to"] = to
            custom["direction"] = direction
            return custom
        }
    }

    public struct CallInfo: Sendable, Codable {
        public var sid: String
        public var sipCallId: String
        public var from: String
        public var to: String
        public var direction: String
        public var state: String
        public var createdAt: Date
        public var answeredAt: Date?
        public var endedAt: Date?
        public var endReason: String?
        public var rtpReceived: Int
        public var rtpSent: Int
        public var dtmf: [String]
        public var hasWorker: Bool
    }

    nonisolated public let config: BridgeConfiguration
    let logger: Logger
    let group: any EventLoopGroup
    nonisolated public let redis: RedisLink
    let busyAudio: [UInt8]
    var transport: (any Channel)?
    var lines: [Line]
    var calls: [String: Call] = [:]  // by SIP Call-ID
    var bySid: [String: Call] = [:]
    var recent: [CallInfo] = []
    var totals = MetricTotals()
    var pending: [String: CheckedContinuation<SIPMessage?, Never>] = [:]  // client transactions by branch
    var retransmits: [String: Task<Void, Never>] = [:]
    var consumer: Task<Void, Never>?
    var registrations: [Task<Void, Never>] = []
    public private(set) var localPort = 0

    /// The RTP sockets and their pacers: event loops of their own (`--media-threads`), so a burst of SIP, HTTP or
    /// WebSocket work never delays a 20 ms send.
    let mediaGroup: MultiThreadedEventLoopGroup
    let clocks: MediaClocks

    public init(config: BridgeConfiguration, logger: Logger = Logger(label: "alloresto.sip-bridge"), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.config = config
        self.logger = logger
        self.group = group
        mediaGroup = MultiThreadedEventLoopGroup(numberOfThreads: max(1, config.mediaThreads))
        clocks = MediaClocks(group: mediaGroup)
        redis = RedisLink(url: config.redisURL)
        lines = config.lines.map { Line(config: $0) }
        busyAudio = Self.recordedBusyMessage.isEmpty ? Array(repeating: 0xFF, count: 8000) : Self.recordedBusyMessage
    }

    /// The recorded "all our agents are busy" message (raw µ-law, 8 kHz), read once per process.
    static let recordedBusyMessage: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "busy-fr", withExtension: "ulaw", subdirectory: "Audio"), let data = try? Data(contentsOf: url) else { return [] }
        return Array(data)
    }()

    public nonisolated static func busyMessage() -> [UInt8] { recordedBusyMessage }

    // MARK: transport

    public func start() async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: (bytes: [UInt8], from: SocketAddress).self, bufferingPolicy: .bufferingNewest(10_000))
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(SIPInbound(continuation: continuation)) }
            }
            .bind(host: config.bindHost, port: config.sipPort).get()
        transport = channel
        localPort = channel.localAddress?.port ?? config.sipPort
        consumer = Task { [weak self] in
            for await datagram in stream { await self?.receive(datagram.bytes, from: datagram.from) }
        }
        for i in lines.indices { registrations.append(Task { [weak self] in await self?.keepRegistered(i) }) }
        logger.info("SIP bridge listening", metadata: ["udp": "\(config.bindHost):\(localPort)", "lines": "\(lines.count)"])
    }

    public func stop() async {
        for r in registrations { r.cancel() }
        for call in Array(calls.values) where call.state != .ended { hangUp(call, reason: "shutdown") }
        consumer?.cancel()
        try? await transport?.close()
        await redis.close()
        try? await mediaGroup.shutdownGracefully()
    }

    func send(_ bytes: [UInt8], to address: SocketAddress) {
        guard let channel = transport else { return }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
    }

    var via: String { "SIP/2.0/UDP \(config.advertisedHost):\(localPort)" }

    static func branch() -> String { "z9hG4bK" + String(UInt64.random(in: 0...UInt64.max), radix: 36) }

    /// Sends a request and waits for its final response, retransmitting over UDP (RFC 3261 timers E/A: 500 ms
    /// doubling up to 4 s, 32 s in all). Provisional responses are ignored here.
    func request(_ message: SIPMessage, to address: SocketAddress) async -> SIPMessage? {
        guard let branch = message["Via"].flatMap({ SIPHeader.parameter("branch", in: $0) }) else { return nil }
        let bytes = message.serialized()
        return await withCheckedContinuation { continuation in
            pending[branch] = continuation
            send(bytes, to: address)
            retransmits[branch] = Task { [weak self] in
                var delay = 0.5
                var elapsed = 0.0
                while elapsed < 32 {
                    try? await Task.sleep(for: .seconds(delay))
                    if Task.isCancelled { return }
                    elapsed += delay
                    await self?.retransmit(branch: branch, bytes: bytes, to: address)
                    delay = min(delay * 2, 4)
                }
                await self?.complete(branch: branch, with: nil)
            }
        }
    }

    func retransmit(branch: String, bytes: [UInt8], to address: SocketAddress) {
        guard pending[branch] != nil else { return }
        send(bytes, to: address)
    }

    func complete(branch: String, with response: SIPMessage?) {
        retransmits.removeValue(forKey: branch)?.cancel()
        pending.removeValue(forKey: branch)?.resume(returning: response)
    }

    // MARK: incoming datagrams

    func receive(_ bytes: [UInt8], from address: SocketAddress) {
        if bytes.allSatisfy({ $0 == 13 || $0 == 10 }) { return }  // keep-alive
        let message: SIPMessage
        do { message = try SIPMessage.parse(bytes) } catch {
            logger.debug("dropped a malformed SIP datagram", metadata: ["from": "\(address)", "why": "\(error)"])
            return
        }
        if let code = message.statusCode {
            guard let branch = message["Via"].flatMap({ SIPHeader.parameter("branch", in: $0) }) else { return }
            if code < 200 {
                provisional(message, branch: branch)
                return
            }
            if pending[branch] == nil, let call = calls[message.callId ?? ""], call.outbound {
                if (200..<300).contains(code), let ack = call.ackBytes {
                    send(ack, to: call.remote)  // the callee did not get our ACK: its 200 OK comes again
                } else if code >= 300, call.inviteBranch == branch, let invite = call.lastInvite {
                    send(ackForFailure(invite, message), to: call.remote)  // e.g. the 487 after our CANCEL
                }
                return
            }
            complete(branch: branch, with: message)
            return
        }
        // RFC 3261 §8.2.2.3: an extension the request requires and we do not support (100rel, timer, replaces…)
        // is refused with 420 naming it, never ignored (ACK and CANCEL cannot be refused).
        if message.method != "ACK", message.method != "CANCEL" {
            let required = message.all("Require").flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            let unsupported = required.filter { !Self.supported.contains($0) }
            if !unsupported.isEmpty {
                send(response(to: message, 420, "Bad Extension", toTag: "ext", extra: [("Unsupported", unsupported.joined(separator: ", "))]), to: address)
                return
            }
        }
        switch message.method {
        case "INVITE": invite(message, from: address)
        case "ACK": ack(message)
        case "BYE": bye(message, from: address)
        case "CANCEL": cancel(message, from: address)
        case "OPTIONS": options(message, from: address)
        case "INFO": info(message, from: address)
        default: send(response(to: message, 405, "Method Not Allowed", extra: [("Allow", Self.allow)]), to: address)
        }
    }

    /// The methods we handle (Allow) and the extensions we support (none: no 100rel, no session timers).
    static let allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO"
    static let supported: Set<String> = []

    /// OPTIONS in or out of a dialog (RFC 3261 §11.2): 200 with a To tag, what we allow, accept and support — the
    /// answer trunks use to keep routing calls to us.
    func options(_ message: SIPMessage, from address: SocketAddress) {
        let tag = calls[message.callId ?? ""]?.localTag ?? String(UInt64.random(in: 0...UInt64.max), radix: 36)
        send(response(to: message, 200, "OK", toTag: tag, extra: [
            ("Allow", Self.allow), ("Accept", "application/sdp, application/dtmf-relay"), ("Accept-Language", "fr, en"),
            ("Supported", Self.supported.sorted().joined(separator: ", ")),
        ]), to: address)
    }

    /// INFO in a dialog: `application/dtmf-relay` (`Signal=5`) is a key pressed, handed to the worker like an RTP
    /// event; anything else is acknowledged. Outside a dialog: 481.
    func info(_ message: SIPMessage, from address: SocketAddress) {
        guard let call = calls[message.callId ?? ""], call.state != .ended else {
            send(response(to: message, 481, "Call/Transaction Does Not Exist"), to: address)
            return
        }
        send(response(to: message, 200, "OK"), to: address)
        guard message["Content-Type"]?.lowercased().hasPrefix("application/dtmf-relay") == true,
              let text = String(validating: message.body, as: UTF8.self) else { return }
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0].lowercased() == "signal", let digit = parts[1].first.map(String.init), "0123456789*#ABCD".contains(digit.uppercased()) {
                call.media?.digit(digit.uppercased())
            }
        }
    }

    func response(to request: SIPMessage, _ code: Int, _ reason: String, toTag: String? = nil, extra: [(String, String)] = [], body: [UInt8] = []) -> [UInt8] {
        var headers: [(String, String)] = request.all("Via").map { ("Via", $0) }
        headers.append(("From", request["From"] ?? ""))
        var to = request["To"] ?? ""
        if let toTag, SIPHeader.parameter("tag", in: to) == nil { to += ";tag=\(toTag)" }
        headers.append(("To", to))
        headers.append(("Call-ID", request.callId ?? ""))
        headers.append(("CSeq", request["CSeq"] ?? ""))
        headers.append(("Server", config.userAgent))
        // RFC 3261 §12.1.1: a response that creates (or confirms) a dialog carries the request's Record-Route.
        if request.method == "INVITE", (101..<300).contains(code), toTag != nil {
            headers += request.all("Record-Route").map { ("Record-Route", $0) }
        }
        headers += extra
        return SIPMessage(.response(code: code, reason: reason), headers: headers, body: body).serialized()
    }

    func invite(_ message: SIPMessage, from address: SocketAddress) {
        let callId = message.callId ?? ""
        if let call = calls[callId] {
            let branch = message["Via"].flatMap { SIPHeader.parameter("branch", in: $0) }
            let initialBranch = call.invite["Via"].flatMap { SIPHeader.parameter("branch", in: $0) }
            let toTag = message["To"].flatMap { SIPHeader.parameter("tag", in: $0) }
            if branch != nil, branch != initialBranch, toTag == call.localTag, !call.outbound {
                reinvite(message, call: call, from: address)
                return
            }
            // A retransmission of the initial INVITE: repeat what we said.
            if let final = call.finalResponse { send(final, to: address) } else if let p = call.provisional { send(p, to: address) }
            return
        }
        let active = calls.values.filter { $0.state != .ended }.count
        guard active < config.maxConcurrentCalls else {
            send(response(to: message, 486, "Busy Here", toTag: "busy"), to: address)
            recordRefused(message, reason: "busy")
            return
        }
        guard let sdpText = String(validating: message.body, as: UTF8.self), let offer = try? SDPSession.parse(sdpText), let chosen = offer.negotiate() else {
            send(response(to: message, 488, "Not Acceptable Here", toTag: "sdp"), to: address)
            recordRefused(message, reason: "no common codec")
            return
        }
        let from = SIPHeader.user(of: SIPHeader.uri(in: message["From"] ?? "")) ?? "anonymous"
        let to = SIPHeader.user(of: SIPHeader.uri(in: message["To"] ?? "")) ?? SIPHeader.user(of: message.uri ?? "") ?? ""
        let line = lines.first { $0.config.username == to } ?? lines.first
        let sid = "CA" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let call = Call(sid: sid, invite: message, remote: address, from: from, to: to, params: line?.config.params ?? [:])
        calls[callId] = call
        bySid[sid] = call
        let trying = response(to: message, 100, "Trying")
        call.provisional = trying
        send(trying, to: address)
        call.timers.append(Task { [weak self] in
            await self?.setUp(call, offer: offer, audio: chosen.audio, dtmf: chosen.dtmf)
        })
    }

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

    func recordRefused(_ message: SIPMessage, reason: String) {
        let from = SIPHeader.user(of: SIPHeader.uri(in: message["From"] ?? "")) ?? "anonymous"
        let to = SIPHeader.user(of: SIPHeader.uri(in: message["To"] ?? "")) ?? ""
        remember(CallInfo(sid: "-", sipCallId: message.callId ?? "", from: from, to: to, direction: "inbound", state: "ended", createdAt: Date(),
                          answeredAt: nil, endedAt: Date(), endReason: reason, rtpReceived: 0, rtpSent: 0, dtmf: [], hasWorker: false))
    }

    /// Media socket, queue hand-off, ringing, then the answer.
    func setUp(_ call: Call, offer: SDPSession, audio: SDPSession.Codec, dtmf: SDPSession.Codec?) async {
        let remoteMedia = try? SocketAddress.makeAddressResolvingHost(offer.address, port: offer.port)
        let media: MediaSession
        do {
            media = try await MediaSession.open(
                callId: call.sid, host: config.bindHost, remote: remoteMedia, audioPT: UInt8(audio.payloadType), isPCMA: audio.name.uppercased() == "PCMA",
                dtmfPT: dtmf.map { UInt8($0.payloadType) }, symmetric: config.symmetricRTP, group: mediaGroup, clocks: clocks, logger: logger)
        } catch {
            fail(call, 500, "Server Internal Error", reason: "media: \(error)")
            return
        }
        guard call.state == .ringing else { media.close(); return }  // cancelled meanwhile
        call.media = media
        // The hand-off: a worker must be able to take the call, else the caller hears 503 at once. In push mode the
        // bridge dials the worker once the call is answered instead.
        do {
            if config.wsTarget == nil {
                try await redis.send(["LPUSH", config.queueKey, queueEvent(call).text])
                totals.inviteToQueued.record(us: (ContinuousClock.now - call.arrived).microseconds)
            }
        } catch {
            logger.error("Redis unavailable: call refused with 503", metadata: ["call": "\(call.sid)", "error": "\(error)"])
            media.close()
            call.media = nil
            fail(call, 503, "Service Unavailable", reason: "redis unavailable")
            return
        }
        guard call.state == .ringing else { media.close(); return }
        let ringing = response(to: call.invite, 180, "Ringing", toTag: call.localTag)
        call.provisional = ringing
        send(ringing, to: call.remote)
        try? await Task.sleep(for: config.ringTime)
        guard call.state == .ringing else { return }
        answer(call, audio: audio, dtmf: dtmf, media: media)
        if let target = config.wsTarget { push(call, media: media, to: target) }
    }

    func answer(_ call: Call, audio: SDPSession.Codec, dtmf: SDPSession.Codec?, media: MediaSession) {
        call.audio = audio
        call.dtmf = dtmf
        let sdp = SDPSession.body(address: config.advertisedHost, port: media.port, audio: [audio], dtmf: dtmf, sessionId: UInt64(CheckedNumber.clamped(call.createdAt.timeIntervalSince1970, to: 0...Int(Int32.max))))
        let ok = response(to: call.invite, 200, "OK", toTag: call.localTag, extra: [
            ("Contact", "<sip:\(call.to.isEmpty ? "bridge" : call.to)@\(config.advertisedHost):\(localPort)>"),
            ("Content-Type", "application/sdp"), ("Allow", Self.allow),
        ], body: Array(sdp.utf8))
        call.finalResponse = ok
        call.state = .answered
        call.answeredAt = Date()
        send(ok, to: call.remote)
        totals.answered += 1
        totals.inviteToAnswer.record(us: (ContinuousClock.now - call.arrived).microseconds)
        media.startPacing()
        // 2xx retransmission until the ACK (timer G), then the worker wait and the call limit.
        call.timers.append(Task { [weak self] in
            var delay = 0.5
            var elapsed = 0.0
            while elapsed < 32 {
                try? await Task.sleep(for: .seconds(delay))
                guard let self, !Task.isCancelled else { return }
                elapsed += delay
                if await self.retransmitOK(call) == false { return }
                delay = min(delay * 2, 4)
            }
            await self?.hangUp(call, reason: "no ACK")
        })
        startAnsweredTimers(call)
    }

    /// Once answered: the busy message if no worker comes in time, and the longest call.
    func startAnsweredTimers(_ call: Call) {
        call.timers.append(Task { [weak self] in
            guard let self else { return }
            try? await Task.sleep(for: self.config.workerTimeout)
            await self.noWorkerCheck(call)
        })
        call.timers.append(Task { [weak self] in
            guard let self else { return }
            try? await Task.sleep(for: self.config.maxCallDuration)
            await self.hangUp(call, reason: "max duration")
        })
    }

    /// Resends the 200 OK while no ACK came; false once acknowledged (or the call ended).
    func retransmitOK(_ call: Call) -> Bool {
        guard call.state == .answered, !call.acked, let ok = call.finalResponse else { return false }
        send(ok, to: call.remote)
        return true
    }

    func noWorkerCheck(_ call: Call) async {
        guard call.state == .answered, call.endReason == nil, let media = call.media, !media.hasWorker else { return }
        logger.warning("no worker took the call: busy message", metadata: ["call": "\(call.sid)"])
        call.endReason = "no worker"
        media.play(busyAudio)
        // Hang up once the message is played.
        while call.state == .answered, media.pendingAudio > 0 { try? await Task.sleep(for: .milliseconds(100)) }
        try? await Task.sleep(for: .milliseconds(200))
        hangUp(call, reason: "no worker")
    }

    func fail(_ call: Call, _ code: Int, _ reason: String, reason why: String) {
        let final = response(to: call.invite, code, reason, toTag: call.localTag)
        call.finalResponse = final
        send(final, to: call.remote)
        end(call, reason: why)
    }

    /// A re-INVITE in the dialog (RFC 3261 §14, RFC 3264 §8): its own transaction and its own 200 (its CSeq, its
    /// Via), our answer in the direction the offer calls for (hold: `sendonly` → `recvonly`, `inactive`, `0.0.0.0`),
    /// the media following at once (new address or port, sending stopped or resumed). An offer we cannot take is
    /// 488 and the call goes on as it was; a re-INVITE before the first one was acknowledged is 491 (glare).
    func reinvite(_ message: SIPMessage, call: Call, from address: SocketAddress) {
        let branch = message["Via"].flatMap { SIPHeader.parameter("branch", in: $0) } ?? ""
        if let answered = call.reinviteAnswers[branch] { send(answered, to: address); return }
        guard call.state == .answered, let media = call.media, let audio = call.audio else {
            send(response(to: message, 491, "Request Pending", toTag: call.localTag), to: address)
            return
        }
        guard !message.body.isEmpty, let text = String(validating: message.body, as: UTF8.self), let offer = try? SDPSession.parse(text),
              let chosen = offer.negotiate(), chosen.audio.name.uppercased() == audio.name.uppercased() else {
            let refused = response(to: message, 488, "Not Acceptable Here", toTag: call.localTag)
            call.reinviteAnswers[branch] = refused
            send(refused, to: address)
            return
        }
        let ours = offer.direction.answer
        let remote = offer.address == "0.0.0.0" || offer.port == 0 ? nil : try? SocketAddress.makeAddressResolvingHost(offer.address, port: offer.port)
        media.update(remote: remote, sending: ours.weSend && offer.address != "0.0.0.0")
        call.sdpVersion += 1
        let sdp = SDPSession.body(address: config.advertisedHost, port: media.port, audio: [audio], dtmf: chosen.dtmf.flatMap { _ in call.dtmf },
                                  sessionId: UInt64(CheckedNumber.clamped(call.createdAt.timeIntervalSince1970, to: 0...Int(Int32.max))),
                                  version: call.sdpVersion, direction: ours)
        let ok = response(to: message, 200, "OK", toTag: call.localTag, extra: [
            ("Contact", "<sip:\(call.to.isEmpty ? "bridge" : call.to)@\(config.advertisedHost):\(localPort)>"),
            ("Content-Type", "application/sdp"), ("Allow", Self.allow),
        ], body: Array(sdp.utf8))
        call.reinviteAnswers[branch] = ok
        send(ok, to: address)
        logger.info("re-INVITE answered", metadata: ["call": "\(call.sid)", "direction": "\(ours.rawValue)", "remote": "\(offer.address):\(offer.port)"])
    }

    func ack(_ message: SIPMessage) {
        guard let call = calls[message.callId ?? ""] else { return }
        call.acked = true
    }

    func cancel(_ message: SIPMessage, from address: SocketAddress) {
        guard let call = calls[message.callId ?? ""] else {
            send(response(to: message, 481, "Call/Transaction Does Not Exist"), to: address)
            return
        }
        send(response(to: message, 200, "OK"), to: address)
        guard call.state == .ringing else { return }  // already answered: the caller will send BYE
        let terminated = response(to: call.invite, 487, "Request Terminated", toTag: call.localTag)
        call.finalResponse = terminated
        send(terminated, to: call.remote)
        end(call, reason: "cancelled")
    }

    func bye(_ message: SIPMessage, from address: SocketAddress) {
        guard let call = calls[message.callId ?? ""] else {
            send(response(to: message, 481, "Call/Transaction Does Not Exist"), to: address)
            return
        }
        send(response(to: message, 200, "OK"), to: address)
        end(call, reason: call.endReason ?? "caller hung up")
    }

    /// Ends the call from our side: BYE (retransmitted until answered), media closed.
    public func hangUp(sid: String, reason: String = "hung up by API") -> Bool {
        guard let call = bySid[sid], call.state != .ended else { return false }
        hangUp(call, reason: reason)
        return true
    }

    func hangUp(_ call: Call, reason: String) {
        guard call.state != .ended else { return }
        if call.state == .ringing {
            if call.outbound { cancelOutbound(call, reason: reason) } else { fail(call, 480, "Temporarily Unavailable", reason: reason) }
            return
        }
        call.cseq += 1
        let target: String
        var to: String, from: String
        if call.outbound {
            target = call.remoteTarget ?? call.invite.uri ?? ""
            from = call.invite["From"] ?? ""
            to = call.invite["To"] ?? ""
        } else {
            target = call.invite["Contact"].map { SIPHeader.uri(in: $0) } ?? call.invite.uri ?? "sip:\(call.from)"
            to = call.invite["From"] ?? ""
            from = call.invite["To"] ?? ""
        }
        if SIPHeader.parameter("tag", in: to) == nil, let tag = call.remoteTag { to += ";tag=\(tag)" }
        if SIPHeader.parameter("tag", in: from) == nil { from += ";tag=\(call.localTag)" }
        // The route set (RFC 3261 §12.2.1.1): loose routing keeps the remote target as Request-URI and lists the
        // routes; a strict router (no `;lr`) becomes the Request-URI and the remote target the last route.
        var uri = target
        var routes = call.routeSet
        if let first = routes.first, !SIPHeader.uri(in: first).lowercased().contains(";lr") {
            uri = SIPHeader.uri(in: first)
            routes = Array(routes.dropFirst()) + ["<\(target)>"]
        }
        var headers: [(String, String)] = [
            ("Via", "\(via);branch=\(Self.branch())"), ("Max-Forwards", "70"), ("From", from), ("To", to),
            ("Call-ID", call.sipCallId), ("CSeq", "\(call.cseq) BYE"), ("User-Agent", config.userAgent),
        ]
        headers += routes.map { ("Route", $0) }
        let bye = SIPMessage(.request(method: "BYE", uri: uri), headers: headers)
        // The next hop: the first route (or the target) when its host is an address; else where the INVITE came from.
        let remote = Self.literalAddress(routes.first.map { SIPHeader.uri(in: $0) } ?? uri) ?? call.remote
        end(call, reason: reason)
        Task { _ = await self.request(bye, to: remote) }
    }

    /// `host:port` of a SIP URI when the host is a literal IP address (no DNS on the actor); nil otherwise.
    static func literalAddress(_ uri: String) -> SocketAddress? {
        var u = Substring(uri)
        for scheme in ["sips:", "sip:"] where u.lowercased().hasPrefix(scheme) { u = u.dropFirst(scheme.count) }
        if let at = u.lastIndex(of: "@") { u = u[u.index(after: at)...] }
        if let semi = u.firstIndex(of: ";") { u = u[..<semi] }
        let parts = u.split(separator: ":")
        guard let host = parts.first, host.split(separator: ".").count == 4, host.allSatisfy({ $0.isNumber || $0 == "." }) else { return nil }
        let port = parts.count > 1 ? Int(parts[1]) ?? 5060 : 5060
        return try? SocketAddress(ipAddress: String(host), port: port)
    }

    func end(_ call: Call, reason: String) {
        guard call.state != .ended else { return }
        call.state = .ended
        call.endedAt = Date()
        call.endReason = call.endReason ?? reason
        for t in call.timers { t.cancel() }
        call.timers = []
        call.media?.close()
        if let media = call.media {
            totals.ended += 1
            totals.add(media.stats)
        }
        remember(info(call))
        if call.outbound { postStatus(call, call.answeredAt == nil ? Self.unansweredStatus(call.endReason) : "completed") }
        // Keep the dialog a little for retransmitted BYE/ACK, then forget it.
        let id = call.sipCallId, sid = call.sid
        Task { [weak self] in
            try? await Task.sleep(for: .seconds(32))
            await self?.forget(id, sid)
        }
    }

    func forget(_ callId: String, _ sid: String) {
        calls[callId] = nil
        bySid[sid] = nil
    }

    func remember(_ info: CallInfo) {
        recent.append(info)
        if recent.count > 200 { recent.removeFirst(recent.count - 200) }
    }

    func info(_ c: Call) -> CallInfo {
        let s = c.media?.stats
        return CallInfo(sid: c.sid, sipCallId: c.sipCallId, from: c.from, to: c.to, direction: c.direction, state: c.state.rawValue, createdAt: c.createdAt,
                        answeredAt: c.answeredAt, endedAt: c.endedAt, endReason: c.endReason, rtpReceived: s?.received ?? 0, rtpSent: s?.sent ?? 0,
                        dtmf: s?.dtmf ?? [], hasWorker: c.media?.hasWorker ?? false)
    }

    // MARK: worker side

    /// The media of a call a worker connects to (`/media/{sid}`), with what goes in `start.customParameters`.
    public func attach(sid: String) -> (MediaSession, [String: String])? {
        // The worker may connect while the call still rings (the event is queued just before the answer).
        guard let call = bySid[sid], call.state != .ended, let media = call.media else { return nil }
        return (media, call.customParameters)
    }

    /// The worker left: the call ends (unless it already did).
    public func workerLeft(sid: String) {
        guard let call = bySid[sid], call.state != .ended else { return }
        hangUp(call, reason: "worker hung up")
    }

    // MARK: registration

    func keepRegistered(_ index: Int) async {
        while !Task.isCancelled {
            let seconds = await register(index)
            try? await Task.sleep(for: .seconds(seconds))
        }
    }

    /// One REGISTER round (with the digest answer when challenged); returns the seconds until the next one.
    func register(_ index: Int) async -> Double {
        var line = lines[index]
        line.state = .registering
        lines[index] = line
        let target = line.config.registrar ?? line.config.domain
        let parts = target.split(separator: ":")
        let host = String(parts.first ?? "")
        let port = parts.count > 1 ? Int(parts[1]) ?? 5060 : 5060
        guard let address = try? SocketAddress.makeAddressResolvingHost(host, port: port) else {
            return registrationFailed(index, "cannot resolve \(host)")
        }
        var authorization: (String, String)?
        var nc = 0
        var expires = line.config.expires
        for _ in 0..<4 {
            lines[index].cseq += 1
            let l = lines[index]
            var headers: [(String, String)] = [
                ("Via", "\(via);branch=\(Self.branch());rport"), ("Max-Forwards", "70"),
                ("From", "<sip:\(l.config.username)@\(l.config.domain)>;tag=\(l.tag)"), ("To", "<sip:\(l.config.username)@\(l.config.domain)>"),
                ("Call-ID", l.callId), ("CSeq", "\(l.cseq) REGISTER"),
                ("Contact", "<sip:\(l.config.username)@\(config.advertisedHost):\(localPort)>"), ("Expires", String(expires)),
                ("User-Agent", config.userAgent),
            ]
            if let authorization { headers.append(authorization) }
            let uri = "sip:\(l.config.domain)"
            guard let reply = await request(SIPMessage(.request(method: "REGISTER", uri: uri), headers: headers), to: address) else {
                return registrationFailed(index, "no answer from \(target)")
            }
            switch reply.statusCode ?? 0 {
            case 200..<300:
                // Our own binding's expiry: a registrar lists every binding of the address of record (RFC 3261 §10.3).
                let ours = "\(l.config.username)@\(config.advertisedHost):\(localPort)"
                let contacts = reply.all("Contact").flatMap(SIPHeader.split)
                let binding = contacts.first { SIPHeader.uri(in: $0).contains(ours) } ?? (contacts.count == 1 ? contacts.first : nil)
                // A registrar's number is checked before it becomes a time: 1 s … 7 days (a huge or negative one
                // would trap in the Duration of the refresh timer).
                let said = binding.flatMap { SIPHeader.parameter("expires", in: $0) }.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                    ?? reply["Expires"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? expires
                let granted = min(max(said, 1), 7 * 86_400)
                lines[index].state = .registered(until: Date().addingTimeInterval(Double(granted)))
                lines[index].failures = 0
                lines[index].lastError = nil
                logger.info("line registered", metadata: ["line": "\(l.config.name)", "expires": "\(granted)"])
                return max(5, min(Double(granted) * 0.8, Double(granted) - 30))
            case 401, 407:
                let header = reply.statusCode == 401 ? "WWW-Authenticate" : "Proxy-Authenticate"
                guard let challenge = reply[header].flatMap(DigestChallenge.parse), challenge.supported else {
                    return registrationFailed(index, "unsupported challenge")
                }
                if authorization != nil && !challenge.stale { return registrationFailed(index, "credentials refused (\(reply.statusCode!))") }
                nc += 1
                let value = challenge.authorization(method: "REGISTER", uri: uri, username: l.config.username, password: l.config.password,
                                                    cnonce: String(UInt64.random(in: 0...UInt64.max), radix: 16), nc: nc)
                authorization = (reply.statusCode == 401 ? "Authorization" : "Proxy-Authorization", value)
            case 423:
                // Interval Too Brief (RFC 3261 §10.2.8): ask again at once with at least Min-Expires.
                guard let min = reply["Min-Expires"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), min > expires, min <= 86_400 else {
                    return registrationFailed(index, "registrar answered 423 without a usable Min-Expires")
                }
                expires = min
            default:
                return registrationFailed(index, "registrar answered \(reply.statusCode ?? 0)")
            }
        }
        return registrationFailed(index, "too many challenges")
    }

    func registrationFailed(_ index: Int, _ why: String) -> Double {
        lines[index].failures += 1
        lines[index].lastError = why
        let backoff = min(300, 5 * pow(2, Double(min(lines[index].failures - 1, 6))))
        lines[index].state = .failed(why, retryAt: Date().addingTimeInterval(backoff))
        logger.warning("line registration failed", metadata: ["line": "\(lines[index].config.name)", "why": "\(why)", "retryIn": "\(Int(backoff))s"])
        return backoff
    }

    // MARK: status

    public struct LineInfo: Sendable, Codable {
        public var name: String
        public var state: String
        public var registeredUntil: Date?
        public var lastError: String?
        public var params: [String: String]
    }

    public func lineInfos() -> [LineInfo] {
        lines.map { l in
            var until: Date?
            if case .registered(let u) = l.state { until = u }
            return LineInfo(name: l.config.name, state: l.state.label, registeredUntil: until, lastError: l.lastError, params: l.config.params)
        }
    }

    public func callInfos() -> (active: [CallInfo], recent: [CallInfo]) {
        (calls.values.filter { $0.state != .ended }.map(info).sorted { $0.createdAt < $1.createdAt }, recent.reversed())
    }

    public var activeCallCount: Int { calls.values.filter { $0.state != .ended }.count }

    /// Totals since start, the calls in progress included.
    public func metrics() -> BridgeMetrics {
        var t = totals
        let live = calls.values.filter { $0.state != .ended }
        for call in live { if let media = call.media { t.add(media.stats) } }
        return t.report(active: live.count)
    }
    public var dialogCount: Int { calls.count }
}

/// Moves SIP datagrams from the socket to the bridge, in order.
final class SIPInbound: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let continuation: AsyncStream<(bytes: [UInt8], from: SocketAddress)>.Continuation

    init(continuation: AsyncStream<(bytes: [UInt8], from: SocketAddress)>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        continuation.yield((Array(envelope.data.readableBytesView), envelope.remoteAddress))
    }
}
