import Foundation

/// A value from outside refused with a sentence the agent can say, naming the field at fault (`requestedTime`,
/// `requestedDate`…). The server answers it as 422 `{success:false, error, code, field}`.
public struct FieldRefusal: Error, Sendable, Equatable {
    public let field: String
    public let code: String
    public let message: String

    public init(_ field: String, _ code: String, _ message: String) {
        self.field = field
        self.code = code
        self.message = message
    }
}

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

    /// `nil` for "as soon as possible". A time of day without a date is its next occurrence the service can meet
    /// (`serviceable`: opening hours decide between the two readings of "10h"; nil reads it on the 24-hour clock
    /// when a date is given); within `grace` seconds a time just past means now (a caller asking for "12h" at
    /// 12h02). Refusals: `missing_time` (a date without a time), `time_not_understood`, `date_not_understood`,
    /// `date_past`, `time_past`, each naming the field of `fields` at fault.
    public static func resolve(time: String?, date: String?, clock: RestaurantTime, now: Date, grace: TimeInterval = 600,
                               serviceable: ((Date) -> Bool)? = nil, fields: Fields = .requested) throws(FieldRefusal) -> Date? {
        guard let text = time?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            if let date, !date.trimmingCharacters(in: .whitespaces).isEmpty {
                throw FieldRefusal(fields.time, "missing_time", "À quelle heure, le \(date) ?")
            }
            return nil
        }
        guard let spoken = SpokenTime.parse(text) else {
            throw FieldRefusal(fields.time, "time_not_understood", "Je n'ai pas compris l'heure « \(text) » : pouvez-vous la redire, par exemple 19h30 ?")
        }
        var day: LocalDate?
        if let date, !date.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let d = SpokenDate.parse(date, today: clock.localDate(now)) else {
                throw FieldRefusal(fields.date, "date_not_understood", "Je n'ai pas compris le jour « \(date) » : pouvez-vous le redire, par exemple samedi ou le 5 décembre ?")
            }
            guard d >= clock.localDate(now) else { throw FieldRefusal(fields.date, "date_past", "Le \(d.french) est déjà passé : pour quel jour souhaitez-vous ?") }
            day = d
        }
        guard let instant = spoken.resolve(clock: clock, now: now, day: day, grace: grace, serviceable: serviceable) else { return nil }
        if instant < now.addingTimeInterval(-max(grace, 60)) {
            let local = clock.local(instant)
            throw FieldRefusal(fields.time, "time_past", "\(local.date == clock.localDate(now) ? local.time.french : "Le \(local.date.french) à \(local.time.french)") est déjà passé : à quelle heure souhaitez-vous ?")
        }
        return instant
    }
}
