import Foundation

/// A time the caller asked for, in the restaurant's local time (`SpokenTime`, `SpokenDate`).
public enum RequestedTime {
    /// The names of the fields a refusal points at: the route's own (`requestedTime`/`requestedDate` for
    /// `check_availability`, `reservationTime`/`reservationDate` for a booking).
    public struct Fields: Sendable, Equatable {
        public var time: String
        public var date: String
        public init(time: String, date: String) {
            self.time = time
            self.date = date
        }

        /// `check_availability`'s `requestedTime` and `requestedDate`.
        public static let requested = Fields(time: "requestedTime", date: "requestedDate")
    }

    /// A requested time or date refused, naming the field at fault (`requestedTime`, `reservationDate`…). The
    /// server answers it as 422 `{success:false, error, code, field}`, the sentence worded by the Server.
    public struct Refused: Error, Sendable, Hashable {
        /// What is wrong with the value, with what a sentence needs.
        public enum Reason: Sendable, Hashable {
            /// A date without a time (`date` as said).
            case missingTime(date: String)
            case timeNotUnderstood(String)
            case dateNotUnderstood(String)
            case datePast(LocalDate)
            /// The time has passed; `today` when it is on today's date.
            case timePast(LocalDate, TimeOfDay, today: Bool)
        }

        public let field: String
        public let reason: Reason

        public init(field: String, _ reason: Reason) {
            self.field = field
            self.reason = reason
        }

        /// The wire code.
        public var code: String {
            switch reason {
            case .missingTime: "missing_time"
            case .timeNotUnderstood: "time_not_understood"
            case .dateNotUnderstood: "date_not_understood"
            case .datePast: "date_past"
            case .timePast: "time_past"
            }
        }
    }

    /// `nil` for "as soon as possible". A time of day without a date is its next occurrence the service can meet
    /// (`serviceable`: opening hours decide between the two readings of "10h"; nil reads it on the 24-hour clock
    /// when a date is given); within `grace` seconds a time just past means now (a caller asking for "12h" at
    /// 12h02). Refusals: `missing_time` (a date without a time), `time_not_understood`, `date_not_understood`,
    /// `date_past`, `time_past`, each naming the field of `fields` at fault.
    public static func resolve(time: String?, date: String?, clock: RestaurantTime, now: Date, grace: TimeInterval = 600,
                               serviceable: ((Date) -> Bool)? = nil, fields: Fields = .requested) throws(Refused) -> Date? {
        guard let text = time?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            if let date, !date.trimmingCharacters(in: .whitespaces).isEmpty {
                throw Refused(field: fields.time, .missingTime(date: date))
            }
            return nil
        }
        guard let spoken = SpokenTime.parse(text) else {
            throw Refused(field: fields.time, .timeNotUnderstood(text))
        }
        var day: LocalDate?
        if let date, !date.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let d = SpokenDate.parse(date, today: clock.localDate(now)) else {
                throw Refused(field: fields.date, .dateNotUnderstood(date))
            }
            guard d >= clock.localDate(now) else { throw Refused(field: fields.date, .datePast(d)) }
            day = d
        }
        guard let instant = spoken.resolve(clock: clock, now: now, day: day, grace: grace, serviceable: serviceable) else { return nil }
        if instant < now.addingTimeInterval(-max(grace, 60)) {
            let local = clock.local(instant)
            throw Refused(field: fields.time, .timePast(local.date, local.time, today: local.date == clock.localDate(now)))
        }
        return instant
    }
}
