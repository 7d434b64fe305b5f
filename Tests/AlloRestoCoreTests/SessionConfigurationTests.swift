import AlloRestoCore
import Foundation
import Testing

@Suite struct SessionConfigurationTests {
    typealias F = MenuFixtures
    static let line = SIPCredentials(domain: "sip.example", username: "u\"ser", password: "p\\ass\n\u{01}é", source: .client)

    /// The hand-written hot-path encoding and the Encodable reference produce the same JSON document.
    @Test(arguments: [true, false])
    func directEncodingMatchesTheEncodableReference(_ known: Bool) throws {
        for configure: (inout RestaurantProfile) -> Void in [{ _ in }, { $0.transferEnabled = false; $0.reservationEnabled = false; $0.aiInstructions = "Dis \"bonjour\"\ttab" }] {
            let t = SessionTemplate(snapshot: F.snapshot(configure))
            let caller = known ? F.jean : nil
            for (margin, rate) in [(30.0, Optional(0.92)), (12.5, nil), (1e20, 1.0)] {
                let direct = t.configurationJSON(now: F.date(), caller: caller, credentials: Self.line, marginPct: margin, exchangeRate: rate)
                let reference = try JSONEncoder().encode(t.configuration(now: F.date(), caller: caller, credentials: Self.line, marginPct: margin, exchangeRate: rate))
                let a = try JSONDecoder().decode(JSONValue.self, from: Data(direct))
                let b = try JSONDecoder().decode(JSONValue.self, from: reference)
                #expect(a == b)
            }
        }
    }

    @Test func everyKeyPresentWithNullsForUnknowns() throws {
        let t = SessionTemplate(snapshot: F.snapshot { $0.transferEnabled = false })
        let j = try JSONDecoder().decode(JSONValue.self, from: Data(t.configurationJSON(now: F.date(), caller: nil, credentials: Self.line, marginPct: 30, exchangeRate: nil)))
        #expect(j["exchangeRateToLocal"] == .null)
        #expect(j["initialContext"]?["customer_id"] == .null)
        #expect(j["initialContext"]?["transfer_phone"] == .null)
        #expect(j["initialContext"]?["item_map"] == j["itemMap"])
        #expect(j["sipCredentials"]?["password"] == .string("p\\ass\n\u{01}é"))
    }
}
