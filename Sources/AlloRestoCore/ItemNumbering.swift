import Foundation

/// The stable `#N` numbers the agent uses for items: categories by display order, items by display order within
/// them, then formules. Only available items in active categories are numbered.
public struct ItemNumbering: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public let number: Int
        public let item: MenuItemInfo
    }

    /// One row of the `item_map` sent to sip-agent-server: `"N" → {id, name}`.
    public struct MapEntry: Sendable, Hashable, Codable {
        public let id: String
        public let name: String

        public init(id: String, name: String) {
            self.id = id
            self.name = name
        }
    }

    public let entries: [Entry]
    private let byId: [UUID: Int]

    public init(menu: Menu) {
        let categories = menu.categories.filter(\.isActive).sorted(by: ItemNumbering.categoryOrder)
        let available = menu.items.filter(\.isAvailable)
        var ordered: [MenuItemInfo] = []
        for category in categories {
            ordered += available.filter { $0.categoryId == category.id }.sorted(by: ItemNumbering.itemOrder)
        }
        ordered += available.filter(\.isFormule).sorted(by: ItemNumbering.itemOrder)
        entries = ordered.enumerated().map { Entry(number: $0.offset + 1, item: $0.element) }
        byId = Dictionary(entries.map { ($0.item.id, $0.number - 1) }, uniquingKeysWith: { first, _ in first })
    }

    public func entry(for id: UUID) -> Entry? { byId[id].map { entries[$0] } }

    public func entry(number: Int) -> Entry? {
        guard number >= 1, number <= entries.count else { return nil }
        return entries[number - 1]
    }

    public var itemMap: [String: MapEntry] {
        Dictionary(uniqueKeysWithValues: entries.map { (String($0.number), MapEntry(id: $0.item.id.uuidString.lowercased(), name: $0.item.name)) })
    }

    // Ties are broken by name then id so that equal display orders never reshuffle numbers between calls.
    static func categoryOrder(_ a: MenuCategoryInfo, _ b: MenuCategoryInfo) -> Bool {
        (a.displayOrder, a.name, a.id.uuidString) < (b.displayOrder, b.name, b.id.uuidString)
    }

    static func itemOrder(_ a: MenuItemInfo, _ b: MenuItemInfo) -> Bool {
        (a.displayOrder, a.name, a.id.uuidString) < (b.displayOrder, b.name, b.id.uuidString)
    }
}
