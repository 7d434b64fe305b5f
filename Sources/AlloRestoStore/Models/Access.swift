import FluentKit
import Foundation

/// A SIP account a restaurant's calls are registered on. The password is stored encrypted (see `LineSecretCipher`).
public final class PhoneLine: Model, @unchecked Sendable {
    public static let schema = "phone_lines"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @Field(key: "sip_domain") public var sipDomain: String
    @Field(key: "sip_username") public var sipUsername: String
    /// `base64(iv):base64(tag):base64(ciphertext)`, or legacy plaintext.
    @Field(key: "sip_password") public var sipPassword: String
    @Field(key: "is_active") public var isActive: Bool
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    public init() {}
}

/// A number the agent must not serve.
public final class BlockedPhone: Model, @unchecked Sendable {
    public static let schema = "blocked_phones"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @Field(key: "phone") public var phone: String
    @OptionalField(key: "reason") public var reason: String?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}
}

/// The secret sip-agent-server presents for one restaurant; only its SHA-256 is stored.
public final class AgentTokenRecord: Model, @unchecked Sendable {
    public static let schema = "agent_tokens"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @Field(key: "token_hash") public var tokenHash: String
    /// First characters, to recognize a token in a list without revealing it.
    @Field(key: "token_prefix") public var tokenPrefix: String
    @OptionalField(key: "revoked_at") public var revokedAt: Date?
    /// Provisioning's token only: the token encrypted with the master key, to send it to sip-agent-server again.
    @OptionalField(key: "sealed_token") public var sealedToken: String?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}
}

/// An operator or owner who logs into the admin pages.
public final class AdminUser: Model, @unchecked Sendable {
    public static let schema = "admin_users"

    @ID(key: .id) public var id: UUID?
    @Field(key: "email") public var email: String
    /// bcrypt.
    @Field(key: "password_hash") public var passwordHash: String
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    /// Reaches every restaurant and the platform's pages; otherwise only the restaurants it is a member of.
    @Field(key: "is_platform_admin") public var isPlatformAdmin: Bool
    @OptionalField(key: "email_verified_at") public var emailVerifiedAt: Date?
    @OptionalField(key: "password_changed_at") public var passwordChangedAt: Date?

    public init() {}
}

/// A logged-in admin session; the cookie holds the secret, the table its SHA-256.
public final class AdminSession: Model, @unchecked Sendable {
    public static let schema = "admin_sessions"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: AdminUser
    @Field(key: "token_hash") public var tokenHash: String
    @Field(key: "expires_at") public var expiresAt: Date
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}
}

/// A restaurant-scoped management key: full back-office rights on one restaurant for scripts and tools, created and
/// revoked by an admin; only its SHA-256 is stored.
public final class ManagementKeyRecord: Model, @unchecked Sendable {
    public static let schema = "management_keys"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @Field(key: "key_hash") public var keyHash: String
    /// First characters, to recognize a key in a list without revealing it.
    @Field(key: "key_prefix") public var keyPrefix: String
    @Field(key: "label") public var label: String
    @OptionalField(key: "created_by") public var createdBy: String?
    @OptionalField(key: "revoked_at") public var revokedAt: Date?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}
}

/// An account's role in one restaurant (owner or staff: `MemberRole`).
public final class RestaurantMember: Model, @unchecked Sendable {
    public static let schema = "restaurant_members"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: AdminUser
    @Parent(key: "restaurant_id") public var restaurant: Restaurant
    @Field(key: "role") public var role: String
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}
}

/// A single-use link sent by e-mail: an invitation (to a restaurant with a role, or to the platform), a password
/// reset, or an address check. Only the token's SHA-256 is kept; it expires and is marked used.
public final class AccountToken: Model, @unchecked Sendable {
    public static let schema = "account_tokens"

    @ID(key: .id) public var id: UUID?
    /// `invite`, `reset` or `verify`.
    @Field(key: "kind") public var kind: String
    @Field(key: "token_hash") public var tokenHash: String
    @Field(key: "email") public var email: String
    /// An invitation's restaurant and role (none: an invitation to be a platform admin).
    @OptionalField(key: "restaurant_id") public var restaurantId: UUID?
    @OptionalField(key: "role") public var role: String?
    @OptionalField(key: "created_by") public var createdBy: String?
    @Field(key: "expires_at") public var expiresAt: Date
    @OptionalField(key: "used_at") public var usedAt: Date?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}
}

/// One line of the audit log: who changed what, when (settings, menu, phone line, keys, roles, order and
/// reservation status).
public final class AuditEntry: Model, @unchecked Sendable {
    public static let schema = "audit_entries"

    @ID(key: .id) public var id: UUID?
    @OptionalField(key: "restaurant_id") public var restaurantId: UUID?
    /// Who: an account's e-mail, `clé de gestion …`, `agent vocal`, `ligne de commande`.
    @Field(key: "actor") public var actor: String
    /// What, as a stable code (`settings.update`, `order.status`, `member.invite`…).
    @Field(key: "action") public var action: String
    /// The change in words (French), without secrets.
    @Field(key: "detail") public var detail: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}
