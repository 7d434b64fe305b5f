import FluentKit
import Foundation

/// What the back office's charts and the bridge's directory read: plain values, no models to walk.
public enum Reports {
    /// A period's activity: the instant of each call, and the instant and total (minor units) of each order not
    /// cancelled, placed within `[start, end)`.
    public struct Activity: Sendable {
        public var calls: [Date]
        public var orders: [(placed: Date, totalMinor: Int)]
    }

    /// The restaurant's calls and orders placed within `[start, end)`.
    public static func activity(restaurantId: UUID, start: Date, end: Date, on db: any Database) async throws -> Activity {
        let orders: [Order] = try await Order.query(on: db).filter(\.$restaurant.$id == restaurantId)
            .filter(\.$createdAt >= start).filter(\.$createdAt < end).filter(\.$status != "cancelled").all()
        let calls: [CallRecord] = try await CallRecord.query(on: db).filter(\.$restaurant.$id == restaurantId)
            .filter(\.$createdAt >= start).filter(\.$createdAt < end).all()
        return Activity(calls: calls.compactMap(\.createdAt), orders: orders.compactMap { o in o.createdAt.map { ($0, o.total) } })
    }

    /// One restaurant.
    public static func restaurant(_ id: UUID, on db: any Database) async throws -> Restaurant? { try await Restaurant.find(id, on: db) }

    /// Every restaurant's name by id.
    public static func restaurantNames(on db: any Database) async throws -> [UUID: String] {
        let rows: [Restaurant] = try await Restaurant.query(on: db).all()
        return Dictionary(rows.compactMap { r in r.id.map { ($0, r.name) } }, uniquingKeysWith: { a, _ in a })
    }

    /// Every restaurant and every active phone line, newest line first (the directory of dialed numbers, the
    /// lines the SIP bridge registers).
    public static func restaurantsAndActiveLines(on db: any Database) async throws -> (restaurants: [Restaurant], lines: [PhoneLine]) {
        let restaurants: [Restaurant] = try await Restaurant.query(on: db).all()
        let lines: [PhoneLine] = try await PhoneLine.query(on: db).filter(\.$isActive == true).sort(\.$createdAt, .descending).all()
        return (restaurants, lines)
    }
}
