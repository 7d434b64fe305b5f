import Foundation

/// Weekly opening hours laid out on real instants in the restaurant's time zone (daylight saving included):
/// the question "is it open at this instant, and if not when does it open" that availability asks.
public struct OpeningSchedule: Sendable {
    public let hours: WeeklyHours
    public let time: RestaurantTime
    /// Spans closed whatever the weekly hours say: exceptional closures, and for orders "no more orders tonight".
    public let closed: [DateInterval]

    public init(hours: WeeklyHours, time: RestaurantTime, closed: [DateInterval] = []) {
        self.hours = hours
        self.time = time
        self.closed = closed.filter { $0.duration > 0 }.sorted { $0.start < $1.start }
    }

    /// The schedule of a restaurant: its hours and exceptional closures; with `forOrders`, also closed until the
    /// end of an order pause ("plus de commandes ce soir").
    public init(_ r: RestaurantProfile, forOrders: Bool) {
        let time = RestaurantTime(identifier: r.timezone)
        var closed = r.closures.map { $0.interval(time) }
        if forOrders, let until = r.ordersPausedUntil { closed.append(DateInterval(start: .distantPast, end: max(.distantPast, until))) }
        self.init(hours: r.openingHours, time: time, closed: closed)
    }

    /// Hours not set at all: no restriction (a restaurant imported without hours still takes orders; the
    /// prompt then says nothing about hours either).
    public var unrestricted: Bool { hours.isEmpty }

    /// `intervals` minus the closed spans.
    static func subtract(_ closed: [DateInterval], from open: [DateInterval]) -> [DateInterval] {
        guard !closed.isEmpty else { return open }
        var result: [DateInterval] = []
        for var piece in open {
            var keep = true
            for c in closed where c.end > piece.start && c.start < piece.end {
                if c.start > piece.start { result.append(DateInterval(start: piece.start, end: c.start)) }
                if c.end < piece.end { piece = DateInterval(start: c.end, end: piece.end) } else { keep = false; break }
            }
            if keep { result.append(piece) }
        }
        return result
    }

    /// The opening intervals touching `[from, to]`, merged, in order. A range whose close is at or before its
    /// open runs past midnight into the next day.
    public func intervals(from: Date, to: Date) -> [DateInterval] {
        if unrestricted {
            let open = [DateInterval(start: from, end: max(from, to) + 14 * 86400)]
            return Self.subtract(closed, from: open).filter { $0.start <= to }.map { DateInterval(start: $0.start, end: min($0.end, max($0.start, to))) }
        }
        var first = time.localDate(from).adding(days: -1)
        let last = time.localDate(to)
        var raw: [DateInterval] = []
        while first <= last {
            for r in hours.ranges(on: first.weekday) {
                let start = time.instant(first, r.open)
                let end = r.crossesMidnight ? time.instant(first.adding(days: 1), r.close) : time.instant(first, r.close)
                if end > start { raw.append(DateInterval(start: start, end: end)) }
            }
            first = first.adding(days: 1)
        }
        raw.sort { $0.start < $1.start }
        var merged: [DateInterval] = []
        for i in raw {
            if let last = merged.last, i.start <= last.end {
                merged[merged.count - 1] = DateInterval(start: last.start, end: max(last.end, i.end))
            } else {
                merged.append(i)
            }
        }
        return Self.subtract(closed, from: merged).filter { $0.end >= from && $0.start <= to }
    }

    /// Open at that instant: opening ≤ t ≤ closing (a pickup promised at the closing time is still inside).
    public func isOpen(at t: Date) -> Bool {
        intervals(from: t, to: t).contains { $0.start <= t && t <= $0.end }
    }

    /// The opening interval containing `t`, if open.
    public func interval(containing t: Date) -> DateInterval? {
        intervals(from: t, to: t).first { $0.start <= t && t <= $0.end }
    }

    /// The next time the restaurant opens strictly after `t` (within two weeks), nil when it never opens.
    public func nextOpening(after t: Date) -> Date? {
        if unrestricted && closed.allSatisfy({ !$0.contains(t) }) { return t }
        return intervals(from: t, to: t.addingTimeInterval(14 * 86400)).first { $0.start > t }?.start
    }

    /// A spoken French reference to an instant relative to `now`: `19h`, `demain à 11h30`, `samedi 28 novembre à 12h`.
    public func spoken(_ t: Date, now: Date) -> String {
        let local = time.local(t)
        let days = time.localDate(now).days(to: local.date)
        switch days {
        case 0: return local.time.french
        case 1: return "demain à \(local.time.french)"
        default: return "\(local.date.french) à \(local.time.french)"
        }
    }
}
