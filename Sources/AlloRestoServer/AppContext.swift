import Foundation
import Hummingbird

/// The logged-in admin, set by `AdminGuard`.
public struct AdminIdentity: Sendable, Equatable {
    public let userId: UUID
    public let email: String
}

/// The request context of every route: Hummingbird's core storage plus the admin identity when logged in.
public struct AppContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var admin: AdminIdentity?

    public init(source: Source) {
        coreContext = .init(source: source)
        admin = nil
    }
}
