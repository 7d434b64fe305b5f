import AlloRestoCore
import Foundation
import Hummingbird
import NIOCore

/// A tool call's JSON body read leniently, the way the model writes it: numbers as strings, surrounding spaces,
/// enum case, snake_case or camelCase keys. A field present but unusable is a 422 naming it; never a 500.
struct ToolBody: Sendable {
    let fields: [String: JSONValue]
    /// A blank text where a number is expected: absent for the model's tool calls (it writes `""` for "none"),
    /// refused for what a person manages (`readManaged`), so an empty form field is never saved as "no limit" —
    /// only an explicit `null` clears an optional number.
    var blankNumbersRefused = false

    init(fields: [String: JSONValue]) { self.fields = fields }

    /// Body limits per route (README "Security"): tool calls and management writes are small; the end-of-call
    /// record carries a transcript.
    enum Limit {
        static let standard = 64 * 1024
        static let callRecord = 1024 * 1024
    }

    static func read(_ request: Request, context: AppContext, limit: Int = Limit.standard) async throws -> ToolBody {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", "Requête trop volumineuse (\(limit / 1024) Ko au plus).")
        }
        if buffer.readableBytes == 0 { return ToolBody(fields: [:]) }
        guard let value = try? JSONReader.parse(Array(buffer: buffer)), case .object(let o) = value else {
            throw APIError.badRequest("invalid_json", "Le corps de la requête doit être un objet JSON.")
        }
        // Control characters leave here, once, whatever the field and however deep (newlines and tabs stay).
        guard case .object(let clean) = CleanText.clean(.object(o)) else { return ToolBody(fields: o) }
        return ToolBody(fields: clean)
    }

    /// A management write's body: as `read`, with blank numbers refused (see `blankNumbersRefused`).
    static func readManaged(_ request: Request, context: AppContext) async throws -> ToolBody {
        var body = try await read(request, context: context)
        body.blankNumbersRefused = true
        return body
    }

    /// The value of a number field, nil when absent; a blank text is absent too unless `blankNumbersRefused`.
    func numberValue(_ keys: [String], expected: String) throws -> (key: String, value: JSONValue)? {
        guard let (k, v) = raw(keys) else { return nil }
        if case .string(let s) = v, s.trimmingCharacters(in: .whitespaces).isEmpty {
            if blankNumbersRefused { throw ToolBody.invalid(k, expected + " (un champ vide n'est pas une valeur ; null pour n'en mettre aucun)") }
            return nil
        }
        return (k, v)
    }

    /// The first of the keys present and not null.
    func raw(_ keys: [String]) -> (key: String, value: JSONValue)? {
        for k in keys { if let v = fields[k], v != .null { return (k, v) } }
        return nil
    }

    static func invalid(_ key: String, _ expected: String) -> APIError {
        var e = APIError(.unprocessableContent, code: "invalid_field", "Le champ \(key) doit être \(expected).")
        e.field = key
        return e
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

    /// A whole number in the field's domain `range` (checked before any conversion, see `CheckedNumber`); absent,
    /// null or blank → `nil`; anything else (text, fraction, non-finite, out of range) → 422 naming the field.
    func int(_ keys: String..., in range: ClosedRange<Int>) throws -> Int? {
        guard let (k, v) = try numberValue(keys, expected: "un nombre entier") else { return nil }
        guard let d = CheckedNumber.decimal(v) else { throw ToolBody.invalid(k, "un nombre entier") }
        guard let i = CheckedNumber.whole(d, in: range) else { throw ToolBody.outOfRange(k, range) }
        return i
    }

    /// A finite number in the field's domain `range`; absent, null or blank → `nil`; else 422 naming the field.
    func double(_ keys: String..., in range: ClosedRange<Double>) throws -> Double? {
        guard let (k, v) = try numberValue(keys, expected: "un nombre") else { return nil }
        guard let d = CheckedNumber.decimal(v) else { throw ToolBody.invalid(k, "un nombre") }
        guard let inRange = CheckedNumber.bounded(d, in: range) else {
            throw ToolBody.invalid(k, "un nombre entre \(CheckedNumber.text(range.lowerBound)) et \(CheckedNumber.text(range.upperBound))")
        }
        return inRange
    }

    /// An amount of money as minor units of `currency` (cents), between 0 and `maxMinor`; absent → `nil`.
    func money(_ keys: String..., currency: String, maxMinor: Int = Money.maxAmountMinor) throws -> Int? {
        guard let (k, v) = try numberValue(keys, expected: "un montant") else { return nil }
        guard let d = CheckedNumber.decimal(v) else { throw ToolBody.invalid(k, "un montant") }
        guard let minor = CheckedNumber.minorUnits(d, digits: Money.minorUnitDigits(currency), in: 0...maxMinor) else {
            throw ToolBody.invalid(k, "un montant entre 0 et \(Money.written(maxMinor, currency: currency))")
        }
        return minor
    }

    /// A whole number of the query string (`?limit=50`), in `range`; absent or empty → nil; anything else → 422
    /// naming the parameter (the same conversion as bodies: `CheckedNumber`).
    static func queryInt(_ request: Request, _ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let v = request.uri.queryParameters[Substring(key)].map(String.init), !v.isEmpty else { return nil }
        guard let n = CheckedNumber.decimal(text: v).flatMap({ CheckedNumber.whole($0, in: range) }) else { throw outOfRange(key, range) }
        return n
    }

    static func outOfRange(_ key: String, _ range: ClosedRange<Int>) -> APIError {
        invalid(key, "un nombre entier entre \(range.lowerBound) et \(range.upperBound)")
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
    /// An enum value: case, accents, spaces, hyphens and apostrophes do not matter ("À emporter" = `a_emporter`);
    /// `synonyms` are written in that folded form. Anything else is refused with `choices`, the valid ones said aloud.
    func choice<T: RawRepresentable>(_ key: [String], _ type: T.Type, synonyms: [String: T] = [:], choices: String = "") throws -> T? where T.RawValue == String {
        guard let (k, _) = raw(key), let text = string(k) else { return nil }
        let t = Self.folded(text)
        if let v = T(rawValue: t) ?? synonyms[t] { return v }
        var e = APIError(.unprocessableContent, code: "invalid_choice",
                         choices.isEmpty ? "Je n'ai pas compris « \(text) »." : "Je n'ai pas compris « \(text) » : \(choices) ?")
        e.field = k
        throw e
    }

    /// `À emporter` → `a_emporter`: lowercased, accents folded, separators as `_`.
    static func folded(_ text: String) -> String {
        let plain = text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: Locale(identifier: "fr_FR")).lowercased()
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return plain.split(whereSeparator: { " -'’".contains($0) }).joined(separator: "_")
    }
}
