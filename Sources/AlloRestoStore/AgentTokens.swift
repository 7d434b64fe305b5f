import AlloRestoCore
import Crypto
import FluentKit
import SQLKit
import Foundation

/// Per-restaurant agent tokens: random secrets shown once, stored as SHA-256, compared in constant time.
public enum AgentTokens {
    /// A new token: `art_` + 32 random bytes in base64url.
    public static func generate() -> String {
        let key = SymmetricKey(size: .bits256)
        let raw = key.withUnsafeBytes { Data($0) }
        return "art_" + raw.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Hex SHA-256 of a token. High-entropy tokens need no slow hash; a stolen table reveals no usable secret.
    public static func hash(_ token: String) -> String {
        Hex.lowercase(SHA256.hash(data: Data(token.utf8)))
    }

    /// Compares two equal-purpose strings without an early exit on the first difference.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// Creates and stores a new token for a restaurant; the clear token is returned once and never stored.
    @discardableResult
    public static func issue(for restaurantId: UUID, on db: any Database, token: String = AgentTokens.generate()) async throws -> String {
        let record = AgentTokenRecord()
        record.$restaurant.id = restaurantId
        record.tokenHash = hash(token)
        record.tokenPrefix = String(token.prefix(10))
        try await record.create(on: db)
        try await RestaurantVersion.bump(restaurantId, on: db)
        return token
    }

    /// The sealed provisioning token when there is a valid one (nothing is written).
    public static func sealedProvisioningToken(for restaurantId: UUID, cipher: LineSecretCipher, on db: any Database) async throws -> String? {
        let label = "agent-token:\(restaurantId.uuidString.lowercased())"
        let records: [AgentTokenRecord] = try await AgentTokenRecord.query(on: db)
            .filter(\.$restaurant.$id == restaurantId).filter(\.$revokedAt == nil).filter(\.$sealedToken != nil)
            .sort(\.$createdAt, .descending).all()
        for r in records {
            if let sealed = r.sealedToken, let token = try? cipher.decrypt(sealed, lineId: label), hash(token) == r.tokenHash { return token }
        }
        return nil
    }

    /// The token provisioning gives sip-agent-server for a restaurant: the one kept sealed when it is still valid,
    /// else a new one (issued and sealed). The same token on every run keeps re-provisioning a no-op.
    public static func provisioningToken(for restaurantId: UUID, cipher: LineSecretCipher, on db: any Database) async throws -> String {
        if let token = try await sealedProvisioningToken(for: restaurantId, cipher: cipher, on: db) { return token }
        let label = "agent-token:\(restaurantId.uuidString.lowercased())"
        let token = generate()
        let record = AgentTokenRecord()
        record.$restaurant.id = restaurantId
        record.tokenHash = hash(token)
        record.tokenPrefix = String(token.prefix(10))
        record.sealedToken = try cipher.encrypt(token, lineId: label)
        try await record.create(on: db)
        try await RestaurantVersion.bump(restaurantId, on: db)
        return token
    }

    /// Revokes every token of a restaurant and issues a new one.
    public static func rotate(for restaurantId: UUID, on db: any Database, now: Date = Date()) async throws -> String {
        try await db.transaction { tx in
            try await AgentTokenRecord.query(on: tx)
                .filter(\.$restaurant.$id == restaurantId)
                .filter(\.$revokedAt == nil)
                .set(\.$revokedAt, to: now)
                .update()
            return try await issue(for: restaurantId, on: tx)
        }
    }

    /// The restaurant a token belongs to, when it exists and is not revoked.
    public static func restaurant(ofToken token: String, on db: any Database) async throws -> UUID? {
        let record: AgentTokenRecord? = try await AgentTokenRecord.query(on: db)
            .filter(\.$tokenHash == hash(token))
            .filter(\.$revokedAt == nil)
            .first()
        return record?.$restaurant.id
    }
}

/// The restaurant version counter that per-replica caches are validated against.
public enum RestaurantVersion {
    /// Bumps the version in the database (one atomic UPDATE, safe across replicas).
    public static func bump(_ restaurantId: UUID, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { throw StoreError.invalid("version bumps need an SQL database") }
        try await sql.raw("UPDATE restaurants SET version = version + 1 WHERE id = \(bind: restaurantId)").run()
    }
}
