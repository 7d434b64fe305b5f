import AlloRestoCore
import FluentKit
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
        let db = database.db
        guard let row = try await Restaurant.find(restaurantId, on: db), row.isActive else { return nil }
        if let cached = cache.withLock({ $0[restaurantId] }), cached.version == row.version { return cached }
        let fresh = try await load(row, on: db)
        cache.withLock { $0[restaurantId] = fresh }
        return fresh
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

    /// The caller as the restaurant knows them (by normalized phone), with their last orders.
    public func caller(restaurantId: UUID, phone: String) async throws -> KnownCaller? {
        let db = database.db
        guard let customer: Customer = try await Customer.query(on: db)
            .filter(\.$restaurant.$id == restaurantId).filter(\.$phone == phone).first()
        else { return nil }
        let orders: [Order] = try await Order.query(on: db)
            .filter(\.$restaurant.$id == restaurantId)
            .filter(\.$customer.$id == customer.id!)
            .filter(\.$status != "cancelled")
            .sort(\.$createdAt, .descending)
            .limit(3)
            .with(\.$items)
            .all()
        let recent = orders.map { o in
            KnownCaller.PastOrder(
                orderNumber: o.orderNumber, placedAt: o.createdAt ?? Date(timeIntervalSince1970: 0), orderType: o.orderType,
                totalMinor: o.total, itemsSummary: o.items.map { "\($0.quantity)× \($0.name)" }.joined(separator: ", "))
        }
        return KnownCaller(
            id: customer.id!, firstName: customer.firstName, deliveryAddress: customer.deliveryAddress,
            deliveryCity: customer.deliveryCity, deliveryPostalCode: customer.deliveryPostalCode,
            deliveryNotes: customer.deliveryNotes, deliveryLat: customer.deliveryLat, deliveryLng: customer.deliveryLng,
            totalOrders: customer.totalOrders, recentOrders: recent)
    }

    /// The platform default margin (PricingConfig), nil when none is configured.
    public func defaultMarginPct() async throws -> Double? {
        let config: PricingConfig? = try await PricingConfig.query(on: database.db).first()
        return config?.defaultMarginPct
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
        let faqs: [Faq] = try await Faq.query(on: db)
            .filter(\.$restaurant.$id == id).filter(\.$status == "answered")
            .sort(\.$askCount, .descending).all()
        return RestaurantSnapshot(
            restaurant: row.profile,
            menu: Menu(categories: categories.map(\.info), items: items.map(\.info)),
            services: services.compactMap(\.info),
            offers: offers.map(\.info),
            faqs: faqs.compactMap { f in f.answer.map { FaqEntry(question: f.question, answer: $0, category: f.category) } })
    }
}
