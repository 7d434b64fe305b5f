import Foundation

/// Local wall-clock reading of an instant in a restaurant's time zone.
public struct LocalMoment: Sendable, Hashable {
    public let year: Int
    public let month: Int
    public let day: Int
    public let weekday: Weekday
    public let time: TimeOfDay

    static let frenchMonths = [
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ]

    /// `jeudi 26 novembre 2026`.
    public var frenchDate: String {
        "\(weekday.french) \(day == 1 ? "1er" : String(day)) \(LocalMoment.frenchMonths[month - 1]) \(year)"
    }

    /// `2026-11-26`.
    public var isoDate: String { String(format: "%04d-%02d-%02d", year, month, day) }
}

/// Converts instants to and from a restaurant's local time (IANA zone), never assuming Paris.
public struct RestaurantTime: Sendable {
    public let timeZone: TimeZone
    private let calendar: Calendar

    /// Falls back to Europe/Paris only when the identifier is unknown (validated at the edge before storing).
    public init(identifier: String) {
        let tz = TimeZone(identifier: identifier) ?? TimeZone(identifier: "Europe/Paris")!
        timeZone = tz
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = tz
        calendar = cal
    }

    public static func isValidIdentifier(_ id: String) -> Bool { TimeZone(identifier: id) != nil }

    public func local(_ date: Date) -> LocalMoment {
        let c = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: date)
        return LocalMoment(
            year: c.year!, month: c.month!, day: c.day!, weekday: Weekday(gregorian: c.weekday!),
            time: TimeOfDay(minutes: c.hour! * 60 + c.minute!))
    }
}
