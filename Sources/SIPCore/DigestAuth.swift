import Crypto
import Foundation

/// HTTP digest authentication as SIP uses it (RFC 3261 §22, RFC 2617, RFC 8760 for SHA-256), client side.
public struct DigestChallenge: Sendable, Hashable {
    public var realm: String
    public var nonce: String
    public var opaque: String?
    public var algorithm: String
    public var qop: [String]
    public var stale: Bool

    /// Parses a `WWW-Authenticate` / `Proxy-Authenticate` value (`Digest realm="…", nonce="…", qop="auth"…`).
    public static func parse(_ header: String) -> DigestChallenge? {
        let trimmed = header.trimmingSpaces()
        guard trimmed.lowercased().hasPrefix("digest") else { return nil }
        let params = parseParams(String(trimmed.dropFirst(6)))
        guard let realm = params["realm"], let nonce = params["nonce"] else { return nil }
        return DigestChallenge(
            realm: realm, nonce: nonce, opaque: params["opaque"], algorithm: params["algorithm"] ?? "MD5",
            qop: (params["qop"] ?? "").split(separator: ",").map { $0.trimmingSpaces().lowercased() }.filter { !$0.isEmpty },
            stale: params["stale"]?.lowercased() == "true")
    }

    /// `key=value` / `key="value, with commas"` pairs.
    static func parseParams(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        var i = text.startIndex
        while i < text.endIndex {
            while i < text.endIndex, text[i] == " " || text[i] == "," || text[i] == "\t" { i = text.index(after: i) }
            guard let eq = text[i...].firstIndex(of: "=") else { break }
            let key = text[i..<eq].trimmingSpaces().lowercased()
            var j = text.index(after: eq)
            var value = ""
            if j < text.endIndex, text[j] == "\"" {
                j = text.index(after: j)
                while j < text.endIndex, text[j] != "\"" {
                    if text[j] == "\\", text.index(after: j) < text.endIndex { j = text.index(after: j) }
                    value.append(text[j])
                    j = text.index(after: j)
                }
                if j < text.endIndex { j = text.index(after: j) }
            } else {
                while j < text.endIndex, text[j] != "," { value.append(text[j]); j = text.index(after: j) }
                value = value.trimmingSpaces()
            }
            out[key] = value
            i = j
        }
        return out
    }

    public var supported: Bool { ["MD5", "SHA-256"].contains(algorithm.uppercased()) }

    static func hex(_ s: String, algorithm: String) -> String {
        if algorithm.uppercased() == "SHA-256" {
            return SHA256.hash(data: Data(s.utf8)).map { String(format: "%02x", $0) }.joined()
        }
        return Insecure.MD5.hash(data: Data(s.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The response digest for a request.
    public func response(method: String, uri: String, username: String, password: String, cnonce: String, nc: Int) -> String {
        let ha1 = Self.hex("\(username):\(realm):\(password)", algorithm: algorithm)
        let ha2 = Self.hex("\(method):\(uri)", algorithm: algorithm)
        if qop.contains("auth") {
            return Self.hex("\(ha1):\(nonce):\(String(format: "%08x", nc)):\(cnonce):auth:\(ha2)", algorithm: algorithm)
        }
        return Self.hex("\(ha1):\(nonce):\(ha2)", algorithm: algorithm)
    }

    /// The `Authorization` / `Proxy-Authorization` value answering this challenge.
    public func authorization(method: String, uri: String, username: String, password: String, cnonce: String, nc: Int) -> String {
        var s = "Digest username=\"\(username)\", realm=\"\(realm)\", nonce=\"\(nonce)\", uri=\"\(uri)\", "
        s += "response=\"\(response(method: method, uri: uri, username: username, password: password, cnonce: cnonce, nc: nc))\", algorithm=\(algorithm)"
        if qop.contains("auth") { s += ", qop=auth, nc=\(String(format: "%08x", nc)), cnonce=\"\(cnonce)\"" }
        if let opaque { s += ", opaque=\"\(opaque)\"" }
        return s
    }
}
