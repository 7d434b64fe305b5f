import AlloRestoCore
import AlloRestoStore
import Foundation

/// What the reservation tools show and say: a reservation as JSON, and the sentence of a booking (new or replayed,
/// from the same facts).
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
        var sentence = "C'est noté : une table pour \(party) personne\(party > 1 ? "s" : "") \(AvailabilityRoutes.at(rules.schedule.spoken(r.reservationTime, now: b.bookedAt)))"
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
                : "Il ne reste que \(left) place\(left > 1 ? "s" : "") à cette heure-là, pas assez pour \(party) personnes.")
        case .notFound: Refusal("reservation_not_found", "Réservation introuvable pour ce restaurant.")
        case .notFoundForCaller: Refusal("reservation_not_found", "Je ne trouve pas cette réservation à votre numéro de téléphone.")
        case .notMovable(let status): Refusal("not_movable", "Une réservation \(status) ne peut plus changer d'heure ni de couverts.")
        case .alreadyCancelled: Refusal("already_cancelled", "Cette réservation est déjà annulée.")
        case .invalidTransition(let from, let to):
            Refusal("invalid_transition", to == "cancelled" ? "Cette réservation ne peut plus être annulée." : "Une réservation \(from) ne peut pas passer à \(to).")
        case .changedMeanwhile: Refusal("invalid_transition", "Cette réservation vient d'être modifiée : elle ne peut plus changer.")
        }
    }
}
