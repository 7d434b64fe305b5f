import FluentKit
import Foundation

/// Restaurants as the back office manages them: listed, created with their first agent token, their settings saved
/// (each save bumps the version the session cache keys on), their phone line and their blocked numbers.
public enum RestaurantBook {
    /// The restaurants, by name; `ids` narrows to those (nil: all of them).
    public static func list(ids: [UUID]?, on db: any Database) async throws -> [Restaurant] {
        var query = Restaurant.query(on: db).sort(\.$name)
        if let ids { query = query.filter(\.$id ~~ ids) }
        return try await query.all()
    }

    /// Inserts a new restaurant and issues its first agent token in one transaction; returns the token's secret.
    public static func create(_ row: Restaurant, on db: any Database) async throws -> String {
        try await db.transaction { tx in
            try await row.create(on: tx)
            return try await AgentTokens.issue(for: row.id!, on: tx)
        }
    }

    /// Whether another restaurant already answers on this E.164 number.
    public static func phoneTaken(_ phone: String, except restaurantId: UUID, on db: any Database) async throws -> Bool {
        try await Restaurant.query(on: db).filter(\.$phone == phone).filter(\.$id != restaurantId).first() != nil
    }

    /// Saves the restaurant's settings and bumps its version in one transaction; the row's `version` follows.
    public static func saveSettings(_ r: Restaurant, on db: any Database) async throws {
        try await db.transaction { tx in
            try await r.save(on: tx)
            try await RestaurantVersion.bump(r.id!, on: tx)
        }
        r.version += 1
    }

    /// Saves one of the restaurant's rows (menu entry, dining service, table, phone line…) and bumps the
    /// restaurant's version in one transaction, so the next call's session sees it.
    public static func save(_ row: some Model, restaurantId: UUID, on db: any Database) async throws {
        try await db.transaction { tx in
            try await row.save(on: tx)
            try await RestaurantVersion.bump(restaurantId, on: tx)
        }
    }

    // MARK: phone line

    /// The restaurant's phone line, if it has one.
    public static func phoneLine(restaurantId: UUID, on db: any Database) async throws -> PhoneLine? {
        try await PhoneLine.query(on: db).filter(\.$restaurant.$id == restaurantId).first()
    }

    /// Whether another restaurant's active line already uses this account at this provider.
    public static func lineTaken(username: String, domain: String, except restaurantId: UUID, on db: any Database) async throws -> Bool {
        try await PhoneLine.query(on: db).filter(\.$sipUsername == username).filter(\.$sipDomain == domain).filter(\.$isActive == true)
            .filter(\.$restaurant.$id != restaurantId).first() != nil
    }

    // MARK: blocked numbers

    /// The restaurant's block of this E.164 number, if any.
    public static func block(of phone: String, restaurantId: UUID, on db: any Database) async throws -> BlockedPhone? {
        try await BlockedPhone.query(on: db).filter(\.$restaurant.$id == restaurantId).filter(\.$phone == phone).first()
    }

    /// The restaurant's blocked numbers, by number.
    public static func blockedPhones(restaurantId: UUID, on db: any Database) async throws -> [BlockedPhone] {
        try await BlockedPhone.query(on: db).filter(\.$restaurant.$id == restaurantId).sort(\.$phone).all()
    }

    /// Blocks an E.164 number; an existing block of it is returned unchanged (`created` false).
    public static func blockPhone(_ phone: String, reason: String?, restaurantId: UUID, on db: any Database) async throws -> (row: BlockedPhone, created: Bool) {
        if let existing = try await block(of: phone, restaurantId: restaurantId, on: db) { return (existing, false) }
        let row = BlockedPhone()
        row.$restaurant.id = restaurantId
        row.phone = phone
        row.reason = reason
        try await row.create(on: db)
        return (row, true)
    }

    /// Removes the block of this id when the restaurant owns it; false when there is none.
    public static func unblock(_ id: UUID, restaurantId: UUID, on db: any Database) async throws -> Bool {
        guard let row = try await BlockedPhone.find(id, ownedBy: restaurantId, on: db) else { return false }
        try await row.delete(on: db)
        return true
    }
}

extension BlockedPhone: RestaurantOwned { public var ownerId: UUID { $restaurant.id } }
extension PhoneLine: RestaurantOwned { public var ownerId: UUID { $restaurant.id } }
