import AlloRestoCore
@testable import AlloRestoServer
import Foundation
import Testing

/// The sentences the agent reads out, built in `Wording/` from the typed refusals of the rules (Core) and of the
/// Store: each case says what is wrong with the names and numbers the caller gave.
@Suite struct ToolWordingTests {
    @Test func pricingRefusalsAreSaidWithTheMenuNames() {
        func said(_ r: PricingRefused) -> Refusal { OrderWording.refusal(r, currency: "EUR") }
        #expect(said(.emptyOrder) == Refusal("empty_order", "La commande est vide : quels articles souhaitez-vous ?"))
        #expect(said(.itemUnknown(number: 42)) == Refusal("item_unknown", "Je ne trouve pas l'article numéro 42 sur la carte."))
        #expect(said(.quantityInvalid(item: "Bruschetta", max: 50))
            == Refusal("quantity_invalid", "La quantité de « Bruschetta » doit être comprise entre 1 et 50."))
        #expect(said(.optionRequired(item: "Margherita", .init(option: "Taille", choices: [.init(label: "Normale"), .init(label: "Grande")])))
            == Refusal("option_required", "Pour « Margherita », il faut choisir : taille (Normale, Grande)."))
        #expect(said(.itemUnavailable(item: "Calzone")) == Refusal("item_unavailable", "Désolé, « Calzone » n'est plus disponible aujourd'hui."))
        #expect(said(.belowMinimum(minimumMinor: 1500, missingMinor: 200))
            == Refusal("below_minimum", "Le minimum pour une livraison est de 15 euros ; il manque 2 euros."))
        let pizzas = PricingRefused.Choices(option: "Pizza", choices: [.init(number: 2, label: "Margherita"), .init(number: 3, label: "Regina")])
        #expect(said(.notInFormule(item: "Formule Midi", said: .text("Truffe"), pizzas))
            == Refusal("choice_invalid", "Pour « Formule Midi », « Truffe » n'est pas possible en pizza ; au choix : #2 Margherita, #3 Regina."))
        // A fixed choice said by position is "n° 4"; a formule's item by its number is "#4".
        let size = PricingRefused.Choices(option: "Taille", choices: [.init(label: "Normale"), .init(label: "Grande")])
        #expect(said(.notAChoice(item: "Margherita", said: .number(4), size)).message
            == "Pour « Margherita », « n° 4 » n'existe pas en taille ; au choix : Normale, Grande.")
        #expect(said(.choiceUnknown(item: "Margherita", said: .number(4), among: [size])).message
            == "Pour « Margherita », « #4 » n'est pas un choix possible ; au choix : taille (Normale, Grande).")
        #expect(said(.choiceAmbiguous(item: "Salade", said: .text("Bleu"), options: ["Fromage", "Sauce"])).message
            == "Pour « Salade », « Bleu » peut être fromage ou sauce : lequel ?")
        #expect(said(.optionUnknown(item: "Margherita", name: "Cuisson", options: ["Taille", "Suppléments"])).message
            == "« Margherita » n'a pas d'option « Cuisson » ; les options sont « Taille », « Suppléments ».")
        #expect(said(.noOption(item: "Tiramisu", said: .nothing)).message == "« Tiramisu » n'a pas d'option : « ? » n'est pas possible.")
        #expect(said(.outOfRange(distanceKm: 7.24, radiusKm: 5)).message == "Désolé, cette adresse est à 7,2 km : nous livrons jusqu'à 5 km.")
        // One way to say a distance everywhere (DeliveryQuote.km): a whole number has no ",0".
        #expect(said(.outOfRange(distanceKm: 7.0, radiusKm: 4.5)).message == "Désolé, cette adresse est à 7 km : nous livrons jusqu'à 4,5 km.")
    }

    /// Thursday 26 November 2026, Paris: lunch 11:30–14:30, dinner from 18:30.
    static func rules(services: [DiningServiceInfo]) throws -> (ReservationRules, RestaurantTime) {
        var p = RestaurantProfile(id: UUID(), name: "T")
        p.openingHours = try JSONDecoder().decode(
            WeeklyHours.self, from: Data(#"{"thursday": {"open": "11:30", "close": "14:30", "open2": "18:30", "close2": "23:00"}}"#.utf8))
        p.reservationEnabled = true
        p.totalSeats = 60
        p.minReservationAdvanceMin = 60
        p.maxReservationAdvanceDays = 30
        return (ReservationRules(restaurant: p, services: services, tableSeats: nil), RestaurantTime(identifier: "Europe/Paris"))
    }

    @Test func bookingRefusalsNameTheServicesTheAdvanceAndTheOpening() throws {
        func t(_ s: String) -> TimeOfDay { TimeOfDay(parsing: s)! }
        let lunch = DiningServiceInfo(id: UUID(), name: "Déjeuner", daysOfWeek: [.thursday], startTime: t("12:00"), endTime: t("14:30"),
                                      lastSeatingTime: t("13:45"), maxCovers: 40)
        let (withLunch, clock) = try Self.rules(services: [lunch])
        let at = { (s: String) in clock.instant(LocalDate(iso: "2026-11-26")!, t(s)) }
        let now = at("09:00")
        func said(_ r: ReservationRules.Refused, _ rules: ReservationRules) -> Refusal { ReservationWording.refusal(r, rules: rules, now: now) }
        #expect(said(.noService(time: t("14:00"), day: .thursday), withLunch)
            == Refusal("no_service", "Nous ne prenons pas de réservation à 14h le jeudi. Les services : Déjeuner de 12h à 13h45."))
        #expect(said(.noService(time: t("14:00"), day: .friday), withLunch).message == "Nous ne prenons pas de réservation le vendredi.")
        let (plain, _) = try Self.rules(services: [])
        #expect(said(.tooSoon(at: at("09:30"), minAdvanceMin: 60), plain).message.contains("au moins une heure à l'avance"))
        #expect(Spoken.duration(90) == "1 heure 30" && Spoken.duration(45) == "45 minutes" && Spoken.duration(120) == "2 heures")
        let closed = said(.closed(at: at("16:00"), nextOpening: at("18:30")), plain)
        #expect(closed.code == "closed" && closed.message == "Le restaurant est fermé à 16h. Il ouvre à 18h30.")
        #expect(said(.partyTooLarge(partySize: 70), plain) == Refusal("party_too_large", "Nous ne pouvons pas accueillir 70 personnes."))
    }

    @Test func timeRefusalsAskBack() {
        let wed = LocalDate(iso: "2026-11-25")!
        #expect(CallerWording.sentence(.missingTime(date: "samedi")) == "À quelle heure, le samedi ?")
        #expect(CallerWording.sentence(.timePast(wed, TimeOfDay(parsing: "19:30")!, today: true)) == "19h30 est déjà passé : à quelle heure souhaitez-vous ?")
        #expect(CallerWording.sentence(.timePast(wed, TimeOfDay(parsing: "19:30")!, today: false)).hasPrefix("Le mercredi 25 novembre à 19h30 est déjà passé"))
        let e = APIError(RequestedTime.Refused(field: "reservationDate", .dateNotUnderstood("lundi prochain-ish")))
        #expect(e.status == .unprocessableContent && e.field == "reservationDate" && e.code == "date_not_understood")
        #expect(e.message.contains("« lundi prochain-ish »"))
    }

    @Test func timesAreSpokenAfterTheirVerb() {
        #expect(Spoken.at("19h") == "à 19h" && Spoken.at("demain à 11h30") == "demain à 11h30")
        #expect(Spoken.around("19h") == "vers 19h" && Spoken.around("samedi 28 novembre à 20h") == "samedi 28 novembre à 20h")
        #expect(Spoken.count(1, "place") == "1 place" && Spoken.count(3, "place") == "3 places")
        #expect(OrderWording.status(latest: (12, "en préparation", TimeOfDay(parsing: "19:45")))
            == "Dernière commande : numéro 12, en préparation, prévue vers 19h45.")
        #expect(OrderWording.status(latest: nil).hasPrefix("Je ne trouve pas de commande"))
    }

    @Test func deliveryRefusalsKeepTheirWireCodes() {
        #expect(DeliveryWording.refusal(.outOfRange(roadKm: 7.24, radiusKm: 5))
            == Refusal("out_of_range", "Désolé, cette adresse est à 7,2 km du restaurant : nous livrons jusqu'à 5 km."))
        #expect(DeliveryWording.refusal(.addressUnplaceable).code == "address_not_found")
        #expect(DeliveryWording.refusal(.addressNotFound).code == "address_not_found")
        #expect(DeliveryWording.refusal(.geocoderUnavailable).code == "geocoder_unavailable")
        #expect(DeliveryWording.refusal(.addressMissing) == Refusal("address_missing", "Quelle est l'adresse de livraison ?"))
    }
}
