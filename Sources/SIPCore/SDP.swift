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

    static let staticTypes: [Int: Codec] = [0: Codec(payloadType: 0, name: "PCMU", rate: 8000), 8: Codec(payloadType: 8, name: "PCMA", rate: 8000)]

    /// Parses the first audio stream of an SDP body.
    public static func parse(_ text: String) throws(SIPParseError) -> SDPSession {
        var sessionAddress: String?
        var mediaAddress: String?
        var port: Int?
        var types: [Int] = []
        var maps: [Int: Codec] = [:]
        var ptime: Int?
        var inAudio = false
        var sawAudio = false
        var sessionDirection: Direction?
        var mediaDirection: Direction?
        // Split on scalars: "\r\n" is a single Character in Swift.
        for raw in text.unicodeScalars.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map({ String(String.UnicodeScalarView($0)) }) {
            let line = String(raw)
            guard line.count >= 2, line.dropFirst().first == "=" else { continue }
            let value = String(line.dropFirst(2))
            switch line.first {
            case "c":
                let parts = value.split(separator: " ")
                guard parts.count >= 3 else { throw SIPParseError("bad c= line") }
                let addr = String(parts[2].split(separator: "/").first ?? parts[2])
                if inAudio { mediaAddress = addr } else if !sawAudio { sessionAddress = addr }
            case "m":
                let parts = value.split(separator: " ")
                inAudio = parts.first == "audio" && !sawAudio
                if inAudio {
                    sawAudio = true
                    guard parts.count >= 4, let p = Int(parts[1]), (0...65535).contains(p) else { throw SIPParseError("bad m= line") }
                    port = p
                    types = parts.dropFirst(3).compactMap { Int($0) }
                }
            case "a" where !sawAudio:
                if let d = Direction(rawValue: value) { sessionDirection = d }
            case "a" where inAudio:
                if let d = Direction(rawValue: value) {
                    mediaDirection = d
                } else if value.hasPrefix("rtpmap:") {
                    let rest = value.dropFirst(7).split(separator: " ", maxSplits: 1)
                    guard rest.count == 2, let pt = Int(rest[0]) else { continue }
                    let enc = rest[1].split(separator: "/")
                    maps[pt] = Codec(payloadType: pt, name: String(enc[0]), rate: enc.count > 1 ? Int(enc[1]) ?? 8000 : 8000)
                } else if value.hasPrefix("ptime:") {
                    ptime = Int(value.dropFirst(6))
                }
            default: break
            }
        }
        guard let port, let address = mediaAddress ?? sessionAddress else { throw SIPParseError("no audio stream or address") }
        let codecs = types.compactMap { maps[$0] ?? staticTypes[$0] }
        let direction = mediaDirection ?? sessionDirection ?? (address == "0.0.0.0" ? .inactive : .sendrecv)
        return SDPSession(address: address, port: port, codecs: codecs, ptime: ptime, direction: direction)
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
        let all = audio + (dtmf.map { [$0] } ?? [])
        var s = "v=0\r\no=alloresto \(sessionId) \(version) IN IP4 \(address)\r\ns=AlloResto\r\nc=IN IP4 \(address)\r\nt=0 0\r\n"
        s += "m=audio \(port) RTP/AVP " + all.map { String($0.payloadType) }.joined(separator: " ") + "\r\n"
        for c in all { s += "a=rtpmap:\(c.payloadType) \(c.name)/\(c.rate)\r\n" }
        if let dtmf { s += "a=fmtp:\(dtmf.payloadType) 0-16\r\n" }
        s += "a=ptime:20\r\na=\(direction.rawValue)\r\n"
        return s
    }
}
