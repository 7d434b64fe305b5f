import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import HummingbirdTesting
import HTTPTypes
import Synchronization

/// A stand-in for sip-agent-server's REST API, written from the public contract only (the original AlloResto's
/// `sip-agent-provisioning.service.ts`, `sip-agent-tool-definitions.ts`, `doc/PROVISIONING.md`, `doc/VOICE.md`);
/// it imports no AlloResto module. It keeps state in memory, records every request, and refuses what the real
/// API has no place for: unknown routes (404), known routes with another method (405, e.g.
/// `PUT /api/agents/:id/tools`), bodies with fields its entities do not have (400), a ToolConfig outside the
/// ToolConfig schema (400), a missing or wrong `X-API-Key` when one is set (401).
public final class SipAgentServer: Sendable {
    public enum Mode: Sendable { case up, failing, slow(Duration) }

    public struct Request: Sendable, CustomStringConvertible {
        public let method: String
        public let path: String
        public let query: String?
        public let body: JSON?
        public var description: String { "\(method) \(path)" }
    }

    public struct State: Sendable {
        public var accounts: [JSON] = []
        public var finalCustomers: [JSON] = []
        public var plans: [JSON] = []
        public var subscriptions: [JSON] = []
        public var agents: [String: JSON] = [:]
        public var agentOrder: [String] = []
        public var tools: [String: [JSON]] = [:]
        public var phoneLines: [String: [JSON]] = [:]
        /// Phone line passwords, kept apart: the API never shows them back.
        public var linePasswords: [String: String] = [:]
        public var brains: [String: JSON] = [:]
        public var workers: [JSON] = []
        public var requests: [Request] = []
        public var mode: Mode = .up
        var next = 1
    }

    let state = Mutex(State())
    public let apiKey: String?

    public init(apiKey: String? = nil) { self.apiKey = apiKey }

    public var requests: [Request] { state.withLock { $0.requests } }
    public var writes: [Request] { requests.filter { $0.method != "GET" } }
    public func set(_ mode: Mode) { state.withLock { $0.mode = mode } }
    public func clearRequests() { state.withLock { $0.requests = [] } }
    public var snapshot: State { state.withLock { $0 } }
    public var agents: [JSON] { state.withLock { s in s.agentOrder.compactMap { s.agents[$0] } } }
    public func agent(_ id: String) -> JSON? { state.withLock { $0.agents[id] } }
    public func tools(of agentId: String) -> [JSON] { state.withLock { ($0.tools[agentId] ?? []).sorted { ($0["sortOrder"]?.int ?? 0) < ($1["sortOrder"]?.int ?? 0) } } }
    public func phoneLines(of agentId: String) -> [JSON] { state.withLock { $0.phoneLines[agentId] ?? [] } }
    public func linePassword(_ lineId: String) -> String? { state.withLock { $0.linePasswords[lineId] } }

    /// Adds a plan to an account (sip-agent-server's operators create plans; AlloResto only subscribes).
    @discardableResult
    public func addPlan(accountId: String, name: String, isOption: Bool = false, isActive: Bool = true, sortOrder: Int = 0) -> String {
        let id = newId("plan")
        state.withLock { $0.plans.append(["id": .string(id), "accountId": .string(accountId), "name": .string(name), "isOption": .bool(isOption), "isActive": .bool(isActive), "sortOrder": .int(sortOrder)]) }
        return id
    }

    /// Adds a worker as sip-agent-server lists them.
    public func addWorker(_ worker: JSON) { state.withLock { $0.workers.append(worker) } }

    func newId(_ prefix: String) -> String {
        state.withLock { s in
            defer { s.next += 1 }
            return "\(prefix)_\(s.next)"
        }
    }

    static func token(_ prefix: String) -> String {
        prefix + (0..<24).map { _ in String("abcdefghijklmnopqrstuvwxyz0123456789".randomElement()!) }.joined()
    }

    // MARK: entities

    /// The fields each entity has, as the original AlloResto writes them.
    static let accountFields: Set<String> = ["name", "email", "isActive", "balance", "currency"]
    static let finalCustomerFields: Set<String> = ["accountId", "name", "email", "phone", "currency", "costMarginPct", "isActive"]
    static let agentFields: Set<String> = [
        "accountId", "finalCustomerId", "name", "basePrompt", "aiModel", "aiVoice", "vadThreshold", "vadSilenceMs", "vadPrefixPaddingMs",
        "temperature", "transportType", "timezone", "apiBaseUrl", "maxCallDurationSec", "onCallEndWebhook", "externalSessionUrl",
        "chatEnabled", "chatMode", "chatTitle", "chatOpenOnLoad", "config", "isActive",
    ]
    static let phoneLineFields: Set<String> = [
        "phoneNumber", "provider", "sipTransport", "stunServer", "sipDomain", "sipUsername", "sipPassword", "twilioTrunkSid", "isActive",
    ]
    /// The ToolConfig schema.
    static let toolFields: Set<String> = [
        "name", "description", "parameters", "http", "contextUpdates", "condition", "extraCostResponseField",
        "triggersHangup", "triggersTransfer", "mutesClientAudio", "skipResponseCreate", "isEnabled", "sortOrder",
    ]
    static let httpFields: Set<String> = ["method", "url", "bodyTemplate", "headers", "responseMapping"]
    static let operators: Set<String> = ["eq", "neq", "truthy", "falsy"]

    struct Refusal: Error { let status: HTTPResponse.Status; let message: String }

    static func only(_ allowed: Set<String>, in body: [String: JSON], _ what: String) throws {
        let unknown = Set(body.keys).subtracting(allowed)
        if !unknown.isEmpty { throw Refusal(status: .badRequest, message: "\(what): unknown field(s) \(unknown.sorted().joined(separator: ", "))") }
    }

    static func type(_ body: [String: JSON], _ key: String, _ ok: (JSON) -> Bool, _ expected: String) throws {
        if let v = body[key], v != .null, !ok(v) { throw Refusal(status: .badRequest, message: "\(key): expected \(expected)") }
    }

    static func isString(_ v: JSON) -> Bool { v.string != nil }
    static func isBool(_ v: JSON) -> Bool { v.bool != nil }
    static func isNumber(_ v: JSON) -> Bool { if case .int = v { true } else if case .double = v { true } else { false } }

    /// Checks one ToolConfig against the schema; `creating` also requires `name` and `parameters`.
    static func validateTool(_ tool: JSON) throws -> [String: JSON] {
        guard let t = tool.object else { throw Refusal(status: .badRequest, message: "a ToolConfig is an object") }
        try only(toolFields, in: t, "ToolConfig")
        guard let name = t["name"]?.string, name.range(of: "^[a-zA-Z0-9_-]{1,64}$", options: .regularExpression) != nil else {
            throw Refusal(status: .badRequest, message: "ToolConfig.name: expected [a-zA-Z0-9_-]{1,64}")
        }
        guard t["parameters"]?["type"]?.string == "object" else { throw Refusal(status: .badRequest, message: "\(name).parameters: expected a JSON Schema of type object") }
        try type(t, "description", isString, "a string")
        for flag in ["triggersHangup", "triggersTransfer", "mutesClientAudio", "skipResponseCreate", "isEnabled"] { try type(t, flag, isBool, "a boolean") }
        try type(t, "sortOrder", { $0.int != nil }, "an integer")
        try type(t, "extraCostResponseField", isString, "a string")
        try type(t, "contextUpdates", { $0.object?.values.allSatisfy(isString) == true }, "an object of template strings")
        if let http = t["http"], http != .null {
            guard let h = http.object else { throw Refusal(status: .badRequest, message: "\(name).http: expected an object or null") }
            try only(httpFields, in: h, "\(name).http")
            guard let m = h["method"]?.string, ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(m) else {
                throw Refusal(status: .badRequest, message: "\(name).http.method: expected GET, POST, PUT, PATCH or DELETE")
            }
            guard h["url"]?.string?.isEmpty == false else { throw Refusal(status: .badRequest, message: "\(name).http.url: required") }
            try type(h, "headers", { $0.object?.values.allSatisfy(isString) == true }, "an object of strings")
            try type(h, "bodyTemplate", { $0.object != nil }, "an object")
            try type(h, "responseMapping", { $0.object != nil }, "an object")
        }
        if let c = t["condition"], c != .null {
            guard let o = c.object, o["configKey"]?.string != nil, let op = o["operator"]?.string, operators.contains(op) else {
                throw Refusal(status: .badRequest, message: "\(name).condition: expected {configKey, operator: eq|neq|truthy|falsy, value}")
            }
            try only(["configKey", "operator", "value"], in: o, "\(name).condition")
        }
        return t
    }

    static func validateAgent(_ body: [String: JSON]) throws {
        try only(agentFields, in: body, "Agent")
        for k in ["accountId", "finalCustomerId", "name", "basePrompt", "aiModel", "aiVoice", "transportType", "timezone", "apiBaseUrl",
                  "onCallEndWebhook", "externalSessionUrl", "chatMode", "chatTitle"] { try type(body, k, isString, "a string") }
        for k in ["vadThreshold", "vadSilenceMs", "vadPrefixPaddingMs", "temperature", "maxCallDurationSec"] { try type(body, k, isNumber, "a number") }
        for k in ["chatEnabled", "chatOpenOnLoad", "isActive"] { try type(body, k, isBool, "a boolean") }
        try type(body, "config", { $0.object != nil }, "an object")
        try type(body, "transportType", { ["twilio", "sip_bridge"].contains($0.string ?? "") }, "twilio or sip_bridge")
    }

    // MARK: HTTP

    static func json(_ v: JSON, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: v.data)))
    }

    static func refused(_ r: Refusal) -> Response { json(["error": .string(r.message)], status: r.status) }

    /// Records the request, checks the key and applies the mode; nil when the request may proceed.
    func gate(_ request: HummingbirdCore.Request, body: JSON?) async -> Response? {
        let mode = state.withLock { s -> Mode in
            s.requests.append(Request(method: request.method.rawValue, path: request.uri.path, query: request.uri.query, body: body))
            return s.mode
        }
        if let apiKey, request.headers[HTTPTypes.HTTPField.Name("X-API-Key")!] != apiKey { return Self.json(["error": "invalid API key"], status: .unauthorized) }
        switch mode {
        case .up: return nil
        case .failing: return Self.json(["error": "internal"], status: .internalServerError)
        case .slow(let d):
            try? await Task.sleep(for: d)
            return nil
        }
    }

    typealias Handler = @Sendable (_ body: JSON?, _ request: HummingbirdCore.Request, _ id: String, _ sub: String) throws -> Response

    /// Registers `path` with its handlers; the other methods answer 405 with `Allow`.
    func route(_ router: Router<BasicRequestContext>, _ path: RouterPath, _ handlers: [HTTPRequest.Method: Handler]) {
        let allow = handlers.keys.map(\.rawValue).sorted().joined(separator: ", ")
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on(path, method: method) { request, context in
                var r = request
                let buffer = try? await r.collectBody(upTo: 4 << 20)
                let raw = buffer.map { Data(buffer: $0) } ?? Data()
                let body = raw.isEmpty ? nil : JSON.parse(raw)
                if let refused = await self.gate(request, body: body) { return refused }
                guard let handler = handlers[method] else {
                    return Response(status: .methodNotAllowed, headers: [.allow: allow, .contentType: "application/json"],
                                    body: .init(byteBuffer: ByteBuffer(data: JSON.object(["error": "Method Not Allowed"]).data)))
                }
                if !raw.isEmpty, body == nil { return Self.json(["error": "invalid JSON"], status: .badRequest) }
                do {
                    return try handler(body, request, context.parameters.get("id") ?? "", context.parameters.get("sub") ?? "")
                } catch let r as Refusal {
                    return Self.refused(r)
                }
            }
        }
    }

    static func object(_ body: JSON?) throws -> [String: JSON] {
        guard let o = body?.object else { throw Refusal(status: .badRequest, message: "expected a JSON object") }
        return o
    }

    static func query(_ request: HummingbirdCore.Request, _ key: String) -> String? {
        request.uri.queryParameters[Substring(key)].map(String.init)
    }

    /// A ToolConfig as stored: its id, its agent, enabled unless said otherwise.
    static func stored(_ tool: [String: JSON], agent: String, _ s: inout State) -> JSON {
        var t = tool
        t["id"] = .string("tool_\(s.next)")
        t["agentId"] = .string(agent)
        t["isEnabled"] = t["isEnabled"] ?? true
        s.next += 1
        return .object(t)
    }

    func requireAgent(_ id: String) throws -> [String: JSON] {
        guard let a = state.withLock({ $0.agents[id] })?.object else { throw Refusal(status: .notFound, message: "agent not found") }
        return a
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        route(router, "/api/accounts", [
            .get: { _, _, _, _ in Self.json(.array(self.state.withLock { $0.accounts })) },
            .post: { body, _, _, _ in
                var o = try Self.object(body)
                try Self.only(Self.accountFields, in: o, "Account")
                guard o["name"]?.string?.isEmpty == false else { throw Refusal(status: .badRequest, message: "name: required") }
                o["id"] = .string(self.newId("acc"))
                self.state.withLock { $0.accounts.append(.object(o)) }
                return Self.json(.object(o), status: .created)
            },
        ])
        route(router, "/api/final-customers", [
            .post: { body, _, _, _ in
                var o = try Self.object(body)
                try Self.only(Self.finalCustomerFields, in: o, "FinalCustomer")
                guard o["name"]?.string?.isEmpty == false else { throw Refusal(status: .badRequest, message: "name: required") }
                let account = o["accountId"]?.string ?? ""
                guard self.state.withLock({ $0.accounts.contains { $0["id"]?.string == account } }) else { throw Refusal(status: .badRequest, message: "accountId: unknown account") }
                try Self.type(o, "costMarginPct", Self.isNumber, "a number")
                o["id"] = .string(self.newId("fc"))
                self.state.withLock { $0.finalCustomers.append(.object(o)) }
                return Self.json(.object(o), status: .created)
            },
        ])
        route(router, "/api/final-customers/:id/subscriptions", [
            .post: { body, _, id, _ in
                let o = try Self.object(body)
                try Self.only(["planId"], in: o, "Subscription")
                return try self.state.withLock { s in
                    guard let fc = s.finalCustomers.first(where: { $0["id"]?.string == id }) else { throw Refusal(status: .notFound, message: "final customer not found") }
                    guard let plan = s.plans.first(where: { $0["id"] == o["planId"] }), plan["accountId"] == fc["accountId"] else {
                        throw Refusal(status: .badRequest, message: "planId: unknown plan for this account")
                    }
                    let sub: JSON = ["id": .string("sub_\(s.next)"), "finalCustomerId": .string(id), "planId": plan["id"]!, "status": "active"]
                    s.next += 1
                    s.subscriptions.append(sub)
                    return Self.json(sub, status: .created)
                }
            },
        ])
        route(router, "/api/plans", [
            .get: { _, request, _, _ in
                let account = Self.query(request, "accountId")
                let plans = self.state.withLock { $0.plans }.filter { account == nil || $0["accountId"]?.string == account }
                return Self.json(.array(plans.sorted { ($0["sortOrder"]?.int ?? 0) < ($1["sortOrder"]?.int ?? 0) }))
            },
        ])
        route(router, "/api/agents", [
            .get: { _, request, _, _ in
                let account = Self.query(request, "accountId")
                return Self.json(.array(self.agents.filter { account == nil || $0["accountId"]?.string == account }))
            },
            .post: { body, _, _, _ in
                var o = try Self.object(body)
                try Self.validateAgent(o)
                guard o["name"]?.string?.isEmpty == false else { throw Refusal(status: .badRequest, message: "name: required") }
                let account = o["accountId"]?.string ?? ""
                guard self.state.withLock({ $0.accounts.contains { $0["id"]?.string == account } }) else { throw Refusal(status: .badRequest, message: "accountId: unknown account") }
                let id = self.newId("agent")
                o["id"] = .string(id)
                o["apiToken"] = .string(Self.token("sat_"))
                o["publicToken"] = .string(Self.token("pk_"))
                self.state.withLock { s in
                    s.agents[id] = .object(o)
                    s.agentOrder.append(id)
                }
                return Self.json(.object(o), status: .created)
            },
        ])
        route(router, "/api/agents/:id", [
            .get: { _, _, id, _ in Self.json(.object(try self.requireAgent(id))) },
            .put: { body, _, id, _ in
                let o = try Self.object(body)
                try Self.validateAgent(o)
                var agent = try self.requireAgent(id)
                for (k, v) in o { agent[k] = v }
                self.state.withLock { $0.agents[id] = .object(agent) }
                return Self.json(.object(agent))
            },
        ])
        route(router, "/api/agents/:id/tools", [
            .post: { body, _, id, _ in
                _ = try self.requireAgent(id)
                let t = try Self.validateTool(body ?? .null)
                return try self.state.withLock { s in
                    if (s.tools[id] ?? []).contains(where: { $0["name"] == t["name"] }) { throw Refusal(status: .conflict, message: "a tool with this name exists") }
                    let stored = Self.stored(t, agent: id, &s)
                    s.tools[id, default: []].append(stored)
                    return Self.json(stored, status: .created)
                }
            },
        ])
        route(router, "/api/agents/:id/brain", [
            .put: { body, _, id, _ in
                _ = try self.requireAgent(id)
                let o = try Self.object(body)
                try Self.only(["prompt", "tools", "version"], in: o, "Brain")
                guard let tools = o["tools"]?.array else { throw Refusal(status: .badRequest, message: "tools: expected an array") }
                try Self.type(o, "prompt", Self.isString, "a string")
                try Self.type(o, "version", Self.isString, "a string")
                let checked = try tools.map(Self.validateTool)
                if Set(checked.compactMap { $0["name"]?.string }).count != checked.count { throw Refusal(status: .badRequest, message: "tools: duplicate names") }
                return self.state.withLock { s in
                    s.tools[id] = checked.map { Self.stored($0, agent: id, &s) }
                    if case .object(var agent)? = s.agents[id] {
                        if let p = o["prompt"] { agent["basePrompt"] = p }
                        agent["brainVersion"] = o["version"] ?? .null
                        s.agents[id] = .object(agent)
                    }
                    s.brains[id] = .object(o)
                    return Self.json(["success": true, "tools": .int(checked.count), "version": o["version"] ?? .null])
                }
            },
        ])
        route(router, "/api/agents/:id/phone-lines", [
            .get: { _, _, id, _ in
                _ = try self.requireAgent(id)
                return Self.json(.array(self.phoneLines(of: id)))
            },
            .post: { body, _, id, _ in
                _ = try self.requireAgent(id)
                var o = try Self.object(body)
                try Self.only(Self.phoneLineFields, in: o, "PhoneLine")
                guard o["phoneNumber"]?.string?.isEmpty == false else { throw Refusal(status: .badRequest, message: "phoneNumber: required") }
                return try self.state.withLock { s in
                    if (s.phoneLines[id] ?? []).contains(where: { $0["phoneNumber"] == o["phoneNumber"] }) { throw Refusal(status: .conflict, message: "phoneNumber exists") }
                    let lineId = "line_\(s.next)"
                    s.next += 1
                    if let p = o.removeValue(forKey: "sipPassword")?.string { s.linePasswords[lineId] = p }
                    o["id"] = .string(lineId)
                    o["agentId"] = .string(id)
                    o["hasSipPassword"] = .bool(s.linePasswords[lineId] != nil)
                    s.phoneLines[id, default: []].append(.object(o))
                    return Self.json(.object(o), status: .created)
                }
            },
        ])
        route(router, "/api/agents/:id/phone-lines/:sub", [
            .put: { body, _, id, lineId in
                _ = try self.requireAgent(id)
                var o = try Self.object(body)
                try Self.only(Self.phoneLineFields, in: o, "PhoneLine")
                return try self.state.withLock { s in
                    guard let i = s.phoneLines[id]?.firstIndex(where: { $0["id"]?.string == lineId }), var line = s.phoneLines[id]?[i].object else {
                        throw Refusal(status: .notFound, message: "phone line not found")
                    }
                    if let p = o.removeValue(forKey: "sipPassword")?.string { s.linePasswords[lineId] = p }
                    for (k, v) in o { line[k] = v }
                    line["hasSipPassword"] = .bool(s.linePasswords[lineId] != nil)
                    s.phoneLines[id]![i] = .object(line)
                    return Self.json(.object(line))
                }
            },
        ])
        route(router, "/api/workers", [.get: { _, _, _, _ in Self.json(.array(self.state.withLock { $0.workers })) }])
        return router
    }

    /// Runs the double on an ephemeral port for the duration of `body`, which gets its base URL.
    public func run<T: Sendable>(_ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        let app = Application(router: router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in try await body("http://127.0.0.1:\(client.port!)") }
    }
}
