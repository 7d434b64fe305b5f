import FluentKit
import Foundation
import SQLKit

/// What the restaurant tells the kitchen planner: external loads (a dine-in rush, an incident, a prep batch) and
/// the planning settings override.
public enum PlanningBook {
    /// The restaurant's external loads overlapping `[start, end)`, by start, at most 500.
    public static func loads(restaurantId: UUID, overlapping start: Date, _ end: Date, on db: any Database) async throws -> [ExternalLoad] {
        try await ExternalLoad.query(on: db)
            .filter(\.$restaurant.$id == restaurantId).filter(\.$endsAt > start).filter(\.$startsAt < end)
            .sort(\.$startsAt).limit(500).all()
    }

    /// One of the restaurant's external loads.
    public static func load(_ id: UUID?, restaurantId: UUID, on db: any Database) async throws -> ExternalLoad? {
        try await ExternalLoad.find(id, ownedBy: restaurantId, on: db)
    }

    /// Creates or updates an external load (already validated).
    public static func save(_ load: ExternalLoad, on db: any Database) async throws { try await load.save(on: db) }

    /// Deletes an external load.
    public static func delete(_ load: ExternalLoad, on db: any Database) async throws { try await load.delete(on: db) }

    /// Replaces the restaurant's planning override (JSON text; nil goes back to the defaults) and bumps its
    /// version, in one transaction: the next call on every replica plans with it.
    public static func setOverride(_ text: String?, restaurantId: UUID, on db: any Database) async throws {
        try await db.transaction { tx in
            guard let sql = tx as? any SQLDatabase else { throw StoreError.invalid("planning settings need an SQL database") }
            try await sql.raw("UPDATE restaurants SET planning_config = \(bind: text) WHERE id = \(bind: restaurantId)").run()
            try await RestaurantVersion.bump(restaurantId, on: tx)
        }
    }
}
