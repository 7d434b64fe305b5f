/// Splits a byte stream (SIP over TCP or TLS) into messages: each head ends with an empty line and its body is
/// `Content-Length` bytes (RFC 3261 §18.3, where that header is mandatory). CRLF keep-alives between messages
/// (RFC 5626 §3.5.1) are skipped. A head longer than `SIPMessage.maxSize` or a bad length is an error: the
/// connection must then be closed, as nothing after it can be framed.
public struct SIPStreamFramer: Sendable {
    var buffer: [UInt8] = []
    /// How far the search for the end of the head has looked (a head trickled in byte by byte is not rescanned).
    var searched = 0

    public init() {}

    /// Bytes waiting for the rest of their message.
    public var pending: Int { buffer.count }

    /// Adds what the connection delivered and returns every message now complete, in order.
    public mutating func append(_ bytes: some Sequence<UInt8>) throws(SIPParseError) -> [[UInt8]] {
        buffer.append(contentsOf: bytes)
        var out: [[UInt8]] = []
        while true {
            var start = 0
            while start < buffer.count, buffer[start] == 13 || buffer[start] == 10 { start += 1 }
            if start > 0 {
                buffer.removeFirst(start)
                searched = 0
            }
            guard let (headEnd, bodyStart) = Self.endOfHead(buffer, from: max(0, searched - 3)) else {
                searched = buffer.count
                guard buffer.count <= SIPMessage.maxSize else { throw SIPParseError("no end of headers within \(SIPMessage.maxSize) bytes") }
                return out
            }
            let length = try Self.contentLength(buffer[0..<headEnd])
            guard bodyStart + length <= SIPMessage.maxSize else { throw SIPParseError("message too large") }
            guard buffer.count >= bodyStart + length else {
                searched = bodyStart  // the head is complete: wait for the body without searching again
                return out
            }
            out.append(Array(buffer[0..<(bodyStart + length)]))
            buffer.removeFirst(bodyStart + length)
            searched = 0
        }
    }

    /// Where the head ends (the empty line) and the body starts; CRLF or bare LF line ends.
    static func endOfHead(_ b: [UInt8], from: Int = 0) -> (Int, Int)? {
        var i = from
        while i < b.count {
            if b[i] == 10 {
                if i + 1 < b.count, b[i + 1] == 10 { return (i, i + 2) }
                if i + 2 < b.count, b[i + 1] == 13, b[i + 2] == 10 { return (i, i + 3) }
            }
            i += 1
        }
        return nil
    }

    /// The `Content-Length` (or compact `l`) of a head; 0 when absent.
    static func contentLength(_ head: ArraySlice<UInt8>) throws(SIPParseError) -> Int {
        for line in head.split(separator: 10) {
            guard let colon = line.firstIndex(of: 58) else { continue }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).trimmingSpaces().lowercased()
            guard name == "content-length" || name == "l" else { continue }
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: " \t\r")
            guard value.count <= 6, let n = Int(value), n >= 0 else { throw SIPParseError("bad Content-Length") }
            return n
        }
        return 0
    }
}
