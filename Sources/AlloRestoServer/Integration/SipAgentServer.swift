import AlloRestoCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A failure talking to sip-agent-server: down, slow, or an unexpected answer.
public struct SipAgentServerError: Error, Sendable, CustomStringConvertible {
    public let description: String
    /// The HTTP status sip-agent-server answered with; nil when it did not answer.
    public var status: Int? = nil
}

/// The parts of sip-agent-server's REST API AlloResto uses (SPEC §7): accounts, final customers, plans and
/// subscriptions, agents, their phone lines, tools and brain, workers. Every request
/// has a deadline; the API key (when set) goes in `X-API-Key` and nowhere else.
public struct SipAgentServerClient: Sendable {
    public let baseURL: String
    let apiKey: String?
    let client: HTTPClient
    public let timeout: TimeAmount

    public init(baseURL: String, apiKey: String?, client: HTTPClient = .shared, timeout: TimeAmount = .seconds(10)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.client = client
        self.timeout = timeout
    }

    public func withTimeout(_ t: TimeAmount) -> SipAgentServerClient {
        SipAgentServerClient(baseURL: baseURL, apiKey: apiKey, client: client, timeout: t)
    }

    @discardableResult
    public func send(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async throws -> JSONValue {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let apiKey, !apiKey.isEmpty { request.headers.add(name: "X-API-Key", value: apiKey) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.encoded(body)))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await client.execute(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: 8 << 20)
        } catch {
            throw SipAgentServerError(description: "\(method) \(path): sip-agent-server unreachable or too slow (\(type(of: error)))")
        }
        guard (200..<300).contains(response.status.code) else {
            throw SipAgentServerError(description: "\(method) \(path): HTTP \(response.status.code)", status: Int(response.status.code))
        }
        if bytes.readableBytes == 0 { return .null }
        do { return try JSONReader.parse(Array(buffer: bytes)) } catch {
            throw SipAgentServerError(description: "\(method) \(path): invalid JSON")
        }
    }

    /// A list answer, whether bare (`[…]`) or wrapped (`{"data": […]}`, `{"agents": […]}`…).
    public static func list(_ v: JSONValue) -> [JSONValue] {
        if case .array(let a) = v { return a }
        if case .object(let o) = v {
            for k in ["data", "items", "results", "agents", "accounts", "tools", "workers"] { if case .array(let a)? = o[k] { return a } }
        }
        return []
    }

    /// An object answer, bare or wrapped in `data`.
    public static func object(_ v: JSONValue) -> JSONValue {
        if case .object(let o) = v, o["id"] == nil, let inner = o["data"] ?? o["agent"] ?? o["account"] { return inner }
        return v
    }

    static func id(_ v: JSONValue?) -> String? {
        switch v {
        case .string(let s)?: s
        case .int(let i)?: String(i)
        default: nil
        }
    }
}
