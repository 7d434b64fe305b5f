/// The few DNS record types RFC 3263 needs (RFC 1035 A, RFC 2782 SRV, RFC 3403 NAPTR), as query and answer
/// messages: a value to encode and a parser, no I/O.
public enum DNSRecordType: UInt16, Sendable, Hashable {
    case a = 1, srv = 33, naptr = 35
}

/// One answer record.
public enum DNSRecord: Sendable, Hashable {
    case a(name: String, address: String)
    case srv(name: String, priority: UInt16, weight: UInt16, port: UInt16, target: String)
    case naptr(name: String, order: UInt16, preference: UInt16, flags: String, service: String, regexp: String, replacement: String)
}

/// A DNS query and the parsing of its answer (RFC 1035 §4).
public enum DNSMessage {
    /// A standard query with recursion desired for one name and type.
    public static func query(id: UInt16, name: String, type: DNSRecordType) -> [UInt8] {
        var out: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") where !label.isEmpty {
            let bytes = Array(label.utf8.prefix(63))
            out.append(UInt8(bytes.count))
            out += bytes
        }
        out.append(0)
        out += [UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xFF), 0, 1]
        return out
    }

    /// The answer section of a response to query `id`: the records of the types above, others skipped. Throws on
    /// a truncated or malformed message, a wrong id, or an error code other than NXDOMAIN (which is no record).
    public static func answers(_ m: [UInt8], id: UInt16) throws(SIPParseError) -> [DNSRecord] {
        var r = Reader(bytes: m)
        guard try r.u16() == id else { throw SIPParseError("DNS answer to another query") }
        let flags = try r.u16()
        guard flags & 0x8000 != 0 else { throw SIPParseError("DNS message is not a response") }
        switch flags & 0x000F {
        case 0: break
        case 3: return []  // NXDOMAIN
        case let code: throw SIPParseError("DNS error \(code)")
        }
        let questions = try r.u16(), count = try r.u16()
        _ = try r.u16()
        _ = try r.u16()
        for _ in 0..<questions {
            _ = try r.name()
            r.at += 4
        }
        var out: [DNSRecord] = []
        for _ in 0..<count {
            let name = try r.name()
            let type = try r.u16()
            _ = try r.u16()
            r.at += 4  // TTL
            let length = Int(try r.u16())
            let end = r.at + length
            guard end <= m.count else { throw SIPParseError("DNS record truncated") }
            switch DNSRecordType(rawValue: type) {
            case .a where length == 4:
                out.append(.a(name: name, address: m[r.at..<end].map(String.init).joined(separator: ".")))
            case .srv:
                let priority = try r.u16(), weight = try r.u16(), port = try r.u16()
                out.append(.srv(name: name, priority: priority, weight: weight, port: port, target: try r.name()))
            case .naptr:
                let order = try r.u16(), preference = try r.u16()
                let flags = try r.string(), service = try r.string(), regexp = try r.string()
                out.append(.naptr(name: name, order: order, preference: preference, flags: flags, service: service, regexp: regexp,
                                  replacement: try r.name()))
            default: break
            }
            r.at = end
        }
        return out
    }

    struct Reader {
        let bytes: [UInt8]
        var at = 0

        mutating func u16() throws(SIPParseError) -> UInt16 {
            guard at + 2 <= bytes.count else { throw SIPParseError("DNS message truncated") }
            defer { at += 2 }
            return UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
        }

        mutating func string() throws(SIPParseError) -> String {
            guard at < bytes.count, at + 1 + Int(bytes[at]) <= bytes.count else { throw SIPParseError("DNS string truncated") }
            let n = Int(bytes[at])
            defer { at += 1 + n }
            return String(decoding: bytes[(at + 1)..<(at + 1 + n)], as: UTF8.self)
        }

        /// A domain name with compression pointers (RFC 1035 §4.1.4); at most 20 jumps, so a loop cannot hang.
        mutating func name() throws(SIPParseError) -> String {
            var labels: [String] = []
            var pos = at
            var jumped = false
            for _ in 0..<128 {
                guard pos < bytes.count else { throw SIPParseError("DNS name truncated") }
                let n = Int(bytes[pos])
                if n == 0 {
                    if !jumped { at = pos + 1 }
                    return labels.joined(separator: ".")
                }
                if n & 0xC0 == 0xC0 {
                    guard pos + 1 < bytes.count, labels.count < 128 else { throw SIPParseError("DNS pointer truncated") }
                    if !jumped { at = pos + 2 }
                    jumped = true
                    pos = (n & 0x3F) << 8 | Int(bytes[pos + 1])
                    continue
                }
                guard pos + 1 + n <= bytes.count else { throw SIPParseError("DNS label truncated") }
                labels.append(String(decoding: bytes[(pos + 1)..<(pos + 1 + n)], as: UTF8.self))
                pos += 1 + n
            }
            throw SIPParseError("DNS name too long or looping")
        }
    }
}

/// The transports a SIP element can be reached over.
public enum SIPTransportKind: String, Sendable, Hashable, CaseIterable {
    case udp, tcp, tls

    /// The Via transport token (RFC 3261 §20.42).
    public var viaToken: String { rawValue.uppercased() }
    public var isReliable: Bool { self != .udp }
    public var defaultPort: Int { self == .tls ? 5061 : 5060 }
    /// NAPTR service (RFC 3263 §4.1) and SRV prefix.
    var naptrService: String { ["udp": "SIP+D2U", "tcp": "SIP+D2T", "tls": "SIPS+D2T"][rawValue]! }
    var srvPrefix: String { ["udp": "_sip._udp.", "tcp": "_sip._tcp.", "tls": "_sips._tcp."][rawValue]! }
}

/// Where to send a request: an IP address, a port and a transport; `host` is the name TLS checks.
public struct SIPDestination: Sendable, Hashable {
    public var address: String
    public var port: Int
    public var transport: SIPTransportKind
    public var host: String
}

/// RFC 3263 §4: from a host (and optional port) to the ordered destinations of a SIP server, through NAPTR, SRV
/// and A records. `lookup` asks DNS (a socket in the bridge, canned answers in tests).
public struct SIPLocator: Sendable {
    public typealias Lookup = @Sendable (String, DNSRecordType) async throws -> [DNSRecord]
    let lookup: Lookup

    public init(lookup: @escaping Lookup) { self.lookup = lookup }

    /// `host` may be a numeric IPv4 address (used as is), a name with an explicit port (A records on that port,
    /// §4.2), or a bare name: NAPTR for the transport (§4.1), else its SRV name, else A on the default port.
    /// `transport` is the one this element uses. Throws when nothing resolves.
    public func locate(host: String, port: Int?, transport: SIPTransportKind) async throws -> [SIPDestination] {
        if Self.isIPv4(host) { return [SIPDestination(address: host, port: port ?? transport.defaultPort, transport: transport, host: host)] }
        if let port { return try await addresses(of: host, port: port, transport: transport, tlsName: host) }
        var srvName = transport.srvPrefix + host
        let naptr = (try? await lookup(host, .naptr)) ?? []
        let services = naptr.compactMap { record -> (UInt16, UInt16, String)? in
            guard case .naptr(_, let order, let preference, let flags, let service, _, let replacement) = record,
                  flags.lowercased() == "s", service.uppercased() == transport.naptrService else { return nil }
            return (order, preference, replacement)
        }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        if let first = services.first { srvName = first.2 }
        // A DNS server that does not answer SRV is no reason to give up: the name's A records may still resolve.
        let srv = ((try? await lookup(srvName, .srv)) ?? []).compactMap { record -> (UInt16, UInt16, UInt16, String)? in
            guard case .srv(_, let priority, let weight, let port, let target) = record, target != "." else { return nil }
            return (priority, weight, port, target)
        }
        guard !srv.isEmpty else { return try await addresses(of: host, port: transport.defaultPort, transport: transport, tlsName: host) }
        // Lowest priority first; within one priority the heavier first (RFC 2782's weighted pick, made
        // deterministic: a bridge has one or two trunks' servers, and tests must know the order).
        var out: [SIPDestination] = []
        for entry in srv.sorted(by: { ($0.0, -Int($0.1)) < ($1.0, -Int($1.1)) }) {
            // TLS checks the domain the user asked for (RFC 5922 §4), not the SRV target.
            out += (try? await addresses(of: entry.3, port: Int(entry.2), transport: transport, tlsName: host)) ?? []
        }
        guard !out.isEmpty else { throw SIPParseError("no address for the SRV targets of \(host)") }
        return out
    }

    func addresses(of name: String, port: Int, transport: SIPTransportKind, tlsName: String) async throws -> [SIPDestination] {
        if Self.isIPv4(name) { return [SIPDestination(address: name, port: port, transport: transport, host: tlsName)] }
        let found = try await lookup(name, .a).compactMap { record -> SIPDestination? in
            guard case .a(_, let address) = record else { return nil }
            return SIPDestination(address: address, port: port, transport: transport, host: tlsName)
        }
        guard !found.isEmpty else { throw SIPParseError("no address for \(name)") }
        return found
    }

    /// A dotted-quad IPv4 address.
    public static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { $0.count <= 3 && $0.allSatisfy { $0.isASCII && $0.isNumber } && (Int($0).map { $0 <= 255 } ?? false) }
    }
}
