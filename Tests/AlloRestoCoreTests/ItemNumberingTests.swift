import AlloRestoCore
import Foundation
import Testing

@Suite struct ItemNumberingTests {
    typealias F = MenuFixtures

    @Test func numbersCategoriesThenItemsThenFormules() {
        let n = ItemNumbering(menu: F.menu)
        let names = n.entries.map { "\($0.number):\($0.item.name)" }
        #expect(names == ["1:Bruschetta", "2:Margherita", "3:Regina", "4:Truffe", "5:Tiramisu", "6:Panna cotta", "7:Formule Midi"])
    }

    @Test func unavailableItemsAndInactiveCategoriesAreNotNumbered() {
        let n = ItemNumbering(menu: F.menu)
        #expect(n.entry(for: F.id(103)) == nil)  // Calzone unavailable
        #expect(n.entry(for: F.id(107)) == nil)  // category inactive
        #expect(n.entry(for: F.id(202)) == nil)  // formule unavailable
        #expect(n.entry(number: 0) == nil)
        #expect(n.entry(number: 8) == nil)
    }

    @Test func sameMenuSameNumberingWhateverTheLoadOrder() {
        let a = ItemNumbering(menu: F.menu)
        for seed in 0..<20 {
            var rng = SeededGenerator(seed: UInt64(seed))
            let shuffled = Menu(categories: F.menu.categories.shuffled(using: &rng), items: F.menu.items.shuffled(using: &rng))
            #expect(ItemNumbering(menu: shuffled).itemMap == a.itemMap)
        }
    }

    @Test func equalDisplayOrdersAreBrokenByName() {
        let c = MenuCategoryInfo(id: F.id(1), name: "A", displayOrder: 0)
        let items = ["Zucchini", "Aubergine", "Mozzarella"].enumerated().map {
            MenuItemInfo(id: F.id(10 + $0.offset), categoryId: c.id, name: $0.element, priceMinor: 100)
        }
        let n = ItemNumbering(menu: Menu(categories: [c], items: items.reversed()))
        #expect(n.entries.map(\.item.name) == ["Aubergine", "Mozzarella", "Zucchini"])
    }

    @Test func itemMapHasIdAndNameByNumber() {
        let map = ItemNumbering(menu: F.menu).itemMap
        #expect(map.count == 7)
        #expect(map["2"] == ItemNumbering.MapEntry(id: F.id(102).uuidString.lowercased(), name: "Margherita"))
        #expect(map["7"]?.name == "Formule Midi")
    }

    @Test func formuleChoicesResolveToNumbers() {
        let n = ItemNumbering(menu: F.menu)
        let formule = F.items.first { $0.name == "Formule Midi" }!
        // Pizzas up to 12 €: Margherita (#2) and Regina (#3), not Truffe (19 €) nor the unavailable Calzone.
        #expect(F.menu.eligibleItems(for: formule.options[0], numbering: n).map(\.number) == [2, 3])
        // Listed desserts that are available: Tiramisu (#5), Panna cotta (#6); Calzone is unavailable.
        #expect(F.menu.eligibleItems(for: formule.options[1], numbering: n).map(\.number) == [5, 6])
    }
}

/// A deterministic generator (SplitMix64) so shuffles in tests are repeatable.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
