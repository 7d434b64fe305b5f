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

/// A business refusal the agent relays to the caller: a machine code and a short French sentence.
public struct Refusal: Error, Sendable, Hashable {
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// Prices an order from the menu: resolves `#N` numbers, checks options and formule picks, computes unit prices,
/// supplements, subtotal, delivery fee (free above the threshold) and total. Refuses with a sentence naming the
/// problem; never trusts a price the model stated.
public enum OrderPricing {
    public static let maxQuantity = 50

    /// Case, accents, punctuation and spacing do not make two labels different ("Grande (33cm)" ≈ "grande 33 cm").
    public static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: Locale(identifier: "fr_FR"))
            .lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(String.init).joined()
    }

    public static func price(
        _ draft: OrderDraft, menu: Menu, numbering: ItemNumbering, restaurant r: RestaurantProfile, deliveryDistanceKm: Double? = nil
    ) -> Result<PricedOrder, Refusal> {
        let money = { (m: Int) in Money.spoken(m, currency: r.currency) }
        guard !draft.lines.isEmpty else { return .failure(Refusal("empty_order", "La commande est vide : quels articles souhaitez-vous ?")) }
        if draft.orderType == .delivery && !r.deliveryEnabled {
            return .failure(Refusal("delivery_unavailable", "Désolé, nous ne faisons pas de livraison : la commande peut être à emporter."))
        }
        let itemsById = Dictionary(menu.items.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })

        func resolve(_ number: Int) -> Result<MenuItemInfo, Refusal> {
            let id: UUID?
            if let map = draft.itemMap { id = map[number] } else { id = numbering.entry(number: number)?.item.id }
            guard let id, let item = itemsById[id] else {
                return .failure(Refusal("item_unknown", "Je ne trouve pas l'article numéro \(number) sur la carte."))
            }
            guard numbering.entry(for: id) != nil else {
                return .failure(Refusal("item_unavailable", "Désolé, « \(item.name) » n'est plus disponible aujourd'hui."))
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
                return .failure(Refusal("quantity_invalid", "La quantité de « \(item.name) » doit être comprise entre 1 et \(maxQuantity)."))
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
                        return .failure(Refusal("option_required", "Pour « \(item.name) », il faut choisir : \(option.name.lowercased()) (\(choiceList(option, menu: menu, numbering: numbering)))."))
                    }
                    continue
                }
                let limit = option.type == .singleChoice ? 1 : (option.maxChoices ?? option.choices.count)
                guard picks.count <= max(limit, 1) else {
                    return .failure(Refusal("too_many_choices", "Pour « \(item.name) », \(option.name.lowercased()) : \(limit) choix au maximum."))
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
                return .failure(Refusal("below_minimum", "Le minimum pour une livraison est de \(money(r.minOrderAmountMinor)) ; il manque \(money(r.minOrderAmountMinor - subtotal))."))
            }
            if let km = deliveryDistanceKm, let radius = r.deliveryRadiusKm, km > radius {
                return .failure(Refusal("out_of_range", "Désolé, cette adresse est à \(String(format: "%.1f", km).replacingOccurrences(of: ".", with: ",")) km : nous livrons jusqu'à \(SystemPrompt.formatKm(radius)) km."))
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
        of pick: OrderDraft.OptionPick, item: MenuItemInfo, menu: Menu, numbering: ItemNumbering, resolve: (Int) -> Result<MenuItemInfo, Refusal>
    ) -> Result<Int, Refusal> {
        let all = item.options.map { "\($0.name.lowercased()) (\(choiceList($0, menu: menu, numbering: numbering)))" }.joined(separator: " ; ")
        let said = pick.choice ?? pick.choiceNumber.map { "#\($0)" } ?? pick.name ?? "?"
        guard !item.options.isEmpty else {
            return .failure(Refusal("option_unknown", "« \(item.name) » n'a pas d'option : « \(said) » n'est pas possible."))
        }
        if let name = pick.name {
            if let index = item.options.firstIndex(where: { fold($0.name) == fold(name) }) { return .success(index) }
            let names = item.options.map { "« \($0.name) »" }.joined(separator: ", ")
            return .failure(Refusal("option_unknown", "« \(item.name) » n'a pas d'option « \(name) » ; les options sont \(names)."))
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
        case 0: return .failure(Refusal("choice_invalid", "Pour « \(item.name) », « \(said) » n'est pas un choix possible ; au choix : \(all)."))
        default:
            let names = matching.map { item.options[$0].name.lowercased() }.joined(separator: " ou ")
            return .failure(Refusal("choice_ambiguous", "Pour « \(item.name) », « \(said) » peut être \(names) : lequel ?"))
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
        let resolve: (Int) -> Result<MenuItemInfo, Refusal> = { n in item(n).map { .success($0) } ?? .failure(Refusal("item_unknown", "")) }
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

    static func choiceList(_ option: ItemOption, menu: Menu, numbering: ItemNumbering) -> String {
        if option.source != nil {
            return menu.eligibleItems(for: option, numbering: numbering).map { "#\($0.number) \($0.item.name)" }.joined(separator: ", ")
        }
        return option.choices.map(\.label).joined(separator: ", ")
    }

    static func choose(
        _ pick: OrderDraft.OptionPick, option: ItemOption, item: MenuItemInfo, menu: Menu, numbering: ItemNumbering,
        resolve: (Int) -> Result<MenuItemInfo, Refusal>
    ) -> Result<PricedOption, Refusal> {
        let list = choiceList(option, menu: menu, numbering: numbering)
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
                let said = chosen?.name ?? pick.choice ?? pick.choiceNumber.map { "#\($0)" } ?? "?"
                return .failure(Refusal("choice_invalid", "Pour « \(item.name) », « \(said) » n'est pas possible en \(option.name.lowercased()) ; au choix : \(list)."))
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
            let said = pick.choice ?? pick.choiceNumber.map { "n° \($0)" } ?? "?"
            return .failure(Refusal("choice_invalid", "Pour « \(item.name) », « \(said) » n'existe pas en \(option.name.lowercased()) ; au choix : \(list)."))
        }
        return .success(PricedOption(name: option.name, choice: m.label, choiceItemId: nil, extraPriceMinor: m.priceModifierMinor))
    }
}
