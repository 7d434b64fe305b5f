import AsyncHTTPClient
import Foundation
import NIOCore
import SIPCore
import WireFormats

/// Calls placed by the bridge (`POST /api/calls`): INVITE through the line's proxy, answering 401/407 digest
/// challenges, ringing, the callee's answer, then the same hand-off to a voice worker as an inbound call.
/// Status callbacks are POSTed as JSON (`initiated`, `ringing`, `in-progress`, then `completed`, `busy`,
/// `no-answer`, `failed` or `canceled`).
extension SIPBridgeService {
    public struct DialRequest: Sendable {
        /// A number or user (`+33612345678`: `sip:N@<domain>` through the line's proxy), or a whole `sip:` URI (sent
        /// where its host says, RFC 3263, unless the line has an outbound proxy).
        public var to: String
        /// The caller ID shown (the From user); the line's username when nil.
        public var from: String?
        /// This call's worker WebSocket (push), instead of the bridge's hand-off.
        public var wsTarget: String?
        /// The line (its username) to call from; the first line when nil.
        public var line: String?
        /// Passed to the worker in `customParameters`, over the line's own.
        public var params: [String: String]
        public var statusCallback: String?
        /// How long the callee may ring before the call is given up (CANCEL).
        public var ringTimeout: Duration
        /// A bridged transfer's call to the target: the sid of the caller's call it will be joined to (no worker,
        /// no status callbacks of its own).
        var transferOf: String?

        public init(to: String, from: String? = nil, line: String? = nil, params: [String: String] = [:], statusCallback: String? = nil,
                    wsTarget: String? = nil, ringTimeout: Duration = .seconds(45)) {
            self.to = to
            self.from = from
            self.wsTarget = wsTarget
            self.line = line
            self.params = params
            self.statusCallback = statusCallback
            self.ringTimeout = ringTimeout
        }
    }

    public struct DialError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts an outbound call and returns at once (state `ringing`); the rest is reported by the call's state and
    /// status callbacks.
    public func dial(_ request: DialRequest) async throws -> CallInfo {
        guard let line = (request.line.flatMap { name in lines.first { $0.config.username == name } } ?? lines.first)?.config else {
            throw DialError(description: request.line.map { "no line \($0)" } ?? "no line configured to call from")
        }
        let to = request.to.trimmingCharacters(in: .whitespaces)
        guard !to.isEmpty, to.allSatisfy({ !$0.isWhitespace && $0 != "<" && $0 != ">" && $0 != "\"" }) else {
            throw DialError(description: "to: a number or a sip: URI")
        }
        guard activeCallCount < config.maxConcurrentCalls else { throw DialError(description: "busy: \(config.maxConcurrentCalls) calls in progress") }
        // A SIP URI in any letter case (`SIP:`, `sips:`) is one; anything else is a number or user at the line's domain.
        let lower = to.lowercased()
        let scheme = lower.hasPrefix("sip:") ? "sip:" : lower.hasPrefix("sips:") ? "sips:" : nil
        let uri = scheme.map { $0 + to.dropFirst($0.count) } ?? "sip:\(to)@\(line.domain)"
        if let from = request.from {
            guard !from.isEmpty, from.count <= 64, from.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-_.".contains($0)) }) else {
                throw DialError(description: "from: a number or a user name")
            }
        }
        // A SIP URI goes where its host says unless the line has an outbound proxy; a number through the line's proxy.
        let proxy = line.proxy ?? (scheme != nil ? Self.hostPort(of: uri) : nil) ?? line.registrar ?? line.domain
        let address: SocketAddress
        do { address = try await destination(proxy) } catch {
            throw DialError(description: "cannot reach \(proxy): \(error)")
        }
        let caller = request.from ?? line.username
        let sid = "CA" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let media = try await MediaSession.open(
            callId: sid, host: config.bindHost, remote: nil, audioPT: 0, isPCMA: false, dtmfPT: 101, symmetric: config.symmetricRTP,
            rtcpInterval: config.rtcpInterval, gains: gains, group: mediaGroup, clocks: clocks, logger: logger)
        // A transfer's call: the caller may have left during the lookups above (the actor served other events).
        let original = request.transferOf.flatMap { bySid[$0] }
        if request.transferOf != nil, original?.state != .answered {
            media.close()
            throw DialError(description: "the caller left before the target was called")
        }
        let localTag = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let callId = UUID().uuidString.lowercased() + "@" + config.advertisedHost
        let sdp = SDPSession.body(
            address: config.advertisedHost, port: media.port, audio: [SDPSession.Codec(payloadType: 0, name: "PCMU")],
            dtmf: SDPSession.Codec(payloadType: 101, name: "telephone-event"), sessionId: UInt64(exactly: Date().timeIntervalSince1970.rounded(.down)) ?? 0)
        let invite = SIPMessage(.request(method: "INVITE", uri: uri), headers: [
            ("Max-Forwards", "70"), ("From", "<sip:\(caller)@\(line.domain)>;tag=\(localTag)"), ("To", "<\(uri)>"),
            ("Call-ID", callId), ("Contact", "<sip:\(line.username)@\(config.advertisedHost):\(localPort)\(streams[address].map { ";transport=\($0.kind.rawValue)" } ?? "")>"),
            ("User-Agent", config.userAgent), ("Allow", RequestScreening.allow), ("Content-Type", "application/sdp"),
        ], body: Array(sdp.utf8))
        let callee = SIPHeader.user(of: uri) ?? to
        let call = Call(sid: sid, invite: invite, remote: address, from: caller, to: callee, params: line.params.merging(request.params) { $1 },
                        outbound: true, localTag: localTag)
        call.handOffOverride = request.wsTarget.map { WebSocketPushHandOff(target: $0) }
        call.domain = line.domain
        call.shownTo = to
        if let original {
            call.transferOf = original
            call.isTransferLeg = true
            original.transferLeg = call
        }
        call.media = media
        call.statusCallback = request.statusCallback
        call.cseq = 1
        calls[callId] = call
        bySid[sid] = call
        postStatus(call, "initiated")
        call.timers.append(Task { [weak self] in await self?.runInvite(call, line: line, ringTimeout: request.ringTimeout) })
        return info(call)
    }

    /// `host[:port]` of a SIP or SIPS URI (`sip:user@host:port;params`), nil when it is not one or has no host.
    static func hostPort(of uri: String) -> String? {
        let lower = uri.lowercased()
        guard lower.hasPrefix("sip:") || lower.hasPrefix("sips:") else { return nil }
        var rest = Substring(uri.dropFirst(lower.hasPrefix("sips:") ? 5 : 4))
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if let cut = rest.firstIndex(where: { $0 == ";" || $0 == "?" || $0 == ">" }) { rest = rest[..<cut] }
        return rest.isEmpty ? nil : String(rest)
    }

    /// The INVITE transaction: sent, challenged at most twice, answered or refused.
    func runInvite(_ call: Call, line: SIPLine, ringTimeout: Duration) async {
        var authorization: (String, String)?
        var nc = 0
        // The ring timeout counts from the INVITE: a proxy that answers 100 and nothing else does not hold the call.
        call.timers.append(Task { [weak self] in
            try? await Task.sleep(for: ringTimeout)
            if Task.isCancelled { return }
            await self?.ringTimedOut(call)
        })
        for _ in 0..<3 {
            guard call.state == .ringing else { return }
            let branch = Self.branch()
            var headers: [(String, String)] = [("Via", "\(via(to: call.remote));branch=\(branch);rport")]
            headers += call.invite.headers.filter { !["via", "cseq", "authorization", "proxy-authorization"].contains($0.name.lowercased()) }.map { ($0.name, $0.value) }
            headers.append(("CSeq", "\(call.cseq) INVITE"))
            if let authorization { headers.append(authorization) }
            let invite = SIPMessage(call.invite.start, headers: headers, body: call.invite.body)
            call.inviteBranch = branch
            call.lastInvite = invite
            call.ringTimeout = ringTimeout
            guard let reply = await request(invite, to: call.remote) else {
                if call.state == .ringing { cancelOutbound(call, reason: call.provisionalSeen ? "no answer" : "no answer from the proxy") }
                return
            }
            call.inviteBranch = nil
            let code = reply.statusCode ?? 0  // a failure was ACKed by its transaction (RFC 3261 §17.1.1.3)
            switch code {
            case 200..<300:
                await answered(call, reply)
                return
            case 401, 407:
                let header = code == 401 ? "WWW-Authenticate" : "Proxy-Authenticate"
                guard let challenge = reply[header].flatMap(DigestChallenge.parse), challenge.supported,
                      authorization == nil || challenge.stale
                else {
                    end(call, reason: authorization == nil ? "unsupported challenge" : "credentials refused (\(code))")
                    return
                }
                nc += 1
                let uri = call.invite.uri ?? ""
                authorization = (code == 401 ? "Authorization" : "Proxy-Authorization", challenge.authorization(
                    method: "INVITE", uri: uri, username: line.username, password: line.password,
                    cnonce: String(UInt64.random(in: 0...UInt64.max), radix: 16), nc: nc))
                call.cseq += 1
            case 486, 600:
                end(call, reason: "busy")
                return
            case 487:
                end(call, reason: call.endReason ?? "canceled")
                return
            case 408, 480:
                end(call, reason: "no answer")
                return
            default:
                end(call, reason: "refused (\(code))")
                return
            }
        }
        if call.state == .ringing { end(call, reason: "too many challenges") }
    }

    /// A response no transaction waits for: the callee's 2xx again (our ACK was lost: it is sent again), or the
    /// failure (e.g. 487 after our CANCEL) of an INVITE transaction we gave up on (it is ACKed, RFC 3261 §17.1.1.3).
    func strayResponse(_ message: SIPMessage, branch: String) {
        guard let call = calls[message.callId ?? ""], call.outbound, let code = message.statusCode, message.cseq?.method == "INVITE" else { return }
        if (200..<300).contains(code), let ack = call.ackBytes {
            send(ack, to: call.ackHop ?? call.remote)
        } else if (200..<300).contains(code), call.state == .ended {
            acknowledgeAndHangUp(call, message)
        } else if code >= 300, call.inviteBranch == branch, let invite = call.lastInvite {
            send(ClientTransaction.ack(for: invite, response: message).serialized(), to: call.remote)
        }
    }

    /// A 1xx to one of our INVITEs: the callee rings; the ring timeout starts (the transaction, Proceeding, no
    /// longer retransmits).
    func provisional(_ message: SIPMessage, branch: String) {
        guard let call = calls[message.callId ?? ""], call.outbound, call.inviteBranch == branch, let code = message.statusCode else { return }
        call.provisionalSeen = true
        // Given up before any provisional response: the CANCEL may go now (RFC 3261 §9.1).
        if call.state == .ended {
            sendCancel(call)
            return
        }
        guard call.state == .ringing, code > 100, !call.ringingPosted else { return }
        call.ringingPosted = true
        postStatus(call, "ringing")
    }

    /// Rung long enough: the INVITE transaction is given up (its waiter gets nil and the call is cancelled).
    func ringTimedOut(_ call: Call) {
        guard call.state == .ringing, let branch = call.inviteBranch else { return }
        finishClient(branch + "|INVITE")
    }

    /// The callee answered: the dialog (RFC 3261 §12.1.2), ACK through its route set, media towards its SDP,
    /// hand-off to a worker.
    func answered(_ call: Call, _ reply: SIPMessage) async {
        if call.state == .ended {
            acknowledgeAndHangUp(call, reply)  // hung up while it rang, before any provisional response
            return
        }
        var dialog = Dialog(uac: call.lastInvite ?? call.invite, response: reply)
        let hop = peer(for: call, hop: dialog.nextHop)
        let (ack, _) = dialog.request("ACK", via: "\(via(to: hop));branch=\(Self.branch());rport", cseq: reply.cseq?.number ?? call.cseq,
                                      extra: [("User-Agent", config.userAgent)])
        call.dialog = dialog
        call.ackBytes = ack.serialized()
        call.ackHop = hop
        send(call.ackBytes ?? [], to: call.ackHop ?? call.remote)
        guard call.state == .ringing, let media = call.media else { return }
        // Answered from here on: a hang-up now is a BYE in the dialog the ACK opened.
        call.state = .answered
        call.answeredAt = Date()
        totals.answered += 1
        guard let text = String(validating: reply.body, as: UTF8.self), let answer = try? SDPDescription.parse(text), let chosen = answer.choice(),
              chosen.audio.name.uppercased() == "PCMU",
              let remoteMedia = Self.mediaAddress(chosen.session)
        else {
            hangUp(call, reason: "callee answered without PCMU")
            return
        }
        call.audio = chosen.audio
        call.dtmf = chosen.dtmf
        call.remoteSession = chosen.session
        // The payload types the callee's answer gave (its telephone-event type may not be our 101).
        media.setCodec(audioPT: UInt8(chosen.audio.payloadType), isPCMA: false, dtmfPT: chosen.dtmf.map { UInt8($0.payloadType) })
        media.setRemote(remoteMedia)
        media.setPacketTime(ptime: chosen.session.ptime, maxptime: chosen.session.maxptime)
        watchMedia(call, media)
        if let original = call.transferOf {
            media.startPacing()
            join(original, with: call)
            startAnsweredTimers(call)
            return
        }
        postStatus(call, "answered")
        media.startPacing()
        do {
            try await (call.handOffOverride ?? handOff).handOff(handOffCall(call, media: media), bridge: self)
        } catch {
            logger.error("Redis unavailable: outbound call hung up", metadata: ["call": "\(call.sid)", "error": "\(error)"])
            hangUp(call, reason: "redis unavailable")
            return
        }
        startAnsweredTimers(call)
    }

    /// Gives up a call that is still ringing: CANCEL of the pending INVITE (RFC 3261 9.1).
    func cancelOutbound(_ call: Call, reason: String) {
        guard call.state == .ringing else { return }
        call.endReason = reason
        // RFC 3261 §9.1: no CANCEL before a provisional response; one that comes later triggers it (`provisional`).
        if call.provisionalSeen { sendCancel(call) }
        end(call, reason: reason)
    }

    /// CANCEL of our pending INVITE: its own client transaction on the INVITE's branch (RFC 3261 §9.1).
    func sendCancel(_ call: Call) {
        guard let invite = call.lastInvite, let via = invite["Via"], !call.cancelSent else { return }
        call.cancelSent = true
        var headers: [(String, String)] = [
            ("Via", via), ("Max-Forwards", "70"), ("From", invite["From"] ?? ""), ("To", invite["To"] ?? ""), ("Call-ID", call.sipCallId),
            ("CSeq", "\(invite.cseq?.number ?? call.cseq) CANCEL"), ("User-Agent", config.userAgent),
        ]
        headers += invite.all("Route").map { ("Route", $0) }
        let cancel = SIPMessage(.request(method: "CANCEL", uri: invite.uri ?? ""), headers: headers)
        let remote = call.remote
        Task { _ = await self.request(cancel, to: remote) }
    }

    /// A 2xx for a call we had already given up (it crossed our CANCEL, or came after the ring timeout): the
    /// dialog exists at the callee, so it is ACKed and ended with BYE at once (RFC 3261 §15).
    func acknowledgeAndHangUp(_ call: Call, _ reply: SIPMessage) {
        guard call.ackBytes == nil, let invite = call.lastInvite else { return }
        var dialog = Dialog(uac: invite, response: reply)
        let hop = peer(for: call, hop: dialog.nextHop)
        let (ack, _) = dialog.request("ACK", via: "\(via(to: hop));branch=\(Self.branch());rport", cseq: reply.cseq?.number ?? call.cseq)
        call.ackBytes = ack.serialized()
        call.ackHop = hop
        send(call.ackBytes ?? [], to: hop)
        let (bye, _) = dialog.request("BYE", via: "\(via(to: hop));branch=\(Self.branch());rport", extra: [("User-Agent", config.userAgent)])
        call.dialog = dialog
        Task { _ = await self.request(bye, to: hop) }
    }

    /// The callback status of a call that ended before being answered, from its end reason.
    public static func unansweredStatus(_ reason: String?) -> String {
        switch reason ?? "" {
        case "busy": "busy"
        case let r where r.hasPrefix("no answer"): "no-answer"
        case "hung up by API", "canceled", "cancelled", "shutdown": "cancelled"
        default: "failed"
        }
    }

    /// Reports a status change as the original bridge does (SIP-BRIDGE.md §5): `{sid, direction, from, to, status,
    /// customParams, event, timestamp}` (and ours: `callSid`, `callStatus`, `reason`) to the call's own `callbackUrl`,
    /// else `--status-callback-url`; POST with that JSON, or GET with the fields as query parameters
    /// (`customParams` as JSON). Best effort, in order, off the SIP path: a slow or failing receiver never delays a
    /// call (`--callback-timeout` bounds each attempt).
    func postStatus(_ call: Call, _ status: String) {
        guard !call.isTransferLeg, let url = call.statusCallback ?? config.statusCallbackURL else { return }
        let event: String
        switch status {
        case "initiated", "ringing", "answered": event = status
        case "active": event = "answered"
        default: event = "completed"
        }
        var custom: [String: JSONValue] = [:]
        for (k, v) in call.customParameters { custom[k] = .string(v) }
        let fields: [(String, JSONValue)] = [
            ("sid", .string(call.sid)), ("direction", .string(call.direction)), ("from", .string(recordNumber(call.from))),
            ("to", .string(recordNumber(call.shownTo ?? call.to))),
            ("status", .string(status)), ("customParams", .object(custom)), ("event", .string(event)),
            ("timestamp", .string(Date().formatted(.iso8601))), ("callSid", .string(call.sid)), ("callStatus", .string(status)),
            ("reason", call.endReason.map(JSONValue.string) ?? .null),
        ]
        let log = logger, get = config.callbackMethod.uppercased() == "GET", timeout = config.callbackTimeout
        let seconds = Int64(CheckedNumber.clamped(Double(timeout.components.seconds), to: 1...3600))
        // One after the other, so the receiver sees them in order.
        let previous = call.callbacks
        call.callbacks = Task.detached {
            await previous?.value
            var request: HTTPClientRequest
            if get {
                var components = URLComponents(string: url)
                let items = (components?.queryItems ?? []) + fields.map { name, value in
                    URLQueryItem(name: name, value: value.stringValue ?? (value == .null ? "" : value.text))
                }
                components?.queryItems = items
                request = HTTPClientRequest(url: components?.string ?? url)
                request.method = .GET
            } else {
                request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                var object: [String: JSONValue] = [:]
                for (name, value) in fields { object[name] = value }
                request.body = .bytes(ByteBuffer(string: JSONValue.object(object).text))
            }
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(seconds))
                _ = try await response.body.collect(upTo: 1 << 16)
            } catch {
                log.warning("status callback failed", metadata: ["url": "\(Self.redacted(url))", "status": "\(status)", "error": "\(error)"])
            }
        }
    }
}
