import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Plays a call the way sip-agent-server runs an agent, from the public contract only: the agent's
/// `externalSessionUrl` is fetched (its `{{config.…}}` and `{{callerPhone}}` filled in), `basePrompt` is evaluated
/// against that answer (`data`), `initialContext` becomes the ContextStore (plus `caller_phone` and `call_id`),
/// each model tool call runs its ToolConfig (`http.url`, `bodyTemplate`, `headers` evaluated against `$ai`,
/// `ctx`, `config`, `BASE_URL` = the agent's `apiBaseUrl`; `contextUpdates` against `$res`), and the end of the
/// call posts to `onCallEndWebhook`. Imports no AlloResto module.
public struct CallEmulator: Sendable {
    public struct Failure: Error, CustomStringConvertible, Sendable { public let description: String }

    /// One HTTP exchange of the call.
    public struct Exchange: Sendable {
        public let tool: String
        public let method: String
        public let url: String
        public let body: JSON?
        public let status: Int
        public let response: JSON
    }

    public let agent: JSON
    public let tools: [String: JSON]
    public var ctx: [String: JSON] = [:]
    public var session: JSON = .null
    public var prompt: String = ""
    public var callerPhone = ""
    public var log: [Exchange] = []
    public var hungUp = false
    public var transferred = false

    /// The agent `agentId` as the double holds it, with its ToolConfigs.
    public init(server: SipAgentServer, agentId: String) throws {
        guard let agent = server.agent(agentId) else { throw Failure(description: "no agent \(agentId) in sip-agent-server") }
        self.agent = agent
        var byName: [String: JSON] = [:]
        for t in server.tools(of: agentId) { if let n = t["name"]?.string { byName[n] = t } }
        tools = byName
    }

    public var config: [String: JSON] { agent["config"]?.object ?? [:] }
    public var baseURL: String { agent["apiBaseUrl"]?.string ?? "" }

    /// A URL as a WHATWG parser (the voice server's `fetch`) sends it: spaces, quotes, angle brackets and non-ASCII
    /// percent-encoded; a `#` starts the fragment, which is not sent.
    public static func wire(_ url: String) -> String {
        let cut = url.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? url
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/?%[]")
        return cut.addingPercentEncoding(withAllowedCharacters: allowed) ?? cut
    }

    public static func http(_ method: String, _ url: String, headers: [String: String] = [:], body: JSON? = nil) async throws -> (Int, JSON) {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body {
            if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) { request.headers.add(name: "Content-Type", value: "application/json") }
            request.body = .bytes(ByteBuffer(data: body.data))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
        let bytes = try await response.body.collect(upTo: 8 << 20)
        let data = Data(buffer: bytes)
        if data.isEmpty { return (Int(response.status.code), .null) }
        guard let json = JSON.parse(data) else { throw Failure(description: "\(method) \(url): the answer is not JSON") }
        return (Int(response.status.code), json)
    }

    /// A call comes in from `callerPhone`: the session configuration is fetched, the prompt and the context loaded.
    public mutating func start(callerPhone: String, callId: String) async throws {
        self.callerPhone = callerPhone
        let sessionSite = Template(["config": .object(config), "callerPhone": .string(callerPhone), "BASE_URL": .string(baseURL)])
        guard let url = try sessionSite.string(agent["externalSessionUrl"]), url.hasPrefix("http") else {
            throw Failure(description: "externalSessionUrl does not give an http URL: \(agent["externalSessionUrl"] ?? .null)")
        }
        let (status, data) = try await Self.http("GET", Self.wire(url))
        guard status == 200 else { throw Failure(description: "externalSessionUrl answered \(status): \(data)") }
        session = data
        guard let p = try Template(["data": data]).string(agent["basePrompt"]), !p.isEmpty else {
            throw Failure(description: "basePrompt \(agent["basePrompt"] ?? .null) gives no prompt from the session answer")
        }
        prompt = p
        ctx = data["initialContext"]?.object ?? [:]
        ctx["caller_phone"] = .string(callerPhone)
        ctx["call_id"] = .string(callId)
    }

    /// Whether the ToolConfig is given to the model in this call: enabled and its condition holds for the agent config.
    public func offers(_ name: String) -> Bool {
        guard let t = tools[name] else { return false }
        return t["isEnabled"]?.bool != false && Template.holds(t["condition"], config: config)
    }

    /// The model calls `name` with `args` (which must include the schema's required ones); returns what the model gets.
    @discardableResult
    public mutating func call(_ name: String, _ args: [String: JSON] = [:]) async throws -> JSON {
        guard let tool = tools[name] else { throw Failure(description: "no ToolConfig \(name)") }
        guard offers(name) else { throw Failure(description: "\(name) is not offered in this call") }
        for required in tool["parameters"]?["required"]?.array?.compactMap(\.string) ?? [] where args[required] == nil {
            throw Failure(description: "\(name): the model must give \(required) (required by the ToolConfig's parameters)")
        }
        guard case .object(let http)? = tool["http"] else {
            if tool["triggersHangup"]?.bool == true { hungUp = true }
            if tool["triggersTransfer"]?.bool == true { transferred = true }
            log.append(Exchange(tool: name, method: "", url: "", body: nil, status: 0, response: ["success": true]))
            return ["success": true]
        }
        let site = Template(["$ai": .object(args), "ctx": .object(ctx), "config": .object(config), "BASE_URL": .string(baseURL)])
        guard let url = try site.string(http["url"]), url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw Failure(description: "\(name): http.url does not give an http URL: \(http["url"] ?? .null)")
        }
        let method = http["method"]?.string ?? "POST"
        let body = method == "GET" ? nil : try http["bodyTemplate"].flatMap { $0 == .null ? nil : try site.evaluate($0) }
        var headers: [String: String] = [:]
        for (k, v) in http["headers"]?.object ?? [:] { headers[k] = try site.string(v) }
        let (status, response) = try await Self.http(method, Self.wire(url), headers: headers, body: body)
        log.append(Exchange(tool: name, method: method, url: Self.wire(url), body: body, status: status, response: response))
        var withResponse = site
        withResponse.roots["$res"] = response
        for (key, expr) in tool["contextUpdates"]?.object ?? [:] {
            if let v = try withResponse.evaluate(expr) { ctx[key] = v }
        }
        if case .object(let mapping)? = http["responseMapping"] {
            return try withResponse.evaluate(.object(mapping)) ?? response
        }
        return response
    }

    /// The call ends: the record goes to the agent's `onCallEndWebhook`.
    @discardableResult
    public func end(callId: String, durationMs: Int, extra: [String: JSON] = [:]) async throws -> (Int, JSON) {
        let site = Template(["config": .object(config), "BASE_URL": .string(baseURL)])
        guard let url = try site.string(agent["onCallEndWebhook"]), url.hasPrefix("http") else {
            throw Failure(description: "onCallEndWebhook does not give an http URL: \(agent["onCallEndWebhook"] ?? .null)")
        }
        var record: [String: JSON] = [
            "callId": .string(callId), "agentId": agent["id"] ?? .null, "callerPhone": .string(callerPhone),
            "durationMs": .int(durationMs), "finalContext": .object(ctx),
        ]
        for (k, v) in extra { record[k] = v }
        return try await Self.http("POST", Self.wire(url), body: .object(record))
    }
}
