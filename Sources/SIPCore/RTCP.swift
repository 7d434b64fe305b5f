/// One report block of an RTCP sender or receiver report (RFC 3550 §6.4.1).
public struct RTCPReportBlock: Sendable, Hashable {
    public var ssrc: UInt32
    /// Lost since the last report, in 1/256.
    public var fractionLost: UInt8
    /// Lost since the start (24-bit signed on the wire).
    public var cumulativeLost: Int32
    /// Cycles (high 16 bits) and highest sequence number received.
    public var highestSequence: UInt32
    /// Interarrival jitter, in timestamp units.
    public var jitter: UInt32
    /// Middle 32 bits of the last SR's NTP time, and the delay since it in 1/65536 s (0 when none came).
    public var lastSR: UInt32
    public var delaySinceLastSR: UInt32

    public init(ssrc: UInt32, fractionLost: UInt8, cumulativeLost: Int32, highestSequence: UInt32, jitter: UInt32, lastSR: UInt32, delaySinceLastSR: UInt32) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.highestSequence = highestSequence
        self.jitter = jitter
        self.lastSR = lastSR
        self.delaySinceLastSR = delaySinceLastSR
    }
}

/// The RTCP packets a phone call's media needs (RFC 3550 §6.4–6.6): sender and receiver reports, SDES CNAME, BYE.
public enum RTCPPacket: Sendable, Hashable {
    case senderReport(ssrc: UInt32, ntp: UInt64, rtpTimestamp: UInt32, packets: UInt32, octets: UInt32, blocks: [RTCPReportBlock])
    case receiverReport(ssrc: UInt32, blocks: [RTCPReportBlock])
    case sourceDescription(ssrc: UInt32, cname: String)
    case bye(ssrcs: [UInt32])

    public func serialized() -> [UInt8] {
        var body: [UInt8] = []
        let type: UInt8, count: Int
        switch self {
        case .senderReport(let ssrc, let ntp, let ts, let packets, let octets, let blocks):
            (type, count) = (200, blocks.count)
            body = Self.u32(ssrc) + Self.u32(UInt32(ntp >> 32)) + Self.u32(UInt32(truncatingIfNeeded: ntp)) + Self.u32(ts) + Self.u32(packets) + Self.u32(octets)
            for b in blocks { body += Self.block(b) }
        case .receiverReport(let ssrc, let blocks):
            (type, count) = (201, blocks.count)
            body = Self.u32(ssrc)
            for b in blocks { body += Self.block(b) }
        case .sourceDescription(let ssrc, let cname):
            (type, count) = (202, 1)
            let text = Array(cname.utf8.prefix(255))
            body = Self.u32(ssrc) + [1, UInt8(text.count)] + text + [0]
            while body.count % 4 != 0 { body.append(0) }
        case .bye(let ssrcs):
            (type, count) = (203, ssrcs.count)
            for s in ssrcs { body += Self.u32(s) }
        }
        let words = UInt16(clamping: body.count / 4)
        return [0x80 | UInt8(min(count, 31)), type, UInt8(words >> 8), UInt8(words & 0xFF)] + body
    }

    static func u32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func block(_ b: RTCPReportBlock) -> [UInt8] {
        let lost = UInt32(bitPattern: max(-0x800000, min(0x7FFFFF, b.cumulativeLost))) & 0xFFFFFF
        return u32(b.ssrc) + [b.fractionLost, UInt8(lost >> 16), UInt8((lost >> 8) & 0xFF), UInt8(lost & 0xFF)] + u32(b.highestSequence) + u32(b.jitter)
            + u32(b.lastSR) + u32(b.delaySinceLastSR)
    }

    /// The packets of a compound RTCP datagram (SR, RR, SDES CNAME, BYE; others skipped). Empty when it is not
    /// RTCP version 2 or a length runs past the end.
    public static func parseCompound(_ d: [UInt8]) -> [RTCPPacket] {
        var out: [RTCPPacket] = []
        var at = 0
        func word(_ i: Int) -> UInt32 { UInt32(d[i]) << 24 | UInt32(d[i + 1]) << 16 | UInt32(d[i + 2]) << 8 | UInt32(d[i + 3]) }
        func blocks(_ from: Int, _ n: Int, _ end: Int) -> [RTCPReportBlock]? {
            guard from + 24 * n <= end else { return nil }
            return (0..<n).map { i in
                let o = from + 24 * i
                let raw = word(o + 4) & 0xFFFFFF
                let lost = raw & 0x800000 != 0 ? Int32(bitPattern: raw | 0xFF00_0000) : Int32(raw)
                return RTCPReportBlock(ssrc: word(o), fractionLost: d[o + 4], cumulativeLost: lost, highestSequence: word(o + 8), jitter: word(o + 12),
                                       lastSR: word(o + 16), delaySinceLastSR: word(o + 20))
            }
        }
        while at + 4 <= d.count {
            guard d[at] >> 6 == 2 else { return [] }
            let count = Int(d[at] & 0x1F), type = d[at + 1]
            let end = at + 4 + 4 * (Int(d[at + 2]) << 8 | Int(d[at + 3]))
            guard end <= d.count else { return [] }
            switch type {
            case 200 where end - at >= 28:
                guard let b = blocks(at + 28, count, end) else { return [] }
                out.append(.senderReport(ssrc: word(at + 4), ntp: UInt64(word(at + 8)) << 32 | UInt64(word(at + 12)), rtpTimestamp: word(at + 16),
                                         packets: word(at + 20), octets: word(at + 24), blocks: b))
            case 201 where end - at >= 8:
                guard let b = blocks(at + 8, count, end) else { return [] }
                out.append(.receiverReport(ssrc: word(at + 4), blocks: b))
            case 202 where end - at >= 10 && d[at + 8] == 1:
                let n = Int(d[at + 9])
                if at + 10 + n <= end { out.append(.sourceDescription(ssrc: word(at + 4), cname: String(decoding: d[(at + 10)..<(at + 10 + n)], as: UTF8.self))) }
            case 203:
                guard at + 4 + 4 * count <= end else { return [] }
                out.append(.bye(ssrcs: (0..<count).map { word(at + 4 + 4 * $0) }))
            default: break
            }
            at = end
        }
        return out
    }
}

/// Reception statistics of one RTP source for RTCP report blocks (RFC 3550 Appendix A.1, A.3, A.8): extended
/// highest sequence number, packets lost (cumulative and since the last report) and interarrival jitter.
public struct RTPReceptionStats: Sendable, Hashable {
    public private(set) var ssrc: UInt32?
    var baseSequence: UInt32 = 0
    var maxSequence: UInt16 = 0
    var cycles: UInt32 = 0
    public private(set) var received: UInt32 = 0
    var expectedPrior: UInt32 = 0
    var receivedPrior: UInt32 = 0
    var transit: Int64?
    /// Jitter estimate in timestamp units (×16 kept, as A.8's integer form).
    var jitterQ4: Int64 = 0

    public init() {}

    /// A packet arrived; `arrival` is the arrival time in the same units as its timestamp (8000 Hz here). A new
    /// SSRC starts the statistics over (the source changed).
    public mutating func record(sequence: UInt16, timestamp: UInt32, ssrc: UInt32, arrival: UInt32) {
        if self.ssrc != ssrc {
            self = RTPReceptionStats()
            self.ssrc = ssrc
            baseSequence = UInt32(sequence)
            maxSequence = sequence
        } else {
            let delta = sequence &- maxSequence
            if delta < 0x8000 {
                if sequence < maxSequence { cycles &+= 0x10000 }  // wrapped
                maxSequence = sequence
            }
        }
        received &+= 1
        let t = Int64(arrival) - Int64(timestamp)
        if let last = transit {
            var d = t - last
            if d < 0 { d = -d }
            // d mod 2^32 guards against wrap-around of either clock.
            d = min(d, 1 << 31)
            jitterQ4 += d - ((jitterQ4 + 8) >> 4)
        }
        transit = t
    }

    /// The extended highest sequence number received.
    public var highestSequence: UInt32 { cycles + UInt32(maxSequence) }
    public var expected: UInt32 { highestSequence &- baseSequence &+ 1 }
    public var cumulativeLost: Int32 { Int32(clamping: Int64(expected) - Int64(received)) }
    public var jitter: UInt32 { UInt32(clamping: jitterQ4 >> 4) }

    /// The report block for this source, and the interval counters moved on (A.3).
    public mutating func reportBlock(lastSR: UInt32 = 0, delaySinceLastSR: UInt32 = 0) -> RTCPReportBlock? {
        guard let ssrc else { return nil }
        let expectedInterval = Int64(expected) - Int64(expectedPrior)
        let receivedInterval = Int64(received) - Int64(receivedPrior)
        expectedPrior = expected
        receivedPrior = received
        let lostInterval = expectedInterval - receivedInterval
        let fraction = expectedInterval <= 0 || lostInterval <= 0 ? 0 : UInt8(clamping: (lostInterval << 8) / expectedInterval)
        return RTCPReportBlock(ssrc: ssrc, fractionLost: fraction, cumulativeLost: cumulativeLost, highestSequence: highestSequence, jitter: jitter,
                               lastSR: lastSR, delaySinceLastSR: delaySinceLastSR)
    }
}
