import AlloRestoStore
import AlloRestoTestSupport
import FluentKit
import Foundation
import SQLKit
import Testing

@Suite struct MigrationTests {
    static let tables = [
        "restaurants", "menu_categories", "menu_items", "customers", "orders", "order_items", "reservations", "dining_services",
        "offers", "rooms", "dining_tables", "faqs", "messages", "calls", "phone_lines", "blocked_phones", "agent_tokens",
        "admin_users", "admin_sessions", "pricing_configs", "idempotency_keys", "external_loads",
    ]

    @Test(arguments: TestDatabases.kinds)
    func createsEveryTableAndIsIdempotent(_ kind: String) async throws {
        try await TestDatabases.with(kind) { database in
            let sql = try #require(database.db as? any SQLDatabase)
            for table in Self.tables {
                // Selecting from each table proves it exists with the expected name on this database.
                _ = try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").all()
            }
            // Running the migrations again changes nothing and does not fail.
            try await database.migrate()
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func uniqueConstraintsHold(_ kind: String) async throws {
        try await TestDatabases.with(kind) { database in
            let db = database.db
            let r = Restaurant(profile: .init(id: UUID(), name: "U"))
            try await r.create(on: db)
            func order(_ n: Int) -> Order {
                let o = Order()
                o.$restaurant.id = r.id!
                o.orderNumber = n
                o.status = "pending"
                o.orderType = "pickup"
                o.subtotal = 100
                o.deliveryFee = 0
                o.total = 100
                o.source = "phone_ai"
                return o
            }
            try await order(1).create(on: db)
            await #expect(throws: (any Error).self) { try await order(1).create(on: db) }
            let c1 = Customer(), c2 = Customer()
            for c in [c1, c2] {
                c.$restaurant.id = r.id!
                c.phone = "+33612345678"
                c.totalOrders = 0
                c.totalSpent = 0
            }
            try await c1.create(on: db)
            await #expect(throws: (any Error).self) { try await c2.create(on: db) }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func moneyAndTimesRoundTrip(_ kind: String) async throws {
        try await TestDatabases.with(kind) { database in
            let db = database.db
            var p = AlloRestoCore_Profile.make()
            p.deliveryFeeMinor = 250
            p.minOrderAmountMinor = 1_000_000_000_000  // well past 32 bits
            let r = Restaurant(profile: p)
            try await r.create(on: db)
            let back = try #require(try await Restaurant.find(p.id, on: db))
            #expect(back.profile == p)
            let res = Reservation()
            res.$restaurant.id = p.id
            res.partySize = 2
            let when = Date(timeIntervalSince1970: 1_795_000_000)
            res.reservationTime = when
            res.endTime = when.addingTimeInterval(5400)
            res.status = "confirmed"
            res.source = "phone_ai"
            try await res.create(on: db)
            let loaded = try #require(try await Reservation.query(on: db).first())
            #expect(abs(loaded.reservationTime.timeIntervalSince(when)) < 0.001)
        }
    }
}

import AlloRestoCore

enum AlloRestoCore_Profile {
    static func make() -> RestaurantProfile {
        var p = RestaurantProfile(id: UUID(), name: "Trattoria Roundtrip")
        p.openingHours = try! JSONDecoder().decode(WeeklyHours.self, from: Data(#"{"monday": {"open": "11:00", "close": "14:00", "open2": "19:00", "close2": "01:00"}}"#.utf8))
        p.paymentMethods = ["cash"]
        p.transferCases = ["réclamation"]
        p.aiCostMarginPct = 42.5
        p.lat = 48.1
        p.lng = 2.2
        return p
    }
}
