import AlloRestoCore
import Foundation
import Hummingbird
import NIOCore

/// A tool call's JSON body read leniently, the way the model writes it: numbers as strings, surrounding spaces,
/// enum case, snake_case or camelCase keys. A field present but unusable is a 422 naming it; never a 500.
struct ToolBody: Sendable {
    let fields: [String: JSONValue]

    init(fields: [String: JSONValue]) { self.fields = fields }

    static func read(_ request: Request, context: AppContext) async throws -> ToolBody {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: 1 << 20)
        } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", "Requête trop volumineuse (1 Mo au plus).")
        }
        if buffer.readableBytes == 0 { return ToolBody(fields: [:]) }
        guard let value = try? JSONReader.parse(Array(buffer: buffer)), case .object(let o) = value else {
            throw APIError.badRequest("invalid_json", "Le corps de la requête doit être un objet JSON.")
        }
        return ToolBody(fields: o)
    }

    /// The first of the keys present and not null.
    func raw(_ keys: [String]) -> (key: String, value: JSONValue)? {
        for k in keys { if let v = fields[k], v != .null { return (k, v) } }
        return nil
    }

    static func invalid(_ key: String, _ expected: String) -> APIError {
        APIError(.unprocessableContent, code: "invalid_field", "Le champ \(key) doit être \(expected).")
    }

    func string(_ keys: String...) -> String? {
        guard let (_, v) = raw(keys) else { return nil }
        let text: String
        switch v {
        case .string(let s): text = s
        case .int(let i): text = String(i)
        case .double(let d): text = String(d)
        case .bool(let b): text = String(b)
        default: return nil
        }
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty || t == "null" ? nil : t
    }

    func int(_ keys: String...) throws -> Int? {
        guard let (k, v) = raw(keys) else { return nil }
        if let i = ToolBody.intValue(v) { return i }
        if case .string(let s) = v, s.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
        throw ToolBody.invalid(k, "un nombre entier")
    }

    static func intValue(_ v: JSONValue) -> Int? {
        switch v {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 1e12: return Int(d)
        case .string(let s):
            let t = s.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "#", with: "")
            if let i = Int(t) { return i }
            if let d = Double(t.replacingOccurrences(of: ",", with: ".")), d == d.rounded(), abs(d) < 1e12 { return Int(d) }
            return nil
        default: return nil
        }
    }

    func double(_ keys: String...) throws -> Double? {
        guard let (k, v) = raw(keys) else { return nil }
        switch v {
        case .int(let i): return Double(i)
        case .double(let d) where d.isFinite: return d
        case .string(let s):
            let t = s.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".").replacingOccurrences(of: "€", with: "")
            if t.isEmpty { return nil }
            if let d = Double(t.trimmingCharacters(in: .whitespaces)), d.isFinite { return d }
        default: break
        }
        throw ToolBody.invalid(k, "un nombre")
    }

    func bool(_ keys: String...) throws -> Bool? {
        guard let (k, v) = raw(keys) else { return nil }
        switch v {
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .string(let s):
            switch s.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "oui", "yes", "1", "vrai": return true
            case "false", "non", "no", "0", "faux", "": return false
            default: break
            }
        default: break
        }
        throw ToolBody.invalid(k, "vrai ou faux")
    }

    func uuid(_ keys: String...) throws -> UUID? {
        guard let (k, _) = raw(keys), let text = string(k) else { return nil }
        guard let id = UUID(uuidString: text) else { throw ToolBody.invalid(k, "un identifiant (UUID)") }
        return id
    }

    func object(_ keys: String...) -> [String: JSONValue]? {
        guard let (_, v) = raw(keys) else { return nil }
        if case .object(let o) = v { return o }
        // Some context stores hand objects over as JSON text.
        if case .string(let s) = v, let parsed = try? JSONDecoder().decode(JSONValue.self, from: Data(s.utf8)), case .object(let o) = parsed { return o }
        return nil
    }

    func array(_ keys: String...) -> [JSONValue]? {
        guard let (_, v) = raw(keys) else { return nil }
        if case .array(let a) = v { return a }
        if case .string(let s) = v, let parsed = try? JSONDecoder().decode(JSONValue.self, from: Data(s.utf8)), case .array(let a) = parsed { return a }
        return nil
    }

    /// An enum value, case- and space-insensitive, with accepted synonyms.
    func choice<T: RawRepresentable>(_ key: [String], _ type: T.Type, synonyms: [String: T] = [:]) throws -> T? where T.RawValue == String {
        guard let (k, _) = raw(key), let text = string(k) else { return nil }
        let t = text.lowercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
        if let v = T(rawValue: t) ?? synonyms[t] { return v }
        throw ToolBody.invalid(k, "l'une des valeurs attendues")
    }
}
