import Foundation

/// ISO weekday: 1 = Monday … 7 = Sunday (the numbering of DiningService.daysOfWeek).
public enum Weekday: Int, CaseIterable, Sendable, Codable, Comparable {
    case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday

    public static func < (a: Weekday, b: Weekday) -> Bool { a.rawValue < b.rawValue }

    /// English key used by the import format (`monday`).
    public var key: String {
        switch self {
        case .monday: "monday"
        case .tuesday: "tuesday"
        case .wednesday: "wednesday"
        case .thursday: "thursday"
        case .friday: "friday"
        case .saturday: "saturday"
        case .sunday: "sunday"
        }
    }

    public var french: String {
        switch self {
        case .monday: "lundi"
        case .tuesday: "mardi"
        case .wednesday: "mercredi"
        case .thursday: "jeudi"
        case .friday: "vendredi"
        case .saturday: "samedi"
        case .sunday: "dimanche"
        }
    }

    /// From Foundation's Gregorian weekday (1 = Sunday).
    public init(gregorian: Int) {
        self = Weekday(rawValue: gregorian == 1 ? 7 : gregorian - 1)!
    }
}

/// A wall-clock time of day in minutes since midnight; `24:00` is allowed as a closing time.
public struct TimeOfDay: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let minutes: Int

    public init(minutes: Int) { self.minutes = minutes }

    public init?(hour: Int, minute: Int) {
        guard (0...24).contains(hour), (0...59).contains(minute), hour < 24 || minute == 0 else { return nil }
        minutes = hour * 60 + minute
    }

    /// Parses `HH:MM`, `H:MM`, `HHhMM`, `HHh` and `HH`; surrounding spaces are ignored.
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = t.split(separator: t.contains(":") ? ":" : "h", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let h = Int(parts[0]), parts[0].count <= 2 else { return nil }
        var m = 0
        if parts.count == 2 && !parts[1].isEmpty {
            guard parts[1].count == 2, let mm = Int(parts[1]) else { return nil }
            m = mm
        }
        self.init(hour: h, minute: m)
    }

    public var hour: Int { minutes / 60 }
    public var minute: Int { minutes % 60 }

    /// `HH:MM`, the wire form.
    public var description: String { String(format: "%02d:%02d", hour, minute) }

    /// Spoken French form: `12h30`, `19h`.
    public var french: String { minute == 0 ? "\(hour)h" : String(format: "%dh%02d", hour, minute) }

    public static func < (a: TimeOfDay, b: TimeOfDay) -> Bool { a.minutes < b.minutes }
}

/// One opening range of a day; `close` before `open` means the service runs past midnight.
public struct OpeningRange: Hashable, Sendable {
    public let open: TimeOfDay
    public let close: TimeOfDay

    public init(open: TimeOfDay, close: TimeOfDay) {
        self.open = open
        self.close = close
    }

    public var crossesMidnight: Bool { close <= open }
}

/// A restaurant's weekly opening hours: up to two ranges per day (lunch and dinner); a day without ranges is closed.
public struct WeeklyHours: Hashable, Sendable {
    public var days: [Weekday: [OpeningRange]]

    public init(days: [Weekday: [OpeningRange]] = [:]) { self.days = days }

    public func ranges(on day: Weekday) -> [OpeningRange] { days[day] ?? [] }

    public var isEmpty: Bool { days.values.allSatisfy(\.isEmpty) }

    /// Whether the restaurant is open at a local weekday and time, counting yesterday's service past midnight.
    public func isOpen(day: Weekday, at time: TimeOfDay) -> Bool {
        for r in ranges(on: day) {
            if r.crossesMidnight {
                if time >= r.open { return true }
            } else if time >= r.open && time < r.close {
                return true
            }
        }
        let yesterday = Weekday(rawValue: day.rawValue == 1 ? 7 : day.rawValue - 1)!
        for r in ranges(on: yesterday) where r.crossesMidnight && time < r.close {
            return true
        }
        return false
    }

    /// French lines for the prompt, one per day: `lundi : 11h-14h30 et 18h-23h`.
    public func frenchLines() -> [String] {
        Weekday.allCases.map { day in
            let rs = ranges(on: day)
            if rs.isEmpty { return "\(day.french) : fermé" }
            return "\(day.french) : " + rs.map { "\($0.open.french)-\($0.close.french)" }.joined(separator: " et ")
        }
    }
}

extension WeeklyHours: Codable {
    /// The import format: `{"monday": {"open": "11:00", "close": "14:30", "open2": …, "close2": …} | null, …}`.
    struct DayEntry: Codable {
        var open: String?
        var close: String?
        var open2: String?
        var close2: String?
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        var days: [Weekday: [OpeningRange]] = [:]
        for day in Weekday.allCases {
            guard let key = AnyKey(stringValue: day.key), c.contains(key), try !c.decodeNil(forKey: key) else { continue }
            let entry = try c.decode(DayEntry.self, forKey: key)
            days[day] = try WeeklyHours.ranges(of: entry, day: day, codingPath: c.codingPath + [key])
        }
        self.days = days
    }

    static func ranges(of e: DayEntry, day: Weekday, codingPath: [CodingKey]) throws -> [OpeningRange] {
        var result: [OpeningRange] = []
        for (o, cl, suffix) in [(e.open, e.close, ""), (e.open2, e.close2, "2")] {
            switch (o, cl) {
            case (nil, nil): continue
            case (let o?, let cl?):
                guard let open = TimeOfDay(parsing: o), open.minutes < 24 * 60 else {
                    throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "open\(suffix) \"\(o)\" is not a time HH:MM"))
                }
                guard let close = TimeOfDay(parsing: cl) else {
                    throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "close\(suffix) \"\(cl)\" is not a time HH:MM"))
                }
                guard open != close else {
                    throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "open\(suffix) and close\(suffix) are both \(o)"))
                }
                result.append(OpeningRange(open: open, close: close.minutes == 24 * 60 ? TimeOfDay(minutes: 0) : close))
            default:
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "open\(suffix) and close\(suffix) go together"))
            }
        }
        return result
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        for day in Weekday.allCases {
            let key = AnyKey(stringValue: day.key)!
            let rs = ranges(on: day)
            if rs.isEmpty {
                try c.encodeNil(forKey: key)
                continue
            }
            var e = DayEntry(open: rs[0].open.description, close: rs[0].close.description)
            if rs.count > 1 {
                e.open2 = rs[1].open.description
                e.close2 = rs[1].close.description
            }
            try c.encode(e, forKey: key)
        }
    }
}

/// A coding key built from any string, for objects keyed by data (weekdays, item numbers).
public struct AnyKey: CodingKey, Hashable, Sendable {
    public let stringValue: String
    public var intValue: Int? { Int(stringValue) }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { stringValue = String(intValue) }
}
