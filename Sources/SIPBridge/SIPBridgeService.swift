import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import RedisClient
import SIPCore
import WireFormats

/// The bridge: registers the lines, answers calls, hands each answered call to a voice worker (Redis queue or
/// WebSocket push), and hangs up. One actor owns the SIP state and carries out what the SIPCore machines
/// (transactions, dialogs, offer/answer, registration) decide; datagrams reach it in arrival order.
///
/// The work is split by concern: `Transport.swift` (socket, transactions, timers), `Registrations.swift`,
/// `InboundCalls.swift`, `OutboundCalls.swift`, `HandOff.swift` (Redis queue | WebSocket push).
public actor SIPBridgeService {
    struct Line {
        var config: SIPLine
        var registration: Registration
        var registeredAt: Date?

        init(config: SIPLine, contact: String) {
            self.config = config
            registration = Registration(
                line: .init(domain: config.domain, username: config.username, password: config.password, expires: config.expires, contact: contact),
                callId: "reg-" + UUID().uuidString.lowercased(), tag: String(UInt32.random(in: 0...UInt32.max), radix: 16), branch: SIPBridgeService.branch)
        }
    }

    public enum CallState: String, Sendable { case ringing, answered, ended }

    final class Call: @unchecked Sendable {
        // Only touched inside the actor (the class keeps identity for timers); see SIPBridgeService.
        let sid: String
        let sipCallId: String
        /// Inbound: the caller's INVITE. Outbound: our INVITE as first built (each attempt gets its Via and CSeq).
        let invite: SIPMessage
        /// Where the signalling comes from / goes to when no route says otherwise.
        let remote: SocketAddress
        let localTag: String
        var state: CallState = .ringing
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
        /// Call-level timers (ringing, the worker wait, the longest call).
        var timers: [Task<Void, Never>] = []
        /// Placed by the bridge (`POST /api/calls`): `invite` is our request, the dialog's roles are reversed.
        let outbound: Bool

        /// The dialog (RFC 3261 §12): inbound from the INVITE, outbound from the callee's 2xx.
        var dialog: Dialog?
        /// The answering side's session (delayed offer, no BYE before the ACK) and offer/answer state.
        var session = InviteSession()
        /// Server INVITE transactions of this call (the first and any re-INVITE) by CSeq number: where an ACK goes.
        var inviteTransactions: [Int: String] = [:]
        /// The initial offer (nil for a delayed offer) and the stream we took.
        var offer: SDPDescription?
        var chosenStream = 0
        /// The far end's current description of the stream we use (address, port, direction, codecs).
        var remoteSession: SDPSession?
        /// What we offered in a 2xx (delayed offer): the ACK's answer must pick one of these.
        var offered: [SDPSession.Codec] = []
        /// The codecs in use, for the answers to re-INVITEs and UPDATEs.
        var audio: SDPSession.Codec?
        var dtmf: SDPSession.Codec?
        /// Our current media direction (what the last answer said).
        var mediaDirection: SDPSession.Direction = .sendrecv
        /// Our SDP `o=` line: the session id, and a version one more for every new description (RFC 3264 §8).
        let sdpSessionId: UInt64
        var sdpVersion: UInt64 = 1

        /// Outbound: the ACK of the callee's 2xx (resent when the 2xx comes again), where statuses are posted.
        var ackBytes: [UInt8]?
        var ackHop: SocketAddress?
        var statusCallback: String?
        var inviteBranch: String?
        /// Outbound: the INVITE last sent (its non-2xx answer is ACKed even after the transaction was given up).
        var lastInvite: SIPMessage?
        var provisionalSeen = false
        /// A hand-off of its own (`POST /api/calls` with `wsTarget`), and whether `active` was reported.
        var handOffOverride: (any CallHandOff)?
        var activePosted = false
        /// The worker connected while the call still rang (queue mode): `active` follows `answered`.
        var workerArrivedEarly = false
        var ringingPosted = false
        var cancelSent = false
        var ringTimeout: Duration = .seconds(45)
        var callbacks: Task<Void, Never>?
        var cseq = 1
        /// The domain of the line the call came in on or went out from (a bare transfer number goes there).
        var domain: String?
        /// Outbound: `to` as the API was given it (a SIP URI stays one in records and callbacks, as the original).
        var shownTo: String?
        /// A transfer asked for this call, and its REFER's progress.
        var transfer: TransferInfo?
        var referMachine: BlindTransfer?
        /// A bridged transfer: the bridge's call to the target (on the caller's call), the caller's call (on the
        /// target's), and whether `transferred` was already reported.
        var transferLeg: Call?
        var transferOf: Call?
        var transferPosted = false
        /// The bridge's own call to a transfer target, for its whole life: no worker, no status callbacks.
        var isTransferLeg = false
        /// The REFER under way: its CSeq (the `id` of its subscription, RFC 3515 §2.4.6) and its deadline.
        var referSequence: Int?
        var referDeadline: Task<Void, Never>?

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
            sdpSessionId = UInt64(CheckedNumber.clamped(createdAt.timeIntervalSince1970, to: 0...Int(Int32.max)))
            if !outbound { dialog = Dialog(uas: invite, localTag: localTag, localSequence: 100) }
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

    /// A call as `GET /api/calls` lists it: the original bridge's record (`sid, direction, from, to, status,
    /// customParams, createdAt, answeredAt, endedAt, durationSec`, SIP-BRIDGE.md §2) and our own fields.
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
        /// RTCP compound packets sent and received (RFC 3550 §6).
        public var rtcpSent = 0
        public var rtcpReceived = 0
        /// The original's status (`initiated, ringing, answered, active, completed, failed, busy, no-answer,
        /// cancelled, transferred`), the parameters the worker gets, the answered time in whole seconds.
        public var status = ""
        public var customParams: [String: String] = [:]
        public var durationSec = 0
        /// A transfer of this call (null when none was asked).
        public var transfer: TransferInfo?

        enum CodingKeys: String, CodingKey {
            case sid, sipCallId, from, to, direction, state, createdAt, answeredAt, endedAt, endReason, rtpReceived, rtpSent, dtmf, hasWorker
            case rtcpSent, rtcpReceived, status, customParams, durationSec, transfer
        }

        /// Absent times and reasons are written as `null`, as the original's records have them.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(sid, forKey: .sid)
            try c.encode(sipCallId, forKey: .sipCallId)
            try c.encode(from, forKey: .from)
            try c.encode(to, forKey: .to)
            try c.encode(direction, forKey: .direction)
            try c.encode(state, forKey: .state)
            try c.encode(createdAt, forKey: .createdAt)
            try c.encode(answeredAt, forKey: .answeredAt)
            try c.encode(endedAt, forKey: .endedAt)
            try c.encode(endReason, forKey: .endReason)
            try c.encode(rtpReceived, forKey: .rtpReceived)
            try c.encode(rtpSent, forKey: .rtpSent)
            try c.encode(dtmf, forKey: .dtmf)
            try c.encode(hasWorker, forKey: .hasWorker)
            try c.encode(rtcpSent, forKey: .rtcpSent)
            try c.encode(rtcpReceived, forKey: .rtcpReceived)
            try c.encode(status, forKey: .status)
            try c.encode(customParams, forKey: .customParams)
            try c.encode(durationSec, forKey: .durationSec)
            try c.encode(transfer, forKey: .transfer)
        }
    }

    /// A server transaction and the peer its responses go to (the request's source: RFC 3581).
    struct ServerEntry {
        var machine: ServerTransaction
        let peer: SocketAddress
    }

    /// A client transaction, its next hop and whoever waits for its final response.
    struct ClientEntry {
        var machine: ClientTransaction
        let peer: SocketAddress
        var waiter: CheckedContinuation<SIPMessage?, Never>?
    }

    nonisolated public let config: BridgeConfiguration
    let logger: Logger
    let group: any EventLoopGroup
    nonisolated public let redis: RedisLink
    let handOff: any CallHandOff
    let busyAudio: [UInt8]
    var transport: (any Channel)?
    var lines: [Line] = []
    var calls: [String: Call] = [:]  // by SIP Call-ID
    var bySid: [String: Call] = [:]
    var recent: [CallInfo] = []
    var totals = MetricTotals()
    /// Transactions by key (`branch|method`, ACK folded into INVITE) and their armed timers by `key/timer`.
    var servers: [String: ServerEntry] = [:]
    /// Connections being opened, so lines registering at once share one.
    var connecting: [SocketAddress: Task<Void, any Error>] = [:]
    var clients: [String: ClientEntry] = [:]
    var transactionTimers: [String: Task<Void, Never>] = [:]
    /// TCP/TLS connections by peer address (ours and accepted ones), the TCP listener, the inbound event stream.
    var streams: [SocketAddress: StreamConnection] = [:]
    var tcpListener: (any Channel)?
    /// The last failure of a connection, by peer (read once by whoever's request it ended).
    var transportErrors: [SocketAddress: String] = [:]
    var inboundContinuation: AsyncStream<SIPInboundEvent>.Continuation?
    var sslContext: NIOSSLContext?
    /// RFC 3263 lookups (NAPTR, SRV, A) for registrars and proxies given by name.
    let locator: SIPLocator
    var consumer: Task<Void, Never>?
    var connectionConsumer: Task<Void, Never>?
    var registrations: [Task<Void, Never>] = []
    public internal(set) var localPort = 0
    /// `--rx-gain` / `--tx-gain` as µ-law tables, made once.
    let gains: MediaGains
    /// The calling code of the first line's number (`+33` for `+33142601234` or `0033142601234`), by which national
    /// numbers are written in E.164 in records and callbacks, as the original does.
    let trunkCountryCode: String?
    /// The transaction timers (RFC 3261 T1/T2/T4).
    let timerValues = SIPTimerValues()

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
        gains = MediaGains(rx: G711.ulawGainTable(dB: config.rxGainDB), tx: G711.ulawGainTable(dB: config.txGainDB))
        locator = SIPLocator(lookup: Self.dnsLookup(server: config.dnsServer, group: group))
        trunkCountryCode = config.lines.first.flatMap { Self.countryCode(ofTrunk: $0.username) }
        handOff = config.wsTarget.map { WebSocketPushHandOff(target: $0) as any CallHandOff } ?? RedisQueueHandOff(redis: redis, key: config.queueKey)
        busyAudio = Self.recordedBusyMessage.isEmpty ? Array(repeating: 0xFF, count: 8000) : Self.recordedBusyMessage
    }

    /// The recorded "all our agents are busy" message (raw µ-law, 8 kHz), read once per process.
    static let recordedBusyMessage: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "busy-fr", withExtension: "ulaw", subdirectory: "Audio"), let data = try? Data(contentsOf: url) else { return [] }
        return Array(data)
    }()

    public nonisolated static func busyMessage() -> [UInt8] { recordedBusyMessage }

    @Sendable static func branch() -> String { "z9hG4bK" + String(UInt64.random(in: 0...UInt64.max), radix: 36) }

    // MARK: call records

    func end(_ call: Call, reason: String) {
        guard call.state != .ended else { return }
        call.state = .ended
        call.endedAt = Date()
        call.endReason = call.endReason ?? reason
        for t in call.timers { t.cancel() }
        call.timers = []
        call.referDeadline?.cancel()
        call.referDeadline = nil
        call.media?.close()
        if let media = call.media {
            totals.ended += 1
            totals.add(media.stats)
        }
        remember(info(call))
        // A call joined to its transfer target already reported `transferred`: its end is `completed`.
        postStatus(call, call.transferPosted ? "completed" : status(of: call))
        transferPartnerEnded(call)
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
        let duration = c.answeredAt.map { (c.endedAt ?? Date()).timeIntervalSince($0) } ?? 0
        return CallInfo(sid: c.sid, sipCallId: c.sipCallId, from: recordNumber(c.from), to: recordNumber(c.shownTo ?? c.to), direction: c.direction, state: c.state.rawValue, createdAt: c.createdAt,
                        answeredAt: c.answeredAt, endedAt: c.endedAt, endReason: c.endReason, rtpReceived: s?.received ?? 0, rtpSent: s?.sent ?? 0,
                        dtmf: s?.dtmf ?? [], hasWorker: c.media?.hasWorker ?? false, rtcpSent: s?.rtcpSent ?? 0, rtcpReceived: s?.rtcpReceived ?? 0,
                        status: status(of: c), customParams: c.customParameters, durationSec: CheckedNumber.clamped(duration, to: 0...Int(Int32.max)),
                        transfer: c.transfer)
    }

    /// The original bridge's status of a call (SIP-BRIDGE.md §5).
    func status(of c: Call) -> String {
        switch c.state {
        case .ringing: return c.outbound && !c.ringingPosted ? "initiated" : "ringing"
        case .answered: return c.transfer?.state == "transferred" ? "transferred" : c.media?.hasWorker == true ? "active" : "answered"
        case .ended:
            if c.answeredAt == nil { return Self.unansweredStatus(c.endReason) }
            return c.endReason == "transferred" || c.transfer?.state == "transferred" ? "transferred" : "completed"
        }
    }

    // MARK: worker side

    /// The media of a call a worker connects to (`/media/{sid}`), with what goes in `start.customParameters`.
    public func attach(sid: String) -> (MediaSession, [String: String])? {
        // The worker may connect while the call still rings (the event is queued just before the answer).
        guard let call = bySid[sid], call.state != .ended, let media = call.media else { return nil }
        return (media, call.customParameters)
    }

    /// A worker is on the call's media (its WebSocket is up): the `active` status, once.
    public func workerAttached(sid: String) {
        guard let call = bySid[sid], !call.activePosted else { return }
        if call.state == .ringing { call.workerArrivedEarly = true }
        guard call.state == .answered else { return }
        call.activePosted = true
        postStatus(call, "active")
    }

    /// The worker left: the call ends (unless it already did).
    public func workerLeft(sid: String) {
        guard let call = bySid[sid], call.state != .ended else { return }
        // A transfer under way or done keeps the caller's call; one that fails then plays the busy message.
        if let state = call.transfer?.state, state != "failed" { return }
        hangUp(call, reason: "worker hung up")
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
            if case .registered(let seconds) = l.registration.state { until = l.registeredAt?.addingTimeInterval(Double(seconds)) }
            return LineInfo(name: l.config.name, state: l.registration.state.label, registeredUntil: until, lastError: l.registration.lastError,
                            params: l.config.params)
        }
    }

    public func callInfos() -> (active: [CallInfo], recent: [CallInfo]) {
        (calls.values.filter { $0.state != .ended }.map(info).sorted { $0.createdAt < $1.createdAt }, recent.reversed())
    }

    /// The original's `GET /api/calls`: calls in progress and those ended less than 30 s ago, oldest first (calls
    /// refused before they existed — busy, no codec — are not records).
    public func callRecords(now: Date = Date()) -> [CallInfo] {
        let ended = recent.filter { $0.sid != "-" && ($0.endedAt.map { now.timeIntervalSince($0) < 30 } ?? false) }
        return (ended + calls.values.filter { $0.state != .ended }.map(info)).sorted { $0.createdAt < $1.createdAt }
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

extension SIPBridgeService {
    /// ITU-T E.164 country calling codes (1 to 3 digits).
    static let callingCodes: Set<String> = {
        var codes: Set<String> = ["1", "7"]
        codes.formUnion("20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98"
            .split(separator: " ").map(String.init))
        codes.formUnion(("211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245 246 "
            + "247 248 249 250 251 252 253 254 255 256 257 258 260 261 262 263 264 265 266 267 268 269 290 291 297 298 299 350 351 352 353 354 355 356 357 "
            + "358 359 370 371 372 373 374 375 376 377 378 380 381 382 383 385 386 387 389 420 421 423 500 501 502 503 504 505 506 507 508 509 590 591 592 "
            + "593 594 595 596 597 598 599 670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689 690 691 692 850 852 853 855 856 880 886 "
            + "960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 992 993 994 995 996 998").split(separator: " ").map(String.init))
        return codes
    }()

    /// The calling code (`+33`) of a trunk number in E.164 (`+33…`) or international (`0033…`) form; nil otherwise.
    public static func countryCode(ofTrunk username: String) -> String? {
        let digits: Substring
        if username.hasPrefix("+") { digits = username.dropFirst() } else if username.hasPrefix("00") { digits = username.dropFirst(2) } else { return nil }
        guard digits.count > 3, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        for length in [3, 2, 1] where callingCodes.contains(String(digits.prefix(length))) { return "+" + digits.prefix(length) }
        return nil
    }

    /// A number as the original writes it in records and callbacks: `+…` as is, `00…` → `+…`, a national `0…` with
    /// the trunk's calling code when it is known; anything else (a SIP URI, a name, `anonymous`) unchanged.
    public nonisolated static func recordNumber(_ number: String, countryCode: String?) -> String {
        guard number.count > 1, number.allSatisfy({ $0.isASCII && $0.isNumber }) else { return number }
        if number.hasPrefix("00") { return "+" + number.dropFirst(2) }
        guard number.hasPrefix("0"), let countryCode else { return number }
        // The national 0 is a trunk prefix to drop where the numbering plan has one (FR, BE, DE, GB…), part of the
        // number where it has none (IT: 06… is +39 06…); unknown plans drop it, as the original does.
        let plan = PhoneNumber.plans.first { "+" + $0.callingCode == countryCode }
        return plan != nil && plan?.trunkPrefix == nil ? countryCode + number : countryCode + number.dropFirst()
    }

    func recordNumber(_ number: String) -> String { Self.recordNumber(number, countryCode: trunkCountryCode) }
}
