import AlloRestoCore
import Foundation
import Testing

@Suite struct RestaurantImportTests {
    static func fixture() throws -> Data {
        let url = try #require(Bundle.module.url(forResource: "restaurant-import-v1", withExtension: "json", subdirectory: "Fixtures"))
        return try Data(contentsOf: url)
    }

    func problems(_ json: String) -> [ImportProblem] {
        do {
            _ = try RestaurantImport.parse(Data(json.utf8))
            return []
        } catch let e as ImportErrors {
            return e.problems
        } catch {
            return [ImportProblem("?", "\(error)")]
        }
    }

    @Test func readsTheReferenceFile() throws {
        let imp = try RestaurantImport.parse(Self.fixture())
        let r = imp.restaurant
        #expect(r.name == "Pizzeria Bella Napoli")
        #expect(r.city == "Marseille")
        #expect(r.phone == "+33491234567")
        #expect(r.timezone == "Europe/Paris")
        #expect(r.currency == "EUR")
        #expect(r.lat == 43.2945)
        #expect(r.openingHours.ranges(on: .monday).count == 2)
        #expect(r.openingHours.ranges(on: .saturday).count == 1)
        #expect(r.openingHours.ranges(on: .sunday).first?.open.description == "18:00")
        #expect(r.deliveryEnabled)
        #expect(r.deliveryRadiusKm == 5)
        #expect(r.deliveryFeeMinor == 250)
        #expect(r.deliveryFreeAboveMinor == 2500)
        #expect(r.minOrderAmountMinor == 1500)
        #expect(r.avgPrepTimeMin == 30)
        #expect(r.paymentMethods == ["cash", "card", "online"])
        #expect(r.aiVoice == "sage")
        #expect(r.welcomeMessage?.hasPrefix("Bienvenue chez Bella Napoli") == true)
        #expect(r.aiInstructions?.contains("Suggestions à proposer") == true)
        #expect(r.aiInstructions?.contains("Nous sommes actuellement fermés") == true)
        #expect(imp.externalRef == "place:ChIJN1t_tDeuEmsRUsoyG83frY4")
        #expect(imp.categories.map(\.ref) == ["pizzas", "entrees", "desserts", "boissons"])
        #expect(imp.items.count == 4)
        let margherita = try #require(imp.items.first { $0.ref == "pizza-margherita" })
        #expect(margherita.priceMinor == 950)
        #expect(margherita.options.map(\.name) == ["Taille", "Pâte", "Suppléments"])
        #expect(margherita.options[0].choices[1] == OptionChoice(label: "Grande (33cm)", priceModifierMinor: 300))
        #expect(margherita.options[2].type == .multiChoice)
        #expect(margherita.options[2].maxChoices == 5)
        #expect(imp.items.first { $0.ref == "coca" }?.description == nil)
    }

    @Test func errorsNameTheFieldAndAreAllReported() {
        let p = problems(#"""
        {"restaurant": {"name": "", "phone": "hello", "timezone": "Mars/Olympus", "delivery": {"enabled": true, "fee": "two"},
           "opening_hours": {"monday": {"open": "25:00", "close": "14:00"}, "funday": null}},
         "menu": {"categories": [{"ref": "a", "name": "A"}, {"ref": "a", "name": "B"}],
                  "items": [{"ref": "x", "category_ref": "zzz", "name": "X", "price": -1},
                            {"ref": "y", "name": "Y", "price": 5, "options": [{"name": "T", "type": "triple", "choices": []}]},
                            {"ref": "f", "name": "F", "price": 10, "options": [{"name": "P", "source": "items", "item_refs": ["nope"]}]}]}}
        """#)
        let fields = Set(p.map(\.field))
        for f in ["restaurant.name", "restaurant.phone", "restaurant.timezone", "restaurant.delivery.fee", "restaurant.delivery.radius_km",
                  "restaurant.opening_hours.monday.open", "restaurant.opening_hours.funday", "menu.categories[1].ref",
                  "menu.items[0].category_ref", "menu.items[0].price", "menu.items[1].options[0].type",
                  "menu.items[1].options[0].choices", "menu.items[2].options[0].item_refs"] {
            #expect(fields.contains(f), "no problem reported for \(f); got \(p)")
        }
        #expect(p.first { $0.field == "menu.items[0].price" }?.message == "must be at least 0, got -1")
    }

    @Test func notJSONOrMissingSections() {
        #expect(problems("{not json").first?.field == "(file)")
        #expect(problems("[]").first?.message.contains("JSON object") == true)
        #expect(Set(problems("{}").map(\.field)) == ["(file).restaurant"])
        #expect(problems(#"{"restaurant": {"name": "A"}}"#).map(\.field) == ["(file).menu"])
    }

    @Test func formuleSourcesByRef() throws {
        let imp = try RestaurantImport.parse(Data(#"""
        {"restaurant": {"name": "F", "country": "BE"},
         "menu": {"categories": [{"ref": "p", "name": "Pizzas"}],
                  "items": [{"ref": "combo", "name": "Combo", "price": 12, "options": [
                               {"name": "Pizza", "required": true, "source": "category", "category_ref": "p", "max_price": 11.5},
                               {"name": "Boisson", "source": "items", "item_refs": ["cola"]}]},
                            {"ref": "cola", "name": "Cola", "price": 2}]}}
        """#.utf8))
        #expect(imp.restaurant.timezone == "Europe/Brussels")
        let combo = try #require(imp.items.first)
        #expect(combo.categoryRef == nil)
        #expect(combo.options[0].source == .category)
        #expect(combo.options[0].maxPriceMinor == 1150)
        #expect(combo.options[1].itemRefs == ["cola"])
        #expect(imp.externalRef == "name:f|")
    }
}
