import AlloRestoCore
import FluentKit
import Foundation
import SQLKit

/// Stores reservations. Capacity is counted and the reservation inserted in the same transaction, with the
/// restaurant locked (PostgreSQL) or the single SQLite writer: simultaneous callers cannot overbook.
public enum ReservationBook {
    /// Statuses that hold seats.
    public static let holdingStatuses = ["pending", "confirmed", "seated"]

    /// Covers of the reservations overlapping `[start, end)`.
    public static func seatsTaken(restaurantId: UUID, start: Date, end: Date, on db: any Database) async throws -> Int {
        guard let sql = db as? any SQLDatabase else { throw StoreError.invalid("reservations need an SQL database") }
        let row = try await sql.raw("""
            SELECT CAST(COALESCE(SUM(party_size), 0) AS BIGINT) AS taken FROM reservations
            WHERE restaurant_id = \(bind: restaurantId) AND status IN (\(binds: holdingStatuses))
              AND reservation_time < \(bind: end) AND end_time > \(bind: start)
            """).first()
        return try row?.decode(column: "taken", as: Int.self) ?? 0
    }

    public struct Request: Sendable {
        public var restaurantId: UUID
        public var slot: ReservationSlot
        public var partySize: Int
        public var customerName: String?
        public var customerPhone: String?
        public var customerId: UUID?
        public var seatingPreference: String?
        public var offerId: UUID?
        public var notes: String?
        public var callId: String?
        public var source: String
        public var status: String

        public init(restaurantId: UUID, slot: ReservationSlot, partySize: Int, source: String = "phone_ai", status: String = "confirmed") {
            self.restaurantId = restaurantId
            self.slot = slot
            self.partySize = partySize
            self.source = source
            self.status = status
        }
    }

    /// Why a booking, a move or a status change was refused (worded for the caller by the Server).
    public enum Refused: Error, Sendable, Equatable {
        /// `left` seats cannot take a party of `party`.
        case full(left: Int, party: Int)
        /// No such booking at this restaurant.
        case notFound
        /// No such booking at this restaurant for this caller's phone.
        case notFoundForCaller
        /// A booking in `status` (seated, over, cancelled) cannot change time or party size.
        case notMovable(status: String)
        case alreadyCancelled
        /// No move from `from` to `to` (`transitions`).
        case invalidTransition(from: String, to: String)
        /// Someone changed its status in the meantime.
        case changedMeanwhile
    }

    /// A reservation as its answers show it, and as the idempotency ledger keeps a booking (version 1): the facts
    /// of the first answer, never re-read from the row.
    public struct Facts: Codable, Sendable, Equatable {
        public var id: UUID
        public var reservationTime: Date
        public var endTime: Date
        public var partySize: Int
        public var status: String
        public var customerName: String?
        public var customerPhone: String?
        public var serviceId: UUID?
        public var seatingPreference: String?
        public var notes: String?
        public var offerId: UUID?
        public var source: String

        /// The facts of a stored reservation.
        public init(_ r: Reservation) {
            id = r.id!
            reservationTime = r.reservationTime
            endTime = r.endTime
            partySize = r.partySize
            status = r.status
            customerName = r.customerName
            customerPhone = r.customerPhone
            serviceId = r.serviceId
            seatingPreference = r.seatingPreference
            notes = r.notes
            offerId = r.offerId
            source = r.source
        }
    }

    /// A booking made now and the instant it was made (its spoken times are relative to it).
    public struct Booked: Codable, Sendable, Equatable {
        public var reservation: Facts
        public var bookedAt: Date
    }

    /// Books once per call (`keys`, `IdempotencyLedger`): the reservation if the seats are still there (a repeat
    /// gets the first booking), or the refusal (not recorded: the same request tried again may fit).
    public static func book(_ r: Request, now: Date, keys: [String], on db: any Database) async throws -> Written<Recorded<Booked>, Refused> {
        try await IdempotencyLedger.once(keys: keys, restaurantId: r.restaurantId, tool: .confirmReservation, on: db) { tx in
            switch try await create(r, on: tx) {
            case .failure(let refusal): return .refused(refusal)
            case .success(let row): return .kept(Booked(reservation: Facts(row), bookedAt: now))
            }
        }
    }

    /// Creates the reservation if the seats are still there, inside `tx`. Returns the seats left otherwise.
    static func create(_ r: Request, on tx: any Database) async throws -> Result<Reservation, Refused> {
        try await RestaurantLock.lock(r.restaurantId, on: tx)
        let taken = try await seatsTaken(restaurantId: r.restaurantId, start: r.slot.start, end: r.slot.end, on: tx)
        let left = max(0, r.slot.capacity - taken)
        guard r.partySize <= left else { return .failure(.full(left: left, party: r.partySize)) }
        var customerId = r.customerId
        if let phone = r.customerPhone {
            let customer = try await Customer.findOrNew(restaurantId: r.restaurantId, phone: phone, on: tx)
            if (customer.firstName ?? "").isEmpty, let name = r.customerName { customer.firstName = name }
            try await customer.save(on: tx)
            customerId = customer.id
        } else if let id = customerId, try await Customer.find(id, ownedBy: r.restaurantId, on: tx) == nil {
            customerId = nil
        }
        let row = Reservation()
        row.$restaurant.id = r.restaurantId
        row.$customer.id = customerId
        row.customerName = r.customerName
        row.customerPhone = r.customerPhone
        row.partySize = r.partySize
        row.reservationTime = r.slot.start
        row.endTime = r.slot.end
        row.status = r.status
        row.seatingPreference = r.seatingPreference
        row.serviceId = r.slot.service?.id
        row.offerId = r.offerId
        row.notes = r.notes
        row.callId = r.callId
        row.source = r.source
        try await row.create(on: tx)
        return .success(row)
    }

    /// One of the restaurant's reservations.
    public static func find(id: UUID, restaurantId: UUID, on db: any Database) async throws -> Reservation? {
        try await Reservation.query(on: db).filter(\.$id == id).filter(\.$restaurant.$id == restaurantId).first()
    }

    /// A booking's details as the restaurant edits them (already validated).
    public struct Details: Sendable {
        public var customerName: String?
        public var customerPhone: String?
        public var notes: String?
        public init(customerName: String?, customerPhone: String?, notes: String?) {
            self.customerName = customerName
            self.customerPhone = customerPhone
            self.notes = notes
        }
        func apply(to r: Reservation) {
            r.customerName = customerName
            r.customerPhone = customerPhone
            r.notes = notes
        }
    }

    /// Saves a reservation's details (name, phone, notes) as edited by the restaurant.
    public static func saveDetails(_ details: Details, of r: Reservation, on db: any Database) async throws {
        details.apply(to: r)
        try await r.save(on: db)
    }

    /// Statuses of a booking still to come, which may change time or party size.
    public static let movableStatuses = ["pending", "confirmed"]

    /// Moves a booking still to come (`pending` or `confirmed`) to another slot or party size, if the seats are
    /// there without counting the booking itself: the restaurant is locked, the seats counted and the row updated
    /// in one transaction, as `create` does, with the `details` edited at the same time (all or nothing).
    /// Refused: `.notFound`, `.notMovable` (seated, over, cancelled), `.full`.
    public static func move(
        id: UUID, restaurantId: UUID, to slot: ReservationSlot, partySize: Int, details: Details? = nil, now: Date, on db: any Database
    ) async throws -> Result<Reservation, Refused> {
        try await db.transaction { tx in
            try await RestaurantLock.lock(restaurantId, on: tx)
            guard let row = try await Reservation.query(on: tx).filter(\.$id == id).filter(\.$restaurant.$id == restaurantId).first() else {
                return .failure(.notFound)
            }
            guard movableStatuses.contains(row.status) else { return .failure(.notMovable(status: row.status)) }
            let others = try await seatsTaken(restaurantId: restaurantId, start: slot.start, end: slot.end, on: tx)
            let overlapsItself = row.reservationTime < slot.end && row.endTime > slot.start
            let left = max(0, slot.capacity - (others - (overlapsItself ? row.partySize : 0)))
            guard partySize <= left else { return .failure(.full(left: left, party: partySize)) }
            row.reservationTime = slot.start
            row.endTime = slot.end
            row.partySize = partySize
            row.serviceId = slot.service?.id
            if let details { details.apply(to: row) }
            try await row.save(on: tx)
            return .success(row)
        }
    }

    /// Status moves that make sense; `cancelled`, `completed` and `no_show` are final.
    public static let transitions: [String: Set<String>] = [
        "pending": ["confirmed", "seated", "cancelled", "no_show"],
        "confirmed": ["seated", "cancelled", "no_show"],
        "seated": ["completed"],
    ]

    /// Changes a reservation's status with one conditional UPDATE (two people acting at once cannot both win).
    /// `phone`, when given, must be the reservation's (a caller only touches their own).
    public static func change(
        id: UUID, restaurantId: UUID, to status: String, phone: String?, now: Date, on db: any Database
    ) async throws -> Result<Reservation, Refused> {
        guard let row = try await Reservation.query(on: db).filter(\.$id == id).filter(\.$restaurant.$id == restaurantId).first(),
              phone == nil || row.customerPhone == phone
        else {
            return .failure(.notFoundForCaller)
        }
        if row.status == status {
            return status == "cancelled" ? .failure(.alreadyCancelled) : .success(row)
        }
        let allowedFrom = transitions.filter { $0.value.contains(status) }.map(\.key)
        guard allowedFrom.contains(row.status) else {
            return .failure(.invalidTransition(from: row.status, to: status))
        }
        guard let sql = db as? any SQLDatabase else { throw StoreError.invalid("reservations need an SQL database") }
        let changed = try await sql.raw("""
            UPDATE reservations SET status = \(bind: status), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND status IN (\(binds: allowedFrom)) RETURNING id
            """).all()
        guard !changed.isEmpty else { return .failure(.changedMeanwhile) }
        row.status = status
        return .success(row)
    }

    /// A caller's upcoming reservations (not yet over, still holding seats), soonest first.
    public static func upcoming(restaurantId: UUID, phone: String, now: Date, on db: any Database) async throws -> [Reservation] {
        try await Reservation.query(on: db)
            .filter(\.$restaurant.$id == restaurantId).filter(\.$customerPhone == phone)
            .filter(\.$status ~~ ["pending", "confirmed"]).filter(\.$endTime > now)
            .sort(\.$reservationTime).limit(20).all()
    }

    /// The restaurant's reservations starting in `[from, to)`, in time order.
    public static func list(restaurantId: UUID, from: Date, to: Date, statuses: [String]?, on db: any Database) async throws -> [Reservation] {
        var q = Reservation.query(on: db).filter(\.$restaurant.$id == restaurantId)
            .filter(\.$reservationTime >= from).filter(\.$reservationTime < to)
        if let statuses, !statuses.isEmpty { q = q.filter(\.$status ~~ statuses) }
        return try await q.sort(\.$reservationTime).limit(1000).all()
    }
}

extension Customer: RestaurantOwned { public var ownerId: UUID { $restaurant.id } }
extension Reservation: RestaurantOwned { public var ownerId: UUID { $restaurant.id } }
extension ExternalLoad: RestaurantOwned { public var ownerId: UUID { $restaurant.id } }
