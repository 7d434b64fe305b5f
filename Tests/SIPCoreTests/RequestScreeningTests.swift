import Foundation
import SIPCore
import Testing

/// The decisions a user agent server takes from a request alone (RFC 3261 §8.2, §11; RFC 3581), without a socket.
struct RequestScreeningTests {
    static func request(_ method: String, _ extra: [String] = [], body: String = "") -> SIPMessage {
        let head = ["\(method) sip:alloresto@192.0.2.1 SIP/2.0", "Via: SIP/2.0/UDP 10.0.0.7:5060;branch=z9hG4bK-1", "From: <sip:a@b>;tag=1",
                    "To: <sip:alloresto@192.0.2.1>", "Call-ID: c1", "CSeq: 1 \(method)", "Max-Forwards: 70"] + extra + ["Content-Length: \(body.utf8.count)"]
        return try! SIPMessage.parse(Array((head.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8))
    }

    @Test func anUnknownMethodIs405WithAllow() throws {
        for method in ["SUBSCRIBE", "PUBLISH", "MESSAGE", "REFER", "PRACK", "FOO"] {
            let refusal = try #require(RequestScreening.screen(Self.request(method)), "\(method)")
            #expect(refusal.code == 405 && refusal.header == "Allow")
            #expect(refusal.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } == RequestScreening.methods)
        }
        for method in RequestScreening.methods { #expect(RequestScreening.screen(Self.request(method)) == nil, "\(method)") }
    }

    @Test func everyUnsupportedRequiredExtensionIs420NamingThem() {
        #expect(RequestScreening.screen(Self.request("INVITE", ["Require: 100rel"])) == .init(code: 420, reason: "Bad Extension", header: "Unsupported", value: "100rel"))
        // Several values, in one header or several, any case; empty items ignored.
        #expect(RequestScreening.screen(Self.request("UPDATE", ["Require: Timer, ,replaces", "Require: precondition"]))?.value == "timer, replaces, precondition")
        // An extension on a method we do not take is still 420 first (§8.2.2.3 comes before the handler).
        #expect(RequestScreening.screen(Self.request("SUBSCRIBE", ["Require: 100rel"]))?.code == 420)
        // ACK and CANCEL follow their INVITE: never refused for an extension.
        #expect(RequestScreening.screen(Self.request("ACK", ["Require: 100rel"])) == nil)
        #expect(RequestScreening.screen(Self.request("CANCEL", ["Require: 100rel"])) == nil)
        // Supported or Proxy-Require is not Require.
        #expect(RequestScreening.screen(Self.request("INVITE", ["Supported: 100rel, timer"])) == nil)
    }

    @Test func optionsListsWhatWeTake() {
        let headers = Dictionary(uniqueKeysWithValues: RequestScreening.optionsHeaders)
        #expect(headers["Allow"] == RequestScreening.allow && headers["Allow"]?.contains("UPDATE") == true)
        #expect(headers["Accept"] == "application/sdp, application/dtmf-relay")
        #expect(headers["Supported"] == "")
    }

    @Test func viaReceivedAndRport() {
        // rport asked: filled with the source port, and received always added (RFC 3581 §4).
        #expect(RequestScreening.stampedVia("SIP/2.0/UDP 10.0.0.7:5060;rport;branch=z9hG4bK1", sourceIP: "203.0.113.9", sourcePort: 40123)
            == "SIP/2.0/UDP 10.0.0.7:5060;rport=40123;branch=z9hG4bK1;received=203.0.113.9")
        #expect(RequestScreening.stampedVia("SIP/2.0/UDP 203.0.113.9:5060;branch=z9hG4bK1;rport", sourceIP: "203.0.113.9", sourcePort: 5060)
            == "SIP/2.0/UDP 203.0.113.9:5060;branch=z9hG4bK1;rport=5060;received=203.0.113.9")
        // No rport: received only when the sent-by host differs (RFC 3261 §18.2.1), never twice.
        #expect(RequestScreening.stampedVia("SIP/2.0/UDP pbx.example.com;branch=z9hG4bK1", sourceIP: "198.51.100.4", sourcePort: 5060)
            == "SIP/2.0/UDP pbx.example.com;branch=z9hG4bK1;received=198.51.100.4")
        #expect(RequestScreening.stampedVia("SIP/2.0/UDP 198.51.100.4:5070;branch=z9hG4bK1", sourceIP: "198.51.100.4", sourcePort: 5070)
            == "SIP/2.0/UDP 198.51.100.4:5070;branch=z9hG4bK1")
        #expect(RequestScreening.stampedVia("SIP/2.0/UDP a.example;branch=b;received=1.2.3.4", sourceIP: "5.6.7.8", sourcePort: 5060)
            == "SIP/2.0/UDP a.example;branch=b;received=1.2.3.4")
        // IPv6 sent-by in brackets.
        #expect(RequestScreening.stampedVia("SIP/2.0/UDP [2001:db8::1]:5060;branch=b", sourceIP: "2001:db8::1", sourcePort: 5060) == "SIP/2.0/UDP [2001:db8::1]:5060;branch=b")
    }

    @Test func dtmfRelayBodies() {
        #expect(RequestScreening.dtmfRelayKeys(contentType: "application/dtmf-relay", body: Array("Signal=5\r\nDuration=160\r\n".utf8)) == ["5"])
        #expect(RequestScreening.dtmfRelayKeys(contentType: "Application/DTMF-Relay; charset=utf-8", body: Array("signal = #\nDuration=100".utf8)) == ["#"])
        #expect(RequestScreening.dtmfRelayKeys(contentType: "application/dtmf-relay", body: Array("Signal=a\r\n".utf8)) == ["A"])
        // Not a key, another type, or bytes that are not text: nothing.
        #expect(RequestScreening.dtmfRelayKeys(contentType: "application/dtmf-relay", body: Array("Signal=X\r\n".utf8)).isEmpty)
        #expect(RequestScreening.dtmfRelayKeys(contentType: "application/dtmf", body: Array("5".utf8)).isEmpty)
        #expect(RequestScreening.dtmfRelayKeys(contentType: "application/dtmf-relay", body: [0xff, 0xfe]).isEmpty)
    }
}
