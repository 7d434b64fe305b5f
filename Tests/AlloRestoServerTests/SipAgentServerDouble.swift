import AlloRestoCore
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization

/// A local stand-in for sip-agent-server (unreachable here) speaking the endpoints AlloResto uses:
/// `/api/accounts`, `/api/agents`, `/api/agents/:id`, `/api/agents/:id/tools`, `/api/workers`. It keeps state in
/// memory, records every request, and can fail (HTTP 500) or answer slowly.
final class SipAgentServerDouble: Sendable {
    enum Mode: Sendable { case up, failing, slow(Duration) }

    struct Request: Sendable {
        let method: String
        let path: String
        let body: JSONValue?
    }

    struct State: Sendable {
        var accounts: [JSONValue] = []
        var agents: [String: JSONValue] = [:]
        var agentOrder: [String] = []
        var tools: [String: [JSONValue]] = [:]
        var workers: [JSONValue] = []
        var requests: [Request] = []
        var mode: Mode = .up
        var next = 1
    }

    let state = Mutex(State())
    let apiKey: String?

    init(apiKey: String? = nil) { self.apiKey = apiKey }

    var requests: [Request] { state.withLock { $0.requests } }
    func set(_ mode: Mode) { state.withLock { $0.mode = mode } }
    func clearRequests() { state.withLock { $0.requests = [] } }
    var agents: [JSONValue] { state.withLock { s in s.agentOrder.compactMap { s.agents[$0] } } }
    func tools(of agentId: String) -> [JSONValue] { state.withLock { $0.tools[agentId] ?? [] } }

    static func json(_ v: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.encoded(v))))
    }

    func newId(_ prefix: String) -> String {
        state.withLock { s in
            defer { s.next += 1 }
            return "\(prefix)_\(s.next)"
        }
    }

    /// Records the request and applies the mode; nil when the request may proceed.
    func gate(_ request: HummingbirdCore.Request, body: JSONValue?) async -> Response? {
        let mode = state.withLock { s -> Mode in
            s.requests.append(Request(method: request.method.rawValue, path: request.uri.path, body: body))
            return s.mode
        }
        if let apiKey, request.headers[.init("X-API-Key")!] != apiKey { return Self.json(["error": "unauthorized"], status: .unauthorized) }
        switch mode {
        case .up: return nil
        case .failing: return Self.json(["error": "internal"], status: .internalServerError)
        case .slow(let d):
            try? await Task.sleep(for: d)
            return nil
        }
    }

    static func body(_ request: HummingbirdCore.Request) async -> JSONValue? {
        var r = request
        guard let buffer = try? await r.collectBody(upTo: 4 << 20), buffer.readableBytes > 0 else { return nil }
        return try? JSONReader.parse(Array(buffer: buffer))
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/api/accounts") { request, _ in
            if let r = await self.gate(request, body: nil) { return r }
            return Self.json(.array(self.state.withLock { $0.accounts }))
        }
        router.post("/api/accounts") { request, _ in
            let body = await Self.body(request)
            if let r = await self.gate(request, body: body) { return r }
            var account = body?.objectValue ?? [:]
            account["id"] = .string(self.newId("acc"))
            self.state.withLock { $0.accounts.append(.object(account)) }
            return Self.json(.object(account), status: .created)
        }
        router.get("/api/agents") { request, _ in
            if let r = await self.gate(request, body: nil) { return r }
            return Self.json(.array(self.agents))
        }
        router.post("/api/agents") { request, _ in
            let body = await Self.body(request)
            if let r = await self.gate(request, body: body) { return r }
            var agent = body?.objectValue ?? [:]
            let id = self.newId("agent")
            agent["id"] = .string(id)
            agent["transport"] = agent["transport"] ?? "sip"
            self.state.withLock { s in
                s.agents[id] = .object(agent)
                s.agentOrder.append(id)
            }
            return Self.json(.object(agent), status: .created)
        }
        router.get("/api/agents/:id") { request, context in
            if let r = await self.gate(request, body: nil) { return r }
            let id = context.parameters.get("id") ?? ""
            guard let agent = self.state.withLock({ $0.agents[id] }) else { return Self.json(["error": "not found"], status: .notFound) }
            return Self.json(agent)
        }
        router.put("/api/agents/:id") { request, context in
            let body = await Self.body(request)
            if let r = await self.gate(request, body: body) { return r }
            let id = context.parameters.get("id") ?? ""
            let updated: JSONValue? = self.state.withLock { s in
                guard case .object(var agent)? = s.agents[id] else { return nil }
                for (k, v) in body?.objectValue ?? [:] where k != "id" { agent[k] = v }
                s.agents[id] = .object(agent)
                return .object(agent)
            }
            return updated.map { Self.json($0) } ?? Self.json(["error": "not found"], status: .notFound)
        }
        router.get("/api/agents/:id/tools") { request, context in
            if let r = await self.gate(request, body: nil) { return r }
            return Self.json(.array(self.tools(of: context.parameters.get("id") ?? "")))
        }
        router.put("/api/agents/:id/tools") { request, context in
            let body = await Self.body(request)
            if let r = await self.gate(request, body: body) { return r }
            let id = context.parameters.get("id") ?? ""
            let list: [JSONValue] = (body?.arrayValue ?? []).map { t in
                var o = t.objectValue ?? [:]
                o["id"] = .string(self.newId("tool"))
                o["agentId"] = .string(id)
                return .object(o)
            }
            self.state.withLock { $0.tools[id] = list }
            return Self.json(.array(list))
        }
        router.post("/api/agents/:id/tools") { request, context in
            let body = await Self.body(request)
            if let r = await self.gate(request, body: body) { return r }
            let id = context.parameters.get("id") ?? ""
            var o = body?.objectValue ?? [:]
            o["id"] = .string(self.newId("tool"))
            self.state.withLock { $0.tools[id, default: []].append(.object(o)) }
            return Self.json(.object(o), status: .created)
        }
        router.get("/api/workers") { request, _ in
            if let r = await self.gate(request, body: nil) { return r }
            return Self.json(.array(self.state.withLock { $0.workers }))
        }
        return router
    }

    /// Runs the double on an ephemeral port for the duration of `body`, which gets its base URL.
    func run<T: Sendable>(_ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        let app = Application(router: router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in try await body("http://127.0.0.1:\(client.port!)") }
    }
}
