import AlloRestoCore
import Foundation

/// What `check_availability` says: the time the kitchen can promise (pickup, delivery with its fee), why it
/// cannot (orders paused, closed, full) with the next possible time, and whether a table is free — times spoken
/// relative to `now` in the restaurant's schedule.
enum AvailabilityWording {
    /// Orders are paused; `resume` is when they start again (the next opening after the pause's end or the time
    /// asked, whichever is later). Reservations are not concerned.
    static func ordersPaused(resume: Date?, schedule: OpeningSchedule, now: Date) -> String {
        "Le restaurant ne prend plus de commandes pour aujourd'hui."
            + (resume.map { " Les commandes reprennent \(Spoken.at(schedule.spoken($0, now: now)))." } ?? "")
    }

    /// The promised time of a pickup or delivery; `shifted` when it is later than the time asked (the kitchen is
    /// busy); a delivery adds its distance (km, when measured), fee, free threshold and minimum.
    static func planned(delivery: Bool, promised: Date, shifted: Bool, distanceKm: Double?, restaurant r: RestaurantProfile,
                        schedule: OpeningSchedule, now: Date) -> String {
        let when = schedule.spoken(promised, now: now)
        var message = delivery
            ? "Livraison possible \(Spoken.around(when))"
            : "La commande peut être prête \(Spoken.at(when))"
        if shifted { message = "Pas à l'heure demandée : la cuisine est chargée. " + message }
        if delivery {
            if let distanceKm { message += " (\(DeliveryQuote.km(distanceKm)) km)" }
            message += ". Frais de livraison : \(Money.spoken(r.deliveryFeeMinor, currency: r.currency))"
            if let free = r.deliveryFreeAboveMinor { message += ", offerts dès \(Money.spoken(free, currency: r.currency))" }
            if r.minOrderAmountMinor > 0 { message += ", minimum de commande \(Money.spoken(r.minOrderAmountMinor, currency: r.currency))" }
        }
        return message + "."
    }

    /// The restaurant does not deliver.
    static let deliveryDisabled = "Le restaurant ne livre pas : la commande est à venir chercher sur place."

    /// Closed at the time asked: when it opens, and the first time an order could be ready.
    static func closed(opening: Date?, feasible: Date?, schedule: OpeningSchedule, now: Date) -> String {
        var message = "Le restaurant est fermé à ce moment-là."
        if let opening { message += " Il ouvre \(Spoken.at(schedule.spoken(opening, now: now)))." }
        if let feasible { message += " Je peux vous proposer \(Spoken.at(schedule.spoken(feasible, now: now)))." }
        return message
    }

    /// The kitchen is full at the time asked: the first possible time.
    static func full(feasible: Date?, schedule: OpeningSchedule, now: Date) -> String {
        "La cuisine est complète à ce moment-là."
            + (feasible.map { " Le premier horaire possible est \(Spoken.at(schedule.spoken($0, now: now)))." } ?? "")
    }

    /// A table is free for `party` at `when` (spoken); the offers the party may take are named.
    static func tableFree(party: Int, when: String, offers: [String]) -> String {
        "Une table pour \(Spoken.people(party)) est disponible \(Spoken.at(when))."
            + (offers.isEmpty ? "" : " Nous proposons aussi : " + offers.joined(separator: ", ") + ".")
    }

    /// Not enough seats at `when` (`left` remain): nearby times that are free, if any.
    static func tableFull(left: Int, when: String, alternatives: [TimeOfDay]) -> String {
        (left == 0 ? "C'est complet \(Spoken.at(when))." : "Il ne reste que \(Spoken.count(left, "place")) \(Spoken.at(when)).")
            + (alternatives.isEmpty ? "" : " Je peux vous proposer " + alternatives.map(\.french).joined(separator: " ou ") + ".")
    }
}
