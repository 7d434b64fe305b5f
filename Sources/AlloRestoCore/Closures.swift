import Foundation

/// An exceptional closure: whole local days of the restaurant, first to last inclusive (holidays, works), with
/// the reason the agent may give. Stored as `[{"from": "2026-12-24", "to": "2026-12-26", "reason": "Noël"}]`.
public struct Closure: Hashable, Sendable {
    public let from: LocalDate
    public let to: LocalDate
    public let reason: String?

    public init(from: LocalDate, to: LocalDate, reason: String? = nil) {
        self.from = min(from, to)
        self.to = max(from, to)
        self.reason = reason.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether `day` is one of the closed days.
    public func covers(_ day: LocalDate) -> Bool { from <= day && day <= to }

    /// The closed days as an instant interval: from the first day's midnight to the midnight after the last.
    public func interval(_ time: RestaurantTime) -> DateInterval {
        DateInterval(start: time.instant(from, TimeOfDay(minutes: 0)), end: time.instant(to.adding(days: 1), TimeOfDay(minutes: 0)))
    }

    /// In French: `le samedi 26 décembre` or `du jeudi 24 au samedi 26 décembre`, with the reason.
    public var french: String {
        let span = from == to ? "le \(from.french)" : "du \(from.french) au \(to.french)"
        return reason.map { "\(span) (\($0))" } ?? span
    }

    /// Reads the stored list; an unreadable entry is left out. At most 100 closures, each within two years.
    public static func list(_ json: JSONValue?) -> [Closure] {
        (json?.arrayValue ?? []).prefix(100).compactMap { e in
            guard let f = e["from"]?.stringValue.flatMap(LocalDate.init(iso:)) else { return nil }
            let t = e["to"]?.stringValue.flatMap(LocalDate.init(iso:)) ?? f
            guard abs(f.days(to: t)) <= 731 else { return nil }
            return Closure(from: f, to: t, reason: e["reason"]?.stringValue)
        }.sorted { $0.from < $1.from }
    }

    /// The stored form of a list.
    public static func json(_ list: [Closure]) -> JSONValue {
        .array(list.map { c in
            var o: [String: JSONValue] = ["from": .string(c.from.description), "to": .string(c.to.description)]
            if let r = c.reason { o["reason"] = .string(r) }
            return .object(o)
        })
    }
}

/// The end of "no more orders tonight": the end of the opening interval the restaurant is in at `now` (past
/// midnight when its service runs past it), and at least the next local midnight — the switch covers the rest of
/// the day whatever the hours say.
public func endOfTonight(now: Date, hours: WeeklyHours, time: RestaurantTime) -> Date {
    let midnight = time.instant(time.localDate(now).adding(days: 1), TimeOfDay(minutes: 0))
    let current = OpeningSchedule(hours: hours, time: time).interval(containing: now)?.end ?? midnight
    return max(midnight, current)
}
