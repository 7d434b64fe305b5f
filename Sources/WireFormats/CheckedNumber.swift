import Foundation

/// The one conversion every number from outside goes through (request bodies, queries, import files, planning JSON,
/// environment): finite, in the field's domain, and only then converted to an integer. Nothing here can trap on
/// input; callers turn a `nil` into a 4xx naming the field (ARCHITECTURE.md, "Every number from outside").
public enum CheckedNumber {
    /// Largest magnitude accepted before any conversion: beyond it a `Double` no longer holds every integer, and
    /// no field of ours has a domain that large.
    public static let magnitudeLimit = 9_007_199_254_740_991.0  // 2^53 - 1

    /// A finite number from a JSON value: a number, or a string in plain decimal notation (surrounding spaces,
    /// a comma as decimal separator, a leading `#` and a trailing currency word or symbol are tolerated).
    /// `"inf"`, `"nan"`, hexadecimal and anything else unreadable give `nil`.
    public static func decimal(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d.isFinite ? d : nil
        case .string(let s): return decimal(text: s)
        default: return nil
        }
    }

    /// A finite number from text in plain decimal notation: `12`, `-3.5`, `9,50`, `#3`, `19 EUR`, `12 €`, `1e3`.
    /// Refuses non-finite spellings (`inf`, `nan`, `Infinity`) and hexadecimal (`0x10`), which `Double(_:)` reads.
    public static func decimal(text: String) -> Double? {
        var t = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if t.hasPrefix("#") { t = t.dropFirst() }
        for suffix in ["€", "eur", "euros", "euro", "$", "usd", "£", "gbp", "chf"] {
            if t.lowercased().hasSuffix(suffix) { t = t.dropLast(suffix.count); break }
        }
        let body = t.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")
        // Only digits, one sign, one point and an exponent: no letters that `Double` would read as inf/nan/hex.
        guard !body.isEmpty, body.utf8.count <= 64,
              body.unicodeScalars.allSatisfy({ "0123456789+-.eE".unicodeScalars.contains($0) }),
              body.contains(where: \.isNumber),
              let d = Double(body), d.isFinite
        else { return nil }
        return d
    }

    /// A whole number in `range`, or `nil` when `value` is not whole, not finite or outside the range.
    /// The range is checked on the `Double` before the conversion, so the conversion cannot trap.
    public static func whole(_ value: Double, in range: ClosedRange<Int>) -> Int? {
        guard value.isFinite, value == value.rounded(),
              value >= Double(range.lowerBound), value <= Double(range.upperBound)
        else { return nil }
        guard let i = Int(exactly: value), range.contains(i) else { return nil }
        return i
    }

    /// A whole number from a JSON value (see `decimal(_:)`), in `range`.
    public static func whole(_ value: JSONValue, in range: ClosedRange<Int>) -> Int? {
        if case .int(let i) = value { return range.contains(i) ? i : nil }
        return decimal(value).flatMap { whole($0, in: range) }
    }

    /// A number in `range` (finite by construction).
    public static func bounded(_ value: Double, in range: ClosedRange<Double>) -> Double? {
        value.isFinite && range.contains(value) ? value : nil
    }

    /// A decimal amount converted to minor units (cents for 2 digits), rounded half away from zero, in
    /// `range` (minor units). `nil` when not finite or outside the range; the product is checked before the
    /// conversion.
    public static func minorUnits(_ value: Double, digits: Int, in range: ClosedRange<Int>) -> Int? {
        guard value.isFinite, (0...4).contains(digits) else { return nil }
        let scaled = (value * pow(10.0, Double(digits))).rounded(.toNearestOrAwayFromZero)
        return whole(scaled, in: range)
    }

    /// For values computed from our own clock and settings (never from a request): `value` rounded by `rule`
    /// and clamped into `range`; NaN gives the lower bound. Total, so a bug upstream cannot become a trap.
    public static func clamped(_ value: Double, rounding rule: FloatingPointRoundingRule = .towardZero, to range: ClosedRange<Int>) -> Int {
        guard !value.isNaN else { return range.lowerBound }
        let r = value.rounded(rule)
        if r <= Double(range.lowerBound) { return range.lowerBound }
        if r >= Double(range.upperBound) { return range.upperBound }
        return Int(exactly: r) ?? range.lowerBound
    }

    /// Plain text of a finite number for messages and forms: integral values without a fraction (`4`, `12.5`).
    public static func text(_ value: Double) -> String {
        guard value.isFinite else { return "" }
        if value == value.rounded(), abs(value) < 1e15 { return String(format: "%.0f", value) }
        return String(value)
    }

    /// A whole count of `unit` seconds from a time interval, in `range` (e.g. seconds since a start, minutes).
    public static func whole(seconds: TimeInterval, per unit: Double = 1, rounding rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero,
                             in range: ClosedRange<Int>) -> Int? {
        guard seconds.isFinite, unit > 0 else { return nil }
        return whole((seconds / unit).rounded(rule), in: range)
    }
}

/// Text from outside made safe to store and to read back: C0/C1 control characters and U+2028/2029 removed,
/// except line feeds (and tabs) when the field is free text. Applied at the edge, before any length check.
public enum CleanText {
    /// Every string of a JSON document (keys and values, at any depth) cleaned as free text; the document itself
    /// when nothing needs cleaning (the usual case: one read-only pass, no copy — tool bodies are on the hot path).
    public static func clean(_ value: JSONValue) -> JSONValue {
        needsCleaning(value) ? rebuilt(value) : value
    }

    /// Whether some string of the document, key or value, has a control character.
    public static func needsCleaning(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let s): return needsCleaning(s)
        case .array(let a): return a.contains(where: needsCleaning)
        case .object(let o): return o.contains { needsCleaning($0.key) || needsCleaning($0.value) }
        default: return false
        }
    }

    private static func rebuilt(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s): return needsCleaning(s) ? .string(clean(s, multiline: true)) : value
        case .array(let a): return .array(a.map(rebuilt))
        case .object(let o):
            var out: [String: JSONValue] = [:]
            out.reserveCapacity(o.count)
            for (k, v) in o { out[needsCleaning(k) ? clean(k, multiline: true) : k] = rebuilt(v) }
            return .object(out)
        default: return value
        }
    }

    /// Whether `clean(_:multiline: true)` would change `text` beyond line endings: one pass over the UTF-8 bytes.
    public static func needsCleaning(_ text: String) -> Bool {
        var previous: UInt8 = 0
        var beforePrevious: UInt8 = 0
        for b in text.utf8 {
            switch b {
            case 0x0A, 0x09: break
            case 0x00...0x1F, 0x7F: return true  // C0 (CR included: it becomes \n), DEL
            case 0x80...0x9F where previous == 0xC2: return true  // C1
            case 0xA8...0xA9 where previous == 0x80 && beforePrevious == 0xE2: return true  // U+2028, U+2029
            default: break
            }
            beforePrevious = previous
            previous = b
        }
        return false
    }

    /// `text` without control characters; `multiline` keeps `\n` (a `\r\n` or lone `\r` becomes `\n`) and `\t`.
    public static func clean(_ text: String, multiline: Bool = false) -> String {
        var out = String.UnicodeScalarView()
        var lastWasCR = false
        for s in text.unicodeScalars {
            defer { lastWasCR = s == "\r" }
            switch s.value {
            case 0x0A where multiline:
                if !lastWasCR { out.append(s) }
            case 0x0D where multiline: out.append("\n")
            case 0x09 where multiline: out.append(s)
            case 0x09: out.append(" ")
            case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: continue
            default: out.append(s)
            }
        }
        return String(out)
    }
}
