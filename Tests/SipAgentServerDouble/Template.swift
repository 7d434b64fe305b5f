import Foundation

/// sip-agent-server's template language, written from its documented grammar (SPEC §7 and the original
/// AlloResto's `sip-agent-tool-definitions.ts`), not from AlloResto's code:
///
/// - a string that starts with `=` is an expression; any other string is a literal, taken as written;
/// - in an expression, `{{path}}` is replaced by the value at `path`; an expression that is exactly one
///   placeholder keeps the value's JSON type, and an undefined value leaves the key out of its object;
/// - paths start at a root the call site provides (`$ai`, `ctx`, `config`, `$res`, `data`, `BASE_URL`,
///   `callerPhone`), then follow object keys with dots. A root the site does not provide is a mistake
///   (`Template.Mistake`), not an empty value.
public struct Template: Sendable {
    /// A placeholder naming a root the call site has not, or an unclosed `{{`.
    public struct Mistake: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public var roots: [String: JSON?]

    /// `roots`: each available root and its value (nil: the root exists but is undefined, e.g. `$res` before a call).
    public init(_ roots: [String: JSON?]) { self.roots = roots }

    /// The value at a path; nil when undefined.
    public func lookup(_ rawPath: String) throws -> JSON? {
        let path = rawPath.trimmingCharacters(in: .whitespaces)
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let root = parts.first, let start = roots[root] else {
            throw Mistake(description: "unknown template root in {{\(path)}} (available: \(roots.keys.sorted().joined(separator: ", ")))")
        }
        var value = start
        for key in parts.dropFirst() {
            guard !key.isEmpty else { throw Mistake(description: "empty key in {{\(path)}}") }
            value = value?[key]
        }
        return value
    }

    /// A value as text inside a larger string (JavaScript's rendering of scalars; JSON for the rest).
    static func text(_ v: JSON?) -> String {
        switch v {
        case nil, .null?: ""
        case .string(let s)?: s
        case .int(let i)?: String(i)
        case .double(let d)?: d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .bool(let b)?: b ? "true" : "false"
        case let other?: other.text
        }
    }

    /// The placeholders of an expression, in order, with the literal text between them.
    static func pieces(_ expression: String) throws -> [(literal: String, path: String?)] {
        var out: [(String, String?)] = []
        var rest = Substring(expression)
        while let open = rest.range(of: "{{") {
            guard let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) else {
                throw Mistake(description: "unclosed {{ in \(expression)")
            }
            out.append((String(rest[..<open.lowerBound]), String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
        out.append((String(rest), nil))
        return out
    }

    /// One template value; nil when it is a whole-value expression of something undefined.
    public func evaluate(_ template: JSON) throws -> JSON? {
        switch template {
        case .string(let s) where s.hasPrefix("="):
            let pieces = try Self.pieces(String(s.dropFirst()))
            if pieces.count == 2, pieces[0].literal.isEmpty, pieces[1].literal.isEmpty, let path = pieces[0].path {
                return try lookup(path)
            }
            var out = ""
            for p in pieces {
                out += p.literal
                if let path = p.path { out += Self.text(try lookup(path)) }
            }
            return .string(out)
        case .object(let o):
            var out: [String: JSON] = [:]
            for (k, v) in o { if let e = try evaluate(v) { out[k] = e } }
            return .object(out)
        case .array(let a):
            return .array(try a.map { try evaluate($0) ?? .null })
        default:
            return template
        }
    }

    /// A template that must give a string (a URL, a header).
    public func string(_ template: JSON?) throws -> String? {
        guard let template, template != .null else { return nil }
        guard let v = try evaluate(template) else { return nil }
        return Self.text(v)
    }

    static func truthy(_ v: JSON?) -> Bool {
        switch v {
        case nil, .null?, .bool(false)?, .int(0)?, .string("")?: false
        case .double(let d)?: d != 0 && !d.isNaN
        default: true
        }
    }

    /// Whether a ToolConfig's `condition {configKey, operator: eq|neq|truthy|falsy, value}` holds for `config`.
    public static func holds(_ condition: JSON?, config: [String: JSON]) -> Bool {
        guard case .object(let c)? = condition, let key = c["configKey"]?.string else { return true }
        let value = config[key]
        switch c["operator"]?.string {
        case "eq": return value == c["value"]
        case "neq": return value != c["value"]
        case "falsy": return !truthy(value)
        default: return truthy(value)
        }
    }
}
