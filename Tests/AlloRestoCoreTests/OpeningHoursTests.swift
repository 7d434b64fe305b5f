import AlloRestoCore
import Foundation
import Testing

@Suite struct OpeningHoursTests {
    func hours(_ json: String) throws -> WeeklyHours { try JSONDecoder().decode(WeeklyHours.self, from: Data(json.utf8)) }

    @Test func splitServiceAndClosedDays() throws {
        let h = try hours(#"{"monday": {"open": "11:00", "close": "14:30", "open2": "18:00", "close2": "23:00"}, "tuesday": null, "_comment": "x"}"#)
        #expect(h.ranges(on: .monday).count == 2)
        #expect(h.ranges(on: .tuesday).isEmpty)
        #expect(h.isOpen(day: .monday, at: TimeOfDay(parsing: "11:00")!))
        #expect(!h.isOpen(day: .monday, at: TimeOfDay(parsing: "14:30")!))
        #expect(!h.isOpen(day: .monday, at: TimeOfDay(parsing: "16:00")!))
        #expect(h.isOpen(day: .monday, at: TimeOfDay(parsing: "22:59")!))
        #expect(!h.isOpen(day: .tuesday, at: TimeOfDay(parsing: "12:00")!))
    }

    @Test func servicePastMidnightCountsOnTheNextDay() throws {
        let h = try hours(#"{"saturday": {"open": "18:00", "close": "02:00"}}"#)
        #expect(h.isOpen(day: .saturday, at: TimeOfDay(parsing: "23:30")!))
        #expect(h.isOpen(day: .sunday, at: TimeOfDay(parsing: "01:59")!))
        #expect(!h.isOpen(day: .sunday, at: TimeOfDay(parsing: "02:00")!))
        #expect(!h.isOpen(day: .saturday, at: TimeOfDay(parsing: "01:00")!))
        let midnight = try hours(#"{"sunday": {"open": "18:00", "close": "24:00"}}"#)
        #expect(midnight.isOpen(day: .sunday, at: TimeOfDay(parsing: "23:59")!))
        #expect(!midnight.isOpen(day: .monday, at: TimeOfDay(parsing: "00:00")!))
    }

    @Test func roundTripsThroughTheImportFormat() throws {
        let h = try hours(#"{"friday": {"open": "11:00", "close": "14:30", "open2": "18:00", "close2": "23:30"}, "sunday": {"open": "18:00", "close": "23:00"}}"#)
        let back = try JSONDecoder().decode(WeeklyHours.self, from: JSONEncoder().encode(h))
        #expect(back == h)
    }

    @Test(arguments: ["25:00", "12:60", "noon", "1230", ""])
    func badTimesAreRejected(_ t: String) {
        #expect(throws: DecodingError.self) { try hours(#"{"monday": {"open": "\#(t)", "close": "14:00"}}"#) }
    }

    @Test func timeParsingIsLenientOnForm() {
        #expect(TimeOfDay(parsing: "9:05")?.description == "09:05")
        #expect(TimeOfDay(parsing: "19h")?.description == "19:00")
        #expect(TimeOfDay(parsing: "19h30")?.french == "19h30")
        #expect(TimeOfDay(parsing: " 12:00 ")?.french == "12h")
    }
}
