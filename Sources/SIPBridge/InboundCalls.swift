import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SIPCore
import WireFormats

/// Calls from the lines: INVITE (with an offer, or without one — delayed offer), the hand-off, 180 and the 200;
/// ACK, CANCEL, BYE, re-INVITE and UPDATE (hold, resume, new address, codec change), OPTIONS and INFO; our BYE
/// only once our 2xx is acknowledged (RFC 3261 §15).
extension SIPBridgeService {
    static let pcmu = SDPSession.Codec(payloadType: 0, name: "PCMU")
    static let pcma = SDPSession.Codec(payloadType: 8, name: "PCMA")
    static let telephoneEvent = SDPSession.Codec(payloadType: 101, name: "telephone-event")

    /// The call a request belongs to when it is in one of our dialogs (Call-ID and our To tag: RFC 3261 §12.2.2).
    func inDialog(_ message: SIPMessage) -> Call? {
        guard let call = calls[message.callId ?? ""], message["To"].flatMap({ SIPHeader.parameter("tag", in: $0) }) == call.localTag else { return nil }
        return call
    }

    func invite(_ message: SIPMessage, from address: SocketAddress) {
        let callId = message.callId ?? ""
        let toTag = message["To"].flatMap { SIPHeader.parameter("tag", in: $0) }
        if let call = calls[callId] {
            if toTag == call.localTag, !call.outbound {
                reinvite(message, call: call, from: address)
            } else {
                // The same call again on another branch (forked or looped, RFC 3261 §8.2.2.2).
                reply(message, 482, "Loop Detected", toTag: "loop", to: address)
            }
            return
        }
        guard toTag == nil else {
            reply(message, 481, "Call/Transaction Does Not Exist", to: address)  // a re-INVITE for a dialog we do not know
            return
        }
        let active = calls.values.filter { $0.state != .ended }.count
        guard active < config.maxConcurrentCalls else {
            reply(message, 486, "Busy Here", toTag: "busy", to: address)
            recordRefused(message, reason: "busy")
            return
        }
        // An offer we can take, or none at all (delayed offer: ours goes in the 2xx, the answer comes in the ACK).
        var offer: SDPDescription?
        var chosen: (index: Int, session: SDPSession, audio: SDPSession.Codec, dtmf: SDPSession.Codec?)?
        if !message.body.isEmpty {
            guard let text = String(validating: message.body, as: UTF8.self), let description = try? SDPDescription.parse(text),
                  let choice = description.choice()
            else {
                reply(message, 488, "Not Acceptable Here", toTag: "sdp", extra: [("Warning", "304 alloresto \"plain RTP audio with PCMU or PCMA only\"")], to: address)
                recordRefused(message, reason: "no common codec")
                return
            }
            offer = description
            chosen = choice
        }
        let from = SIPHeader.user(of: SIPHeader.uri(in: message["From"] ?? "")) ?? "anonymous"
        let to = SIPHeader.user(of: SIPHeader.uri(in: message["To"] ?? "")) ?? SIPHeader.user(of: message.uri ?? "") ?? ""
        let line = lines.first { $0.config.username == to } ?? lines.first
        let sid = "CA" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let call = Call(sid: sid, invite: message, remote: address, from: from, to: to, params: line?.config.params ?? [:])
        call.domain = line?.config.domain
        call.offer = offer
        call.remoteSession = chosen?.session
        call.chosenStream = chosen?.index ?? 0
        call.session.invited(withOffer: offer != nil)
        if let number = message.cseq?.number, let key = Self.key(message) { call.inviteTransactions[number] = key }
        calls[callId] = call
        bySid[sid] = call
        reply(message, 100, "Trying", to: address)
        let audio = chosen?.audio ?? Self.pcmu
        let dtmf = chosen == nil ? Self.telephoneEvent : chosen?.dtmf
        call.timers.append(Task { [weak self] in await self?.setUp(call, audio: audio, dtmf: dtmf) })
    }

    func recordRefused(_ message: SIPMessage, reason: String) {
        let from = SIPHeader.user(of: SIPHeader.uri(in: message["From"] ?? "")) ?? "anonymous"
        let to = SIPHeader.user(of: SIPHeader.uri(in: message["To"] ?? "")) ?? ""
        remember(CallInfo(sid: "-", sipCallId: message.callId ?? "", from: from, to: to, direction: "inbound", state: "ended", createdAt: Date(),
                          answeredAt: nil, endedAt: Date(), endReason: reason, rtpReceived: 0, rtpSent: 0, dtmf: [], hasWorker: false,
                          status: reason == "busy" ? "busy" : "failed"))
    }

    /// Media socket, hand-off, ringing, then the answer; the incoming-call hook first when there is one.
    func setUp(_ call: Call, audio: SDPSession.Codec, dtmf: SDPSession.Codec?) async {
        var ignored = false
        if let hook = config.incomingCallbackURL {
            switch await Self.askIncomingHook(hook, token: config.incomingCallbackToken, from: call.from, to: call.to, timeout: config.callbackTimeout,
                                              logger: logger) {
            case .reject(let code):
                guard call.state == .ringing else { return }
                fail(call, code, Self.reasonPhrase(code), reason: "rejected by the incoming hook")
                return
            case .ignore:
                ignored = true
            case .accept(let custom, let wsTarget, let callbackUrl):
                call.params.merge(custom) { $1 }
                if let wsTarget { call.handOffOverride = WebSocketPushHandOff(target: wsTarget) }
                if let callbackUrl { call.statusCallback = callbackUrl }
            }
            guard call.state == .ringing else { return }  // the caller gave up meanwhile
        }
        let handOff = call.handOffOverride ?? self.handOff
        let offered = call.remoteSession
        let remoteMedia = offered.flatMap { Self.mediaAddress($0) }
        let media: MediaSession
        do {
            media = try await MediaSession.open(
                callId: call.sid, host: config.bindHost, remote: remoteMedia, audioPT: UInt8(audio.payloadType), isPCMA: audio.name.uppercased() == "PCMA",
                dtmfPT: dtmf.map { UInt8($0.payloadType) }, symmetric: config.symmetricRTP, rtcpInterval: config.rtcpInterval, gains: gains, group: mediaGroup,
                clocks: clocks, logger: logger)
        } catch {
            fail(call, 500, "Server Internal Error", reason: "media: \(error)")
            return
        }
        guard call.state == .ringing else { media.close(); return }  // cancelled meanwhile
        call.media = media
        media.setPacketTime(ptime: offered?.ptime, maxptime: offered?.maxptime)
        watchMedia(call, media)
        // The hand-off: a worker must be able to take the call, else the caller hears 503 at once. In push mode the
        // bridge dials the worker once the call is answered instead.
        // A call that will not be answered (`--no-auto-answer`, or the hook said "ignore") is offered to no worker.
        let answering = config.autoAnswer && !ignored
        if handOff.beforeAnswer, answering {
            do {
                try await handOff.handOff(handOffCall(call, media: media), bridge: self)
                totals.inviteToQueued.record(us: (ContinuousClock.now - call.arrived).microseconds)
            } catch {
                logger.error("Redis unavailable: call refused with 503", metadata: ["call": "\(call.sid)", "error": "\(error)"])
                media.close()
                call.media = nil
                fail(call, 503, "Service Unavailable", reason: "redis unavailable")
                return
            }
        }
        guard call.state == .ringing else { media.close(); return }
        reply(call.invite, 180, "Ringing", toTag: call.localTag, to: call.remote)
        call.ringingPosted = true
        postStatus(call, "ringing")
        // `--no-auto-answer`, or the hook said "ignore": the call rings until the caller gives up (CANCEL), as with
        // the original bridge.
        guard answering else { return }
        try? await Task.sleep(for: config.ringTime)
        guard call.state == .ringing else { return }
        answer(call, audio: audio, dtmf: dtmf, media: media)
        if !handOff.beforeAnswer { try? await handOff.handOff(handOffCall(call, media: media), bridge: self) }
    }

    /// Where RTP goes for an SDP stream: its connection address when it is a numeric address (a name in `c=` is
    /// not looked up: a blocking lookup on the SIP path is an outage waiting for a slow DNS), nil on hold (0.0.0.0,
    /// port 0).
    static func mediaAddress(_ session: SDPSession) -> SocketAddress? {
        guard session.address != "0.0.0.0", session.port > 0 else { return nil }
        return try? SocketAddress(ipAddress: session.address, port: session.port)
    }

    /// What the incoming-call hook decided (SIP-BRIDGE.md §5).
    enum IncomingDecision: Sendable, Equatable {
        case accept(customParams: [String: String], wsTarget: String?, callbackUrl: String?)
        case reject(Int)
        case ignore
    }

    /// Asks the incoming-call hook as the original bridge does: `POST {from, to, timestamp}` (JSON), and reads
    /// `{"action": "accept" | "reject" | "ignore", "customParams", "wsTarget", "callbackUrl", "statusCode"}`. No
    /// answer within the callback timeout, an error status or an unreadable reply: accept with the defaults, logged.
    /// A reject without a usable status (400–699) is 486, as the original; overrides that are not URLs of the
    /// right kind are dropped with a log line.
    nonisolated static func askIncomingHook(_ url: String, token: String? = nil, from: String, to: String, timeout: Duration, logger: Logger) async -> IncomingDecision {
        let fallback = IncomingDecision.accept(customParams: [:], wsTarget: nil, callbackUrl: nil)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let body: JSONValue = ["from": .string(from), "to": .string(to), "timestamp": .string(Date().formatted(.iso8601))]
        request.body = .bytes(ByteBuffer(string: body.text))
        let seconds = Int64(CheckedNumber.clamped(Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18, to: 1...60))
        let reply: JSONValue
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(seconds))
            let bytes = try await response.body.collect(upTo: 1 << 16)
            guard (200..<300).contains(response.status.code) else { throw SIPTransportError("the hook answered \(response.status.code)") }
            reply = try JSONReader.parse(Array(buffer: bytes))
        } catch {
            logger.warning("incoming-call hook failed: the call is accepted with the defaults", metadata: ["url": "\(redacted(url))", "error": "\(error)"])
            return fallback
        }
        switch reply["action"]?.stringValue?.lowercased() ?? "accept" {
        case "reject":
            let code = reply["statusCode"]?.intValue.flatMap { (400...699).contains($0) ? $0 : nil } ?? 486
            return .reject(code)
        case "ignore":
            return .ignore
        default:
            var custom: [String: String] = [:]
            if case .object(let fields)? = reply["customParams"] {
                for (k, v) in fields { custom[k] = v.stringValue ?? v.text }
            }
            let ws = reply["wsTarget"]?.stringValue.flatMap { $0.hasPrefix("ws://") || $0.hasPrefix("wss://") ? $0 : nil }
            let callback = reply["callbackUrl"]?.stringValue.flatMap { $0.hasPrefix("http://") || $0.hasPrefix("https://") ? $0 : nil }
            if reply["wsTarget"] != nil && ws == nil || reply["callbackUrl"] != nil && callback == nil {
                logger.warning("incoming-call hook: wsTarget must be ws(s)://, callbackUrl http(s):// — ignored", metadata: ["url": "\(redacted(url))"])
            }
            return .accept(customParams: custom, wsTarget: ws, callbackUrl: callback)
        }
    }

    /// A URL as it may be logged: without its query, where a token (`?token=…`) travels.
    nonisolated static func redacted(_ url: String) -> String {
        guard let q = url.firstIndex(of: "?") else { return url }
        return url[..<q] + "?…"
    }

    /// The reason phrase of a refusal the hook chose (RFC 3261 §21).
    static func reasonPhrase(_ code: Int) -> String {
        [403: "Forbidden", 404: "Not Found", 480: "Temporarily Unavailable", 486: "Busy Here", 488: "Not Acceptable Here",
         503: "Service Unavailable", 600: "Busy Everywhere", 603: "Decline"][code] ?? "Rejected"
    }

    /// No RTP for `--rtp-timeout`: the trunk is dead, the call ends.
    func watchMedia(_ call: Call, _ media: MediaSession) {
        guard let timeout = config.rtpTimeout else { return }
        let sid = call.sid
        media.watchSilence(timeout) { [weak self] in
            Task { await self?.mediaTimedOut(sid: sid) }
        }
    }

    func mediaTimedOut(sid: String) {
        guard let call = bySid[sid], call.state == .answered else { return }
        logger.warning("no RTP from the caller: hanging up", metadata: ["call": "\(sid)"])
        hangUp(call, reason: "rtp timeout")
    }

    /// Our Contact for a call: the called user (when it is a plain token) at our address, with the transport of
    /// the call's connection.
    func contact(_ call: Call) -> (String, String) {
        let user = call.to.isEmpty || !call.to.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-_.".contains($0)) } ? "bridge" : call.to
        let kind = streams[call.remote]?.kind ?? .udp
        return ("Contact", "<sip:\(user)@\(config.advertisedHost):\(localPort)\(kind == .udp ? "" : ";transport=\(kind.rawValue)")>")
    }

    /// The 200 OK: our answer (one m= line per offered stream) or, for a delayed offer, our offer (PCMU, PCMA,
    /// telephone-event) whose answer the ACK must bring.
    func answer(_ call: Call, audio: SDPSession.Codec, dtmf: SDPSession.Codec?, media: MediaSession) {
        call.audio = audio
        call.dtmf = dtmf
        let body: String
        if let offer = call.offer, let remote = call.remoteSession {
            call.mediaDirection = remote.direction.answer
            media.update(remote: nil, sending: call.mediaDirection.weSend && remote.address != "0.0.0.0")
            body = offer.answer(choosing: call.chosenStream, address: config.advertisedHost, port: media.port, audio: audio, dtmf: dtmf,
                                sessionId: call.sdpSessionId, version: call.sdpVersion, direction: call.mediaDirection)
        } else {
            call.offered = [Self.pcmu, Self.pcma]
            body = SDPSession.body(address: config.advertisedHost, port: media.port, audio: call.offered, dtmf: Self.telephoneEvent,
                                   sessionId: call.sdpSessionId, version: call.sdpVersion)
        }
        call.session.answered()
        call.state = .answered
        call.answeredAt = Date()
        reply(call.invite, 200, "OK", toTag: call.localTag, extra: [contact(call), ("Content-Type", "application/sdp"), ("Allow", RequestScreening.allow)],
              body: Array(body.utf8), to: call.remote)
        totals.answered += 1
        totals.inviteToAnswer.record(us: (ContinuousClock.now - call.arrived).microseconds)
        media.startPacing()
        postStatus(call, "answered")
        if call.workerArrivedEarly, !call.activePosted {
            call.activePosted = true
            postStatus(call, "active")
        }
        startAnsweredTimers(call)
    }

    /// Once answered: the busy message if no worker comes in time, and the longest call.
    func startAnsweredTimers(_ call: Call) {
        call.timers.append(Task { [weak self] in
            guard let self else { return }
            try? await Task.sleep(for: self.config.workerTimeout)
            await self.noWorkerCheck(call)
        })
        guard let longest = config.maxCallDuration else { return }
        call.timers.append(Task { [weak self] in
            try? await Task.sleep(for: longest)
            await self?.hangUp(call, reason: "max duration")
        })
    }

    func noWorkerCheck(_ call: Call) async {
        guard call.state == .answered, call.endReason == nil, let media = call.media, !media.hasWorker else { return }
        // The bridge's call to a transfer target has no worker by design; a transfer under way decides for itself.
        guard !call.isTransferLeg, call.transfer == nil || call.transfer?.state == "failed" else { return }
        logger.warning("no worker took the call: busy message", metadata: ["call": "\(call.sid)"])
        call.endReason = "no worker"
        media.play(busyAudio)
        // Hang up once the message is played.
        while call.state == .answered, media.pendingAudio > 0 { try? await Task.sleep(for: .milliseconds(100)) }
        try? await Task.sleep(for: .milliseconds(200))
        hangUp(call, reason: "no worker")
    }

    func fail(_ call: Call, _ code: Int, _ reason: String, reason why: String) {
        reply(call.invite, code, reason, toTag: call.localTag, to: call.remote)
        call.session.ended()
        end(call, reason: why)
    }

    // MARK: ACK, CANCEL, BYE

    /// The ACK of a 2xx (its own transaction, RFC 3261 §17.1.1.3) goes to the INVITE transaction of its CSeq.
    func ack(_ message: SIPMessage) {
        if let call = inDialog(message), let number = message.cseq?.number, let key = call.inviteTransactions[number] {
            serverReceive(message, key: key)
        } else if let key = inviteTransaction(matching: message) {
            serverReceive(message, key: key)  // the ACK of a failure, sent on a branch of its own
        }
    }

    /// The INVITE server transaction a CANCEL or ACK belongs to when its branch is not the INVITE's (RFC 2543
    /// peers and some test tools): same Call-ID, From tag and CSeq number (RFC 3261 §17.2.3, second rule).
    func inviteTransaction(matching message: SIPMessage) -> String? {
        let fromTag = message["From"].flatMap { SIPHeader.parameter("tag", in: $0) }
        return servers.first { _, entry in
            let invite = entry.machine.request
            return entry.machine.isInvite && invite.callId == message.callId && invite.cseq?.number == message.cseq?.number
                && invite["From"].flatMap { SIPHeader.parameter("tag", in: $0) } == fromTag
                && (message.method == "ACK" ? entry.machine.state == .completed : entry.machine.state == .proceeding)
        }?.key
    }

    /// An INVITE transaction of ours got its ACK: for the first INVITE the session is confirmed (and, for a delayed
    /// offer, the ACK's answer starts the media); for a re-INVITE without offer, the ACK's answer is applied.
    func inviteAcknowledged(_ ack: SIPMessage, transaction: ServerTransaction) {
        guard let call = calls[transaction.request.callId ?? ""], call.state == .answered else { return }
        if transaction.request.cseq?.number == call.invite.cseq?.number {
            for action in call.session.acknowledged(body: ack.body, offered: call.offered) {
                switch action {
                case .startMedia(let answer): apply(answer, to: call)
                case .sendBye(let reason): sendBye(call, reason: reason)
                }
            }
        } else if call.session.negotiation.state == .localOffer {
            if let text = String(validating: ack.body, as: UTF8.self), let answer = try? SDPDescription.parse(text), answer.choice() != nil {
                call.session.answerReceived()
                apply(answer, to: call)
            } else {
                call.session.offerWithdrawn()
            }
        }
    }

    func inviteNeverAcknowledged(_ transaction: ServerTransaction) {
        // Only an unacknowledged 2xx ends the session (§13.3.1.4); a lost ACK of a 488/491 to a re-INVITE does not.
        guard (200..<300).contains(transaction.lastResponse?.statusCode ?? 0),
              let call = calls[transaction.request.callId ?? ""], call.state == .answered else { return }
        if transaction.request.cseq?.number == call.invite.cseq?.number {
            for case .sendBye(let reason) in call.session.ackTimedOut() { sendBye(call, reason: reason) }
        } else {
            hangUp(call, reason: "no ACK")  // RFC 3261 §13.3.1.4 for any 2xx to an INVITE
        }
    }

    /// CANCEL matches the INVITE transaction by branch (RFC 3261 §9.2): 200 to the CANCEL, 487 to the INVITE.
    func cancel(_ message: SIPMessage, from address: SocketAddress) {
        guard let call = calls[message.callId ?? ""], let branch = message["Via"].flatMap({ SIPHeader.parameter("branch", in: $0) }),
              call.inviteTransactions.values.contains(Self.key(message, as: "INVITE") ?? branch) || inviteTransaction(matching: message) != nil
        else {
            reply(message, 481, "Call/Transaction Does Not Exist", to: address)
            return
        }
        reply(message, 200, "OK", to: address)
        guard call.state == .ringing, !call.outbound else { return }  // already answered: the caller will send BYE
        reply(call.invite, 487, "Request Terminated", toTag: call.localTag, to: call.remote)
        call.session.ended()
        end(call, reason: "cancelled")
    }

    func bye(_ message: SIPMessage, from address: SocketAddress) {
        guard let call = inDialog(message) else {
            reply(message, 481, "Call/Transaction Does Not Exist", to: address)
            return
        }
        if call.dialog?.receive(message) == .outOfOrder {
            reply(message, 500, "Server Internal Error", extra: [("Retry-After", "1")], to: address)  // RFC 3261 §12.2.2
            return
        }
        reply(message, 200, "OK", to: address)
        // A BYE in the early dialog (the caller saw our 180's tag): the INVITE still gets its final answer.
        if call.state == .ringing, !call.outbound { reply(call.invite, 487, "Request Terminated", toTag: call.localTag, to: call.remote) }
        call.session.ended()
        end(call, reason: call.endReason ?? (call.outbound ? "callee hung up" : "caller hung up"))
    }

    /// Ends the call from our side: BYE (retransmitted until answered), media closed.
    public func hangUp(sid: String, reason: String = "hung up by API") -> Bool {
        guard let call = bySid[sid], call.state != .ended else { return false }
        hangUp(call, reason: reason)
        return true
    }

    /// Ringing: 480 (inbound) or CANCEL (outbound). Answered: BYE — inbound only once our 2xx is acknowledged
    /// (RFC 3261 §15), else as soon as the ACK comes or its wait ends.
    func hangUp(_ call: Call, reason: String) {
        guard call.state != .ended else { return }
        if call.state == .ringing {
            if call.outbound { cancelOutbound(call, reason: reason) } else { fail(call, 480, "Temporarily Unavailable", reason: reason) }
            return
        }
        if call.outbound {
            sendBye(call, reason: reason)
            return
        }
        let actions = call.session.hangUp(reason)
        for case .sendBye(let why) in actions { sendBye(call, reason: why) }
        if actions.isEmpty, call.session.phase == .waitingForAck {
            logger.info("hang-up waits for the ACK of our 200", metadata: ["call": "\(call.sid)", "reason": "\(reason)"])
        }
    }

    /// BYE in the dialog (RFC 3261 §15.1.1): the next CSeq, the remote target, the route set; the call ends now.
    func sendBye(_ call: Call, reason: String) {
        guard call.state != .ended else { return }
        guard var dialog = call.dialog else {
            end(call, reason: reason)
            return
        }
        let remote = peer(for: call, hop: dialog.nextHop)
        let (bye, _) = dialog.request("BYE", via: "\(via(to: remote));branch=\(Self.branch());rport", extra: [("User-Agent", config.userAgent)])
        call.dialog = dialog
        end(call, reason: reason)
        Task { _ = await self.request(bye, to: remote) }
    }

    /// Where an in-dialog request goes: down the call's TCP/TLS connection when it came over one (connection
    /// reuse), else the next hop when its host is an address, else where the INVITE came from.
    func peer(for call: Call, hop: String) -> SocketAddress {
        if streams[call.remote] != nil { return call.remote }
        return Self.literalAddress(hop) ?? call.remote
    }

    // MARK: OPTIONS, INFO

    /// OPTIONS in or out of a dialog (RFC 3261 §11.2): 200 with a To tag, what we allow, accept and support — the
    /// answer trunks use to keep routing calls to us.
    func options(_ message: SIPMessage, from address: SocketAddress) {
        let tag = calls[message.callId ?? ""]?.localTag ?? String(UInt64.random(in: 0...UInt64.max), radix: 36)
        reply(message, 200, "OK", toTag: tag, extra: RequestScreening.optionsHeaders, to: address)
    }

    /// INFO in a dialog: `application/dtmf-relay` (`Signal=5`) is a key pressed, handed to the worker like an RTP
    /// event; anything else is acknowledged. Outside a dialog: 481.
    func info(_ message: SIPMessage, from address: SocketAddress) {
        guard let call = inDialog(message), call.state != .ended else {
            reply(message, 481, "Call/Transaction Does Not Exist", to: address)
            return
        }
        reply(message, 200, "OK", to: address)
        for key in RequestScreening.dtmfRelayKeys(contentType: message["Content-Type"], body: message.body) { call.media?.digit(key) }
    }

    // MARK: re-INVITE, UPDATE

    /// A re-INVITE in the dialog (RFC 3261 §14, RFC 3264 §8): its own transaction and its own 2xx (its CSeq, its
    /// Via). With an offer: answered as `renegotiate` decides. Without one: our current description is offered in
    /// the 2xx and the ACK brings the answer.
    func reinvite(_ message: SIPMessage, call: Call, from address: SocketAddress) {
        guard call.state == .answered, let media = call.media else {
            // RFC 3261 §14.2: an INVITE before the final response to the first one.
            reply(message, 500, "Server Internal Error", toTag: call.localTag, extra: [("Retry-After", String(Int.random(in: 0...10)))], to: address)
            return
        }
        if call.dialog?.receive(message) == .outOfOrder {
            reply(message, 500, "Server Internal Error", toTag: call.localTag, to: address)
            return
        }
        if let number = message.cseq?.number, let key = Self.key(message) { call.inviteTransactions[number] = key }
        guard !message.body.isEmpty else {
            guard call.session.offerSent() else {
                reply(message, 491, "Request Pending", toTag: call.localTag, to: address)
                return
            }
            call.sdpVersion += 1
            let body = SDPSession.body(address: config.advertisedHost, port: media.port, audio: [call.audio ?? Self.pcmu], dtmf: call.dtmf,
                                       sessionId: call.sdpSessionId, version: call.sdpVersion)
            reply(message, 200, "OK", toTag: call.localTag, extra: [contact(call), ("Content-Type", "application/sdp"), ("Allow", RequestScreening.allow)],
                  body: Array(body.utf8), to: address)
            return
        }
        let (code, reason, extra, body) = renegotiate(call, offer: message.body)
        reply(message, code, reason, toTag: call.localTag, extra: (code == 200 ? [contact(call)] : []) + extra, body: body, to: address)
    }

    /// UPDATE (RFC 3311): in the dialog, with an offer (answered like a re-INVITE's, in the 200 of the UPDATE
    /// itself, no ACK) or without (a target refresh only).
    func update(_ message: SIPMessage, from address: SocketAddress) {
        guard let call = inDialog(message), call.state != .ended else {
            reply(message, 481, "Call/Transaction Does Not Exist", to: address)
            return
        }
        if call.dialog?.receive(message) == .outOfOrder {
            reply(message, 500, "Server Internal Error", to: address)
            return
        }
        guard !message.body.isEmpty, call.media != nil else {
            reply(message, 200, "OK", toTag: call.localTag, extra: [contact(call)], to: address)
            return
        }
        let (code, reason, extra, body) = renegotiate(call, offer: message.body)
        reply(message, code, reason, toTag: call.localTag, extra: (code == 200 ? [contact(call)] : []) + extra, body: body, to: address)
    }

    /// An offer during the session (RFC 3264 §8, RFC 3311 §5.2): 491 when our own offer is outstanding (glare),
    /// 500 + Retry-After while an earlier offer of theirs is unanswered, 488 for an offer we cannot take (the
    /// session goes on as it was), else 200 with our answer — the direction it calls for (hold: `sendonly` →
    /// `recvonly`, `inactive`, `0.0.0.0`), the new address or port and codec applied to the media at once.
    func renegotiate(_ call: Call, offer body: [UInt8]) -> (Int, String, [(String, String)], [UInt8]) {
        switch call.session.offerReceived() {
        case .glare: return (491, "Request Pending", [], [])
        case .pending: return (500, "Server Internal Error", [("Retry-After", String(Int.random(in: 0...10)))], [])
        case .accept: break
        }
        guard let media = call.media, let text = String(validating: body, as: UTF8.self), let offer = try? SDPDescription.parse(text),
              let chosen = offer.choice()
        else {
            call.session.answerSent(accepted: false)
            return (488, "Not Acceptable Here", [], [])
        }
        call.session.answerSent(accepted: true)
        call.offer = offer
        call.chosenStream = chosen.index
        apply(offer, to: call)
        call.sdpVersion += 1
        let answer = offer.answer(choosing: chosen.index, address: config.advertisedHost, port: media.port, audio: chosen.audio, dtmf: chosen.dtmf,
                                  sessionId: call.sdpSessionId, version: call.sdpVersion, direction: call.mediaDirection)
        logger.info("session modified", metadata: ["call": "\(call.sid)", "direction": "\(call.mediaDirection.rawValue)",
                                                  "remote": "\(chosen.session.address):\(chosen.session.port)", "codec": "\(chosen.audio.name)"])
        return (200, "OK", [("Content-Type", "application/sdp"), ("Allow", RequestScreening.allow)], Array(answer.utf8))
    }

    /// The far end's description (an offer we answer, or the answer to ours) applied to the media: where RTP goes,
    /// whether we send, which codec and telephone-event type.
    func apply(_ description: SDPDescription, to call: Call) {
        guard let media = call.media, let chosen = description.choice() else { return }
        let remote = chosen.session
        // Their direction as an answer to our sendrecv offer is ours mirrored; as an offer, ours is its answer.
        call.mediaDirection = remote.direction.answer
        call.remoteSession = remote
        call.audio = chosen.audio
        call.dtmf = chosen.dtmf
        media.setCodec(audioPT: UInt8(chosen.audio.payloadType), isPCMA: chosen.audio.name.uppercased() == "PCMA", dtmfPT: chosen.dtmf.map { UInt8($0.payloadType) })
        media.setPacketTime(ptime: remote.ptime, maxptime: remote.maxptime)
        let address = Self.mediaAddress(remote)
        media.update(remote: address, sending: call.mediaDirection.weSend && address != nil, hearing: remote.direction.weSend)
    }
}
