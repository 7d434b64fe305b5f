import AlloRestoCore
import Foundation
import Testing

@Suite struct OrderPricingTests {
    typealias F = MenuFixtures
    let numbering = ItemNumbering(menu: F.menu)
    // #1 Bruschetta 6,50 · #2 Margherita 9,50 (Taille required, Suppléments multi ≤2) · #3 Regina 12 · #4 Truffe 19
    // #5 Tiramisu 7,50 · #6 Panna cotta 6,50 · #7 Formule Midi 15,90 (Pizza ≤ 12 € from Pizzas, Dessert from a list)

    func price(_ lines: [OrderDraft.Line], map: [Int: UUID]? = nil, km: Double? = nil) -> Result<PricedOrder, PricingRefused> {
        price(.pickup, lines, map: map, km: km)
    }

    func price(_ type: OrderType, _ lines: [OrderDraft.Line], map: [Int: UUID]? = nil, km: Double? = nil,
               _ configure: (inout RestaurantProfile) -> Void = { _ in }) -> Result<PricedOrder, PricingRefused> {
        OrderPricing.price(OrderDraft(orderType: type, lines: lines, itemMap: map), menu: F.menu, numbering: numbering, restaurant: F.restaurant(configure), deliveryDistanceKm: km)
    }

    func refusal(_ r: Result<PricedOrder, PricingRefused>) -> PricingRefused? { if case .failure(let f) = r { f } else { nil } }
    func order(_ r: Result<PricedOrder, PricingRefused>) throws -> PricedOrder { try r.get() }

    @Test func pricesFromTheMenuWithSupplements() throws {
        let o = try order(price([
            .init(number: 2, quantity: 2, options: [.init(name: "taille", choice: "GRANDE"), .init(name: "Suppléments", choice: "burrata"), .init(name: "supplements", choice: "Roquette")]),
            .init(number: 1, quantity: 1, notes: "  sans ail "),
        ]))
        // Margherita 9,50 + Grande 3 + Burrata 2,50 + Roquette 1 = 16 € × 2, plus Bruschetta 6,50.
        #expect(o.lines[0].unitPriceMinor == 1600)
        #expect(o.lines[0].totalPriceMinor == 3200)
        #expect(o.lines[0].options.map(\.choice) == ["Grande", "Burrata", "Roquette"])
        #expect(o.lines[1].notes == "  sans ail ")
        #expect(o.subtotalMinor == 3850)
        #expect(o.deliveryFeeMinor == 0)
        #expect(o.totalMinor == 3850)
        #expect(o.itemCount == 3)
        #expect(o.size == .m)
        #expect(o.summary == "2× Margherita (Grande, Burrata, Roquette), 1× Bruschetta")
    }

    @Test func sizesFollowItemCount() throws {
        #expect(try order(price([.init(number: 1, quantity: 2)])).size == .s)
        #expect(try order(price([.init(number: 1, quantity: 5)])).size == .m)
        #expect(try order(price([.init(number: 1, quantity: 3), .init(number: 3, quantity: 3, options: [.init(name: "Taille", choice: "Normale")])])).size == .l)
    }

    @Test func refusalsNameTheProblem() {
        #expect(refusal(price([])) == .emptyOrder)
        #expect(refusal(price([.init(number: 42, quantity: 1)]))?.code == "item_unknown")
        #expect(refusal(price([.init(number: 42, quantity: 1)])) == .itemUnknown(number: 42))
        #expect(refusal(price([.init(number: 1, quantity: 0)])) == .quantityInvalid(item: "Bruschetta", max: 50))
        #expect(refusal(price([.init(number: 1, quantity: 500)]))?.code == "quantity_invalid")
        let missing = refusal(price([.init(number: 2, quantity: 1)]))
        #expect(missing?.code == "option_required")
        #expect(missing == .optionRequired(item: "Margherita", .init(option: "Taille", choices: [.init(label: "Normale"), .init(label: "Grande")])))
        #expect(refusal(price([.init(number: 2, quantity: 1, options: [.init(name: "Taille", choice: "XXL")])]))?.code == "choice_invalid")
        #expect(refusal(price([.init(number: 2, quantity: 1, options: [.init(name: "Cuisson", choice: "Bien cuite")])]))?.code == "option_unknown")
        #expect(refusal(price([.init(number: 2, quantity: 1, options: [.init(name: "Taille", choice: "Normale"), .init(name: "Taille", choice: "Grande")])]))?.code == "too_many_choices")
        #expect(refusal(price([.init(number: 2, quantity: 1, options: [.init(name: "Taille", choice: "Normale"), .init(name: "Suppléments", choice: "Burrata"), .init(name: "Suppléments", choice: "Burrata"), .init(name: "Suppléments", choice: "Roquette")])]))?.code == "too_many_choices")
    }

    @Test func itemMapIsCheckedAgainstTheCurrentMenu() {
        // The call's item_map still points #3 at the Calzone, which became unavailable since the call started.
        let map: [Int: UUID] = [3: F.id(103), 1: F.id(104)]
        #expect(refusal(price([.init(number: 3, quantity: 1)], map: map)) == .itemUnavailable(item: "Calzone"))
        #expect((try? order(price([.init(number: 1, quantity: 1)], map: map)))?.lines.first?.name == "Bruschetta")
        #expect(refusal(price([.init(number: 2, quantity: 1)], map: map))?.code == "item_unknown")
        #expect(refusal(price([.init(number: 1, quantity: 1)], map: [1: UUID()]))?.code == "item_unknown")
    }

    @Test func formulePicksMustComeFromTheirSource() throws {
        let ok = try order(price([.init(number: 7, quantity: 1, options: [.init(name: "Pizza", choiceNumber: 3), .init(name: "Dessert", choice: "panna cotta")])]))
        #expect(ok.totalMinor == 1590)
        #expect(ok.lines[0].options.map(\.choice) == ["Regina", "Panna cotta"])
        #expect(ok.lines[0].options[0].choiceItemId == F.id(101))
        // Truffe (#4, 19 €) is a pizza but above the formule's 12 € cap.
        let capped = refusal(price([.init(number: 7, quantity: 1, options: [.init(name: "Pizza", choiceNumber: 4), .init(name: "Dessert", choiceNumber: 5)])]))
        #expect(capped?.code == "choice_invalid")
        guard case .notInFormule(_, _, let pizzas) = capped else { Issue.record("\(String(describing: capped))"); return }
        #expect(pizzas.choices.prefix(2) == [.init(number: 2, label: "Margherita"), .init(number: 3, label: "Regina")])
        // Bruschetta is not in the dessert list.
        #expect(refusal(price([.init(number: 7, quantity: 1, options: [.init(name: "Pizza", choiceNumber: 2), .init(name: "Dessert", choiceNumber: 1)])]))?.code == "choice_invalid")
        #expect(refusal(price([.init(number: 7, quantity: 1, options: [.init(name: "Pizza", choiceNumber: 2)])]))?.code == "option_required")
    }

    @Test func deliveryFeeThresholdMinimumAndRange() throws {
        // 2 Bruschetta = 13 € < 15 € minimum.
        #expect(refusal(price(.delivery, [.init(number: 1, quantity: 2)])) == .belowMinimum(minimumMinor: 1500, missingMinor: 200))
        // 3 Bruschetta = 19,50 €: fee 2,50 €.
        let small = try order(price(.delivery, [.init(number: 1, quantity: 3)]))
        #expect(small.deliveryFeeMinor == 250)
        #expect(small.totalMinor == 2200)
        // 5 Bruschetta = 32,50 € ≥ 30 €: free.
        #expect(try order(price(.delivery, [.init(number: 1, quantity: 5)])).deliveryFeeMinor == 0)
        #expect(refusal(price(.delivery, [.init(number: 1, quantity: 3)], km: 7.2))?.code == "out_of_range")
        #expect(try order(price(.delivery, [.init(number: 1, quantity: 3)], km: 4.9)).deliveryFeeMinor == 250)
        #expect(refusal(price(.delivery, [.init(number: 1, quantity: 3)]) { $0.deliveryEnabled = false })?.code == "delivery_unavailable")
        // Pickup never pays delivery and has no minimum.
        #expect(try order(price(.pickup, [.init(number: 1, quantity: 1)])).totalMinor == 650)
    }
}
