import AlloRestoCore
import Foundation
import Testing

/// Every accepted way to say a time or a day, and what is refused (nil: the route answers with a sentence).
@Suite struct SpokenTimeTests {
    static let paris = RestaurantTime(identifier: "Europe/Paris")
    /// Thursday 2026-11-26, 13:05 in Paris.
    static let now = Date(timeIntervalSince1970: 1_795_694_700)

    static func at(_ iso: String) -> Date { try! Date(iso, strategy: .iso8601) }

    /// (said, the instant meant), at 13:05 on Thursday 26 November in Paris.
    static let acceptedForms: [(String, String?)] = [
        ("19:30", "2026-11-26T18:30:00Z"), ("19h30", "2026-11-26T18:30:00Z"), ("19 h 30", "2026-11-26T18:30:00Z"),
        ("19H30", "2026-11-26T18:30:00Z"), ("19:30:00", "2026-11-26T18:30:00Z"), ("19 heures 30", "2026-11-26T18:30:00Z"),
        ("19h", "2026-11-26T18:00:00Z"), ("19 heures", "2026-11-26T18:00:00Z"), ("19", "2026-11-26T18:00:00Z"),
        ("19h et demie", "2026-11-26T18:30:00Z"), ("19h et quart", "2026-11-26T18:15:00Z"), ("20h moins le quart", "2026-11-26T18:45:00Z"),
        ("7:30 PM", "2026-11-26T18:30:00Z"), ("7:30pm", "2026-11-26T18:30:00Z"), ("7 pm", "2026-11-26T18:00:00Z"), ("7:30 p.m.", "2026-11-26T18:30:00Z"),
        ("11:45 AM", "2026-11-27T10:45:00Z"), ("7h30 du soir", "2026-11-26T18:30:00Z"), ("3h de l'après-midi", "2026-11-26T14:00:00Z"),
        ("midi", "2026-11-27T11:00:00Z"), ("Midi et demi", "2026-11-27T11:30:00Z"), ("minuit", "2026-11-26T23:00:00Z"),
        ("dans une demi-heure", "2026-11-26T12:35:00Z"), ("dans un quart d'heure", "2026-11-26T12:20:00Z"),
        ("dans 20 minutes", "2026-11-26T12:25:00Z"), ("dans 1h30", "2026-11-26T13:35:00Z"), ("in 45 min", "2026-11-26T12:50:00Z"),
        ("2026-12-05T20:00", "2026-12-05T19:00:00Z"), ("2026-12-05 20:00", "2026-12-05T19:00:00Z"), ("2026-12-05T20:00:00", "2026-12-05T19:00:00Z"),
        ("2026-12-05T20:00:00+01:00", "2026-12-05T19:00:00Z"), ("2026-12-05T19:00:00Z", "2026-12-05T19:00:00Z"),
        // A 12-hour time without am/pm: the next one, 19:30 rather than 07:30 tomorrow.
        ("7:30", "2026-11-26T18:30:00Z"), ("8h", "2026-11-26T19:00:00Z"), ("07:30", "2026-11-27T06:30:00Z"),
        ("maintenant", nil), ("dès que possible", nil), ("ASAP", nil), ("le plus tôt possible", nil),
    ]

    @Test(arguments: acceptedForms) func accepted(_ said: String, _ meant: String?) throws {
        let spoken = try #require(SpokenTime.parse(said), "\(said) not understood")
        #expect(spoken.resolve(clock: Self.paris, now: Self.now) == meant.map(Self.at), "\(said)")
    }

    static let refusedForms = ["vers 8", "bientôt", "25:00", "19:75", "sept heures", "demain", "", "19h30 ou 20h", "12:30 XM", "-3", "1e300", "dans trois ans"]

    @Test(arguments: refusedForms) func refused(_ said: String) {
        #expect(SpokenTime.parse(said) == nil, "\(said) should not be read")
    }

    /// "7:30" said at 18:00 is 19:30 that evening, not 07:30 the next morning; with opening hours, the one the
    /// service can meet.
    @Test func anAmbiguousHourIsTheNextOneTheServiceCanMeet() throws {
        let six = Self.at("2026-11-26T17:00:00Z")  // 18:00 in Paris
        #expect(SpokenTime.parse("7:30")?.resolve(clock: Self.paris, now: six) == Self.at("2026-11-26T18:30:00Z"))
        // At 08:00, 11:30 is later this morning…
        let eight = Self.at("2026-11-26T07:00:00Z")
        #expect(SpokenTime.parse("11:30")?.resolve(clock: Self.paris, now: eight) == Self.at("2026-11-26T10:30:00Z"))
        // …but "9" when the restaurant opens at 18:30 is 21:00.
        let evening = { (d: Date) in (18 * 60 + 30...22 * 60 + 30).contains(Self.paris.minuteOfDay(d)) }
        #expect(SpokenTime.parse("9")?.resolve(clock: Self.paris, now: eight, serviceable: evening) == Self.at("2026-11-26T20:00:00Z"))
        // With a day: that day's.
        #expect(SpokenTime.parse("8h")?.resolve(clock: Self.paris, now: eight, day: LocalDate(iso: "2026-11-28"), serviceable: evening)
                == Self.at("2026-11-28T19:00:00Z"))
    }

    static let dayForms: [(String, String?)] = [
        ("2026-12-05", "2026-12-05"), ("aujourd'hui", "2026-11-26"), ("ce soir", "2026-11-26"), ("demain", "2026-11-27"),
        ("Après-demain", "2026-11-28"), ("samedi", "2026-11-28"), ("samedi prochain", "2026-11-28"), ("jeudi", "2026-12-03"),
        ("Saturday", "2026-11-28"), ("5/12", "2026-12-05"), ("05/12/2026", "2026-12-05"), ("le 5 décembre", "2026-12-05"),
        ("le 1er janvier", "2027-01-01"), ("samedi 5 décembre", "2026-12-05"), ("3 december 2026", "2026-12-03"),
        ("bientôt", nil), ("31/02", nil), ("le 5 truc", nil), ("13/13", nil),
    ]

    @Test(arguments: dayForms) func days(_ said: String, _ meant: String?) {
        #expect(SpokenDate.parse(said, today: LocalDate(iso: "2026-11-26")!)?.description == meant, "\(said)")
    }
}
