import AlloRestoCore
import FluentKit
import Foundation
import SQLKit

/// Reads the kitchen timeline of a restaurant from the database: the orders still to be made (grouped, so a
/// thousand identical orders cost one row) and the external loads, over a window.
public enum KitchenBook {
    /// Statuses whose kitchen, counter or rider use still lies ahead.
    public static let activeStatuses = OrderStatus.active
    /// The longest a booking can run past its promised time (a rider coming back).
    static let tail: TimeInterval = 4 * 3600

    /// The window a plan needs: from now to the horizon after the wanted time, with room for the longest order.
    public static func window(now: Date, wanted: Date?, config: PlanningConfig) -> DateInterval {
        let end = max(now, wanted ?? now).addingTimeInterval(TimeInterval(config.horizonMin * 60 + config.maxShiftMin * 60) + tail)
        return DateInterval(start: now.addingTimeInterval(-config.slot), end: end)
    }

    /// The columns of `kitchen_bookings`, and the same values computed from an `orders` row (grouped by the first six).
    static let columns = "restaurant_id, order_type, order_size, cook_start_at, handoff_at, ready_at, n"
    /// A booking's key computed from an `orders` row (the first six columns of `kitchen_bookings`).
    static let orderKey = """
        restaurant_id, order_type, COALESCE(order_size, 'M'), cook_start_at,
        COALESCE(handoff_at, estimated_ready_at, cook_start_at), COALESCE(estimated_ready_at, cook_start_at)
        """
    static let orderValues = orderKey + ", COUNT(*)"

    public static func bookings(restaurantId: UUID, window: DateInterval, on db: any Database) async throws -> [KitchenBooking] {
        guard let sql = db as? any SQLDatabase else { throw StoreError.invalid("the kitchen timeline needs an SQL database") }
        let rows = try await sql.raw("""
            SELECT order_type, order_size, cook_start_at, handoff_at, ready_at, n FROM kitchen_bookings
            WHERE restaurant_id = \(bind: restaurantId) AND n > 0
              AND cook_start_at < \(bind: window.end) AND ready_at > \(bind: window.start.addingTimeInterval(-tail))
            """).all()
        return try rows.compactMap { row in
            guard let type = OrderType(rawValue: try row.decode(column: "order_type", as: String.self)),
                  let size = OrderSize(rawValue: try row.decode(column: "order_size", as: String.self))
            else { return nil }
            return KitchenBooking(
                type: type, size: size, cookStart: try row.decode(column: "cook_start_at", as: Date.self),
                handoff: try row.decode(column: "handoff_at", as: Date.self), promised: try row.decode(column: "ready_at", as: Date.self),
                count: try row.decode(column: "n", as: Int.self))
        }
    }

    /// Adds the given orders (just written, planned and active) to the aggregated bookings, in the caller's transaction.
    static func add(orderIds: [UUID], on sql: any SQLDatabase) async throws {
        guard !orderIds.isEmpty else { return }
        try await sql.raw("""
            INSERT INTO kitchen_bookings (\(unsafeRaw: columns))
            SELECT \(unsafeRaw: orderValues) FROM orders
            WHERE id IN (\(binds: orderIds)) AND cook_start_at IS NOT NULL AND status IN (\(binds: activeStatuses))
            GROUP BY 1, 2, 3, 4, 5, 6
            ON CONFLICT (restaurant_id, order_type, order_size, cook_start_at, handoff_at, ready_at)
            DO UPDATE SET n = kitchen_bookings.n + excluded.n
            """).run()
    }

    /// Takes an order that leaves the active statuses off the aggregated bookings, in the caller's transaction.
    static func remove(orderId: UUID, restaurantId: UUID, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            UPDATE kitchen_bookings SET n = n - 1
            WHERE (restaurant_id, order_type, order_size, cook_start_at, handoff_at, ready_at) IN (
                SELECT \(unsafeRaw: orderKey) FROM orders WHERE id = \(bind: orderId) AND cook_start_at IS NOT NULL)
            """).run()
        try await sql.raw("DELETE FROM kitchen_bookings WHERE restaurant_id = \(bind: restaurantId) AND n <= 0").run()
    }

    public static func loads(restaurantId: UUID, window: DateInterval, on db: any Database) async throws -> [KitchenLoad] {
        guard let sql = db as? any SQLDatabase else { throw StoreError.invalid("the kitchen timeline needs an SQL database") }
        // Raw SQL: read while an order is being written.
        let rows = try await sql.raw("""
            SELECT id, kind, starts_at, ends_at, load FROM external_loads
            WHERE restaurant_id = \(bind: restaurantId) AND starts_at < \(bind: window.end) AND ends_at > \(bind: window.start)
            """).all()
        return try rows.map { row in
            KitchenLoad(id: try row.decode(column: "id", as: UUID.self), kind: try row.decode(column: "kind", as: String.self),
                        start: try row.decode(column: "starts_at", as: Date.self), end: try row.decode(column: "ends_at", as: Date.self),
                        units: ExternalLoad.units(try row.decode(column: "load", as: String.self)))
        }
    }

    /// The timeline of a restaurant over a window, ready to plan on.
    public static func kitchen(
        restaurantId: UUID, config: PlanningConfig, schedule: OpeningSchedule, now: Date, window: DateInterval, on db: any Database
    ) async throws -> Kitchen {
        // One after the other: inside a transaction both run on the same connection.
        let b = try await bookings(restaurantId: restaurantId, window: window, on: db)
        let l = try await loads(restaurantId: restaurantId, window: window, on: db)
        return Kitchen(config: config, schedule: schedule, now: now, window: window, bookings: b, loads: l)
    }
}

extension ExternalLoad {
    public var info: KitchenLoad {
        KitchenLoad(id: id, kind: kind, start: startsAt, end: endsAt, units: Self.units(load))
    }

    /// The units a load takes per resource, from its stored JSON.
    static func units(_ load: String) -> [KitchenResource: Int] {
        var units: [KitchenResource: Int] = [:]
        if case .object(let o)? = try? JSONReader.parse(Array(load.utf8)) {
            for (k, v) in o {
                if let r = KitchenResource(rawValue: k), case .int(let n) = v { units[r] = n }
            }
        }
        return units
    }
}

/// Serializes writers that check capacity (orders, reservations) of one restaurant inside their transaction:
/// PostgreSQL locks the restaurant row until commit; SQLite has a single writer connection already.
enum RestaurantLock {
    static func lock(_ restaurantId: UUID, on tx: any Database) async throws {
        guard let sql = tx as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        _ = try await sql.raw("SELECT id FROM restaurants WHERE id = \(bind: restaurantId) FOR UPDATE").all()
    }
}
