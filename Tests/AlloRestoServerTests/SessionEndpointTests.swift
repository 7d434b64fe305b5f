import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
import AlloRestoTestSupport
import FluentKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct SessionEndpointTests {
    static let topKeys: Set<String> = [
        "systemPrompt", "tools", "voice", "greeting", "initialContext", "sipCredentials", "itemMap", "aiCostMarginPct", "currency",
        "exchangeRateToLocal", "timezone", "avgPrepTimeMin", "deliveryEnabled", "reservationEnabled", "transferEnabled",
        "transferPhoneNumber", "transferAutomatic",
    ]
    static let contextKeys: Set<String> = [
        "item_map", "customer_id", "customer_name", "customer_delivery_lat", "customer_delivery_lng", "avg_prep_time_min",
        "delivery_enabled", "restaurant_id", "transfer_phone",
    ]

    @Test(arguments: TestDatabases.kinds)
    func knownCallerGetsTheFullConfiguration(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client in
            let r = try await client.execute(uri: app.aiURI(phone: "0612345678"), method: .get, headers: app.bearer)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
            let j = try r.json()
            #expect(Set(j.objectValue!.keys) == Self.topKeys)
            let ctx = try #require(j["initialContext"])
            #expect(Set(ctx.objectValue!.keys) == Self.contextKeys)
            #expect(ctx["item_map"] == j["itemMap"])
            #expect(ctx["customer_name"] == "Jean")
            #expect(ctx["customer_id"]?.stringValue?.count == 36)
            #expect(ctx["customer_delivery_lat"] == .double(48.8691))
            #expect(ctx["restaurant_id"] == .string(app.id))
            #expect(ctx["transfer_phone"] == "+33698765432")
            #expect(ctx["delivery_enabled"] == true)
            #expect(ctx["avg_prep_time_min"] == 25)
            #expect(j["itemMap"]?["1"]?["name"] == "Bruschetta")
            #expect(j["itemMap"]?.objectValue?.count == 13)
            #expect(j["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ToolCatalog.tools(for: .all).map(\.name))
            #expect(j["voice"] == "sage")
            #expect(j["currency"] == "EUR")
            #expect(j["timezone"] == "Europe/Paris")
            #expect(j["exchangeRateToLocal"] == .double(0.92))
            #expect(j["aiCostMarginPct"] == 30)
            #expect(j["greeting"]?.stringValue?.contains("Jean") == true)
            let prompt = try #require(j["systemPrompt"]?.stringValue)
            #expect(prompt.contains("Nous sommes le jeudi 26 novembre 2026, il est 13h05"))
            #expect(prompt.contains("Client connu : Jean."))
            #expect(prompt.contains("12 rue de la Paix, 75002 Paris"))
            #expect(j["sipCredentials"] == ["domain": "sip.chezluigi.example", "username": "chezluigi", "password": .string(DemoRestaurant.linePassword), "source": "client"])
        }
    }

    @Test(arguments: ["0612345678", "+33612345678", "+33 6 12 34 56 78", "0033612345678", "33612345678", "06.12.34.56.78", "sip:+33612345678@trunk.example"])
    func callerRecognizedWhateverTheForm(_ phone: String) async throws {
        try await TestApp.with { app, client in
            let j = try await client.execute(uri: app.aiURI(phone: phone), method: .get, headers: app.bearer).json()
            #expect(j["initialContext"]?["customer_name"] == "Jean")
        }
    }

    @Test func newOrAnonymousCallerGetsNulls() async throws {
        try await TestApp.with { app, client in
            for uri in [app.aiURI(phone: "0699999999"), app.aiURI(phone: "anonymous"), app.aiURI()] {
                let j = try await client.execute(uri: uri, method: .get, headers: app.bearer).json()
                let ctx = try #require(j["initialContext"])
                for key in ["customer_id", "customer_name", "customer_delivery_lat", "customer_delivery_lng"] {
                    #expect(ctx[key] == .null, "\(key) should be null for \(uri)")
                }
                #expect(j["greeting"]?.stringValue?.contains("nouveau client") == true)
                #expect(j["systemPrompt"]?.stringValue?.contains("Nouveau client") == true)
            }
        }
    }

    @Test func authMatrix() async throws {
        try await TestApp.with { app, client in
            // Bearer, X-API-Key and ?token= all work.
            #expect(try await client.execute(uri: app.aiURI(), method: .get, headers: app.bearer).status == .ok)
            #expect(try await client.execute(uri: app.aiURI(), method: .get, headers: [HTTPField.Name("X-API-Key")!: app.token]).status == .ok)
            #expect(try await client.execute(uri: app.aiURI() + "&token=\(app.token)", method: .get).status == .ok)

            // No token, a wrong token: 401 with the JSON error shape.
            let none = try await client.execute(uri: app.aiURI(), method: .get)
            #expect(none.status == .unauthorized)
            #expect(try none.json()["success"] == false)
            #expect(try none.json()["code"] == "unauthorized")
            #expect(try await client.execute(uri: app.aiURI(), method: .get, headers: [.authorization: "Bearer art_nope"]).status == .unauthorized)
            #expect(try await client.execute(uri: app.aiURI(), method: .get, headers: [.authorization: "Basic \(app.token)"]).status == .unauthorized)

            // A token of restaurant B on restaurant A: 403.
            var other = RestaurantProfile(id: UUID(), name: "Autre Resto")
            other.country = "FR"
            try await Restaurant(profile: other).create(on: app.database.db)
            let otherToken = try await AgentTokens.issue(for: other.id, on: app.database.db)
            let cross = try await client.execute(uri: app.aiURI(), method: .get, headers: [.authorization: "Bearer \(otherToken)"])
            #expect(cross.status == .forbidden)
            #expect(try cross.json()["code"] == "forbidden")
            // ...and it does work on its own restaurant, with none of A's data.
            let own = try await client.execute(uri: app.aiURI(restaurantId: other.id.uuidString), method: .get, headers: [.authorization: "Bearer \(otherToken)"])
            #expect(own.status == .ok)
            #expect(try own.json()["sipCredentials"]?["source"] == "demo")
            #expect(try own.json()["systemPrompt"]?.stringValue?.contains("Chez Luigi") == false)
        }
    }

    @Test func missingUnknownAndInactiveRestaurants() async throws {
        try await TestApp.with { app, client in
            let missing = try await client.execute(uri: "/api/ai?callerPhone=0612345678", method: .get, headers: app.bearer)
            #expect(missing.status == .badRequest)
            #expect(try missing.json()["error"]?.stringValue?.contains("restaurantId") == true)
            #expect(try await client.execute(uri: "/api/ai?restaurantId=", method: .get, headers: app.bearer).status == .badRequest)
            let unknown = try await client.execute(uri: app.aiURI(restaurantId: UUID().uuidString), method: .get, headers: app.bearer)
            #expect(unknown.status == .notFound)
            #expect(try unknown.json()["code"] == "restaurant_not_found")
            #expect(try await client.execute(uri: app.aiURI(restaurantId: "not-a-uuid"), method: .get, headers: app.bearer).status == .notFound)
            // Without a valid token, nobody learns whether a restaurant exists.
            #expect(try await client.execute(uri: app.aiURI(restaurantId: UUID().uuidString), method: .get).status == .unauthorized)

            let r = try #require(try await Restaurant.find(app.restaurantId, on: app.database.db))
            r.isActive = false
            try await r.save(on: app.database.db)
            #expect(try await client.execute(uri: app.aiURI(), method: .get, headers: app.bearer).status == .notFound)
        }
    }

    @Test func credentialsFallBackToTheDemoLine() async throws {
        try await TestApp.with { app, client in
            let db = app.database.db
            let line = try #require(try await PhoneLine.query(on: db).first())
            // Tampered stored value: never garbage; the call still gets the demo line.
            var parts = line.sipPassword.split(separator: ":").map(String.init)
            parts[1] = Data(repeating: 7, count: 16).base64EncodedString()
            line.sipPassword = parts.joined(separator: ":")
            try await line.save(on: db)
            try await RestaurantVersion.bump(app.restaurantId, on: db)
            let tampered = try await client.execute(uri: app.aiURI(), method: .get, headers: app.bearer).json()
            #expect(tampered["sipCredentials"] == ["domain": "sip.fallback.example", "username": "demo-user", "password": "demo-pass", "source": "demo"])

            // Legacy plaintext still works (and is sent decrypted as is).
            line.sipPassword = "legacy-plain"
            try await line.save(on: db)
            try await RestaurantVersion.bump(app.restaurantId, on: db)
            #expect(try await client.execute(uri: app.aiURI(), method: .get, headers: app.bearer).json()["sipCredentials"]?["password"] == "legacy-plain")

            // No active line: demo line.
            line.isActive = false
            try await line.save(on: db)
            try await RestaurantVersion.bump(app.restaurantId, on: db)
            #expect(try await client.execute(uri: app.aiURI(), method: .get, headers: app.bearer).json()["sipCredentials"]?["source"] == "demo")
        }
    }

    @Test func marginOverrideThenPricingConfigThenDefault() async throws {
        try await TestApp.with { app, client in
            let db = app.database.db
            func margin() async throws -> JSONValue? { try await client.execute(uri: app.aiURI(), method: .get, headers: app.bearer).json()["aiCostMarginPct"] }
            #expect(try await margin() == 30)
            let pc = PricingConfig()
            pc.defaultMarginPct = 45
            pc.modelRates = "{}"
            try await pc.create(on: db)
            #expect(try await margin() == 45)
            let r = try #require(try await Restaurant.find(app.restaurantId, on: db))
            r.aiCostMarginPct = 12.5
            r.version += 1
            try await r.save(on: db)
            #expect(try await margin() == .double(12.5))
        }
    }

    @Test func disabledFeaturesShrinkToolsAndPrompt() async throws {
        try await TestApp.with { app, client in
            let db = app.database.db
            let r = try #require(try await Restaurant.find(app.restaurantId, on: db))
            r.reservationEnabled = false
            r.deliveryEnabled = false
            r.transferEnabled = false
            r.orderStatusEnabled = false
            r.currency = "USD"
            r.version += 1
            try await r.save(on: db)
            let j = try await client.execute(uri: app.aiURI(phone: "0612345678"), method: .get, headers: app.bearer).json()
            #expect(j["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["check_availability", "confirm_order", "save_customer_info", "log_new_faq", "leave_message", "end_call"])
            let prompt = try #require(j["systemPrompt"]?.stringValue)
            #expect(!prompt.contains("# RÉSERVATIONS"))
            #expect(prompt.contains("Pas de livraison"))
            #expect(!prompt.contains("Adresse de livraison enregistrée"))
            #expect(j["deliveryEnabled"] == false)
            #expect(j["reservationEnabled"] == false)
            #expect(j["transferEnabled"] == false)
            #expect(j["initialContext"]?["transfer_phone"] == .null)
            #expect(j["exchangeRateToLocal"] == 1)
        }
    }

    @Test func clockIsInjectedAndLocal() async throws {
        // 2026-07-04 20:30 UTC: 22:30 in Paris, a Saturday.
        try await TestApp.with(now: { Date(timeIntervalSince1970: 1_783_197_000) }) { app, client in
            let prompt = try await client.execute(uri: app.aiURI(), method: .get, headers: app.bearer).json()["systemPrompt"]?.stringValue
            #expect(prompt?.contains("Nous sommes le samedi 4 juillet 2026, il est 22h30") == true)
        }
    }

    @Test func healthAndUnknownRoutesAnswerJSON() async throws {
        try await TestApp.with { _, client in
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            let missing = try await client.execute(uri: "/api/nope", method: .get)
            #expect(missing.status == .notFound)
            #expect(try missing.json()["success"] == false)
        }
    }
}
