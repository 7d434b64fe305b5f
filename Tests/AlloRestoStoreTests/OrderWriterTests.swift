import AlloRestoCore
@testable import AlloRestoStore
import AlloRestoTestSupport
import FluentKit
import Foundation
import Testing

@Suite struct OrderWriterTests {
    func setup(_ database: AlloRestoDatabase) async throws -> (UUID, PricedOrder) {
        let cipher = LineSecretCipher(master: try MasterKey(hex: TestDatabases.testKeyHex))
        let demo = try await DemoRestaurant.load(on: database.db, cipher: cipher)
        let row = try #require(try await Restaurant.find(demo.restaurantId, on: database.db))
        let snapshot = try await RestaurantSnapshotLoader.load(row, on: database.db)
        let priced = try OrderPricing.price(
            OrderDraft(orderType: .pickup, lines: [.init(number: 1, quantity: 2)]), menu: snapshot.menu,
            numbering: ItemNumbering(menu: snapshot.menu), restaurant: snapshot.restaurant).get()
        return (demo.restaurantId, priced)
    }

    func job(_ rid: UUID, _ order: PricedOrder, key: String, phone: String?) -> OrderWriter.Job {
        var p = OrderBook.Placement(restaurantId: rid, order: order, readyAt: Date(timeIntervalSince1970: 1_795_700_000))
        p.customerPhone = phone
        p.customerName = "Zoé"
        p.placedAt = Date(timeIntervalSince1970: 1_795_694_700)
        return OrderWriter.Job(placement: p, keys: [key])
    }

    /// The confirmation an order placed (nil for a kitchen refusal or a first answer recorded as sent).
    func confirmation(_ placing: OrderWriter.Placing) -> OrderBook.Confirmation? {
        if case .kept(let recorded) = placing { recorded.outcome } else { nil }
    }

    @Test(arguments: TestDatabases.kinds)
    func batchesNumberContiguouslyAndAggregateCustomers(_ kind: String) async throws {
        try await TestDatabases.with(kind) { database in
            let (rid, order) = try await setup(database)
            let writer = OrderWriter(database: database)
            let outcomes = try await withThrowingTaskGroup(of: Int?.self) { group in
                for i in 0..<30 {
                    // Three callers, ten orders each.
                    group.addTask { confirmation(try await writer.place(job(rid, order, key: "k\(i)", phone: "+3361000000\(i % 3)")))?.orderNumber }
                }
                return try await group.reduce(into: [Int?]()) { $0.append($1) }
            }
            #expect(Set(outcomes) == Set(2...31))
            let numbers: [Order] = try await Order.query(on: database.db).sort(\.$orderNumber).all()
            #expect(numbers.map(\.orderNumber) == Array(1...31))
            let customers: [Customer] = try await Customer.query(on: database.db).filter(\.$phone ~~ ["+33610000000", "+33610000001", "+33610000002"]).all()
            #expect(customers.map(\.totalOrders) == [10, 10, 10])
            #expect(customers.allSatisfy { $0.totalSpent == 10 * order.totalMinor && $0.firstName == "Zoé" })
            let lines = try await OrderItem.query(on: database.db).count()
            #expect(lines == 30 + 2)  // the demo order has two lines
            // Replayed from the ledger afterwards.
            let again = try await writer.place(job(rid, order, key: "k7", phone: "+33610000001"))
            guard case .kept(.replayed(let first)) = again else { Issue.record("expected a replay"); return }
            // The first confirmation's facts, read back from the ledger's versioned record.
            #expect(first.summary == order.summary && first.totalMinor == order.totalMinor && first.placedAt == Date(timeIntervalSince1970: 1_795_694_700))
            #expect(first.readyAt == Date(timeIntervalSince1970: 1_795_700_000))
            let stored = try await IdempotencyRecord.query(on: database.db).filter(\.$key == "k7").first()
            #expect(stored?.response.hasPrefix(#"{"outcome":{"#) == true && stored?.response.hasSuffix(#","v":1}"#) == true, "\(stored?.response ?? "")")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aBatchIsAllOrNothing(_ kind: String) async throws {
        try await TestDatabases.with(kind) { database in
            let (rid, order) = try await setup(database)
            let writer = OrderWriter(database: database)
            _ = try await writer.place(job(rid, order, key: "taken", phone: nil))
            // A batch whose second order collides with a recorded key rolls back entirely, numbers included.
            await #expect(throws: (any Error).self) {
                try await database.db.transaction { tx in
                    _ = try await OrderWriter.writeBatch([job(rid, order, key: "fresh", phone: "+33699999999"), job(rid, order, key: "taken", phone: nil)], on: tx)
                }
            }
            #expect(try await Order.query(on: database.db).count() == 2)
            #expect(try await Customer.query(on: database.db).filter(\.$phone == "+33699999999").count() == 0)
            let r = try #require(try await Restaurant.find(rid, on: database.db))
            #expect(r.lastOrderNumber == 2)
            // The next order still gets the next number: no gap.
            let next = try await writer.place(job(rid, order, key: "fresh", phone: "+33699999999"))
            #expect(confirmation(next)?.orderNumber == 3)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func transitionsAreConditionalAndCancellationRefundsTheCustomer(_ kind: String) async throws {
        try await TestDatabases.with(kind) { database in
            let (rid, order) = try await setup(database)
            _ = try await OrderWriter(database: database).place(job(rid, order, key: "t1", phone: "+33655555555"))
            let placed: Order? = try await Order.query(on: database.db).filter(\.$orderNumber == 2).first()
            let o = try #require(placed)
            // Someone else moved it already: a transition from a stale status changes nothing.
            #expect(try await !OrderBook.transition(o, from: ["pending"], to: "preparing", on: database.db))
            #expect(try await Order.find(o.id, on: database.db)?.status == "confirmed")
            #expect(try await OrderBook.transition(o, from: ["confirmed"], to: "cancelled", on: database.db))
            #expect(try await !OrderBook.transition(o, from: ["confirmed"], to: "preparing", on: database.db))
            let c: Customer? = try await Customer.query(on: database.db).filter(\.$phone == "+33655555555").first()
            #expect(c?.totalOrders == 0)
            #expect(c?.totalSpent == 0)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func kitchenBookingsAreKeptAggregatedAndRebuiltByTheMigration(_ kind: String) async throws {
        try await TestDatabases.with(kind) { database in
            let (rid, order) = try await setup(database)
            let writer = OrderWriter(database: database)
            let a = Date(timeIntervalSince1970: 1_795_699_000), b = a.addingTimeInterval(600)
            func planned(_ key: String, cook: Date) -> OrderWriter.Job {
                var j = job(rid, order, key: key, phone: nil)
                j.placement.cookStartAt = cook
                j.placement.handoffAt = cook.addingTimeInterval(900)
                j.placement.readyAt = cook.addingTimeInterval(900)
                return j
            }
            for i in 0..<5 { _ = try await writer.place(planned("a\(i)", cook: a)) }
            for i in 0..<2 { _ = try await writer.place(planned("b\(i)", cook: b)) }
            let window = DateInterval(start: a.addingTimeInterval(-3600), end: b.addingTimeInterval(3600))
            func counts() async throws -> [Date: Int] {
                let rows = try await KitchenBook.bookings(restaurantId: rid, window: window, on: database.db)
                return Dictionary(rows.map { ($0.cookStart, $0.count) }, uniquingKeysWith: +)
            }
            #expect(try await counts() == [a: 5, b: 2])
            // Leaving the active statuses frees the slot; moving forward within them does not.
            let atA: [Order] = try await Order.query(on: database.db).filter(\.$cookStartAt == a).sort(\.$orderNumber).all()
            #expect(try await OrderBook.transition(atA[0], from: ["confirmed"], to: "cancelled", on: database.db))
            #expect(try await OrderBook.transition(atA[1], from: ["confirmed"], to: "preparing", on: database.db))
            #expect(try await OrderBook.transition(atA[1], from: ["preparing"], to: "completed", on: database.db))
            #expect(try await OrderBook.transition(atA[2], from: ["confirmed"], to: "ready", on: database.db))
            #expect(try await counts() == [a: 3, b: 2])
            let atB: [Order] = try await Order.query(on: database.db).filter(\.$cookStartAt == b).all()
            for o in atB { #expect(try await OrderBook.transition(o, from: ["confirmed"], to: "cancelled", on: database.db)) }
            #expect(try await counts() == [a: 3])
            // A database migrated from before the table gets it filled from the active orders.
            try await CreateKitchenBookings().revert(on: database.db)
            try await CreateKitchenBookings().prepare(on: database.db)
            #expect(try await counts() == [a: 3])
        }
    }

    /// A first answer stored before typed outcomes (the HTTP body as sent) is given back as it is; a record of a
    /// newer version is a fault, never a second order.
    @Test(arguments: TestDatabases.kinds)
    func aRecordFromBeforeTypedOutcomesIsReplayedAsSent(_ kind: String) async throws {
        try await TestDatabases.with(kind) { database in
            let (rid, order) = try await setup(database)
            func record(_ key: String, _ response: String) async throws {
                let row = IdempotencyRecord()
                row.$restaurant.id = rid
                row.key = key
                row.tool = "confirm_order"
                row.response = response
                try await row.create(on: database.db)
            }
            try await record("legacy", #"{"success":true,"order_number":7}"#)
            let writer = OrderWriter(database: database)
            guard case .kept(.replayedAsSent(let body)) = try await writer.place(job(rid, order, key: "legacy", phone: nil)) else {
                Issue.record("expected the body as sent"); return
            }
            #expect(body == #"{"success":true,"order_number":7}"#)
            try await record("newer", #"{"outcome":{},"v":2}"#)
            await #expect(throws: StoreError.self) { _ = try await writer.place(job(rid, order, key: "newer", phone: nil)) }
            #expect(try await Order.query(on: database.db).count() == 1, "only the demo's order")
        }
    }
}
