/// What a user agent server decides about a request from the request alone, before any transaction or dialog
/// work (RFC 3261 §8.2), as plain functions the bridge carries out: 405 + `Allow` for a method it does not
/// implement (§8.2.1), 420 + `Unsupported` for an extension it is required to support and does not (§8.2.2.3),
/// the capabilities an OPTIONS answer lists (§11.2), `received`/`rport` stamped on the top Via (RFC 3581 §4), and
/// the key of an `application/dtmf-relay` INFO.
public enum RequestScreening {
    /// The methods the bridge implements, in the order `Allow` lists them.
    public static let methods = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO", "UPDATE", "NOTIFY"]
    /// `Allow`'s value.
    public static let allow = methods.joined(separator: ", ")
    /// Option tags we support (RFC 3261 §19.2): none — no 100rel, no session timers, no Replaces.
    public static let supported: Set<String> = []
    /// The bodies we read (`Accept`).
    public static let accept = "application/sdp, application/dtmf-relay"

    /// A request refused before its method's handler runs: the status, its reason phrase, and the header that
    /// explains it.
    public struct Refusal: Equatable, Sendable {
        public let code: Int
        public let reason: String
        public let header: String
        public let value: String

        public init(code: Int, reason: String, header: String, value: String) {
            self.code = code
            self.reason = reason
            self.header = header
            self.value = value
        }
    }

    /// The verdict on a new request (not a retransmission): nil when its method's handler takes it.
    public static func screen(_ request: SIPMessage) -> Refusal? {
        guard let method = request.method else { return nil }
        // ACK and CANCEL cannot be refused for an extension (§8.2.2.3): they follow the INVITE.
        if method != "ACK", method != "CANCEL" {
            let required = request.all("Require").flatMap { $0.split(separator: ",") }
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            let unsupported = required.filter { !supported.contains($0) }
            if !unsupported.isEmpty { return Refusal(code: 420, reason: "Bad Extension", header: "Unsupported", value: unsupported.joined(separator: ", ")) }
        }
        if !methods.contains(method) { return Refusal(code: 405, reason: "Method Not Allowed", header: "Allow", value: allow) }
        return nil
    }

    /// The headers of a 200 answering OPTIONS (§11.2), in or out of a dialog.
    public static var optionsHeaders: [(String, String)] {
        [("Allow", allow), ("Accept", accept), ("Accept-Language", "fr, en"), ("Supported", supported.sorted().joined(separator: ", "))]
    }

    /// RFC 3581 §4 (and RFC 3261 §18.2.1): the top Via value with `received` added when the source address differs
    /// from its sent-by host — always when the sender asked for `rport` — and `rport` filled with the source port.
    public static func stampedVia(_ value: String, sourceIP ip: String, sourcePort port: Int) -> String {
        let sentBy = value.split(separator: ";").first.map { String($0).split(separator: " ").last.map(String.init) ?? "" } ?? ""
        let host = sentBy.hasPrefix("[") ? String(sentBy.dropFirst().prefix { $0 != "]" }) : String(sentBy.split(separator: ":").first ?? "")
        var params = value.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        if let r = params.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).lowercased() == "rport" }) {
            params[r] = "rport=\(port)"
            var out = params.joined(separator: ";")
            if !out.lowercased().contains(";received=") { out += ";received=\(ip)" }
            return out
        }
        if host != ip, !value.lowercased().contains(";received=") { return value + ";received=\(ip)" }
        return value
    }

    /// The keys an `application/dtmf-relay` body carries (`Signal=5`, `Duration=160`), upper-cased; none for
    /// another content type or an unreadable body.
    public static func dtmfRelayKeys(contentType: String?, body: [UInt8]) -> [String] {
        guard contentType?.lowercased().hasPrefix("application/dtmf-relay") == true, let text = String(validating: body, as: UTF8.self) else { return [] }
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0].lowercased() == "signal", let key = parts[1].first.map({ String($0).uppercased() }),
                  "0123456789*#ABCD".contains(key) else { return nil }
            return key
        }
    }
}
