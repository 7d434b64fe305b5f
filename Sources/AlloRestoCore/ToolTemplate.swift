import Foundation

/// Evaluates sip-agent-server's ToolConfig templates the way its ToolExecutors do (used by the contract
/// emulator in the tests and by `provision --dry-run` to show what a call would send).
public struct ToolTemplate: Sendable {
    public var ai: [String: JSONValue]
    public var ctx: [String: JSONValue]
    public var config: [String: JSONValue]
    public var res: JSONValue?
    public var baseURL: String

    public init(ai: [String: JSONValue] = [:], ctx: [String: JSONValue] = [:], config: [String: JSONValue] = [:], res: JSONValue? = nil, baseURL: String) {
        self.ai = ai
        self.ctx = ctx
        self.config = config
        self.res = res
        self.baseURL = baseURL
    }

    /// A path's value; nil when undefined.
    public func lookup(_ path: String) -> JSONValue? {
        let p = path.trimmingCharacters(in: .whitespaces)
        if p == "BASE_URL" { return .string(baseURL) }
        if p == "$res" { return res }
        let parts = p.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2 else { return nil }
        var value: JSONValue?
        switch parts[0] {
        case "$ai": value = ai[parts[1]]
        case "ctx": value = ctx[parts[1]]
        case "config": value = config[parts[1]]
        case "$res": value = res?[parts[1]]
        default: return nil
        }
        for key in parts.dropFirst(2) { value = value?[key] }
        return value
    }

    static func text(_ v: JSONValue?) -> String {
        switch v {
        case nil, .null?: ""
        case .string(let s)?: s
        case .int(let i)?: String(i)
        case .double(let d)?: String(d)
        case .bool(let b)?: String(b)
        case let other?: String(decoding: JSONWriter.encoded(other), as: UTF8.self)
        }
    }

    /// Placeholders replaced in a string (as text).
    public func interpolate(_ s: String) -> String {
        var out = ""
        var rest = Substring(s)
        while let open = rest.range(of: "{{"), let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) {
            out += rest[..<open.lowerBound]
            out += Self.text(lookup(String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// One template value: `nil` when it is a whole-value expression of something undefined (the key is left out).
    public func evaluate(_ template: JSONValue) -> JSONValue? {
        switch template {
        case .string(let s) where s.hasPrefix("="):
            let expr = s.dropFirst().trimmingCharacters(in: .whitespaces)
            if expr.hasPrefix("{{"), expr.hasSuffix("}}"), expr.components(separatedBy: "{{").count == 2 {
                return lookup(String(expr.dropFirst(2).dropLast(2)))
            }
            return .string(interpolate(expr))
        case .string(let s):
            return .string(interpolate(s))
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (k, v) in o { if let e = evaluate(v) { out[k] = e } }
            return .object(out)
        case .array(let a):
            return .array(a.map { evaluate($0) ?? .null })
        default:
            return template
        }
    }

    /// Whether a ToolConfig's condition holds for the agent config.
    public func holds(_ condition: JSONValue?) -> Bool {
        guard case .object(let c)? = condition, let key = c["configKey"]?.stringValue else { return true }
        let value = config[key]
        func truthy(_ v: JSONValue?) -> Bool {
            switch v {
            case nil, .null?, .bool(false)?: false
            case .int(0)?, .string("")?: false
            default: true
            }
        }
        switch c["operator"]?.stringValue {
        case "eq": return value == c["value"]
        case "neq": return value != c["value"]
        case "falsy": return !truthy(value)
        default: return truthy(value)
        }
    }
}
