import Foundation

/// USD → local currency rates used to show AI costs in the restaurant's currency.
public struct ExchangeRates: Sendable, Hashable {
    public var usdTo: [String: Double]

    public init(usdTo: [String: Double]) {
        var table = usdTo
        table["USD"] = 1
        self.usdTo = table
    }

    /// A conservative built-in table, overridden by configuration and refreshed by a provider when one is set.
    public static let builtIn = ExchangeRates(usdTo: [
        "EUR": 0.92, "GBP": 0.79, "CHF": 0.88, "CAD": 1.36, "MAD": 10.0, "TND": 3.1, "XOF": 603.0, "JPY": 150.0,
    ])

    /// Parses `EUR=0.92,GBP=0.79` over the built-in table; nil on a malformed entry.
    public static func parse(_ text: String, base: ExchangeRates = .builtIn) -> ExchangeRates? {
        var table = base.usdTo
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, kv[0].count == 3, let v = CheckedNumber.decimal(text: kv[1]), v > 0, v <= 1_000_000 else { return nil }
            table[kv[0].uppercased()] = v
        }
        return ExchangeRates(usdTo: table)
    }

    public func rate(to currency: String) -> Double? { usdTo[currency.uppercased()] }
}
