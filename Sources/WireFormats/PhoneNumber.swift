import Foundation

/// Phone numbers in E.164 (`+33612345678`), whatever form a SIP trunk or a caller gave them.
public enum PhoneNumber {
    /// Numbering-plan facts for the countries restaurants are in.
    public struct Plan: Sendable {
        public let country: String
        public let callingCode: String
        /// Digits of a national significant number (after the trunk prefix); several when variable.
        public let nationalLengths: ClosedRange<Int>
        /// National trunk prefix dropped in international form ("0" in most of Europe, "1" in NANP).
        public let trunkPrefix: String?
    }

    public static let plans: [Plan] = [
        Plan(country: "FR", callingCode: "33", nationalLengths: 9...9, trunkPrefix: "0"),
        Plan(country: "BE", callingCode: "32", nationalLengths: 8...9, trunkPrefix: "0"),
        Plan(country: "CH", callingCode: "41", nationalLengths: 9...9, trunkPrefix: "0"),
        Plan(country: "LU", callingCode: "352", nationalLengths: 6...11, trunkPrefix: nil),
        Plan(country: "MC", callingCode: "377", nationalLengths: 8...9, trunkPrefix: nil),
        Plan(country: "DE", callingCode: "49", nationalLengths: 6...13, trunkPrefix: "0"),
        Plan(country: "ES", callingCode: "34", nationalLengths: 9...9, trunkPrefix: nil),
        Plan(country: "IT", callingCode: "39", nationalLengths: 6...11, trunkPrefix: nil),
        Plan(country: "GB", callingCode: "44", nationalLengths: 9...10, trunkPrefix: "0"),
        Plan(country: "NL", callingCode: "31", nationalLengths: 9...9, trunkPrefix: "0"),
        Plan(country: "PT", callingCode: "351", nationalLengths: 9...9, trunkPrefix: nil),
        Plan(country: "MA", callingCode: "212", nationalLengths: 9...9, trunkPrefix: "0"),
        Plan(country: "TN", callingCode: "216", nationalLengths: 8...8, trunkPrefix: nil),
        Plan(country: "DZ", callingCode: "213", nationalLengths: 8...9, trunkPrefix: "0"),
        Plan(country: "US", callingCode: "1", nationalLengths: 10...10, trunkPrefix: "1"),
        Plan(country: "CA", callingCode: "1", nationalLengths: 10...10, trunkPrefix: "1"),
    ]

    public static func plan(forCountry country: String) -> Plan? {
        let upper = country.uppercased()
        return plans.first { $0.country == upper }
    }

    /// The country whose calling code starts an E.164 number (`+33…` → FR); nil when unknown.
    public static func country(ofE164 number: String) -> String? {
        guard number.hasPrefix("+") else { return nil }
        let digits = number.dropFirst()
        // Longest calling code first so "+352" is not read as a 3-digit prefix of something else.
        return plans.sorted { $0.callingCode.count > $1.callingCode.count }
            .first { digits.hasPrefix($0.callingCode) }?.country
    }

    /// Normalizes to E.164 with `defaultCountry` for national forms. Returns nil when the input holds no usable number.
    ///
    /// Accepts `0612345678`, `06 12 34 56 78`, `+33 6 12 34 56 78`, `0033612345678`, `33612345678`,
    /// `(0)6.12.34.56.78`, and SIP/tel URIs such as `sip:+33612345678@trunk.example;user=phone`.
    public static func normalize(_ raw: String, defaultCountry: String = "FR") -> String? {
        var text = Substring(raw.trimmingCharacters(in: .whitespacesAndNewlines))
        for scheme in ["sips:", "sip:", "tel:"] where text.lowercased().hasPrefix(scheme) {
            text = text.dropFirst(scheme.count)
        }
        if let at = text.firstIndex(of: "@") { text = text[..<at] }
        if let semi = text.firstIndex(of: ";") { text = text[..<semi] }

        var plus = false
        var digits = ""
        for ch in text {
            if ch == "+" && digits.isEmpty && !plus {
                plus = true
            } else if let d = ch.asciiDigit {
                digits.append(d)
            } else if " .-()/\u{00A0}".contains(ch) {
                continue
            } else {
                return nil  // letters or other symbols: not a phone number
            }
        }
        guard digits.count >= 3, digits.count <= 17 else { return nil }

        let home = plan(forCountry: defaultCountry) ?? plan(forCountry: "FR")!

        if plus { return e164(digits) }
        if digits.hasPrefix("00") { return e164(String(digits.dropFirst(2))) }
        if home.callingCode == "1" && digits.hasPrefix("011") { return e164(String(digits.dropFirst(3))) }

        // "+33 (0)6 12…" written without the plus keeps the trunk zero after the code: 330612345678.
        if digits.hasPrefix(home.callingCode + "0"), let trunk = home.trunkPrefix, trunk == "0" {
            let national = String(digits.dropFirst(home.callingCode.count + 1))
            if home.nationalLengths.contains(national.count) { return "+" + home.callingCode + national }
        }
        if let trunk = home.trunkPrefix, digits.hasPrefix(trunk) {
            let national = String(digits.dropFirst(trunk.count))
            if home.nationalLengths.contains(national.count) { return "+" + home.callingCode + national }
        }
        if home.nationalLengths.contains(digits.count) && home.trunkPrefix == nil || (home.callingCode == "1" && digits.count == 10) {
            return "+" + home.callingCode + digits
        }
        // International number written without + or 00 (what some trunks send): 33612345678.
        if digits.hasPrefix(home.callingCode) {
            let national = String(digits.dropFirst(home.callingCode.count))
            if home.nationalLengths.contains(national.count) { return "+" + digits }
        }
        if let other = plans.first(where: {
            digits.hasPrefix($0.callingCode) && $0.nationalLengths.contains(digits.count - $0.callingCode.count)
        }), digits.count >= 10 {
            return "+" + other.callingCode + String(digits.dropFirst(other.callingCode.count))
        }
        // A short national number (an internal line, a test extension): keep it as digits.
        return digits
    }

    private static func e164(_ digits: String) -> String? {
        guard digits.count >= 7, digits.count <= 16, digits.first != "0" else { return nil }
        // "+33 (0)6 12 34 56 78": the national trunk zero written after the calling code is dropped.
        for plan in plans where plan.trunkPrefix == "0" && digits.hasPrefix(plan.callingCode + "0") {
            let national = digits.dropFirst(plan.callingCode.count + 1)
            if plan.nationalLengths.contains(national.count) { return "+" + plan.callingCode + national }
        }
        guard digits.count <= 15 else { return nil }
        return "+" + digits
    }
}

extension Character {
    fileprivate var asciiDigit: Character? {
        guard let v = asciiValue, v >= 48, v <= 57 else { return nil }
        return self
    }
}
