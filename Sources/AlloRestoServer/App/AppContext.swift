import AlloRestoCore
import Foundation
import Hummingbird
import NIOCore

/// The logged-in account, set by `AdminGuard`: a platform admin, or a member (owner, staff) of some restaurants.
public struct AdminIdentity: Sendable, Equatable {
    public let userId: UUID
    public let email: String
    public var platformAdmin: Bool = false
    public var memberships: [UUID: MemberRole] = [:]
    /// The session's cookie secret, hashed (a password change keeps this session and ends the others).
    var sessionHash: String? = nil

    /// Whether the account may do `permission` on `restaurantId` (`AccessRule`).
    public func allows(_ permission: Permission, on restaurantId: UUID) -> Bool {
        AccessRule.allows(platformAdmin: platformAdmin, role: memberships[restaurantId], permission)
    }

    /// What the account may do on the platform itself (every restaurant, the voice servers).
    public var isPlatformAdmin: Bool { platformAdmin }
}

/// The request context of every route: Hummingbird's core storage plus who manages, when known.
public struct AppContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who manages (admin session or management key), set by `AdminGuard` and `ManagerGuard`.
    var manager: Manager?
    /// The connection, kept to read the peer's address only where it is needed (login throttling).
    let channel: any Channel

    public init(source: Source) {
        coreContext = .init(source: source)
        manager = nil
        channel = source.channel
    }

    /// The logged-in admin, when the manager is one.
    public var admin: AdminIdentity? {
        if case .admin(let identity)? = manager { identity } else { nil }
    }

    /// The largest body a route reads whole (urlencoded forms and JSON decoded by the framework): 64 KiB, as the
    /// JSON APIs' own limit (`ToolBody.Limit`); the end-of-call webhook reads its 1 MiB itself.
    public var maxUploadSize: Int { 64 * 1024 }

    /// The peer's IP address (no port), for per-address limits; nil without a socket peer.
    public var remoteIP: String? { channel.remoteAddress?.ipAddress }
}
