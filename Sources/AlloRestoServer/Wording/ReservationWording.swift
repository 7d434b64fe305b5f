import AlloRestoCore
import AlloRestoStore
import Foundation

/// What the reservation tools show and say: a reservation as JSON, the sentence of a booking (new or replayed,
/// from the same facts), the booking rules' and the store's refusals, a cancellation and a lookup.
enum ReservationWording {
    /// A reservation as the tools and the back office's API show it (local date and time, spoken date, service).
    static func json(_ r: ReservationBook.Facts, clock: RestaurantTime, services: [DiningServiceInfo]) -> JSONValue {
        let local = clock.local(r.reservationTime)
        func opt(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        func id(_ u: UUID?) -> JSONValue { opt(u?.uuidString.lowercased()) }
        let serviceName: String? = r.serviceId.flatMap { sid in services.first { $0.id == sid }?.name }
        var o: [String: JSONValue] = [:]
        o["id"] = id(r.id)
        o["date"] = .string(local.date.description)
        o["time"] = .string(local.time.description)
        o["dateSpoken"] = .string("\(local.date.french) à \(local.time.french)")
        o["reservationTime"] = .string(r.reservationTime.formatted(.iso8601))
        o["endTime"] = .string(r.endTime.formatted(.iso8601))
        o["partySize"] = .int(r.partySize)
        o["status"] = .string(r.status)
        o["customerName"] = opt(r.customerName)
        o["customerPhone"] = opt(r.customerPhone)
        o["serviceId"] = id(r.serviceId)
        o["serviceName"] = opt(serviceName)
        o["seatingPreference"] = opt(r.seatingPreference)
        o["notes"] = opt(r.notes)
        o["offerId"] = id(r.offerId)
        o["source"] = .string(r.source)
        return .object(o)
    }

    /// A stored reservation as JSON.
    static func json(_ r: Reservation, clock: RestaurantTime, services: [DiningServiceInfo]) -> JSONValue {
        json(ReservationBook.Facts(r), clock: clock, services: services)
    }

    /// The answer of `confirm_reservation` for a booking: the sentence (spoken relative to when it was booked),
    /// the reservation, and its id.
    static func booked(_ b: ReservationBook.Booked, rules: ReservationRules, services: [DiningServiceInfo]) -> JSONValue {
        let r = b.reservation
        let party = r.partySize
        var sentence = "C'est noté : une table pour \(Spoken.people(party)) \(Spoken.at(rules.schedule.spoken(r.reservationTime, now: b.bookedAt)))"
        if let name = r.customerName { sentence += ", au nom de \(name)" }
        sentence += "."
        if r.status == "pending" { sentence += " Ce service demande un prépaiement : le restaurant vous recontactera pour confirmer." }
        let out = json(r, clock: rules.time, services: services)
        return .object(["success": true, "message": .string(sentence), "reservation": out, "id": out["id"] ?? .null])
    }

    /// The refusal of a booking, a move or a status change.
    static func refusal(_ r: ReservationBook.Refused) -> Refusal {
        switch r {
        case .full(let left, let party):
            Refusal("full", left == 0
                ? "C'est complet à cette heure-là."
                : "Il ne reste que \(Spoken.count(left, "place")) à cette heure-là, pas assez pour \(party) personnes.")
        case .notFound: Refusal("reservation_not_found", "Réservation introuvable pour ce restaurant.")
        case .notFoundForCaller: Refusal("reservation_not_found", "Je ne trouve pas cette réservation à votre numéro de téléphone.")
        case .notMovable(let status): Refusal("not_movable", "Une réservation \(status) ne peut plus changer d'heure ni de couverts.")
        case .alreadyCancelled: Refusal("already_cancelled", "Cette réservation est déjà annulée.")
        case .invalidTransition(let from, let to):
            Refusal("invalid_transition", to == "cancelled" ? "Cette réservation ne peut plus être annulée." : "Une réservation \(from) ne peut pas passer à \(to).")
        case .changedMeanwhile: Refusal("invalid_transition", "Cette réservation vient d'être modifiée : elle ne peut plus changer.")
        }
    }

    /// The refusal of a time or party the booking rules do not take, spoken relative to `now`.
    static func refusal(_ r: ReservationRules.Refused, rules: ReservationRules, now: Date) -> Refusal {
        let schedule = rules.schedule
        let sentence: String = switch r {
        case .disabled: "Le restaurant ne prend pas de réservation par téléphone."
        case .invalidPartySize: "Pour combien de personnes souhaitez-vous réserver ?"
        case .tooSoon(let at, let minutes):
            "Il faut réserver au moins \(Spoken.duration(minutes)) à l'avance : je ne peux pas réserver pour \(schedule.spoken(at, now: now))."
        case .tooFar(let days, let lastDay): "Nous prenons les réservations jusqu'à \(days) jours à l'avance, pas au-delà du \(lastDay.french)."
        case .noService(let time, let day):
            if case let list = rules.services(on: day), !list.isEmpty {
                "Nous ne prenons pas de réservation à \(time.french) le \(day.french). Les services : "
                    + list.map { "\($0.name) de \($0.startTime.french) à \(($0.lastSeatingTime ?? $0.endTime).french)" }.joined(separator: " et ") + "."
            } else {
                "Nous ne prenons pas de réservation le \(day.french)."
            }
        case .partyTooLargeForService(let party, let service): "Nous ne pouvons pas accueillir \(party) personnes sur le service \(service)."
        case .closed(let at, let next):
            "Le restaurant est fermé \(Spoken.at(schedule.spoken(at, now: now)))."
                + (next.map { " Il ouvre \(Spoken.at(schedule.spoken($0, now: now)))." } ?? "")
        case .noCapacity: "Je ne peux pas réserver de table pour le moment : je peux laisser un message au restaurant."
        case .partyTooLarge(let party): "Nous ne pouvons pas accueillir \(party) personnes."
        }
        return Refusal(r.code, sentence)
    }

    /// The answer to a status change: a cancellation with its local date, time and party; another status named.
    static func changed(_ r: Reservation, to status: String, clock: RestaurantTime) -> String {
        let local = clock.local(r.reservationTime)
        return status == "cancelled"
            ? "La réservation du \(local.date.french) à \(local.time.french) pour \(Spoken.people(r.partySize)) est annulée."
            : "La réservation est maintenant \(status)."
    }

    /// `find_reservation`'s sentence: the next upcoming booking (and how many there are), none, or no caller number.
    static func found(_ upcoming: [Reservation]?, clock: RestaurantTime) -> String {
        guard let upcoming else { return "Je n'ai pas votre numéro : je ne peux pas retrouver la réservation." }
        guard let first = upcoming.first else { return "Je ne trouve aucune réservation à venir à votre numéro." }
        let local = clock.local(first.reservationTime)
        return upcoming.count == 1
            ? "Vous avez une réservation le \(local.date.french) à \(local.time.french) pour \(Spoken.people(first.partySize))."
            : "Vous avez \(upcoming.count) réservations ; la prochaine le \(local.date.french) à \(local.time.french)."
    }
}
