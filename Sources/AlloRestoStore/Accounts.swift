import AlloRestoCore
import FluentKit
import Foundation
import SQLKit

/// Back-office accounts beyond the platform's admins: memberships of restaurants (owner, staff), and the single-use
/// links sent by e-mail — invitations, password resets, address checks — kept as SHA-256, expiring, used once.
/// Passwords arrive here already hashed (bcrypt runs on the server's hashing thread).
public enum Accounts {
    /// How long an invitation link stays valid.
    public static let invitationLifetime: TimeInterval = 7 * 86_400
    /// How long a password-reset link stays valid.
    public static let resetLifetime: TimeInterval = 3_600

    /// What a single-use link is for.
    public enum TokenKind: String, Sendable { case invite, reset, verify }

    /// Why a link cannot be used.
    public enum LinkError: Error, Equatable, Sendable, CustomStringConvertible {
        case unknown, used, expired
        public var description: String {
            switch self {
            case .unknown: "Ce lien n'est pas valable."
            case .used: "Ce lien a déjà servi."
            case .expired: "Ce lien a expiré : demandez-en un nouveau."
            }
        }
    }

    /// An e-mail address as accounts are keyed: trimmed, lower case; nil when it is not one.
    public static func normalizedEmail(_ raw: String) -> String? {
        let e = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = e.split(separator: "@", omittingEmptySubsequences: false)
        guard e.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              e.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !"<>()[],;:\\\"".unicodeScalars.contains($0) })
        else { return nil }
        return e
    }

    /// Creates a link of `kind` for `email` and returns its secret (to mail, or print once); an earlier unused
    /// invitation of that address to the same place stops working.
    public static func issue(_ kind: TokenKind, email: String, restaurantId: UUID? = nil, role: MemberRole? = nil, createdBy: String?,
                             now: Date, on db: any Database) async throws -> String {
        guard let address = normalizedEmail(email) else { throw StoreError.invalid("email: \"\(email)\" n'est pas une adresse e-mail") }
        let secret = "acl_" + AgentTokens.generate().dropFirst(4)
        try await db.transaction { tx in
            // A new invitation replaces the earlier one to the same place; reset links are not voided by a new
            // request (anyone may ask for one: asking must not kill the link the owner of the address has).
            if kind == .invite {
                var earlier = AccountToken.query(on: tx).filter(\.$kind == kind.rawValue).filter(\.$email == address).filter(\.$usedAt == nil)
                earlier = restaurantId.map { earlier.filter(\.$restaurantId == $0) } ?? earlier.filter(\.$restaurantId == nil)
                try await earlier.set(\.$usedAt, to: now).update()
            }
            let t = AccountToken()
            t.kind = kind.rawValue
            t.tokenHash = AgentTokens.hash(secret)
            t.email = address
            t.restaurantId = restaurantId
            t.role = role?.rawValue
            t.createdBy = createdBy
            t.expiresAt = now.addingTimeInterval(kind == .reset ? resetLifetime : invitationLifetime)
            try await t.create(on: tx)
        }
        return secret
    }

    /// Uses up a link, once even when two requests race (one conditional UPDATE; the loser gets `used`).
    static func claim(_ secret: String, kind: TokenKind, now: Date, on tx: any Database) async throws -> AccountToken {
        let t = try await link(secret, kind: kind, now: now, on: tx)
        guard let sql = tx as? any SQLDatabase else { throw StoreError.configuration("not an SQL database") }
        let claimed = try await sql.raw("""
            UPDATE account_tokens SET used_at = \(bind: now) WHERE id = \(bind: t.id!) AND used_at IS NULL AND expires_at > \(bind: now) RETURNING id
            """).all()
        guard !claimed.isEmpty else { throw LinkError.used }
        t.usedAt = now
        return t
    }

    /// The link behind a secret, if it is of `kind`, unused and unexpired.
    public static func link(_ secret: String, kind: TokenKind, now: Date, on db: any Database) async throws -> AccountToken {
        guard let t: AccountToken = try await AccountToken.query(on: db).filter(\.$tokenHash == AgentTokens.hash(secret)).first(), t.kind == kind.rawValue else {
            throw LinkError.unknown
        }
        if t.usedAt != nil { throw LinkError.used }
        if t.expiresAt <= now { throw LinkError.expired }
        return t
    }

    /// What an accepted invitation made.
    public struct Joined: Sendable, Equatable {
        public let userId: UUID
        public let email: String
        public let restaurantId: UUID?
        public let role: MemberRole?
        public let created: Bool
    }

    /// Accepts an invitation, atomically and once. A new account is created with `passwordHash`. An existing
    /// account keeps its password — the caller must have checked it (`existingAccountVerified`): a link alone never
    /// opens an account that exists. The address counts as verified; the account joins the restaurant with the
    /// role, never lower than one it already has there (a platform invitation makes it a platform admin).
    public static func acceptInvitation(_ secret: String, passwordHash: String?, existingAccountVerified: Bool, now: Date, on db: any Database) async throws -> Joined {
        try await db.transaction { tx in
            let t = try await claim(secret, kind: .invite, now: now, on: tx)
            let existing: AdminUser? = try await AdminUser.query(on: tx).filter(\.$email == t.email).first()
            let user = existing ?? AdminUser()
            if existing == nil {
                guard let passwordHash else { throw StoreError.invalid("password: requis pour un nouveau compte") }
                user.email = t.email
                user.passwordHash = passwordHash
                user.isPlatformAdmin = false
            } else if !existingAccountVerified {
                throw LinkError.unknown
            }
            if t.restaurantId == nil { user.isPlatformAdmin = true }
            user.emailVerifiedAt = user.emailVerifiedAt ?? now
            try await user.save(on: tx)
            var role = t.role.flatMap(MemberRole.init(rawValue:))
            if let restaurantId = t.restaurantId, let invited = role {
                let current = try await memberships(userId: user.id!, on: tx)[restaurantId]
                role = current == .owner ? .owner : invited  // never a demotion
                try await setRole(role ?? invited, userId: user.id!, restaurantId: restaurantId, on: tx)
            }
            return Joined(userId: user.id!, email: t.email, restaurantId: t.restaurantId, role: role, created: existing == nil)
        }
    }

    /// Sets a new password through a reset link: every session of the account ends, the link is used up, the address
    /// counts as verified (the mail reached it). Returns the account's id.
    public static func resetPassword(_ secret: String, passwordHash: String, now: Date, on db: any Database) async throws -> UUID {
        try await db.transaction { tx in
            let t = try await claim(secret, kind: .reset, now: now, on: tx)
            guard let user: AdminUser = try await AdminUser.query(on: tx).filter(\.$email == t.email).first() else { throw LinkError.unknown }
            user.passwordHash = passwordHash
            user.passwordChangedAt = now
            user.emailVerifiedAt = user.emailVerifiedAt ?? now
            try await user.save(on: tx)
            try await AdminSession.query(on: tx).filter(\.$user.$id == user.id!).delete()
            return user.id!
        }
    }

    /// Uses a verification link: the account with the link's address is marked verified (once; the link is spent).
    /// Returns the address.
    public static func verifyEmail(_ secret: String, now: Date, on db: any Database) async throws -> String {
        try await db.transaction { tx in
            let t = try await claim(secret, kind: .verify, now: now, on: tx)
            guard let user: AdminUser = try await AdminUser.query(on: tx).filter(\.$email == t.email).first() else { throw LinkError.unknown }
            user.emailVerifiedAt = user.emailVerifiedAt ?? now
            try await user.save(on: tx)
            return t.email
        }
    }

    /// Changes an account's password (knowing the old one was checked by the caller): every *other* session ends.
    public static func changePassword(userId: UUID, passwordHash: String, keepingSession sessionHash: String?, now: Date, on db: any Database) async throws {
        try await db.transaction { tx in
            guard let user = try await AdminUser.find(userId, on: tx) else { throw StoreError.notFound("account") }
            user.passwordHash = passwordHash
            user.passwordChangedAt = now
            try await user.save(on: tx)
            var others = AdminSession.query(on: tx).filter(\.$user.$id == userId)
            if let sessionHash { others = others.filter(\.$tokenHash != sessionHash) }
            try await others.delete()
        }
    }

    /// An account by id.
    public static func user(_ id: UUID, on db: any Database) async throws -> AdminUser? { try await AdminUser.find(id, on: db) }

    /// Invitations to a restaurant not used and not expired at `now`.
    public static func pendingInvitations(restaurantId: UUID, now: Date, on db: any Database) async throws -> [AccountToken] {
        try await AccountToken.query(on: db).filter(\.$kind == TokenKind.invite.rawValue).filter(\.$restaurantId == restaurantId)
            .filter(\.$usedAt == nil).filter(\.$expiresAt > now).all()
    }

    /// The account with this address (any case), if there is one.
    public static func account(email: String, on db: any Database) async throws -> AdminUser? {
        guard let address = normalizedEmail(email) else { return nil }
        return try await AdminUser.query(on: db).filter(\.$email == address).first()
    }

    /// The account stored under exactly this address (already trimmed and lower-cased by the caller).
    public static func account(keyedBy address: String, on db: any Database) async throws -> AdminUser? {
        try await AdminUser.query(on: db).filter(\.$email == address).first()
    }

    /// Makes `address` a platform admin with this password hash: a new account (true), or a new password for the
    /// existing one (false, its role unchanged).
    public static func setAdminPassword(address: String, passwordHash: String, on db: any Database) async throws -> Bool {
        if let existing = try await account(keyedBy: address, on: db) {
            existing.passwordHash = passwordHash
            try await existing.save(on: db)
            return false
        }
        let user = AdminUser()
        user.email = address
        user.passwordHash = passwordHash
        user.isPlatformAdmin = true
        try await user.create(on: db)
        return true
    }

    /// Stores a new session of an account under the SHA-256 of its cookie secret, valid until `expiresAt`.
    public static func startSession(userId: UUID, tokenHash: String, expiresAt: Date, on db: any Database) async throws {
        let session = AdminSession()
        session.$user.id = userId
        session.tokenHash = tokenHash
        session.expiresAt = expiresAt
        try await session.create(on: db)
    }

    /// The session stored under this hash with its account, if it exists and has not expired at `now`.
    public static func session(tokenHash: String, now: Date, on db: any Database) async throws -> (session: AdminSession, user: AdminUser)? {
        guard let session = try await AdminSession.query(on: db).filter(\.$tokenHash == tokenHash).with(\.$user).first(),
              session.expiresAt > now
        else { return nil }
        return (session, session.user)
    }

    /// Ends the session stored under this hash (logout; nothing when there is none).
    public static func endSession(tokenHash: String, on db: any Database) async throws {
        try await AdminSession.query(on: db).filter(\.$tokenHash == tokenHash).delete()
    }

    /// An account's restaurants and its role in each.
    public static func memberships(userId: UUID, on db: any Database) async throws -> [UUID: MemberRole] {
        let rows: [RestaurantMember] = try await RestaurantMember.query(on: db).filter(\.$user.$id == userId).all()
        var out: [UUID: MemberRole] = [:]
        for r in rows { if let role = MemberRole(rawValue: r.role) { out[r.$restaurant.id] = role } }
        return out
    }

    /// Makes an account a member of a restaurant with `role` (or changes its role there).
    public static func setRole(_ role: MemberRole, userId: UUID, restaurantId: UUID, on db: any Database) async throws {
        if let m: RestaurantMember = try await RestaurantMember.query(on: db).filter(\.$user.$id == userId).filter(\.$restaurant.$id == restaurantId).first() {
            m.role = role.rawValue
            try await m.save(on: db)
            return
        }
        let m = RestaurantMember()
        m.$user.id = userId
        m.$restaurant.id = restaurantId
        m.role = role.rawValue
        try await m.create(on: db)
    }

    /// Removes an account from a restaurant (its sessions end if it has no restaurant left and is no platform admin).
    public static func removeMember(userId: UUID, restaurantId: UUID, on db: any Database) async throws {
        try await db.transaction { tx in
            try await RestaurantMember.query(on: tx).filter(\.$user.$id == userId).filter(\.$restaurant.$id == restaurantId).delete()
            let left = try await RestaurantMember.query(on: tx).filter(\.$user.$id == userId).count()
            if left == 0, let user = try await AdminUser.find(userId, on: tx), !user.isPlatformAdmin {
                try await AdminSession.query(on: tx).filter(\.$user.$id == userId).delete()
            }
        }
    }

    /// A restaurant's members, owners first, then by address.
    public static func members(restaurantId: UUID, on db: any Database) async throws -> [(userId: UUID, email: String, role: MemberRole)] {
        let rows: [RestaurantMember] = try await RestaurantMember.query(on: db).filter(\.$restaurant.$id == restaurantId).with(\.$user).all()
        return rows.compactMap { m in MemberRole(rawValue: m.role).map { (m.user.id!, m.user.email, $0) } }
            .sorted { ($0.role == .owner ? 0 : 1, $0.email) < ($1.role == .owner ? 0 : 1, $1.email) }
    }
}

/// The audit log: who changed what and when, per restaurant (and the platform's own changes, without one).
public enum AuditLog {
    /// Adds a line. `detail` is the change in words, never a secret.
    public static func record(restaurantId: UUID?, actor: String, action: String, detail: String, now: Date, on db: any Database) async throws {
        let e = AuditEntry()
        e.restaurantId = restaurantId
        e.actor = actor
        e.action = action
        e.detail = String(detail.prefix(500))
        e.createdAt = now
        try await e.create(on: db)
    }

    /// The newest lines first: one restaurant's, or — `restaurantIds` nil — every restaurant's and the platform's.
    public static func entries(restaurantIds: [UUID]?, limit: Int, on db: any Database) async throws -> [AuditEntry] {
        var q = AuditEntry.query(on: db)
        if let restaurantIds { q = q.filter(\.$restaurantId ~~ restaurantIds) }
        return try await q.sort(\.$createdAt, .descending).limit(max(1, min(limit, 1000))).all()
    }
}
