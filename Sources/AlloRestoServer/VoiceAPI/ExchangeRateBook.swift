import AlloRestoCore
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Synchronization

/// The USD → local currency rates `/api/ai` reports. Reads are a lock-protected copy (never a network call);
/// when a provider URL is configured a background task refreshes the table, keeping the last good one on failure.
public final class ExchangeRateBook: Sendable {
    private let table: Mutex<ExchangeRates>
    private let lastRefresh = Mutex<Date?>(nil)

    public init(_ initial: ExchangeRates) { table = Mutex(initial) }

    public func rate(to currency: String) -> Double? { table.withLock { $0.rate(to: currency) } }

    public var current: ExchangeRates { table.withLock { $0 } }
    public var refreshedAt: Date? { lastRefresh.withLock { $0 } }

    /// Parses a provider answer: `{"rates": {"EUR": 0.92, …}}` with USD as base (open.er-api.com, Frankfurter with
    /// `from=USD`, exchangerate.host all answer this shape). A `base` other than USD is refused.
    static func parse(_ data: Data) -> [String: Double]? {
        guard let json = try? JSONDecoder().decode(JSONValue.self, from: data), let rates = json["rates"]?.objectValue else { return nil }
        if let base = (json["base"] ?? json["base_code"])?.stringValue, base.uppercased() != "USD" { return nil }
        var out: [String: Double] = [:]
        for (code, value) in rates where code.count == 3 {
            switch value {
            case .int, .double:
                // A provider's number is input too: positive, finite, at most a million units per dollar.
                if let d = CheckedNumber.decimal(value).flatMap({ CheckedNumber.bounded($0, in: 1e-9...1_000_000) }) { out[code.uppercased()] = d }
            default: continue
            }
        }
        return out.isEmpty ? nil : out
    }

    /// Fetches the provider once; on any failure the current table stays as it is and the reason is returned.
    @discardableResult
    public func refresh(from url: String, client: HTTPClient = .shared, now: Date = Date(), logger: Logger) async -> String? {
        do {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Accept", value: "application/json")
            let response = try await client.execute(request, timeout: .seconds(5))
            guard response.status == .ok else { return log("provider answered HTTP \(response.status.code)", logger) }
            let body = try await response.body.collect(upTo: 1 << 20)
            guard let rates = Self.parse(Data(buffer: body)) else { return log("provider answer is not a USD rates table", logger) }
            table.withLock { current in
                var merged = current.usdTo
                merged.merge(rates) { _, new in new }
                current = ExchangeRates(usdTo: merged)
            }
            lastRefresh.withLock { $0 = now }
            logger.info("exchange rates refreshed", metadata: ["currencies": "\(rates.count)"])
            return nil
        } catch {
            return log("provider unreachable: \(error)", logger)
        }
    }

    private func log(_ problem: String, _ logger: Logger) -> String {
        logger.warning("exchange rates not refreshed; keeping the current table", metadata: ["problem": "\(problem)"])
        return problem
    }
}
