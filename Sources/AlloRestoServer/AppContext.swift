import Foundation
import Hummingbird
import NIOCore

/// The logged-in admin, set by `AdminGuard`.
public struct AdminIdentity: Sendable, Equatable {
    public let userId: UUID
    public let email: String
}

/// The request context of every route: Hummingbird's core storage plus the admin identity when logged in.
public struct AppContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var admin: AdminIdentity?
    /// Who manages (admin session or management key), set by `ManagerGuard` on the management APIs.
    var manager: Manager?
    /// The peer's IP address (no port), for per-address limits; nil in router tests without a socket.
    public var remoteIP: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        admin = nil
        manager = nil
        remoteIP = source.channel.remoteAddress?.ipAddress
    }
}
