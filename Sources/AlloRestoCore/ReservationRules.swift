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

    /// The active public services seating on a local day, by start time.
    public func services(on day: Weekday) -> [DiningServiceInfo] {
        services.filter { $0.daysOfWeek.contains(day) }.sorted { $0.startTime < $1.startTime }
    }

    /// Why a time cannot be booked (SPEC §6): each case carries what a sentence needs; the sentence is the Server's.
    public enum Refused: Error, Sendable, Hashable {
        case disabled
        case invalidPartySize
        /// Before the minimum advance (`minAdvanceMin` minutes from now).
        case tooSoon(at: Date, minAdvanceMin: Int)
        /// Beyond the last bookable day.
        case tooFar(maxDays: Int, lastDay: LocalDate)
        /// No service seats at that time; `day` may have other services.
        case noService(time: TimeOfDay, day: Weekday)
        case partyTooLargeForService(partySize: Int, service: String)
        /// Without services: the restaurant is closed then.
        case closed(at: Date, nextOpening: Date?)
        case noCapacity
        case partyTooLarge(partySize: Int)

        /// The wire code (`{success:false, code}`, `check_availability`'s `reason`).
        public var code: String {
            switch self {
            case .disabled: "reservations_disabled"
            case .invalidPartySize: "invalid_party_size"
            case .tooSoon: "too_soon"
            case .tooFar: "too_far"
            case .noService: "no_service"
            case .partyTooLargeForService, .partyTooLarge: "party_too_large"
            case .closed: "closed"
            case .noCapacity: "no_capacity"
            }
        }
    }

    /// Checks everything but the seats already taken; gives the time span and the capacity to check them against.
    public func slot(at t: Date, partySize: Int, now: Date) -> Result<ReservationSlot, Refused> {
        let r = restaurant
        guard r.reservationEnabled else {
            return .failure(.disabled)
        }
        guard (1...100).contains(partySize) else {
            return .failure(.invalidPartySize)
        }
        let earliest = now.addingTimeInterval(TimeInterval(r.minReservationAdvanceMin * 60))
        if t < earliest {
            return .failure(.tooSoon(at: t, minAdvanceMin: r.minReservationAdvanceMin))
        }
        let lastDay = time.localDate(now).adding(days: r.maxReservationAdvanceDays)
        if time.localDate(t) > lastDay {
            return .failure(.tooFar(maxDays: r.maxReservationAdvanceDays, lastDay: lastDay))
        }
        let local = time.local(t)
        if !services.isEmpty {
            guard let s = service(at: t) else { return .failure(.noService(time: local.time, day: local.weekday)) }
            guard partySize <= s.maxCovers else {
                return .failure(.partyTooLargeForService(partySize: partySize, service: s.name))
            }
            return .success(ReservationSlot(start: t, end: t.addingTimeInterval(TimeInterval(s.defaultDurationMin * 60)), capacity: s.maxCovers, service: s))
        }
        guard schedule.isOpen(at: t) else {
            return .failure(.closed(at: t, nextOpening: schedule.nextOpening(after: t)))
        }
        guard let capacity = tableSeats ?? r.totalSeats, capacity > 0 else {
            return .failure(.noCapacity)
        }
        guard partySize <= capacity else {
            return .failure(.partyTooLarge(partySize: partySize))
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
