import Foundation
import Hummingbird
import NIOCore

/// The logged-in admin, set by `AdminGuard`.
public struct AdminIdentity: Sendable, Equatable {
    public let userId: UUID
    public let email: String
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

    /// The peer's IP address (no port), for per-address limits; nil without a socket peer.
    public var remoteIP: String? { channel.remoteAddress?.ipAddress }
}
