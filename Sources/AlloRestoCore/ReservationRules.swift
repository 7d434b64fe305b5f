import Foundation

/// Where and how long a party would sit, and how many covers that time allows in total.
public struct ReservationSlot: Sendable, Hashable {
    public var start: Date
    public var end: Date
    public var capacity: Int
    public var service: DiningServiceInfo?
}

/// The booking rules of SPEC §6 that need no database: enabled, party size, advance limits, the dining service
/// (or opening hours) that covers the time, and the capacity that applies. Seats already taken are counted by
/// the store, inside the transaction that creates the reservation.
public struct ReservationRules: Sendable {
    public let restaurant: RestaurantProfile
    public let services: [DiningServiceInfo]
    /// Seats of the active tables, when tables are set up.
    public let tableSeats: Int?
    public let schedule: OpeningSchedule

    public init(restaurant: RestaurantProfile, services: [DiningServiceInfo], tableSeats: Int?) {
        self.restaurant = restaurant
        self.services = services.filter { $0.isActive && !$0.isPrivate }
        self.tableSeats = tableSeats.flatMap { $0 > 0 ? $0 : nil }
        schedule = OpeningSchedule(restaurant, forOrders: false)
    }

    public var time: RestaurantTime { schedule.time }

    static func duration(_ minutes: Int) -> String {
        if minutes % 60 == 0 { return minutes == 60 ? "une heure" : "\(minutes / 60) heures" }
        if minutes > 60 { return "\(minutes / 60) heure\(minutes >= 120 ? "s" : "") \(minutes % 60)" }
        return "\(minutes) minutes"
    }

    /// The service whose seating window (start … last seating) contains the local time of `t`.
    public func service(at t: Date) -> DiningServiceInfo? {
        let local = time.local(t)
        let yesterday = local.date.adding(days: -1).weekday
        for s in services {
            let last = s.lastSeatingTime ?? s.endTime
            if last >= s.startTime {
                if s.daysOfWeek.contains(local.weekday), local.time >= s.startTime, local.time <= last { return s }
            } else {
                // Seating runs past midnight.
                if s.daysOfWeek.contains(local.weekday), local.time >= s.startTime { return s }
                if s.daysOfWeek.contains(yesterday), local.time <= last { return s }
            }
        }
        return nil
    }

    /// The seating windows of a local day, spoken: `Déjeuner de 12h à 13h45 et Dîner de 19h à 22h`.
    public func spokenServices(on day: Weekday) -> String? {
        let list = services.filter { $0.daysOfWeek.contains(day) }.sorted { $0.startTime < $1.startTime }
        guard !list.isEmpty else { return nil }
        return list.map { "\($0.name) de \($0.startTime.french) à \(($0.lastSeatingTime ?? $0.endTime).french)" }.joined(separator: " et ")
    }

    /// Checks everything but the seats already taken; gives the time span and the capacity to check them against.
    public func slot(at t: Date, partySize: Int, now: Date) -> Result<ReservationSlot, Refusal> {
        let r = restaurant
        guard r.reservationEnabled else {
            return .failure(Refusal("reservations_disabled", "Le restaurant ne prend pas de réservation par téléphone."))
        }
        guard (1...100).contains(partySize) else {
            return .failure(Refusal("invalid_party_size", "Pour combien de personnes souhaitez-vous réserver ?"))
        }
        let earliest = now.addingTimeInterval(TimeInterval(r.minReservationAdvanceMin * 60))
        if t < earliest {
            return .failure(Refusal("too_soon", "Il faut réserver au moins \(Self.duration(r.minReservationAdvanceMin)) à l'avance : je ne peux pas réserver pour \(schedule.spoken(t, now: now))."))
        }
        let lastDay = time.localDate(now).adding(days: r.maxReservationAdvanceDays)
        if time.localDate(t) > lastDay {
            return .failure(Refusal("too_far", "Nous prenons les réservations jusqu'à \(r.maxReservationAdvanceDays) jours à l'avance, pas au-delà du \(lastDay.french)."))
        }
        let local = time.local(t)
        if !services.isEmpty {
            guard let s = service(at: t) else {
                if let list = spokenServices(on: local.weekday) {
                    return .failure(Refusal("no_service", "Nous ne prenons pas de réservation à \(local.time.french) le \(local.weekday.french). Les services : \(list)."))
                }
                return .failure(Refusal("no_service", "Nous ne prenons pas de réservation le \(local.weekday.french)."))
            }
            guard partySize <= s.maxCovers else {
                return .failure(Refusal("party_too_large", "Nous ne pouvons pas accueillir \(partySize) personnes sur le service \(s.name)."))
            }
            return .success(ReservationSlot(start: t, end: t.addingTimeInterval(TimeInterval(s.defaultDurationMin * 60)), capacity: s.maxCovers, service: s))
        }
        guard schedule.isOpen(at: t) else {
            var sentence = "Le restaurant est fermé \(schedule.spoken(t, now: now))."
            if let next = schedule.nextOpening(after: t) { sentence += " Il ouvre \(schedule.spoken(next, now: now))." }
            return .failure(Refusal("closed", sentence))
        }
        guard let capacity = tableSeats ?? r.totalSeats, capacity > 0 else {
            return .failure(Refusal("no_capacity", "Je ne peux pas réserver de table pour le moment : je peux laisser un message au restaurant."))
        }
        guard partySize <= capacity else {
            return .failure(Refusal("party_too_large", "Nous ne pouvons pas accueillir \(partySize) personnes."))
        }
        return .success(ReservationSlot(start: t, end: t.addingTimeInterval(TimeInterval(r.avgMealDurationMin * 60)), capacity: capacity, service: nil))
    }

    /// Offers that can be proposed to this party on that local date.
    public func offers(_ all: [OfferInfo], partySize: Int, date: LocalDate) -> [OfferInfo] {
        all.filter { o in
            o.isActive
                && (o.minPartySize ?? 1) <= partySize && partySize <= (o.maxPartySize ?? Int.max)
                && (o.validFrom.flatMap(LocalDate.init(iso:)).map { $0 <= date } ?? true)
                && (o.validTo.flatMap(LocalDate.init(iso:)).map { date <= $0 } ?? true)
        }
    }
}
