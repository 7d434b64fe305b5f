import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
@preconcurrency import Benchmark
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit

/// check_availability and confirm_order scheduling with 200 active orders on the kitchen timeline.
let planningBenchmarks: @Sendable () -> Void = {
    Benchmark("planning: timeline of 200 active orders + plan one (pure)") { benchmark in
        let now = Date()
        let config = PlanningFixture.config
        let schedule = OpeningSchedule(hours: WeeklyHours(), time: RestaurantTime(identifier: "Europe/Paris"))
        let bookings = PlanningFixture.bookings(now: now)
        let window = KitchenBook.window(now: now, wanted: nil, config: config)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let kitchen = Kitchen(config: config, schedule: schedule, now: now, window: window, bookings: bookings)
            blackHole(kitchen.plan(.delivery, size: .m, wanted: nil, travelMin: 15))
        }
        benchmark.stopMeasurement()
    }
    Benchmark("POST /api/availability/check (pickup, 200 active orders)") { benchmark in
        try await PlanningFixture.run(benchmark, path: "/api/availability/check") { _ in #"{"mode":"pickup","itemCount":3}"# }
    }
    Benchmark("POST /api/availability/check (reservation, 40 reservations)") { benchmark in
        try await PlanningFixture.run(benchmark, path: "/api/availability/check") { _ in #"{"mode":"reservation","requestedTime":"20:00","requestedDate":"demain","partySize":2}"# }
    }
    Benchmark("POST /api/ai/tools/confirm-order (scheduled, 200+ active orders)", configuration: .init(maxDuration: .seconds(5), maxIterations: 1000)) { benchmark in
        try await PlanningFixture.run(benchmark, path: "/api/ai/tools/confirm-order") { i in
            #"{"order_type":"pickup","items":[{"id":1,"quantity":1}],"call_id":"bench-\#(i)-\#(UUID().uuidString)","caller_phone":"06\#(String(format: "%08d", i % 100_000_000))"}"#
        }
    }
}

enum PlanningFixture {
    nonisolated(unsafe) static var prepared: (AppServices, UUID, String)?

    static var config: PlanningConfig {
        var c = PlanningConfig(avgPrepTimeMin: 20)
        // Ample: the benchmark runs its body many times and every confirm-order stays on the timeline, so a
        // realistic kitchen would fill up and the measurement would become one of refusals.
        c.capacity = [.cuisine: 100_000, .preparation: 100_000, .comptoir: 100_000, .livraison: 100_000]
        c.maxShiftMin = 120
        return c
    }

    /// 200 orders spread over the next three hours, a third of them deliveries.
    static func bookings(now: Date) -> [KitchenBooking] {
        (0..<200).map { i in
            let promised = now.addingTimeInterval(Double(20 + (i * 180 / 200)) * 60)
            let size: OrderSize = [.s, .m, .l][i % 3]
            let type: OrderType = i % 3 == 0 ? .delivery : .pickup
            let handoff = type == .delivery ? promised.addingTimeInterval(-15 * 60) : promised
            let lead = Double(config.kitchenMinutes(size) + (type == .delivery ? 20 : 0)) * 60
            return KitchenBooking(type: type, size: size, cookStart: promised.addingTimeInterval(-lead), handoff: handoff, promised: promised)
        }
    }

    /// The demo restaurant, open at all hours, with 200 active orders and 40 reservations tomorrow evening.
    static func prepare() async throws -> (AppServices, UUID, String) {
        if let prepared { return prepared }
        let database = try await AlloRestoDatabase.open(.sqliteMemory)
        let services = try AppServices(configuration: ServerConfiguration(encryptionKeyHex: Fixture.keyHex), database: database)
        let demo = try await DemoRestaurant.load(on: database.db, cipher: services.cipher)
        let sql = database.db as! any SQLDatabase
        let configText = String(decoding: JSONWriter.encoded(config.json), as: UTF8.self)
        try await sql.raw("UPDATE restaurants SET opening_hours = '{}', planning_config = \(bind: configText) WHERE id = \(bind: demo.restaurantId)").run()
        try await RestaurantVersion.bump(demo.restaurantId, on: database.db)
        let now = Date()
        for (i, b) in bookings(now: now).enumerated() {
            let o = Order()
            o.$restaurant.id = demo.restaurantId
            o.orderNumber = 1000 + i
            o.status = "confirmed"
            o.orderType = b.type.rawValue
            o.subtotal = 2000
            o.deliveryFee = 0
            o.total = 2000
            o.source = "phone_ai"
            o.estimatedReadyAt = b.promised
            o.cookStartAt = b.cookStart
            o.handoffAt = b.handoff
            o.orderSize = b.size.rawValue
            try await o.create(on: database.db)
        }
        try await sql.raw("UPDATE restaurants SET last_order_number = 1200 WHERE id = \(bind: demo.restaurantId)").run()
        let clock = RestaurantTime(identifier: "Europe/Paris")
        let tomorrow = clock.localDate(now).adding(days: 1)
        for i in 0..<40 {
            let r = Reservation()
            r.$restaurant.id = demo.restaurantId
            r.partySize = 2
            r.reservationTime = clock.instant(tomorrow, TimeOfDay(minutes: 19 * 60 + (i % 8) * 15))
            r.endTime = r.reservationTime.addingTimeInterval(105 * 60)
            r.status = "confirmed"
            r.source = "dashboard"
            try await r.create(on: database.db)
        }
        prepared = (services, demo.restaurantId, demo.agentToken!)
        return prepared!
    }

    static func run(_ benchmark: Benchmark, path: String, body: @escaping @Sendable (Int) -> String) async throws {
        let (services, rid, token) = try await prepare()
        let app = try await buildApplication(services: services)
        let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        @Sendable func request(_ i: Int) -> ByteBuffer {
            var text = body(i)
            text.removeFirst()
            return ByteBuffer(string: #"{"restaurantId":"\#(rid.uuidString.lowercased())","# + text)
        }
        try await app.test(.router) { client in
            let first = try await client.execute(uri: path, method: .post, headers: headers, body: request(0))
            let text = String(buffer: first.body)
            guard first.status == .ok || first.status == .created, text.contains("\"success\":true") else {
                FileHandle.standardError.write(Data("\(path) answered \(first.status) \(text)\n".utf8))
                throw CancellationError()
            }
            var i = 0
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                i += 1
                let response = try await client.execute(uri: path, method: .post, headers: headers, body: request(i))
                blackHole(response.body.readableBytes)
            }
            benchmark.stopMeasurement()
        }
    }
}
