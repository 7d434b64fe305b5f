import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
import AlloRestoTestSupport
import FluentKit
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Reservations against the demo restaurant (Déjeuner 12:00–13:45 Mon–Sat, 40 covers; Dîner 19:00–22:00 every
/// day, 50 covers, 105 min), Thursday 2026-11-26 13:05 in Paris.
@Suite struct ReservationTests {
    static func send(_ client: any TestClientProtocol, _ app: TestApp, _ method: HTTPRequest.Method, _ path: String, _ body: JSONValue) async throws -> TestResponse {
        try await AvailabilityTests.send(client, app, method, path, body)
    }

    @Test(arguments: TestDatabases.kinds)
    func checkBookLookUpAndCancel(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let check = try await AvailabilityTests.check(client, app, ["mode": "reservation", "requestedTime": "20:00", "partySize": "4"])
            #expect(check["success"] == true, "\(check)")
            #expect(check["available"] == true)
            #expect(check["serviceName"] == "Dîner")
            #expect(check["seatsAvailable"] == 50)
            #expect(check["offers"]?.arrayValue?.first?["name"] == "Menu dégustation")
            #expect(check["message"] == "Une table pour 4 personnes est disponible à 20h. Nous proposons aussi : Menu dégustation.")

            let created = try await Self.send(client, app, .post, "/api/reservations", [
                "callId": "call-r1", "customerName": "Marie", "customerPhone": "06 55 44 33 22", "partySize": 4,
                "reservationTime": check["estimatedTimeISO"]!, "seatingPreference": "terrasse",
            ])
            #expect(created.status == .created)
            let body = try created.json()
            #expect(body["success"] == true)
            #expect(body["message"] == "C'est noté : une table pour 4 personnes à 20h, au nom de Marie.")
            #expect(body["reservation"]?["time"] == "20:00" && body["reservation"]?["date"] == "2026-11-26")
            #expect(body["reservation"]?["status"] == "confirmed")
            // The same call repeated: the same answer, one reservation.
            let again = try await Self.send(client, app, .post, "/api/reservations", [
                "callId": "call-r1", "customerName": "Marie", "customerPhone": "06 55 44 33 22", "partySize": 4,
                "reservationTime": check["estimatedTimeISO"]!, "seatingPreference": "terrasse",
            ])
            #expect(again.status == .created)
            #expect(try again.json() == body)
            #expect(try await Reservation.query(on: app.database.db).count() == 1)
            let seats = try await AvailabilityTests.check(client, app, ["mode": "reservation", "requestedTime": "20:30", "partySize": 2])
            #expect(seats["seatsAvailable"] == 46)

            let lookup = try await client.execute(uri: "/api/reservations/lookup?restaurantId=\(app.id)&phone=0655443322", method: .get, headers: app.bearer).json()
            #expect(lookup["found"] == true)
            #expect(lookup["reservations"]?.arrayValue?.count == 1)
            #expect(lookup["message"] == "Vous avez une réservation le jeudi 26 novembre à 20h pour 4 personnes.")
            let id = try #require(lookup["reservations"]?.arrayValue?.first?["id"])

            // Another caller cannot cancel it; the caller can, once.
            let stranger = try await Self.send(client, app, .patch, "/api/reservations", ["id": id, "status": "cancelled", "callerPhone": "0699999999"]).json()
            #expect(stranger["success"] == false && stranger["code"] == "reservation_not_found")
            let cancelled = try await Self.send(client, app, .patch, "/api/reservations", ["id": id, "status": "cancelled", "callerPhone": "+33655443322"]).json()
            #expect(cancelled["success"] == true)
            #expect(cancelled["message"] == "La réservation du jeudi 26 novembre à 20h pour 4 personnes est annulée.")
            let twice = try await Self.send(client, app, .patch, "/api/reservations", ["id": id, "status": "cancelled", "callerPhone": "+33655443322"]).json()
            #expect(twice["code"] == "already_cancelled")
            let none = try await client.execute(uri: "/api/reservations/lookup?restaurantId=\(app.id)&phone=0655443322", method: .get, headers: app.bearer).json()
            #expect(none["found"] == false)
            // The seats are back.
            #expect(try await AvailabilityTests.check(client, app, ["mode": "reservation", "requestedTime": "20:30", "partySize": 2])["seatsAvailable"] == 50)
            // The restaurant's day list shows it, cancelled.
            let day = try await client.execute(uri: "/api/reservations?restaurantId=\(app.id)&date=2026-11-26", method: .get, headers: app.manager).json()
            #expect(day["reservations"]?.arrayValue?.first?["status"] == "cancelled")
            #expect(day["covers"] == 0)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func rulesGiveSentences(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            func refusal(_ body: JSONValue) async throws -> JSONValue { try await Self.send(client, app, .post, "/api/reservations", body).json() }
            // Less than an hour ahead.
            let soon = try await refusal(["partySize": 2, "reservationTime": "13:30", "customerPhone": "0611111111"])
            #expect(soon["code"] == "too_soon")
            #expect(soon["error"] == "Il faut réserver au moins une heure à l'avance : je ne peux pas réserver pour 13h30.")
            // Between services.
            let between = try await refusal(["partySize": 2, "reservationTime": "16:00", "customerPhone": "0611111111"])
            #expect(between["code"] == "no_service")
            #expect(between["error"] == "Nous ne prenons pas de réservation à 16h le jeudi. Les services : Déjeuner de 12h à 13h45 et Dîner de 19h à 22h.")
            // Sunday lunch: no service that day at that time.
            let sunday = try await refusal(["partySize": 2, "reservationTime": "12:30", "reservationDate": "dimanche", "customerPhone": "0611111111"])
            #expect(sunday["code"] == "no_service")
            // Too far ahead.
            let far = try await refusal(["partySize": 2, "reservationTime": "20:00", "reservationDate": "2027-02-01", "customerPhone": "0611111111"])
            #expect(far["code"] == "too_far")
            // Larger than the service.
            let big = try await refusal(["partySize": 60, "reservationTime": "20:00", "customerPhone": "0611111111"])
            #expect(big["code"] == "party_too_large")
            // Malformed: 422 with the field named.
            let bad = try await Self.send(client, app, .post, "/api/reservations", ["partySize": "beaucoup", "reservationTime": "20:00"])
            #expect(bad.status == .unprocessableContent)
            let noTime = try await Self.send(client, app, .post, "/api/reservations", ["partySize": 2])
            #expect(noTime.status == .unprocessableContent)
            #expect(try await Reservation.query(on: app.database.db).count() == 0)
            // Tomorrow at lunch by name of day.
            let friday = try await Self.send(client, app, .post, "/api/reservations", ["partySize": 2, "reservationTime": "12:30", "reservationDate": "demain", "customerPhone": "0611111111", "customerName": "Paul"])
            #expect(friday.status == .created)
            #expect(try friday.json()["message"] == "C'est noté : une table pour 2 personnes demain à 12h30, au nom de Paul.")
            // Full: alternatives offered.
            for i in 0..<5 {
                _ = try await Self.send(client, app, .post, "/api/reservations", ["partySize": 8, "reservationTime": "12:30", "reservationDate": "demain", "customerPhone": .string("06000000\(10 + i)"), "callId": .string("fill-\(i)")])
            }
            // 2 + 4 × 8 = 34 of 40 covers: the fifth party of 8 was refused.
            #expect(try await Reservation.query(on: app.database.db).count() == 5)
            let full = try await AvailabilityTests.check(client, app, ["mode": "reservation", "requestedTime": "12:30", "requestedDate": "demain", "partySize": 8])
            #expect(full["available"] == false && full["reason"] == "full")
            #expect(full["seatsAvailable"] == 6)
            #expect(full["message"]?.stringValue?.hasPrefix("Il ne reste que 6 places demain à 12h30.") == true)
        }
    }

    /// The restaurant moves a booking (time, party size) under the booking rules, counting the seats without the
    /// booking itself; a refusal changes nothing (the details sent with it included); a booking of an hour ago keeps
    /// its time when only its notes change; a seated one does not move; the audit log says from what to what.
    @Test(arguments: TestDatabases.kinds)
    func aBookingIsMovedUnderTheSameRules(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            func managed(_ method: HTTPRequest.Method, _ fields: JSONValue) async throws -> TestResponse {
                var body = fields.objectValue ?? [:]
                body["restaurantId"] = .string(app.id)
                return try await client.execute(uri: "/api/reservations", method: method, headers: app.manager + [.contentType: "application/json"],
                                                body: ByteBuffer(bytes: JSONWriter.encoded(JSONValue.object(body))))
            }
            let clock = RestaurantTime(identifier: "Europe/Paris")
            func at(_ date: String, _ time: String) -> Date { clock.instant(LocalDate(iso: date)!, TimeOfDay(parsing: time)!) }
            func insert(_ size: Int, _ start: Date, status: String = "confirmed") async throws -> String {
                let r = Reservation()
                r.$restaurant.id = app.restaurantId
                r.partySize = size
                r.reservationTime = start
                r.endTime = start.addingTimeInterval(105 * 60)
                r.status = status
                r.source = "dashboard"
                try await r.create(on: app.database.db)
                return r.id!.uuidString.lowercased()
            }
            // Dinner at 20:00: 44 covers booked by others, Marie's 4 by the restaurant (48 of 50).
            for size in [10, 10, 10, 10, 4] { _ = try await insert(size, at("2026-11-26", "20:00")) }
            let created = try await managed(.post, ["partySize": 4, "reservationTime": "20:00", "customerName": "Marie"])
            #expect(created.status == .created)
            let id = try #require(try created.json()["reservation"]?["id"])

            // 6 fits (the 4 already hers are counted once), 7 does not.
            let six = try await managed(.patch, ["id": id, "partySize": 6, "reservationTime": "20:00", "reservationDate": "2026-11-26"]).json()
            #expect(six["success"] == true && six["reservation"]?["partySize"] == 6, "\(six)")
            let seven = try await managed(.patch, ["id": id, "partySize": 7, "notes": "anniversaire"]).json()
            #expect(seven["success"] == false && seven["code"] == "full", "\(seven)")
            #expect(seven["error"] == "Il ne reste que 6 places à cette heure-là, pas assez pour 7 personnes.")
            // Later the same evening, where it still overlaps itself: moved, with a new end.
            let later = try await managed(.patch, ["id": id, "reservationTime": "21:30", "reservationDate": "2026-11-26"]).json()
            #expect(later["success"] == true && later["reservation"]?["time"] == "21:30" && later["reservation"]?["partySize"] == 6, "\(later)")
            #expect(later["reservation"]?["endTime"] == .string(at("2026-11-26", "21:30").addingTimeInterval(105 * 60).formatted(.iso8601)))
            // Between services, or in the past: refused, and the name sent along is not saved either.
            let between = try await managed(.patch, ["id": id, "reservationTime": "16:00", "customerName": "Marie-Claire"]).json()
            #expect(between["code"] == "no_service", "\(between)")
            let past = try await managed(.patch, ["id": id, "reservationTime": "10:00", "reservationDate": "2026-11-26"])
            let pastBody = try past.json()
            #expect(past.status == .unprocessableContent && pastBody["code"] == "time_past" && pastBody["field"] == "reservationTime", "\(pastBody)")
            let found: Reservation? = try await Reservation.query(on: app.database.db).filter(\.$id == UUID(uuidString: id.stringValue!)!).first()
            let row = try #require(found)
            #expect(row.customerName == "Marie" && row.partySize == 6 && row.reservationTime == at("2026-11-26", "21:30") && row.notes == nil, "\(row.customerName ?? "") \(row.partySize) \(row.reservationTime)")
            // Tomorrow's lunch, by the date field alone (the time kept): Friday has a lunch service.
            let friday = try await managed(.patch, ["id": id, "reservationDate": "2026-11-27", "reservationTime": "12:30"]).json()
            #expect(friday["success"] == true && friday["reservation"]?["date"] == "2026-11-27" && friday["reservation"]?["serviceName"] == "Déjeuner", "\(friday)")

            // Lunch of an hour ago, its notes changed from the form (which sends the time it shows): kept as is.
            let noon = try await insert(2, at("2026-11-26", "12:00"))
            let notes = try await managed(.patch, ["id": .string(noon), "reservationTime": "12:00", "reservationDate": "2026-11-26", "partySize": 2,
                                                   "notes": "table 4"]).json()
            #expect(notes["success"] == true && notes["reservation"]?["notes"] == "table 4" && notes["reservation"]?["time"] == "12:00", "\(notes)")
            // Seated: no longer moved.
            let seated = try await insert(2, at("2026-11-26", "20:00"), status: "seated")
            let moveSeated = try await managed(.patch, ["id": .string(seated), "partySize": 3]).json()
            #expect(moveSeated["code"] == "not_movable", "\(moveSeated)")
            // Seated an hour ago: still "no longer movable", not "that time is past".
            let lunchSeated = try await insert(2, at("2026-11-26", "12:00"), status: "seated")
            let moveLunch = try await managed(.patch, ["id": .string(lunchSeated), "reservationTime": "12:30", "reservationDate": "2026-11-26"]).json()
            #expect(moveLunch["code"] == "not_movable", "\(moveLunch)")

            let audit: [AuditEntry] = try await AuditEntry.query(on: app.database.db).filter(\.$action == "reservation.edit").all()
            #expect(audit.contains { $0.detail.contains("jeudi 26 novembre 20h, 4 pers. → jeudi 26 novembre 20h, 6 pers.") }, "\(audit.map(\.detail))")
            #expect(audit.contains { $0.detail.contains("→ vendredi 27 novembre 12h30, 6 pers.") })
        }
    }

    /// 50 callers at once for the last 4 seats: exactly two parties of 2 get them, never more.
    @Test(arguments: TestDatabases.kinds)
    func fiftyConcurrentRequestsForTheLastSeatsNeverOverbook(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let clock = RestaurantTime(identifier: "Europe/Paris")
            let at = clock.instant(LocalDate(iso: "2026-11-26")!, TimeOfDay(parsing: "20:00")!)
            // 46 of the dinner's 50 covers already booked.
            for size in [10, 10, 10, 10, 6] {
                let r = Reservation()
                r.$restaurant.id = app.restaurantId
                r.partySize = size
                r.reservationTime = at
                r.endTime = at.addingTimeInterval(105 * 60)
                r.status = "confirmed"
                r.source = "dashboard"
                try await r.create(on: app.database.db)
            }
            let answers = try await withThrowingTaskGroup(of: (HTTPResponse.Status, JSONValue).self) { group in
                for i in 0..<50 {
                    group.addTask {
                        let r = try await Self.send(client, app, .post, "/api/reservations", [
                            "callId": .string("rush-\(i)"), "customerPhone": .string("0655000\(String(format: "%03d", i))"),
                            "partySize": 2, "reservationTime": "20:00",
                        ])
                        return (r.status, try r.json())
                    }
                }
                return try await group.reduce(into: [(HTTPResponse.Status, JSONValue)]()) { $0.append($1) }
            }
            #expect(answers.filter { $0.0 == .created }.count == 2)
            #expect(answers.filter { $0.1["code"] == "full" }.count == 48, "\(answers.map { "\($0.0.code) \($0.1["code"]?.stringValue ?? "-")" })")
            let rows: [Reservation] = try await Reservation.query(on: app.database.db).filter(\.$status == "confirmed").all()
            #expect(rows.reduce(0) { $0 + $1.partySize } == 50)
        }
    }
}
