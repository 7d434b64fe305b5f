import FluentKit
import Foundation
import SQLKit

/// A restaurant's menu as the back office edits it: categories and items listed, one entry found by id, and an
/// entry removed without losing what past orders recorded.
public enum MenuBook {
    /// The restaurant's categories, by display order then name.
    public static func categories(restaurantId: UUID, on db: any Database) async throws -> [MenuCategory] {
        try await MenuCategory.query(on: db).filter(\.$restaurant.$id == restaurantId).sort(\.$displayOrder).sort(\.$name).all()
    }

    /// The restaurant's items (dishes and formules), by display order then name.
    public static func items(restaurantId: UUID, on db: any Database) async throws -> [MenuItem] {
        try await MenuItem.query(on: db).filter(\.$restaurant.$id == restaurantId).sort(\.$displayOrder).sort(\.$name).all()
    }

    /// One entry of the menu: a category or an item.
    public enum Entry: Sendable {
        case category(MenuCategory)
        case item(MenuItem)
    }

    /// The restaurant's category or item with this id, if it owns one.
    public static func entry(_ id: UUID, restaurantId: UUID, on db: any Database) async throws -> Entry? {
        if let c = try await MenuCategory.find(id, ownedBy: restaurantId, on: db) { return .category(c) }
        if let i = try await MenuItem.find(id, ownedBy: restaurantId, on: db) { return .item(i) }
        return nil
    }

    /// The restaurant's category with this id, if it owns one.
    public static func category(_ id: UUID, restaurantId: UUID, on db: any Database) async throws -> MenuCategory? {
        try await MenuCategory.find(id, ownedBy: restaurantId, on: db)
    }

    /// Removes the restaurant's category or item of this id and bumps its version, in one transaction; false when
    /// the restaurant has no such entry. A category's items stay, without category and unavailable (an owner
    /// re-files them); an item's past order lines keep their name and price, their link to it is cleared.
    public static func delete(_ id: UUID, restaurantId: UUID, on db: any Database) async throws -> Bool {
        try await db.transaction { tx in
            if let c = try await MenuCategory.find(id, ownedBy: restaurantId, on: tx) {
                let items: [MenuItem] = try await MenuItem.query(on: tx).filter(\.$category.$id == id).all()
                for i in items {
                    i.$category.id = nil
                    i.isAvailable = false
                    try await i.save(on: tx)
                }
                try await c.delete(on: tx)
            } else if let i = try await MenuItem.find(id, ownedBy: restaurantId, on: tx) {
                if let sql = tx as? any SQLDatabase {
                    try await sql.raw("UPDATE order_items SET menu_item_id = NULL WHERE menu_item_id = \(bind: id)").run()
                }
                try await i.delete(on: tx)
            } else {
                return false
            }
            try await RestaurantVersion.bump(restaurantId, on: tx)
            return true
        }
    }
}

extension MenuCategory: RestaurantOwned { public var ownerId: UUID { $restaurant.id } }
extension MenuItem: RestaurantOwned { public var ownerId: UUID { $restaurant.id } }

/// The rows of a restaurant's floor and calendar the back office edits as tables of their own: dining services,
/// offers, rooms and tables.
public enum RestaurantRows {
    /// The restaurant's dining services, by start time.
    public static func diningServices(restaurantId: UUID, on db: any Database) async throws -> [DiningService] {
        try await DiningService.query(on: db).filter(\.$restaurant.$id == restaurantId).sort(\.$startTime).all()
    }

    /// The restaurant's offers, by name.
    public static func offers(restaurantId: UUID, on db: any Database) async throws -> [Offer] {
        try await Offer.query(on: db).filter(\.$restaurant.$id == restaurantId).sort(\.$name).all()
    }

    /// The restaurant's rooms, by display order then name.
    public static func rooms(restaurantId: UUID, on db: any Database) async throws -> [Room] {
        try await Room.query(on: db).filter(\.$restaurant.$id == restaurantId).sort(\.$displayOrder).sort(\.$name).all()
    }

    /// The restaurant's tables, by label.
    public static func tables(restaurantId: UUID, on db: any Database) async throws -> [DiningTable] {
        try await DiningTable.query(on: db).filter(\.$restaurant.$id == restaurantId).sort(\.$label).all()
    }

    /// The restaurant's row of this id, if it owns one.
    public static func owned<M: RestaurantOwned>(_ type: M.Type, _ id: UUID, restaurantId: UUID, on db: any Database) async throws -> M? {
        try await M.find(id, ownedBy: restaurantId, on: db)
    }

    /// Deletes the restaurant's row of this id and bumps its version in one transaction; false when it owns none.
    public static func delete<M: RestaurantOwned>(_ type: M.Type, _ id: UUID, restaurantId: UUID, on db: any Database) async throws -> Bool {
        try await db.transaction { tx in try await delete(M.self, id, restaurantId: restaurantId, in: tx) }
    }

    /// Deletes a room as `delete` does; its tables stay, without a room.
    public static func deleteRoom(_ id: UUID, restaurantId: UUID, on db: any Database) async throws -> Bool {
        try await db.transaction { tx in
            guard try await Room.find(id, ownedBy: restaurantId, on: tx) != nil else { return false }
            try await DiningTable.query(on: tx).filter(\.$room.$id == id).set(\.$room.$id, to: nil).update()
            return try await delete(Room.self, id, restaurantId: restaurantId, in: tx)
        }
    }

    static func delete<M: RestaurantOwned>(_ type: M.Type, _ id: UUID, restaurantId: UUID, in tx: any Database) async throws -> Bool {
        guard let row = try await M.find(id, ownedBy: restaurantId, on: tx) else { return false }
        try await row.delete(on: tx)
        try await RestaurantVersion.bump(restaurantId, on: tx)
        return true
    }
}

extension DiningService: RestaurantOwned { public var ownerId: UUID { $restaurant.id } }
extension Offer: RestaurantOwned { public var ownerId: UUID { $restaurant.id } }
extension Room: RestaurantOwned { public var ownerId: UUID { $restaurant.id } }
extension DiningTable: RestaurantOwned { public var ownerId: UUID { $restaurant.id } }
