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

/// check_availability, the kitchen planner behind confirm_order, delivery distance and the planning APIs,
/// against the demo restaurant (Chez Luigi, Paris) at Thursday 2026-11-26 13:05 local.
@Suite struct AvailabilityTests {
    static func send(_ client: any TestClientProtocol, _ app: TestApp, _ method: HTTPRequest.Method, _ path: String, _ body: JSONValue) async throws -> TestResponse {
        var fields = body.objectValue ?? [:]
        if fields["restaurantId"] == nil { fields["restaurantId"] = .string(app.id) }
        return try await client.execute(
            uri: path, method: method, headers: [.authorization: "Bearer \(path.hasPrefix("/api/planning") || path.hasPrefix("/api/orders") ? app.managementKey : app.token)", .contentType: "application/json"],
            body: ByteBuffer(bytes: JSONWriter.encoded(JSONValue.object(fields))))
    }

    static func check(_ client: any TestClientProtocol, _ app: TestApp, _ body: JSONValue) async throws -> JSONValue {
        try await send(client, app, .post, "/api/availability/check", body).json()
    }

    static func smallKitchen(_ client: any TestClientProtocol, _ app: TestApp) async throws {
        let r = try await send(client, app, .put, "/api/planning/config", ["config": ["capacity": ["cuisine": 1, "preparation": 1, "comptoir": 5, "livraison": 1]]])
        #expect(r.status == .ok)
    }

    @Test(arguments: TestDatabases.kinds)
    func anOrderPlacedAfterTheCheckGetsExactlyTheAnnouncedTime(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let check = try await Self.check(client, app, ["mode": "pickup", "itemCount": 1])
            #expect(check["available"] == true)
            #expect(check["estimatedTime"] == "13:25")  // S: 5 + 15 min from 13:05
            #expect(check["message"] == "La commande peut être prête à 13h25.")
            let placed = try await OrderToolTests.post(client, app, "/api/ai/tools/confirm-order", [
                "order_type": "pickup", "items": [["id": 1, "quantity": 1]], "call_id": "c-exact", "caller_phone": "0611112222",
                "last_availability_check": check,
            ]).json()
            #expect(placed["success"] == true)
            #expect(placed["heure_estimee"] == "13:25")
            let row: Order? = try await Order.query(on: app.database.db).filter(\.$callId == "c-exact").first()
            let order = try #require(row)
            #expect(order.estimatedReadyAt == (try Date(check["estimatedTimeISO"]!.stringValue!, strategy: .iso8601)))
            #expect(order.cookStartAt == order.estimatedReadyAt!.addingTimeInterval(-20 * 60))
            #expect(order.handoffAt == order.estimatedReadyAt)
            #expect(order.orderSize == "S")
            // A wanted time later today is kept as asked.
            let later = try await Self.check(client, app, ["mode": "pickup", "requestedTime": "14:00"])
            #expect(later["estimatedTime"] == "14:00" && later["shiftedMin"] == 0)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aKitchenFilledByEarlierOrdersPushesTheNextOneLater(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            try await Self.smallKitchen(client, app)
            let first = try await OrderToolTests.post(client, app, "/api/ai/tools/confirm-order", [
                "order_type": "pickup", "items": [["id": 1, "quantity": 1]], "call_id": "k1", "caller_phone": "0611110001",
            ]).json()
            #expect(first["heure_estimee"] == "13:25")
            // The cook is busy 13:10–13:25: the next S order cannot be ready before 13:40.
            let check = try await Self.check(client, app, ["mode": "pickup", "itemCount": 1, "requestedTime": "13:25"])
            #expect(check["available"] == true)
            #expect(check["estimatedTime"] == "13:40")
            #expect(check["shiftedMin"] == 15)
            #expect(check["message"]?.stringValue?.hasPrefix("Pas à l'heure demandée") == true)
            let second = try await OrderToolTests.post(client, app, "/api/ai/tools/confirm-order", [
                "order_type": "pickup", "items": [["id": 1, "quantity": 1]], "call_id": "k2", "caller_phone": "0611110002",
            ]).json()
            #expect(second["heure_estimee"] == "13:40")
            // The timeline shows the cook taken.
            let timeline = try await client.execute(uri: "/api/planning/timeline?restaurantId=\(app.id)&date=2026-11-26&from=13:00&to=14:00", method: .get, headers: app.manager).json()
            let slots = try #require(timeline["slots"]?.arrayValue)
            #expect(slots.count == 12)
            let at1315 = try #require(slots.first { $0["time"] == "13:15" })
            #expect(at1315["resources"]?["cuisine"] == ["used": 1, "capacity": 1])
            let free = try await client.execute(uri: "/api/planning/available-slots?restaurantId=\(app.id)&size=S&date=2026-11-26&from=13:00&to=14:00", method: .get, headers: app.manager).json()
            let times = free["slots"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(!times.contains("13:25") && !times.contains("13:40") && times.contains("13:55"))
            // A cancelled order gives its slot back: 13:25 is possible again.
            let cancelled = try await OrderToolTests.post(client, app, "/api/ai/tools/cancel-order", [
                "order_number": first["order_number"]!, "caller_phone": "0611110001", "call_id": "k1",
            ]).json()
            #expect(cancelled["success"] == true)
            let freed = try await Self.check(client, app, ["mode": "pickup", "itemCount": 1, "requestedTime": "13:25"])
            #expect(freed["estimatedTime"] == "13:25" && freed["shiftedMin"] == 0)
            // An order the kitchen moves forward keeps its slot; a completed one frees it.
            let board = try await Self.send(client, app, .patch, "/api/orders", ["orderNumber": second["order_number"]!, "status": "preparing"])
            #expect(board.status == .ok)
            func cookAt1330() async throws -> JSONValue? {
                let t = try await client.execute(uri: "/api/planning/timeline?restaurantId=\(app.id)&date=2026-11-26&from=13:30&to=13:35", method: .get, headers: app.manager).json()
                return t["slots"]?.arrayValue?.first?["resources"]?["cuisine"]?["used"]
            }
            #expect(try await cookAt1330() == 1)
            let done = try await Self.send(client, app, .patch, "/api/orders", ["orderNumber": second["order_number"]!, "status": "completed"])
            #expect(done.status == .ok)
            #expect(try await cookAt1330() == 0)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func theAnnouncedSlotTakenSinceIsRefusedWithTheNextOne(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            try await Self.smallKitchen(client, app)
            let check = try await Self.check(client, app, ["mode": "pickup", "itemCount": 1])
            #expect(check["estimatedTime"] == "13:25")
            // Another caller gets there first.
            _ = try await OrderToolTests.post(client, app, "/api/ai/tools/confirm-order", [
                "order_type": "pickup", "items": [["id": 2, "quantity": 1]], "call_id": "other", "caller_phone": "0611110003",
            ]).json()
            let late = try await OrderToolTests.post(client, app, "/api/ai/tools/confirm-order", [
                "order_type": "pickup", "items": [["id": 1, "quantity": 1]], "call_id": "mine", "caller_phone": "0611110004",
                "last_availability_check": check,
            ]).json()
            #expect(late["success"] == false)
            #expect(late["code"] == "slot_taken")
            #expect(late["error"] == "Le créneau de 13h25 vient d'être pris. Le premier horaire possible est à 13h40 : est-ce que cela convient ?")
            // Nothing was written and the refusal is not replayed: after a new check the same call goes through.
            #expect(try await Order.query(on: app.database.db).filter(\.$callId == "mine").count() == 0)
            let again = try await Self.check(client, app, ["mode": "pickup", "itemCount": 1])
            let retried = try await OrderToolTests.post(client, app, "/api/ai/tools/confirm-order", [
                "order_type": "pickup", "items": [["id": 1, "quantity": 1]], "call_id": "mine", "caller_phone": "0611110004",
                "last_availability_check": again,
            ]).json()
            #expect(retried["success"] == true && retried["heure_estimee"] == again["estimatedTime"])
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func externalLoadsAndClosedHours(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            try await Self.smallKitchen(client, app)
            // A dine-in rush takes the cook from 13:00 to 14:00.
            let created = try await Self.send(client, app, .post, "/api/planning/external-loads", ["kind": "dine_in_rush", "start": "13:00", "end": "14:00", "load": ["cuisine": 1]])
            #expect(created.status == .created)
            let loadId = try #require(try created.json()["load"]?["id"]?.stringValue)
            // As soon as possible would be 13:25; the cook is free again at 14:00, so 14:15 — beyond the 45 min shift.
            let busy = try await Self.check(client, app, ["mode": "pickup", "itemCount": 1])
            #expect(busy["available"] == false && busy["reason"] == "kitchen_full")
            #expect(busy["nextAvailableTime"] == "14:15")
            #expect(busy["message"] == "La cuisine est complète à ce moment-là. Le premier horaire possible est à 14h15.")
            let asked = try await Self.check(client, app, ["mode": "pickup", "itemCount": 1, "requestedTime": "14:00"])
            #expect(asked["available"] == true && asked["estimatedTime"] == "14:15")
            let listed = try await client.execute(uri: "/api/planning/external-loads?restaurantId=\(app.id)", method: .get, headers: app.manager).json()
            #expect(listed["loads"]?.arrayValue?.count == 1)
            let bad = try await Self.send(client, app, .post, "/api/planning/external-loads", ["start": "13:00", "end": "14:00", "load": ["four": 1]])
            #expect(bad.status == .unprocessableContent)
            #expect(try bad.json()["error"]?.stringValue?.contains("load.four") == true)
            let moved = try await Self.send(client, app, .patch, "/api/planning/external-loads", ["id": .string(loadId), "start": "15:00", "end": "16:00"])
            #expect(try moved.json()["load"]?["start"] == "15:00")
            #expect(try await Self.check(client, app, ["mode": "pickup", "itemCount": 1])["estimatedTime"] == "13:25")
            let deleted = try await client.execute(uri: "/api/planning/external-loads?restaurantId=\(app.id)&id=\(loadId)", method: .delete, headers: app.manager)
            #expect(deleted.status == .ok)
            #expect(try await Self.check(client, app, ["mode": "pickup", "itemCount": 1])["estimatedTime"] == "13:25")

            // Closed between services: the next opening and the first time possible then.
            let closed = try await Self.check(client, app, ["mode": "pickup", "requestedTime": "15:30"])
            #expect(closed["available"] == false)
            #expect(closed["reason"] == "closed")
            #expect(closed["nextOpeningTime"] == "18:30")
            #expect(closed["nextAvailableTime"] == "18:30")
            #expect(closed["message"] == "Le restaurant est fermé à ce moment-là. Il ouvre à 18h30. Je peux vous proposer à 18h30.")
            // A time already past today means tomorrow (Friday lunch).
            let tomorrow = try await Self.check(client, app, ["mode": "pickup", "requestedTime": "12:00"])
            #expect(tomorrow["estimatedDate"] == "2026-11-27" && tomorrow["estimatedTime"] == "12:00")
            // A planning setting that cannot be used is named.
            let wrong = try await Self.send(client, app, .put, "/api/planning/config", ["config": ["bands": [["from": "19h"]]]])
            #expect(wrong.status == .unprocessableContent)
            #expect(try wrong.json()["error"]?.stringValue?.hasPrefix("planningConfig.bands[0]") == true)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func deliveryDistanceRadiusAndTheGeocoder(_ kind: String) async throws {
        let double = GeocoderDouble()
        try await double.run { url in
            // A generous deadline: the whole suite runs in parallel on 2 cores (the product default is 3 s).
            try await TestApp.with(kind, geocoder: CachingGeocoder(NominatimGeocoder(url: url, timeout: .seconds(15)))) { app, client throws in
                // Given coordinates 2.6 km away (×1.3 road factor → 3.4 km, inside the 4 km radius).
                let near = try await Self.check(client, app, ["mode": "delivery", "customerLat": 48.8532, "customerLng": 2.3692, "itemCount": 2])
                #expect(near["available"] == true)
                #expect(near["deliveryDistanceKm"] == 3.4)
                #expect(near["deliveryDurationMin"] == 15)
                // 20 kitchen + 5 packing + 15 road from 13:05 → 13:45.
                #expect(near["estimatedTime"] == "13:45")
                #expect(near["deliveryFee"] == 2.5 && near["deliveryFreeAbove"] == 30)
                // An address found by the geocoder.
                let rivoli = try await Self.check(client, app, ["mode": "delivery", "customerAddress": "10 rue de Rivoli", "customerCity": "Paris"])
                #expect(rivoli["available"] == true)
                #expect(rivoli["customerAddressFormatted"] == "10, Rue de Rivoli, Paris 4e, 75004, France")
                #expect(rivoli["customerLat"] == 48.8556)
                // Outside the radius: refused with the distance.
                let far = try await Self.check(client, app, ["mode": "delivery", "customerAddress": "1 place de la Défense"])
                #expect(far["available"] == false && far["reason"] == "out_of_range")
                #expect(far["message"] == "Désolé, cette adresse est à 10,2 km du restaurant : nous livrons jusqu'à 4 km.")
                // A new address wins over the saved coordinates the call context still carries.
                let moved = try await Self.check(client, app, ["mode": "delivery", "customerAddress": "1 place de la Défense", "customerLat": 48.8532, "customerLng": 2.3692])
                #expect(moved["reason"] == "out_of_range")
                // Not found, and provider failure: a sentence, never a crash.
                let unknown = try await Self.check(client, app, ["mode": "delivery", "customerAddress": "introuvable"])
                #expect(unknown["reason"] == "address_not_found")
                let down = try await Self.check(client, app, ["mode": "delivery", "customerAddress": "panne"])
                #expect(down["reason"] == "geocoder_unavailable")
                // The saved address of the known caller needs no geocoding.
                let before = double.requests.withLock { $0.count }
                let saved = try await Self.check(client, app, ["mode": "delivery", "customerPhone": "06 12 34 56 78"])
                #expect(saved["available"] == true)
                #expect(double.requests.withLock { $0.count } == before)
                // The same address again comes from the cache.
                _ = try await Self.check(client, app, ["mode": "delivery", "customerAddress": "10 rue de Rivoli", "customerCity": "Paris"])
                #expect(double.requests.withLock { $0.count } == before)
                // confirm_order refuses a delivery the check would refuse (coordinates outside the radius).
                let order = try await OrderToolTests.post(client, app, "/api/ai/tools/confirm-order", [
                    "order_type": "delivery", "items": [["id": 5, "quantity": 2]], "call_id": "far", "caller_phone": "0611110005",
                    "last_availability_check": ["customerLat": 48.8918, "customerLng": 2.2389],
                ]).json()
                #expect(order["success"] == false, "\(order)")
                #expect(order["code"] == "out_of_range")
            }
        }
    }

    /// The evening after each daylight-saving change, asked the day before: the wall-clock time is kept.
    @Test(arguments: [
        (1774699200.0, "2026-03-29T17:00:00Z"),  // Saturday 2026-03-28 13:00 CET → Sunday 19:00 CEST
        (1792839600.0, "2026-10-25T18:00:00Z"),  // Saturday 2026-10-24 13:00 CEST → Sunday 19:00 CET
    ])
    func tomorrowEveningAcrossDaylightSavingChanges(_ now: Double, _ expected: String) async throws {
        try await TestApp.with(now: { Date(timeIntervalSince1970: now) }) { app, client throws in
            let check = try await Self.check(client, app, ["mode": "pickup", "requestedTime": "19:00", "requestedDate": "demain"])
            #expect(check["available"] == true)
            #expect(check["estimatedTime"] == "19:00")
            #expect(check["estimatedTimeISO"] == .string(expected))
            let table = try await Self.check(client, app, ["mode": "reservation", "requestedTime": "20:00", "requestedDate": "dimanche", "partySize": 2])
            #expect(table["available"] == true)
            #expect(table["estimatedDate"]?.stringValue == String(expected.prefix(10)))
        }
    }

    @Test func googleGeocoderAndAProviderThatIsDown() async throws {
        let double = GeocoderDouble()
        try await double.run { url in
            let google = GoogleGeocoder(url: url, apiKey: "test-key", timeout: .seconds(15))
            let found = try #require(try await google.geocode("10 rue de Rivoli, Paris"))
            #expect(found.point.lat == 48.8556 && found.formatted.hasPrefix("10, Rue de Rivoli"))
            #expect(try await google.geocode("introuvable") == nil)
            await #expect(throws: GeocoderFailure.self) { try await GoogleGeocoder(url: url, apiKey: "wrong", timeout: .seconds(15)).geocode("10 rue de Rivoli") }
            #expect(double.requests.withLock { $0.last } == "google:10 rue de Rivoli")
        }
        // Nothing listens there.
        await #expect(throws: GeocoderFailure.self) { try await NominatimGeocoder(url: "http://127.0.0.1:9", timeout: .seconds(1)).geocode("10 rue de Rivoli") }
    }
}
