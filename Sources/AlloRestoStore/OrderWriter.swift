import AlloRestoCore
import FluentKit
import Foundation
import SQLKit

/// Places orders with group commit: the orders that arrive while a transaction is being written wait for the next
/// one, which numbers, stores and records them all with a handful of multi-row statements. With many calls at
/// once this turns SQLite's single writer from one transaction per order into one per batch; with one call at a
/// time a batch is that one order. Any failure of a batch falls back to placing its orders one by one, which
/// keeps every per-order guarantee (gap-free numbers, idempotency replay on a key conflict).
public actor OrderWriter {
    /// One order to place: what to write, under which idempotency keys, and whether to plan it in the kitchen.
    public struct Job: Sendable {
        public var placement: OrderBook.Placement
        /// Idempotency keys (the first is recorded); see `IdempotencyLedger`.
        public var keys: [String]
        /// When set, the order is planned on the kitchen timeline inside the writing transaction (after the
        /// orders before it), and refused with the kitchen's `Scheduling` when it cannot take it.
        public var kitchen: KitchenRequest?

        public init(placement: OrderBook.Placement, keys: [String], kitchen: KitchenRequest? = nil) {
            self.placement = placement
            self.keys = keys
            self.kitchen = kitchen
        }
    }

    /// How to plan an order: the restaurant's settings and the wanted time.
    public struct KitchenRequest: Sendable {
        public var config: PlanningConfig
        public var schedule: OpeningSchedule
        public var now: Date
        public var wanted: Date?
        public var exact: Bool
        public var travelMin: Int

        public init(config: PlanningConfig, schedule: OpeningSchedule, now: Date, wanted: Date?, exact: Bool, travelMin: Int) {
            self.config = config
            self.schedule = schedule
            self.now = now
            self.wanted = wanted
            self.exact = exact
            self.travelMin = travelMin
        }
    }

    /// What placing an order gave: the confirmation (new, or the first one of the same call) or the kitchen's
    /// refusal (not recorded: the same order tried again may fit).
    public typealias Placing = Written<Recorded<OrderBook.Confirmation>, Scheduling>

    private struct Waiting {
        let job: Job
        let continuation: CheckedContinuation<Placing, any Error>
    }

    private let database: AlloRestoDatabase
    private var queue: [Waiting] = []
    private var draining = false
    public let maxBatch: Int

    public init(database: AlloRestoDatabase, maxBatch: Int = 100) {
        self.database = database
        self.maxBatch = maxBatch
    }

    /// Places one order (or replays the first result of the same call) and returns what it gave.
    /// The ledger is checked inside the batch's transaction with one query for the whole batch, so a new order
    /// costs no separate round trip on the writer's connection.
    public func place(_ job: Job) async throws -> Placing {
        try await withCheckedThrowingContinuation { continuation in
            queue.append(Waiting(job: job, continuation: continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !queue.isEmpty {
            let batch = Array(queue.prefix(maxBatch))
            queue.removeFirst(batch.count)
            await write(batch)
        }
        draining = false
    }

    private func write(_ batch: [Waiting]) async {
        // Identical calls in one batch: the first is written, the others get its answer.
        var firsts: [Waiting] = []
        var twins: [String: [Waiting]] = [:]
        for w in batch {
            if firsts.contains(where: { $0.job.keys[0] == w.job.keys[0] }) { twins[w.job.keys[0], default: []].append(w) } else { firsts.append(w) }
        }
        do {
            let jobs = firsts.map(\.job)
            let results = try await database.db.transaction { tx in
                // Calls already answered (a retry of an earlier batch) are replayed; the others are written. A first
                // key is unique in the table, so a call recorded since the route's check makes the batch fail and
                // fall back to one by one (which replays it); only the extra keys (the previous time window of a call
                // without an id) are looked up here.
                let stored = try await Self.storedResponses(for: jobs.flatMap { $0.keys.dropFirst() }, on: tx)
                let fresh = jobs.filter { job in !job.keys.contains { stored[$0] != nil } }
                let written = fresh.isEmpty ? [] : try await Self.writeBatch(fresh, on: tx)
                var answers = [String: Placing]()
                for (job, w) in zip(fresh, written) {
                    switch w {
                    case .kept(let c): answers[job.keys[0]] = .kept(.fresh(c))
                    case .refused(let s): answers[job.keys[0]] = .refused(s)
                    }
                }
                for job in jobs where answers[job.keys[0]] == nil {
                    if let previous = job.keys.lazy.compactMap({ stored[$0] }).first {
                        answers[job.keys[0]] = .kept(try IdempotencyLedger.decode(previous, as: OrderBook.Confirmation.self))
                    }
                }
                return answers
            }
            for w in firsts {
                guard let outcome = results[w.job.keys[0]] else { throw StoreError.invalid("order batch lost a job") }
                w.continuation.resume(returning: outcome)
                for twin in twins[w.job.keys[0]] ?? [] { twin.continuation.resume(returning: Self.repeated(outcome)) }
            }
        } catch {
            // One by one: each order gets its own transaction and its own outcome.
            for w in batch {
                do {
                    let job = w.job
                    let outcome = try await IdempotencyLedger.once(keys: job.keys, restaurantId: job.placement.restaurantId, tool: .confirmOrder, on: database.db) { tx in
                        try await Self.writeBatch([job], on: tx, record: false)[0]
                    }
                    w.continuation.resume(returning: outcome)
                } catch {
                    w.continuation.resume(throwing: error)
                }
            }
        }
    }

    /// The answer of an identical call of the same batch: the first one's confirmation as a replay, or its refusal.
    static func repeated(_ first: Placing) -> Placing {
        switch first {
        case .kept(.fresh(let c)): .kept(.replayed(c))
        default: first
        }
    }

    static func storedResponses(for keys: [String], on db: any Database) async throws -> [String: String] {
        guard !keys.isEmpty else { return [:] }
        guard let sql = db as? any SQLDatabase else { throw StoreError.invalid("order writing needs an SQL database") }
        let rows = try await sql.raw("SELECT key, response FROM idempotency_keys WHERE key IN (\(binds: keys))").all()
        return Dictionary(try rows.map { (try $0.decode(column: "key", as: String.self), try $0.decode(column: "response", as: String.self)) },
                          uniquingKeysWith: { first, _ in first })
    }

    /// Plans the jobs that ask for it on their restaurant's kitchen timeline, in order, each after the ones before.
    /// Returns the kitchen's refusals by job index; planned jobs get their cook start, handoff and promised time.
    static func plan(_ jobs: inout [Job], on tx: any Database) async throws -> [Int: Scheduling] {
        var refused: [Int: Scheduling] = [:]
        let planned = jobs.indices.filter { jobs[$0].kitchen != nil }
        for restaurantId in Set(planned.map { jobs[$0].placement.restaurantId }) {
            let indexes = planned.filter { jobs[$0].placement.restaurantId == restaurantId }
            try await RestaurantLock.lock(restaurantId, on: tx)
            let first = jobs[indexes[0]].kitchen!
            var window = KitchenBook.window(now: first.now, wanted: first.wanted, config: first.config)
            for i in indexes {
                let k = jobs[i].kitchen!
                let w = KitchenBook.window(now: k.now, wanted: k.wanted, config: k.config)
                window = DateInterval(start: min(window.start, w.start), end: max(window.end, w.end))
            }
            var kitchen = try await KitchenBook.kitchen(
                restaurantId: restaurantId, config: first.config, schedule: first.schedule, now: first.now, window: window, on: tx)
            for i in indexes {
                let k = jobs[i].kitchen!
                let order = jobs[i].placement.order
                let outcome = kitchen.plan(order.orderType, size: order.size, wanted: k.wanted, travelMin: k.travelMin, exact: k.exact)
                if case .planned(let p) = outcome {
                    kitchen.book(p.booking)
                    jobs[i].placement.cookStartAt = p.booking.cookStart
                    jobs[i].placement.handoffAt = p.booking.handoff
                    jobs[i].placement.readyAt = p.promised
                } else {
                    refused[i] = outcome
                }
            }
        }
        return refused
    }

    /// Writes distinct orders in the current transaction with multi-row statements; returns what each gave, in
    /// order. `record` stores each confirmation under its idempotency key (the caller records it otherwise).
    static func writeBatch(_ all: [Job], on tx: any Database, record: Bool = true) async throws -> [Written<OrderBook.Confirmation, Scheduling>] {
        guard let sql = tx as? any SQLDatabase else { throw StoreError.invalid("order writing needs an SQL database") }
        var all = all
        let refused = try await plan(&all, on: tx)
        let accepted = all.indices.filter { refused[$0] == nil }
        let jobs = accepted.map { all[$0] }
        var answers: [Written<OrderBook.Confirmation, Scheduling>?] = all.indices.map { refused[$0].map { .refused($0) } }
        guard !jobs.isEmpty else { return answers.compactMap { $0 } }
        // 1. Numbers: one UPDATE per restaurant reserves a contiguous block.
        var numbers: [Int] = Array(repeating: 0, count: jobs.count)
        for restaurantId in Set(jobs.map(\.placement.restaurantId)) {
            let indexes = jobs.indices.filter { jobs[$0].placement.restaurantId == restaurantId }
            guard let row = try await sql.raw("""
                UPDATE restaurants SET last_order_number = last_order_number + \(bind: indexes.count) WHERE id = \(bind: restaurantId)
                RETURNING last_order_number
                """).first()
            else { throw StoreError.notFound("restaurant \(restaurantId)") }
            let last = try row.decode(column: "last_order_number", as: Int.self)
            for (offset, i) in indexes.enumerated() { numbers[i] = last - indexes.count + 1 + offset }
        }

        // 2. Customers: one upsert for all callers of the batch (aggregated per phone).
        struct CustomerKey: Hashable { let restaurantId: UUID; let phone: String }
        var aggregates: [CustomerKey: (count: Int, spent: Int, last: Date, name: String?)] = [:]
        for job in jobs {
            guard let phone = job.placement.customerPhone else { continue }
            let key = CustomerKey(restaurantId: job.placement.restaurantId, phone: phone)
            var a = aggregates[key] ?? (0, 0, job.placement.placedAt, nil)
            a.count += 1
            a.spent += job.placement.order.totalMinor
            a.last = max(a.last, job.placement.placedAt)
            a.name = a.name ?? job.placement.customerName
            aggregates[key] = a
        }
        var customerIds: [CustomerKey: UUID] = [:]
        if !aggregates.isEmpty {
            let now = Date()
            let insert = sql.insert(into: "customers")
                .columns("id", "restaurant_id", "phone", "first_name", "total_orders", "total_spent", "last_order_at", "created_at", "updated_at")
            for (key, a) in aggregates {
                insert.values([TimeOrderedID.make(at: now), key.restaurantId, key.phone, a.name, a.count, a.spent, a.last, now, now] as [any Encodable & Sendable])
            }
            insert.onConflict(with: ["restaurant_id", "phone"]) { update in
                update
                    .set("total_orders", to: SQLRaw("customers.total_orders + excluded.total_orders"))
                    .set("total_spent", to: SQLRaw("customers.total_spent + excluded.total_spent"))
                    .set(excludedValueOf: "last_order_at")
                    .set(excludedValueOf: "updated_at")
                    .set("first_name", to: SQLRaw("COALESCE(NULLIF(customers.first_name, ''), excluded.first_name)"))
            }
            for row in try await insert.returning("id", "restaurant_id", "phone").all() {
                let key = CustomerKey(restaurantId: try row.decode(column: "restaurant_id", as: UUID.self), phone: try row.decode(column: "phone", as: String.self))
                customerIds[key] = try row.decode(column: "id", as: UUID.self)
            }
        }

        // 3. Orders and 4. their lines, each one statement.
        var placed: [OrderBook.Placed] = []
        let orders = sql.insert(into: "orders").columns(
            "id", "restaurant_id", "customer_id", "order_number", "status", "order_type", "subtotal", "delivery_fee", "total",
            "customer_name", "customer_phone", "delivery_address", "delivery_lat", "delivery_lng", "delivery_distance_km",
            "payment_method", "notes", "source", "call_id", "estimated_ready_at", "cook_start_at", "handoff_at", "order_size",
            "created_at", "updated_at")
        let lines = sql.insert(into: "order_items").columns(
            "id", "order_id", "menu_item_id", "name", "quantity", "unit_price", "total_price", "selected_options", "notes")
        var lineCount = 0
        for (i, job) in jobs.enumerated() {
            let p = job.placement
            let orderId = TimeOrderedID.make(at: p.placedAt)
            let customerId = p.customerPhone.flatMap { customerIds[CustomerKey(restaurantId: p.restaurantId, phone: $0)] }
            placed.append(OrderBook.Placed(orderId: orderId, orderNumber: numbers[i], customerId: customerId, readyAt: p.readyAt))
            orders.values([
                orderId, p.restaurantId, customerId, numbers[i], p.status, p.order.orderType.rawValue, p.order.subtotalMinor,
                p.order.deliveryFeeMinor, p.order.totalMinor, p.customerName, p.customerPhone, p.deliveryAddress, p.deliveryLat,
                p.deliveryLng, p.deliveryDistanceKm, p.paymentMethod, p.notes, p.source, p.callId, p.readyAt, p.cookStartAt,
                p.handoffAt, p.order.size.rawValue, p.placedAt, p.placedAt,
            ] as [any Encodable & Sendable])
            for line in p.order.lines {
                lines.values([
                    TimeOrderedID.make(at: p.placedAt), orderId, line.menuItemId, line.name, line.quantity, line.unitPriceMinor, line.totalPriceMinor,
                    JSONText.encode(line.options), line.notes,
                ] as [any Encodable & Sendable])
                lineCount += 1
            }
        }
        try await orders.run()
        if lineCount > 0 { try await lines.run() }
        try await KitchenBook.add(orderIds: zip(jobs, placed).filter { $0.0.placement.cookStartAt != nil }.map(\.1.orderId), on: sql)

        // 5. The confirmations, recorded under their idempotency keys in the same transaction.
        let records = sql.insert(into: "idempotency_keys").columns("id", "restaurant_id", "key", "tool", "response", "created_at")
        for ((job, p), index) in zip(zip(jobs, placed), accepted) {
            let confirmation = OrderBook.Confirmation(job.placement, p)
            answers[index] = .kept(confirmation)
            records.values([TimeOrderedID.make(at: job.placement.placedAt), job.placement.restaurantId, job.keys[0], ToolName.confirmOrder.rawValue,
                            try IdempotencyLedger.encode(confirmation), job.placement.placedAt] as [any Encodable & Sendable])
        }
        if record { try await records.run() }
        return answers.compactMap { $0 }
    }
}
