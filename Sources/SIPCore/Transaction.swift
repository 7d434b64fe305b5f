/// The timer values of RFC 3261 §17 (Table 4): T1 (round-trip estimate), T2 (longest non-INVITE retransmit
/// interval), T4 (how long a message stays in the network).
public struct SIPTimerValues: Sendable, Hashable {
    public var t1: Duration
    public var t2: Duration
    public var t4: Duration

    public init(t1: Duration = .milliseconds(500), t2: Duration = .seconds(4), t4: Duration = .seconds(5)) {
        self.t1 = t1
        self.t2 = t2
        self.t4 = t4
    }

    /// 64·T1: timers B, F, H, J, L and M (32 s by default).
    public var transactionTimeout: Duration { t1 * 64 }
}

/// The transaction timers of RFC 3261 §17 (A–K) and RFC 6026 (L, M).
public enum TransactionTimer: String, Sendable, Hashable, CaseIterable {
    /// A: INVITE retransmit (unreliable). B: INVITE timeout. D: wait in Completed for retransmitted non-2xx finals.
    case a = "A", b = "B", d = "D"
    /// E: non-INVITE retransmit (unreliable). F: non-INVITE timeout. K: wait in Completed for retransmitted finals.
    case e = "E", f = "F", k = "K"
    /// G: final response retransmit (unreliable; also the 2xx of RFC 3261 §13.3.1.4). H: wait for the ACK.
    /// I: wait in Confirmed for retransmitted ACKs. J: wait in Completed for retransmitted non-INVITE requests.
    case g = "G", h = "H", i = "I", j = "J"
    /// L (RFC 6026): the server INVITE transaction's Accepted state. M (RFC 6026): the client's Accepted state.
    case l = "L", m = "M"
}

/// What a transaction asks its owner to do. The owner (the bridge actor) carries the actions out in order: it
/// sends, arms and disarms timers, and hands results to the transaction user; the machine itself has no socket,
/// no clock and no task.
public enum TransactionAction: Sendable, Equatable {
    /// Put this message on the wire (to the transaction's peer).
    case send(SIPMessage)
    /// Arm a timer (replacing the same timer if armed); fire it back with `timerFired`.
    case startTimer(TransactionTimer, Duration)
    case cancelTimer(TransactionTimer)
    /// A response for the transaction user (client transactions: provisional and final responses, 2xx
    /// retransmissions in Accepted).
    case deliver(SIPMessage)
    /// A client transaction got no final response in time (timer B or F): RFC 3261 §8.1.3.1 reads it as 408.
    case timedOut
    /// A server INVITE transaction got the ACK of its 2xx (§13.3.1.4) — or of its non-2xx (§17.2.1).
    case acknowledged(SIPMessage)
    /// A server INVITE transaction's 2xx or non-2xx final was never acknowledged (timer L/H): for a 2xx the
    /// dialog must be ended with BYE (§13.3.1.4).
    case ackTimedOut
    /// The transaction is over: forget it.
    case terminated
}

/// A client transaction (RFC 3261 §17.1, with RFC 6026's Accepted state for INVITE): INVITE or non-INVITE, over an
/// unreliable (UDP: retransmissions) or reliable (TCP/TLS: none) transport.
public struct ClientTransaction: Sendable {
    public enum State: String, Sendable { case calling, trying, proceeding, accepted, completed, terminated }

    public let request: SIPMessage
    /// The Via branch the transaction is matched by (§17.1.3).
    public let branch: String
    public private(set) var state: State
    public let reliable: Bool
    public let timers: SIPTimerValues
    var interval: Duration

    public var isInvite: Bool { request.method == "INVITE" }

    /// A transaction for `request` (its top Via carries the branch). Call `start()` to send it.
    public init(request: SIPMessage, reliable: Bool = false, timers: SIPTimerValues = SIPTimerValues()) {
        self.request = request
        branch = request["Via"].flatMap { SIPHeader.parameter("branch", in: $0) } ?? ""
        self.reliable = reliable
        self.timers = timers
        interval = timers.t1
        state = request.method == "INVITE" ? .calling : .trying
    }

    /// Sends the request: timers A and B (INVITE) or E and F (non-INVITE); A and E only over UDP.
    public mutating func start() -> [TransactionAction] {
        var out: [TransactionAction] = [.send(request)]
        if !reliable { out.append(.startTimer(isInvite ? .a : .e, interval)) }
        out.append(.startTimer(isInvite ? .b : .f, timers.transactionTimeout))
        return out
    }

    /// A response whose top Via branch and CSeq method match this transaction (§17.1.3).
    public mutating func receive(_ response: SIPMessage) -> [TransactionAction] {
        guard let code = response.statusCode else { return [] }
        if isInvite {
            switch (state, code) {
            case (.calling, 100..<200), (.proceeding, 100..<200):
                let wasCalling = state == .calling
                state = .proceeding
                return (wasCalling && !reliable ? [.cancelTimer(.a)] : []) + [.deliver(response)]
            case (.calling, 200..<300), (.proceeding, 200..<300):
                // RFC 6026 §8.4: Accepted; further 2xx (other forks, retransmissions) still go to the user.
                state = .accepted
                return [.cancelTimer(.a), .cancelTimer(.b), .startTimer(.m, timers.transactionTimeout), .deliver(response)]
            case (.accepted, 200..<300):
                return [.deliver(response)]
            case (.calling, 300...), (.proceeding, 300...):
                state = .completed
                return [.cancelTimer(.a), .cancelTimer(.b), .send(Self.ack(for: request, response: response)),
                        .startTimer(.d, reliable ? .zero : .seconds(32)), .deliver(response)]
            case (.completed, 300...):
                return [.send(Self.ack(for: request, response: response))]  // our ACK was lost
            default:
                return []
            }
        }
        switch (state, code) {
        case (.trying, 100..<200), (.proceeding, 100..<200):
            state = .proceeding
            return [.deliver(response)]
        case (.trying, 200...), (.proceeding, 200...):
            state = .completed
            return [.cancelTimer(.e), .cancelTimer(.f), .startTimer(.k, reliable ? .zero : timers.t4), .deliver(response)]
        default:
            return []  // Completed absorbs retransmitted finals
        }
    }

    /// A timer this transaction armed has fired.
    public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
        switch (timer, state) {
        case (.a, .calling):
            interval = interval * 2
            return [.send(request), .startTimer(.a, interval)]
        case (.b, .calling):
            state = .terminated
            return [.cancelTimer(.a), .timedOut, .terminated]
        case (.e, .trying):
            interval = min(interval * 2, timers.t2)
            return [.send(request), .startTimer(.e, interval)]
        case (.e, .proceeding):
            interval = timers.t2
            return [.send(request), .startTimer(.e, interval)]
        case (.f, .trying), (.f, .proceeding):
            state = .terminated
            return [.cancelTimer(.e), .timedOut, .terminated]
        case (.d, .completed), (.k, .completed), (.m, .accepted):
            state = .terminated
            return [.terminated]
        default:
            return []
        }
    }

    /// The ACK of a non-2xx final response (§17.1.1.3): same Request-URI, Call-ID, From, top Via and CSeq number
    /// as the INVITE, the response's To (with its tag), the INVITE's Route headers.
    public static func ack(for invite: SIPMessage, response: SIPMessage) -> SIPMessage {
        var headers: [(String, String)] = []
        if let via = invite["Via"] { headers.append(("Via", via)) }
        headers.append(("Max-Forwards", "70"))
        headers.append(("From", invite["From"] ?? ""))
        headers.append(("To", response["To"] ?? invite["To"] ?? ""))
        headers.append(("Call-ID", invite.callId ?? ""))
        headers.append(("CSeq", "\(invite.cseq?.number ?? 1) ACK"))
        headers += invite.all("Route").map { ("Route", $0) }
        return SIPMessage(.request(method: "ACK", uri: invite.uri ?? ""), headers: headers)
    }
}

/// A server transaction (RFC 3261 §17.2, with RFC 6026's Accepted state and the 2xx retransmission of §13.3.1.4
/// for INVITE): it answers retransmitted requests with the last response, retransmits finals over UDP until they
/// are acknowledged, and says when the ACK came or never did.
public struct ServerTransaction: Sendable {
    public enum State: String, Sendable { case trying, proceeding, accepted, completed, confirmed, terminated }

    public let request: SIPMessage
    public let branch: String
    public private(set) var state: State
    public let reliable: Bool
    public let timers: SIPTimerValues
    /// The last response sent, repeated for a retransmitted request.
    public private(set) var lastResponse: SIPMessage?
    var interval: Duration
    /// Accepted (INVITE 2xx): the ACK has come, the transaction only absorbs retransmissions until timer L.
    public private(set) var acknowledged = false

    public var isInvite: Bool { request.method == "INVITE" }

    public init(request: SIPMessage, reliable: Bool = false, timers: SIPTimerValues = SIPTimerValues()) {
        self.request = request
        branch = request["Via"].flatMap { SIPHeader.parameter("branch", in: $0) } ?? ""
        self.reliable = reliable
        self.timers = timers
        interval = timers.t1
        state = request.method == "INVITE" ? .proceeding : .trying
    }

    /// The transaction user sends a response (§17.2.1, §17.2.2).
    public mutating func respond(_ response: SIPMessage) -> [TransactionAction] {
        guard let code = response.statusCode else { return [] }
        switch state {
        case .trying, .proceeding:
            lastResponse = response
            if code < 200 {
                state = .proceeding
                return [.send(response)]
            }
            if !isInvite {
                state = .completed
                return [.send(response), .startTimer(.j, reliable ? .zero : timers.transactionTimeout)]
            }
            interval = timers.t1
            if code < 300 {
                // The 2xx is retransmitted by the UAS core whatever the transport (§13.3.1.4): a proxy may be on UDP.
                state = .accepted
                return [.send(response), .startTimer(.g, interval), .startTimer(.l, timers.transactionTimeout)]
            }
            state = .completed
            return (reliable ? [.send(response)] : [.send(response), .startTimer(.g, interval)]) + [.startTimer(.h, timers.transactionTimeout)]
        case .accepted where (200..<300).contains(code):
            return [.send(response)]  // the user may resend its 2xx
        default:
            return []
        }
    }

    /// A request matching this transaction (§17.2.3): a retransmission, or the ACK of an INVITE's final response.
    public mutating func receive(_ message: SIPMessage) -> [TransactionAction] {
        if message.method == "ACK" {
            switch state {
            case .accepted where !acknowledged:
                acknowledged = true
                return [.cancelTimer(.g), .acknowledged(message)]
            case .completed:
                state = .confirmed
                return [.cancelTimer(.g), .cancelTimer(.h), .startTimer(.i, reliable ? .zero : timers.t4), .acknowledged(message)]
            default:
                return []
            }
        }
        switch state {
        case .proceeding, .completed:
            return lastResponse.map { [.send($0)] } ?? []
        default:
            return []  // Trying, Accepted (RFC 6026 §7.1: absorbed), Confirmed
        }
    }

    public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
        switch (timer, state) {
        case (.g, .accepted) where !acknowledged, (.g, .completed):
            interval = min(interval * 2, timers.t2)
            return (lastResponse.map { [.send($0)] } ?? []) + [.startTimer(.g, interval)]
        case (.l, .accepted):
            state = .terminated
            return acknowledged ? [.terminated] : [.cancelTimer(.g), .ackTimedOut, .terminated]
        case (.h, .completed):
            state = .terminated
            return [.cancelTimer(.g), .ackTimedOut, .terminated]
        case (.i, .confirmed), (.j, .completed):
            state = .terminated
            return [.terminated]
        default:
            return []
        }
    }
}
