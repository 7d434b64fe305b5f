import NIOCore

/// A RESP2 value (Redis serialization protocol).
public enum RESPValue: Sendable, Hashable {
    case simple(String)
    case error(String)
    case integer(Int)
    case bulk([UInt8]?)
    case array([RESPValue]?)

    public var string: String? {
        switch self {
        case .simple(let s): s
        case .bulk(let b?): String(decoding: b, as: UTF8.self)
        case .integer(let i): String(i)
        default: nil
        }
    }

    public var isNull: Bool {
        switch self {
        case .bulk(nil), .array(nil): true
        default: false
        }
    }
}

/// A protocol violation from the server (never expected from a real Redis).
public struct RESPError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// Parses and writes RESP2. Parsing is incremental: `parse` returns nil until a whole value is buffered and
/// consumes nothing in that case.
public enum RESP {
    static let maxBulk = 512 * 1024 * 1024
    static let maxDepth = 32

    public static func parse(_ buffer: inout ByteBuffer) throws(RESPError) -> RESPValue? {
        var copy = buffer
        guard let value = try parseValue(&copy, depth: 0) else { return nil }
        buffer = copy
        return value
    }

    static func line(_ buffer: inout ByteBuffer) -> String? {
        let view = buffer.readableBytesView
        guard let cr = view.firstIndex(of: UInt8(ascii: "\r")), view.index(after: cr) < view.endIndex else { return nil }
        guard view[view.index(after: cr)] == UInt8(ascii: "\n") else { return nil }
        let length = cr - view.startIndex
        let text = buffer.readString(length: length)
        buffer.moveReaderIndex(forwardBy: 2)
        return text
    }

    static func parseValue(_ buffer: inout ByteBuffer, depth: Int) throws(RESPError) -> RESPValue? {
        guard depth < maxDepth else { throw RESPError(description: "nesting too deep") }
        guard let type = buffer.readInteger(as: UInt8.self) else { return nil }
        guard let text = line(&buffer) else { return nil }
        switch type {
        case UInt8(ascii: "+"): return .simple(text)
        case UInt8(ascii: "-"): return .error(text)
        case UInt8(ascii: ":"):
            guard let n = Int(text) else { throw RESPError(description: "bad integer \(text)") }
            return .integer(n)
        case UInt8(ascii: "$"):
            guard let n = Int(text), n >= -1, n <= maxBulk else { throw RESPError(description: "bad bulk length \(text)") }
            if n == -1 { return .bulk(nil) }
            guard buffer.readableBytes >= n + 2, let bytes = buffer.readBytes(length: n) else { return nil }
            buffer.moveReaderIndex(forwardBy: 2)
            return .bulk(bytes)
        case UInt8(ascii: "*"):
            guard let n = Int(text), n >= -1, n <= 1_000_000 else { throw RESPError(description: "bad array length \(text)") }
            if n == -1 { return .array(nil) }
            var items: [RESPValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n {
                guard let v = try parseValue(&buffer, depth: depth + 1) else { return nil }
                items.append(v)
            }
            return .array(items)
        default:
            throw RESPError(description: "unknown type byte \(type)")
        }
    }

    /// A command as an array of bulk strings.
    public static func command(_ args: [String], into buffer: inout ByteBuffer) {
        buffer.writeString("*\(args.count)\r\n")
        for a in args {
            buffer.writeString("$\(a.utf8.count)\r\n")
            buffer.writeString(a)
            buffer.writeString("\r\n")
        }
    }
}
