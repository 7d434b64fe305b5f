import Foundation

/// A menu category as the agent sees it.
public struct MenuCategoryInfo: Hashable, Sendable {
    public var id: UUID
    public var name: String
    public var displayOrder: Int
    public var isActive: Bool

    public init(id: UUID, name: String, displayOrder: Int, isActive: Bool = true) {
        self.id = id
        self.name = name
        self.displayOrder = displayOrder
        self.isActive = isActive
    }
}

/// A dish, a drink, or — without a category — a formule (combo).
public struct MenuItemInfo: Hashable, Sendable {
    public var id: UUID
    public var categoryId: UUID?
    public var name: String
    public var description: String?
    public var priceMinor: Int
    public var allergens: [String]
    public var tags: [String]
    public var isAvailable: Bool
    public var displayOrder: Int
    public var options: [ItemOption]

    public init(
        id: UUID, categoryId: UUID?, name: String, description: String? = nil, priceMinor: Int,
        allergens: [String] = [], tags: [String] = [], isAvailable: Bool = true, displayOrder: Int = 0,
        options: [ItemOption] = []
    ) {
        self.id = id
        self.categoryId = categoryId
        self.name = name
        self.description = description
        self.priceMinor = priceMinor
        self.allergens = allergens
        self.tags = tags
        self.isAvailable = isAvailable
        self.displayOrder = displayOrder
        self.options = options
    }

    public var isFormule: Bool { categoryId == nil }
}

/// One priced choice of an option (`Grande (33cm)`, +3,00 €).
public struct OptionChoice: Hashable, Sendable, Codable {
    public var label: String
    public var priceModifierMinor: Int

    public init(label: String, priceModifierMinor: Int = 0) {
        self.label = label
        self.priceModifierMinor = priceModifierMinor
    }

    enum CodingKeys: String, CodingKey {
        case label
        case priceModifierMinor = "price_modifier_minor"
    }
}

/// An item option: a fixed list of choices, or — for formules — a pick among a category's items or a list of items.
public struct ItemOption: Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable {
        case singleChoice = "single_choice"
        case multiChoice = "multi_choice"
    }

    public enum Source: String, Sendable, Codable {
        case category
        case items
    }

    public var name: String
    public var required: Bool
    public var type: Kind
    public var maxChoices: Int?
    public var choices: [OptionChoice]
    public var source: Source?
    public var categoryId: UUID?
    public var maxPriceMinor: Int?
    public var itemIds: [UUID]?

    public init(
        name: String, required: Bool, type: Kind = .singleChoice, maxChoices: Int? = nil,
        choices: [OptionChoice] = [], source: Source? = nil, categoryId: UUID? = nil,
        maxPriceMinor: Int? = nil, itemIds: [UUID]? = nil
    ) {
        self.name = name
        self.required = required
        self.type = type
        self.maxChoices = maxChoices
        self.choices = choices
        self.source = source
        self.categoryId = categoryId
        self.maxPriceMinor = maxPriceMinor
        self.itemIds = itemIds
    }

    enum CodingKeys: String, CodingKey {
        case name, required, type, choices, source
        case maxChoices = "max_choices"
        case categoryId = "category_id"
        case maxPriceMinor = "max_price_minor"
        case itemIds = "item_ids"
    }
}

/// The whole menu of a restaurant, as loaded from the store.
public struct Menu: Hashable, Sendable {
    public var categories: [MenuCategoryInfo]
    public var items: [MenuItemInfo]

    public init(categories: [MenuCategoryInfo], items: [MenuItemInfo]) {
        self.categories = categories
        self.items = items
    }

    /// Items the agent may sell for an option sourced from a category or a list, most specific rule first.
    public func eligibleItems(for option: ItemOption, numbering: ItemNumbering) -> [ItemNumbering.Entry] {
        switch option.source {
        case .category:
            guard let cat = option.categoryId else { return [] }
            return numbering.entries.filter { e in
                e.item.categoryId == cat && (option.maxPriceMinor.map { e.item.priceMinor <= $0 } ?? true)
            }
        case .items:
            let ids = option.itemIds ?? []
            return ids.compactMap { numbering.entry(for: $0) }
                .filter { e in option.maxPriceMinor.map { e.item.priceMinor <= $0 } ?? true }
        case nil:
            return []
        }
    }
}
