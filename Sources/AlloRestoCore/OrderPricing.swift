import Foundation

/// How an order leaves the restaurant.
public enum OrderType: String, Sendable, Codable, CaseIterable {
    case pickup
    case delivery
    case dineIn = "dine_in"
}

/// Kitchen load class of an order: S (1–2 items), M (3–5), L (6+).
public enum OrderSize: String, Sendable, Codable {
    case s = "S", m = "M", l = "L"

    public init(itemCount: Int) {
        self = itemCount <= 2 ? .s : itemCount <= 5 ? .m : .l
    }
}

/// An order as the model described it: `#N` numbers, quantities, option picks. Nothing here is trusted.
public struct OrderDraft: Sendable, Hashable {
    /// One pick: `name` is the option's name when the model gave it (`{"Taille": "Grande"}`,
    /// `{name, choice}`); without it (`["Grande"]`) the choice is matched against every option of the item.
    public struct OptionPick: Sendable, Hashable {
        public var name: String?
        /// For formule picks: the `#N` of the chosen item; for fixed choices: its 1-based position.
        public var choiceNumber: Int?
        public var choice: String?

        public init(name: String?, choiceNumber: Int? = nil, choice: String? = nil) {
            self.name = name
            self.choiceNumber = choiceNumber
            self.choice = choice
        }
    }

    public struct Line: Sendable, Hashable {
        public var number: Int
        public var quantity: Int
        public var options: [OptionPick]
        public var notes: String?

        public init(number: Int, quantity: Int, options: [OptionPick] = [], notes: String? = nil) {
            self.number = number
            self.quantity = quantity
            self.options = options
            self.notes = notes
        }
    }

    public var orderType: OrderType
    public var lines: [Line]
    /// `item_map` as sip-agent-server sent it (`"N" → item id`); nil to use the current numbering.
    public var itemMap: [Int: UUID]?

    public init(orderType: OrderType, lines: [Line], itemMap: [Int: UUID]? = nil) {
        self.orderType = orderType
        self.lines = lines
        self.itemMap = itemMap
    }
}

/// A priced option or formule pick, as stored on the order line.
public struct PricedOption: Sendable, Hashable, Codable {
    public var name: String
    public var choice: String
    public var choiceItemId: UUID?
    public var extraPriceMinor: Int

    enum CodingKeys: String, CodingKey {
        case name, choice
        case choiceItemId = "choice_item_id"
        case extraPriceMinor = "extra_price_minor"
    }
}

/// One order line priced from the menu.
public struct PricedLine: Sendable, Hashable {
    public var menuItemId: UUID
    public var name: String
    public var quantity: Int
    public var unitPriceMinor: Int
    public var totalPriceMinor: Int
    public var options: [PricedOption]
    public var notes: String?
}

/// An order priced by the server: what is stored and announced, whatever the model said.
public struct PricedOrder: Sendable, Hashable {
    public var orderType: OrderType
    public var lines: [PricedLine]
    public var subtotalMinor: Int
    public var deliveryFeeMinor: Int
    public var totalMinor: Int
    public var itemCount: Int
    public var size: OrderSize

    /// `2× Margherita (Grande), 1× Tiramisu`.
    public var summary: String {
        lines.map { line in
            let opts = line.options.map(\.choice)
            return "\(line.quantity)× \(line.name)" + (opts.isEmpty ? "" : " (\(opts.joined(separator: ", ")))")
        }.joined(separator: ", ")
    }
}

/// Why the server will not price an order as the model described it (SPEC §5 `confirm_order`): each case carries
/// what a sentence needs (names as on the menu, numbers as said); the wire `code` is the rule's, the sentence is the
/// Server's (`Wording/`).
public enum PricingRefused: Error, Sendable, Hashable {
    /// A choice as listed to the caller: a formule's item (`number` is its `#N`) or a fixed choice's label.
    public struct Choice: Sendable, Hashable {
        public var number: Int?
        public var label: String
        public init(number: Int? = nil, label: String) {
            self.number = number
            self.label = label
        }
    }

    /// An option with its possible choices, in menu order.
    public struct Choices: Sendable, Hashable {
        public var option: String
        public var choices: [Choice]
        public init(option: String, choices: [Choice]) {
            self.option = option
            self.choices = choices
        }
    }

    /// What the model named as a pick: a text, a number (a formule's `#N`, a fixed choice's position) or nothing.
    public enum Said: Sendable, Hashable {
        case text(String)
        case number(Int)
        case nothing
    }

    case emptyOrder
    case deliveryUnavailable
    case itemUnknown(number: Int)
    case itemUnavailable(item: String)
    case quantityInvalid(item: String, max: Int)
    case optionRequired(item: String, Choices)
    case tooManyChoices(item: String, option: String, limit: Int)
    /// The item has no option at all.
    case noOption(item: String, said: Said)
    /// The pick named an option the item does not have.
    case optionUnknown(item: String, name: String, options: [String])
    /// The pick matches no choice of any option of the item.
    case choiceUnknown(item: String, said: Said, among: [Choices])
    /// The pick matches choices of several options.
    case choiceAmbiguous(item: String, said: Said, options: [String])
    /// A formule pick outside the option's source.
    case notInFormule(item: String, said: Said, Choices)
    /// A fixed pick that is not one of the option's choices.
    case notAChoice(item: String, said: Said, Choices)
    case belowMinimum(minimumMinor: Int, missingMinor: Int)
    case outOfRange(distanceKm: Double, radiusKm: Double)

    /// The wire code (`{success:false, code}`).
    public var code: String {
        switch self {
        case .emptyOrder: "empty_order"
        case .deliveryUnavailable: "delivery_unavailable"
        case .itemUnknown: "item_unknown"
        case .itemUnavailable: "item_unavailable"
        case .quantityInvalid: "quantity_invalid"
        case .optionRequired: "option_required"
        case .tooManyChoices: "too_many_choices"
        case .noOption, .optionUnknown: "option_unknown"
        case .choiceUnknown, .notInFormule, .notAChoice: "choice_invalid"
        case .choiceAmbiguous: "choice_ambiguous"
        case .belowMinimum: "below_minimum"
        case .outOfRange: "out_of_range"
        }
    }
}

/// Prices an order from the menu: resolves `#N` numbers, checks options and formule picks, computes unit prices,
/// supplements, subtotal, delivery fee (free above the threshold) and total. Refuses with what is wrong
/// (`PricingRefused`); never trusts a price the model stated.
public enum OrderPricing {
    public static let maxQuantity = 50

    /// Case, accents, punctuation and spacing do not make two labels different ("Grande (33cm)" ≈ "grande 33 cm").
    public static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: Locale(identifier: "fr_FR"))
            .lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(String.init).joined()
    }

    public static func price(
        _ draft: OrderDraft, menu: Menu, numbering: ItemNumbering, restaurant r: RestaurantProfile, deliveryDistanceKm: Double? = nil
    ) -> Result<PricedOrder, PricingRefused> {
        guard !draft.lines.isEmpty else { return .failure(.emptyOrder) }
        if draft.orderType == .delivery && !r.deliveryEnabled {
            return .failure(.deliveryUnavailable)
        }
        let itemsById = Dictionary(menu.items.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })

        func resolve(_ number: Int) -> Result<MenuItemInfo, PricingRefused> {
            let id: UUID?
            if let map = draft.itemMap { id = map[number] } else { id = numbering.entry(number: number)?.item.id }
            guard let id, let item = itemsById[id] else {
                return .failure(.itemUnknown(number: number))
            }
            guard numbering.entry(for: id) != nil else {
                return .failure(.itemUnavailable(item: item.name))
            }
            return .success(item)
        }

        var lines: [PricedLine] = []
        for line in draft.lines {
            let item: MenuItemInfo
            switch resolve(line.number) {
            case .success(let i): item = i
            case .failure(let f): return .failure(f)
            }
            guard (1...maxQuantity).contains(line.quantity) else {
                return .failure(.quantityInvalid(item: item.name, max: maxQuantity))
            }
            var picksByOption: [Int: [OrderDraft.OptionPick]] = [:]
            for pick in line.options {
                switch option(of: pick, item: item, menu: menu, numbering: numbering, resolve: resolve) {
                case .success(let index): picksByOption[index, default: []].append(pick)
                case .failure(let f): return .failure(f)
                }
            }
            var priced: [PricedOption] = []
            for (index, option) in item.options.enumerated() {
                let picks = picksByOption[index] ?? []
                if picks.isEmpty {
                    if option.required {
                        return .failure(.optionRequired(item: item.name, choices(option, menu: menu, numbering: numbering)))
                    }
                    continue
                }
                let limit = option.type == .singleChoice ? 1 : (option.maxChoices ?? option.choices.count)
                guard picks.count <= max(limit, 1) else {
                    return .failure(.tooManyChoices(item: item.name, option: option.name, limit: limit))
                }
                for pick in picks {
                    switch choose(pick, option: option, item: item, menu: menu, numbering: numbering, resolve: resolve) {
                    case .success(let p): priced.append(p)
                    case .failure(let f): return .failure(f)
                    }
                }
            }
            let unit = item.priceMinor + priced.reduce(0) { $0 + $1.extraPriceMinor }
            lines.append(PricedLine(
                menuItemId: item.id, name: item.name, quantity: line.quantity, unitPriceMinor: unit,
                totalPriceMinor: unit * line.quantity, options: priced,
                notes: line.notes.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }))
        }

        let subtotal = lines.reduce(0) { $0 + $1.totalPriceMinor }
        var fee = 0
        if draft.orderType == .delivery {
            if subtotal < r.minOrderAmountMinor {
                return .failure(.belowMinimum(minimumMinor: r.minOrderAmountMinor, missingMinor: r.minOrderAmountMinor - subtotal))
            }
            if let km = deliveryDistanceKm, let radius = r.deliveryRadiusKm, km > radius {
                return .failure(.outOfRange(distanceKm: km, radiusKm: radius))
            }
            fee = r.deliveryFreeAboveMinor.map { subtotal >= $0 } == true ? 0 : r.deliveryFeeMinor
        }
        let count = lines.reduce(0) { $0 + $1.quantity }
        return .success(PricedOrder(
            orderType: draft.orderType, lines: lines, subtotalMinor: subtotal, deliveryFeeMinor: fee, totalMinor: subtotal + fee,
            itemCount: count, size: OrderSize(itemCount: count)))
    }

    /// The option of `item` a pick belongs to: by its name; without one, the only option having that choice (by
    /// label, formule item name or `#N`). Unknown, or found in several options: a refusal naming the choices.
    static func option(
        of pick: OrderDraft.OptionPick, item: MenuItemInfo, menu: Menu, numbering: ItemNumbering, resolve: (Int) -> Result<MenuItemInfo, PricingRefused>
    ) -> Result<Int, PricingRefused> {
        let said: PricingRefused.Said = pick.choice.map { .text($0) } ?? pick.choiceNumber.map { .number($0) } ?? pick.name.map { .text($0) } ?? .nothing
        guard !item.options.isEmpty else { return .failure(.noOption(item: item.name, said: said)) }
        if let name = pick.name {
            if let index = item.options.firstIndex(where: { fold($0.name) == fold(name) }) { return .success(index) }
            return .failure(.optionUnknown(item: item.name, name: name, options: item.options.map(\.name)))
        }
        var matching: [Int] = []
        for (index, option) in item.options.enumerated() {
            if option.source != nil {
                let eligible = menu.eligibleItems(for: option, numbering: numbering)
                if let text = pick.choice, eligible.contains(where: { fold($0.item.name) == fold(text) }) { matching.append(index) }
                else if let n = pick.choiceNumber, case .success(let i) = resolve(n), eligible.contains(where: { $0.item.id == i.id }) { matching.append(index) }
            } else if let text = pick.choice, !fold(text).isEmpty {
                if option.choices.contains(where: { fold($0.label) == fold(text) }) { matching.append(index) }
            }
        }
        if matching.isEmpty, let text = pick.choice, !fold(text).isEmpty {
            // A shortened label ("Grand" for "Grande") only when it designates one choice of one option.
            let prefixed = item.options.indices.filter { i in item.options[i].source == nil && item.options[i].choices.contains { fold($0.label).hasPrefix(fold(text)) } }
            if prefixed.count == 1 { matching = prefixed }
        }
        if matching.isEmpty, pick.choice == nil, pick.choiceNumber != nil, item.options.count == 1, item.options[0].source == nil { matching = [0] }
        switch matching.count {
        case 1: return .success(matching[0])
        case 0: return .failure(.choiceUnknown(item: item.name, said: said, among: item.options.map { choices($0, menu: menu, numbering: numbering) }))
        default: return .failure(.choiceAmbiguous(item: item.name, said: said, options: matching.map { item.options[$0].name }))
        }
    }

    /// The meaning of an order's lines, for the idempotency digest: each line as the item's id (through the call's
    /// `item_map`, else the current numbering), its quantity (the same line twice is one line with the sum) and its
    /// picks resolved to `option=choice` against the menu, folded and sorted — so `"quantity": "2"`, `"#3"`,
    /// `["Grande"]` and `{"Taille": "Grande"}` mean the same. It reads the whole menu (an item made unavailable since
    /// still has its meaning, so a retry is recognized); what it cannot resolve is kept as written, folded.
    public static func meaning(_ draft: OrderDraft, menu: Menu, numbering: ItemNumbering) -> String {
        let itemsById = Dictionary(menu.items.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func item(_ number: Int) -> MenuItemInfo? {
            let id = draft.itemMap.map { $0[number] } ?? numbering.entry(number: number)?.item.id
            return id.flatMap { itemsById[$0] }
        }
        let resolve: (Int) -> Result<MenuItemInfo, PricingRefused> = { n in item(n).map { .success($0) } ?? .failure(.itemUnknown(number: n)) }
        var lines: [String: Int] = [:]
        for line in draft.lines {
            let found = item(line.number)
            let picks = line.options.map { pick -> String in
                if let found, case .success(let index) = option(of: pick, item: found, menu: menu, numbering: numbering, resolve: resolve),
                   case .success(let chosen) = choose(pick, option: found.options[index], item: found, menu: menu, numbering: numbering, resolve: resolve) {
                    return "\(fold(chosen.name))=\(fold(chosen.choice))"
                }
                return "?\(pick.name.map(fold) ?? "")=\(pick.choice.map(fold) ?? "")#\(pick.choiceNumber ?? 0)"
            }.sorted().joined(separator: ",")
            lines["\(found.map { $0.id.uuidString.lowercased() } ?? "#\(line.number)")[\(picks)]", default: 0] += line.quantity
        }
        return lines.keys.sorted().map { "\($0)x\(lines[$0]!)" }.joined(separator: "|")
    }

    /// An option's possible choices: a formule's eligible items with their `#N`, else the fixed labels.
    static func choices(_ option: ItemOption, menu: Menu, numbering: ItemNumbering) -> PricingRefused.Choices {
        if option.source != nil {
            return .init(option: option.name, choices: menu.eligibleItems(for: option, numbering: numbering).map { .init(number: $0.number, label: $0.item.name) })
        }
        return .init(option: option.name, choices: option.choices.map { .init(label: $0.label) })
    }

    static func choose(
        _ pick: OrderDraft.OptionPick, option: ItemOption, item: MenuItemInfo, menu: Menu, numbering: ItemNumbering,
        resolve: (Int) -> Result<MenuItemInfo, PricingRefused>
    ) -> Result<PricedOption, PricingRefused> {
        if option.source != nil {
            // A formule pick: an item of the source, by #N or by name; its price is included in the formule's.
            let eligible = menu.eligibleItems(for: option, numbering: numbering)
            var chosen: MenuItemInfo?
            if let n = pick.choiceNumber {
                if case .success(let i) = resolve(n) { chosen = i }
            } else if let text = pick.choice {
                chosen = eligible.first { fold($0.item.name) == fold(text) }?.item
            }
            guard let c = chosen, eligible.contains(where: { $0.item.id == c.id }) else {
                let said: PricingRefused.Said = (chosen?.name ?? pick.choice).map { .text($0) } ?? pick.choiceNumber.map { .number($0) } ?? .nothing
                return .failure(.notInFormule(item: item.name, said: said, choices(option, menu: menu, numbering: numbering)))
            }
            return .success(PricedOption(name: option.name, choice: c.name, choiceItemId: c.id, extraPriceMinor: 0))
        }
        var match: OptionChoice?
        if let text = pick.choice, !text.isEmpty {
            let prefixed = option.choices.filter { fold($0.label).hasPrefix(fold(text)) && !fold(text).isEmpty }
            match = option.choices.first { fold($0.label) == fold(text) } ?? (prefixed.count == 1 ? prefixed[0] : nil)
        } else if let n = pick.choiceNumber, (1...option.choices.count).contains(n) {
            match = option.choices[n - 1]
        }
        guard let m = match else {
            let said: PricingRefused.Said = pick.choice.map { .text($0) } ?? pick.choiceNumber.map { .number($0) } ?? .nothing
            return .failure(.notAChoice(item: item.name, said: said, choices(option, menu: menu, numbering: numbering)))
        }
        return .success(PricedOption(name: option.name, choice: m.label, choiceItemId: nil, extraPriceMinor: m.priceModifierMinor))
    }
}
