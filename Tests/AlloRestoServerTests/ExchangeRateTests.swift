import AlloRestoCore
import AlloRestoServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// The rate provider is external: a small local HTTP server speaking its JSON stands in for it.
@Suite struct ExchangeRateTests {
    /// What the stand-in provider answers next.
    final class Script: Sendable {
        let answer = Mutex<(HTTPResponse.Status, String)>((.ok, #"{"result":"success","base_code":"USD","rates":{"USD":1,"EUR":0.9,"GBP":0.8,"CHF":0.85}}"#))
        func set(_ status: HTTPResponse.Status, _ body: String) { answer.withLock { $0 = (status, body) } }
    }

    func withProvider(_ body: @escaping @Sendable (String, Script) async throws -> Void) async throws {
        let script = Script()
        let router = Router()
        router.get("/latest/USD") { _, _ -> Response in
            let (status, text) = script.answer.withLock { $0 }
            return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)/latest/USD", script)
        }
    }

    @Test func refreshReplacesRatesAndKeepsTheTableOnFailure() async throws {
        try await withProvider { url, script in
            let book = ExchangeRateBook(.builtIn)
            let logger = Logger(label: "test")
            #expect(book.rate(to: "EUR") == 0.92)
            #expect(await book.refresh(from: url, logger: logger) == nil)
            #expect(book.rate(to: "EUR") == 0.9)
            #expect(book.rate(to: "CHF") == 0.85)
            #expect(book.rate(to: "MAD") == 10)  // currencies the provider omits keep their value
            #expect(book.refreshedAt != nil)

            script.set(.internalServerError, "oops")
            #expect(await book.refresh(from: url, logger: logger)?.contains("HTTP 500") == true)
            #expect(book.rate(to: "EUR") == 0.9)

            script.set(.ok, "<html>not json</html>")
            #expect(await book.refresh(from: url, logger: logger) != nil)
            script.set(.ok, #"{"base":"EUR","rates":{"USD":1.08}}"#)
            #expect(await book.refresh(from: url, logger: logger) != nil)
            #expect(book.rate(to: "EUR") == 0.9)
            #expect(book.rate(to: "USD") == 1)

            #expect(await book.refresh(from: "http://127.0.0.1:1/nothing-listens-here", logger: logger)?.contains("unreachable") == true)
            #expect(book.rate(to: "EUR") == 0.9)
        }
    }

    @Test func apiAIReportsTheRefreshedRate() async throws {
        try await withProvider { url, _ in
            try await TestApp.with { app, client throws in
                let before = try await client.execute(uri: app.aiURI(), method: .get, headers: app.bearer).json()
                #expect(before["exchangeRateToLocal"] == .double(0.92))
                await app.services.exchangeRates.refresh(from: url, logger: Logger(label: "test"))
                let after = try await client.execute(uri: app.aiURI(), method: .get, headers: app.bearer).json()
                #expect(after["exchangeRateToLocal"] == .double(0.9))
            }
        }
    }

    @Test func configuration() throws {
        let key = String(repeating: "ab", count: 32)
        let c = try ServerConfiguration.fromEnvironment(["ENCRYPTION_KEY": key, "EXCHANGE_RATE_URL": "https://open.er-api.com/v6/latest/USD", "EXCHANGE_RATE_REFRESH_HOURS": "6"], devMode: false)
        #expect(c.exchangeRateURL == "https://open.er-api.com/v6/latest/USD")
        #expect(c.exchangeRateRefresh == .seconds(6 * 3600))
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.fromEnvironment(["ENCRYPTION_KEY": key, "EXCHANGE_RATE_URL": "file:///etc/passwd"], devMode: false) }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.fromEnvironment(["ENCRYPTION_KEY": key, "EXCHANGE_RATE_REFRESH_HOURS": "0"], devMode: false) }
    }
}
