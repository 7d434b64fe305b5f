import AlloRestoCore
import AlloRestoStore
import Foundation

/// What the order tools say: `confirm_order`'s confirmation of a placed order (new or replayed, from the same
/// facts), its pricing and kitchen refusals, `cancel_order` and `get_order_status`, in the French the agent reads out.
enum OrderWording {
    /// The JSON answer of `confirm_order` (field names are the wire contract of sip-agent-server's tool).
    struct Confirmed: Encodable {
        let success = true
        let order_id: String
        let order_number: Int
        let message: String
        let heure_estimee: String
        let mode: String
        let total: Double
        let subtotal: Double
        let delivery_fee: Double
        let items_summary: String
        /// Set when the model announced another total: the agent must correct itself.
        let total_corrected: Bool
    }

    /// The answer to a placed order, its times spoken relative to when it was placed.
    static func confirmed(_ c: OrderBook.Confirmation, schedule: OpeningSchedule, currency: String) -> Confirmed {
        let delivery = c.orderType == OrderType.delivery.rawValue
        let spoken = schedule.spoken(c.readyAt, now: c.placedAt)
        let when = delivery ? "livrée \(Spoken.around(spoken))" : "prête \(Spoken.at(spoken))"
        let total = Money.spoken(c.totalMinor, currency: currency)
        let corrected = c.statedTotalMinor.map { $0 != c.totalMinor } ?? false
        return Confirmed(
            order_id: c.orderId.uuidString.lowercased(), order_number: c.orderNumber,
            message: "Commande numéro \(c.orderNumber) enregistrée : \(total), \(when)."
                + (corrected ? " Attention : le total exact est de \(total)." : ""),
            heure_estimee: schedule.time.local(c.readyAt).time.description, mode: delivery ? "livree" : "prete",
            total: Money.decimal(c.totalMinor, currency: currency), subtotal: Money.decimal(c.subtotalMinor, currency: currency),
            delivery_fee: Money.decimal(c.deliveryFeeMinor, currency: currency), items_summary: c.summary, total_corrected: corrected)
    }

    /// What the order asked of the kitchen, for its refusal: the time announced by `check_availability` (kept
    /// exactly) and whether the basket grew since that check.
    struct Asked {
        var announced: Date?
        var exact: Bool
        var grown: Bool
        var itemCount: Int
        var now: Date
    }

    /// The refusal when the kitchen cannot take the order: closed (with when it opens and when it could be
    /// ready), the announced slot taken or too small, or full (with the first possible time).
    static func refusal(_ outcome: Scheduling, asked: Asked, schedule: OpeningSchedule) -> Refusal {
        let now = asked.now
        switch outcome {
        case .planned:
            return Refusal("kitchen_full", "La cuisine ne peut pas prendre la commande.")
        case .closed(let opening, let feasible):
            var sentence = "Le restaurant est fermé à ce moment-là."
            if let opening { sentence += " Il ouvre \(Spoken.at(schedule.spoken(opening, now: now)))." }
            if let feasible { sentence += " La commande pourrait être prête \(Spoken.at(schedule.spoken(feasible, now: now)))." }
            return Refusal("closed", sentence)
        case .full(let feasible):
            let slot = schedule.time.local(asked.announced ?? now).time.french
            var sentence = asked.exact
                ? (asked.grown ? "Pour \(asked.itemCount) articles, le créneau de \(slot) ne suffit pas (il était prévu pour une commande plus petite)."
                               : "Le créneau de \(slot) vient d'être pris.")
                : "La cuisine est complète pour le moment."
            if let feasible { sentence += " Le premier horaire possible est \(Spoken.at(schedule.spoken(feasible, now: now))) : est-ce que cela convient ?" }
            return Refusal(asked.exact ? (asked.grown ? "slot_too_small" : "slot_taken") : "kitchen_full", sentence)
        }
    }

    /// The refusal of a caller's cancellation of order `number`.
    static func refusal(_ r: OrderBook.CancelRefused, number: Int) -> Refusal {
        switch r {
        case .notFound: Refusal("order_not_found", "Je ne trouve pas de commande numéro \(number) à votre numéro de téléphone.")
        case .alreadyCancelled: Refusal("already_cancelled", "La commande numéro \(number) est déjà annulée.")
        case .completed: Refusal("order_completed", "La commande numéro \(number) a déjà été remise : elle ne peut plus être annulée.")
        case .inProgress:
            Refusal("order_in_progress", "La commande numéro \(number) est déjà en préparation : elle ne peut plus être annulée. Je peux vous passer le restaurant ou laisser un message.")
        case .startedMeanwhile: Refusal("order_in_progress", "La commande numéro \(number) vient de passer en préparation : elle ne peut plus être annulée.")
        }
    }

    /// The answer to a cancelled order.
    static func cancelled(number: Int) -> String { "La commande numéro \(number) est annulée." }

    /// The refusal of an order the menu cannot price as described, in `currency` for amounts.
    static func refusal(_ r: PricingRefused, currency: String) -> Refusal {
        func said(_ s: PricingRefused.Said, number: String = "#") -> String {
            switch s {
            case .text(let t): t
            case .number(let n): "\(number)\(n)"
            case .nothing: "?"
            }
        }
        func list(_ c: PricingRefused.Choices) -> String {
            c.choices.map { choice in choice.number.map { "#\($0) \(choice.label)" } ?? choice.label }.joined(separator: ", ")
        }
        let money = { (m: Int) in Money.spoken(m, currency: currency) }
        let sentence: String = switch r {
        case .emptyOrder: "La commande est vide : quels articles souhaitez-vous ?"
        case .deliveryUnavailable: "Désolé, nous ne faisons pas de livraison : la commande peut être à emporter."
        case .itemUnknown(let number): "Je ne trouve pas l'article numéro \(number) sur la carte."
        case .itemUnavailable(let item): "Désolé, « \(item) » n'est plus disponible aujourd'hui."
        case .quantityInvalid(let item, let max): "La quantité de « \(item) » doit être comprise entre 1 et \(max)."
        case .optionRequired(let item, let c): "Pour « \(item) », il faut choisir : \(c.option.lowercased()) (\(list(c)))."
        case .tooManyChoices(let item, let option, let limit): "Pour « \(item) », \(option.lowercased()) : \(limit) choix au maximum."
        case .noOption(let item, let s): "« \(item) » n'a pas d'option : « \(said(s)) » n'est pas possible."
        case .optionUnknown(let item, let name, let options):
            "« \(item) » n'a pas d'option « \(name) » ; les options sont \(options.map { "« \($0) »" }.joined(separator: ", "))."
        case .choiceUnknown(let item, let s, let among):
            "Pour « \(item) », « \(said(s)) » n'est pas un choix possible ; au choix : \(among.map { "\($0.option.lowercased()) (\(list($0)))" }.joined(separator: " ; "))."
        case .choiceAmbiguous(let item, let s, let options):
            "Pour « \(item) », « \(said(s)) » peut être \(options.map { $0.lowercased() }.joined(separator: " ou ")) : lequel ?"
        case .notInFormule(let item, let s, let c):
            "Pour « \(item) », « \(said(s)) » n'est pas possible en \(c.option.lowercased()) ; au choix : \(list(c))."
        case .notAChoice(let item, let s, let c):
            "Pour « \(item) », « \(said(s, number: "n° ")) » n'existe pas en \(c.option.lowercased()) ; au choix : \(list(c))."
        case .belowMinimum(let minimum, let missing): "Le minimum pour une livraison est de \(money(minimum)) ; il manque \(money(missing))."
        case .outOfRange(let km, let radius):
            "Désolé, cette adresse est à \(DeliveryQuote.km(km)) km : nous livrons jusqu'à \(DeliveryQuote.km(radius)) km."
        }
        return Refusal(r.code, sentence)
    }

    /// `get_order_status`'s sentence: the latest order of the last 24 hours (number, status label, expected
    /// local time), or none.
    static func status(latest: (number: Int, label: String, readyAt: TimeOfDay?)?) -> String {
        guard let latest else { return "Je ne trouve pas de commande passée depuis ce numéro dans les dernières 24 heures." }
        return "Dernière commande : numéro \(latest.number), \(latest.label)" + (latest.readyAt.map { ", prévue vers \($0.french)" } ?? "") + "."
    }
}
