import AlloRestoCore
import FluentKit
import Foundation
import SQLKit

/// Reads the kitchen timeline of a restaurant from the database: the orders still to be made (grouped, so a
/// thousand identical orders cost one row) and the external loads, over a window.
public enum KitchenBook {
    /// Statuses whose kitchen, counter or rider use still lies ahead.
    public static let activeStatuses = ["pending", "confirmed", "preparing", "ready", "delivering"]
    /// The longest a booking can run past its promised time (a rider coming back).
    static let tail: TimeInterval = 4 * 3600

    /// The window a plan needs: from now to the horizon after the wanted time, with room for the longest order.
    public static func window(now: Date, wanted: Date?, config: PlanningConfig) -> DateInterval {
        let end = max(now, wanted ?? now).addingTimeInterval(TimeInterval(config.horizonMin * 60 + config.maxShiftMin * 60) + tail)
        return DateInterval(start: now.addingTimeInterval(-config.slot), end: end)
    }

    public static func bookings(restaurantId: UUID, window: DateInterval, on db: any Database) async throws -> [KitchenBooking] {
        guard let sql = db as? any SQLDatabase else { throw StoreError.invalid("the kitchen timeline needs an SQL database") }
        let rows = try await sql.raw("""
            SELECT order_type, order_size, cook_start_at, handoff_at, estimated_ready_at, COUNT(*) AS n FROM orders
            WHERE restaurant_id = \(bind: restaurantId) AND status IN (\(binds: activeStatuses))
              AND cook_start_at IS NOT NULL AND cook_start_at < \(bind: window.end)
              AND estimated_ready_at > \(bind: window.start.addingTimeInterval(-tail))
            GROUP BY order_type, order_size, cook_start_at, handoff_at, estimated_ready_at
            """).all()
        return try rows.compactMap { row in
            guard let type = OrderType(rawValue: try row.decode(column: "order_type", as: String.self)),
                  let size = OrderSize(rawValue: try row.decode(column: "order_size", as: String?.self) ?? "M")
            else { return nil }
            let cook = try row.decode(column: "cook_start_at", as: Date.self)
            let ready = try row.decode(column: "estimated_ready_at", as: Date?.self) ?? cook
            let handoff = try row.decode(column: "handoff_at", as: Date?.self) ?? ready
            return KitchenBooking(type: type, size: size, cookStart: cook, handoff: handoff, promised: ready, count: try row.decode(column: "n", as: Int.self))
        }
    }

    public static func loads(restaurantId: UUID, window: DateInterval, on db: any Database) async throws -> [KitchenLoad] {
        let rows: [ExternalLoad] = try await ExternalLoad.query(on: db)
            .filter(\.$restaurant.$id == restaurantId)
            .filter(\.$startsAt < window.end).filter(\.$endsAt > window.start)
            .all()
        return rows.map(\.info)
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
        var units: [KitchenResource: Int] = [:]
        if case .object(let o)? = try? JSONReader.parse(Array(load.utf8)) {
            for (k, v) in o {
                if let r = KitchenResource(rawValue: k), case .int(let n) = v { units[r] = n }
            }
        }
        return KitchenLoad(id: id, kind: kind, start: startsAt, end: endsAt, units: units)
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
