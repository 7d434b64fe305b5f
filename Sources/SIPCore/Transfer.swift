/// What a NOTIFY of a REFER's implicit subscription reports (RFC 3515 §2.4.4–2.4.5): the status line of the
/// `message/sipfrag` body (RFC 3420) — how the transferee's INVITE to the target is going — and whether the
/// subscription ends with it (`Subscription-State: terminated`, RFC 6665 §4.1.3).
public struct ReferProgress: Equatable, Sendable {
    /// The status code of the transferee's INVITE (100 … 699).
    public var statusCode: Int
    public var terminated: Bool

    public init(statusCode: Int, terminated: Bool) {
        self.statusCode = statusCode
        self.terminated = terminated
    }

    /// Reads a NOTIFY with `Event: refer` (its `;id=` parameter is allowed): nil when the event is another one or
    /// the body is not a sipfrag starting with a status line (`SIP/2.0 200 OK`).
    public static func parse(_ notify: SIPMessage) -> ReferProgress? {
        guard notify.method == "NOTIFY",
              let event = notify["Event"],
              event.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "refer"
        else { return nil }
        let terminated = notify["Subscription-State"]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "terminated"
        guard let text = String(validating: notify.body, as: UTF8.self),
              let line = text.split(whereSeparator: \.isNewline).first
        else { return nil }
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].uppercased() == "SIP/2.0", parts[1].count == 3, let code = Int(parts[1]), (100...699).contains(code) else {
            return nil
        }
        return ReferProgress(statusCode: code, terminated: terminated)
    }
}

/// A blind transfer by REFER (RFC 3515), from the transferor's side: the REFER's own answer, then the NOTIFYs
/// of the implicit subscription. A plain value: events in, one action out.
///
/// - 2xx to the REFER: accepted, the NOTIFYs say the rest (one may come before the 2xx: UDP reorders).
/// - A failure to the REFER (405, 501, 603… — many trunks do not take REFER), no answer, a NOTIFY with another
///   final failure (403, 501, 503… the trunk would not place the call), or a subscription that ends without a final
///   status: REFER did not do it — `bridge`, the caller is then joined to the target by the transferor itself.
/// - A NOTIFY saying the target is busy (486, 600) or did not answer (408, 480, 487): calling it again would not
///   help — `fail`, the caller stays where it was.
/// - A NOTIFY with a 2xx: the transferee is talking to the target — `hangUp`, the transferor leaves (BYE).
public struct BlindTransfer: Equatable, Sendable {
    public enum State: Equatable, Sendable {
        case referSent, accepted, succeeded
        case failed(String)
    }

    public enum Action: Equatable, Sendable {
        case none
        /// The transferee reached the target: end our dialog with it.
        case hangUp
        /// REFER did not do it (the reason says why): bridge the call to the target instead.
        case bridge(reason: String)
        /// The target itself could not be reached (busy, no answer): the transfer is over, failed.
        case fail(reason: String)
    }

    /// Final statuses of the transferee's INVITE that are about the target (busy, no answer), not about REFER.
    public static let targetUnreachable: Set<Int> = [408, 480, 486, 487, 600]

    public private(set) var state: State = .referSent

    public init() {}

    /// Whether the REFER is still under way (sent, or accepted with no final NOTIFY yet).
    public var isOpen: Bool { state == .referSent || state == .accepted }

    /// The final response to the REFER.
    public mutating func referAnswered(_ code: Int) -> Action {
        guard isOpen, code >= 200 else { return .none }
        if code < 300 {
            state = .accepted
            return .none
        }
        let reason = "REFER refused (\(code))"
        state = .failed(reason)
        return .bridge(reason: reason)
    }

    /// A NOTIFY of the subscription (answered 200 by the caller whatever it says).
    public mutating func notified(_ progress: ReferProgress) -> Action {
        guard isOpen else { return .none }
        switch progress.statusCode {
        case 200..<300:
            state = .succeeded
            return .hangUp
        case let code where Self.targetUnreachable.contains(code):
            let reason = code == 486 || code == 600 ? "the transfer target is busy (\(code))" : "the transfer target did not answer (\(code))"
            state = .failed(reason)
            return .fail(reason: reason)
        case 300...:
            let reason = "the transfer target answered \(progress.statusCode)"
            state = .failed(reason)
            return .bridge(reason: reason)
        default:
            state = .accepted
            guard progress.terminated else { return .none }
            let reason = "subscription ended without a final status"
            state = .failed(reason)
            return .bridge(reason: reason)
        }
    }

    /// No answer to the REFER (its transaction timed out), or no final NOTIFY in time.
    public mutating func timedOut() -> Action {
        guard isOpen else { return .none }
        let reason = state == .referSent ? "no answer to REFER" : "no final NOTIFY"
        state = .failed(reason)
        return .bridge(reason: reason)
    }
}
