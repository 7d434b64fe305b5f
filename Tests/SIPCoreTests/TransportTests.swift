import Foundation
import SIPCore
import Testing

/// SIP over streams (RFC 3261 §18.3 framing) and finding a server (RFC 3263 over RFC 2782 SRV and RFC 3403
/// NAPTR), without sockets: framing fed byte by byte, DNS answers built by hand, lookups answered from a table.
@Suite struct TransportTests {
    static let invite = Array("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: 4\r\n\r\nabcd".utf8)
    static let bye = Array("BYE sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n".utf8)

    /// Two messages in one read, a message cut anywhere, CRLF keep-alives between them, compact `l:`.
    @Test func framingByContentLength() throws {
        var framer = SIPStreamFramer()
        #expect(try framer.append(Self.invite + Array("\r\n\r\n".utf8) + Self.bye) == [Self.invite, Self.bye])
        var out: [[UInt8]] = []
        for byte in Self.invite + Self.bye { out += try framer.append([byte]) }
        #expect(out == [Self.invite, Self.bye] && framer.pending == 0)
        _ = try framer.append(Self.invite.prefix(30))
        #expect(framer.pending == 30)
    }

    /// A length that is not a number, or a head that never ends within 64 KiB: an error (the connection is closed).
    @Test func unframeableStreamsAreErrors() {
        var bad = SIPStreamFramer()
        #expect(throws: SIPParseError.self) { try bad.append(Array("BYE sip:a SIP/2.0\r\nContent-Length: -3\r\n\r\n".utf8)) }
        var endless = SIPStreamFramer()
        #expect(throws: SIPParseError.self) { try endless.append(Array(repeating: UInt8(ascii: "a"), count: 70_000)) }
        var huge = SIPStreamFramer()
        #expect(throws: SIPParseError.self) { try huge.append(Array("BYE sip:a SIP/2.0\r\nContent-Length: 999999\r\n\r\n".utf8)) }
    }

    /// A DNS response as a server writes it, with name compression: NAPTR, SRV and A records read back.
    @Test func dnsAnswersWithCompression() throws {
        let query = DNSMessage.query(id: 0x1234, name: "trunk.test", type: .naptr)
        #expect(query.prefix(4) == [0x12, 0x34, 0x01, 0x00] && query.suffix(4) == [0, 35, 0, 1])
        // Question "trunk.test" at offset 12; answers point back to it (0xC00C).
        var m: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0]
        m += [5] + Array("trunk".utf8) + [4] + Array("test".utf8) + [0, 0, 35, 0, 1]
        let srvName: [UInt8] = [4] + Array("_sip".utf8) + [4] + Array("_udp".utf8) + [0xC0, 12]
        let naptr: [UInt8] = [0, 10, 0, 50, 1, UInt8(ascii: "s"), 7] + Array("SIP+D2U".utf8) + [0] + srvName
        m += [0xC0, 12, 0, 35, 0, 1, 0, 0, 0, 60, 0, UInt8(naptr.count)] + naptr
        let srv: [UInt8] = [0, 10, 0, 100, 0x13, 0xC4] + [3] + Array("sip".utf8) + [0xC0, 12]
        m += srvName + [0, 33, 0, 1, 0, 0, 0, 60, 0, UInt8(srv.count)] + srv
        m += [3] + Array("sip".utf8) + [0xC0, 12] + [0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]
        let records = try DNSMessage.answers(m, id: 0x1234)
        #expect(records == [
            .naptr(name: "trunk.test", order: 10, preference: 50, flags: "s", service: "SIP+D2U", regexp: "", replacement: "_sip._udp.trunk.test"),
            .srv(name: "_sip._udp.trunk.test", priority: 10, weight: 100, port: 5060, target: "sip.trunk.test"),
            .a(name: "sip.trunk.test", address: "192.0.2.7"),
        ])
        #expect(throws: SIPParseError.self) { try DNSMessage.answers(m, id: 0x9999) }
        #expect(throws: SIPParseError.self) { try DNSMessage.answers(Array(m.prefix(m.count - 3)), id: 0x1234) }
        // A pointer to itself must not hang.
        var loop: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0]
        loop += [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]
        #expect(throws: SIPParseError.self) { try DNSMessage.answers(loop, id: 0x1234) }
    }

    static func locator(_ table: [String: [DNSRecord]]) -> SIPLocator {
        SIPLocator { name, type in
            (table[name] ?? []).filter {
                switch ($0, type) {
                case (.a, .a), (.srv, .srv), (.naptr, .naptr): true
                default: false
                }
            }
        }
    }

    /// RFC 3263 §4: NAPTR picks the SRV name for our transport, SRV orders by priority then weight, each target's
    /// A records give the addresses; TLS keeps the domain's name for certificate checks.
    @Test func naptrThenSRVThenA() async throws {
        let locator = Self.locator([
            "trunk.test": [
                .naptr(name: "trunk.test", order: 20, preference: 10, flags: "s", service: "SIP+D2U", regexp: "", replacement: "_sip._udp.trunk.test"),
                .naptr(name: "trunk.test", order: 10, preference: 10, flags: "s", service: "SIPS+D2T", regexp: "", replacement: "_sips._tcp.trunk.test"),
            ],
            "_sips._tcp.trunk.test": [
                .srv(name: "_sips._tcp.trunk.test", priority: 20, weight: 0, port: 5071, target: "backup.trunk.test"),
                .srv(name: "_sips._tcp.trunk.test", priority: 10, weight: 10, port: 5061, target: "light.trunk.test"),
                .srv(name: "_sips._tcp.trunk.test", priority: 10, weight: 90, port: 5062, target: "heavy.trunk.test"),
            ],
            "_sip._udp.trunk.test": [.srv(name: "_sip._udp.trunk.test", priority: 1, weight: 1, port: 5080, target: "udp.trunk.test")],
            "heavy.trunk.test": [.a(name: "heavy.trunk.test", address: "192.0.2.1")],
            "light.trunk.test": [.a(name: "light.trunk.test", address: "192.0.2.2")],
            "backup.trunk.test": [.a(name: "backup.trunk.test", address: "192.0.2.3")],
            "udp.trunk.test": [.a(name: "udp.trunk.test", address: "192.0.2.4")],
        ])
        let tls = try await locator.locate(host: "trunk.test", port: nil, transport: .tls)
        #expect(tls.map { "\($0.address):\($0.port)" } == ["192.0.2.1:5062", "192.0.2.2:5061", "192.0.2.3:5071"])
        #expect(tls.allSatisfy { $0.host == "trunk.test" && $0.transport == .tls })
        let udp = try await locator.locate(host: "trunk.test", port: nil, transport: .udp)
        #expect(udp.map { "\($0.address):\($0.port)" } == ["192.0.2.4:5080"])
    }

    /// Without NAPTR the transport's SRV name is asked; without SRV, the name's A records on the default port; an
    /// explicit port or a numeric address skips SRV (§4.2); nothing at all is an error.
    @Test func srvFallbacksPortsAndAddresses() async throws {
        let locator = Self.locator([
            "_sip._tcp.pbx.test": [.srv(name: "_sip._tcp.pbx.test", priority: 0, weight: 0, port: 5090, target: "box.pbx.test")],
            "box.pbx.test": [.a(name: "box.pbx.test", address: "198.51.100.9")],
            "pbx.test": [.a(name: "pbx.test", address: "198.51.100.1")],
        ])
        #expect(try await locator.locate(host: "pbx.test", port: nil, transport: .tcp).map(\.port) == [5090])
        #expect(try await locator.locate(host: "pbx.test", port: nil, transport: .udp).map { "\($0.address):\($0.port)" } == ["198.51.100.1:5060"])
        #expect(try await locator.locate(host: "pbx.test", port: nil, transport: .tls).map(\.port) == [5061])
        #expect(try await locator.locate(host: "pbx.test", port: 7000, transport: .tcp).map { "\($0.address):\($0.port)" } == ["198.51.100.1:7000"])
        #expect(try await locator.locate(host: "203.0.113.5", port: nil, transport: .udp).map { "\($0.address):\($0.port)" } == ["203.0.113.5:5060"])
        await #expect(throws: (any Error).self) { try await locator.locate(host: "nowhere.test", port: nil, transport: .udp) }
        #expect(!SIPLocator.isIPv4("1.2.3.256") && !SIPLocator.isIPv4("1.2.3") && !SIPLocator.isIPv4("١.2.3.4") && SIPLocator.isIPv4("10.0.0.1"))
    }
}
