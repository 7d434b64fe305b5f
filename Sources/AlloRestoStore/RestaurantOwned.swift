import FluentKit
import Foundation

/// A row that belongs to one restaurant: fetched by id only together with its owner, so a request for
/// restaurant A can never reach restaurant B's row by guessing an id.
public protocol RestaurantOwned: Model where IDValue == UUID {
    var ownerId: UUID { get }
}

extension RestaurantOwned {
    public static func find(_ id: UUID?, ownedBy restaurantId: UUID, on db: any Database) async throws -> Self? {
        guard let id, let row = try await Self.find(id, on: db), row.ownerId == restaurantId else { return nil }
        return row
    }
}

extension Faq: RestaurantOwned { public var ownerId: UUID { $restaurant.id } }
extension Message: RestaurantOwned { public var ownerId: UUID { $restaurant.id } }
