/// The parts of an SDP offer/answer (RFC 4566, 3264) a G.711 phone call needs.
public struct SDPSession: Sendable, Hashable {
    public struct Codec: Sendable, Hashable {
        public var payloadType: Int
        public var name: String
        public var rate: Int

        public init(payloadType: Int, name: String, rate: Int = 8000) {
            self.payloadType = payloadType
            self.name = name
            self.rate = rate
        }
    }

    /// The media direction of a stream (RFC 3264 §5.1, §6.1): who sends.
    public enum Direction: String, Sendable, Hashable {
        case sendrecv, sendonly, recvonly, inactive

        /// Our direction in the answer to an offer with this one: sendonly ↔ recvonly, the others as offered.
        public var answer: Direction {
            switch self {
            case .sendonly: .recvonly
            case .recvonly: .sendonly
            case .sendrecv, .inactive: self
            }
        }

        /// Whether we may send media in this direction (ours).
        public var weSend: Bool { self == .sendrecv || self == .sendonly }
    }

    public var address: String
    public var port: Int
    /// Offered payload types in preference order, with their rtpmap (static types filled in).
    public var codecs: [Codec]
    public var ptime: Int?
    /// The longest packet the peer takes (RFC 4566 §6), in ms.
    public var maxptime: Int?
    /// The audio stream's direction (media level, else session level, else sendrecv). A connection address of
    /// `0.0.0.0` (RFC 2543 hold, still sent by some PBXs) reads as `inactive` when nothing else is said.
    public var direction: Direction = .sendrecv

    public init(address: String, port: Int, codecs: [Codec], ptime: Int? = 20, direction: Direction = .sendrecv) {
        self.address = address
        self.port = port
        self.codecs = codecs
        self.ptime = ptime
        self.direction = direction
    }

    /// The static audio payload types of RFC 3551 §6 (used when an offer lists them without rtpmap).
    static let staticTypes: [Int: Codec] = [
        0: Codec(payloadType: 0, name: "PCMU"), 3: Codec(payloadType: 3, name: "GSM"), 4: Codec(payloadType: 4, name: "G723"),
        8: Codec(payloadType: 8, name: "PCMA"), 9: Codec(payloadType: 9, name: "G722"), 13: Codec(payloadType: 13, name: "CN"),
        18: Codec(payloadType: 18, name: "G729"),
    ]

    /// Parses an SDP body down to the audio stream we would take (`SDPDescription.choice()`), else its first audio
    /// stream (which then has no codec we take).
    public static func parse(_ text: String) throws(SIPParseError) -> SDPSession {
        let description = try SDPDescription.parse(text)
        if let chosen = description.choice() { return chosen.session }
        guard let m = description.media.first(where: { $0.kind == "audio" }), let address = m.address ?? description.sessionAddress else {
            throw SIPParseError("no audio stream or address")
        }
        let direction = m.direction ?? description.sessionDirection ?? (address == "0.0.0.0" ? .inactive : .sendrecv)
        var session = SDPSession(address: address, port: m.port, codecs: m.isPlainRTP ? m.codecs : [], ptime: m.ptime, direction: direction)
        session.maxptime = m.maxptime
        return session
    }

    /// The answer's codec: PCMU when offered, else PCMA; and telephone-event when offered.
    public func negotiate() -> (audio: Codec, dtmf: Codec?)? {
        let audio = codecs.first { $0.name.uppercased() == "PCMU" && $0.rate == 8000 } ?? codecs.first { $0.name.uppercased() == "PCMA" && $0.rate == 8000 }
        guard let audio else { return nil }
        return (audio, codecs.first { $0.name.lowercased() == "telephone-event" && $0.rate == 8000 })
    }

    /// An SDP body for our side.
    public static func body(address: String, port: Int, audio: [Codec], dtmf: Codec?, sessionId: UInt64, version: UInt64 = 1,
                            direction: Direction = .sendrecv) -> String {
        "v=0\r\no=alloresto \(sessionId) \(version) IN IP4 \(address)\r\ns=AlloResto\r\nc=IN IP4 \(address)\r\nt=0 0\r\n"
            + mediaSection(port: port, audio: audio, dtmf: dtmf, direction: direction)
    }

    /// Our audio `m=` section: the codecs with their rtpmap, telephone-event 0-16, 20 ms packets.
    public static func mediaSection(port: Int, audio: [Codec], dtmf: Codec?, direction: Direction) -> String {
        let all = audio + (dtmf.map { [$0] } ?? [])
        var s = "m=audio \(port) RTP/AVP " + all.map { String($0.payloadType) }.joined(separator: " ") + "\r\n"
        for c in all { s += "a=rtpmap:\(c.payloadType) \(c.name)/\(c.rate)\r\n" }
        if let dtmf { s += "a=fmtp:\(dtmf.payloadType) 0-16\r\n" }
        s += "a=ptime:20\r\na=\(direction.rawValue)\r\n"
        return s
    }
}
