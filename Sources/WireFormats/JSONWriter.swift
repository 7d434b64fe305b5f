import Foundation

/// Appends JSON tokens to a byte buffer. Used on the `/api/ai` hot path, where the static parts of the answer are
/// encoded once per restaurant version and the few per-call values are written around them.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }
    public mutating func raw(_ data: [UInt8]) { bytes.append(contentsOf: data) }

    public mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = s
        text.withUTF8 { utf8 in
            // Copy runs of bytes that need no escaping in one go; only quotes, backslashes and controls are rewritten.
            var runStart = 0
            for i in 0..<utf8.count {
                let b = utf8[i]
                guard b < 0x20 || b == 34 || b == 92 else { continue }
                if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                switch b {
                case 34: bytes.append(contentsOf: [92, 34])
                case 92: bytes.append(contentsOf: [92, 92])
                case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
                default: bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, JSONWriter.hex[Int(b >> 4)], JSONWriter.hex[Int(b & 0xF)]])
                }
                runStart = i + 1
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    public mutating func string(_ s: String?) {
        if let s { string(s) } else { raw("null") }
    }

    public mutating func number(_ d: Double?) {
        guard let d, d.isFinite else { raw("null"); return }
        // Integral values print without a fraction, as JSONEncoder does.
        if abs(d) < 1e15, let i = Int(exactly: d) { raw(String(i)) } else { raw("\(d)") }
    }

    public mutating func number(_ i: Int) { raw(String(i)) }
    public mutating func bool(_ b: Bool) { raw(b ? "true" : "false") }

    /// `"key":` (keys are plain identifiers chosen in code).
    public mutating func key(_ k: String) {
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: k.utf8)
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    public mutating func comma() { bytes.append(UInt8(ascii: ",")) }

    /// Encodes any value once with JSONEncoder, for the cached static parts.
    public static func encoded<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(value))) ?? Array("null".utf8)
    }
}
