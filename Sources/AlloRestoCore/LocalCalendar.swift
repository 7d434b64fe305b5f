import Foundation

/// A calendar date in a restaurant's local time (no time zone attached).
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`; rejects impossible dates (`2026-02-30`).
    public init?(iso text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        self.init(year: y, month: m, day: d)
        guard adding(days: 0) == self else { return nil }
    }

    private static let utc: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    /// Pure calendar arithmetic (no time zone, so no daylight-saving effect).
    public func adding(days: Int) -> LocalDate {
        let base = Self.utc.date(from: DateComponents(year: year, month: month, day: day))!
        let c = Self.utc.dateComponents([.year, .month, .day], from: base.addingTimeInterval(Double(days) * 86400))
        return LocalDate(year: c.year!, month: c.month!, day: c.day!)
    }

    /// Days from `self` to `other`.
    public func days(to other: LocalDate) -> Int {
        let a = Self.utc.date(from: DateComponents(year: year, month: month, day: day))!
        let b = Self.utc.date(from: DateComponents(year: other.year, month: other.month, day: other.day))!
        return CheckedNumber.clamped(b.timeIntervalSince(a) / 86400, rounding: .toNearestOrAwayFromZero, to: -10_000_000...10_000_000)
    }

    public var weekday: Weekday {
        let d = Self.utc.date(from: DateComponents(year: year, month: month, day: day))!
        return Weekday(gregorian: Self.utc.component(.weekday, from: d))
    }

    /// `2026-11-26`.
    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

    /// `jeudi 26 novembre`.
    public var french: String {
        "\(weekday.french) \(day == 1 ? "1er" : String(day)) \(LocalMoment.frenchMonths[month - 1])"
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
}

extension LocalMoment {
    public var date: LocalDate { LocalDate(year: year, month: month, day: day) }
}

extension RestaurantTime {
    /// The instant of a local date and wall-clock time. `24:00` is the next day's midnight. A time that does not
    /// exist (the hour skipped when clocks go forward) is moved forward by the gap (02:30 → 03:30); a time that
    /// happens twice (clocks go back) is its first occurrence.
    public func instant(_ date: LocalDate, _ time: TimeOfDay) -> Date {
        let d = time.minutes >= 1440 ? date.adding(days: time.minutes / 1440) : date
        let m = time.minutes % 1440
        var c = DateComponents(year: d.year, month: d.month, day: d.day, hour: m / 60, minute: m % 60)
        c.timeZone = timeZone
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        return cal.date(from: c)!
    }

    /// The local date of an instant.
    public func localDate(_ date: Date) -> LocalDate { local(date).date }

    /// A wall-clock time the caller asked for (`HH:MM`, local): today, or tomorrow when today's is already past.
    /// `grace` tolerates a time that has just passed (a caller saying "now-ish") as today.
    public func upcoming(_ time: TimeOfDay, now: Date, grace: TimeInterval = 0) -> Date {
        let today = instant(localDate(now), time)
        if today >= now.addingTimeInterval(-grace) { return today }
        return instant(localDate(now).adding(days: 1), time)
    }

    /// Minutes since local midnight of an instant (cheap: one offset lookup).
    public func minuteOfDay(_ date: Date) -> Int {
        let seconds = CheckedNumber.clamped(date.timeIntervalSince1970, rounding: .down, to: -1 << 50...1 << 50) + timeZone.secondsFromGMT(for: date)
        return ((seconds % 86400) + 86400) % 86400 / 60
    }
}
