import Foundation

/// Money amounts are integers in the currency's minor unit (cents for EUR); these helpers convert and say them.
public enum Money {
    /// Number of decimals of a currency's minor unit (ISO 4217); 2 unless listed.
    public static func minorUnitDigits(_ currency: String) -> Int {
        switch currency.uppercased() {
        case "JPY", "KRW", "XOF", "XAF", "CLP", "VND", "ISK": return 0
        case "TND", "KWD", "BHD", "OMR", "JOD": return 3
        default: return 2
        }
    }

    /// Largest amount (in minor units) any field accepts: 1,000,000.00 € — far above any order, small enough that
    /// sums of many amounts cannot overflow.
    public static let maxAmountMinor = 100_000_000

    /// Converts a decimal amount (as in import files and model arguments) to minor units, rounding half away from
    /// zero; `nil` when not finite or beyond ±`maxAmountMinor` (see `CheckedNumber.minorUnits`).
    public static func minor(fromDecimal value: Double, currency: String = "EUR") -> Int? {
        CheckedNumber.minorUnits(value, digits: minorUnitDigits(currency), in: -maxAmountMinor...maxAmountMinor)
    }

    /// The decimal value of a minor-unit amount, for JSON answers (`19.5`).
    public static func decimal(_ minor: Int, currency: String = "EUR") -> Double {
        let digits = minorUnitDigits(currency)
        return Double(minor) / pow(10.0, Double(digits))
    }

    static func powerOfTen(_ digits: Int) -> Int { [1, 10, 100, 1000, 10_000][max(0, min(4, digits))] }

    public static func symbol(_ currency: String) -> String {
        switch currency.uppercased() {
        case "EUR": return "€"
        case "USD", "CAD": return "$"
        case "GBP": return "£"
        case "CHF": return "CHF"
        case "MAD": return "dirhams"
        default: return currency.uppercased()
        }
    }

    /// Written French form used in the prompt: `9,50 €`, `12 €`.
    public static func written(_ minor: Int, currency: String = "EUR") -> String {
        let digits = minorUnitDigits(currency)
        let negative = minor < 0
        let absMinor = abs(minor)
        var text: String
        if digits == 0 {
            text = String(absMinor)
        } else {
            let factor = powerOfTen(digits)
            let units = absMinor / factor
            let fraction = absMinor % factor
            text = fraction == 0 ? String(units) : "\(units)," + String(format: "%0\(digits)d", fraction)
        }
        return (negative ? "-" : "") + text + " " + symbol(currency)
    }

    /// Spoken French form for sentences the agent reads aloud: `9 euros 50`, `12 euros`.
    public static func spoken(_ minor: Int, currency: String = "EUR") -> String {
        let digits = minorUnitDigits(currency)
        let unit: String
        switch currency.uppercased() {
        case "EUR": unit = "euro"
        case "USD", "CAD": unit = "dollar"
        case "GBP": unit = "livre"
        case "CHF": unit = "franc"
        case "MAD": unit = "dirham"
        default: return written(minor, currency: currency)
        }
        guard digits > 0 else { return "\(minor) \(unit)\(abs(minor) > 1 ? "s" : "")" }
        let factor = powerOfTen(digits)
        let units = minor / factor
        let fraction = abs(minor % factor)
        let unitWord = abs(units) > 1 ? unit + "s" : unit
        if fraction == 0 { return "\(units) \(unitWord)" }
        return "\(units) \(unitWord) " + String(format: "%0\(digits)d", fraction)
    }
}
