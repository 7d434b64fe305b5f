/// An RTP packet (RFC 3550).
public struct RTPPacket: Sendable, Hashable {
    public var payloadType: UInt8
    public var marker: Bool
    public var sequence: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var payload: [UInt8]

    public init(payloadType: UInt8, marker: Bool = false, sequence: UInt16, timestamp: UInt32, ssrc: UInt32, payload: [UInt8]) {
        self.payloadType = payloadType
        self.marker = marker
        self.sequence = sequence
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.payload = payload
    }

    /// Parses a datagram; nil when it is not RTP version 2 or is truncated.
    public static func parse(_ b: [UInt8]) -> RTPPacket? {
        guard b.count >= 12, b[0] >> 6 == 2 else { return nil }
        let padding = b[0] & 0x20 != 0
        let extensionBit = b[0] & 0x10 != 0
        let csrcCount = Int(b[0] & 0x0F)
        var offset = 12 + 4 * csrcCount
        guard b.count >= offset else { return nil }
        if extensionBit {
            guard b.count >= offset + 4 else { return nil }
            let words = Int(b[offset + 2]) << 8 | Int(b[offset + 3])
            offset += 4 + 4 * words
            guard b.count >= offset else { return nil }
        }
        var end = b.count
        if padding {
            let pad = Int(b[b.count - 1])
            guard pad >= 1, end - pad >= offset else { return nil }
            end -= pad
        }
        return RTPPacket(
            payloadType: b[1] & 0x7F, marker: b[1] & 0x80 != 0,
            sequence: UInt16(b[2]) << 8 | UInt16(b[3]),
            timestamp: UInt32(b[4]) << 24 | UInt32(b[5]) << 16 | UInt32(b[6]) << 8 | UInt32(b[7]),
            ssrc: UInt32(b[8]) << 24 | UInt32(b[9]) << 16 | UInt32(b[10]) << 8 | UInt32(b[11]),
            payload: Array(b[offset..<end]))
    }

    public func serialized() -> [UInt8] {
        var out: [UInt8] = [0x80, (marker ? 0x80 : 0) | (payloadType & 0x7F), UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        out += [UInt8(timestamp >> 24), UInt8((timestamp >> 16) & 0xFF), UInt8((timestamp >> 8) & 0xFF), UInt8(timestamp & 0xFF)]
        out += [UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF)]
        out += payload
        return out
    }
}

/// A DTMF event (RFC 4733 telephone-event payload).
public struct DTMFEvent: Sendable, Hashable {
    public var event: UInt8
    public var end: Bool
    public var volume: UInt8
    public var duration: UInt16

    public static func parse(_ p: [UInt8]) -> DTMFEvent? {
        guard p.count >= 4, p[0] <= 16 else { return nil }
        return DTMFEvent(event: p[0], end: p[1] & 0x80 != 0, volume: p[1] & 0x3F, duration: UInt16(p[2]) << 8 | UInt16(p[3]))
    }

    /// `0`–`9`, `*`, `#`, `A`–`D`.
    public var digit: String {
        switch event {
        case 0...9: String(event)
        case 10: "*"
        case 11: "#"
        default: String(UnicodeScalar(UInt8(ascii: "A") + event - 12))
        }
    }
}

/// Reorders RTP packets within a small window and drops duplicates and late ones; releases them in order.
public struct JitterBuffer: Sendable {
    public let depth: Int
    private var pending: [UInt16: RTPPacket] = [:]
    private var next: UInt16?
    private var source: UInt32?
    public private(set) var dropped = 0
    /// Times a new SSRC restarted the stream (a transfer, a PBX switching legs).
    public private(set) var sourceChanges = 0

    public init(depth: Int = 3) { self.depth = max(1, depth) }

    /// Adds a packet; returns the packets now ready, in sequence order.
    /// A packet of another SSRC is a new stream (RFC 3550 §8.2): its sequence numbers are unrelated, so the
    /// receive side starts again from it instead of dropping it as "late".
    public mutating func push(_ p: RTPPacket) -> [RTPPacket] {
        var out: [RTPPacket] = []
        if let s = source, s != p.ssrc {
            // What the old stream still had waiting is released in order, not lost.
            if let n = next {
                out = pending.values.sorted { Int16(bitPattern: $0.sequence &- n) < Int16(bitPattern: $1.sequence &- n) }
            }
            pending.removeAll()
            next = nil
            sourceChanges += 1
        }
        source = p.ssrc
        if let n = next {
            let distance = Int16(bitPattern: p.sequence &- n)
            if distance < 0 { dropped += 1; return [] }  // late or duplicate
            if distance > 1000 { pending.removeAll(); next = p.sequence }  // a jump: the sender restarted
        } else {
            next = p.sequence
        }
        guard pending[p.sequence] == nil else { dropped += 1; return [] }
        pending[p.sequence] = p
        while let n = next, let ready = pending.removeValue(forKey: n) {
            out.append(ready)
            next = n &+ 1
        }
        // Too much waiting on a missing packet: skip the gap.
        if pending.count >= depth, let n = next {
            let oldest = pending.keys.min { Int16(bitPattern: $0 &- n) < Int16(bitPattern: $1 &- n) }!
            next = oldest
            while let m = next, let ready = pending.removeValue(forKey: m) {
                out.append(ready)
                next = m &+ 1
            }
        }
        return out
    }
}
