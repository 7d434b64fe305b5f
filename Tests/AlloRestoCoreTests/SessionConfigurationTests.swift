import AlloRestoCore
import Foundation
import Testing

@Suite struct SessionConfigurationTests {
    typealias F = MenuFixtures
    static let line = SIPCredentials(domain: "sip.example", username: "u\"ser", password: "p\\ass\n\u{01}é\t/☎︎", source: .client)

    func document(_ t: SessionTemplate, caller: KnownCaller?, margin: Double = 30, rate: Double? = 0.92) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(t.configurationJSON(now: F.date(), caller: caller, credentials: Self.line, marginPct: margin, exchangeRate: rate)))
    }

    @Test func knownCallerDocument() throws {
        let t = SessionTemplate(snapshot: F.snapshot())
        let j = try document(t, caller: F.jean)
        #expect(j["systemPrompt"] == .string(t.prompt.prompt(now: F.date(), caller: F.jean)))
        #expect(j["greeting"] == .string(t.greeting(caller: F.jean)))
        // Cached encodings decode to the same values as a fresh JSONEncoder pass.
        #expect(j["tools"] == (try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(t.tools))))
        #expect(j["itemMap"] == (try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(t.itemMap))))
        let ctx = try #require(j["initialContext"])
        #expect(ctx["item_map"] == j["itemMap"])
        #expect(ctx["customer_id"] == .string(F.jean.id.uuidString.lowercased()))
        #expect(ctx["customer_name"] == "Jean")
        #expect(ctx["customer_delivery_lat"] == .double(48.869))
        #expect(ctx["customer_delivery_lng"] == .double(2.331))
        #expect(ctx["avg_prep_time_min"] == 25)
        #expect(ctx["delivery_enabled"] == true)
        #expect(ctx["restaurant_id"] == .string(F.id(9000).uuidString.lowercased()))
        #expect(ctx["transfer_phone"] == "+33698765432")
        #expect(j["sipCredentials"] == ["domain": "sip.example", "username": "u\"ser", "password": "p\\ass\n\u{01}é\t/☎︎", "source": "client"])
        #expect(j["aiCostMarginPct"] == 30)
        #expect(j["exchangeRateToLocal"] == .double(0.92))
        #expect(j["voice"] == "sage")
        #expect(j["currency"] == "EUR")
        #expect(j["timezone"] == "Europe/Paris")
        #expect(j["avgPrepTimeMin"] == 25)
        #expect(j["deliveryEnabled"] == true)
        #expect(j["reservationEnabled"] == true)
        #expect(j["transferEnabled"] == true)
        #expect(j["transferPhoneNumber"] == "+33698765432")
        #expect(j["transferAutomatic"] == false)
    }

    @Test func unknownsAreNullNotMissing() throws {
        let t = SessionTemplate(snapshot: F.snapshot { $0.transferEnabled = false; $0.transferPhoneNumber = nil })
        let j = try document(t, caller: nil, margin: 12.5, rate: nil)
        #expect(j.objectValue?.count == 17)
        #expect(j["exchangeRateToLocal"] == .null)
        #expect(j["transferPhoneNumber"] == .null)
        #expect(j["aiCostMarginPct"] == .double(12.5))
        let ctx = try #require(j["initialContext"]?.objectValue)
        #expect(ctx.count == 9)
        for key in ["customer_id", "customer_name", "customer_delivery_lat", "customer_delivery_lng", "transfer_phone"] {
            #expect(ctx[key] == .null, "\(key)")
        }
    }

    @Test func promptTextWithQuotesAndControlsSurvivesEncoding() throws {
        let t = SessionTemplate(snapshot: F.snapshot { $0.aiInstructions = "Dis \"bonjour\"\tpuis\r\n\\ attends \u{7}" })
        let j = try document(t, caller: nil)
        #expect(j["systemPrompt"]?.stringValue?.contains("Dis \"bonjour\"\tpuis\r\n\\ attends \u{7}") == true)
    }
}
