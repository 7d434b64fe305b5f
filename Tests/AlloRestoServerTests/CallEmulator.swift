import AlloRestoCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Plays a call the way sip-agent-server does with an agent AlloResto provisioned: fetch the agent's
/// `externalSessionUrl`, load `initialContext` into a context store, then for each model tool call evaluate the
/// ToolConfig's templates, call AlloResto over real HTTP, and apply `contextUpdates`; `condition` decides
/// whether a tool exists for this agent.
struct CallEmulator {
    let agent: JSONValue
    let tools: [String: JSONValue]
    let baseURL: String
    var ctx: [String: JSONValue] = [:]
    var session: JSONValue = .null
    var log: [(tool: String, request: JSONValue?, response: JSONValue)] = []

    struct Failure: Error, CustomStringConvertible { let description: String }

    init(agent: JSONValue, tools: [JSONValue], baseURL: String) {
        self.agent = agent
        self.tools = Dictionary(uniqueKeysWithValues: tools.compactMap { t in t["name"]?.stringValue.map { ($0, t) } })
        self.baseURL = baseURL
    }

    var config: [String: JSONValue] { agent["config"]?.objectValue ?? [:] }

    static func http(_ method: HTTPMethod, _ url: String, headers: [String: String] = [:], body: JSONValue? = nil) async throws -> (Int, JSONValue) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body { request.body = .bytes(ByteBuffer(bytes: JSONWriter.encoded(body))) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
        let bytes = try await response.body.collect(upTo: 8 << 20)
        let json = bytes.readableBytes == 0 ? JSONValue.null : try JSONReader.parse(Array(buffer: bytes))
        return (Int(response.status.code), json)
    }

    /// A call comes in from `callerPhone`: the session configuration is fetched and the context loaded.
    mutating func start(callerPhone: String, callId: String) async throws {
        guard let url = agent["externalSessionUrl"]?.stringValue else { throw Failure(description: "agent without externalSessionUrl") }
        let encoded = callerPhone.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? callerPhone
        let (status, json) = try await Self.http(.GET, url.replacingOccurrences(of: "{{callerPhone}}", with: encoded))
        guard status == 200 else { throw Failure(description: "externalSessionUrl answered \(status): \(json)") }
        session = json
        ctx = json["initialContext"]?.objectValue ?? [:]
        // What sip-agent-server adds for every call.
        ctx["caller_phone"] = .string(callerPhone)
        ctx["call_id"] = .string(callId)
    }

    /// Whether the tool is offered to the model in this call (present in the session and its condition holds).
    func offers(_ name: String) -> Bool {
        guard let t = tools[name] else { return false }
        return ToolTemplate(config: config, baseURL: baseURL).holds(t["condition"])
            && (session["tools"]?.arrayValue ?? []).contains { $0["name"]?.stringValue == name }
    }

    /// The model calls `name` with `args`; returns what the tool returns to the model.
    @discardableResult
    mutating func call(_ name: String, _ args: [String: JSONValue] = [:]) async throws -> JSONValue {
        guard let tool = tools[name] else { throw Failure(description: "no ToolConfig \(name)") }
        guard offers(name) else { throw Failure(description: "\(name) is not offered in this call") }
        guard case .object(let http)? = tool["http"] else {
            log.append((name, nil, ["success": true]))
            return ["success": true]  // built-in
        }
        let template = ToolTemplate(ai: args, ctx: ctx, config: config, baseURL: baseURL)
        var url = template.interpolate(http["url"]?.stringValue ?? "")
        if case .object(let query)? = http["queryTemplate"] {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
            let pairs = query.keys.sorted().compactMap { k -> String? in
                guard let v = template.evaluate(query[k]!), v != .null else { return nil }
                let text = v.stringValue ?? String(decoding: JSONWriter.encoded(v), as: UTF8.self)
                return "\(k)=\(text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text)"
            }
            if !pairs.isEmpty { url += "?" + pairs.joined(separator: "&") }
        }
        let body = http["bodyTemplate"].flatMap { $0 == .null ? nil : template.evaluate($0) }
        var headers: [String: String] = [:]
        for (k, v) in http["headers"]?.objectValue ?? [:] { headers[k] = v.stringValue.map(template.interpolate) }
        let method = HTTPMethod(rawValue: http["method"]?.stringValue ?? "POST")
        let (_, response) = try await Self.http(method, url, headers: headers, body: body)
        log.append((name, body, response))
        // contextUpdates read the response; undefined or null values leave the context as it was.
        var withResponse = template
        withResponse.res = response
        for (key, expr) in tool["contextUpdates"]?.objectValue ?? [:] {
            if let e = expr.stringValue, let v = withResponse.evaluate(.string(e)), v != .null { ctx[key] = v }
        }
        return response
    }
}
