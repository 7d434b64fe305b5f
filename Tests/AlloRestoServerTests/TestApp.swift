import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
import AlloRestoTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A demo-loaded app on a throwaway database, driven through Hummingbird's router test client.
struct TestApp {
    let database: AlloRestoDatabase
    let restaurantId: UUID
    let token: String
    /// A management key of the restaurant (what a script uses for the restaurant side: planning, orders board…).
    let managementKey: String
    let services: AppServices
    var id: String { restaurantId.uuidString.lowercased() }

    /// Thursday 2026-11-26 12:05 UTC (13:05 in Paris).
    static let fixedNow = Date(timeIntervalSince1970: 1_795_694_700)

    static func configuration() -> ServerConfiguration {
        ServerConfiguration(
            encryptionKeyHex: TestDatabases.testKeyHex,
            demoLine: SIPCredentials(domain: "sip.fallback.example", username: "demo-user", password: "demo-pass", source: .demo))
    }

    static func with<T: Sendable>(
        _ kind: String = "sqlite", now: @escaping @Sendable () -> Date = { fixedNow }, geocoder: (any Geocoder)? = nil,
        _ body: @escaping @Sendable (TestApp, any TestClientProtocol) async throws -> T
    ) async throws -> T {
        try await TestDatabases.with(kind) { database in
            let config = configuration()
            let services = try AppServices(configuration: config, database: database, now: now, geocoder: geocoder)
            let demo = try await DemoRestaurant.load(on: database.db, cipher: services.cipher, now: now())
            let key = try await ManagementKeys.create(for: demo.restaurantId, label: "tests", createdBy: nil, on: database.db).key
            let app = TestApp(database: database, restaurantId: demo.restaurantId, token: demo.agentToken!, managementKey: key, services: services)
            let application = try await buildApplication(services: services)
            return try await application.test(.router) { client in try await body(app, client) }
        }
    }

    /// The same app served over real HTTP on an ephemeral port; `body` gets the base URL.
    static func live<T: Sendable>(
        _ kind: String = "sqlite", now: @escaping @Sendable () -> Date = { fixedNow },
        configure: @Sendable (inout ServerConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (TestApp, String) async throws -> T
    ) async throws -> T {
        try await TestDatabases.with(kind) { database in
            var config = configuration()
            configure(&config)
            config.host = "127.0.0.1"
            config.port = 0
            let services = try AppServices(configuration: config, database: database, now: now)
            let demo = try await DemoRestaurant.load(on: database.db, cipher: services.cipher, now: now())
            let key = try await ManagementKeys.create(for: demo.restaurantId, label: "tests", createdBy: nil, on: database.db).key
            let app = TestApp(database: database, restaurantId: demo.restaurantId, token: demo.agentToken!, managementKey: key, services: services)
            let application = try await buildApplication(services: services)
            return try await application.test(.live) { client in try await body(app, "http://127.0.0.1:\(client.port!)") }
        }
    }

    func aiURI(phone: String? = nil, restaurantId: String? = nil) -> String {
        var uri = "/api/ai?restaurantId=\(restaurantId ?? id)"
        if let phone { uri += "&callerPhone=" + (phone.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? phone) }
        return uri
    }

    var bearer: HTTPFields { [.authorization: "Bearer \(token)"] }
    /// The restaurant side's credential in scripts: its management key.
    var manager: HTTPFields { [.authorization: "Bearer \(managementKey)"] }
    /// The server's own origin as the browser sends it (CSRF check of cookie-authenticated writes).
    static let origin: HTTPFields = [.origin: "http://localhost:3000"]
}

extension TestResponse {
    func json() throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(buffer: body)) }
}
