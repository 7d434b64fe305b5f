import AlloRestoCore
import FluentKit
import Foundation

/// Restaurant-scoped management keys (`arm_` + 32 random bytes, base64url): they open a restaurant's management
/// APIs (planning, orders board, FAQ answers, customers, menu, settings) to a script, never to the voice agent.
/// Shown once at creation, stored as SHA-256, revocable.
public enum ManagementKeys {
    /// The prefix that tells a management key from an agent token (`art_`).
    public static let prefix = "arm_"

    /// A key as listed in the back office (never the secret).
    public struct Listed: Sendable, Equatable {
        public let id: UUID
        public let label: String
        public let prefix: String
        public let createdBy: String?
        public let createdAt: Date?
        public let revokedAt: Date?

        init(_ r: ManagementKeyRecord) {
            id = r.id!
            label = r.label
            prefix = r.keyPrefix
            createdBy = r.createdBy
            createdAt = r.createdAt
            revokedAt = r.revokedAt
        }
    }

    /// Creates a key for `restaurantId`; the clear key is returned once and never stored.
    public static func create(for restaurantId: UUID, label: String, createdBy: String?, on db: any Database) async throws -> (listed: Listed, key: String) {
        let key = prefix + AgentTokens.generate().dropFirst(4)
        let record = ManagementKeyRecord()
        record.$restaurant.id = restaurantId
        record.keyHash = AgentTokens.hash(key)
        record.keyPrefix = String(key.prefix(10))
        record.label = label
        record.createdBy = createdBy
        try await record.create(on: db)
        return (Listed(record), key)
    }

    /// The restaurant a live (not revoked) key opens, or nil.
    public static func restaurant(ofKey key: String, on db: any Database) async throws -> UUID? {
        guard key.hasPrefix(prefix) else { return nil }
        let record: ManagementKeyRecord? = try await ManagementKeyRecord.query(on: db)
            .filter(\.$keyHash == AgentTokens.hash(key)).filter(\.$revokedAt == nil).first()
        return record?.$restaurant.id
    }

    /// The restaurant's keys, newest first.
    public static func list(for restaurantId: UUID, on db: any Database) async throws -> [Listed] {
        let rows: [ManagementKeyRecord] = try await ManagementKeyRecord.query(on: db)
            .filter(\.$restaurant.$id == restaurantId).sort(\.$createdAt, .descending).all()
        return rows.map(Listed.init)
    }

    /// Revokes one key of the restaurant; false when it has no such key.
    public static func revoke(_ id: UUID, of restaurantId: UUID, now: Date, on db: any Database) async throws -> Bool {
        guard let row = try await ManagementKeyRecord.find(id, on: db), row.$restaurant.id == restaurantId else { return false }
        if row.revokedAt == nil {
            row.revokedAt = now
            try await row.save(on: db)
        }
        return true
    }
}
