/// A SIP request or response (RFC 3261), as parsed from or written to the wire.
public struct SIPMessage: Sendable, Hashable {
    public enum StartLine: Sendable, Hashable {
        case request(method: String, uri: String)
        case response(code: Int, reason: String)
    }

    public var start: StartLine
    /// Header fields in order, with their canonical names; a comma-separated Via/Contact/Route line is split.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(_ start: StartLine, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.start = start
        self.headers = headers.map { (SIPMessage.canonical($0.0), $0.1) }
        self.body = body
    }

    public static func == (a: SIPMessage, b: SIPMessage) -> Bool {
        a.start == b.start && a.body == b.body && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }

    public func hash(into h: inout Hasher) {
        h.combine(start)
        h.combine(body)
        for (n, v) in headers { h.combine(n); h.combine(v) }
    }

    public var method: String? { if case .request(let m, _) = start { m } else { nil } }
    public var uri: String? { if case .request(_, let u) = start { u } else { nil } }
    public var statusCode: Int? { if case .response(let c, _) = start { c } else { nil } }

    /// Compact forms (RFC 3261 §7.3.3 and extensions) → full names.
    static let compact: [String: String] = [
        "i": "Call-ID", "f": "From", "t": "To", "v": "Via", "m": "Contact", "l": "Content-Length", "c": "Content-Type",
        "k": "Supported", "s": "Subject", "e": "Content-Encoding", "o": "Event", "r": "Refer-To", "b": "Referred-By", "x": "Session-Expires",
    ]
    static let known: [String: String] = {
        var m: [String: String] = [:]
        for n in ["Via", "From", "To", "Call-ID", "CSeq", "Contact", "Max-Forwards", "Content-Length", "Content-Type", "Allow", "Supported",
                  "User-Agent", "Server", "Expires", "WWW-Authenticate", "Authorization", "Proxy-Authenticate", "Proxy-Authorization",
                  "Record-Route", "Route", "Require", "Event", "Subject", "Content-Encoding", "Accept", "Reason", "Min-Expires"] {
            m[n.lowercased()] = n
        }
        return m
    }()

    /// The canonical spelling of a header name (case-insensitive, compact forms expanded).
    public static func canonical(_ name: String) -> String {
        let lower = name.lowercased()
        if let full = compact[lower] { return full }
        return known[lower] ?? name
    }

    /// The first value of a header (case-insensitive, compact names accepted).
    public subscript(_ name: String) -> String? {
        let n = SIPMessage.canonical(name)
        return headers.first { $0.name == n }?.value
    }

    public func all(_ name: String) -> [String] {
        let n = SIPMessage.canonical(name)
        return headers.filter { $0.name == n }.map(\.value)
    }

    /// Appends a header field (its name in canonical form), after any of the same name.
    public mutating func add(_ name: String, _ value: String) { headers.append((SIPMessage.canonical(name), value)) }

    /// CSeq number and method.
    public var cseq: (number: Int, method: String)? {
        guard let v = self["CSeq"] else { return nil }
        let parts = v.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2, let n = Int(parts[0]) else { return nil }
        return (n, String(parts[1]))
    }

    public var callId: String? { self["Call-ID"] }

    /// The wire form; Content-Length is always written from the body.
    public func serialized() -> [UInt8] {
        var out = ""
        switch start {
        case .request(let m, let u): out += "\(m) \(u) SIP/2.0\r\n"
        case .response(let c, let r): out += "SIP/2.0 \(c) \(r)\r\n"
        }
        for (n, v) in headers where n != "Content-Length" { out += "\(n): \(v)\r\n" }
        out += "Content-Length: \(body.count)\r\n\r\n"
        return Array(out.utf8) + body
    }
}

/// Why a datagram is not a SIP message.
public struct SIPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

extension SIPMessage {
    static let maxSize = 65_535
    static let maxHeaders = 200
    /// Headers whose comma-separated values are separate fields (safe to split: no commas inside values).
    static let splittable: Set<String> = ["Via", "Route", "Record-Route"]

    /// Parses one datagram (UDP) or one framed message. Line ends may be CRLF or bare LF; folded lines are
    /// joined; the head ends with an empty line; the body is `Content-Length` bytes (the rest of the datagram when
    /// absent).
    public static func parse(_ bytes: [UInt8]) throws(SIPParseError) -> SIPMessage {
        guard bytes.count <= maxSize else { throw SIPParseError("message too large") }
        // Find the end of the head: an empty line.
        var headEnd = -1
        var bodyStart = -1
        var i = 0
        while i < bytes.count {
            if bytes[i] == 10 {
                if i + 1 < bytes.count, bytes[i + 1] == 10 { headEnd = i; bodyStart = i + 2; break }
                if i + 2 < bytes.count, bytes[i + 1] == 13, bytes[i + 2] == 10 { headEnd = i; bodyStart = i + 3; break }
            }
            i += 1
        }
        // The empty line must be there even without a body (RFC 3261 7.5): a datagram without it was cut short.
        guard headEnd >= 0 else { throw SIPParseError("no empty line after the headers (truncated?)") }
        // Lines are split on the bytes: in a Swift String "\r\n" is one Character, so splitting text on "\n" misses it.
        var lines: [String] = []
        for rawLine in bytes[0..<headEnd].split(separator: 10, omittingEmptySubsequences: false) {
            var lineBytes = rawLine
            if lineBytes.last == 13 { lineBytes = lineBytes.dropLast() }
            guard let line = String(validating: lineBytes, as: UTF8.self) else { throw SIPParseError("head is not UTF-8") }
            if let first = line.first, first == " " || first == "\t" {
                guard !lines.isEmpty else { throw SIPParseError("continuation before the first line") }
                lines[lines.count - 1] += " " + line.trimmingSpaces()
            } else if !line.isEmpty {
                lines.append(line)
            }
        }
        guard let first = lines.first else { throw SIPParseError("empty message") }
        let start = try parseStart(first)
        var headers: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw SIPParseError("header without colon") }
            let name = line[..<colon].trimmingSpaces()
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.!%*+`'~".contains($0)) }) else {
                throw SIPParseError("bad header name")
            }
            let canonicalName = canonical(String(name))
            let value = line[line.index(after: colon)...].trimmingSpaces()
            if splittable.contains(canonicalName) {
                for part in value.split(separator: ",") { headers.append((canonicalName, part.trimmingSpaces())) }
            } else {
                headers.append((canonicalName, value))
            }
            guard headers.count <= maxHeaders else { throw SIPParseError("too many headers") }
        }
        var message = SIPMessage(start, headers: headers)
        let available = bytes.count - bodyStart
        if let lengthText = message["Content-Length"] {
            guard let n = Int(lengthText), n >= 0 else { throw SIPParseError("bad Content-Length") }
            guard n <= available else { throw SIPParseError("truncated body") }
            message.body = Array(bytes[bodyStart..<(bodyStart + n)])
        } else {
            message.body = Array(bytes[bodyStart...])
        }
        // Every SIP message needs these to be matched to a transaction.
        guard message["Call-ID"] != nil, message.cseq != nil, !message.all("Via").isEmpty, message["From"] != nil, message["To"] != nil else {
            throw SIPParseError("missing Via, From, To, Call-ID or CSeq")
        }
        return message
    }

    static func parseStart(_ line: String) throws(SIPParseError) -> StartLine {
        if line.hasPrefix("SIP/2.0 ") {
            let rest = line.dropFirst(8)
            let parts = rest.split(separator: " ", maxSplits: 1)
            guard let codeText = parts.first, let code = Int(codeText), (100...699).contains(code) else { throw SIPParseError("bad status line") }
            return .response(code: code, reason: parts.count > 1 ? String(parts[1]) : "")
        }
        let parts = line.split(separator: " ")
        guard parts.count == 3, parts[2] == "SIP/2.0", parts[0].allSatisfy({ $0.isASCII && $0.isUppercase }), !parts[1].isEmpty else {
            throw SIPParseError("bad request line")
        }
        return .request(method: String(parts[0]), uri: String(parts[1]))
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    func trimmingSpaces() -> String { Substring(self).trimmingSpaces() }
}

/// Parameters and addresses inside header values.
public enum SIPHeader {
    /// The values of a header that may carry several, comma-separated (Contact, Route, Record-Route, Via;
    /// RFC 3261 §7.3.1): commas inside `<…>` or quotes do not split.
    public static func split(_ value: String) -> [String] {
        var out: [String] = []
        var current = ""
        var angle = 0
        var quoted = false
        for ch in value {
            switch ch {
            case "\"": quoted.toggle()
            case "<" where !quoted: angle += 1
            case ">" where !quoted: angle = max(0, angle - 1)
            case "," where !quoted && angle == 0:
                let v = current.trimmingCharacters(in: .whitespaces)
                if !v.isEmpty { out.append(v) }
                current = ""
                continue
            default: break
            }
            current.append(ch)
        }
        let v = current.trimmingCharacters(in: .whitespaces)
        if !v.isEmpty { out.append(v) }
        return out
    }

    /// `;name=value` parameter of a header value (e.g. `tag` of From/To, `branch` of Via).
    public static func parameter(_ name: String, in value: String) -> String? {
        // Parameters come after the address part (after `>` when there is one).
        let parts: [Substring]
        if let close = value.lastIndex(of: ">") {
            parts = Array(value[value.index(after: close)...].split(separator: ";"))
        } else {
            parts = Array(value.split(separator: ";").dropFirst())
        }
        for part in parts {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.first.map({ $0.trimmingSpaces().lowercased() }) == name.lowercased() {
                return kv.count > 1 ? kv[1].trimmingSpaces().trimmingCharacters(in: "\"") : ""
            }
        }
        return nil
    }

    /// The URI of a name-addr (`"Jean" <sip:+336@host>;tag=x` → `sip:+336@host`).
    public static func uri(in value: String) -> String {
        if let open = value.firstIndex(of: "<"), let close = value[open...].firstIndex(of: ">") {
            return String(value[value.index(after: open)..<close])
        }
        return String(value.split(separator: ";").first ?? Substring(value)).trimmingSpaces()
    }

    /// The user part of a SIP URI (`sip:+33612345678@trunk` → `+33612345678`).
    public static func user(of uri: String) -> String? {
        var u = Substring(uri)
        for scheme in ["sips:", "sip:", "tel:"] where u.hasPrefix(scheme) { u = u.dropFirst(scheme.count) }
        guard let at = u.firstIndex(of: "@") else { return u.isEmpty || uri.hasPrefix("sip") ? nil : String(u) }
        let user = u[..<at].split(separator: ";").first.map(String.init) ?? ""
        return user.isEmpty ? nil : user
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
