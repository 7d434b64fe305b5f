import Foundation

/// Everything the session configuration is built from, loaded by the store for one restaurant.
public struct RestaurantSnapshot: Sendable {
    public var restaurant: RestaurantProfile
    public var menu: Menu
    public var services: [DiningServiceInfo]
    public var offers: [OfferInfo]
    public var faqs: [FaqEntry]
    /// Seats of the active tables, when tables are set up (reservation capacity without dining services).
    public var tableSeats: Int?

    public init(restaurant: RestaurantProfile, menu: Menu, services: [DiningServiceInfo] = [], offers: [OfferInfo] = [], faqs: [FaqEntry] = [], tableSeats: Int? = nil) {
        self.tableSeats = tableSeats
        self.restaurant = restaurant
        self.menu = menu
        self.services = services
        self.offers = offers
        self.faqs = faqs
    }
}

/// The French, spoken-style system prompt. The parts that depend only on the restaurant are built once per
/// restaurant version (`PromptParts`); the clock and the caller are added at each call.
public struct PromptParts: Sendable {
    public let head: String
    public let body: String
    public let rules: String
    public let restaurantName: String
    public let openingHours: WeeklyHours
    public let closures: [Closure]
    public let ordersPausedUntil: Date?
    public let time: RestaurantTime
    public let currency: String
    public let deliveryEnabled: Bool

    public init(snapshot s: RestaurantSnapshot, numbering: ItemNumbering) {
        let r = s.restaurant
        restaurantName = r.name
        openingHours = r.openingHours
        closures = r.closures
        ordersPausedUntil = r.ordersPausedUntil
        time = RestaurantTime(identifier: r.timezone)
        currency = r.currency
        deliveryEnabled = r.deliveryEnabled
        let flags = FeatureFlags(r)
        head = SystemPrompt.role(r) + SystemPrompt.identity(r)
        var body = SystemPrompt.hours(r)
        body += SystemPrompt.menu(s.menu, numbering: numbering, currency: r.currency)
        body += SystemPrompt.formules(s.menu, numbering: numbering, currency: r.currency)
        body += SystemPrompt.delivery(r)
        if r.reservationEnabled {
            body += SystemPrompt.reservations(r, services: s.services)
            body += SystemPrompt.offers(s.offers, currency: r.currency)
        }
        body += SystemPrompt.faq(s.faqs)
        self.body = body
        rules = SystemPrompt.rules(r, flags: flags)
    }

    /// The whole prompt for one call.
    public func prompt(now: Date, caller: KnownCaller?) -> String {
        head + SystemPrompt.clock(now: now, time: time, hours: openingHours, closures: closures, ordersPausedUntil: ordersPausedUntil) + body
            + SystemPrompt.customer(caller, time: time, currency: currency, deliveryEnabled: deliveryEnabled) + rules
    }
}

/// Section builders of the system prompt; each returns a titled block ending with a blank line.
public enum SystemPrompt {
    static func section(_ title: String, _ lines: [String]) -> String {
        "# \(title)\n" + lines.joined(separator: "\n") + "\n\n"
    }

    static func role(_ r: RestaurantProfile) -> String {
        var lines = [
            "Tu es l'agent vocal de \(r.name). Tu réponds au téléphone à la place de l'équipe : tu prends les commandes"
                + (r.deliveryEnabled ? " à emporter et en livraison" : " à emporter")
                + (r.reservationEnabled ? ", les réservations de table" : "")
                + " et tu réponds aux questions des clients.",
            "Tu parles français, à l'oral : phrases courtes, ton chaleureux et naturel, une seule question à la fois. Pas de listes, pas de symboles, pas d'émojis : dis les prix en toutes lettres (« neuf euros cinquante ») et les heures comme on les dit (« midi et demi »).",
            "Ne donne jamais d'information que tu n'as pas ici. En cas de doute, dis-le simplement.",
        ]
        if let extra = r.aiInstructions?.trimmingCharacters(in: .whitespacesAndNewlines), !extra.isEmpty {
            lines.append("Consignes du restaurant : \(extra)")
        }
        return section("RÔLE", lines)
    }

    static func identity(_ r: RestaurantProfile) -> String {
        var lines = ["Nom : \(r.name)"]
        if let c = r.cuisineType, !c.isEmpty { lines.append("Cuisine : \(c)") }
        let address = [r.address, [r.postalCode, r.city].compactMap { $0 }.joined(separator: " ")]
            .compactMap { $0 }.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.joined(separator: ", ")
        if !address.isEmpty { lines.append("Adresse : \(address)") }
        if let p = r.phone, !p.isEmpty { lines.append("Téléphone : \(p)") }
        if !r.paymentMethods.isEmpty {
            let names = r.paymentMethods.map { m -> String in
                switch m {
                case "cash": "espèces"
                case "card": "carte bancaire"
                case "online": "paiement en ligne"
                case "ticket_restaurant", "meal_voucher": "titres-restaurant"
                default: m
                }
            }
            lines.append("Paiements acceptés : \(names.joined(separator: ", "))")
        }
        return section("RESTAURANT", lines)
    }

    static func clock(now: Date, time: RestaurantTime, hours: WeeklyHours, closures: [Closure] = [], ordersPausedUntil: Date? = nil) -> String {
        let m = time.local(now)
        var lines = ["Nous sommes le \(m.frenchDate), il est \(m.time.french) (heure locale, fuseau \(time.timeZone.identifier))."]
        if let today = closures.first(where: { $0.covers(m.date) }) {
            lines.append("Le restaurant est exceptionnellement fermé \(today.french) : ni commande ni réservation ces jours-là ; propose un autre jour.")
        } else if let until = ordersPausedUntil, until > now {
            lines.append("Le restaurant ne prend plus de commandes pour aujourd'hui (jusqu'à \(time.local(until).time.french) le \(time.local(until).date.french)) : propose une commande pour un autre jour, ou une réservation.")
        } else if !hours.isEmpty {
            lines.append(hours.isOpen(day: m.weekday, at: m.time)
                ? "Le restaurant est ouvert en ce moment."
                : "Le restaurant est fermé en ce moment : propose une commande ou une réservation pour un créneau d'ouverture.")
        }
        let soon = closures.filter { !$0.covers(m.date) && m.date < $0.from && m.date.days(to: $0.from) <= 60 }
        if !soon.isEmpty { lines.append("Fermeture(s) exceptionnelle(s) à venir : " + soon.map(\.french).joined(separator: " ; ") + ".") }
        return section("DATE ET HEURE", lines)
    }

    static func hours(_ r: RestaurantProfile) -> String {
        if r.openingHours.isEmpty {
            return section("HORAIRES D'OUVERTURE", ["Horaires non renseignés : check_availability dira si un créneau est possible."])
        }
        return section("HORAIRES D'OUVERTURE", r.openingHours.frenchLines() + [
            r.deliveryEnabled
                ? "Les commandes à emporter et en livraison ne sont possibles que pendant ces horaires."
                : "Les commandes à emporter ne sont possibles que pendant ces horaires."
        ])
    }

    static func optionLines(_ o: ItemOption, currency: String) -> String {
        let kind = o.type == .multiChoice
            ? "plusieurs choix possibles" + (o.maxChoices.map { ", \($0) au maximum" } ?? "")
            : "un seul choix"
        let choices = o.choices.map { c in
            c.priceModifierMinor == 0 ? c.label : "\(c.label) +\(Money.written(c.priceModifierMinor, currency: currency))"
        }.joined(separator: " ; ")
        return "   Option « \(o.name) » (\(o.required ? "obligatoire" : "facultative"), \(kind)) : \(choices)"
    }

    static func itemLine(_ e: ItemNumbering.Entry, currency: String) -> [String] {
        var line = "#\(e.number) \(e.item.name) — \(Money.written(e.item.priceMinor, currency: currency))"
        if let d = e.item.description?.trimmingCharacters(in: .whitespaces), !d.isEmpty { line += " — \(d)" }
        if !e.item.allergens.isEmpty { line += " — Allergènes : \(e.item.allergens.joined(separator: ", "))" }
        if !e.item.tags.isEmpty { line += " — (\(e.item.tags.joined(separator: ", ")))" }
        return [line] + e.item.options.filter { $0.source == nil }.map { optionLines($0, currency: currency) }
    }

    static func menu(_ menu: Menu, numbering: ItemNumbering, currency: String) -> String {
        var lines = [
            "Chaque article a un numéro #N : utilise ce numéro (champ id) dans confirm_order. Les articles absents de cette liste ne sont pas disponibles aujourd'hui."
        ]
        let categories = menu.categories.filter(\.isActive).sorted(by: ItemNumbering.categoryOrder)
        for category in categories {
            let entries = numbering.entries.filter { $0.item.categoryId == category.id }
            guard !entries.isEmpty else { continue }
            lines.append("## \(category.name)")
            for e in entries { lines += itemLine(e, currency: currency) }
        }
        if numbering.entries.isEmpty { lines.append("Aucun article n'est disponible pour le moment : ne prends pas de commande.") }
        return section("CARTE", lines)
    }

    static func formules(_ menu: Menu, numbering: ItemNumbering, currency: String) -> String {
        let formules = numbering.entries.filter { $0.item.isFormule }
        guard !formules.isEmpty else { return "" }
        var lines = [
            "Une formule se commande avec son numéro ; chaque choix de formule se note dans selected_options avec choice_id = le #N de l'article choisi."
        ]
        for f in formules {
            var line = "#\(f.number) \(f.item.name) — \(Money.written(f.item.priceMinor, currency: currency))"
            if let d = f.item.description, !d.isEmpty { line += " — \(d)" }
            lines.append(line)
            for o in f.item.options {
                if o.source == nil {
                    lines.append(optionLines(o, currency: currency))
                    continue
                }
                let picks = menu.eligibleItems(for: o, numbering: numbering).map { "#\($0.number) \($0.item.name)" }
                let limit = o.maxPriceMinor.map { " (articles jusqu'à \(Money.written($0, currency: currency)))" } ?? ""
                let choices = picks.isEmpty ? "aucun article disponible, la formule ne peut pas être servie" : picks.joined(separator: ", ")
                lines.append("   « \(o.name) » (\(o.required ? "obligatoire" : "facultatif"))\(limit) : au choix \(choices)")
            }
        }
        return section("FORMULES", lines)
    }

    static func delivery(_ r: RestaurantProfile) -> String {
        let prep = "Temps moyen de préparation : \(r.avgPrepTimeMin) minutes."
        guard r.deliveryEnabled else {
            return section("LIVRAISON", ["Pas de livraison : uniquement à emporter" + " ou sur place. Si le client demande une livraison, explique-le gentiment.", prep])
        }
        var lines: [String] = []
        if let radius = r.deliveryRadiusKm {
            lines.append("Livraison dans un rayon de \(DeliveryQuote.km(radius)) km autour du restaurant.")
        } else {
            lines.append("Livraison possible ; check_availability vérifie chaque adresse.")
        }
        if r.minOrderAmountMinor > 0 {
            lines.append("Minimum de commande pour la livraison : \(Money.written(r.minOrderAmountMinor, currency: r.currency)).")
        }
        if r.deliveryFeeMinor > 0 {
            var fee = "Frais de livraison : \(Money.written(r.deliveryFeeMinor, currency: r.currency))"
            if let free = r.deliveryFreeAboveMinor { fee += ", offerts à partir de \(Money.written(free, currency: r.currency)) de commande" }
            lines.append(fee + ".")
        } else {
            lines.append("Livraison gratuite.")
        }
        lines.append(prep)
        lines.append("Pour une livraison, demande l'adresse complète (ou propose l'adresse enregistrée) puis appelle check_availability en mode delivery.")
        return section("LIVRAISON", lines)
    }

    static func reservations(_ r: RestaurantProfile, services: [DiningServiceInfo]) -> String {
        var lines = ["Le restaurant prend les réservations de table."]
        let advance = r.minReservationAdvanceMin
        lines.append("Réservation au moins \(advance >= 60 && advance % 60 == 0 ? "\(advance / 60) h" : "\(advance) minutes") à l'avance, et au plus \(r.maxReservationAdvanceDays) jours à l'avance.")
        lines.append("Durée moyenne d'un repas : \(r.avgMealDurationMin) minutes.")
        let active = services.filter { $0.isActive && !$0.isPrivate }.sorted { ($0.daysOfWeek.first ?? .monday, $0.startTime) < ($1.daysOfWeek.first ?? .monday, $1.startTime) }
        if active.isEmpty {
            if let seats = r.totalSeats { lines.append("Capacité : \(seats) places.") }
        } else {
            lines.append("Services :")
            for s in active {
                var line = "- \(s.name) : \(daysText(s.daysOfWeek)), de \(s.startTime.french) à \(s.endTime.french)"
                if let last = s.lastSeatingTime { line += ", dernière arrivée à \(last.french)" }
                line += "."
                if s.prepaymentRequired { line += " Prépaiement demandé." }
                lines.append(line)
            }
        }
        lines.append("Appelle toujours check_availability en mode reservation (nombre de personnes, date, heure) avant confirm_reservation.")
        return section("RÉSERVATIONS", lines)
    }

    static func daysText(_ days: [Weekday]) -> String {
        let sorted = Array(Set(days)).sorted()
        if sorted.count == 7 { return "tous les jours" }
        // Consecutive runs read better aloud: "du mardi au samedi".
        if sorted.count >= 3, sorted.last!.rawValue - sorted.first!.rawValue == sorted.count - 1 {
            return "du \(sorted.first!.french) au \(sorted.last!.french)"
        }
        return sorted.map(\.french).joined(separator: ", ")
    }

    static func offers(_ offers: [OfferInfo], currency: String) -> String {
        let active = offers.filter(\.isActive)
        guard !active.isEmpty else { return "" }
        var lines = ["Offres à proposer quand le client réserve (si elles correspondent à sa demande) :"]
        for o in active.sorted(by: { $0.name < $1.name }) {
            var line = "- \(o.name)"
            if let p = o.priceMinor { line += " — \(Money.written(p, currency: currency))" }
            if let d = o.description, !d.isEmpty { line += " — \(d)" }
            switch (o.minPartySize, o.maxPartySize) {
            case (let a?, let b?): line += " (de \(a) à \(b) personnes)"
            case (let a?, nil): line += " (à partir de \(a) personnes)"
            case (nil, let b?): line += " (jusqu'à \(b) personnes)"
            default: break
            }
            if let from = o.validFrom, let to = o.validTo { line += " (du \(from) au \(to))" } else if let to = o.validTo { line += " (jusqu'au \(to))" }
            line += " [offer_id: \(o.id.uuidString.lowercased())]"
            lines.append(line)
        }
        return section("OFFRES", lines)
    }

    static func faq(_ faqs: [FaqEntry]) -> String {
        var lines: [String] = []
        if !faqs.isEmpty {
            lines.append("Réponses validées par le restaurant :")
            for f in faqs { lines.append("Q : \(f.question)\nR : \(f.answer)") }
        }
        lines.append("Si le client pose une question dont la réponse n'est ni ici ni dans la carte, n'invente pas : dis que tu vas transmettre la question au restaurant et appelle log_new_faq.")
        return section("QUESTIONS FRÉQUENTES", lines)
    }

    static func customer(_ caller: KnownCaller?, time: RestaurantTime, currency: String, deliveryEnabled: Bool) -> String {
        guard let c = caller, let name = c.firstName, !name.isEmpty else {
            return section("CLIENT", [
                "Nouveau client (ou client sans prénom enregistré) : demande son prénom au moment de confirmer, et enregistre-le avec save_customer_info"
                    + (deliveryEnabled ? ", avec son adresse s'il se fait livrer." : "."),
                "Le numéro de téléphone est déjà connu : ne le demande pas.",
            ])
        }
        var lines = ["Client connu : \(name). Appelle-le par son prénom. Son numéro est déjà connu : ne le demande pas."]
        if deliveryEnabled, let address = c.formattedAddress {
            var line = "Adresse de livraison enregistrée : \(address)"
            if let n = c.deliveryNotes, !n.isEmpty { line += " (\(n))" }
            lines.append(line + ". Pour une livraison, propose-lui cette adresse avant d'en demander une autre.")
        }
        if c.totalOrders > 0 { lines.append("Il a déjà passé \(c.totalOrders) commande\(c.totalOrders > 1 ? "s" : "") chez nous.") }
        if !c.recentOrders.isEmpty {
            lines.append("Dernières commandes (tu peux proposer « la même chose que la dernière fois ») :")
            for o in c.recentOrders {
                let m = time.local(o.placedAt)
                lines.append("- n°\(o.orderNumber) du \(m.day)/\(String(format: "%02d", m.month)) : \(o.itemsSummary) — \(Money.written(o.totalMinor, currency: currency))")
            }
        }
        return section("CLIENT", lines)
    }

    static func rules(_ r: RestaurantProfile, flags: FeatureFlags) -> String {
        var rules: [String] = []
        let order = flags.deliveryEnabled ? "d'une commande à emporter ou en livraison" : "d'une commande à emporter"
        rules.append("Commence par demander s'il s'agit \(order)\(flags.reservationEnabled ? " ou d'une réservation de table" : "").")
        rules.append("Ne confirme jamais une heure, une livraison ou une réservation avant d'avoir appelé check_availability ; annonce l'heure qu'il renvoie, jamais une heure inventée.")
        rules.append("Avant confirm_order, récapitule chaque article avec ses options, le total et l'heure prévue, puis attends un « oui » clair.")
        rules.append("Après confirm_order, annonce le numéro de commande, le total et l'heure renvoyés par l'outil ; s'ils diffèrent de ce que tu avais dit, corrige-toi simplement.")
        rules.append("Si un outil répond success:false, explique le problème avec la phrase renvoyée et propose une solution.")
        if flags.reservationEnabled {
            rules.append("Réservation : nombre de personnes, date, heure, nom ; check_availability en mode reservation, récapitulatif, accord du client, puis confirm_reservation.")
            rules.append("Pour annuler une réservation : lookup_reservation, fais confirmer laquelle, puis cancel_reservation.")
        }
        if flags.orderStatusEnabled {
            rules.append("Pour savoir où en est une commande : check_order_status. Pour l'annuler : vérifie qu'elle est encore en attente ou confirmée, fais confirmer, puis cancel_order avec son numéro.")
        }
        if flags.agentCanTransfer {
            let cases = r.transferCases.isEmpty ? "si le client demande expressément à parler à quelqu'un ou en cas de réclamation" : "dans ces cas : " + r.transferCases.joined(separator: ", ")
            rules.append("Transfert vers l'équipe \(cases). Préviens le client, puis appelle transfer_call.")
        }
        rules.append("Si le client veut laisser un message à l'équipe, note-le fidèlement avec leave_message.")
        rules.append("Quand tout est réglé, dis au revoir chaleureusement, puis appelle end_call. Ne raccroche jamais sans avoir dit au revoir.")
        return section("RÈGLES", rules.enumerated().map { "\($0.offset + 1). \($0.element)" })
    }
}
