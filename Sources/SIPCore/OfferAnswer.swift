/// One `m=` line of an SDP body (RFC 4566 §5.14) with the attributes offer/answer needs.
public struct SDPMedia: Sendable, Hashable {
    public var kind: String
    public var port: Int
    /// `RTP/AVP`, `RTP/AVPF`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`…
    public var proto: String
    /// The format list as written (payload type numbers for RTP).
    public var formats: [String]
    /// The payload types with their rtpmap, static types (0 PCMU, 8 PCMA) filled in when no rtpmap names them.
    public var codecs: [SDPSession.Codec]
    public var address: String?
    public var direction: SDPSession.Direction?
    public var ptime: Int?
    public var maxptime: Int?

    /// Plain RTP (RFC 3551 AVP or its feedback profile): no SRTP, no DTLS.
    public var isPlainRTP: Bool { ["RTP/AVP", "RTP/AVPF"].contains(proto.uppercased()) }
}

/// A whole SDP body: every media line in order (RFC 3264 §6: the answer has as many, in the same order).
public struct SDPDescription: Sendable, Hashable {
    public var sessionAddress: String?
    public var sessionDirection: SDPSession.Direction?
    public var media: [SDPMedia]

    /// Parses every `m=` line. Throws when a line we rely on (`c=`, `m=`) is malformed.
    public static func parse(_ text: String) throws(SIPParseError) -> SDPDescription {
        var d = SDPDescription(sessionAddress: nil, sessionDirection: nil, media: [])
        var maps: [[Int: SDPSession.Codec]] = []
        for raw in text.unicodeScalars.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map({ String(String.UnicodeScalarView($0)) }) {
            guard raw.count >= 2, raw.dropFirst().first == "=" else { continue }
            let value = String(raw.dropFirst(2))
            let current = d.media.indices.last
            switch raw.first {
            case "c":
                let parts = value.split(separator: " ")
                guard parts.count >= 3 else { throw SIPParseError("bad c= line") }
                let addr = String(parts[2].split(separator: "/").first ?? parts[2])
                if let current { d.media[current].address = addr } else { d.sessionAddress = addr }
            case "m":
                let parts = value.split(separator: " ")
                guard parts.count >= 3, let portText = parts[1].split(separator: "/").first, let port = Int(portText), (0...65535).contains(port) else {
                    throw SIPParseError("bad m= line")
                }
                d.media.append(SDPMedia(kind: String(parts[0]), port: port, proto: String(parts[2]), formats: parts.dropFirst(3).map(String.init), codecs: []))
                maps.append([:])
            case "a":
                let direction = SDPSession.Direction(rawValue: value)
                guard let current else {
                    if let direction { d.sessionDirection = direction }
                    continue
                }
                if let direction {
                    d.media[current].direction = direction
                } else if value.hasPrefix("rtpmap:") {
                    let rest = value.dropFirst(7).split(separator: " ", maxSplits: 1)
                    guard rest.count == 2, let pt = Int(rest[0]), (0...127).contains(pt) else { continue }
                    let enc = rest[1].split(separator: "/")
                    guard let name = enc.first else { continue }
                    let rate = enc.count > 1 ? Int(enc[1]).flatMap { (1...192_000).contains($0) ? $0 : nil } ?? 8000 : 8000
                    maps[current][pt] = SDPSession.Codec(payloadType: pt, name: String(name), rate: rate)
                } else if value.hasPrefix("ptime:") {
                    d.media[current].ptime = Int(value.dropFirst(6).trimmingSpaces()).flatMap { (1...1000).contains($0) ? $0 : nil }
                } else if value.hasPrefix("maxptime:") {
                    d.media[current].maxptime = Int(value.dropFirst(9).trimmingSpaces()).flatMap { (1...1000).contains($0) ? $0 : nil }
                }
            default: break
            }
        }
        for i in d.media.indices {
            d.media[i].codecs = d.media[i].formats.compactMap { Int($0) }.compactMap { maps[i][$0] ?? SDPSession.staticTypes[$0] }
        }
        return d
    }

    /// The stream we take and how (RFC 3264 §6.1): the first audio line over plain RTP with a port and PCMU or
    /// PCMA at 8 kHz; nil when there is none (then the whole offer is refused with 488).
    public func choice() -> (index: Int, session: SDPSession, audio: SDPSession.Codec, dtmf: SDPSession.Codec?)? {
        for (i, m) in media.enumerated() where m.kind == "audio" && m.port != 0 && m.isPlainRTP {
            guard let address = m.address ?? sessionAddress else { continue }
            let direction = m.direction ?? sessionDirection ?? (address == "0.0.0.0" ? .inactive : .sendrecv)
            var session = SDPSession(address: address, port: m.port, codecs: m.codecs, ptime: m.ptime, direction: direction)
            session.maxptime = m.maxptime
            guard let chosen = session.negotiate() else { continue }
            return (i, session, chosen.audio, chosen.dtmf)
        }
        return nil
    }

    /// Our answer (RFC 3264 §6): one `m=` line per offered line, in order; the chosen one with our address, port,
    /// codec and direction, every other one refused with port 0 and its first format.
    public func answer(choosing index: Int, address: String, port: Int, audio: SDPSession.Codec, dtmf: SDPSession.Codec?, sessionId: UInt64,
                       version: UInt64, direction: SDPSession.Direction) -> String
    {
        var s = "v=0\r\no=alloresto \(sessionId) \(version) IN IP4 \(address)\r\ns=AlloResto\r\nc=IN IP4 \(address)\r\nt=0 0\r\n"
        for (i, m) in media.enumerated() {
            if i == index {
                s += SDPSession.mediaSection(port: port, audio: [audio], dtmf: dtmf, direction: direction)
            } else {
                s += "m=\(m.kind) 0 \(m.proto) \(m.formats.first ?? "0")\r\n"
            }
        }
        return s
    }
}

/// Where a session's offer/answer exchange stands (RFC 3264, RFC 3311 §5.2, RFC 6337): at most one offer
/// outstanding in each direction; an offer that crosses ours is glare.
public struct OfferAnswer: Sendable, Hashable {
    public enum State: String, Sendable { case stable, localOffer, remoteOffer }
    public private(set) var state: State = .stable
    /// Whether an answer has ever completed an exchange (a session exists).
    public private(set) var established = false

    public init() {}

    /// What to answer a request carrying an offer.
    public enum Verdict: Sendable, Equatable {
        case accept
        /// Our own offer is outstanding: 491 Request Pending (RFC 3261 §14.2, RFC 3311 §5.2).
        case glare
        /// Their previous offer is still unanswered: 500 with Retry-After 0–10 s (RFC 3311 §5.2).
        case pending
    }

    public mutating func offerReceived() -> Verdict {
        switch state {
        case .localOffer: return .glare
        case .remoteOffer: return .pending
        case .stable:
            state = .remoteOffer
            return .accept
        }
    }

    /// We answered (or refused: `accepted: false` leaves the previous session in force, RFC 3264 §8).
    public mutating func answerSent(accepted: Bool = true) {
        guard state == .remoteOffer else { return }
        state = .stable
        if accepted { established = true }
    }

    /// We may offer only when nothing is outstanding.
    public mutating func offerSent() -> Bool {
        guard state == .stable else { return false }
        state = .localOffer
        return true
    }

    public mutating func answerReceived() {
        guard state == .localOffer else { return }
        state = .stable
        established = true
    }

    /// The transaction carrying our offer failed (491, 488, timeout) or its answer never came: back to stable.
    public mutating func offerWithdrawn() {
        if state == .localOffer { state = .stable }
    }
}

/// The answering side of one INVITE session (RFC 3261 §13.3, §15; RFC 3264): the offer/answer state (including a
/// delayed offer: INVITE without SDP, our offer in the 2xx, the answer in the ACK) and the rule that no BYE goes
/// out before the ACK of our 2xx or the end of its wait (§15).
public struct InviteSession: Sendable, Hashable {
    public enum Phase: String, Sendable { case early, waitingForAck, confirmed, ended }
    public private(set) var phase: Phase = .early
    public private(set) var negotiation = OfferAnswer()
    /// Our 2xx carried the offer (the INVITE had none): the ACK must carry the answer.
    public private(set) var delayedOffer = false
    /// A hang-up asked for while waiting for the ACK.
    public private(set) var byePending: String?

    public init() {}

    /// What the owner does next.
    public enum Action: Sendable, Equatable {
        /// Send BYE now, for this reason.
        case sendBye(String)
        /// The answer in the ACK is usable: start media with it.
        case startMedia(SDPDescription)
    }

    /// The INVITE arrived, with or without an offer.
    public mutating func invited(withOffer: Bool) {
        if withOffer { _ = negotiation.offerReceived() } else { delayedOffer = true }
    }

    /// We sent our 2xx (with our answer, or with our offer when the INVITE had none).
    public mutating func answered() {
        if delayedOffer { _ = negotiation.offerSent() } else { negotiation.answerSent() }
        phase = .waitingForAck
    }

    /// The ACK of our 2xx. With a delayed offer its body is the answer: none, unreadable or without a codec we
    /// offered ends the call with BYE (RFC 3261 §13.3.1.4: the UAS cannot refuse an ACK).
    public mutating func acknowledged(body: [UInt8], offered: [SDPSession.Codec]) -> [Action] {
        guard phase == .waitingForAck else { return [] }
        phase = .confirmed
        var out: [Action] = []
        if delayedOffer {
            if let text = String(validating: body, as: UTF8.self), !body.isEmpty, let sdp = try? SDPDescription.parse(text), let chosen = sdp.choice(),
               offered.contains(where: { $0.name.uppercased() == chosen.audio.name.uppercased() })
            {
                negotiation.answerReceived()
                out.append(.startMedia(sdp))
            } else {
                negotiation.offerWithdrawn()
                byePending = byePending ?? (body.isEmpty ? "no answer in the ACK" : "no common codec in the ACK")
            }
        }
        if let reason = byePending {
            phase = .ended
            out.append(.sendBye(reason))
        }
        return out
    }

    /// Our 2xx was never acknowledged (timer L/H): the dialog is ended with BYE (§13.3.1.4).
    public mutating func ackTimedOut() -> [Action] {
        guard phase == .waitingForAck else { return [] }
        phase = .ended
        return [.sendBye(byePending ?? "no ACK")]
    }

    /// The owner wants the call over: BYE now once confirmed, after the ACK while it is awaited (§15); nothing to
    /// send before the 2xx (the INVITE gets a final response instead) or once ended.
    public mutating func hangUp(_ reason: String) -> [Action] {
        switch phase {
        case .confirmed:
            phase = .ended
            return [.sendBye(reason)]
        case .waitingForAck:
            if byePending == nil { byePending = reason }
            return []
        case .early, .ended:
            phase = .ended
            return []
        }
    }

    /// An offer during the session (re-INVITE, UPDATE): glare while our offer is outstanding, pending while theirs is.
    public mutating func offerReceived() -> OfferAnswer.Verdict { negotiation.offerReceived() }
    public mutating func answerSent(accepted: Bool) { negotiation.answerSent(accepted: accepted) }
    /// We offer during the session (the 2xx of a re-INVITE without SDP); false when an offer is outstanding.
    public mutating func offerSent() -> Bool { negotiation.offerSent() }
    public mutating func answerReceived() { negotiation.answerReceived() }
    public mutating func offerWithdrawn() { negotiation.offerWithdrawn() }

    /// The peer ended the session (BYE, CANCEL).
    public mutating func ended() { phase = .ended }
}
