import AlloRestoStore
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// The composition root: builds the HTTP application from the services, with `background` services
/// (`backgroundServices(_:)` for `serve`; none in tests) run in its service group.
public func buildApplication(services: AppServices, background: [any Service] = []) async throws -> some ApplicationProtocol {
    let router = try await buildRouter(services: services)
    let edge = services.configuration.edge
    return Application(
        router: router,
        server: edge.server,
        configuration: .init(
            address: .hostname(services.configuration.host, port: services.configuration.port), serverName: "AlloResto",
            backlog: 1024, availableConnectionsDelegate: MaximumAvailableConnections(edge.maxConnections, logger: services.logger)),
        services: background,
        logger: services.logger)
}

/// The router alone, for tests and benchmarks that drive it without a socket.
public func buildRouter(services: AppServices) async throws -> Router<AppContext> {
    let pages = try await Pages.load()
    let router = Router(context: AppContext.self)
    router.add(middleware: SecurityMiddleware(publicURL: services.configuration.publicURL))
    router.add(middleware: ErrorShapeMiddleware(pages: pages))
    pages.register(on: router)
    router.get("/health") { _, _ -> Response in ToolResponse.raw(#"{"status":"ok"}"#) }
    router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/admin"]) }
    SessionRoutes(services: services).register(on: router)
    OrderRoutes(services: services).register(on: router)
    OrderBoardRoutes(services: services).register(on: router)
    CustomerRoutes(services: services).register(on: router)
    FaqRoutes(services: services).register(on: router)
    MessageRoutes(services: services).register(on: router)
    AvailabilityRoutes(services: services).register(on: router)
    ReservationRoutes(services: services).register(on: router)
    PlanningRoutes(services: services).register(on: router)
    ManagementRoutes(services: services).register(on: router)
    BackOfficePages(services: services, pages: pages).register(on: router)
    OpenAPIDocument.register(on: router)
    AdminRoutes(services: services, pages: pages).register(on: router)
    AccountRoutes(services: services, pages: pages).register(on: router)
    ManagementKeyRoutes(services: services).register(on: router)
    IntegrationRoutes(services: services, pages: pages).register(on: router)
    return router
}
