import FluentKit
import Foundation

/// What provisioning created for one restaurant in sip-agent-server and the digests of what it last sent there
/// (agent fields, brain, phone line): a run whose digests all match sends nothing. The agent's own `apiToken`
/// and `publicToken` are kept sealed (`LineSecretCipher`), never in clear.
public final class SipAgentLink: Model, @unchecked Sendable {
    public static let schema = "sip_agent_links"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @OptionalField(key: "account_id") public var accountId: String?
    @OptionalField(key: "final_customer_id") public var finalCustomerId: String?
    @OptionalField(key: "agent_id") public var agentId: String?
    @OptionalField(key: "phone_line_id") public var phoneLineId: String?
    /// Sealed with the label `sas-agent-api-token:<restaurant id>`.
    @OptionalField(key: "agent_api_token") public var agentApiToken: String?
    /// Sealed with the label `sas-agent-public-token:<restaurant id>`.
    @OptionalField(key: "agent_public_token") public var agentPublicToken: String?
    @OptionalField(key: "agent_digest") public var agentDigest: String?
    @OptionalField(key: "brain_digest") public var brainDigest: String?
    @OptionalField(key: "line_digest") public var lineDigest: String?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    public init() {}

    /// The restaurant's link, or a new unsaved one.
    public static func of(_ restaurantId: UUID, on db: any Database) async throws -> SipAgentLink {
        if let found = try await SipAgentLink.query(on: db).filter(\.$restaurant.$id == restaurantId).first() { return found }
        let link = SipAgentLink()
        link.$restaurant.id = restaurantId
        return link
    }
}

/// What provisioning reads and writes of a restaurant besides its link: the restaurants to provision, the newest
/// phone line, the agent id sip-agent-server gave.
public enum ProvisioningBook {
    /// Saves a restaurant's link to its sip-agent-server entities (each step as soon as it is done).
    public static func save(_ link: SipAgentLink, on db: any Database) async throws { try await link.save(on: db) }

    /// Every restaurant (or the one `only`), in name order.
    public static func restaurants(only: UUID? = nil, on db: any Database) async throws -> [Restaurant] {
        var query = Restaurant.query(on: db).sort(\.$name)
        if let only { query = query.filter(\.$id == only) }
        return try await query.all()
    }

    /// The restaurant's newest phone line (active or not: what sip-agent-server is told).
    public static func newestLine(restaurantId: UUID, on db: any Database) async throws -> PhoneLine? {
        try await PhoneLine.query(on: db).filter(\.$restaurant.$id == restaurantId).sort(\.$createdAt, .descending).first()
    }

    /// Records the agent id sip-agent-server gave the restaurant's agent.
    public static func setAgentId(_ agentId: String, restaurantId: UUID, on db: any Database) async throws {
        try await Restaurant.query(on: db).filter(\.$id == restaurantId).set(\.$agentId, to: agentId).update()
    }
}

/// A named, expiring claim held by one process: what lets one replica at a time do a job (provisioning a
/// restaurant, creating the sip-agent-server account) without any lock in memory (SPEC §12).
public final class Lease: Model, @unchecked Sendable {
    public static let schema = "leases"

    @ID(custom: "name", generatedBy: .user) public var id: String?
    @Field(key: "owner") public var owner: String
    @Field(key: "expires_at") public var expiresAt: Date

    public init() {}
}

/// Acquiring and releasing `Lease`s. The database decides: an insert for a new name, else a conditional update
/// (expired, or already ours) read back — two replicas racing get one winner on SQLite and PostgreSQL alike.
public enum Leases {
    /// Whether `owner` now holds `name` until `now + duration`.
    public static func acquire(_ name: String, owner: String, for duration: TimeInterval, now: Date, on db: any Database) async throws -> Bool {
        let until = now.addingTimeInterval(duration)
        if try await Lease.find(name, on: db) == nil {
            let row = Lease()
            row.id = name
            row.owner = owner
            row.expiresAt = until
            do {
                try await row.create(on: db)
                return true
            } catch {
                // Inserted meanwhile by another replica: decided below like any existing lease.
                guard try await Lease.find(name, on: db) != nil else { throw error }
            }
        }
        try await Lease.query(on: db).filter(\.$id == name)
            .group(.or) { $0.filter(\.$expiresAt < now).filter(\.$owner == owner) }
            .set(\.$owner, to: owner).set(\.$expiresAt, to: until)
            .update()
        return try await Lease.find(name, on: db)?.owner == owner
    }

    /// Gives `name` up when `owner` holds it.
    public static func release(_ name: String, owner: String, on db: any Database) async throws {
        try await Lease.query(on: db).filter(\.$id == name).filter(\.$owner == owner).delete()
    }
}
