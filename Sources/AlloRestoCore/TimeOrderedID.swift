import Foundation

/// UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Rows inserted in time order land at the
/// end of their primary-key index instead of on a random page, which keeps each write transaction (and the SQLite
/// write-ahead log) to a few pages.
public enum TimeOrderedID {
    public static func make<R: RandomNumberGenerator>(at date: Date, using random: inout R) -> UUID {
        let ms = UInt64(CheckedNumber.clamped(date.timeIntervalSince1970 * 1000, to: 0...(1 << 48) - 1))
        let a = random.next() as UInt64, b = random.next() as UInt64
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: ms >> (8 * (5 - i))) }
        for i in 6..<16 { bytes[i] = UInt8(truncatingIfNeeded: (i < 14 ? a : b) >> (8 * (i % 8))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0f)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3f)  // RFC 4122 variant
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    public static func make(at date: Date = Date()) -> UUID {
        var g = SystemRandomNumberGenerator()
        return make(at: date, using: &g)
    }
}
