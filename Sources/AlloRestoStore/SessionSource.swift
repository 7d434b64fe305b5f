import AlloRestoCore
import FluentKit
import SQLKit
import Foundation
import Synchronization

/// What `/api/ai` needs for one restaurant, cached per replica and keyed by the restaurant's database version.
public struct RestaurantSession: Sendable {
    public let version: Int
    public let template: SessionTemplate
    /// SHA-256 of the restaurant's live agent tokens.
    public let tokenHashes: [String]
    /// The active phone line, password decrypted; nil when the restaurant has none.
    public let line: SIPCredentials?
    /// A line whose stored password cannot be decrypted (wrong key, tampered): reported, never sent as garbage.
    public let lineError: String?
    /// PricingConfig's default margin, read with the version at every call (it is platform-wide, not versioned).
    public var platformMarginPct: Double? = nil

    public func accepts(tokenHash: String) -> Bool {
        // Checks every entry so timing does not reveal which token matched.
        tokenHashes.reduce(false) { AgentTokens.constantTimeEquals($1, tokenHash) || $0 }
    }
}

/// Loads restaurant sessions and the caller's profile. The session is rebuilt only when the restaurant's version
/// changes, so a change made through any replica is seen by the next call on every replica.
public final class SessionSource: Sendable {
    private let database: AlloRestoDatabase
    private let cipher: LineSecretCipher
    private let cache = Mutex<[UUID: RestaurantSession]>([:])

    public init(database: AlloRestoDatabase, cipher: LineSecretCipher) {
        self.database = database
        self.cipher = cipher
    }

    /// The session of an active restaurant, or nil when it is unknown or inactive.
    public func session(for restaurantId: UUID) async throws -> RestaurantSession? {
        try await call(restaurantId: restaurantId, callerPhone: nil)?.session
    }

    /// Everything one incoming call needs: the restaurant's session and the caller as the restaurant knows them.
    ///
    /// The hot path is ONE SQL query: the restaurant's version, active flag and the platform margin, joined to the
    /// caller's customer row and the lines of their last orders. The restaurant's full row and menu are read only
    /// when the version differs from the session this replica has cached.
    public func call(restaurantId: UUID, callerPhone raw: String?) async throws -> (session: RestaurantSession, caller: KnownCaller?)? {
        let db = database.readDB
        guard let sql = db as? any SQLDatabase else { throw StoreError.invalid("the session lookup needs an SQL database") }
        let cached = cache.withLock { $0[restaurantId] }
        // The phone is read in the restaurant's country; until this replica knows the restaurant, France.
        let country = cached?.template.restaurant.country ?? "FR"
        let phone = raw.flatMap { PhoneNumber.normalize($0, defaultCountry: country) }
        // Without a caller (tool calls) the version check is a single-row read, no joins.
        let rows = phone == nil ? try await sql.raw("""
            SELECT r.version, r.is_active, (SELECT default_margin_pct FROM pricing_configs LIMIT 1) AS platform_margin
            FROM restaurants r WHERE r.id = \(bind: restaurantId)
            """).all() : try await sql.raw("""
            SELECT r.version, r.is_active, (SELECT default_margin_pct FROM pricing_configs LIMIT 1) AS platform_margin,
            \(unsafeRaw: Self.callerColumns)
            FROM restaurants r
            LEFT JOIN customers c ON c.restaurant_id = r.id AND c.phone = \(bind: phone ?? "")
            \(unsafeRaw: Self.callerJoins)
            WHERE r.id = \(bind: restaurantId)
            \(unsafeRaw: Self.callerOrder)
            """).all()
        guard let row = rows.first, try row.decode(column: "is_active", as: Bool.self) else { return nil }
        let version = try row.decode(column: "version", as: Int.self)
        let margin = try row.decodeNil(column: "platform_margin") ? nil : try row.decode(column: "platform_margin", as: Double.self)
        var session: RestaurantSession
        if let cached, cached.version == version {
            session = cached
        } else {
            guard let full = try await Restaurant.find(restaurantId, on: db), full.isActive else { return nil }
            session = try await load(full, on: db)
            cache.withLock { $0[restaurantId] = session }
        }
        session.platformMarginPct = margin
        var caller = phone == nil ? nil : try Self.parseCaller(rows)
        if let raw, session.template.restaurant.country != country {
            // First call on this replica for a restaurant outside France: read the phone again in its country.
            caller = try await self.caller(restaurantId: restaurantId, phone: PhoneNumber.normalize(raw, defaultCountry: session.template.restaurant.country) ?? "")
        }
        return (session, caller)
    }

    static let callerColumns = """
        c.id AS customer_id, c.first_name, c.delivery_address, c.delivery_city, c.delivery_postal_code, c.delivery_notes,
        c.delivery_lat, c.delivery_lng, c.total_orders,
        o.id AS order_id, o.order_number, o.created_at AS order_at, o.order_type, o.total AS order_total,
        i.name AS item_name, i.quantity AS item_quantity
        """
    /// The caller's three latest non-cancelled orders and their lines.
    static let callerJoins = """
        LEFT JOIN orders o ON o.id IN (
            SELECT x.id FROM orders x
            WHERE x.customer_id = c.id AND x.restaurant_id = c.restaurant_id AND x.status <> 'cancelled'
            ORDER BY x.created_at DESC LIMIT 3)
        LEFT JOIN order_items i ON i.order_id = o.id
        """
    static let callerOrder = "ORDER BY o.created_at DESC, o.id, i.name"

    /// The caller as the restaurant knows them (by normalized phone), with the lines of their last orders.
    public func caller(restaurantId: UUID, phone: String) async throws -> KnownCaller? {
        guard let sql = database.db as? any SQLDatabase else { throw StoreError.invalid("the caller lookup needs an SQL database") }
        let rows = try await sql.raw("""
            SELECT \(unsafeRaw: Self.callerColumns)
            FROM customers c
            \(unsafeRaw: Self.callerJoins)
            WHERE c.restaurant_id = \(bind: restaurantId) AND c.phone = \(bind: phone)
            \(unsafeRaw: Self.callerOrder)
            """).all()
        return try Self.parseCaller(rows)
    }

    static func parseCaller(_ rows: [any SQLRow]) throws -> KnownCaller? {
        func opt<T: Decodable>(_ row: any SQLRow, _ column: String, _ type: T.Type) throws -> T? {
            try row.decodeNil(column: column) ? nil : try row.decode(column: column, as: T.self)
        }
        guard let first = rows.first, let customerId = try opt(first, "customer_id", UUID.self) else { return nil }
        var orders: [KnownCaller.PastOrder] = []
        var orderIds: [UUID] = []
        for row in rows {
            guard let orderId = try opt(row, "order_id", UUID.self) else { continue }
            if orderIds.last != orderId {
                orderIds.append(orderId)
                orders.append(KnownCaller.PastOrder(
                    orderNumber: try row.decode(column: "order_number", as: Int.self),
                    placedAt: try opt(row, "order_at", Date.self) ?? Date(timeIntervalSince1970: 0),
                    orderType: try row.decode(column: "order_type", as: String.self),
                    totalMinor: try row.decode(column: "order_total", as: Int.self),
                    itemsSummary: ""))
            }
            if let name = try opt(row, "item_name", String.self) {
                let line = "\(try opt(row, "item_quantity", Int.self) ?? 1)× \(name)"
                let summary = orders[orders.count - 1].itemsSummary
                orders[orders.count - 1].itemsSummary = summary.isEmpty ? line : summary + ", " + line
            }
        }
        return KnownCaller(
            id: customerId, firstName: try opt(first, "first_name", String.self),
            deliveryAddress: try opt(first, "delivery_address", String.self),
            deliveryCity: try opt(first, "delivery_city", String.self),
            deliveryPostalCode: try opt(first, "delivery_postal_code", String.self),
            deliveryNotes: try opt(first, "delivery_notes", String.self),
            deliveryLat: try opt(first, "delivery_lat", Double.self), deliveryLng: try opt(first, "delivery_lng", Double.self),
            totalOrders: try first.decode(column: "total_orders", as: Int.self), recentOrders: orders)
    }

    private func load(_ row: Restaurant, on db: any Database) async throws -> RestaurantSession {
        let id = row.id!
        let snapshot = try await RestaurantSnapshotLoader.load(row, on: db)
        let tokens: [AgentTokenRecord] = try await AgentTokenRecord.query(on: db)
            .filter(\.$restaurant.$id == id).filter(\.$revokedAt == nil).all()
        let line: PhoneLine? = try await PhoneLine.query(on: db)
            .filter(\.$restaurant.$id == id).filter(\.$isActive == true)
            .sort(\.$createdAt, .descending).first()
        var credentials: SIPCredentials?
        var lineError: String?
        if let line {
            do {
                let password = try cipher.decrypt(line.sipPassword, lineId: line.id!.uuidString.lowercased())
                credentials = SIPCredentials(domain: line.sipDomain, username: line.sipUsername, password: password, source: .client)
            } catch {
                lineError = error.description
            }
        }
        return RestaurantSession(
            version: row.version, template: SessionTemplate(snapshot: snapshot), tokenHashes: tokens.map(\.tokenHash),
            line: credentials, lineError: lineError)
    }
}

/// Reads everything a prompt needs for one restaurant.
public enum RestaurantSnapshotLoader {
    public static func load(_ row: Restaurant, on db: any Database) async throws -> RestaurantSnapshot {
        let id = row.id!
        let categories: [MenuCategory] = try await MenuCategory.query(on: db).filter(\.$restaurant.$id == id).all()
        let items: [MenuItem] = try await MenuItem.query(on: db).filter(\.$restaurant.$id == id).all()
        let services: [DiningService] = try await DiningService.query(on: db).filter(\.$restaurant.$id == id).all()
        let offers: [Offer] = try await Offer.query(on: db).filter(\.$restaurant.$id == id).all()
        let tables: [DiningTable] = try await DiningTable.query(on: db).filter(\.$restaurant.$id == id).filter(\.$isActive == true).all()
        let faqs: [Faq] = try await Faq.query(on: db)
            .filter(\.$restaurant.$id == id).filter(\.$status == "answered")
            .sort(\.$askCount, .descending).all()
        return RestaurantSnapshot(
            restaurant: row.profile,
            menu: Menu(categories: categories.map(\.info), items: items.map(\.info)),
            services: services.compactMap(\.info),
            offers: offers.map(\.info),
            faqs: faqs.compactMap { f in f.answer.map { FaqEntry(question: f.question, answer: $0, category: f.category) } },
            tableSeats: tables.isEmpty ? nil : tables.reduce(0) { $0 + $1.seats })
    }
}
