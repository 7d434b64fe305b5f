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

    /// One period's raw figures: every order placed and call received within `[start, end)`, and the reservations
    /// not cancelled starting within it.
    public struct Day: Sendable {
        public var orders: [Order]
        public var calls: [CallRecord]
        public var reservations: [Reservation]
    }

    /// The restaurant's orders, calls and reservations of `[start, end)` (the back office's day figures).
    public static func day(restaurantId: UUID, start: Date, end: Date, on db: any Database) async throws -> Day {
        let orders: [Order] = try await Order.query(on: db).filter(\.$restaurant.$id == restaurantId)
            .filter(\.$createdAt >= start).filter(\.$createdAt < end).all()
        let calls: [CallRecord] = try await CallRecord.query(on: db).filter(\.$restaurant.$id == restaurantId)
            .filter(\.$createdAt >= start).filter(\.$createdAt < end).all()
        let bookings: [Reservation] = try await Reservation.query(on: db).filter(\.$restaurant.$id == restaurantId)
            .filter(\.$reservationTime >= start).filter(\.$reservationTime < end).filter(\.$status != "cancelled").all()
        return Day(orders: orders, calls: calls, reservations: bookings)
    }

    /// What waits for the restaurant: questions callers asked that have no answer yet, and unread messages.
    public static func waiting(restaurantId: UUID, on db: any Database) async throws -> (pendingQuestions: Int, unreadMessages: Int) {
        let faq = try await Faq.query(on: db).filter(\.$restaurant.$id == restaurantId).filter(\.$status == "pending").count()
        let unread = try await Message.query(on: db).filter(\.$restaurant.$id == restaurantId).filter(\.$isRead == false).count()
        return (faq, unread)
    }

    /// The orders and reservations the given calls made, for the call log.
    public static func madeBy(calls ids: [String], restaurantId: UUID, on db: any Database) async throws -> (orders: [Order], reservations: [Reservation]) {
        guard !ids.isEmpty else { return ([], []) }
        let orders: [Order] = try await Order.query(on: db).filter(\.$restaurant.$id == restaurantId).filter(\.$callId ~~ ids).all()
        let bookings: [Reservation] = try await Reservation.query(on: db).filter(\.$restaurant.$id == restaurantId).filter(\.$callId ~~ ids).all()
        return (orders, bookings)
    }

    /// The orders not cancelled that are due ready within `[start, end)`, soonest first (the kitchen plan).
    public static func dueReady(restaurantId: UUID, start: Date, end: Date, on db: any Database) async throws -> [Order] {
        try await Order.query(on: db).filter(\.$restaurant.$id == restaurantId)
            .filter(\.$estimatedReadyAt >= start).filter(\.$estimatedReadyAt < end).filter(\.$status != "cancelled")
            .sort(\.$estimatedReadyAt).all()
    }
}
