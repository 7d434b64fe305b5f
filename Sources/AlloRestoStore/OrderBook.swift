import AlloRestoCore
import FluentKit
import Foundation
import SQLKit

/// Orders once placed (`OrderWriter` places them): what a placement carries, cancellation, status changes.
public enum OrderBook {
    public struct Placement: Sendable {
        public var restaurantId: UUID
        public var order: PricedOrder
        public var customerPhone: String?
        public var customerName: String?
        public var customerId: UUID?
        public var paymentMethod: String?
        public var notes: String?
        public var callId: String?
        public var source: String
        public var deliveryAddress: String?
        public var deliveryLat: Double?
        public var deliveryLng: Double?
        public var deliveryDistanceKm: Double?
        public var readyAt: Date
        public var placedAt: Date = Date()
        public var cookStartAt: Date?
        public var handoffAt: Date?
        public var status: String
        /// The total the agent stated (minor units), kept to say it was corrected; the server's price is the one written.
        public var statedTotalMinor: Int?

        public init(restaurantId: UUID, order: PricedOrder, readyAt: Date, source: String = "phone_ai", status: String = "confirmed") {
            self.restaurantId = restaurantId
            self.order = order
            self.readyAt = readyAt
            self.source = source
            self.status = status
        }
    }

    public struct Placed: Sendable {
        public let orderId: UUID
        public let orderNumber: Int
        public let customerId: UUID?
        /// The time promised to the customer (as planned by the kitchen when the order was scheduled).
        public var readyAt: Date
    }

    /// A placed order as `confirm_order` words it, and as the idempotency ledger keeps it for a repeat of the
    /// same call (`IdempotencyLedger`, version 1): the facts of the first answer, never re-read from the order.
    public struct Confirmation: Codable, Sendable, Equatable {
        public var orderId: UUID
        public var orderNumber: Int
        /// `pickup`, `delivery` or `dine_in`.
        public var orderType: String
        /// When the order was placed (the instant its spoken times are relative to).
        public var placedAt: Date
        /// The time promised to the customer.
        public var readyAt: Date
        public var subtotalMinor: Int
        public var deliveryFeeMinor: Int
        public var totalMinor: Int
        /// `2× Margherita (Grande), 1× Tiramisu`.
        public var summary: String
        /// The total the agent stated, when it did (minor units).
        public var statedTotalMinor: Int?

        /// The confirmation of `placement` written as `placed`.
        public init(_ placement: Placement, _ placed: Placed) {
            orderId = placed.orderId
            orderNumber = placed.orderNumber
            orderType = placement.order.orderType.rawValue
            placedAt = placement.placedAt
            readyAt = placed.readyAt
            subtotalMinor = placement.order.subtotalMinor
            deliveryFeeMinor = placement.order.deliveryFeeMinor
            totalMinor = placement.order.totalMinor
            summary = placement.order.summary
            statedTotalMinor = placement.statedTotalMinor
        }
    }

    /// A caller's orders placed since `since`, newest first, with their lines (`check_order_status`).
    public static func placed(by phone: String, restaurantId: UUID, since: Date, on db: any Database) async throws -> [Order] {
        try await Order.query(on: db)
            .filter(\.$restaurant.$id == restaurantId).filter(\.$customerPhone == phone).filter(\.$createdAt >= since)
            .sort(\.$createdAt, .descending).with(\.$items).all()
    }

    /// Which of a restaurant's orders to list (the restaurant's side: board, history, a customer's orders).
    public struct Filter: Sendable {
        /// Stored statuses (`OrderStatus` raw values); empty for all.
        public var statuses: [String] = []
        public var orderType: String?
        /// The service board: every order still open placed since `openSince`, and every order placed since `placedSince`.
        public var board: (openSince: Date, placedSince: Date)?
        /// Placed within `[start, end)`.
        public var placed: (start: Date, end: Date)?
        public var customerPhone: String?
        public var limit = 100
        public init() {}
    }

    /// The orders matching `filter`, newest first, with their lines.
    public static func list(restaurantId: UUID, _ filter: Filter, on db: any Database) async throws -> [Order] {
        var query = Order.query(on: db).filter(\.$restaurant.$id == restaurantId)
        if !filter.statuses.isEmpty { query = query.filter(\.$status ~~ filter.statuses) }
        if let t = filter.orderType { query = query.filter(\.$orderType == t) }
        if let board = filter.board {
            query = query.group(.or) { any in
                any.group(.and) { open in open.filter(\.$status ~~ OrderStatus.active).filter(\.$createdAt >= board.openSince) }
                any.filter(\.$createdAt >= board.placedSince)
            }
        }
        if let placed = filter.placed { query = query.filter(\.$createdAt >= placed.start).filter(\.$createdAt < placed.end) }
        if let phone = filter.customerPhone { query = query.filter(\.$customerPhone == phone) }
        return try await query.sort(\.$createdAt, .descending).limit(filter.limit).with(\.$items).all()
    }

    /// One of the restaurant's orders, by id or by number, with its lines.
    public static func find(restaurantId: UUID, id: UUID?, number: Int?, on db: any Database) async throws -> Order? {
        var query = Order.query(on: db).filter(\.$restaurant.$id == restaurantId)
        if let id { query = query.filter(\.$id == id) } else if let number { query = query.filter(\.$orderNumber == number) } else { return nil }
        return try await query.with(\.$items).first()
    }

    /// Why a caller's cancellation was refused (worded for the caller by the Server).
    public enum CancelRefused: Error, Sendable, Equatable {
        /// No order of this number at this caller's phone.
        case notFound
        case alreadyCancelled
        /// Handed over already.
        case completed
        /// The kitchen has started it.
        case inProgress
        /// The kitchen started it in the same instant.
        case startedMeanwhile
    }

    /// Cancels a caller's own order when it is still `pending` or `confirmed` (one conditional UPDATE, so a
    /// kitchen that starts it at the same moment wins cleanly). Returns why not otherwise.
    public static func cancel(restaurantId: UUID, orderNumber: Int, phone: String, on db: any Database) async throws -> Result<Order, CancelRefused> {
        guard let order = try await Order.query(on: db).filter(\.$restaurant.$id == restaurantId).filter(\.$orderNumber == orderNumber).first(),
              order.customerPhone == phone
        else {
            return .failure(.notFound)
        }
        switch OrderStatus(rawValue: order.status) {
        case .cancelled: return .failure(.alreadyCancelled)
        case let s? where s.callerMayCancel: break
        case .completed: return .failure(.completed)
        default: return .failure(.inProgress)
        }
        guard try await transition(order, from: OrderStatus.callerCancellable, to: OrderStatus.cancelled.rawValue, on: db) else {
            return .failure(.startedMeanwhile)
        }
        order.status = "cancelled"
        return .success(order)
    }

    /// Moves an order to `to` only if it is still in one of `from` (one conditional UPDATE, so two people acting at
    /// once — a caller cancelling, the kitchen starting — cannot both win). A cancellation gives the customer's
    /// totals back in the same transaction. Returns false when the order had moved meanwhile.
    public static func transition(_ order: Order, from: [String], to: String, on db: any Database) async throws -> Bool {
        try await db.transaction { tx in
            guard let sql = tx as? any SQLDatabase else { throw StoreError.invalid("order transitions need an SQL database") }
            let changed = try await sql.raw("""
                UPDATE orders SET status = \(bind: to), updated_at = \(bind: Date())
                WHERE id = \(bind: order.id!) AND status IN (\(binds: from)) RETURNING id
                """).all()
            guard !changed.isEmpty else { return false }
            // Leaving the kitchen's active statuses frees the slot it held.
            if from.allSatisfy(KitchenBook.activeStatuses.contains), !KitchenBook.activeStatuses.contains(to) {
                try await KitchenBook.remove(orderId: order.id!, restaurantId: order.$restaurant.id, on: sql)
            }
            if to == "cancelled", let cid = order.$customer.id, let customer = try await Customer.find(cid, on: tx) {
                customer.totalOrders = max(0, customer.totalOrders - 1)
                customer.totalSpent = max(0, customer.totalSpent - order.total)
                try await customer.save(on: tx)
            }
            order.status = to
            return true
        }
    }
}
